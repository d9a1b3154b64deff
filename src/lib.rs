//! # takwire
//!
//! A synchronous, threaded TAK client: it speaks Cursor-on-Target (CoT) to TAK Servers,
//! ATAK/iTAK/WinTAK mesh networks and FreeTAKServer, configured exactly as PyTAK is.
//!
//! There is no async runtime: each transport has a blocking reader thread and a writer
//! thread, joined to the application by bounded channels that drop their oldest item when
//! full (and count what they drop).
//!
//! The modules, bottom up:
//!
//! * [`config`]: PyTAK's configuration keys, from code, environment and INI.
//! * [`url`]: `COT_URL` and `tak://` links.
//! * [`cot`]: the CoT [`Event`] and its XML codec.
//! * [`framing`]: splitting byte streams and datagrams into messages.
//! * [`proto`]: TAK protocol version 1 (protobuf), its negotiation and conversion.
//! * [`queue`]: the drop-oldest channels.
//! * [`tls`]: the rustls client configuration from the `PYTAK_TLS_*` keys (feature `tls`).
//! * [`transport`]: TCP, TLS, UDP, log, Marti REST, ... one file per kind of link.
//! * [`client`]: the [`Client`] that runs a transport's threads.
//! * [`package`]: TAK data packages, imported (`PREF_PACKAGE`) and written (feature `package`).
//!
//! # Limits
//!
//! Everything that comes from a peer, a file or the environment is bounded before it can
//! take memory or time. What goes over a limit is refused with an error that names the
//! limit, counted (`Stats::malformed`), and skipped; reading goes on with the next message.
//!
//! | what | bound | where |
//! |---|---|---|
//! | one event or TAK frame from a stream (TCP, TLS, stdin) | `TAKWIRE_MAX_EVENT_SIZE`, default 1 MiB ([`framing::DEFAULT_MAX_MESSAGE`]), 1 KiB to 64 MiB | [`framing::StreamDecoder`]: an oversized event is dropped while it streams in |
//! | a TAK frame's announced length | frames up to 64 MiB are skipped byte by byte, longer ones are taken for garbage | [`framing::StreamDecoder`] |
//! | an XML declaration or comment between events | [`StreamDecoder::MAX_DECLARATION`](framing::StreamDecoder::MAX_DECLARATION) (4 KiB) | [`framing::StreamDecoder`] |
//! | bytes buffered by a stream reader | one message being assembled plus one read (64 KiB) | [`framing::StreamDecoder`] |
//! | one UDP datagram | [`transport::udp::MAX_DATAGRAM`] (65 507 bytes) and `TAKWIRE_MAX_EVENT_SIZE` | [`framing::decode_datagram`] |
//! | XML nodes in one event | [`cot::xml::MAX_NODES`] (65 536) | [`cot::xml`] |
//! | attributes of one XML element | [`cot::xml::MAX_ATTRIBUTES`] (256) | [`cot::xml`] |
//! | children of `<detail>` | [`cot::MAX_DETAIL_CHILDREN`] (10 000) | [`cot::xml::parse`], [`cot::Detail::from_inner_xml`] |
//! | XML entities and DTDs | refused | [`cot::xml`] |
//! | CoT timestamps | years 0000 to 9999 | [`cot::CotTime::parse`] |
//! | events waiting to be sent | `MAX_OUT_QUEUE` (default 100, at most 10 000 000); the oldest is dropped and counted (`Stats::dropped_out`) | [`queue`] |
//! | events received and not yet taken by the application | `MAX_IN_QUEUE` (default 500, at most 10 000 000); the oldest is dropped and counted (`Stats::dropped_in`) | [`queue`] |
//! | a write the peer does not take | [`transport::tcp::WRITE_TIMEOUT`] (30 s), then the link is made again | [`transport::tcp`] |
//! | a connection attempt | [`transport::tcp::CONNECT_TIMEOUT`] (10 s) | [`transport::tcp`] |
//! | reconnect delays | `PYTAK_RECONNECT_*`: at most 1 day each | [`config`] |
//! | a Marti poll answer | 8 MiB (`transport::marti::MAX_ANSWER`), read through a limited reader; a larger one is skipped and counted | `transport::marti` |
//! | one Marti request (connect, send, whole answer) | 15 s (`transport::marti::REQUEST_TIMEOUT`) | `transport::marti` |
//! | (uid, time) pairs remembered to drop repeated Marti events | 65 536, oldest forgotten first | `transport::marti::answer::Dedupe` |
//! | a data package (`PREF_PACKAGE`) | 64 MiB file, 1 000 entries, 256 MiB unpacked, 1 MiB per file read, compression ratio 100 : 1 above 64 KiB; no `..`, absolute paths or symlinks | [`package::archive`] |
//! | log lines about bad input | the first 10, then one per power of two | |

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod client;
pub mod config;
pub mod cot;
#[cfg(feature = "enroll")]
pub mod enroll;
pub mod error;
pub mod framing;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "package")]
pub mod package;
pub mod proto;
pub mod queue;
pub mod stats;
mod swar;
#[cfg(feature = "tls")]
pub mod tls;
pub mod transport;
pub mod url;
mod util;
pub mod wire;

pub use client::{Client, EventSender};
pub use config::{Config, ConfigBuilder, TakProto};
pub use cot::{CotTime, Event};
pub use error::{Error, Result};
pub use stats::Stats;
pub use url::{CotUrl, TakUrl};
pub use wire::Outgoing;

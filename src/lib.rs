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
//! * [`cot`]: the CoT [`Event`](cot::Event) and its XML codec.
//! * [`framing`]: splitting byte streams and datagrams into messages.
//! * [`proto`]: TAK protocol version 1 (protobuf), its negotiation and conversion.
//! * [`queue`]: the drop-oldest channels.
//! * [`tls`]: the rustls client configuration from the `PYTAK_TLS_*` keys (feature `tls`).
//! * [`transport`]: TCP, TLS, UDP, log, ... one file per kind of link.
//! * [`client`]: the [`Client`] that runs a transport's threads.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod client;
pub mod config;
pub mod cot;
pub mod error;
pub mod framing;
pub mod proto;
pub mod queue;
pub mod stats;
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

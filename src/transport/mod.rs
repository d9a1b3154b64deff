//! Transports: how a [`Link`] to a peer is made, one file per kind of connection.
//!
//! A [`Connector`] makes links; the client's supervisor calls it again after a link fails.
//! A link has an inbound [`Source`] (none for `+wo` UDP or `log://`), an outbound [`Sink`]
//! (none for `+ro`), and a closer that unblocks both so threads can be stopped.
//!
//! The transports deal in [`Message`]s (an XML event or a TAK protocol payload); framing
//! for the wire (stream or mesh headers, WebSocket frames, HTTP bodies) is theirs.

pub mod log;
#[cfg(feature = "marti")]
pub mod marti;
pub mod stream;
pub mod tcp;
#[cfg(feature = "tls")]
pub mod tls;
pub mod udp;
#[cfg(feature = "ws")]
pub mod ws;

use std::io;
use std::sync::Arc;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::framing::{FrameError, Message};
use crate::url::Scheme;
use crate::wire::Format;

/// Receives whatever one step of reading produced: a message, or a problem with the bytes.
pub type MessageSink<'h> = dyn FnMut(std::result::Result<Message<'_>, FrameError>) + 'h;

/// The inbound half of a link.
pub trait Source: Send {
    /// Blocks until some input arrived and hands every complete message to `deliver`.
    /// Returns `Ok(false)` when the peer closed the link cleanly.
    fn receive(&mut self, deliver: &mut MessageSink<'_>) -> io::Result<bool>;

    /// Reading stops here (shutdown): hands a message cut off in the middle to `deliver`,
    /// as an error, so it is counted rather than silently lost. Sources that keep no
    /// partial message between calls need not implement it.
    fn finish(&mut self, _deliver: &mut MessageSink<'_>) {}
}

/// The outbound half of a link.
pub trait Sink: Send {
    /// Writes one message, with the transport's framing. May buffer.
    ///
    /// An error of kind [`io::ErrorKind::InvalidInput`] means this one message could not be
    /// sent (too large for a datagram, refused by an HTTP endpoint) and the link is fine;
    /// any other error means the link failed.
    fn send(&mut self, msg: Message<'_>) -> io::Result<()>;
    /// Pushes buffered bytes to the peer. Called when the outgoing queue runs empty.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Unblocks a link's reader and writer (for example by shutting the socket down).
pub type Closer = Arc<dyn Fn() + Send + Sync>;

/// A live connection.
pub struct Link {
    /// Inbound messages, if this link reads.
    pub source: Option<Box<dyn Source>>,
    /// Outbound messages, if this link writes.
    pub sink: Option<Box<dyn Sink>>,
    /// Unblocks `source` and `sink`; called on shutdown and when either fails.
    pub closer: Closer,
    /// A format the transport requires whatever `TAK_PROTO` says (WebSocket: protobuf;
    /// Marti: XML).
    pub forced_format: Option<Format>,
    /// A description of the peer for logs (`tcp://10.0.0.1:8087`).
    pub peer: String,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("peer", &self.peer)
            .field("reads", &self.source.is_some())
            .field("writes", &self.sink.is_some())
            .finish()
    }
}

/// Makes links to one endpoint.
pub trait Connector: Send {
    /// Connects. Errors for which retrying cannot help (bad TLS material, a certificate the
    /// server rejects, bad configuration) should be reported with [`is_fatal`] true.
    fn connect(&mut self) -> Result<Link>;

    /// Whether a failed link should be made again (stream transports), or the client should
    /// stop when it fails.
    fn reconnects(&self) -> bool;

    /// The endpoint, for logs.
    fn describe(&self) -> String;

    /// Whether a read error on a live link is final (for example a TLS alert saying the
    /// server rejected our certificate), so the client stops instead of reconnecting.
    fn is_fatal_io(&self, _e: &io::Error) -> bool {
        false
    }
}

/// Whether a connection error is final: retrying with the same configuration cannot help.
/// I/O and HTTP errors (refused, reset, unreachable, DNS) are worth retrying; TLS material
/// or a certificate the server rejected, configuration and the like are not.
pub fn is_fatal(e: &Error) -> bool {
    !matches!(
        e,
        Error::Io { .. } | Error::Http { .. } | Error::TooLarge { .. }
    )
}

/// The connector for `config.cot_url`.
pub fn connector_for(config: &Config) -> Result<Box<dyn Connector>> {
    let url = &config.cot_url;
    match url.scheme() {
        Scheme::Tcp => Ok(Box::new(tcp::TcpConnector::new(config))),
        Scheme::Udp | Scheme::UdpBroadcast => Ok(Box::new(udp::UdpConnector::new(config)?)),
        Scheme::Log => Ok(Box::new(log::LogConnector::new(config))),
        #[cfg(feature = "tls")]
        Scheme::Tls => Ok(Box::new(tls::TlsConnector::new(config)?)),
        #[cfg(not(feature = "tls"))]
        Scheme::Tls => Err(Error::FeatureDisabled {
            what: "tls:// and ssl://".to_string(),
            feature: "tls",
        }),
        #[cfg(feature = "marti")]
        Scheme::Marti | Scheme::MartiHttp => Ok(Box::new(marti::MartiConnector::new(config)?)),
        #[cfg(not(feature = "marti"))]
        Scheme::Marti | Scheme::MartiHttp => Err(Error::FeatureDisabled {
            what: "marti:// and marti+http://".to_string(),
            feature: "marti",
        }),
        #[cfg(feature = "ws")]
        Scheme::Ws | Scheme::Wss => Ok(Box::new(ws::WsConnector::new(config)?)),
        #[cfg(not(feature = "ws"))]
        Scheme::Ws | Scheme::Wss => Err(Error::FeatureDisabled {
            what: "ws:// and wss://".to_string(),
            feature: "ws",
        }),
    }
}

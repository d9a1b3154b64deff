//! `tcp://`: CoT over a TCP connection.
//!
//! `+wo` still reads (and the client discards what arrives) so the peer never blocks on a
//! full socket; `+ro` makes no sink, so no writer thread is started.

use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::transport::stream::{StreamSink, StreamSource};
use crate::transport::{Connector, Link};
use crate::url::CotUrl;

/// How long a connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A write blocked this long means the peer stopped reading: the link is dropped and made
/// again, while the outgoing queue keeps the newest events.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects TCP streams to `COT_URL`'s host and port.
#[derive(Debug)]
pub struct TcpConnector {
    url: CotUrl,
    max: usize,
}

impl TcpConnector {
    /// A connector for `config.cot_url`.
    pub fn new(config: &Config) -> Self {
        TcpConnector {
            url: config.cot_url.clone(),
            max: config.max_event_size,
        }
    }
}

/// Opens a TCP connection to `url` with the socket options every stream transport uses:
/// no Nagle delay, keepalive probes, and a write timeout.
pub fn open(url: &CotUrl) -> Result<TcpStream> {
    let addrs = url.socket_addrs()?;
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                let _ = s.set_write_timeout(Some(WRITE_TIMEOUT));
                let keepalive = TcpKeepalive::new()
                    .with_time(Duration::from_secs(60))
                    .with_interval(Duration::from_secs(10));
                let _ = SockRef::from(&s).set_tcp_keepalive(&keepalive);
                return Ok(s);
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    match last {
        Some((addr, e)) => Err(Error::io(format!("connecting to {} ({addr})", url), e)),
        None => Err(Error::url(url.to_string(), "no address to connect to")),
    }
}

/// A closer that shuts `stream` down both ways, which wakes any thread blocked on it.
pub fn closer(stream: &TcpStream) -> Result<crate::transport::Closer> {
    let handle = stream
        .try_clone()
        .map_err(|e| Error::io("cloning a socket handle", e))?;
    Ok(Arc::new(move || {
        let _ = handle.shutdown(Shutdown::Both);
    }))
}

impl Connector for TcpConnector {
    fn connect(&mut self) -> Result<Link> {
        let stream = open(&self.url)?;
        let closer = closer(&stream)?;
        let sink = if self.url.direction().sends() {
            let w = stream
                .try_clone()
                .map_err(|e| Error::io("cloning a socket handle", e))?;
            Some(Box::new(StreamSink::new(w)) as Box<dyn crate::transport::Sink>)
        } else {
            None
        };
        Ok(Link {
            source: Some(Box::new(StreamSource::new(stream, self.max))),
            sink,
            closer,
            forced_format: None,
            peer: self.url.to_string(),
        })
    }

    fn reconnects(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        self.url.to_string()
    }
}

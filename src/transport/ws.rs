//! `ws://` and `wss://`: TAK protocol v1 over a WebSocket, as TAK Server serves it at
//! `/takproto/1` (port 8443 with client certificates; WebTAK's 8446 too).
//!
//! **What a message carries.** Every binary WebSocket message holds one TAK protocol
//! message with *stream* framing: `0xbf`, a varint length, then the protobuf `TakMessage`.
//! TAK Server's handler passes the bytes of each binary message on as they are; its
//! clients frame them so (WebTAK-style clients), and so does PyTAK 7.6.1, which sends
//! `takproto.xml2proto(.., STREAM)` and drops what `takproto.parse_proto` cannot read (a
//! bare `TakMessage` among it: `tests/ws_pytak.rs` checks takwire against it). Inbound, we also
//! accept a mesh header (`0xbf 0x01 0xbf`), a bare `TakMessage` without a header, and XML
//! events (in a text or a binary message, as PyTAK sends without `takproto`). Outbound the
//! link is protobuf from the start ([`Link::forced_format`]): XML events given to send are
//! encoded to protobuf, whatever `TAK_PROTO` says. No subprotocol is requested. We never
//! send text messages: TAK Server's `/takproto/1` handler takes binary messages only and
//! closes the session (1003, "Text messages not supported") on a text one. It sends no pings
//! of its own; tungstenite answers any ping while reading.
//!
//! **Threads.** The handshake runs in [`Connector::connect`] under the connect timeout. Then
//! the byte stream is split as for TCP and TLS: the reader thread reads its own handle
//! (for `wss://`, the TLS reader of [`super::tls`], which blocks on the socket holding no
//! lock) and the writer thread writes through a shared handle. Each thread has its own
//! tungstenite [`WebSocketContext`] (client role, so both mask their frames): the reader's
//! parses frames and queues the automatic answers (pong, close), the writer's builds data
//! frames. Neither context writes to the socket directly: frames collect in a
//! `FrameWriter` and reach the socket on a flush, holding the one write lock for whole
//! frames, so frames of the two threads never interleave. The reader takes the write lock
//! only to send a pong or a close answer; the writer holds it at most for a write, which a
//! write timeout bounds.
//!
//! **Ends.** A close frame from the server ends the link cleanly (answered, then the client
//! reconnects with backoff); so does a connection closed without one. A message larger
//! than `TAKWIRE_MAX_EVENT_SIZE` (plus the 11 bytes of header) is refused by tungstenite
//! before it is buffered; the frame cannot be skipped, so it is reported and the link is
//! dropped and made again. Closing sends a close frame (best effort, bounded) and shuts the
//! socket down. A handshake answered with anything but `101 Switching Protocols` fails
//! `connect` with an error naming the status.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tungstenite::handshake::HandshakeError;
use tungstenite::protocol::{Role, WebSocketConfig, WebSocketContext};
use tungstenite::{Bytes, Message as WsMessage};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::framing::{FrameError, Message, decode_ws_message, write_stream_frame};
use crate::transport::tls::TlsConnector;
use crate::transport::{Closer, Connector, Link, MessageSink, Sink, Source, tcp};
use crate::url::{CotUrl, Scheme};
use crate::wire::Format;

/// How long the WebSocket handshake may take (after TCP and TLS).
pub const HANDSHAKE_TIMEOUT: Duration = tcp::CONNECT_TIMEOUT;
/// The most header bytes around one TAK protocol payload: `0xbf` and a 10-byte varint.
const HEADER_MAX: usize = 11;
/// Outgoing frames are pushed to the socket once this many bytes are waiting, even before
/// the outgoing queue runs empty.
const FLUSH_AT: usize = 64 * 1024;
/// How long closing may spend sending the close frame.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_millis(200);

/// Connects WebSockets to `COT_URL` (`ws://` or `wss://`).
#[derive(Debug)]
pub struct WsConnector {
    url: CotUrl,
    max: usize,
    /// For `wss://`: TCP, TLS handshake and the split TLS connection.
    tls: Option<TlsConnector>,
}

impl WsConnector {
    /// A connector for `config.cot_url`. For `wss://` the TLS material is read and checked
    /// here, so any problem with it is an error before the first connection.
    pub fn new(config: &Config) -> Result<Self> {
        let url = config.cot_url.clone();
        let tls = match url.scheme() {
            Scheme::Wss => Some(TlsConnector::new(config)?),
            Scheme::Ws => None,
            other => {
                return Err(Error::url(
                    url.to_string(),
                    format!("{}:// is not a WebSocket URL", other.as_str()),
                ));
            }
        };
        Ok(WsConnector {
            url,
            max: config.max_event_size,
            tls,
        })
    }

    /// The URL of the handshake request: scheme, authority and path, no modifiers.
    fn request_url(&self) -> String {
        format!(
            "{}://{}{}",
            self.url.scheme().as_str(),
            self.url.authority(),
            self.url.path()
        )
    }

    fn ws_config(&self) -> WebSocketConfig {
        let limit = self.max.saturating_add(HEADER_MAX);
        WebSocketConfig::default()
            .max_message_size(Some(limit))
            .max_frame_size(Some(limit))
    }

    /// Runs the HTTP upgrade over `reader` and `writer` and gives them back.
    #[allow(clippy::type_complexity)]
    fn handshake<R: Read, W: Write>(
        &self,
        reader: R,
        writer: W,
    ) -> Result<(io::Chain<io::Cursor<Vec<u8>>, R>, W)> {
        // The handshake never reads past the server's answer, so no frame that follows
        // it is lost when the halves are taken back.
        let stream = Duplex {
            reader: HeadReader::new(reader),
            writer,
        };
        let url = self.request_url();
        match tungstenite::client::client_with_config(url.as_str(), stream, Some(self.ws_config()))
        {
            Ok((ws, response)) => {
                log::debug!("{}: WebSocket open ({})", self.url, response.status());
                let Duplex { reader, writer } = ws.into_inner();
                Ok((reader.into_rest(), writer))
            }
            Err(HandshakeError::Interrupted(_)) => Err(Error::io(
                format!(
                    "WebSocket handshake with {}: no answer within {HANDSHAKE_TIMEOUT:?}",
                    self.url
                ),
                io::Error::from(io::ErrorKind::TimedOut),
            )),
            Err(HandshakeError::Failure(e)) => Err(self.handshake_error(e)),
        }
    }

    fn handshake_error(&self, e: tungstenite::Error) -> Error {
        use tungstenite::Error as E;
        match e {
            E::Http(response) => {
                let status = response.status();
                let reason = format!(
                    "WebSocket handshake refused: HTTP {status} (expected 101 Switching Protocols)"
                );
                match status.as_u16() {
                    404 => Error::url(
                        self.url.to_string(),
                        format!("{reason}: the server has no WebSocket endpoint at this path"),
                    ),
                    401 | 403 if self.tls.is_some() => Error::Tls(format!(
                        "{}: {reason}: the server does not accept our client certificate",
                        self.url
                    )),
                    _ => Error::Http {
                        url: self.url.to_string(),
                        reason,
                    },
                }
            }
            E::Io(io) => {
                if let Some(t) = crate::tls::tls_error_of(&io) {
                    let text = format!(
                        "WebSocket handshake with {}: {}",
                        self.url,
                        crate::tls::describe(t)
                    );
                    if crate::tls::is_fatal(t) {
                        return Error::Tls(text);
                    }
                    return Error::io(text, io);
                }
                let context = match io.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!(
                        "WebSocket handshake with {}: no answer within {HANDSHAKE_TIMEOUT:?}",
                        self.url
                    ),
                    _ => format!("WebSocket handshake with {}", self.url),
                };
                Error::io(context, io)
            }
            E::Protocol(tungstenite::error::ProtocolError::HandshakeIncomplete) => Error::io(
                format!(
                    "WebSocket handshake with {}: the server closed the connection",
                    self.url
                ),
                io::Error::from(io::ErrorKind::UnexpectedEof),
            ),
            other => Error::Http {
                url: self.url.to_string(),
                reason: format!("WebSocket handshake failed: {other}"),
            },
        }
    }

    /// The handshake, then the link over the two halves of the byte stream.
    fn finish<R, W>(&self, reader: R, writer: W, socket: &TcpStream, base: Closer) -> Result<Link>
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        let timeout = |t| {
            socket
                .set_read_timeout(t)
                .map_err(|e| Error::io("setting a read timeout", e))
        };
        timeout(Some(HANDSHAKE_TIMEOUT))?;
        let (reader, writer) = self.handshake(reader, writer)?;
        timeout(None)?;

        let out = Arc::new(Mutex::new(writer));
        let close_sent = Arc::new(AtomicBool::new(false));
        let source = WsSource {
            ctx: WebSocketContext::new(Role::Client, Some(self.ws_config())),
            io: Duplex {
                reader,
                writer: FrameWriter::new(out.clone()),
            },
            max: self.max,
            close_sent: close_sent.clone(),
        };
        let sink = if self.url.direction().sends() {
            Some(Box::new(WsSink {
                ctx: WebSocketContext::new(Role::Client, Some(self.ws_config())),
                io: Duplex {
                    reader: io::empty(),
                    writer: FrameWriter::new(out.clone()),
                },
                frame: Vec::new(),
            }) as Box<dyn Sink>)
        } else {
            None
        };
        let handle = socket
            .try_clone()
            .map_err(|e| Error::io("cloning a socket handle", e))?;
        let closer: Closer = Arc::new(move || {
            if !close_sent.swap(true, Ordering::AcqRel) {
                // Never wait long: a writer may hold the lock, or the socket may be full.
                let _ = handle.set_write_timeout(Some(CLOSE_WRITE_TIMEOUT));
                if let Ok(mut w) = out.try_lock() {
                    let _ = w.write_all(&close_frame()).and_then(|()| w.flush());
                }
            }
            base();
        });
        Ok(Link {
            source: Some(Box::new(source)),
            sink,
            closer,
            forced_format: Some(Format::Proto),
            peer: self.url.to_string(),
        })
    }
}

impl Connector for WsConnector {
    fn connect(&mut self) -> Result<Link> {
        let fail = |closer: &Closer, e: Error| {
            closer();
            Err(e)
        };
        match &self.tls {
            Some(tls) => {
                let parts = tls.open()?;
                let socket = parts.socket;
                let base = parts.closer;
                match self.finish(parts.reader, parts.writer, &socket, base.clone()) {
                    Ok(link) => Ok(link),
                    Err(e) => fail(&base, e),
                }
            }
            None => {
                let stream = tcp::open(&self.url)?;
                let base = tcp::closer(&stream)?;
                let writer = match stream.try_clone() {
                    Ok(w) => w,
                    Err(e) => return fail(&base, Error::io("cloning a socket handle", e)),
                };
                let socket = match stream.try_clone() {
                    Ok(s) => s,
                    Err(e) => return fail(&base, Error::io("cloning a socket handle", e)),
                };
                match self.finish(stream, writer, &socket, base.clone()) {
                    Ok(link) => Ok(link),
                    Err(e) => fail(&base, e),
                }
            }
        }
    }

    fn reconnects(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        self.url.to_string()
    }

    fn is_fatal_io(&self, e: &io::Error) -> bool {
        self.tls.is_some() && crate::tls::is_fatal_io(e)
    }
}

/// A masked close frame without a status code (a client's frames are always masked).
fn close_frame() -> [u8; 6] {
    let mut mask = [0u8; 4];
    if getrandom::fill(&mut mask).is_err() {
        mask = [0x5a, 0xa5, 0x3c, 0xc3];
    }
    let [a, b, c, d] = mask;
    // FIN + opcode 8 (close); MASK bit + payload length 0; the masking key.
    [0x88, 0x80, a, b, c, d]
}

/// A reader and a writer as one stream, for tungstenite.
struct Duplex<R, W> {
    reader: R,
    writer: W,
}

impl<R: Read, W> Read for Duplex<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl<R, W: Write> Write for Duplex<R, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// The largest HTTP answer to the upgrade we read.
const MAX_HEAD: usize = 64 * 1024;

/// Reads the HTTP answer to the upgrade and nothing after it: bytes that follow the blank
/// line (frames the server sent at once) are kept for the WebSocket reader.
struct HeadReader<R> {
    inner: R,
    /// Bytes handed to the handshake so far.
    handed: Vec<u8>,
    /// Bytes read from `inner` and not handed over.
    pending: Vec<u8>,
}

impl<R: Read> HeadReader<R> {
    fn new(inner: R) -> Self {
        HeadReader {
            inner,
            handed: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// The stream after the head: the bytes read past it, then the rest.
    fn into_rest(self) -> io::Chain<io::Cursor<Vec<u8>>, R> {
        io::Cursor::new(self.pending).chain(self.inner)
    }
}

impl<R: Read> Read for HeadReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            if self.handed.len() >= MAX_HEAD {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the HTTP answer to the upgrade is longer than {MAX_HEAD} bytes"),
                ));
            }
            let mut chunk = [0u8; 4096];
            let n = self.inner.read(&mut chunk)?;
            self.pending
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
            if n == 0 {
                return Ok(0);
            }
        }
        // Where the head ends, if it ends in what we hold.
        let from = self.handed.len().saturating_sub(3);
        let mut all = self.handed.get(from..).unwrap_or_default().to_vec();
        all.extend_from_slice(&self.pending);
        let take = match all.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(i) => (i + 4).saturating_sub(self.handed.len() - from),
            None => self.pending.len(),
        };
        let take = take.min(buf.len()).min(self.pending.len());
        let (dst, src) = (buf.get_mut(..take), self.pending.get(..take));
        if let (Some(dst), Some(src)) = (dst, src) {
            dst.copy_from_slice(src);
            self.handed.extend_from_slice(src);
        }
        self.pending.drain(..take);
        Ok(take)
    }
}

/// Collects the frames a context writes and sends them on `flush`, under the shared lock,
/// so the two threads' frames reach the socket whole. tungstenite hands bytes over only
/// in whole frames and calls `flush` after its last one.
struct FrameWriter<W> {
    out: Arc<Mutex<W>>,
    buf: Vec<u8>,
}

impl<W: Write> FrameWriter<W> {
    fn new(out: Arc<Mutex<W>>) -> Self {
        FrameWriter {
            out,
            buf: Vec::new(),
        }
    }
}

impl<W: Write> Write for FrameWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let result = match self.out.lock() {
            Ok(mut out) => out.write_all(&self.buf).and_then(|()| out.flush()),
            Err(_) => Err(io::Error::other(
                "WebSocket write state is unusable (a thread panicked)",
            )),
        };
        // Sent, or the link failed: either way these bytes are done with.
        self.buf.clear();
        if self.buf.capacity() > 4 * FLUSH_AT {
            self.buf.shrink_to(FLUSH_AT);
        }
        result
    }
}

/// The reader thread's side of the WebSocket.
struct WsSource<R, W> {
    ctx: WebSocketContext,
    io: Duplex<R, FrameWriter<W>>,
    max: usize,
    /// Set once a close frame went out (our answer to the server's), so closing sends none.
    close_sent: Arc<AtomicBool>,
}

impl<R: Read + Send, W: Write + Send> Source for WsSource<R, W> {
    fn receive(&mut self, deliver: &mut MessageSink<'_>) -> io::Result<bool> {
        use tungstenite::Error as E;
        loop {
            match self.ctx.read(&mut self.io) {
                Ok(WsMessage::Binary(data)) => {
                    if let Some(m) = decode_ws_message(&data, self.max) {
                        deliver(m);
                    }
                    return Ok(true);
                }
                Ok(WsMessage::Text(text)) => {
                    if let Some(m) = decode_ws_message(text.as_bytes(), self.max) {
                        deliver(m);
                    }
                    return Ok(true);
                }
                // tungstenite queued the pong; the next read sends it.
                Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_)) => continue,
                Ok(WsMessage::Close(frame)) => {
                    match frame {
                        Some(f) => {
                            log::info!("the server closed the WebSocket: {} {}", f.code, f.reason)
                        }
                        None => log::info!("the server closed the WebSocket"),
                    }
                    // Send tungstenite's answer now: the link ends here.
                    self.close_sent.store(true, Ordering::Release);
                    let _ = self.ctx.flush(&mut self.io);
                    return Ok(false);
                }
                Err(E::ConnectionClosed | E::AlreadyClosed) => return Ok(false),
                Err(E::Protocol(
                    tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
                )) => {
                    log::debug!("the WebSocket ended without a close frame");
                    return Ok(false);
                }
                Err(E::Io(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(E::Io(e)) => return Err(e),
                Err(E::Capacity(tungstenite::error::CapacityError::MessageTooLong {
                    size,
                    max_size,
                })) => {
                    deliver(Err(FrameError::Oversized {
                        kind: "WebSocket message",
                        size,
                        limit: max_size,
                    }));
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "a WebSocket message of {size} bytes exceeds the limit of \
                             {max_size} bytes (TAKWIRE_MAX_EVENT_SIZE and its header); \
                             the connection is dropped"
                        ),
                    ));
                }
                Err(other) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("WebSocket: {other}"),
                    ));
                }
            }
        }
    }
}

/// The writer thread's side of the WebSocket.
struct WsSink<W> {
    ctx: WebSocketContext,
    io: Duplex<io::Empty, FrameWriter<W>>,
    frame: Vec<u8>,
}

fn ws_io_error(e: tungstenite::Error) -> io::Error {
    match e {
        tungstenite::Error::Io(e) => e,
        other => io::Error::new(io::ErrorKind::BrokenPipe, format!("WebSocket: {other}")),
    }
}

impl<W: Write + Send> Sink for WsSink<W> {
    fn send(&mut self, msg: Message<'_>) -> io::Result<()> {
        let Message::Tak(payload) = msg else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a WebSocket link carries TAK protocol messages only, not XML",
            ));
        };
        self.frame.clear();
        write_stream_frame(payload, &mut self.frame);
        let data = Bytes::copy_from_slice(&self.frame);
        self.ctx
            .write(&mut self.io, WsMessage::Binary(data))
            .map_err(ws_io_error)?;
        if self.io.writer.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.ctx.flush(&mut self.io).map_err(ws_io_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most `n` bytes a read, like a socket.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_head_reader_stops_at_the_blank_line_and_keeps_the_rest() {
        let wire = b"HTTP/1.1 101 OK\r\nA: b\r\n\r\n\x82\x02hi\x82\x01!";
        for chunk in [1, 2, 3, 5, 7, 4096] {
            let mut r = HeadReader::new(Trickle(wire, chunk));
            let mut head = Vec::new();
            let mut buf = [0u8; 9];
            while !head.ends_with(b"\r\n\r\n") {
                let n = r.read(&mut buf).unwrap();
                assert!(n > 0);
                head.extend_from_slice(&buf[..n]);
            }
            assert_eq!(head, b"HTTP/1.1 101 OK\r\nA: b\r\n\r\n", "chunk {chunk}");
            let mut rest = Vec::new();
            r.into_rest().read_to_end(&mut rest).unwrap();
            assert_eq!(rest, b"\x82\x02hi\x82\x01!", "chunk {chunk}");
        }
    }

    #[test]
    fn close_frame_is_masked_and_empty() {
        let f = close_frame();
        assert_eq!(f[0], 0x88);
        assert_eq!(f[1], 0x80);
    }
}

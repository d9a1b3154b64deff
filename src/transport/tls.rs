//! `tls://` (alias `ssl://`): CoT over TLS over TCP, with the framing of [`tcp`]
//! and the same modifiers (`+wo` reads and discards, `+ro` has no writer).
//!
//! One rustls connection serves two threads. The reader blocks on its own handle of the
//! socket **without** holding any lock, then locks the connection only to feed it the bytes
//! and take out the plaintext. The writer locks the connection to encrypt, and every
//! thread that moves TLS records to the socket holds the `out` lock from taking the records
//! out of the connection until they are written, so records reach the wire in the order the
//! connection made them. The reader never waits for `out` (a writer blocked on a full
//! socket must not stop it reading): when `out` is busy, the holder sends the reader's
//! records (alerts, key updates) after its own, because it checks once more after letting
//! go of the lock.
//!
//! The handshake runs in [`Connector::connect`], synchronously, under the connect timeout.
//! With TLS 1.3 the server judges our certificate only after the client has finished its
//! part of the handshake, so `connect` also waits briefly for the server's first records:
//! a rejection then fails `connect` with the server's alert instead of surfacing later
//! (or being lost to a connection reset).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use rustls::ClientConnection;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::tls::{self, TlsClient, TlsFailure};
use crate::transport::stream::{StreamSink, StreamSource};
use crate::transport::{Closer, Connector, Link, Sink, tcp};
use crate::url::CotUrl;

/// How long the TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = tcp::CONNECT_TIMEOUT;
/// With TLS 1.3, how long `connect` waits for the server's first records after the
/// handshake (servers send session tickets at once, or an alert if they reject us).
pub const VERDICT_WAIT: Duration = Duration::from_secs(1);
/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Connects TLS streams to `COT_URL`'s host and port.
#[derive(Debug)]
pub struct TlsConnector {
    url: CotUrl,
    max: usize,
    tls: TlsClient,
}

impl TlsConnector {
    /// A connector for `config.cot_url`. The TLS material is read and checked here, so any
    /// problem with it is an error before the first connection.
    pub fn new(config: &Config) -> Result<Self> {
        let tls = tls::client_config(&config.tls, config.cot_url.host())?;
        Ok(TlsConnector {
            url: config.cot_url.clone(),
            max: config.max_event_size,
            tls,
        })
    }

    fn handshake(&self, stream: &TcpStream) -> Result<ClientConnection> {
        let mut conn = ClientConnection::new(self.tls.config.clone(), self.tls.server_name.clone())
            .map_err(|e| Error::Tls(format!("{}: {}", self.url, tls::describe(&e))))?;
        let mut io = stream;
        stream
            .set_read_timeout(Some(HANDSHAKE_TIMEOUT))
            .map_err(|e| Error::io("setting a read timeout", e))?;
        while conn.is_handshaking() {
            conn.complete_io(&mut io)
                .map_err(|e| self.handshake_error("TLS handshake", e))?;
        }
        if conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3) {
            self.await_verdict(&mut conn, stream)?;
        }
        stream
            .set_read_timeout(None)
            .map_err(|e| Error::io("clearing the read timeout", e))?;
        Ok(conn)
    }

    /// Reads what the server sends right after a TLS 1.3 handshake (session tickets, or
    /// an alert rejecting our certificate), for up to [`VERDICT_WAIT`].
    fn await_verdict(&self, conn: &mut ClientConnection, stream: &TcpStream) -> Result<()> {
        let mut io = stream;
        if conn.wants_write() {
            conn.write_tls(&mut io)
                .map_err(|e| self.handshake_error("TLS handshake", e))?;
        }
        stream
            .set_read_timeout(Some(VERDICT_WAIT))
            .map_err(|e| Error::io("setting a read timeout", e))?;
        match conn.read_tls(&mut io) {
            Ok(0) => Err(Error::io(
                format!(
                    "{}: the server closed the connection right after the TLS handshake \
                     (did it reject our client certificate?)",
                    self.url
                ),
                io::Error::from(io::ErrorKind::UnexpectedEof),
            )),
            Ok(_) => match conn.process_new_packets() {
                Ok(_) => Ok(()),
                Err(e) => {
                    let _ = conn.write_tls(&mut io);
                    Err(self.handshake_error("after the TLS handshake", TlsFailure::io(e)))
                }
            },
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(self.handshake_error("after the TLS handshake", e)),
        }
    }

    /// A failed handshake: [`Error::Tls`] when trying again cannot help (certificates,
    /// nothing in common), else [`Error::Io`] so the client retries with backoff.
    fn handshake_error(&self, what: &str, e: io::Error) -> Error {
        if let Some(t) = tls::tls_error_of(&e) {
            let text = format!("{what} with {}: {}", self.url, tls::describe(t));
            return if tls::is_fatal(t) {
                Error::Tls(text)
            } else {
                Error::io(text, e)
            };
        }
        let context = match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                format!(
                    "{what} with {}: no answer within {HANDSHAKE_TIMEOUT:?}",
                    self.url
                )
            }
            io::ErrorKind::UnexpectedEof => {
                format!("{what} with {}: the server closed the connection", self.url)
            }
            _ => format!("{what} with {}", self.url),
        };
        Error::io(context, e)
    }
}

/// One TLS connection split for two threads: see the module documentation.
pub(crate) struct TlsParts {
    /// The plaintext read side (the reader thread).
    pub reader: TlsReader,
    /// The plaintext write side (the writer thread).
    pub writer: TlsWriter,
    /// Sends close_notify (best effort) and shuts the socket down.
    pub closer: Closer,
    /// A handle of the TCP socket, for timeouts.
    #[cfg_attr(not(feature = "ws"), allow(dead_code))]
    pub socket: TcpStream,
}

impl TlsConnector {
    /// Connects, runs the TLS handshake and splits the connection between a reader and a
    /// writer (`wss://` runs its WebSocket handshake over these).
    pub(crate) fn open(&self) -> Result<TlsParts> {
        let stream = tcp::open(&self.url)?;
        let tcp_closer = tcp::closer(&stream)?;
        let conn = match self.handshake(&stream) {
            Ok(c) => c,
            Err(e) => {
                tcp_closer();
                return Err(e);
            }
        };
        let clone = || {
            stream
                .try_clone()
                .map_err(|e| Error::io("cloning a socket handle", e))
        };
        let shared = Arc::new(Shared {
            conn: Mutex::new(conn),
            out: Mutex::new(clone()?),
        });
        let writer = TlsWriter {
            shared: shared.clone(),
        };
        let socket = clone()?;
        let reader = TlsReader {
            shared: shared.clone(),
            socket: stream,
            pending: Vec::with_capacity(READ_CHUNK),
            start: 0,
            eof: false,
        };
        let closer: Closer = Arc::new(move || {
            shared.close_notify();
            tcp_closer();
        });
        Ok(TlsParts {
            reader,
            writer,
            closer,
            socket,
        })
    }
}

impl Connector for TlsConnector {
    fn connect(&mut self) -> Result<Link> {
        let parts = self.open()?;
        let sink = if self.url.direction().sends() {
            Some(Box::new(StreamSink::new(parts.writer)) as Box<dyn Sink>)
        } else {
            None
        };
        Ok(Link {
            source: Some(Box::new(StreamSource::new(parts.reader, self.max))),
            sink,
            closer: parts.closer,
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

    fn is_fatal_io(&self, e: &io::Error) -> bool {
        tls::is_fatal_io(e)
    }
}

/// The connection and the socket's write side, shared by the reader and the writer.
struct Shared {
    conn: Mutex<ClientConnection>,
    /// Held from taking TLS records out of `conn` until they are written.
    out: Mutex<TcpStream>,
}

fn poisoned() -> io::Error {
    io::Error::other("TLS connection state is unusable (a thread panicked)")
}

impl Shared {
    fn conn(&self) -> io::Result<MutexGuard<'_, ClientConnection>> {
        self.conn.lock().map_err(|_| poisoned())
    }

    fn wants_write(&self) -> io::Result<bool> {
        Ok(self.conn()?.wants_write())
    }

    /// Moves every pending TLS record to the socket; the caller holds `out`.
    fn drain(&self, out: &mut TcpStream) -> io::Result<()> {
        let mut records = Vec::new();
        loop {
            records.clear();
            {
                let mut conn = self.conn()?;
                if !conn.wants_write() {
                    return Ok(());
                }
                conn.write_tls(&mut records)?;
            }
            out.write_all(&records)?;
        }
    }

    /// Sends pending records, waiting for `out` (the writer).
    fn push(&self) -> io::Result<()> {
        loop {
            {
                let mut out = self.out.lock().map_err(|_| poisoned())?;
                self.drain(&mut out)?;
            }
            // Records the reader queued while we held `out` (it does not wait for it).
            if !self.wants_write()? {
                return Ok(());
            }
        }
    }

    /// Sends pending records unless another thread is sending (it will send ours too).
    fn try_push(&self) -> io::Result<()> {
        match self.out.try_lock() {
            Ok(mut out) => self.drain(&mut out),
            Err(TryLockError::WouldBlock) => Ok(()),
            Err(TryLockError::Poisoned(_)) => Err(poisoned()),
        }
    }

    /// Best effort: tells the server we are closing, without ever blocking for long.
    fn close_notify(&self) {
        if let Ok(mut conn) = self.conn.try_lock() {
            conn.send_close_notify();
        }
        if let Ok(mut out) = self.out.try_lock() {
            let _ = out.set_write_timeout(Some(Duration::from_millis(200)));
            let _ = self.drain(&mut out);
        }
    }
}

/// The plaintext side for the writer thread.
pub(crate) struct TlsWriter {
    shared: Arc<Shared>,
}

impl Write for TlsWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        for _ in 0..2 {
            let n = self.shared.conn()?.writer().write(buf)?;
            self.shared.push()?;
            if n > 0 {
                return Ok(n);
            }
            // rustls's send buffer was full; `push` emptied it, so the next try fits.
        }
        Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "the TLS connection accepts no more data",
        ))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.shared.push()
    }
}

/// The plaintext side for the reader thread.
pub(crate) struct TlsReader {
    shared: Arc<Shared>,
    socket: TcpStream,
    /// Ciphertext read from the socket and not yet given to the connection.
    pending: Vec<u8>,
    start: usize,
    eof: bool,
}

impl TlsReader {
    /// Hands out buffered plaintext, feeding the connection what was read so far.
    /// `None`: the connection needs more bytes from the socket.
    fn plaintext_ready(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let mut conn = self.shared.conn()?;
        loop {
            match conn.reader().read(buf) {
                Ok(n) => return Ok(Some(n)), // 0: the server sent close_notify
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    log::debug!("the server closed the TCP connection without close_notify");
                    return Ok(Some(0));
                }
                Err(e) => return Err(e),
            }
            let fed = if let Some(rest) = self.pending.get(self.start..).filter(|r| !r.is_empty()) {
                let mut rest = rest;
                let n = conn.read_tls(&mut rest)?;
                self.start += n;
                n
            } else if self.eof {
                // Tell the connection the stream ended: the next read says how.
                self.eof = false;
                conn.read_tls(&mut io::empty())?;
                1
            } else {
                0
            };
            if fed == 0 {
                return Ok(None);
            }
            if let Err(e) = conn.process_new_packets() {
                drop(conn);
                // Tell the server why we are leaving (rustls queued an alert).
                let _ = self.shared.try_push();
                return Err(TlsFailure::io(e));
            }
            if conn.wants_write() {
                drop(conn);
                self.shared.try_push()?;
                conn = self.shared.conn()?;
            }
        }
    }
}

impl Read for TlsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(n) = self.plaintext_ready(buf)? {
                return Ok(n);
            }
            // Block on the socket with no lock held.
            self.pending.resize(READ_CHUNK, 0);
            self.start = 0;
            let n = loop {
                match self.socket.read(&mut self.pending) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let n = match n {
                Ok(n) => n,
                Err(e) => {
                    self.pending.clear();
                    return Err(e);
                }
            };
            self.pending.truncate(n);
            if n == 0 {
                self.eof = true;
            }
        }
    }
}

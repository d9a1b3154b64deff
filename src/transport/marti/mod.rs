//! `marti://` (HTTPS) and `marti+http://` (plain HTTP): CoT through TAK Server's Marti REST
//! API, for deployments that reach the server only through its HTTPS port.
//!
//! * **Sending**: each event is `POST`ed to `/Marti/api/injectors/cot/uid` as JSON
//!   `{"uid": MARTI_COT_UID (else the host id), "toInject": "<event ...>"}`. A 2xx answer
//!   counts as sent; any other status is logged with the status and counted as `failed`
//!   (the link stays up). A request that fails below HTTP (refused, reset, timed out) fails
//!   the link: the event is kept and sent first after the client reconnects, with the
//!   `PYTAK_RECONNECT_*` backoff.
//! * **Receiving**: every `MARTI_POLL_INTERVAL` seconds,
//!   `GET /Marti/api/cot/sa?start=..&end=..` with times written as PyTAK writes them
//!   (`2026-01-01T00:00:00.000000Z`, UTC, microseconds). The first window starts
//!   `MARTI_POLL_SECONDS_AGO` seconds back; each later one starts where the last
//!   **answered** window ended (PyTAK moves on even when a poll failed, losing that window;
//!   takwire asks for it again). Events are taken out of the answer as described in
//!   [`answer`], and one whose `uid` and `time` were already delivered is dropped
//!   (windows share their boundary, and TAK Server may repeat events): at most
//!   [`answer::Dedupe::CAPACITY`] pairs are remembered, oldest forgotten first, across
//!   reconnects.
//! * **Bad answers** never stop the client: an error status, a body over
//!   [`MAX_ANSWER`] bytes, or a body that is plainly not CoT (an HTML page) is counted as
//!   `malformed` and skipped; a refused or timed-out poll is logged. After any failed poll
//!   the next one waits for the `PYTAK_RECONNECT_*` backoff (growing from
//!   `PYTAK_RECONNECT_INITIAL` up to `PYTAK_RECONNECT_MAX`, never shorter than the poll
//!   interval), so a dead server is not hammered; the first good answer resets it.
//! * **Limits**: every request has an overall timeout ([`REQUEST_TIMEOUT`]), answers are
//!   read through a limited reader, and each event is bounded by `TAKWIRE_MAX_EVENT_SIZE`.
//! * **TLS**: `marti://` uses the same configuration as `tls://` (the `PYTAK_TLS_*` keys:
//!   client certificate, CA file, verify switches, ciphers, expected host name). A client
//!   certificate the server rejects (or a server certificate we reject) stops the client
//!   with an error saying so, from either direction. Unlike PyTAK, which skips verifying the
//!   server whenever no client certificate is configured, takwire verifies it unless
//!   `PYTAK_TLS_DONT_VERIFY` is set.
//! * One HTTP agent per link serves both directions, so connections are kept alive and
//!   reused; the reader and writer each hold at most a couple of connections. Output is
//!   always XML (`TAK_PROTO` does not apply), and `+wo`/`+ro` are refused by the URL parser.

pub mod answer;
pub mod https;
pub mod poll;

use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::client::Backoff;
use crate::config::{Config, ReconnectSettings};
use crate::error::{Error, Result};
use crate::framing::Message;
use crate::transport::{Closer, Connector, Link, Sink, Source};
use crate::url::Scheme;
use crate::wire::Format;

use poll::{PollSource, PollState};

/// The path events are posted to.
pub const INJECT_PATH: &str = "/Marti/api/injectors/cot/uid";
/// The largest poll answer read (8 MiB); a larger one is skipped.
pub const MAX_ANSWER: usize = 8 << 20;
/// The overall limit on one request: connecting, sending, and reading the whole answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// What the reader and writer of every link share, fixed for the client's life.
#[derive(Debug)]
pub(crate) struct Settings {
    /// `https://host:port` or `http://host:port`.
    pub(crate) base: String,
    pub(crate) uid: String,
    pub(crate) interval: Duration,
    pub(crate) seconds_ago: Duration,
    pub(crate) max_event: usize,
    pub(crate) max_answer: usize,
    pub(crate) reconnect: ReconnectSettings,
}

/// Makes Marti links: an HTTP agent shared by a poller and a poster.
#[derive(Debug)]
pub struct MartiConnector {
    settings: Arc<Settings>,
    tls: Option<crate::tls::TlsClient>,
    state: Arc<Mutex<PollState>>,
    timeout: Duration,
    describe: String,
}

impl MartiConnector {
    /// A connector for `config.cot_url` (`marti://` or `marti+http://`). The TLS material
    /// is read and checked here.
    pub fn new(config: &Config) -> Result<Self> {
        let url = &config.cot_url;
        let https = match url.scheme() {
            Scheme::Marti => true,
            Scheme::MartiHttp => false,
            other => {
                return Err(Error::url(
                    url.to_string(),
                    format!("not a Marti URL (scheme {other})"),
                ));
            }
        };
        let tls = if https {
            Some(crate::tls::client_config(&config.tls, url.host())?)
        } else {
            None
        };
        let host = if url.host().contains(':') {
            format!("[{}]", url.host())
        } else {
            url.host().to_string()
        };
        let base = format!(
            "{}://{host}:{}",
            if https { "https" } else { "http" },
            url.port()
        );
        Ok(MartiConnector {
            settings: Arc::new(Settings {
                base,
                uid: config.marti_uid().to_string(),
                interval: config.marti_poll_interval,
                seconds_ago: config.marti_poll_seconds_ago,
                max_event: config.max_event_size,
                max_answer: MAX_ANSWER,
                reconnect: config.reconnect.clone(),
            }),
            tls,
            state: Arc::new(Mutex::new(PollState::default())),
            timeout: REQUEST_TIMEOUT,
            describe: url.to_string(),
        })
    }

    /// Sets the overall limit on each request (default [`REQUEST_TIMEOUT`]).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the largest poll answer read (default [`MAX_ANSWER`]).
    pub fn max_answer(mut self, bytes: usize) -> Self {
        if let Some(s) = Arc::get_mut(&mut self.settings) {
            s.max_answer = bytes;
        }
        self
    }
}

impl Connector for MartiConnector {
    fn connect(&mut self) -> Result<Link> {
        // HTTP needs no connection up front: the first poll and post make one.
        let agent = https::agent(self.tls.clone(), self.timeout);
        let link = Arc::new(LinkState::default());
        let closer: Closer = {
            let (link, agent) = (link.clone(), agent.clone());
            Arc::new(move || {
                link.close();
                // Interrupts a request blocked on the network.
                agent.clone().shutdown();
            })
        };
        let source = PollSource {
            agent: agent.clone(),
            settings: self.settings.clone(),
            state: self.state.clone(),
            link: link.clone(),
            failures: 0,
            backoff: Backoff::new(self.settings.reconnect.clone()),
            next: None,
        };
        let sink = InjectSink {
            agent,
            settings: self.settings.clone(),
            link,
            body: Vec::new(),
        };
        Ok(Link {
            source: Some(Box::new(source) as Box<dyn Source>),
            sink: Some(Box::new(sink) as Box<dyn Sink>),
            closer,
            forced_format: Some(Format::Xml),
            peer: self.describe.clone(),
        })
    }

    fn reconnects(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn is_fatal_io(&self, e: &io::Error) -> bool {
        e.get_ref().is_some_and(|i| i.is::<Fatal>())
    }
}

/// An error that ends the client: a certificate rejected on either side.
#[derive(Debug)]
struct Fatal(String);

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Fatal {}

/// One link's shared state: whether it is closed, and why.
#[derive(Debug, Default)]
pub(crate) struct LinkState {
    inner: Mutex<LinkInner>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct LinkInner {
    closed: bool,
    /// Why the link ended, if the writer or reader ended it: (text, fatal).
    reason: Option<(String, bool)>,
}

impl LinkState {
    fn lock(&self) -> MutexGuard<'_, LinkInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_all();
    }

    /// Records a failure that ends the link, closes it, and returns the error to report.
    fn fail(&self, text: String, fatal: bool) -> io::Error {
        let mut inner = self.lock();
        if inner.reason.is_none() {
            inner.reason = Some((text, fatal));
        }
        inner.closed = true;
        let err = Self::error_of(&inner);
        drop(inner);
        self.wake.notify_all();
        err
    }

    /// Records a failure that retrying cannot fix (see [`Connector::is_fatal_io`]).
    pub(crate) fn fail_fatal(&self, text: String) -> io::Error {
        self.fail(text, true)
    }

    fn error_of(inner: &LinkInner) -> io::Error {
        match &inner.reason {
            Some((text, true)) => io::Error::other(Fatal(text.clone())),
            Some((text, false)) => io::Error::other(text.clone()),
            None => io::Error::other("the Marti link was closed"),
        }
    }

    /// Fails if the link is closed.
    pub(crate) fn check(&self) -> io::Result<()> {
        let inner = self.lock();
        if inner.closed {
            return Err(Self::error_of(&inner));
        }
        Ok(())
    }

    /// Waits until `at`, failing early if the link is closed.
    pub(crate) fn wait_until(&self, at: Instant) -> io::Result<()> {
        let mut inner = self.lock();
        loop {
            if inner.closed {
                return Err(Self::error_of(&inner));
            }
            let now = Instant::now();
            if now >= at {
                return Ok(());
            }
            inner = match self.wake.wait_timeout(inner, at - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }
}

/// Posts each event to the injector endpoint.
struct InjectSink {
    agent: ureq::Agent,
    settings: Arc<Settings>,
    link: Arc<LinkState>,
    body: Vec<u8>,
}

impl Sink for InjectSink {
    fn send(&mut self, msg: Message<'_>) -> io::Result<()> {
        let xml = match msg {
            Message::Xml(x) => String::from_utf8_lossy(x),
            Message::Tak(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "Marti takes XML events only, not TAK protocol payloads",
                ));
            }
        };
        let payload = serde_json::json!({"uid": self.settings.uid, "toInject": xml.trim()});
        self.body.clear();
        serde_json::to_writer(&mut self.body, &payload).map_err(io::Error::other)?;
        let url = format!("{}{INJECT_PATH}", self.settings.base);
        let result = self
            .agent
            .post(&url)
            .content_type("application/json")
            .send(&self.body[..]);
        match result {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                // Read (a bounded part of) the answer so the connection can be reused.
                let _ = resp.body_mut().with_config().limit(64 * 1024).read_to_vec();
                if (200..300).contains(&status) {
                    Ok(())
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("Marti inject {url}: HTTP {status}"),
                    ))
                }
            }
            Err(e) if https::is_fatal(&e) => Err(self
                .link
                .fail_fatal(format!("posting to {url}: {}", https::describe(&e)))),
            Err(e) => {
                let text = format!("posting to {url}: {}", https::describe(&e));
                Err(self.link.fail(text, false))
            }
        }
    }
}

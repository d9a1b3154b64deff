//! The [`Client`]: threads that move events between the application and a transport.
//!
//! ```text
//!  send() --> [MAX_OUT_QUEUE, drop-oldest] --> writer thread --> transport
//!  recv() <-- [MAX_IN_QUEUE,  drop-oldest] <-- reader thread <-- transport
//! ```
//!
//! A supervisor thread makes the link, runs the reader on it and starts a writer thread for
//! it (no writer for `+ro`). When a stream link fails it is made again with backoff
//! (`PYTAK_RECONNECT*`); the queues belong to the client, not the link, so nothing queued is
//! lost by a reconnect, and an event whose write failed is sent first on the new link.
//!
//! ```no_run
//! use takwire::{Client, Config, Event};
//! let config = Config::builder().set("COT_URL", "tcp://127.0.0.1:8087").build()?;
//! let client = Client::connect(config)?;
//! client.send(Event::position("me", "a-f-G", 1.0, 2.0, std::time::Duration::from_secs(60)))?;
//! while let Some(event) = client.recv_timeout(std::time::Duration::from_secs(1))? {
//!     println!("{}", event.to_xml());
//! }
//! client.shutdown();
//! # Ok::<(), takwire::Error>(())
//! ```

mod backoff;
mod negotiate;
mod reader;
mod supervisor;
mod writer;

pub use backoff::Backoff;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, select};

use crate::config::Config;
use crate::cot::Event;
use crate::error::{Error, Result};
use crate::queue::{DropOldest, SendTimeoutError, drop_oldest_growing};
use crate::stats::{Counters, Stats};
use crate::transport::{Closer, Connector, connector_for};
use crate::wire::Outgoing;

/// How long [`Client::shutdown`] lets the writer send what is still queued.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// State shared by the client's threads.
pub(crate) struct Shared {
    pub config: Config,
    pub counters: Counters,
    pub out_tx: DropOldest<Outgoing>,
    pub out_rx: Receiver<Outgoing>,
    pub in_tx: DropOldest<Event>,
    /// Set once shutdown begins.
    pub stopping: AtomicBool,
    /// Disconnects (all receivers wake) when shutdown begins.
    pub stop_rx: Receiver<()>,
    /// An event whose write failed, to send first on the next link.
    pub pending: Mutex<Option<Outgoing>>,
    /// The closer of the current link.
    pub closer: Mutex<Option<Closer>>,
    /// Why the client stopped by itself, if it did.
    pub fatal: Mutex<Option<String>>,
    pub connected: AtomicBool,
    /// Whether a writer thread is running (shutdown waits for it to drain).
    pub writer_active: AtomicBool,
}

impl Shared {
    pub(crate) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Waits up to `d`; returns true if shutdown began meanwhile.
    pub(crate) fn sleep_unless_stopped(&self, d: Duration) -> bool {
        if d.is_zero() {
            return self.stopping();
        }
        select! {
            recv(self.stop_rx) -> _ => true,
            default(d) => self.stopping(),
        }
    }
}

/// A TAK client: a transport with its reader and writer threads.
///
/// Dropping the client shuts it down, as [`Client::shutdown`] does.
pub struct Client {
    shared: Arc<Shared>,
    in_rx: Receiver<Event>,
    done_rx: Receiver<()>,
    stop_tx: Mutex<Option<Sender<()>>>,
    supervisor: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("cot_url", &self.shared.config.cot_url.to_string())
            .field("stats", &self.stats())
            .finish()
    }
}

impl Client {
    /// Starts a client for `config.cot_url`.
    ///
    /// When the configuration asks for enrollment (a `tak://` link, or
    /// `PYTAK_TLS_CERT_ENROLLMENT_*` with `tls://`), the certificate is enrolled (or taken
    /// from the cache) first: see [`crate::enroll::prepare`].
    ///
    /// The first connection is attempted before this returns: a bad configuration, bad TLS
    /// material or (with `PYTAK_RECONNECT` off) a failed connection is an error here. With
    /// reconnects on, a peer that is down is retried in the background with backoff.
    pub fn connect(config: Config) -> Result<Client> {
        #[cfg(feature = "enroll")]
        {
            let original = config;
            let mut config = original.clone();
            let prepared = crate::enroll::prepare(&mut config)?;
            let result = connector_for(&config).and_then(|c| Client::with_connector(config, c));
            match (result, prepared) {
                // A cached certificate the server no longer accepts: drop it, enroll again
                // once (as PyTAK does on a 403).
                (Err(e), Some(p)) if p.from_cache && crate::enroll::is_rejection(&e) => {
                    log::warn!(
                        "the server rejected the cached certificate ({e}): removing {} and \
                         enrolling again",
                        p.entry.p12.display()
                    );
                    p.entry.remove();
                    let mut config = original;
                    crate::enroll::prepare(&mut config)?;
                    let connector = connector_for(&config)?;
                    Client::with_connector(config, connector)
                }
                (result, _) => result,
            }
        }
        #[cfg(not(feature = "enroll"))]
        {
            let connector = connector_for(&config)?;
            Client::with_connector(config, connector)
        }
    }

    /// Starts a client over a transport of your own (or a test transport).
    pub fn with_connector(config: Config, mut connector: Box<dyn Connector>) -> Result<Client> {
        if config.tak_proto == crate::config::TakProto::Protobuf && !crate::proto::ENABLED {
            return Err(Error::FeatureDisabled {
                what: "TAK_PROTO=1 (TAK protocol version 1, protobuf)".into(),
                feature: "proto",
            });
        }
        if config.debug {
            log::debug!("takwire client for {}", connector.describe());
        }
        let first = match connector.connect() {
            Ok(link) => Some(link),
            Err(e)
                if !connector.reconnects()
                    || !config.reconnect.enabled
                    || crate::transport::is_fatal(&e) =>
            {
                return Err(e);
            }
            Err(e) => {
                log::warn!("{}: {e}; retrying in the background", connector.describe());
                None
            }
        };
        // Growing: a large MAX_OUT_QUEUE or MAX_IN_QUEUE costs memory only when events pile
        // up. The writer reports room to senders waiting for it (notify_room).
        let (out_tx, out_rx) = drop_oldest_growing(config.max_out_queue);
        let (in_tx, in_rx) = drop_oldest_growing(config.max_in_queue);
        let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(0);
        let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(0);
        let shared = Arc::new(Shared {
            config,
            counters: Counters::default(),
            out_tx,
            out_rx,
            in_tx,
            stopping: AtomicBool::new(false),
            stop_rx,
            pending: Mutex::new(None),
            closer: Mutex::new(None),
            fatal: Mutex::new(None),
            connected: AtomicBool::new(false),
            writer_active: AtomicBool::new(false),
        });
        match &first {
            // Register the first link now, so a shutdown that comes before the supervisor
            // thread runs still waits for its writer and can close it.
            Some(link) => {
                if let Ok(mut c) = shared.closer.lock() {
                    *c = Some(link.closer.clone());
                }
                shared
                    .writer_active
                    .store(link.sink.is_some(), Ordering::Release);
            }
            None => Counters::add(&shared.counters.connect_failures, 1),
        }
        let sup_shared = shared.clone();
        let handle = std::thread::Builder::new()
            .name("takwire-supervisor".into())
            .spawn(move || {
                supervisor::run(&sup_shared, connector, first);
                drop(done_tx);
            })
            .map_err(|e| Error::io("starting the supervisor thread", e))?;
        Ok(Client {
            shared,
            in_rx,
            done_rx,
            stop_tx: Mutex::new(Some(stop_tx)),
            supervisor: Mutex::new(Some(handle)),
        })
    }

    /// The configuration the client runs with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Queues an event for sending. Never blocks: when `MAX_OUT_QUEUE` is full, the oldest
    /// queued event is dropped (and counted). Fails only once the client has stopped.
    pub fn send(&self, event: Event) -> Result<()> {
        self.sender().send(event)
    }

    /// Queues CoT XML bytes for sending (verbatim as XML; converted for TAK protocol v1).
    pub fn send_raw(&self, xml: impl Into<Vec<u8>>) -> Result<()> {
        self.sender().send_raw(xml)
    }

    /// A handle for sending from other threads.
    pub fn sender(&self) -> EventSender {
        EventSender {
            tx: self.shared.out_tx.clone(),
            shared: self.shared.clone(),
        }
    }

    /// Waits for the next received event. Events already queued are delivered after the
    /// client stopped; then this returns the reason it stopped.
    pub fn recv(&self) -> Result<Event> {
        select! {
            recv(self.in_rx) -> ev => ev.map_err(|_| self.stopped_error()),
            recv(self.done_rx) -> _ => self.in_rx.try_recv().map_err(|_| self.stopped_error()),
        }
    }

    /// Waits up to `timeout` for the next received event: `Ok(None)` on timeout.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<Event>> {
        select! {
            recv(self.in_rx) -> ev => ev.map(Some).map_err(|_| self.stopped_error()),
            recv(self.done_rx) -> _ => match self.in_rx.try_recv() {
                Ok(ev) => Ok(Some(ev)),
                Err(_) => Err(self.stopped_error()),
            },
            default(timeout) => Ok(None),
        }
    }

    /// The next received event, if one is waiting.
    pub fn try_recv(&self) -> Option<Event> {
        self.in_rx.try_recv().ok()
    }

    /// The received-event channel itself, for `crossbeam_channel::select!` with other
    /// channels. It does not report shutdown: select on [`Client::done`] as well.
    pub fn receiver(&self) -> Receiver<Event> {
        self.in_rx.clone()
    }

    /// A channel that disconnects when the client has stopped (by shutdown or a fatal error).
    pub fn done(&self) -> Receiver<()> {
        self.done_rx.clone()
    }

    /// Whether the client's threads are still running.
    pub fn is_running(&self) -> bool {
        matches!(
            self.done_rx.recv_timeout(Duration::ZERO),
            Err(RecvTimeoutError::Timeout)
        )
    }

    /// Whether a link is up right now.
    pub fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::Acquire)
    }

    /// Why the client stopped by itself (a fatal error), if it did.
    pub fn error(&self) -> Option<String> {
        self.shared.fatal.lock().ok().and_then(|f| f.clone())
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        let pending = self
            .shared
            .pending
            .lock()
            .map(|p| u64::from(p.is_some()))
            .unwrap_or(0);
        self.shared.counters.snapshot(
            self.shared.out_tx.dropped(),
            self.shared.in_tx.dropped(),
            self.shared.out_tx.len() as u64 + pending,
        )
    }

    /// Stops the client: the writer sends what is queued (for up to [`DRAIN_TIMEOUT`]),
    /// then every thread is stopped and joined. Returns the final counters.
    pub fn shutdown(&self) -> Stats {
        self.begin_shutdown();
        // Give the writer its drain time, then cut the link so nothing stays blocked.
        let deadline = std::time::Instant::now() + DRAIN_TIMEOUT;
        while self.shared.writer_active.load(Ordering::Acquire)
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        self.close_link();
        if let Ok(mut s) = self.supervisor.lock()
            && let Some(h) = s.take()
        {
            let _ = h.join();
        }
        self.shared.out_tx.close();
        self.shared.in_tx.close();
        self.stats()
    }

    fn begin_shutdown(&self) {
        self.shared.stopping.store(true, Ordering::Release);
        if let Ok(mut tx) = self.stop_tx.lock() {
            tx.take();
        }
    }

    fn close_link(&self) {
        let closer = self.shared.closer.lock().ok().and_then(|c| c.clone());
        if let Some(c) = closer {
            c();
        }
    }

    fn stopped_error(&self) -> Error {
        match self.error() {
            Some(reason) => Error::Stopped(reason),
            None => Error::Shutdown,
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A cloneable handle that queues events on a client's outgoing channel.
#[derive(Clone)]
pub struct EventSender {
    tx: DropOldest<Outgoing>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EventSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSender")
            .field("queued", &self.tx.len())
            .finish()
    }
}

impl EventSender {
    /// Queues an event; drops the oldest queued event if the queue is full.
    pub fn send(&self, event: Event) -> Result<()> {
        self.send_item(Outgoing::Event(event))
    }

    /// Queues CoT XML bytes; drops the oldest queued event if the queue is full.
    pub fn send_raw(&self, xml: impl Into<Vec<u8>>) -> Result<()> {
        self.send_item(Outgoing::Raw(xml.into()))
    }

    fn send_item(&self, item: Outgoing) -> Result<()> {
        if self.shared.stopping() {
            return Err(Error::Shutdown);
        }
        self.tx.send(item).map_err(|_| Error::Shutdown)
    }

    /// Queues an item, waiting up to `timeout` for room instead of dropping anything: for
    /// sources that must not lose events (a file, stdin). Hands the item back on timeout.
    #[allow(clippy::result_large_err)] // the item is handed back by value, as channels do
    pub fn send_timeout(
        &self,
        item: impl Into<Outgoing>,
        timeout: Duration,
    ) -> std::result::Result<(), SendTimeoutError<Outgoing>> {
        let item = item.into();
        if self.shared.stopping() {
            return Err(SendTimeoutError::Closed(item));
        }
        self.tx.send_timeout(item, timeout)
    }

    /// Events waiting in the outgoing queue.
    pub fn queued(&self) -> usize {
        self.tx.len()
    }
}

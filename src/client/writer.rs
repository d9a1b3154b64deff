//! The writer: events from the outgoing queue go to a link's sink.

use std::io;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, select};

use crate::client::negotiate::{LinkFormat, ToWriter};
use crate::client::{DRAIN_TIMEOUT, Shared};
use crate::cot::Event;
use crate::proto::control::RESPONSE_TIMEOUT;
use crate::stats::Counters;
use crate::transport::{Closer, Sink};
use crate::util::{log_sparingly, random_unit};
use crate::wire::{Encoder, Format, FormatCell, Outgoing};

/// PyTAK's FTS_COMPAT sleeps a random whole number of seconds below this.
const FTS_SLEEP_MAX: f64 = 5.0;

enum Written {
    Ok,
    /// This message could not be sent; the link is fine.
    Skipped,
    /// The link failed; the item is kept to be sent on the next link.
    LinkFailed,
}

/// Writes until the link is over (`link_over` disconnects), it fails, or shutdown (then the
/// queue is drained for up to [`DRAIN_TIMEOUT`]).
///
/// On a link that negotiates TAK protocol, the reader may ask for a request to be sent: the
/// writer sends it and then holds everything else until the reader reports the response,
/// giving the link up if none comes within [`RESPONSE_TIMEOUT`].
pub(crate) fn run(
    shared: &Shared,
    mut sink: Box<dyn Sink>,
    format: &LinkFormat,
    link_over: &Receiver<()>,
    closer: &Closer,
) {
    let mut w = Writer {
        shared,
        sink: sink.as_mut(),
        format: format.cell(),
        enc: Encoder::default(),
    };
    let control = format.writer_rx();
    let config = &shared.config;
    if !config.no_hello {
        let hello = Outgoing::Event(
            Event::builder(config.hello_uid(), "t-x-d-d")
                .stale_after(config.cot_stale)
                .build(),
        );
        if let Written::LinkFailed = w.write(hello, false) {
            closer();
            return;
        }
    }
    let pending = shared.pending.lock().ok().and_then(|mut p| p.take());
    if let Some(item) = pending
        && let Written::LinkFailed = w.write(item, true)
    {
        closer();
        return;
    }
    if w.flush().is_err() {
        closer();
        return;
    }
    // Set while a TAK protocol request waits for its response: until then, send nothing.
    let mut awaiting: Option<Instant> = None;
    loop {
        if let Some(deadline) = awaiting {
            select! {
                recv(control) -> msg => {
                    if let Ok(ToWriter::Settled) = msg {
                        awaiting = None;
                    }
                }
                recv(link_over) -> _ => return,
                recv(shared.stop_rx) -> _ => {
                    // Queued events can go once the format is known; wait briefly for it.
                    let limit = Instant::now() + DRAIN_TIMEOUT;
                    if let Ok(ToWriter::Settled) = control.recv_deadline(limit.min(deadline)) {
                        w.drain();
                    }
                    return;
                }
                default(deadline.saturating_duration_since(Instant::now())) => {
                    log::warn!(
                        "TAK protocol: no response to the protocol request within {} s; dropping the link",
                        RESPONSE_TIMEOUT.as_secs()
                    );
                    closer();
                    return;
                }
            }
            continue;
        }
        select! {
            recv(control) -> msg => {
                if let Ok(ToWriter::Request(request)) = msg {
                    match w.write_control(*request) {
                        Written::LinkFailed => {
                            closer();
                            return;
                        }
                        Written::Ok => awaiting = Some(Instant::now() + RESPONSE_TIMEOUT),
                        Written::Skipped => {}
                    }
                }
            }
            recv(shared.out_rx) -> item => {
                let Ok(item) = item else { return };
                shared.out_tx.notify_room();
                match w.write(item, true) {
                    Written::LinkFailed => {
                        closer();
                        return;
                    }
                    Written::Ok | Written::Skipped => {}
                }
                // Flush when the queue runs empty (batching under load), and before a pause:
                // a transmission must be on the wire before the writer sleeps.
                let pause = pause(shared);
                if (shared.out_rx.is_empty() || pause.is_some()) && w.flush().is_err() {
                    closer();
                    return;
                }
                if let Some(d) = pause {
                    select! {
                        recv(shared.stop_rx) -> _ => {},
                        recv(link_over) -> _ => return,
                        default(d) => {},
                    }
                }
            }
            recv(link_over) -> _ => return,
            recv(shared.stop_rx) -> _ => {
                w.drain();
                return;
            }
        }
    }
}

/// The pause between transmissions: PYTAK_SLEEP, else FTS_COMPAT's random sleep.
fn pause(shared: &Shared) -> Option<Duration> {
    let c = &shared.config;
    if !c.sleep.is_zero() {
        Some(c.sleep)
    } else if c.fts_compat {
        Some(Duration::from_secs(
            (FTS_SLEEP_MAX * random_unit()).floor() as u64
        ))
    } else {
        None
    }
}

struct Writer<'a> {
    shared: &'a Shared,
    sink: &'a mut dyn Sink,
    format: &'a FormatCell,
    enc: Encoder,
}

impl Writer<'_> {
    fn write(&mut self, item: Outgoing, count: bool) -> Written {
        let c = &self.shared.counters;
        let msg = match self.enc.encode(&item, self.format.get()) {
            Ok(m) => m,
            Err(e) => {
                Counters::add(&c.failed, 1);
                log_sparingly(
                    c.failed.load(std::sync::atomic::Ordering::Relaxed),
                    format_args!("cannot send an event: {e}"),
                );
                return Written::Skipped;
            }
        };
        match self.sink.send(msg) {
            Ok(()) => {
                if count {
                    Counters::add(&c.sent, 1);
                }
                Written::Ok
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::InvalidInput) => {
                Counters::add(&c.failed, 1);
                log_sparingly(
                    c.failed.load(std::sync::atomic::Ordering::Relaxed),
                    format_args!("cannot send an event: {e}"),
                );
                Written::Skipped
            }
            Err(e) => {
                log::warn!("write failed: {e}");
                if count && let Ok(mut p) = self.shared.pending.lock() {
                    *p = Some(item);
                }
                Written::LinkFailed
            }
        }
    }

    /// Sends a TAK protocol negotiation event, in XML whatever the format, and flushes it.
    fn write_control(&mut self, request: Event) -> Written {
        let item = Outgoing::Event(request);
        let sent = match self.enc.encode(&item, Format::Xml) {
            Ok(msg) => self.sink.send(msg),
            Err(e) => {
                log::warn!("TAK protocol: cannot encode the protocol request: {e}");
                return Written::Skipped;
            }
        };
        match sent.and_then(|()| self.sink.flush()) {
            Ok(()) => Written::Ok,
            Err(e) => {
                log::warn!("TAK protocol: sending the protocol request failed: {e}");
                Written::LinkFailed
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sink
            .flush()
            .inspect_err(|e| log::warn!("flush failed: {e}"))
    }

    /// At shutdown: send what is queued, for up to DRAIN_TIMEOUT.
    fn drain(&mut self) {
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        while Instant::now() < deadline {
            let Ok(item) = self.shared.out_rx.try_recv() else {
                break;
            };
            self.shared.out_tx.notify_room();
            if let Written::LinkFailed = self.write(item, true) {
                return;
            }
        }
        let _ = self.flush();
    }
}

//! Counters of what a client did, readable at any time.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, shared by a client's threads.
#[derive(Debug, Default)]
pub struct Counters {
    /// Events written to the transport.
    pub sent: AtomicU64,
    /// Events received and queued for the application (or discarded by `+wo`).
    pub received: AtomicU64,
    /// Inbound events read and discarded because of `+wo`.
    pub discarded: AtomicU64,
    /// Inbound messages that could not be decoded, and skipped stretches of bytes.
    pub malformed: AtomicU64,
    /// Outgoing events that could not be encoded or were refused by the peer.
    pub failed: AtomicU64,
    /// Protocol control messages read and consumed (TAK protocol negotiation events on a
    /// TAK_PROTO=1 stream link, TAK protocol `TakControl` messages without an event).
    pub control: AtomicU64,
    /// Connections made after the first one.
    pub reconnects: AtomicU64,
    /// Connection attempts that failed.
    pub connect_failures: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// A snapshot of a client's counters.
///
/// Every event the application handed to the client (each `send` that returned `Ok`) is
/// counted once: `sent + failed + dropped_out + queued_out` equals their number once the
/// client has stopped. (While it runs, an event the writer is in the middle of writing is
/// in none of them yet.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events written to the transport.
    pub sent: u64,
    /// Events received.
    pub received: u64,
    /// Outgoing events dropped because `MAX_OUT_QUEUE` was full.
    pub dropped_out: u64,
    /// Outgoing events not sent yet: waiting in `MAX_OUT_QUEUE`, or kept to be sent first
    /// on the next connection after a write failed.
    pub queued_out: u64,
    /// Incoming events dropped because `MAX_IN_QUEUE` was full.
    pub dropped_in: u64,
    /// Inbound events read and discarded because of `+wo`.
    pub discarded: u64,
    /// Malformed inbound messages (and skipped stretches of garbage).
    pub malformed: u64,
    /// Outgoing events that could not be encoded or were refused by the peer.
    pub failed: u64,
    /// Protocol control messages consumed: TAK protocol negotiation events (TAK_PROTO=1 on a
    /// stream link) and `TakControl` messages without an event. Not delivered as events.
    pub control: u64,
    /// Reconnections.
    pub reconnects: u64,
    /// Failed connection attempts.
    pub connect_failures: u64,
}

impl Counters {
    /// Reads every counter, adding the queues' drop counts and the outgoing backlog.
    pub(crate) fn snapshot(&self, dropped_out: u64, dropped_in: u64, queued_out: u64) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            sent: get(&self.sent),
            received: get(&self.received),
            dropped_out,
            queued_out,
            dropped_in,
            discarded: get(&self.discarded),
            malformed: get(&self.malformed),
            failed: get(&self.failed),
            control: get(&self.control),
            reconnects: get(&self.reconnects),
            connect_failures: get(&self.connect_failures),
        }
    }
}

impl fmt::Display for Stats {
    /// One line: `sent=.. received=.. dropped_out=.. ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sent={} received={} dropped_out={} queued_out={} dropped_in={} discarded={} malformed={} failed={} control={} reconnects={} connect_failures={}",
            self.sent,
            self.received,
            self.dropped_out,
            self.queued_out,
            self.dropped_in,
            self.discarded,
            self.malformed,
            self.failed,
            self.control,
            self.reconnects,
            self.connect_failures
        )
    }
}

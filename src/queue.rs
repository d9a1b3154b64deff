//! Bounded channels that drop their oldest item when full, and count every drop.
//!
//! Built on crossbeam-channel: the producer side holds a receiver clone so it can take the
//! oldest item out when the channel is full. A producer never blocks on [`DropOldest::send`];
//! [`DropOldest::send_timeout`] waits for room instead, for sources that must not lose
//! anything (a file, stdin). [`drop_oldest_growing`] makes a channel whose memory follows
//! what it holds; its consumer calls [`DropOldest::notify_room`] after taking items, so
//! that a producer waiting for room wakes when there is some (a client's writer does).
//!
//! ```
//! let (tx, rx) = takwire::queue::drop_oldest(2);
//! for i in 0..5 {
//!     tx.send(i).unwrap();
//! }
//! assert_eq!(tx.dropped(), 3);
//! assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![3, 4]);
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};

/// The sending side of a drop-oldest channel. Cloning it gives another producer of the same
/// channel.
#[derive(Debug)]
pub struct DropOldest<T> {
    tx: Sender<T>,
    rx: Receiver<T>,
    shared: Arc<Shared>,
    /// The bound of a growing channel (its crossbeam channel is unbounded).
    growing: Option<usize>,
}

impl<T> Clone for DropOldest<T> {
    fn clone(&self) -> Self {
        DropOldest {
            tx: self.tx.clone(),
            rx: self.rx.clone(),
            shared: self.shared.clone(),
            growing: self.growing,
        }
    }
}

#[derive(Debug, Default)]
struct Shared {
    dropped: AtomicU64,
    closed: AtomicBool,
    /// Producers waiting for room in a growing channel, and what wakes them.
    waiting: AtomicUsize,
    room: Mutex<()>,
    room_freed: Condvar,
}

/// How long a producer waiting for room in a growing channel sleeps before it looks again
/// by itself, for consumers that do not call [`DropOldest::notify_room`].
const ROOM_POLL: Duration = Duration::from_millis(20);

/// The channel was closed by its consumer; the item is handed back.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed<T>(pub T);

/// Why [`DropOldest::send_timeout`] did not queue an item; the item is handed back.
#[derive(Debug, PartialEq, Eq)]
pub enum SendTimeoutError<T> {
    /// No room came free in time.
    Timeout(T),
    /// The consumer closed the channel.
    Closed(T),
}

/// Creates a drop-oldest channel holding at most `capacity` items (at least 1).
pub fn drop_oldest<T>(capacity: usize) -> (DropOldest<T>, Receiver<T>) {
    let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
    (
        DropOldest {
            tx,
            rx: rx.clone(),
            shared: Arc::new(Shared::default()),
            growing: None,
        },
        rx,
    )
}

/// Creates a drop-oldest channel like [`drop_oldest`] whose memory follows what it holds:
/// [`drop_oldest`] reserves room for `capacity` items at once (crossbeam's bounded
/// channel), which for a large `MAX_IN_QUEUE` costs memory that is rarely used. With several
/// producers sending at once it may briefly hold one item more per producer; with one (a
/// client's reader thread) it holds at most `capacity`.
pub fn drop_oldest_growing<T>(capacity: usize) -> (DropOldest<T>, Receiver<T>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    (
        DropOldest {
            tx,
            rx: rx.clone(),
            shared: Arc::new(Shared::default()),
            growing: Some(capacity.max(1)),
        },
        rx,
    )
}

impl<T> DropOldest<T> {
    /// Queues `item` without blocking. When the channel is full, the oldest item is taken
    /// out and counted as dropped. Fails only when the channel was closed.
    pub fn send(&self, mut item: T) -> Result<(), Closed<T>> {
        if let Some(capacity) = self.growing {
            if self.is_closed() {
                return Err(Closed(item));
            }
            while self.tx.len() >= capacity {
                if self.rx.try_recv().is_err() {
                    break;
                }
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            }
            return self.tx.send(item).map_err(|e| Closed(e.into_inner()));
        }
        loop {
            if self.is_closed() {
                return Err(Closed(item));
            }
            match self.tx.try_send(item) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(back)) => {
                    item = back;
                    if self.rx.try_recv().is_ok() {
                        self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(TrySendError::Disconnected(back)) => return Err(Closed(back)),
            }
        }
    }

    /// Queues `item`, waiting up to `timeout` for room instead of dropping anything.
    pub fn send_timeout(&self, item: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        let deadline = Instant::now() + timeout;
        if let Some(capacity) = self.growing {
            loop {
                if self.is_closed() {
                    return Err(SendTimeoutError::Closed(item));
                }
                if self.tx.len() < capacity {
                    return self
                        .tx
                        .send(item)
                        .map_err(|e| SendTimeoutError::Closed(e.into_inner()));
                }
                let now = Instant::now();
                if now >= deadline {
                    return Err(SendTimeoutError::Timeout(item));
                }
                self.wait_for_room(capacity, (deadline - now).min(ROOM_POLL));
            }
        }
        let mut item = item;
        // Wait in short slices so that closing the channel is noticed promptly.
        loop {
            if self.is_closed() {
                return Err(SendTimeoutError::Closed(item));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(SendTimeoutError::Timeout(item));
            }
            let slice = (deadline - now).min(Duration::from_millis(100));
            match self.tx.send_timeout(item, slice) {
                Ok(()) => return Ok(()),
                Err(crossbeam_channel::SendTimeoutError::Timeout(back)) => item = back,
                Err(crossbeam_channel::SendTimeoutError::Disconnected(back)) => {
                    return Err(SendTimeoutError::Closed(back));
                }
            }
        }
    }

    /// Sleeps until a consumer reports room ([`notify_room`](Self::notify_room)), the
    /// channel closes, or `at_most` passes.
    fn wait_for_room(&self, capacity: usize, at_most: Duration) {
        let shared = &self.shared;
        shared.waiting.fetch_add(1, Ordering::SeqCst);
        // Pairs with the fence in notify_room: either the consumer sees this producer
        // waiting, or this producer sees the room the consumer made.
        fence(Ordering::SeqCst);
        if let Ok(guard) = shared.room.lock()
            && self.tx.len() >= capacity
            && !self.is_closed()
        {
            let _ = shared.room_freed.wait_timeout(guard, at_most);
        }
        shared.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    /// For the consumer of a growing channel, after it took items out: wakes producers
    /// waiting in [`send_timeout`](Self::send_timeout) once the channel is at most half
    /// full (so that a full channel wakes them once per half-channel of items, not once
    /// per item). Costs one atomic load when nobody waits.
    pub fn notify_room(&self) {
        fence(Ordering::SeqCst);
        let Some(capacity) = self.growing else {
            return;
        };
        if self.shared.waiting.load(Ordering::SeqCst) > 0 && self.tx.len() <= capacity / 2 {
            let _guard = self.shared.room.lock();
            self.shared.room_freed.notify_all();
        }
    }

    /// How many items were dropped to make room, since the channel was made.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.tx.len()
    }

    /// Whether no items are waiting.
    pub fn is_empty(&self) -> bool {
        self.tx.is_empty()
    }

    /// The capacity.
    pub fn capacity(&self) -> usize {
        self.growing
            .unwrap_or_else(|| self.tx.capacity().unwrap_or(usize::MAX))
    }

    /// Closes the channel: later sends fail. Items already queued stay readable.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        let _guard = self.shared.room.lock();
        self.shared.room_freed.notify_all();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn growing_keeps_the_newest_counts_drops_and_waits_for_room() {
        let (tx, rx) = drop_oldest_growing(3);
        assert_eq!(tx.capacity(), 3);
        for i in 0..10 {
            tx.send(i).unwrap();
        }
        assert_eq!(tx.dropped(), 7);
        assert_eq!(tx.len(), 3);
        assert_eq!(
            tx.send_timeout(10, Duration::from_millis(20)),
            Err(SendTimeoutError::Timeout(10))
        );
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![7, 8, 9]);
        tx.send_timeout(11, Duration::from_millis(20)).unwrap();
        assert_eq!(rx.try_recv(), Ok(11));
        tx.close();
        assert_eq!(tx.send(12), Err(Closed(12)));
        assert_eq!(
            tx.send_timeout(13, Duration::from_millis(20)),
            Err(SendTimeoutError::Closed(13))
        );
        assert_eq!(tx.dropped(), 7);
    }

    #[test]
    fn a_waiting_producer_wakes_when_the_consumer_reports_room() {
        // 20,000 items through a channel of 4, the producer waiting for room each time the
        // channel is full: nothing is lost or reordered, and the consumer's reports wake
        // the producer (waiting out the 20 ms poll each time instead would take minutes).
        let (tx, rx) = drop_oldest_growing(4);
        let producer = {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..20_000u32 {
                    tx.send_timeout(i, Duration::from_secs(30)).unwrap();
                }
            })
        };
        let start = Instant::now();
        let mut got = Vec::with_capacity(20_000);
        while got.len() < 20_000 && start.elapsed() < Duration::from_secs(60) {
            if let Ok(i) = rx.recv_timeout(Duration::from_secs(1)) {
                got.push(i);
                tx.notify_room();
            }
        }
        producer.join().unwrap();
        assert_eq!(got, (0..20_000).collect::<Vec<_>>());
        assert_eq!(tx.dropped(), 0);
        assert!(start.elapsed() < Duration::from_secs(60));
        // Closing wakes a waiting producer too.
        let (tx, _rx) = drop_oldest_growing(1);
        tx.send(0).unwrap();
        let waiter = {
            let tx = tx.clone();
            thread::spawn(move || tx.send_timeout(1, Duration::from_secs(30)))
        };
        thread::sleep(Duration::from_millis(50));
        tx.close();
        assert_eq!(waiter.join().unwrap(), Err(SendTimeoutError::Closed(1)));
    }

    #[test]
    fn keeps_the_newest_and_counts_drops() {
        let (tx, rx) = drop_oldest(3);
        for i in 0..10 {
            tx.send(i).unwrap();
        }
        assert_eq!(tx.dropped(), 7);
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![7, 8, 9]);
    }

    #[test]
    fn several_producers_keep_order_and_exact_count() {
        const PRODUCERS: u64 = 4;
        const EACH: u64 = 20_000;
        let (tx, rx) = drop_oldest::<(u64, u64)>(64);
        let consumer = thread::spawn(move || {
            let mut got = Vec::new();
            while let Ok(item) = rx.recv_timeout(Duration::from_secs(2)) {
                got.push(item);
                if got.len() % 97 == 0 {
                    thread::yield_now();
                }
            }
            got
        });
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let tx = tx.clone();
                thread::spawn(move || {
                    for i in 0..EACH {
                        tx.send((p, i)).unwrap();
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        let dropped = tx.dropped();
        drop(tx);
        let got = consumer.join().unwrap();
        // Every item either arrived or was counted as dropped.
        assert_eq!(got.len() as u64 + dropped, PRODUCERS * EACH);
        // Each producer's items arrive in the order sent.
        for p in 0..PRODUCERS {
            let seq: Vec<u64> = got
                .iter()
                .filter(|(q, _)| *q == p)
                .map(|(_, i)| *i)
                .collect();
            assert!(
                seq.windows(2).all(|w| w[0] < w[1]),
                "producer {p} out of order"
            );
        }
    }

    #[test]
    fn send_timeout_waits_instead_of_dropping() {
        let (tx, rx) = drop_oldest(1);
        tx.send(1).unwrap();
        assert_eq!(
            tx.send_timeout(2, Duration::from_millis(20)),
            Err(SendTimeoutError::Timeout(2))
        );
        let reader = thread::spawn(move || {
            let a = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            let b = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            (a, b)
        });
        tx.send_timeout(3, Duration::from_secs(5)).unwrap();
        assert_eq!(reader.join().unwrap(), (1, 3));
        assert_eq!(tx.dropped(), 0);
    }

    #[test]
    fn closed_channel_refuses() {
        let (tx, _rx) = drop_oldest(1);
        tx.close();
        assert_eq!(tx.send(5), Err(Closed(5)));
        assert_eq!(
            tx.send_timeout(6, Duration::from_secs(1)),
            Err(SendTimeoutError::Closed(6))
        );
    }
}

//! Soak: hours of a flaky server compressed into a bounded run of reconnect cycles.
//!
//! A loopback server accepts and drops connections in every way it can (a clean close after
//! the hello, a reset, a close before anything, a chatty peer, a listener that goes away for
//! a while), and the client reconnects with a tiny backoff while the application sends and
//! receives all the time. Threads (`/proc/self/task`), file descriptors (`/proc/self/fd`)
//! and resident memory must not grow from the first part of the run to the last.
//!
//! Ignored by default (it takes a while):
//!
//! ```text
//! cargo test --release --test soak -- --ignored --nocapture   # TAKWIRE_SOAK_SECS=45 by default
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use takwire::cot::Event;
use takwire::{Client, Config};

fn count_dir(path: &str) -> usize {
    std::fs::read_dir(path).map(|d| d.count()).unwrap_or(0)
}

fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096
}

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    threads: usize,
    fds: usize,
    rss: u64,
}

impl Sample {
    fn now() -> Sample {
        Sample {
            threads: count_dir("/proc/self/task"),
            fds: count_dir("/proc/self/fd"),
            rss: rss(),
        }
    }

    fn max(self, o: Sample) -> Sample {
        Sample {
            threads: self.threads.max(o.threads),
            fds: self.fds.max(o.fds),
            rss: self.rss.max(o.rss),
        }
    }

    fn min(self, o: Sample) -> Sample {
        Sample {
            threads: self.threads.min(o.threads),
            fds: self.fds.min(o.fds),
            rss: self.rss.min(o.rss),
        }
    }
}

/// One server connection, dropped in the way `cycle` picks.
fn serve(s: TcpStream, cycle: u64) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut r = BufReader::new(&s);
    let mut line = String::new();
    match cycle % 4 {
        // Read the hello, then close cleanly.
        0 => {
            let _ = r.read_line(&mut line);
        }
        // Read a few events, then reset the connection.
        1 => {
            for _ in 0..5 {
                line.clear();
                let _ = r.read_line(&mut line);
            }
            let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
        }
        // Close before anything.
        2 => {}
        // Chatty: events, garbage and half an event back, then close.
        _ => {
            let _ = r.read_line(&mut line);
            let ev = Event::position("srv", "a-f-G", 1.0, 2.0, Duration::from_secs(60));
            let mut out = Vec::new();
            for _ in 0..20 {
                out.extend_from_slice(ev.to_xml().as_bytes());
                out.push(b'\n');
            }
            out.extend_from_slice(b"\x00garbage<event uid='half'><detail>");
            let _ = (&s).write_all(&out);
        }
    }
}

#[test]
#[ignore = "soak test: cargo test --test soak -- --ignored (TAKWIRE_SOAK_SECS, default 45)"]
fn reconnect_cycles_do_not_leak_threads_fds_or_memory() {
    let secs: u64 = std::env::var("TAKWIRE_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(45)
        .max(5);
    let run = Duration::from_secs(secs);

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let cycles = Arc::new(AtomicU64::new(0));

    let server = {
        let (stop, cycles) = (stop.clone(), cycles.clone());
        std::thread::spawn(move || {
            let mut listener = Some(listener);
            let mut went_down_at = None;
            while !stop.load(Ordering::Acquire) {
                let n = cycles.load(Ordering::Acquire);
                // Every 25th cycle the listener goes away for a while: connection refused.
                if n % 25 == 24 && went_down_at != Some(n) {
                    went_down_at = Some(n);
                    drop(listener.take());
                    std::thread::sleep(Duration::from_millis(50));
                    listener = TcpListener::bind(("127.0.0.1", port)).ok();
                }
                let Some(l) = &listener else {
                    std::thread::sleep(Duration::from_millis(10));
                    listener = TcpListener::bind(("127.0.0.1", port)).ok();
                    continue;
                };
                l.set_nonblocking(true).unwrap();
                match l.accept() {
                    Ok((s, _)) => {
                        let _ = s.set_nonblocking(false);
                        serve(s, n);
                        cycles.fetch_add(1, Ordering::AcqRel);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        })
    };

    let config = Config::builder()
        .set("COT_URL", format!("tcp://127.0.0.1:{port}"))
        .set("PYTAK_RECONNECT_INITIAL", "0.005")
        .set("PYTAK_RECONNECT_MAX", "0.02")
        .set("PYTAK_RECONNECT_JITTER", "0.2")
        .set("MAX_OUT_QUEUE", "200")
        .set("MAX_IN_QUEUE", "50")
        .build()
        .unwrap();
    let client = Arc::new(Client::connect(config).unwrap());

    // The application: sends all the time, and takes what arrives now and then.
    let accepted = Arc::new(AtomicU64::new(0));
    let app = {
        let (client, stop, accepted) = (client.clone(), stop.clone(), accepted.clone());
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::Acquire) {
                let ev = Event::position(
                    format!("ev-{i}"),
                    "a-f-G",
                    1.0,
                    2.0,
                    Duration::from_secs(60),
                );
                if client.send(ev).is_ok() {
                    accepted.fetch_add(1, Ordering::AcqRel);
                }
                i += 1;
                if i.is_multiple_of(16) {
                    while client.try_recv().is_some() {}
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };

    // Warm up (allocator pools, thread stacks, the first cycles), then measure the first
    // and the last fifth of the run.
    let start = Instant::now();
    let fifth = run / 5;
    // Threads and descriptors are compared by their floor in each window: a sample taken in
    // the middle of a reconnect holds the new link's thread and sockets for a moment, while
    // a leak raises the floor by one per cycle, hundreds over the run.
    let (mut early, mut late) = (Sample::default(), Sample::default());
    let (mut early_floor, mut late_floor) = (None::<Sample>, None::<Sample>);
    let mut early_cycles = 0;
    while start.elapsed() < run {
        std::thread::sleep(Duration::from_millis(100));
        let t = start.elapsed();
        let s = Sample::now();
        if t > fifth && t <= 2 * fifth {
            early = early.max(s);
            early_floor = Some(early_floor.map_or(s, |f| f.min(s)));
            early_cycles = cycles.load(Ordering::Acquire);
        } else if t > run - fifth {
            late = late.max(s);
            late_floor = Some(late_floor.map_or(s, |f| f.min(s)));
        }
    }
    let (early_floor, late_floor) = (
        early_floor.expect("no sample in the early window: run longer"),
        late_floor.expect("no sample in the late window: run longer"),
    );
    let total_cycles = cycles.load(Ordering::Acquire);
    stop.store(true, Ordering::Release);
    app.join().unwrap();
    server.join().unwrap();
    let client = Arc::try_unwrap(client).unwrap();
    let stats = client.shutdown();
    drop(client);

    eprintln!("soak: {secs} s, {total_cycles} server connections, {stats}");
    eprintln!("soak: early {early:?} (floor {early_floor:?})");
    eprintln!("soak: late  {late:?} (floor {late_floor:?})");
    assert!(
        total_cycles >= 50 && stats.reconnects >= 50,
        "too few reconnect cycles to tell: {total_cycles}, {stats}"
    );
    assert!(
        total_cycles - early_cycles >= total_cycles / 4,
        "the cycles stopped early: {early_cycles} of {total_cycles} in the first two fifths"
    );
    // A leak of one per cycle would show as hundreds; allow for a transient one.
    assert!(
        late_floor.threads <= early_floor.threads + 1,
        "threads grew: {early_floor:?} -> {late_floor:?}"
    );
    assert!(
        late_floor.fds <= early_floor.fds + 2,
        "file descriptors grew: {early_floor:?} -> {late_floor:?}"
    );
    assert!(
        late.rss <= early.rss + (4 << 20),
        "memory grew: {early:?} -> {late:?}"
    );
    // Every event the application handed over is accounted for.
    assert_eq!(
        stats.sent + stats.failed + stats.dropped_out + stats.queued_out,
        accepted.load(Ordering::Acquire),
        "{stats}"
    );
    assert!(stats.malformed > 0 && stats.received > 0, "{stats}");
}

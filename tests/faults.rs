//! Fault injection on loopback: a server that dies and comes back, one that never reads, one
//! that stalls in the middle of a message, a name that does not resolve. No panic, no hang,
//! and every event the application handed over is accounted for:
//! `sent + failed + dropped_out + queued_out == accepted` once the client has stopped.
//!
//! The tests here measure this process's memory, so they run one at a time.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use takwire::cot::Event;
use takwire::{Client, Config, Stats};

/// One test at a time: they measure memory and lean on the loopback interface.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn config(url: &str, extra: &[(&str, &str)]) -> Config {
    let mut b = Config::builder()
        .set("COT_URL", url)
        .set("PYTAK_RECONNECT_INITIAL", "0.05")
        .set("PYTAK_RECONNECT_MAX", "0.2")
        .set("PYTAK_RECONNECT_JITTER", "0");
    for (k, v) in extra {
        b = b.set(k, v);
    }
    b.build().unwrap()
}

fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

fn accept(l: &TcpListener) -> TcpStream {
    let (s, _) = l.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

fn event(i: u64) -> Event {
    Event::position(
        format!("ev-{i}"),
        "a-f-G",
        1.0,
        2.0,
        Duration::from_secs(60),
    )
}

/// The index in an `ev-N` uid.
fn index(uid: &str) -> Option<u64> {
    uid.strip_prefix("ev-")?.parse().ok()
}

/// Resident memory of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Runs `f` on a thread and waits at most `limit` for it: a hang fails the test instead of
/// stalling the suite.
fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{what} did not finish within {limit:?}"))
}

/// Every accepted event is in exactly one of the counters.
fn assert_accounted(s: &Stats, accepted: u64) {
    eprintln!("accepted={accepted} {s}");
    assert_eq!(
        s.sent + s.failed + s.dropped_out + s.queued_out,
        accepted,
        "events lost track of: {s}"
    );
}

/// Sends events until the writer is stuck on a full socket: nothing more is written for a
/// while though events wait. Returns how many events were sent.
fn send_until_writer_blocks(client: &Client) -> u64 {
    let mut n = 0;
    let mut last_sent = u64::MAX;
    let mut still = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        for _ in 0..256 {
            client.send(event(n)).unwrap();
            n += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
        let s = client.stats();
        if s.sent == last_sent && s.queued_out > 0 {
            still += 1;
            if still >= 30 {
                return n;
            }
        } else {
            still = 0;
            last_sent = s.sent;
        }
    }
    panic!("the writer never blocked: {}", client.stats());
}

#[test]
fn server_killed_and_restarted_mid_stream_gets_every_later_event() {
    let _s = serial();
    let (l, port) = listener();
    let url = format!("tcp://127.0.0.1:{port}");
    let client = Arc::new(Client::connect(config(&url, &[("MAX_OUT_QUEUE", "100000")])).unwrap());

    // The application sends all the time, one event every millisecond or so.
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (client, next, stop) = (client.clone(), next.clone(), stop.clone());
        std::thread::spawn(move || {
            for i in 0..60_000u64 {
                if stop.load(Ordering::Acquire) {
                    break;
                }
                client.send(event(i)).unwrap();
                next.store(i + 1, Ordering::Release);
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };

    // The first server reads a while, then dies: socket and listener both gone.
    let first = accept(&l);
    let mut r = BufReader::new(&first);
    let mut line = String::new();
    let mut seen = 0;
    while seen < 50 {
        line.clear();
        assert!(r.read_line(&mut line).unwrap() > 0, "first server: closed");
        seen += u64::from(line.contains("uid=\"ev-"));
    }
    drop(r);
    drop(first);
    drop(l);
    common::wait_for(Duration::from_secs(10), || {
        (!client.is_connected()).then_some(())
    })
    .expect("the client never noticed the server died");
    // From here on nothing is written to the dead connection.
    let noticed = next.load(Ordering::Acquire);
    // Down for a while: reconnect attempts fail.
    common::wait_for(Duration::from_secs(10), || {
        (client.stats().connect_failures >= 2).then_some(())
    })
    .expect("no reconnect attempts while the server was down");

    // The server comes back on the same port.
    let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let restarted = next.load(Ordering::Acquire);
    let second = accept(&l);
    common::wait_for(Duration::from_secs(30), || {
        (next.load(Ordering::Acquire) >= restarted + 200).then_some(())
    })
    .expect("the sender stalled");
    stop.store(true, Ordering::Release);
    sender.join().unwrap();
    let last = next.load(Ordering::Acquire) - 1;

    let mut r = BufReader::new(&second);
    let mut uids: Vec<String> = Vec::new();
    let want = format!("ev-{last}");
    while uids.last() != Some(&want) {
        line.clear();
        assert!(
            r.read_line(&mut line).unwrap() > 0,
            "second server: closed before ev-{last}; got {} events",
            uids.len()
        );
        if !line.trim().is_empty() {
            uids.push(Event::from_xml(line.trim().as_bytes()).unwrap().uid);
        }
    }
    // The hello is sent again on the new connection, first.
    assert_eq!(uids[0], "takPing");
    let got: Vec<u64> = uids[1..].iter().map(|u| index(u).unwrap()).collect();
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "out of order or repeated"
    );
    for i in noticed..=last {
        assert!(got.binary_search(&i).is_ok(), "ev-{i} never arrived");
    }
    assert!(restarted >= noticed && last >= restarted + 199);

    let client = Arc::try_unwrap(client).unwrap();
    let stats = within(Duration::from_secs(20), "shutdown", move || {
        client.shutdown()
    });
    assert_eq!(stats.reconnects, 1, "{stats}");
    assert_eq!(stats.dropped_out, 0, "{stats}");
    assert_accounted(&stats, last + 1);
}

#[test]
fn a_server_that_never_reads_bounds_memory_and_drops_the_oldest() {
    let _s = serial();
    let (l, port) = listener();
    let client = Client::connect(config(
        &format!("tcp://127.0.0.1:{port}"),
        &[("MAX_OUT_QUEUE", "64")],
    ))
    .unwrap();
    let server = accept(&l);
    let before = rss();
    // Until the socket buffers are full and the writer is stuck, then as much again.
    let blocked = send_until_writer_blocks(&client);
    let n = 2 * blocked;
    for i in blocked..n {
        client.send(event(i)).unwrap();
    }
    let grown = rss().saturating_sub(before);
    assert!(
        grown < 32 << 20,
        "memory grew by {grown} bytes while the peer did not read"
    );
    let stalled = client.stats();
    assert!(
        stalled.dropped_out > 0 && stalled.queued_out > 0,
        "{stalled}"
    );

    // The server starts reading: whatever the client handed to the socket arrives, and so
    // does the newest of what waited in the queue.
    let reader = std::thread::spawn(move || {
        let mut uids = Vec::new();
        for line in BufReader::new(&server).lines() {
            let line = line.unwrap();
            if !line.trim().is_empty() {
                uids.push(Event::from_xml(line.trim().as_bytes()).unwrap().uid);
            }
        }
        uids
    });
    common::wait_for(Duration::from_secs(30), || {
        (client.stats().queued_out == 0).then_some(())
    })
    .expect("the queue never drained once the server read");
    let stats = within(Duration::from_secs(20), "shutdown", move || {
        client.shutdown()
    });
    let uids = within(Duration::from_secs(20), "reading to the end", move || {
        reader.join().unwrap()
    });
    assert_eq!(uids[0], "takPing");
    let got: Vec<u64> = uids[1..].iter().map(|u| index(u).unwrap()).collect();
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "out of order or repeated"
    );
    assert_eq!(got.last(), Some(&(n - 1)), "the newest event was lost");
    // Exactly: what was written arrived, and everything else was dropped (and counted).
    assert_eq!(got.len() as u64, stats.sent, "{stats}");
    assert_eq!((stats.failed, stats.queued_out), (0, 0), "{stats}");
    assert_eq!(stats.sent + stats.dropped_out, n, "{stats}");
    assert_accounted(&stats, n);
}

#[test]
fn shutdown_while_the_writer_is_blocked_accounts_for_every_event() {
    let _s = serial();
    let (l, port) = listener();
    let client = Client::connect(config(
        &format!("tcp://127.0.0.1:{port}"),
        &[("MAX_OUT_QUEUE", "64")],
    ))
    .unwrap();
    let server = accept(&l);
    let n = send_until_writer_blocks(&client);
    // The peer still does not read; shutdown gives up on the drain and cuts the link.
    let stats = within(Duration::from_secs(20), "shutdown", move || {
        client.shutdown()
    });
    assert!(stats.queued_out > 0, "{stats}");
    assert_accounted(&stats, n);
    drop(server);
}

/// A server that sends a whole event, then `prefix`, and then nothing, while it keeps
/// reading what the client sends.
fn stalls_after(prefix: &'static [u8]) {
    let (l, port) = listener();
    let client = Client::connect(config(&format!("tcp://127.0.0.1:{port}"), &[])).unwrap();
    let mut server = accept(&l);
    // One write: once the whole event is out of the client, the reader has the rest of
    // the write (the cut-off message) in its decoder, whatever the machine's load.
    let mut bytes = event(99).to_xml().into_bytes();
    bytes.extend_from_slice(prefix);
    server.write_all(&bytes).unwrap();
    let first = client.recv_timeout(Duration::from_secs(20)).unwrap();
    assert_eq!(first.map(|e| e.uid).as_deref(), Some("ev-99"));
    // The client's writer is not held up by the stalled reader.
    for i in 0..3 {
        client.send(event(i)).unwrap();
    }
    let read_side = server.try_clone().unwrap();
    let uids: Vec<String> = BufReader::new(&read_side)
        .lines()
        .take(4)
        .map(|l| Event::from_xml(l.unwrap().trim().as_bytes()).unwrap().uid)
        .collect();
    assert_eq!(uids, ["takPing", "ev-0", "ev-1", "ev-2"]);
    assert_eq!(client.try_recv(), None);
    // Shutdown does not wait for the rest of the message.
    let stats = within(Duration::from_secs(20), "shutdown", move || {
        client.shutdown()
    });
    // The cut-off message is reported once the link closes.
    assert_eq!((stats.received, stats.malformed), (1, 1), "{stats}");
    assert_eq!(stats.sent, 3, "{stats}");
    assert_accounted(&stats, 3);
    drop(server);
}

#[test]
fn half_an_xml_event_then_silence() {
    let _s = serial();
    stalls_after(b"<event version='2.0' uid='half' type='a-f-G' time='2026-01-01T00:00:00Z' stale='2026-01-01T00:01:00Z'><point lat='1' lon='2'/><detail><contact callsign=");
}

#[test]
fn half_a_tak_frame_then_silence() {
    let _s = serial();
    // A frame announcing 100 bytes of payload, of which 10 come.
    stalls_after(b"\xbf\x64\x0a\x08\x08\x01\x10\x01\x18\x01\x20\x01");
}

#[test]
fn a_name_that_does_not_resolve_is_a_clear_error() {
    let _s = serial();
    // `.invalid` is reserved (RFC 6761): it never resolves.
    let url = "tcp://takwire-fault-test.invalid:8087";
    let err = within(Duration::from_secs(60), "connect", move || {
        Client::connect(config(url, &[("PYTAK_RECONNECT", "0")])).unwrap_err()
    });
    let text = err.to_string();
    assert!(
        text.contains("takwire-fault-test.invalid") && text.contains("resolving"),
        "{text}"
    );
}

#[test]
fn a_name_that_does_not_resolve_is_retried_and_events_wait() {
    let _s = serial();
    let url = "tcp://takwire-fault-test.invalid:8087";
    let client = within(Duration::from_secs(60), "connect", move || {
        Client::connect(config(url, &[])).unwrap()
    });
    common::wait_for(Duration::from_secs(60), || {
        (client.stats().connect_failures >= 3).then_some(())
    })
    .expect("no retries");
    assert!(client.is_running() && !client.is_connected());
    for i in 0..5 {
        client.send(event(i)).unwrap();
    }
    let stats = within(Duration::from_secs(60), "shutdown", move || {
        client.shutdown()
    });
    assert_eq!((stats.sent, stats.queued_out), (0, 5), "{stats}");
    assert_accounted(&stats, 5);
}

#[test]
fn events_that_cannot_be_sent_are_counted_as_failed() {
    let _s = serial();
    // TAK protocol v1 over UDP is protobuf from the first datagram: raw XML that does not
    // parse cannot be converted, so it fails, while good events are sent.
    let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let port = server.local_addr().unwrap().port();
    let client = Client::connect(config(
        &format!("udp+wo://127.0.0.1:{port}"),
        &[("TAK_PROTO", "1"), ("PYTAK_NO_HELLO", "1")],
    ))
    .unwrap();
    for i in 0..5 {
        client.send(event(i)).unwrap();
        client.send_raw(b"<not-an-event/>".to_vec()).unwrap();
    }
    common::wait_for(Duration::from_secs(10), || {
        let s = client.stats();
        (s.sent + s.failed == 10).then_some(())
    })
    .unwrap_or_else(|| panic!("the writer never got through the queue: {}", client.stats()));
    let stats = within(Duration::from_secs(20), "shutdown", move || {
        client.shutdown()
    });
    assert_eq!((stats.sent, stats.failed), (5, 5), "{stats}");
    assert_accounted(&stats, 10);
    // What was sent is TAK protocol (mesh header bf 01 bf), one datagram an event.
    let mut buf = [0u8; 2048];
    for _ in 0..5 {
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..3.min(n)], b"\xbf\x01\xbf");
    }
}

/// The `takwire` command, sending stdin to a server that never reads, stops promptly on
/// SIGINT and on SIGTERM, exits 0 and prints its counters.
#[test]
fn the_command_stops_on_a_signal_while_the_peer_never_reads() {
    let _s = serial();
    for signal in ["INT", "TERM"] {
        let (l, port) = listener();
        let mut child = common::KillOnDrop(
            std::process::Command::new(env!("CARGO_BIN_EXE_takwire"))
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("MAX_OUT_QUEUE", "64")
                .args(["--tx-only"])
                .arg(format!("tcp://127.0.0.1:{port}"))
                .current_dir(std::env::temp_dir())
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let server = accept(&l);
        // Input without end: events as fast as the command takes them.
        let mut stdin = child.0.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || {
            let line = event(0).to_xml() + "\n";
            let chunk = line.repeat(100);
            while stdin.write_all(chunk.as_bytes()).is_ok() {}
        });
        // Long enough to fill the socket buffers and block the writer.
        std::thread::sleep(Duration::from_secs(2));
        assert!(child.0.try_wait().unwrap().is_none(), "exited early");
        let pid = child.0.id().to_string();
        assert!(
            std::process::Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = common::wait_for(Duration::from_secs(20), || child.0.try_wait().unwrap())
            .unwrap_or_else(|| panic!("no exit within 20 s of SIG{signal}"));
        let mut err = String::new();
        child
            .0
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(status.success(), "SIG{signal}: exit {status:?}: {err}");
        assert!(err.contains("sent=") && err.contains("dropped="), "{err}");
        feeder.join().unwrap();
        drop(server);
    }
}

/// A listener that, for each connection, reads the start of the TLS handshake (the
/// ClientHello) and then resets the connection (RST, not a clean close).
fn resetting_tls_peer(l: TcpListener, connections: u64) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut served = 0;
        l.set_nonblocking(false).unwrap();
        while served < connections {
            let Ok((s, _)) = l.accept() else { break };
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut hello = [0u8; 5];
            // A TLS record header: 0x16 (handshake), version, length.
            let _ = (&s).read_exact(&mut hello);
            assert_eq!(hello[0], 0x16, "not a TLS ClientHello");
            let sock = socket2::SockRef::from(&s);
            sock.set_linger(Some(Duration::ZERO)).unwrap();
            drop(s);
            served += 1;
        }
        served
    })
}

#[test]
fn a_tls_peer_that_resets_during_the_handshake_is_a_clear_error() {
    let _s = serial();
    let (l, port) = listener();
    let peer = resetting_tls_peer(l, 1);
    let url = format!("tls://127.0.0.1:{port}");
    let err = within(Duration::from_secs(30), "connect", move || {
        Client::connect(config(
            &url,
            &[("PYTAK_RECONNECT", "0"), ("PYTAK_TLS_DONT_VERIFY", "1")],
        ))
        .unwrap_err()
    });
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(
        text.to_lowercase().contains("reset") || text.contains("handshake"),
        "{text}"
    );
    assert_eq!(peer.join().unwrap(), 1);
}

#[test]
fn a_tls_peer_that_resets_during_the_handshake_is_retried_and_events_wait() {
    let _s = serial();
    let (l, port) = listener();
    let peer = resetting_tls_peer(l, 3);
    let url = format!("tls://127.0.0.1:{port}");
    let client = Client::connect(config(&url, &[("PYTAK_TLS_DONT_VERIFY", "1")])).unwrap();
    common::wait_for(Duration::from_secs(30), || {
        (client.stats().connect_failures >= 3).then_some(())
    })
    .unwrap_or_else(|| panic!("no retries: {}", client.stats()));
    assert!(client.is_running() && !client.is_connected());
    for i in 0..5 {
        client.send(event(i)).unwrap();
    }
    let stats = within(Duration::from_secs(30), "shutdown", move || {
        client.shutdown()
    });
    assert_eq!((stats.sent, stats.queued_out), (0, 5), "{stats}");
    assert_accounted(&stats, 5);
    assert_eq!(peer.join().unwrap(), 3);
}

//! The client over TCP against a loopback test server.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use takwire::cot::Event;
use takwire::{Client, Config};

fn config(url: &str, extra: &[(&str, &str)]) -> Config {
    let mut b = Config::builder()
        .set("COT_URL", url)
        .set("PYTAK_RECONNECT_INITIAL", "0.05");
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
    l.set_nonblocking(false).unwrap();
    let (s, _) = l.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads newline-separated events until `n` have arrived.
fn read_events(s: &TcpStream, n: usize) -> Vec<Event> {
    let mut r = BufReader::new(s);
    let mut out = Vec::new();
    let mut line = String::new();
    while out.len() < n {
        line.clear();
        let got = r.read_line(&mut line).unwrap();
        assert!(got > 0, "peer closed after {} events", out.len());
        if line.trim().is_empty() {
            continue;
        }
        out.push(Event::from_xml(line.trim().as_bytes()).unwrap());
    }
    out
}

#[test]
fn sends_hello_then_events_and_receives() {
    let (l, port) = listener();
    let client = Client::connect(config(&format!("tcp://127.0.0.1:{port}"), &[])).unwrap();
    let server = accept(&l);
    let ev = Event::position("unit-1", "a-f-G-U-C", 1.5, -2.25, Duration::from_secs(60));
    client.send(ev.clone()).unwrap();
    let got = read_events(&server, 2);
    assert_eq!(got[0].cot_type, "t-x-d-d");
    assert_eq!(got[0].uid, "takPing");
    assert_eq!(got[1], ev);

    let from_server = Event::position("srv", "a-h-G", 3.0, 4.0, Duration::from_secs(60));
    (&server)
        .write_all(from_server.to_xml().as_bytes())
        .unwrap();
    let received = client
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .unwrap();
    assert_eq!(received, from_server);
    let stats = client.shutdown();
    assert_eq!((stats.sent, stats.received, stats.malformed), (1, 1, 0));
}

#[test]
fn no_hello_and_read_only() {
    let (l, port) = listener();
    let client = Client::connect(config(&format!("tcp+ro://127.0.0.1:{port}"), &[])).unwrap();
    let mut server = accept(&l);
    // +ro: no writer, so not even the hello is sent.
    client.send(Event::hello(Duration::from_secs(1))).unwrap();
    server
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert!(server.read(&mut buf).is_err(), "+ro must not write");
    client.shutdown();

    let (l, port) = listener();
    let client = Client::connect(config(
        &format!("tcp://127.0.0.1:{port}"),
        &[("PYTAK_NO_HELLO", "1")],
    ))
    .unwrap();
    let server = accept(&l);
    let ev = Event::position("u", "a-f-G", 0.0, 0.0, Duration::from_secs(5));
    client.send(ev.clone()).unwrap();
    assert_eq!(read_events(&server, 1)[0], ev);
    client.shutdown();
}

#[test]
fn refused_connection_is_an_error_without_reconnect() {
    let (l, port) = listener();
    drop(l);
    let e = Client::connect(config(
        &format!("tcp://127.0.0.1:{port}"),
        &[("PYTAK_RECONNECT", "0")],
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("connecting to tcp://127.0.0.1") && e.contains("refused"),
        "{e}"
    );
}

/// Tests that measure this process's memory take this lock, so they do not see each
/// other's allocations.
static MEMORY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Resident memory of this process in bytes (Linux).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[test]
fn write_only_drains_a_chatty_server_and_delivers_nothing() {
    let _serial = MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    let (l, port) = listener();
    let client = Client::connect(config(&format!("tcp+wo://127.0.0.1:{port}"), &[])).unwrap();
    let server = accept(&l);
    let before = rss();
    let event =
        Event::position("chatty", "a-f-G", 1.0, 1.0, Duration::from_secs(60)).to_xml() + "\n";
    let chunk = event.repeat(1000);
    let mut w = &server;
    // ~50 MB: the client must read it all (or the write would block) and keep none of it.
    let rounds = 50 * 1024 * 1024 / chunk.len();
    for _ in 0..rounds {
        w.write_all(chunk.as_bytes()).unwrap();
    }
    let expected = (rounds * 1000) as u64;
    let drained = common::wait_for(Duration::from_secs(30), || {
        (client.stats().discarded == expected).then_some(())
    });
    assert!(
        drained.is_some(),
        "discarded {} of {expected}",
        client.stats().discarded
    );
    assert!(client.try_recv().is_none(), "+wo must not deliver");
    let grown = rss().saturating_sub(before);
    assert!(grown < 40 << 20, "memory grew by {grown} bytes");
    let s = client.shutdown();
    assert_eq!(s.received, 0);
}

#[test]
fn garbage_half_events_and_a_huge_line_are_skipped() {
    let _serial = MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    let (l, port) = listener();
    // No hello: the server never reads, and unread data would turn its close into a reset
    // (which makes the kernel drop the half event before the client reads it).
    let client = Client::connect(config(
        &format!("tcp://127.0.0.1:{port}"),
        &[("TAKWIRE_MAX_EVENT_SIZE", "65536"), ("PYTAK_NO_HELLO", "1")],
    ))
    .unwrap();
    let server = accept(&l);
    let mut w = &server;
    w.write_all(b"\x00\xffrandom garbage\n<html>not cot</html>")
        .unwrap();
    // 100 MB with no end tag: skipped while it streams, memory stays bounded.
    let before = rss();
    w.write_all(b"<event uid='huge' type='a' time='2026-01-01T00:00:00Z' stale='2026-01-01T00:00:00Z'><point lat='0' lon='0'/><detail><remarks>").unwrap();
    let filler = vec![b'x'; 1 << 20];
    for _ in 0..100 {
        w.write_all(&filler).unwrap();
    }
    w.write_all(b"</remarks></detail></event>").unwrap();
    let good = Event::position("good", "a-f-G", 5.0, 6.0, Duration::from_secs(60));
    w.write_all(good.to_xml().as_bytes()).unwrap();
    let got = client.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(got, Some(good));
    let grown = rss().saturating_sub(before);
    assert!(grown < 40 << 20, "memory grew by {grown} bytes");
    assert!(client.stats().malformed >= 2, "{}", client.stats());
    // Half an event, then the peer closes: counted, and the client reconnects.
    w.write_all(b"<event uid='cut' type='a'><detail>").unwrap();
    drop(server);
    let again = accept(&l);
    let after = Event::position("after", "a-f-G", 7.0, 8.0, Duration::from_secs(60));
    (&again).write_all(after.to_xml().as_bytes()).unwrap();
    assert_eq!(
        client.recv_timeout(Duration::from_secs(10)).unwrap(),
        Some(after)
    );
    let s = client.shutdown();
    assert!(s.malformed >= 3 && s.reconnects == 1, "{s}");
}

#[test]
fn events_queued_while_down_are_sent_after_reconnect() {
    let (l, port) = listener();
    let client = Client::connect(config(
        &format!("tcp://127.0.0.1:{port}"),
        &[("PYTAK_NO_HELLO", "1")],
    ))
    .unwrap();
    let first = accept(&l);
    client
        .send(Event::position(
            "one",
            "a",
            0.0,
            0.0,
            Duration::from_secs(60),
        ))
        .unwrap();
    assert_eq!(read_events(&first, 1)[0].uid, "one");
    drop(first);
    // The link is down until we accept again; these wait in the queue.
    common::wait_for(Duration::from_secs(5), || {
        (!client.is_connected()).then_some(())
    });
    for i in 0..5 {
        client
            .send(Event::position(
                format!("queued-{i}"),
                "a",
                0.0,
                0.0,
                Duration::from_secs(60),
            ))
            .unwrap();
    }
    let second = accept(&l);
    let got: Vec<String> = read_events(&second, 5).into_iter().map(|e| e.uid).collect();
    assert_eq!(
        got,
        (0..5).map(|i| format!("queued-{i}")).collect::<Vec<_>>()
    );
    let s = client.shutdown();
    assert_eq!((s.sent, s.reconnects), (6, 1));
}

#[test]
fn shutdown_does_not_hang_on_a_silent_peer() {
    let (l, port) = listener();
    let client = Client::connect(config(&format!("tcp://127.0.0.1:{port}"), &[])).unwrap();
    let _server = accept(&l);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        client.shutdown();
        drop(client);
        let _ = tx.send(());
    });
    assert!(
        rx.recv_timeout(Duration::from_secs(10)).is_ok(),
        "shutdown hung"
    );
}

#[test]
fn a_dead_server_is_retried_in_the_background() {
    let (l, port) = listener();
    drop(l);
    let client = Client::connect(config(&format!("tcp://127.0.0.1:{port}"), &[])).unwrap();
    // Nothing listens: attempts fail and are counted, the client keeps trying.
    common::wait_for(Duration::from_secs(5), || {
        (client.stats().connect_failures >= 3).then_some(())
    })
    .expect("no retries");
    assert!(client.is_running() && !client.is_connected());
    // Bring the server up: the client connects and sends what was queued.
    client
        .send(Event::position(
            "late",
            "a",
            0.0,
            0.0,
            Duration::from_secs(60),
        ))
        .unwrap();
    let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let server = accept(&l);
    let got = read_events(&server, 2);
    assert_eq!(got[1].uid, "late");
    client.shutdown();
}

#[test]
fn an_immediate_shutdown_still_sends_the_hello_and_the_queue() {
    // Regression: shutdown before the supervisor thread ran used to skip the first link.
    for _ in 0..20 {
        let (l, port) = listener();
        let client = Client::connect(config(&format!("tcp://127.0.0.1:{port}"), &[])).unwrap();
        client
            .send(Event::position(
                "queued",
                "a",
                0.0,
                0.0,
                Duration::from_secs(60),
            ))
            .unwrap();
        let stats = client.shutdown();
        let server = accept(&l);
        let got = read_events(&server, 2);
        assert_eq!(
            (got[0].uid.as_str(), got[1].uid.as_str()),
            ("takPing", "queued")
        );
        assert_eq!(stats.sent, 1);
    }
}

/// Arrival times of `n` events read from `s`.
fn arrival_times(s: &TcpStream, n: usize) -> Vec<std::time::Instant> {
    let mut r = BufReader::new(s);
    let mut out = Vec::new();
    let mut line = String::new();
    while out.len() < n {
        line.clear();
        assert!(r.read_line(&mut line).unwrap() > 0, "closed early");
        if !line.trim().is_empty() {
            out.push(std::time::Instant::now());
        }
    }
    out
}

#[test]
fn pytak_sleep_spaces_transmissions() {
    let (l, port) = listener();
    let client = Client::connect(config(
        &format!("tcp://127.0.0.1:{port}"),
        &[("PYTAK_SLEEP", "0.4"), ("PYTAK_NO_HELLO", "1")],
    ))
    .unwrap();
    let server = accept(&l);
    for i in 0..3 {
        client
            .send(Event::position(
                format!("s{i}"),
                "a",
                0.0,
                0.0,
                Duration::from_secs(60),
            ))
            .unwrap();
    }
    let t = arrival_times(&server, 3);
    for w in t.windows(2) {
        // A lower bound only: a busy machine can make gaps longer, never shorter.
        assert!(
            w[1] - w[0] >= Duration::from_millis(350),
            "gap {:?}",
            w[1] - w[0]
        );
    }
    client.shutdown();
}

#[test]
fn fts_compat_sleeps_whole_random_seconds_and_still_delivers() {
    let (l, port) = listener();
    let client = Client::connect(config(
        &format!("tcp://127.0.0.1:{port}"),
        &[("FTS_COMPAT", "1"), ("PYTAK_NO_HELLO", "1")],
    ))
    .unwrap();
    let server = accept(&l);
    for i in 0..3 {
        client
            .send(Event::position(
                format!("f{i}"),
                "a",
                0.0,
                0.0,
                Duration::from_secs(60),
            ))
            .unwrap();
    }
    // PyTAK's FTS_COMPAT waits int(5 * random()) seconds: 0 to 4 whole seconds per event.
    let got = read_events(&server, 3);
    assert_eq!(
        got.iter().map(|e| e.uid.as_str()).collect::<Vec<_>>(),
        ["f0", "f1", "f2"]
    );
    client.shutdown();
}

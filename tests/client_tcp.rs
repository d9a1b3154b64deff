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
    assert_eq!(got[0].uid, client.config().host_id);
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

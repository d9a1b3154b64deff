//! Interop: takwire and PyTAK 7.6.1's own `ws://` client (`pytak.ws_factory`, aiohttp and
//! takproto) on one WebSocket TAK endpoint that relays binary messages between its clients
//! (`tests/peers/ws_pytak_relay.py`). An event goes each way, and takproto parses every
//! frame takwire sent.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use takwire::cot::Event;
use takwire::{Client, Config};

const WAIT: Duration = Duration::from_secs(20);

/// Waits for the next stdout line of the peer that starts with `prefix`.
fn line_with(lines: &mpsc::Receiver<String>, prefix: &str, seen: &mut Vec<String>) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(l) => {
                seen.push(l.clone());
                if let Some(rest) = l.strip_prefix(prefix) {
                    return rest.trim().to_string();
                }
            }
            Err(_) => panic!("no {prefix:?} line from the peer; it said: {seen:#?}"),
        }
    }
}

/// Waits until the peer said `exact` (perhaps already).
fn said(lines: &mpsc::Receiver<String>, exact: &str, seen: &mut Vec<String>) {
    while !seen.iter().any(|l| l == exact) {
        line_with(lines, "", seen);
    }
}

#[test]
fn takwire_and_pytak_exchange_events_over_a_websocket() {
    let Some(python) = common::peer_python() else {
        return;
    };
    let mut peer = common::spawn_peer(&python, "ws_pytak_relay.py", &["takwire-to-pytak", "20"]);
    let stdout = peer.0.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let port = line_with(&lines, "PORT ", &mut seen);

    let config = Config::builder()
        .set("COT_URL", format!("ws://127.0.0.1:{port}/takproto/1"))
        .build()
        .unwrap();
    let client = Client::connect(config).unwrap();
    line_with(&lines, "PYTAK_CONNECTED", &mut seen);
    // takproto parsed takwire's hello as it passed the endpoint.
    said(&lines, "FRAME takPing t-x-d-d", &mut seen);

    // PyTAK -> takwire: PyTAK encodes the XML to TAK protocol (takproto, stream framing).
    let from_pytak = Event::position(
        "pytak-to-takwire",
        "a-f-A-M-H",
        45.5,
        -122.75,
        Duration::from_secs(120),
    );
    let mut stdin = peer.0.stdin.take().unwrap();
    writeln!(stdin, "{}", from_pytak.to_xml()).unwrap();
    stdin.flush().unwrap();
    let got = client
        .recv_timeout(WAIT)
        .unwrap()
        .expect("PyTAK's event did not reach takwire");
    assert_eq!(got.uid, "pytak-to-takwire");
    assert_eq!(got.cot_type, "a-f-A-M-H");
    assert_eq!((got.point.lat, got.point.lon), (45.5, -122.75));

    // takwire -> PyTAK.
    let to_pytak = Event::position(
        "takwire-to-pytak",
        "a-f-G-U-C",
        -12.25,
        130.5,
        Duration::from_secs(120),
    );
    client.send(to_pytak.clone()).unwrap();
    let xml = loop {
        let l = line_with(&lines, "PYTAK_RX ", &mut seen);
        if l.contains("takwire-to-pytak") {
            break l;
        }
    };
    let at_pytak = Event::from_xml(xml.as_bytes()).expect("PyTAK's rendering parses");
    assert_eq!(at_pytak.uid, "takwire-to-pytak");
    assert_eq!(at_pytak.cot_type, "a-f-G-U-C");
    assert_eq!((at_pytak.point.lat, at_pytak.point.lon), (-12.25, 130.5));
    said(&lines, "FRAME takwire-to-pytak a-f-G-U-C", &mut seen);
    let stats = client.shutdown();
    assert_eq!((stats.received, stats.malformed), (1, 0), "{stats:?}");
}

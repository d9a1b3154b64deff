//! Interop with independent peers from PyPI: pytak (the reference implementation) over UDP
//! both ways, and pytak and takwire both connected to taky (a TAK server) over TCP.
//!
//! The corpus of real-world events (`tests/corpus/xml`) is what travels; what arrives must
//! equal what was sent (formatting aside, and within taky's rounding of points).

mod common;

use std::io::Write;
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    Compare, KillOnDrop, TempDir, collect_uids, events_from, fresh_corpus, peer_python, same_event,
};
use takwire::{Client, Config, Event};

fn pytak(python: &std::path::Path, args: &[&str], stdin: bool) -> KillOnDrop {
    let child = Command::new(python)
        .args(["-m", "pytak"])
        .args(args)
        .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting pytak");
    KillOnDrop(child)
}

fn client(url: &str) -> Client {
    let config = Config::builder()
        .set("COT_URL", url)
        .set("MAX_IN_QUEUE", "10000")
        .set("PYTAK_RECONNECT_INITIAL", "0.2")
        .build()
        .unwrap();
    Client::connect(config).unwrap()
}

fn uids(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.uid.clone()).collect()
}

fn assert_all_arrived(
    sent: &[Event],
    got: &std::collections::HashMap<String, Event>,
    how: Compare,
) {
    let missing: Vec<&str> = sent
        .iter()
        .filter(|e| !got.contains_key(&e.uid))
        .map(|e| e.uid.as_str())
        .collect();
    assert!(missing.is_empty(), "never arrived: {missing:?}");
    let diffs: Vec<String> = sent
        .iter()
        .filter_map(|e| same_event(e, &got[&e.uid], how).err())
        .collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n\n"));
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn pytak_sends_to_takwire_over_udp() {
    let Some(py) = peer_python() else { return };
    let port = free_udp_port();
    let takwire = client(&format!("udp+ro://127.0.0.1:{port}"));
    let corpus = fresh_corpus();
    let mut p = pytak(
        &py,
        &["--tx-only", &format!("udp+wo://127.0.0.1:{port}")],
        true,
    );
    {
        let mut stdin = p.0.stdin.take().unwrap();
        for e in &corpus {
            stdin.write_all(e.to_xml().as_bytes()).unwrap();
            stdin.write_all(b"\n").unwrap();
        }
    }
    let got = collect_uids(&takwire.receiver(), &uids(&corpus), Duration::from_secs(30));
    assert_all_arrived(&corpus, &got, Compare::EXACT);
    assert_eq!(takwire.stats().malformed, 0);
}

#[test]
fn takwire_sends_to_pytak_over_udp() {
    let Some(py) = peer_python() else { return };
    let port = free_udp_port();
    let mut p = pytak(
        &py,
        &["--rx-only", &format!("udp+ro://127.0.0.1:{port}")],
        false,
    );
    // pytak binds 127.0.0.1:port without address reuse: once our bind fails, it listens.
    common::wait_for(Duration::from_secs(20), || {
        UdpSocket::bind(("127.0.0.1", port)).is_err().then_some(())
    })
    .expect("pytak never bound its port");
    let rx = events_from(p.0.stdout.take().unwrap());
    let takwire = client(&format!("udp+wo://127.0.0.1:{port}"));
    let corpus = fresh_corpus();
    for e in &corpus {
        takwire.send(e.clone()).unwrap();
    }
    let got = collect_uids(&rx, &uids(&corpus), Duration::from_secs(30));
    assert_all_arrived(&corpus, &got, Compare::EXACT);
}

/// Starts taky on a free loopback port, plain TCP, with its files in `dir`.
fn start_taky(py: &std::path::Path, dir: &TempDir) -> (KillOnDrop, u16) {
    let port = common::free_tcp_port();
    let root = dir.path();
    let conf = root.join("taky.conf");
    std::fs::write(
        &conf,
        format!(
            "[taky]\nhostname = localhost\nbind_ip = 127.0.0.1\nroot_dir = {r}\n\n[cot_server]\nport = {port}\n\n[dp_server]\nupload_path = {r}/dp-user\n\n[ssl]\nenabled = false\n",
            r = root.display()
        ),
    )
    .unwrap();
    let child = Command::new(py)
        .args(["-m", "taky.cot", "-c"])
        .arg(&conf)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting taky");
    let taky = KillOnDrop(child);
    assert!(
        common::wait_listening(port, Duration::from_secs(30)),
        "taky did not start"
    );
    (taky, port)
}

/// Events a TAK server routes (pings, hello and protocol control messages are answered or
/// consumed by servers, not forwarded).
fn routable(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .filter(|e| !e.cot_type.starts_with("t-x-"))
        .collect()
}

#[test]
fn pytak_and_takwire_through_taky_over_tcp() {
    let Some(py) = peer_python() else { return };
    let dir = TempDir::new("taky-tcp");
    let (_taky, port) = start_taky(&py, &dir);
    let url = format!("tcp://127.0.0.1:{port}");

    // pytak receives (its hello makes taky forward to it); takwire sends the corpus.
    let mut rx_proc = pytak(&py, &["--rx-only", &url], false);
    let from_pytak = events_from(rx_proc.0.stdout.take().unwrap());
    let takwire = client(&url);
    let corpus = routable(fresh_corpus());
    let want = uids(&corpus);
    // taky forwards only to clients it has heard from: send until pytak has everything.
    let mut got = std::collections::HashMap::new();
    for _ in 0..10 {
        for e in &corpus {
            takwire.send(e.clone()).unwrap();
        }
        for (k, v) in collect_uids(&from_pytak, &want, Duration::from_secs(3)) {
            got.entry(k).or_insert(v);
        }
        if got.len() == want.len() {
            break;
        }
    }
    assert_all_arrived(&corpus, &got, Compare::TAKY);

    // pytak sends (different uids), takwire receives.
    let py_corpus: Vec<Event> = corpus
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.uid = format!("py-{}", e.uid);
            e
        })
        .collect();
    let mut tx_proc = pytak(&py, &["--tx-only", &url], true);
    {
        let mut stdin = tx_proc.0.stdin.take().unwrap();
        for e in &py_corpus {
            stdin.write_all(e.to_xml().as_bytes()).unwrap();
        }
    }
    let got = collect_uids(
        &takwire.receiver(),
        &uids(&py_corpus),
        Duration::from_secs(30),
    );
    assert_all_arrived(&py_corpus, &got, Compare::TAKY);
    assert_eq!(takwire.stats().malformed, 0, "{}", takwire.stats());
}

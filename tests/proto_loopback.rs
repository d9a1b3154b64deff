//! TAK protocol through the real `Client` on loopback.
//!
//! * TCP: a test server that plays TAK Server's side of the negotiation (announce version 1,
//!   answer the request) and relays between a TAK_PROTO=1 sender and a TAK_PROTO=1
//!   receiver; the fallbacks to XML; events held while the request waits for its response.
//! * UDP: a TAK_PROTO=1 sender to a raw socket (mesh framing on the wire) and to a
//!   TAK_PROTO=1 receiver.
//! * One TCP connection carrying XML, protobuf and XML, with control messages and bad
//!   frames among them; bad datagrams to a UDP receiver.

#![cfg(feature = "proto")]

mod common;
mod common_proto;

use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use takwire::cot::Event;
use takwire::framing::{Message, StreamDecoder, write_mesh_frame, write_stream_frame};
use takwire::proto::control::ControlEvent;
use takwire::proto::{decode_event, encode_event};
use takwire::{Client, Config};

use common::{Compare, same_event};

fn config(url: &str, extra: &[(&str, &str)]) -> Config {
    let mut b = Config::builder()
        .set("COT_URL", url)
        .set("PYTAK_RECONNECT_INITIAL", "0.05")
        .set("PYTAK_MULTICAST_LOCAL_ADDR", "127.0.0.1");
    for (k, v) in extra {
        b = b.set(k, v);
    }
    b.build().unwrap()
}

/// Events for the tests: the corpus and the generated ones, with uids made unique.
fn events(tag: &str) -> Vec<Event> {
    let mut v: Vec<Event> = common_proto::corpus()
        .iter()
        .map(|(_, x)| Event::from_xml(x.as_bytes()).unwrap())
        .collect();
    v.extend(common_proto::generated());
    for e in &mut v {
        e.uid = format!("{tag}.{}", e.uid);
    }
    v
}

/// What a test server read: an XML event or a TAK protocol payload (both decoded).
#[derive(Debug)]
enum Got {
    Xml(Event),
    Tak(Event, Vec<u8>),
}

impl Got {
    fn event(&self) -> &Event {
        match self {
            Got::Xml(e) | Got::Tak(e, _) => e,
        }
    }
}

/// One accepted connection, on the server's side.
struct Conn {
    stream: TcpStream,
    dec: StreamDecoder,
    ready: std::collections::VecDeque<Got>,
}

impl Conn {
    fn accept(l: &TcpListener) -> Conn {
        l.set_nonblocking(false).unwrap();
        let (stream, _) = l.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        Conn {
            stream,
            dec: StreamDecoder::new(1 << 20),
            ready: Default::default(),
        }
    }

    /// The next message, or `None` if nothing arrived within `limit`.
    fn next(&mut self, limit: Duration) -> Option<Got> {
        let deadline = Instant::now() + limit;
        loop {
            while let Some(m) = self.dec.next_message() {
                let got = match m.expect("the client sent a bad frame") {
                    Message::Xml(x) => Got::Xml(Event::from_xml(x).unwrap()),
                    Message::Tak(p) => Got::Tak(decode_event(p).unwrap(), p.to_vec()),
                };
                self.ready.push_back(got);
            }
            if let Some(g) = self.ready.pop_front() {
                return Some(g);
            }
            if Instant::now() >= deadline {
                return None;
            }
            match self.dec.read_from(&mut self.stream) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("server read: {e}"),
            }
        }
    }

    fn expect(&mut self, what: &str) -> Got {
        self.next(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("nothing arrived; expected {what}"))
    }

    fn send_xml(&mut self, e: &Event) {
        self.stream.write_all(e.to_xml().as_bytes()).unwrap();
    }

    fn send_tak(&mut self, e: &Event) {
        let mut p = Vec::new();
        encode_event(e, &mut p).unwrap();
        let mut f = Vec::new();
        write_stream_frame(&p, &mut f);
        self.stream.write_all(&f).unwrap();
    }

    fn announce(&mut self, uid: &str, versions: Vec<u32>) {
        self.send_xml(
            &ControlEvent::Support {
                uid: uid.into(),
                versions,
            }
            .to_event(),
        );
    }

    /// Reads until the protocol request; returns it and the events read before it.
    fn until_request(&mut self) -> (ControlEvent, Vec<Got>) {
        let mut before = Vec::new();
        loop {
            let g = self.expect("a t-x-takp-q request");
            match ControlEvent::from_event(g.event()) {
                Some(c @ ControlEvent::Request { .. }) => {
                    assert!(matches!(g, Got::Xml(_)), "the request must be XML");
                    return (c, before);
                }
                _ => before.push(g),
            }
        }
    }

    /// TAK Server's side of a negotiation that it accepts or declines.
    fn negotiate(&mut self, uid: &str, accept: bool) -> Vec<Got> {
        self.announce(uid, vec![1]);
        let (req, before) = self.until_request();
        assert_eq!(
            req,
            ControlEvent::Request {
                uid: uid.into(),
                version: Some(1)
            }
        );
        self.send_xml(
            &ControlEvent::Response {
                uid: uid.into(),
                accepted: accept,
            }
            .to_event(),
        );
        before
    }
}

fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

#[test]
fn tcp_sender_and_receiver_negotiate_and_relay_protobuf() {
    let (l, port) = listener();
    let url = format!("tcp://127.0.0.1:{port}");
    let sender = Client::connect(config(&url, &[("TAK_PROTO", "1")])).unwrap();
    let mut a = Conn::accept(&l);
    let before = a.negotiate("neg-a", true);
    // Before the request, the client spoke XML: its hello.
    assert!(
        matches!(&before[..], [Got::Xml(h)] if h.cot_type == "t-x-d-d"),
        "{before:?}"
    );
    let receiver =
        Client::connect(config(&url, &[("TAK_PROTO", "1"), ("PYTAK_NO_HELLO", "1")])).unwrap();
    let mut b = Conn::accept(&l);
    assert!(b.negotiate("neg-b", true).is_empty());

    let sent = events("tcp");
    for e in &sent {
        sender.send(e.clone()).unwrap();
    }
    // Everything after the response arrives as TAK protocol; relay it to the receiver.
    for e in &sent {
        match a.expect("an event") {
            Got::Tak(got, payload) => {
                same_event(e, &got, Compare::EXACT).unwrap();
                let mut frame = Vec::new();
                write_stream_frame(&payload, &mut frame);
                b.stream.write_all(&frame).unwrap();
            }
            Got::Xml(x) => panic!("XML after the switch: {}", x.uid),
        }
    }
    for e in &sent {
        let got = receiver
            .recv_timeout(Duration::from_secs(10))
            .unwrap()
            .unwrap_or_else(|| panic!("{} did not arrive", e.uid));
        same_event(e, &got, Compare::EXACT).unwrap();
        assert_eq!(
            (&got.version, &got.extra_attrs),
            (&e.version, &e.extra_attrs)
        );
    }
    let (s, r) = (sender.shutdown(), receiver.shutdown());
    assert_eq!((s.sent, s.control, s.malformed), (sent.len() as u64, 2, 0));
    assert_eq!(
        (r.received, r.control, r.malformed),
        (sent.len() as u64, 2, 0)
    );
}

#[test]
fn negotiation_falls_back_to_xml() {
    let probe = |tag: &str| Event::position(tag, "a-f-G", 1.0, 2.0, Duration::from_secs(60));

    // A server that never announces: XML, as TAK_PROTO=0 would send.
    let (l, port) = listener();
    let url = format!("tcp://127.0.0.1:{port}");
    let c = Client::connect(config(&url, &[("TAK_PROTO", "1"), ("PYTAK_NO_HELLO", "1")])).unwrap();
    let mut s = Conn::accept(&l);
    c.send(probe("silent")).unwrap();
    assert!(matches!(s.expect("the probe"), Got::Xml(e) if e.uid == "silent"));
    c.shutdown();

    // A server that declines: one request, then XML.
    let c = Client::connect(config(&url, &[("TAK_PROTO", "1"), ("PYTAK_NO_HELLO", "1")])).unwrap();
    let mut s = Conn::accept(&l);
    s.negotiate("neg-no", false);
    c.send(probe("declined")).unwrap();
    assert!(matches!(s.expect("the probe"), Got::Xml(e) if e.uid == "declined"));
    assert!(
        s.next(Duration::from_millis(300)).is_none(),
        "a second request?"
    );
    assert_eq!(c.shutdown().control, 2);

    // A server that offers only other versions: no request at all.
    let c = Client::connect(config(&url, &[("TAK_PROTO", "1"), ("PYTAK_NO_HELLO", "1")])).unwrap();
    let mut s = Conn::accept(&l);
    s.announce("neg-v2", vec![2, 3]);
    std::thread::sleep(Duration::from_millis(200));
    c.send(probe("v2")).unwrap();
    assert!(matches!(s.expect("the probe"), Got::Xml(e) if e.uid == "v2"));
    assert_eq!(c.shutdown().control, 1);

    // A client with TAK_PROTO=0 ignores the offer and hands it to the application.
    let c = Client::connect(config(&url, &[("PYTAK_NO_HELLO", "1")])).unwrap();
    let mut s = Conn::accept(&l);
    s.announce("neg-0", vec![1]);
    let got = c.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
    assert_eq!(got.cot_type, "t-x-takp-v");
    c.send(probe("xml-only")).unwrap();
    assert!(matches!(s.expect("the probe"), Got::Xml(e) if e.uid == "xml-only"));
    c.shutdown();
}

#[test]
fn a_peer_that_sends_protobuf_unasked_gets_protobuf() {
    let (l, port) = listener();
    let url = format!("tcp://127.0.0.1:{port}");
    let c = Client::connect(config(&url, &[("TAK_PROTO", "1"), ("PYTAK_NO_HELLO", "1")])).unwrap();
    let mut s = Conn::accept(&l);
    let first = Event::position("from-server", "a-h-G", 3.0, 4.0, Duration::from_secs(60));
    s.send_tak(&first);
    let got = c.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
    same_event(&first, &got, Compare::EXACT).unwrap();
    c.send(Event::position(
        "reply",
        "a-f-G",
        1.0,
        2.0,
        Duration::from_secs(60),
    ))
    .unwrap();
    assert!(matches!(s.expect("the reply"), Got::Tak(e, _) if e.uid == "reply"));
    c.shutdown();
}

#[test]
fn events_wait_for_the_response_then_go_as_protobuf() {
    let (l, port) = listener();
    let url = format!("tcp://127.0.0.1:{port}");
    let c = Client::connect(config(&url, &[("TAK_PROTO", "1"), ("PYTAK_NO_HELLO", "1")])).unwrap();
    let mut s = Conn::accept(&l);
    s.announce("neg-wait", vec![1]);
    let (req, before) = s.until_request();
    assert!(before.is_empty());
    assert!(matches!(
        req,
        ControlEvent::Request {
            version: Some(1),
            ..
        }
    ));
    // The request is out: the client must now send nothing until the response.
    for i in 0..3 {
        c.send(Event::position(
            format!("held-{i}"),
            "a-f-G",
            1.0,
            2.0,
            Duration::from_secs(60),
        ))
        .unwrap();
    }
    assert!(
        s.next(Duration::from_millis(500)).is_none(),
        "the client sent before the response"
    );
    s.send_xml(
        &ControlEvent::Response {
            uid: "neg-wait".into(),
            accepted: true,
        }
        .to_event(),
    );
    for i in 0..3 {
        match s.expect("a held event") {
            Got::Tak(e, _) => assert_eq!(e.uid, format!("held-{i}")),
            Got::Xml(e) => panic!("{} came as XML", e.uid),
        }
    }
    c.shutdown();
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn udp_sender_uses_mesh_framing() {
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    sink.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let port = sink.local_addr().unwrap().port();
    let c = Client::connect(config(
        &format!("udp+wo://127.0.0.1:{port}"),
        &[("TAK_PROTO", "1")],
    ))
    .unwrap();
    let sent = events("mesh");
    for e in &sent {
        c.send(e.clone()).unwrap();
    }
    let mut buf = vec![0u8; 70_000];
    let mut got = Vec::new();
    while got.len() < sent.len() + 1 {
        let (n, _) = sink.recv_from(&mut buf).expect("a datagram");
        let d = &buf[..n];
        assert_eq!(&d[..3], &[0xbf, 0x01, 0xbf], "mesh header");
        got.push(decode_event(&d[3..]).unwrap());
    }
    assert_eq!(got[0].cot_type, "t-x-d-d", "the hello comes first");
    for (e, g) in sent.iter().zip(&got[1..]) {
        same_event(e, g, Compare::EXACT).unwrap();
    }
    c.shutdown();
}

#[test]
fn udp_sender_to_udp_receiver() {
    let port = free_udp_port();
    let receiver = Client::connect(config(
        &format!("udp+ro://127.0.0.1:{port}"),
        &[("TAK_PROTO", "1")],
    ))
    .unwrap();
    let sender = Client::connect(config(
        &format!("udp+wo://127.0.0.1:{port}"),
        &[("TAK_PROTO", "1"), ("PYTAK_NO_HELLO", "1")],
    ))
    .unwrap();
    let sent = events("udp");
    let mut got = std::collections::HashMap::new();
    // UDP may drop: send each missing event again, a bounded number of times.
    for _round in 0..5 {
        for e in sent.iter().filter(|e| !got.contains_key(&e.uid)) {
            sender.send(e.clone()).unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while got.len() < sent.len() && Instant::now() < deadline {
            if let Some(e) = receiver.recv_timeout(Duration::from_millis(100)).unwrap() {
                got.insert(e.uid.clone(), e);
            }
        }
        if got.len() == sent.len() {
            break;
        }
    }
    for e in &sent {
        let g = got
            .get(&e.uid)
            .unwrap_or_else(|| panic!("{} never arrived", e.uid));
        same_event(e, g, Compare::EXACT).unwrap();
    }
    sender.shutdown();
    let stats = receiver.shutdown();
    assert_eq!(stats.malformed, 0);
}

#[test]
fn mixed_stream_on_one_connection() {
    let (l, port) = listener();
    // TAK_PROTO=0: the reader still takes every form, by its first byte.
    let c = Client::connect(config(
        &format!("tcp://127.0.0.1:{port}"),
        &[("PYTAK_NO_HELLO", "1")],
    ))
    .unwrap();
    let mut s = Conn::accept(&l);
    let ev = |uid: &str| Event::position(uid, "a-f-G", 1.0, 2.0, Duration::from_secs(60));
    let mut bytes = Vec::new();
    bytes.extend_from_slice(ev("x1").to_xml().as_bytes());
    let mut p = Vec::new();
    encode_event(&ev("p1"), &mut p).unwrap();
    write_stream_frame(&p, &mut bytes);
    bytes.extend_from_slice(b"\n<?xml version=\"1.0\"?>\n");
    bytes.extend_from_slice(ev("x2").to_xml().as_bytes());
    // A TakControl without an event: counted, not delivered.
    write_stream_frame(&[0x0a, 0x04, 0x08, 0x01, 0x10, 0x01], &mut bytes);
    // Not a valid TakMessage (a length past its end): malformed.
    write_stream_frame(&[0x12, 0x40, 0x0a], &mut bytes);
    // A string that is not UTF-8: malformed.
    write_stream_frame(&[0x12, 0x04, 0x2a, 0x02, 0xff, 0xfe], &mut bytes);
    let mut p2 = Vec::new();
    encode_event(&ev("p2"), &mut p2).unwrap();
    write_stream_frame(&p2, &mut bytes);
    bytes.extend_from_slice(ev("x3").to_xml().as_bytes());
    // Written in small pieces, so messages straddle reads.
    for chunk in bytes.chunks(7) {
        s.stream.write_all(chunk).unwrap();
    }
    s.stream.flush().unwrap();
    let mut uids = Vec::new();
    while uids.len() < 5 {
        let Some(e) = c.recv_timeout(Duration::from_secs(10)).unwrap() else {
            panic!("only {uids:?} arrived");
        };
        uids.push(e.uid);
    }
    assert_eq!(uids, ["x1", "p1", "x2", "p2", "x3"]);
    let stats = c.shutdown();
    assert_eq!(
        (stats.received, stats.control, stats.malformed),
        (5, 1, 2),
        "{stats}"
    );
}

#[test]
fn bad_datagrams_are_counted_and_skipped() {
    let port = free_udp_port();
    let c = Client::connect(config(
        &format!("udp+ro://127.0.0.1:{port}"),
        &[("TAK_PROTO", "1")],
    ))
    .unwrap();
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let good = Event::position("good", "a-f-G", 1.0, 2.0, Duration::from_secs(60));
    let mut p = Vec::new();
    encode_event(&good, &mut p).unwrap();
    let mut wrong_version = vec![0xbf, 0x02, 0xbf];
    wrong_version.extend_from_slice(&p);
    let mut bad = Vec::new();
    for payload in [
        &[0x12, 0x7f, 0x00][..],
        &[0x12, 0x04, 0x2a, 0x02, 0xc3, 0x28][..],
    ] {
        let mut d = Vec::new();
        write_mesh_frame(payload, &mut d);
        bad.push(d);
    }
    bad.push(wrong_version);
    let mut good_dgram = Vec::new();
    write_mesh_frame(&p, &mut good_dgram);
    // Bad ones first, then the good one until it arrives (UDP may drop).
    let mut arrived = None;
    for _ in 0..20 {
        for d in &bad {
            s.send_to(d, ("127.0.0.1", port)).unwrap();
        }
        s.send_to(&good_dgram, ("127.0.0.1", port)).unwrap();
        if let Some(e) = c.recv_timeout(Duration::from_millis(250)).unwrap() {
            arrived = Some(e);
            break;
        }
    }
    let e = arrived.expect("the good datagram never arrived");
    same_event(&good, &e, Compare::EXACT).unwrap();
    let stats = c.shutdown();
    assert!(
        stats.malformed >= 3 && stats.malformed.is_multiple_of(3),
        "each bad datagram counts once: {stats}"
    );
}

//! The client over UDP: unicast, multicast, broadcast, +wo and +ro, on loopback.
//!
//! Multicast uses PYTAK_MULTICAST_LOCAL_ADDR=127.0.0.1 so that every datagram stays on the
//! loopback interface.

mod common;

use std::net::UdpSocket;
use std::time::Duration;

use takwire::cot::Event;
use takwire::{Client, Config};

fn config(url: &str, extra: &[(&str, &str)]) -> Config {
    let mut b = Config::builder()
        .set("COT_URL", url)
        .set("PYTAK_MULTICAST_LOCAL_ADDR", "127.0.0.1");
    for (k, v) in extra {
        b = b.set(k, v);
    }
    b.build().unwrap()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn raw_socket() -> (UdpSocket, u16) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let p = s.local_addr().unwrap().port();
    (s, p)
}

fn recv_event(s: &UdpSocket) -> Event {
    let mut buf = vec![0u8; 70_000];
    let (n, _) = s.recv_from(&mut buf).expect("no datagram arrived");
    Event::from_xml(&buf[..n]).unwrap()
}

fn ev(uid: &str) -> Event {
    Event::position(uid, "a-f-G-U-C", 10.5, 20.25, Duration::from_secs(60))
}

/// Sends `ev` to `port` on loopback until the client receives it or a few tries pass
/// (UDP gives no delivery guarantee, and a receiver may still be starting).
fn deliver(client: &Client, port: u16, event: &Event) -> Event {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..20 {
        s.send_to(event.to_xml().as_bytes(), ("127.0.0.1", port))
            .unwrap();
        if let Some(got) = client.recv_timeout(Duration::from_millis(250)).unwrap() {
            return got;
        }
    }
    panic!("event never arrived");
}

#[test]
fn write_only_sends_from_an_unbound_port() {
    let (sink, port) = raw_socket();
    let client = Client::connect(config(&format!("udp+wo://127.0.0.1:{port}"), &[])).unwrap();
    let hello = recv_event(&sink);
    assert_eq!(hello.cot_type, "t-x-d-d");
    client.send(ev("wo-1")).unwrap();
    assert_eq!(recv_event(&sink).uid, "wo-1");
    // +wo opens no receive socket: the port we send to stays free for others to bind.
    let stats = client.shutdown();
    assert_eq!(stats.sent, 1);
}

#[test]
fn two_write_only_senders_side_by_side() {
    let (sink, port) = raw_socket();
    let url = format!("udp+wo://127.0.0.1:{port}");
    let a = Client::connect(config(&url, &[("PYTAK_NO_HELLO", "1")])).unwrap();
    let b = Client::connect(config(&url, &[("PYTAK_NO_HELLO", "1")])).unwrap();
    a.send(ev("a")).unwrap();
    b.send(ev("b")).unwrap();
    let mut uids = vec![recv_event(&sink).uid, recv_event(&sink).uid];
    uids.sort();
    assert_eq!(uids, vec!["a", "b"]);
}

#[test]
fn read_only_receives_and_opens_no_sender() {
    let port = free_udp_port();
    let client = Client::connect(config(&format!("udp+ro://127.0.0.1:{port}"), &[])).unwrap();
    let sent = ev("to-ro");
    assert_eq!(deliver(&client, port, &sent), sent);
    let s = client.shutdown();
    assert!(s.received >= 1 && s.sent == 0);
}

#[test]
fn duplex_unicast_binds_the_port_and_sends_to_it() {
    // As PyTAK does: udp://host:port receives on port and sends to host:port. On one host
    // that means it hears its own events as well as everyone else's.
    let port = free_udp_port();
    let client = Client::connect(config(
        &format!("udp://127.0.0.1:{port}"),
        &[("PYTAK_NO_HELLO", "1")],
    ))
    .unwrap();
    let outside = ev("from-outside");
    assert_eq!(deliver(&client, port, &outside), outside);
    let own = ev("own");
    client.send(own.clone()).unwrap();
    let got = common::wait_for(Duration::from_secs(5), || {
        client
            .recv_timeout(Duration::from_millis(100))
            .unwrap()
            .filter(|e| e.uid == "own")
    });
    assert_eq!(got, Some(own));
}

#[test]
fn multicast_send_and_receive_with_port_sharing() {
    let port = free_udp_port();
    let group = format!("239.2.3.1:{port}");
    // Two listeners on the same group and port (as ATAK and takwire would be).
    let r1 = Client::connect(config(&format!("udp+ro://{group}"), &[])).unwrap();
    let r2 = Client::connect(config(&format!("udp+ro://{group}"), &[])).unwrap();
    let tx = Client::connect(config(
        &format!("udp+wo://{group}"),
        &[("PYTAK_NO_HELLO", "1"), ("PYTAK_MULTICAST_TTL", "1")],
    ))
    .unwrap();
    let e = ev("mcast");
    let mut got = [None, None];
    for _ in 0..20 {
        tx.send(e.clone()).unwrap();
        for (i, r) in [&r1, &r2].iter().enumerate() {
            if got[i].is_none() {
                got[i] = r.recv_timeout(Duration::from_millis(200)).unwrap();
            }
        }
        if got.iter().all(Option::is_some) {
            break;
        }
    }
    if got.iter().any(Option::is_none) {
        panic!("multicast on loopback did not arrive: {got:?} (kernel refuses multicast on lo?)");
    }
    assert_eq!(got[0].as_ref(), Some(&e));
    assert_eq!(got[1].as_ref(), Some(&e));
}

#[test]
fn default_cot_url_works_without_configuration() {
    // The default COT_URL (udp+wo://239.2.3.1:6969), kept on loopback by the interface key.
    let listener = Client::connect(config("udp+ro://239.2.3.1:6969", &[])).unwrap();
    let config = Config::builder()
        .set("PYTAK_MULTICAST_LOCAL_ADDR", "127.0.0.1")
        .build()
        .unwrap();
    assert_eq!(config.cot_url.to_string(), "udp+wo://239.2.3.1:6969");
    let client = Client::connect(config).unwrap();
    let e = ev("default-url");
    let got = common::wait_for(Duration::from_secs(5), || {
        client.send(e.clone()).unwrap();
        listener
            .recv_timeout(Duration::from_millis(200))
            .unwrap()
            .filter(|x| x.uid == "default-url")
    });
    assert_eq!(got, Some(e));
}

#[test]
fn broadcast_on_loopback() {
    let port = free_udp_port();
    let rx = Client::connect(config(
        &format!("udp+broadcast+ro://127.255.255.255:{port}"),
        &[],
    ))
    .unwrap();
    let tx = Client::connect(config(
        &format!("udp+broadcast+wo://127.255.255.255:{port}"),
        &[("PYTAK_NO_HELLO", "1")],
    ))
    .unwrap();
    let e = ev("bcast");
    let got = common::wait_for(Duration::from_secs(5), || {
        tx.send(e.clone()).unwrap();
        rx.recv_timeout(Duration::from_millis(200)).unwrap()
    });
    assert_eq!(got, Some(e));
}

#[test]
fn garbage_and_oversized_datagrams_are_counted_not_fatal() {
    let port = free_udp_port();
    let client = Client::connect(config(
        &format!("udp+ro://127.0.0.1:{port}"),
        &[("TAKWIRE_MAX_EVENT_SIZE", "4096")],
    ))
    .unwrap();
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(b"\x00\x01garbage", ("127.0.0.1", port)).unwrap();
    s.send_to(&[b'<'; 5000], ("127.0.0.1", port)).unwrap();
    s.send_to(b"<event uid='half'><detail>", ("127.0.0.1", port))
        .unwrap();
    s.send_to(&[0xbf, 0x01, 0xbf, 0xff, 0xff], ("127.0.0.1", port))
        .unwrap();
    let good = ev("after-garbage");
    assert_eq!(deliver(&client, port, &good), good);
    let stats = client.stats();
    assert!(stats.malformed >= 3, "{stats}");
    assert!(client.is_running());
}

#[test]
fn an_unusable_multicast_interface_is_a_clear_error() {
    let port = free_udp_port();
    // TEST-NET-3 (203.0.113.0/24) is never an address of this machine.
    let e = Client::connect(
        Config::builder()
            .set("COT_URL", format!("udp+ro://239.2.3.1:{port}"))
            .set("PYTAK_MULTICAST_LOCAL_ADDR", "203.0.113.7")
            .set("PYTAK_RECONNECT", "0")
            .build()
            .unwrap(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("PYTAK_MULTICAST_LOCAL_ADDR") && e.contains("203.0.113.7"),
        "{e}"
    );
}

#[test]
fn oversized_outgoing_event_is_counted_and_the_link_lives() {
    let (sink, port) = raw_socket();
    let client = Client::connect(config(
        &format!("udp+wo://127.0.0.1:{port}"),
        &[("PYTAK_NO_HELLO", "1")],
    ))
    .unwrap();
    let mut big = ev("big");
    big.detail
        .push_element("remarks", &[], Some(&"x".repeat(70_000)));
    client.send(big).unwrap();
    client.send(ev("small")).unwrap();
    assert_eq!(recv_event(&sink).uid, "small");
    let stats = client.shutdown();
    assert_eq!((stats.sent, stats.failed), (1, 1));
}

#[test]
fn empty_datagrams_do_not_end_the_link() {
    let port = free_udp_port();
    let client = Client::connect(config(&format!("udp+ro://127.0.0.1:{port}"), &[])).unwrap();
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..5 {
        s.send_to(b"", ("127.0.0.1", port)).unwrap();
    }
    let good = ev("after-empty");
    assert_eq!(deliver(&client, port, &good), good);
    assert_eq!(client.stats().reconnects, 0);
}

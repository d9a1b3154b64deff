//! `ws://` and `wss://` against a WebSocket TAK endpoint in the test (tungstenite's server
//! side on 127.0.0.1, with rustls and an rcgen PKI for `wss://`): events both ways as TAK
//! protocol v1, pings, text frames, a server's close and the reconnect, handshake refusals,
//! an oversized message, mutual TLS, and a shutdown that does not hang; and a `tak://`
//! COT_URL that enrolls against the test enrollment server (`common_enroll`) and then
//! speaks TAK protocol over `wss://` with the enrolled certificate.

mod common;
mod common_enroll;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use tungstenite::handshake::server::{Request, Response};
use tungstenite::{Bytes, Message, WebSocket};

use common::TempDir;
use takwire::cot::Event;
use takwire::{Client, Config};

const WAIT: Duration = Duration::from_secs(10);

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

type Ws = WebSocket<Box<dyn Stream>>;

/// How the test endpoint answers a connection.
#[derive(Clone, Copy)]
enum Answer {
    /// Accepts the WebSocket.
    Accept,
    /// Answers the upgrade with this HTTP status.
    Status(u16),
    /// Accepts, writing the 101 answer and a first event in one write, so the client
    /// most likely reads both at once.
    AcceptWithEvent,
}

/// A WebSocket TAK endpoint: each accepted WebSocket (with the request path) arrives on
/// `conns`.
struct Endpoint {
    port: u16,
    conns: mpsc::Receiver<Result<(Ws, String), String>>,
}

impl Endpoint {
    fn start(tls: Option<Arc<ServerConfig>>, answer: Answer) -> Endpoint {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, conns) = mpsc::channel();
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                let Ok(sock) = sock else { break };
                sock.set_read_timeout(Some(WAIT)).unwrap();
                let stream: Box<dyn Stream> = match &tls {
                    Some(config) => {
                        let conn = ServerConnection::new(config.clone()).unwrap();
                        Box::new(StreamOwned::new(conn, sock))
                    }
                    None => Box::new(sock),
                };
                let result = serve(stream, answer);
                if tx.send(result).is_err() {
                    break;
                }
            }
        });
        Endpoint { port, conns }
    }

    fn next(&self) -> (Ws, String) {
        self.conns
            .recv_timeout(WAIT)
            .expect("no connection reached the endpoint")
            .expect("the server side of the handshake failed")
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}/takproto/1", self.port)
    }
}

#[allow(clippy::result_large_err)] // tungstenite's callback type
fn serve(mut stream: Box<dyn Stream>, answer: Answer) -> Result<(Ws, String), String> {
    match answer {
        Answer::Accept => {
            let mut path = String::new();
            let ws = tungstenite::accept_hdr(stream, |req: &Request, resp: Response| {
                path = req.uri().path().to_string();
                Ok(resp)
            })
            .map_err(|e| e.to_string())?;
            Ok((ws, path))
        }
        Answer::AcceptWithEvent => {
            let head = read_head(&mut stream)?;
            let key = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("sec-websocket-key")
                        .then(|| value.trim().to_string())
                })
                .ok_or("no Sec-WebSocket-Key")?;
            let path = head.split(' ').nth(1).unwrap_or_default().to_string();
            let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
            let mut out = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            )
            .into_bytes();
            let Message::Binary(first) = framed(&position("first-in-101")) else {
                unreachable!()
            };
            // FIN + binary; a server's frames are not masked.
            out.extend_from_slice(&[0x82, first.len() as u8]);
            out.extend_from_slice(&first);
            stream.write_all(&out).map_err(|e| e.to_string())?;
            stream.flush().map_err(|e| e.to_string())?;
            let ws = WebSocket::from_raw_socket(stream, tungstenite::protocol::Role::Server, None);
            Ok((ws, path))
        }
        Answer::Status(code) => {
            read_head(&mut stream)?;
            let reply = format!("HTTP/1.1 {code} Nope\r\nContent-Length: 0\r\n\r\n");
            stream
                .write_all(reply.as_bytes())
                .map_err(|e| e.to_string())?;
            let _ = stream.flush();
            Err(format!("refused with {code}"))
        }
    }
}

/// Reads an HTTP request head, byte by byte.
fn read_head(stream: &mut Box<dyn Stream>) -> Result<String, String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        if stream.read(&mut byte).map_err(|e| e.to_string())? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

fn config(url: &str, extra: &[(&str, String)]) -> Config {
    let mut b = Config::builder()
        .set("COT_URL", url)
        .set("PYTAK_RECONNECT_INITIAL", "0.05");
    for (k, v) in extra {
        b = b.set(k, v);
    }
    b.build().unwrap()
}

/// The TAK payload of a binary message the endpoint received: `0xbf`, a varint length
/// that matches, then the protobuf.
fn payload(data: &[u8]) -> &[u8] {
    assert_eq!(data.first(), Some(&0xbf), "no TAK header: {data:02x?}");
    let (mut len, mut shift, mut i) = (0usize, 0, 1);
    loop {
        let b = data[i];
        len |= usize::from(b & 0x7f) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    assert_eq!(data.len() - i, len, "the header's length does not match");
    &data[i..]
}

/// Reads the next data message, answering nothing itself; skips pongs.
fn next_event(ws: &mut Ws) -> Event {
    loop {
        match ws.read().expect("reading from the client") {
            Message::Binary(b) => {
                return takwire::proto::decode_event(payload(&b)).expect("a TAK event");
            }
            Message::Pong(_) => continue,
            other => panic!("unexpected message from the client: {other:?}"),
        }
    }
}

/// A binary message with one event, framed as TAK Server and PyTAK frame it.
fn framed(ev: &Event) -> Message {
    let mut body = Vec::new();
    takwire::proto::encode_event(ev, &mut body).unwrap();
    let mut out = vec![0xbf];
    let mut n = body.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(&body);
    Message::Binary(Bytes::from(out))
}

fn recv(client: &Client) -> Event {
    client
        .recv_timeout(WAIT)
        .unwrap()
        .expect("nothing reached the client")
}

fn position(uid: &str) -> Event {
    Event::position(uid, "a-f-G-U-C", 12.5, -33.25, Duration::from_secs(60))
}

/// Both directions on one link: what the endpoint got, decoded and checked field by field.
fn exchange(client: &Client, ws: &mut Ws) {
    let hello = next_event(ws);
    assert_eq!(
        (hello.uid.as_str(), hello.cot_type.as_str()),
        ("takPing", "t-x-d-d")
    );

    let ev = position("ws-unit-1");
    client.send(ev.clone()).unwrap();
    let got = next_event(ws);
    assert_eq!(got.uid, "ws-unit-1");
    assert_eq!(got.cot_type, "a-f-G-U-C");
    assert_eq!((got.point.lat, got.point.lon), (12.5, -33.25));
    assert_eq!(got, ev);

    // XML handed to the client goes out as protobuf too.
    client
        .send_raw(position("raw-xml").to_xml().into_bytes())
        .unwrap();
    assert_eq!(next_event(ws).uid, "raw-xml");

    let from_server = Event::position("srv-1", "a-h-G", 3.0, 4.0, Duration::from_secs(60));
    ws.send(framed(&from_server)).unwrap();
    assert_eq!(recv(client), from_server);
}

#[test]
fn ws_events_both_ways_as_tak_protocol() {
    let ep = Endpoint::start(None, Answer::Accept);
    let client = Client::connect(config(&ep.url("ws"), &[])).unwrap();
    let (mut ws, path) = ep.next();
    assert_eq!(path, "/takproto/1");
    exchange(&client, &mut ws);

    // A ping is answered with a pong carrying the same data.
    ws.send(Message::Ping(Bytes::from_static(b"are you there")))
        .unwrap();
    let pong = match ws.read().unwrap() {
        Message::Pong(p) => p,
        other => panic!("expected a pong, got {other:?}"),
    };
    assert_eq!(&pong[..], b"are you there");

    // An XML event in a text frame, and a bare TakMessage without a header, are read too.
    let xml = Event::position("text-1", "a-n-G", 1.0, 2.0, Duration::from_secs(60));
    ws.send(Message::text(xml.to_xml())).unwrap();
    assert_eq!(recv(&client), xml);
    let bare = Event::position("bare-1", "a-u-G", 5.0, 6.0, Duration::from_secs(60));
    let mut body = Vec::new();
    takwire::proto::encode_event(&bare, &mut body).unwrap();
    ws.send(Message::Binary(Bytes::from(body))).unwrap();
    assert_eq!(recv(&client), bare);
    // A header whose length does not match is reported, and the link goes on.
    ws.send(Message::Binary(Bytes::from_static(&[0xbf, 0x09, 1, 2])))
        .unwrap();
    let after = position("after-bad");
    ws.send(framed(&after)).unwrap();
    assert_eq!(recv(&client), after);

    let stats = client.shutdown();
    assert_eq!((stats.sent, stats.received, stats.malformed), (2, 4, 1));
}

#[test]
fn an_event_sent_with_the_101_answer_is_not_lost() {
    let ep = Endpoint::start(None, Answer::AcceptWithEvent);
    let client = Client::connect(config(&ep.url("ws"), &[])).unwrap();
    let (mut ws, path) = ep.next();
    assert_eq!(path, "/takproto/1");
    assert_eq!(recv(&client).uid, "first-in-101");
    assert_eq!(next_event(&mut ws).uid, "takPing");
    client.shutdown();
}

#[test]
fn a_server_close_ends_the_link_cleanly_and_the_client_reconnects() {
    let ep = Endpoint::start(None, Answer::Accept);
    let client = Client::connect(config(
        &ep.url("ws"),
        &[("PYTAK_NO_HELLO", "1".to_string())],
    ))
    .unwrap();
    let (mut first, _) = ep.next();
    client.send(position("before")).unwrap();
    assert_eq!(next_event(&mut first).uid, "before");
    first.close(None).unwrap();
    // The client answers the close frame: the closing handshake completes.
    let end = loop {
        match first.read() {
            Ok(Message::Close(_)) | Ok(Message::Pong(_)) => continue,
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) => break e,
        }
    };
    assert!(
        matches!(end, tungstenite::Error::ConnectionClosed),
        "closing handshake: {end}"
    );

    let (mut second, _) = ep.next();
    client.send(position("after")).unwrap();
    assert_eq!(next_event(&mut second).uid, "after");
    second.send(framed(&position("srv-after"))).unwrap();
    assert_eq!(recv(&client).uid, "srv-after");
    let stats = client.shutdown();
    assert!(stats.reconnects >= 1, "{stats:?}");
}

#[test]
fn a_refused_handshake_names_the_status() {
    // 404: the path is wrong; retrying cannot help, so connect fails at once.
    let ep = Endpoint::start(None, Answer::Status(404));
    let e = Client::connect(config(&ep.url("ws"), &[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("HTTP 404") && e.contains("101"), "{e}");

    // 503: worth retrying; without reconnects it is the error of connect.
    let ep = Endpoint::start(None, Answer::Status(503));
    let e = Client::connect(config(
        &ep.url("ws"),
        &[("PYTAK_RECONNECT", "0".to_string())],
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("HTTP 503"), "{e}");

    // 503 with reconnects: counted as failed attempts, the client keeps trying.
    let ep = Endpoint::start(None, Answer::Status(503));
    let client = Client::connect(config(&ep.url("ws"), &[])).unwrap();
    common::wait_for(WAIT, || {
        (client.stats().connect_failures >= 2).then_some(())
    })
    .expect("no retries after a 503");
    assert!(!client.is_connected());
    client.shutdown();
}

#[test]
fn an_oversized_message_is_refused_and_the_link_made_again() {
    let ep = Endpoint::start(None, Answer::Accept);
    let client = Client::connect(config(
        &ep.url("ws"),
        &[
            ("PYTAK_NO_HELLO", "1".to_string()),
            ("TAKWIRE_MAX_EVENT_SIZE", "2048".to_string()),
        ],
    ))
    .unwrap();
    let (mut first, _) = ep.next();
    first
        .send(Message::Binary(Bytes::from(vec![0x0a; 100_000])))
        .unwrap();
    let (mut second, _) = ep.next();
    let ok = position("fits");
    second.send(framed(&ok)).unwrap();
    assert_eq!(recv(&client), ok);
    let stats = client.shutdown();
    assert_eq!((stats.received, stats.malformed), (1, 1), "{stats:?}");
    assert!(stats.reconnects >= 1, "{stats:?}");
}

#[test]
fn shutdown_does_not_hang_and_says_goodbye() {
    let ep = Endpoint::start(None, Answer::Accept);
    let client = Client::connect(config(&ep.url("ws"), &[])).unwrap();
    let (mut ws, _) = ep.next();
    assert_eq!(next_event(&mut ws).uid, "takPing");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        client.shutdown();
        drop(client);
        let _ = tx.send(());
    });
    assert!(rx.recv_timeout(WAIT).is_ok(), "shutdown hung");
    // The client sent a close frame before leaving.
    match ws.read() {
        Ok(Message::Close(_)) => {}
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[test]
fn shutdown_does_not_hang_when_the_server_stops_reading() {
    let ep = Endpoint::start(None, Answer::Accept);
    let client = Client::connect(config(
        &ep.url("ws"),
        &[("MAX_OUT_QUEUE", "1000".to_string())],
    ))
    .unwrap();
    // The endpoint never reads: about 25 MB fill every buffer and block the writer.
    let (_ws, _) = ep.next();
    let mut big = position("big");
    big.detail
        .push_raw(&format!("<remarks>{}</remarks>", "x".repeat(50_000)))
        .unwrap();
    for _ in 0..500 {
        client.send(big.clone()).unwrap();
    }
    common::wait_for(WAIT, || (client.stats().sent >= 20).then_some(()))
        .expect("the writer sent nothing");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let stats = client.shutdown();
        drop(client);
        let _ = tx.send(stats);
    });
    let stats = rx
        .recv_timeout(WAIT)
        .expect("shutdown hung on a blocked writer");
    // Not everything fit in the socket buffers: the writer was blocked.
    assert!(stats.sent < 500, "{stats:?}");
}

// ---------------------------------------------------------------- wss://

struct Pki {
    dir: TempDir,
    ca_der: CertificateDer<'static>,
    server: (CertificateDer<'static>, PrivateKeyDer<'static>),
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, "ws test CA");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = p.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(p, ca_key);
    let leaf = |names: Vec<String>, usage| {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(names).unwrap();
        p.distinguished_name
            .push(DnType::CommonName, "ws test leaf");
        p.extended_key_usages = vec![usage];
        let cert = p.signed_by(&key, &issuer).unwrap();
        (cert, key)
    };
    let (server, server_key) = leaf(
        vec!["127.0.0.1".into(), "localhost".into()],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (client, client_key) = leaf(vec![], ExtendedKeyUsagePurpose::ClientAuth);
    let dir = TempDir::new("ws");
    std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.path().join("client.crt"), client.pem()).unwrap();
    std::fs::write(dir.path().join("client.key"), client_key.serialize_pem()).unwrap();
    Pki {
        dir,
        ca_der: ca.der().clone(),
        server: (
            server.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        ),
    }
}

impl Pki {
    fn p(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    fn server_config(&self, mutual: bool) -> Arc<ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let b = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let b = if mutual {
            let mut roots = RootCertStore::empty();
            roots.add(self.ca_der.clone()).unwrap();
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            b.with_client_cert_verifier(v)
        } else {
            b.with_no_client_auth()
        };
        let (cert, key) = &self.server;
        Arc::new(
            b.with_single_cert(vec![cert.clone()], key.clone_key())
                .unwrap(),
        )
    }
}

#[test]
fn wss_with_mutual_tls_exchanges_tak_protocol() {
    let pki = pki();
    let ep = Endpoint::start(Some(pki.server_config(true)), Answer::Accept);
    let client = Client::connect(config(
        &ep.url("wss"),
        &[
            ("PYTAK_TLS_CLIENT_CERT", pki.p("client.crt")),
            ("PYTAK_TLS_CLIENT_KEY", pki.p("client.key")),
            ("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem")),
            // Room for the whole burst below in both queues.
            ("MAX_OUT_QUEUE", "1000".to_string()),
            ("MAX_IN_QUEUE", "1000".to_string()),
        ],
    ))
    .unwrap();
    let (mut ws, path) = ep.next();
    assert_eq!(path, "/takproto/1");
    exchange(&client, &mut ws);
    // Many events in a burst both ways over the one TLS connection.
    for i in 0..200 {
        client.send(position(&format!("burst-{i}"))).unwrap();
        ws.send(framed(&position(&format!("down-{i}")))).unwrap();
    }
    for i in 0..200 {
        assert_eq!(next_event(&mut ws).uid, format!("burst-{i}"));
    }
    for i in 0..200 {
        assert_eq!(recv(&client).uid, format!("down-{i}"));
    }
    let stats = client.shutdown();
    assert_eq!((stats.sent, stats.received), (202, 201));
}

#[test]
fn wss_without_our_certificate_is_refused_by_the_server() {
    let pki = pki();
    let ep = Endpoint::start(Some(pki.server_config(true)), Answer::Accept);
    let e = Client::connect(config(
        &ep.url("wss"),
        &[("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem"))],
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("TLS") && e.contains("certificate"), "{e}");
}

#[test]
fn wss_server_only_tls_and_a_refused_status() {
    let pki = pki();
    let ep = Endpoint::start(Some(pki.server_config(false)), Answer::Accept);
    let client = Client::connect(config(
        &ep.url("wss"),
        &[("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem"))],
    ))
    .unwrap();
    let (mut ws, _) = ep.next();
    exchange(&client, &mut ws);
    client.shutdown();

    // TAK Server answers 403 when it does not trust the client certificate.
    let ep = Endpoint::start(Some(pki.server_config(false)), Answer::Status(403));
    let e = Client::connect(config(
        &ep.url("wss"),
        &[("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem"))],
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("HTTP 403") && e.contains("client certificate"),
        "{e}"
    );
}

#[test]
fn wss_verifies_the_server_unless_told_not_to() {
    let pki = pki();
    let ep = Endpoint::start(Some(pki.server_config(false)), Answer::Accept);
    // No trust anchor for the test CA: the server's certificate is refused.
    let e = Client::connect(config(&ep.url("wss"), &[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("TLS") && e.contains("certificate"), "{e}");
    let refused = ep.conns.recv_timeout(WAIT).unwrap();
    assert!(refused.is_err(), "the refused attempt reached the endpoint");
    // PyTAK 7.6.1 connects without verification when there is no client certificate;
    // takwire does so only when asked.
    let client = Client::connect(config(
        &ep.url("wss"),
        &[("PYTAK_TLS_DONT_VERIFY", "1".to_string())],
    ))
    .unwrap();
    let (mut ws, _) = ep.next();
    exchange(&client, &mut ws);
    client.shutdown();
}

// ------------------------------------------------- tak:// enrollment, then wss://

/// The next WebSocket accepted, passing over connections whose handshake failed (the
/// enrollment's probe of the server certificate connects and leaves without one).
fn next_accepted(ep: &Endpoint) -> (Ws, String) {
    for _ in 0..8 {
        match ep.conns.recv_timeout(WAIT) {
            Ok(Ok(accepted)) => return accepted,
            Ok(Err(_)) => continue,
            Err(_) => break,
        }
    }
    panic!("no WebSocket was accepted");
}

#[test]
fn a_tak_cot_url_enrolls_then_speaks_tak_protocol_over_wss_with_the_enrolled_certificate() {
    use common_enroll::{EnrollServer, TOKEN, USER, make_ca, server_identity};

    let ca = Arc::new(make_ca("e2e TAK CA"));
    let enroll = EnrollServer::start(ca.clone());
    // The WebSocket endpoint: a certificate from the enrollment CA, and it requires a
    // client certificate signed by that CA (nothing else gets past the TLS handshake).
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(ca.der.clone()).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let (chain, key) = server_identity(&ca);
    let tls = Arc::new(
        ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap(),
    );
    let ep = Endpoint::start(Some(tls), Answer::Accept);
    let cache = TempDir::new("ws-enroll");
    let tak = format!(
        "tak://com.atakmap.app/enroll?host=127.0.0.1:{}&username={USER}&token={}",
        ep.port,
        TOKEN.replace(' ', "%20")
    );
    let settings = [
        ("TAKWIRE_ENROLLMENT_PORT", enroll.port.to_string()),
        ("TAKWIRE_CERT_CACHE_DIR", cache.path().display().to_string()),
    ];
    let cfg = config(&tak, &settings);
    assert_eq!(cfg.cot_url.to_string(), ep.url("wss"));

    // First run: enrolls, caches, connects with the new certificate.
    let client = Client::connect(cfg).unwrap();
    assert_eq!(enroll.signed(), 1);
    let requests = enroll.state.requests.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("POST /Marti/api/tls/signClient/v2?clientUid=")),
        "{requests:?}"
    );
    let (mut ws, path) = next_accepted(&ep);
    assert_eq!(path, "/takproto/1");
    exchange(&client, &mut ws);
    let stats = client.shutdown();
    assert_eq!((stats.sent, stats.received), (2, 1), "{stats:?}");
    drop(ws);
    let entry = takwire::enroll::CacheEntry::new(cache.path(), "127.0.0.1", ep.port, USER);
    let cached = entry.load().expect("no cached certificate");
    let enrolled =
        takwire::enroll::Enrolled::from_pkcs12(&cached.path, &cached.p12, &cached.passphrase)
            .unwrap();
    assert!(
        enrolled.subject().unwrap_or_default().contains("CN=alice"),
        "{enrolled:?}"
    );
    assert_eq!(enrolled.ca, vec![ca.der.as_ref().to_vec()]);

    // Second run, same cache: no enrollment request at all, and the link works.
    let seen = enroll.state.requests.lock().unwrap().len();
    let client = Client::connect(config(&tak, &settings)).unwrap();
    let (mut ws, _) = next_accepted(&ep);
    exchange(&client, &mut ws);
    client.shutdown();
    assert_eq!(
        enroll.state.requests.lock().unwrap().len(),
        seen,
        "the second connect enrolled again"
    );
    assert_eq!(enroll.signed(), 1);
}

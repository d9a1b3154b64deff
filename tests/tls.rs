//! `tls://` against rustls test servers on 127.0.0.1, with a PKI made by rcgen at test time:
//! mutual TLS through the real `Client`, every verification switch, every error about TLS
//! material, PEM / encrypted PKCS#8 / PKCS#12 (legacy 3DES and RC2, and AES) identities,
//! cipher lists, `+wo` and `+ro`, and what happens when the server rejects us.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, mpsc};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    RootCertStore, ServerConfig, ServerConnection, StreamOwned, SupportedProtocolVersion,
};
use time::OffsetDateTime;

use common::TempDir;
use takwire::cot::Event;
use takwire::{Client, Config};

const WAIT: Duration = Duration::from_secs(10);
const PASSWORD: &str = "atakatak";

// ---------------------------------------------------------------- captured log warnings

struct Capture;
static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            LOGS.lock()
                .unwrap()
                .push(format!("{}: {}", r.level(), r.args()));
        }
    }
    fn flush(&self) {}
}

fn capture_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
    });
}

/// Whether a WARN line containing all of `parts` was logged.
fn warned(parts: &[&str]) -> bool {
    LOGS.lock()
        .unwrap()
        .iter()
        .any(|l| l.starts_with("WARN") && parts.iter().all(|p| l.contains(p)))
}

// ---------------------------------------------------------------- the test PKI

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
    pem: String,
    key_pem: String,
}

fn make_ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = p.self_signed(&key).unwrap();
    let key_pem = key.serialize_pem();
    Ca {
        der: cert.der().clone(),
        pem: cert.pem(),
        issuer: Issuer::new(p, key),
        key_pem,
    }
}

struct Leaf {
    der: CertificateDer<'static>,
    pem: String,
    key: KeyPair,
}

impl Leaf {
    fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()))
    }
}

fn leaf(ca: &Ca, cn: &str, names: &[&str], client: bool, window: Option<(i64, i64)>) -> Leaf {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut p = CertificateParams::new(names).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    if let Some((from_days, to_days)) = window {
        let now = OffsetDateTime::now_utc();
        p.not_before = now + time::Duration::days(from_days);
        p.not_after = now + time::Duration::days(to_days);
    }
    let cert = p.signed_by(&key, &ca.issuer).unwrap();
    Leaf {
        der: cert.der().clone(),
        pem: cert.pem(),
        key,
    }
}

/// The CA, certificates and files every test uses.
struct Pki {
    dir: TempDir,
    ca: Ca,
    stranger_ca: Ca,
    server: Leaf,
    client: Leaf,
}

impl Pki {
    fn new() -> Pki {
        capture_logs();
        let ca = make_ca("takwire test CA");
        let stranger_ca = make_ca("some other CA");
        let server = leaf(&ca, "test server", &["127.0.0.1", "localhost"], false, None);
        let client = leaf(&ca, "test client", &[], true, None);
        let pki = Pki {
            dir: TempDir::new("tls"),
            ca,
            stranger_ca,
            server,
            client,
        };
        pki.write("ca.pem", pki.ca.pem.as_bytes());
        pki.write("client.crt", pki.client.pem.as_bytes());
        pki.write("client.key", pki.client.key.serialize_pem().as_bytes());
        pki.write(
            "client_both.pem",
            format!("{}{}", pki.client.pem, pki.client.key.serialize_pem()).as_bytes(),
        );
        pki
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    fn p(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }

    /// Writes a PKCS#12 file of `leaf` (and the CA) with p12-keystore.
    fn p12(&self, name: &str, leaf: &Leaf, alg: p12_keystore::EncryptionAlgorithm) -> PathBuf {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let chain = PrivateKeyChain::new(
            b"takwire-test-key".to_vec(),
            PrivateKey::from_der(&leaf.key.serialize_der()).unwrap(),
            [
                Certificate::from_der(leaf.der.as_ref()).unwrap(),
                Certificate::from_der(self.ca.der.as_ref()).unwrap(),
            ],
        );
        let mut ks = KeyStore::new();
        ks.add_entry("client", KeyStoreEntry::PrivateKeyChain(chain));
        let data = ks
            .writer(PASSWORD)
            .encryption_algorithm(alg)
            .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha1)
            .encryption_iterations(2048)
            .mac_iterations(2048)
            .write()
            .unwrap();
        self.write(name, &data)
    }
}

// ---------------------------------------------------------------- the test server

type ServerStream = StreamOwned<ServerConnection, TcpStream>;

struct Server {
    port: u16,
    /// Each connection: the TLS stream after the handshake, or why the handshake failed.
    conns: mpsc::Receiver<Result<ServerStream, String>>,
    accepted: Arc<AtomicUsize>,
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Require(&'a Ca),
    /// Require, and judge the client's certificate only after this long.
    RequireLate(&'a Ca, Duration),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server(
    cert: &Leaf,
    chain_ca: Option<&Ca>,
    auth: Auth<'_>,
    versions: &[&'static SupportedProtocolVersion],
) -> Server {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap();
    let builder = match auth {
        Auth::None => builder.with_no_client_auth(),
        Auth::Require(ca) | Auth::RequireLate(ca, _) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.der.clone()).unwrap();
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .unwrap();
            builder.with_client_cert_verifier(v)
        }
    };
    let mut chain = vec![cert.der.clone()];
    chain.extend(chain_ca.map(|c| c.der.clone()));
    let config = Arc::new(builder.with_single_cert(chain, cert.key_der()).unwrap());
    let late = match auth {
        Auth::RequireLate(_, d) => Some(d),
        _ => None,
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, conns) = mpsc::channel();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(sock) = sock else { break };
            count.fetch_add(1, Ordering::SeqCst);
            sock.set_read_timeout(Some(WAIT)).unwrap();
            let result = handshake(&config, sock, late);
            if tx.send(result).is_err() {
                break;
            }
        }
    });
    Server {
        port,
        conns,
        accepted,
    }
}

/// The server side of a handshake. With `late`, the client's last flight is processed only
/// after that delay (the client believes the handshake is done by then).
fn handshake(
    config: &Arc<ServerConfig>,
    mut sock: TcpStream,
    late: Option<Duration>,
) -> Result<ServerStream, String> {
    let mut conn = ServerConnection::new(config.clone()).map_err(|e| e.to_string())?;
    let mut wrote = false;
    let mut slept = false;
    while conn.is_handshaking() {
        while conn.wants_write() {
            conn.write_tls(&mut sock).map_err(|e| e.to_string())?;
            wrote = true;
        }
        if !conn.is_handshaking() {
            break;
        }
        if conn.read_tls(&mut sock).map_err(|e| e.to_string())? == 0 {
            return Err("client closed during the handshake".into());
        }
        if let (Some(d), true, false) = (late, wrote, slept) {
            std::thread::sleep(d);
            slept = true;
        }
        if let Err(e) = conn.process_new_packets() {
            // Send the alert, let the client read it, then close without a reset.
            let _ = conn.write_tls(&mut sock);
            let _ = sock.shutdown(std::net::Shutdown::Write);
            let _ = sock.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = sock.read_to_end(&mut Vec::new());
            return Err(e.to_string());
        }
    }
    while conn.wants_write() {
        conn.write_tls(&mut sock).map_err(|e| e.to_string())?;
    }
    Ok(StreamOwned::new(conn, sock))
}

impl Server {
    fn next(&self) -> Result<ServerStream, String> {
        self.conns
            .recv_timeout(WAIT)
            .expect("no connection reached the server")
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }
}

/// Reads newline-separated events until `n` have arrived.
fn read_events(s: &mut ServerStream, n: usize) -> Vec<Event> {
    let mut r = BufReader::new(s);
    let mut out = Vec::new();
    let mut line = String::new();
    while out.len() < n {
        line.clear();
        let got = r.read_line(&mut line).unwrap();
        assert!(got > 0, "client closed after {} events", out.len());
        if !line.trim().is_empty() {
            out.push(Event::from_xml(line.trim().as_bytes()).unwrap());
        }
    }
    out
}

fn config(url: &str, settings: &[(&str, String)]) -> Config {
    let mut b = Config::builder()
        .set("COT_URL", url)
        .set("PYTAK_RECONNECT_INITIAL", "0.05");
    for (k, v) in settings {
        b = b.set(k, v);
    }
    b.build().unwrap()
}

/// Client certificate, key and CA as separate PEM files.
fn mtls(pki: &Pki) -> Vec<(&'static str, String)> {
    vec![
        ("PYTAK_TLS_CLIENT_CERT", pki.p("client.crt")),
        ("PYTAK_TLS_CLIENT_KEY", pki.p("client.key")),
        ("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem")),
    ]
}

fn with<'a>(mut base: Vec<(&'a str, String)>, more: &[(&'a str, &str)]) -> Vec<(&'a str, String)> {
    for (k, v) in more {
        base.retain(|(bk, _)| bk != k);
        base.push((k, v.to_string()));
    }
    base
}

/// A position event with fixed times, so two calls give equal events.
fn pos(uid: &str) -> Event {
    let mut e = Event::position(uid, "a-f-G-U-C", 10.25, -20.5, Duration::from_secs(120));
    let t = takwire::CotTime::parse("2030-01-02T03:04:05.678Z").unwrap();
    (e.time, e.start, e.stale) = (t, t, t.plus(Duration::from_secs(120)));
    e
}

/// Connects with `settings`, checks that hello and one event arrive at the server and one
/// event comes back, and returns the server side for more checks.
fn exchange(server: &Server, settings: &[(&str, String)]) -> ServerStream {
    let client = Client::connect(config(&server.url("tls"), settings))
        .unwrap_or_else(|e| panic!("connect: {e}"));
    let mut s = server
        .next()
        .unwrap_or_else(|e| panic!("server handshake: {e}"));
    client.send(pos("to-server")).unwrap();
    let got = read_events(&mut s, 2);
    assert_eq!(got[0].cot_type, "t-x-d-d", "the hello comes first");
    assert_eq!(got[1], pos("to-server"));
    s.write_all(pos("to-client").to_xml().as_bytes()).unwrap();
    s.flush().unwrap();
    let back = client
        .recv_timeout(WAIT)
        .unwrap()
        .expect("nothing came back");
    assert_eq!(back, pos("to-client"));
    let stats = client.shutdown();
    assert_eq!((stats.sent, stats.received, stats.reconnects), (1, 1, 0));
    s
}

// ---------------------------------------------------------------- mutual TLS

#[test]
fn mutual_tls_13_sends_and_receives() {
    let pki = Pki::new();
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS13],
    );
    let s = exchange(&srv, &mtls(&pki));
    assert_eq!(
        s.conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    let peer = s
        .conn
        .peer_certificates()
        .expect("the client sent no certificate");
    assert_eq!(
        peer[0], pki.client.der,
        "the server saw our client certificate"
    );
}

#[test]
fn mutual_tls_12_with_cert_and_key_in_one_file() {
    let pki = Pki::new();
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS12],
    );
    let settings = vec![
        ("PYTAK_TLS_CLIENT_CERT", pki.p("client_both.pem")),
        ("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem")),
    ];
    let s = exchange(&srv, &settings);
    assert_eq!(
        s.conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    assert_eq!(s.conn.peer_certificates().unwrap()[0], pki.client.der);
}

#[test]
fn tak_protocol_over_tls() {
    use takwire::proto::control::ControlEvent;
    let pki = Pki::new();
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS13],
    );
    let client = Client::connect(config(
        &srv.url("tls"),
        &with(mtls(&pki), &[("TAK_PROTO", "1"), ("PYTAK_NO_HELLO", "1")]),
    ))
    .unwrap();
    let mut s = srv.next().unwrap();
    // Play TAK Server: offer version 1, read the client's request, accept it.
    let offer = ControlEvent::Support {
        uid: "srv".into(),
        versions: vec![1],
    }
    .to_event();
    s.write_all(offer.to_xml().as_bytes()).unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"</event>") {
        s.read_exact(&mut byte).unwrap();
        line.push(byte[0]);
    }
    let request = Event::from_xml(String::from_utf8_lossy(&line).trim().as_bytes()).unwrap();
    assert!(matches!(
        ControlEvent::from_event(&request),
        Some(ControlEvent::Request {
            version: Some(1),
            ..
        })
    ));
    let response = ControlEvent::Response {
        uid: "srv".into(),
        accepted: true,
    }
    .to_event();
    s.write_all(response.to_xml().as_bytes()).unwrap();
    client.send(pos("proto-uid")).unwrap();
    // After the newline that ends the request, stream framing: 0xbf, varint length, payload.
    let mut head = [0u8; 1];
    loop {
        s.read_exact(&mut head).unwrap();
        if head[0] != b'\n' {
            break;
        }
    }
    assert_eq!(head[0], 0xbf);
    s.read_exact(&mut head).unwrap();
    assert!(head[0] < 0x80, "one-byte length for a small event");
    let mut payload = vec![0u8; head[0] as usize];
    s.read_exact(&mut payload).unwrap();
    assert!(payload.windows(9).any(|w| w == b"proto-uid"));
    client.shutdown();
}

// ---------------------------------------------------------------- +wo and +ro

#[test]
fn read_only_never_writes() {
    let pki = Pki::new();
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS13],
    );
    let client = Client::connect(config(&srv.url("tls+ro"), &mtls(&pki))).unwrap();
    let mut s = srv.next().unwrap();
    client.send(pos("not-sent")).unwrap();
    s.write_all(pos("from-server").to_xml().as_bytes()).unwrap();
    s.flush().unwrap();
    assert_eq!(client.recv_timeout(WAIT).unwrap(), Some(pos("from-server")));
    s.sock
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{e}"
        ),
        Ok(n) => panic!("+ro wrote {n} bytes"),
    }
    client.shutdown();
}

#[test]
fn write_only_reads_and_discards() {
    let pki = Pki::new();
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS12],
    );
    let client = Client::connect(config(&srv.url("ssl+wo"), &mtls(&pki))).unwrap();
    let mut s = srv.next().unwrap();
    for i in 0..3 {
        s.write_all(pos(&format!("discard-{i}")).to_xml().as_bytes())
            .unwrap();
    }
    s.flush().unwrap();
    client.send(pos("written")).unwrap();
    let got = read_events(&mut s, 2);
    assert_eq!(got[1], pos("written"));
    let drained = common::wait_for(WAIT, || (client.stats().discarded == 3).then_some(()));
    assert!(drained.is_some(), "{:?}", client.stats());
    assert_eq!(client.try_recv(), None);
    assert_eq!(client.shutdown().received, 0);
}

// ---------------------------------------------------------------- verification switches

fn connect_err(url: &str, settings: &[(&str, String)]) -> String {
    let settings = with(settings.to_vec(), &[("PYTAK_RECONNECT", "0")]);
    match Client::connect(config(url, &settings)) {
        Ok(c) => {
            c.shutdown();
            panic!("connected, but should not have")
        }
        Err(e) => e.to_string(),
    }
}

fn connects(url: &str, settings: &[(&str, String)]) {
    let c = Client::connect(config(url, settings)).unwrap_or_else(|e| panic!("{e}"));
    c.shutdown();
}

#[test]
fn server_name_checks() {
    let pki = Pki::new();
    let other = leaf(&pki.ca, "elsewhere", &["other.example"], false, None);
    let srv = server(&other, None, Auth::None, &[&rustls::version::TLS13]);
    let ca = vec![("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem"))];
    let e = connect_err(&srv.url("tls"), &ca);
    assert!(
        e.contains("not valid for") && e.contains("PYTAK_TLS_SERVER_EXPECTED_HOSTNAME"),
        "{e}"
    );
    assert!(
        srv.next().is_err(),
        "the handshake failed on the server too"
    );

    connects(
        &srv.url("tls"),
        &with(
            ca.clone(),
            &[("PYTAK_TLS_SERVER_EXPECTED_HOSTNAME", "other.example")],
        ),
    );
    assert!(srv.next().is_ok());
    let e = connect_err(
        &srv.url("tls"),
        &with(
            ca.clone(),
            &[("PYTAK_TLS_SERVER_EXPECTED_HOSTNAME", "third.example")],
        ),
    );
    assert!(e.contains("not valid for"), "{e}");

    connects(
        &srv.url("tls"),
        &with(ca.clone(), &[("PYTAK_TLS_DONT_CHECK_HOSTNAME", "1")]),
    );
    assert!(warned(&["PYTAK_TLS_DONT_CHECK_HOSTNAME"]));
}

#[test]
fn dont_check_hostname_still_verifies_the_chain_and_dates() {
    let pki = Pki::new();
    let ignore_name = vec![
        ("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem")),
        ("PYTAK_TLS_DONT_CHECK_HOSTNAME", "1".to_string()),
    ];
    // A server certificate from a CA we do not trust.
    let foreign = leaf(&pki.stranger_ca, "impostor", &["127.0.0.1"], false, None);
    let srv = server(&foreign, None, Auth::None, &[&rustls::version::TLS13]);
    let e = connect_err(&srv.url("tls"), &ignore_name);
    assert!(
        e.contains("UnknownIssuer") || e.contains("unknown issuer"),
        "{e}"
    );
    assert!(
        e.contains("PYTAK_TLS_CLIENT_CAFILE"),
        "the hint names the key: {e}"
    );
    // An expired one from our CA, for another name.
    let expired = leaf(&pki.ca, "old", &["other.example"], false, Some((-30, -1)));
    let srv = server(&expired, None, Auth::None, &[&rustls::version::TLS12]);
    let e = connect_err(&srv.url("tls"), &ignore_name);
    assert!(e.to_lowercase().contains("expired"), "{e}");
}

#[test]
fn dont_verify_accepts_any_server_certificate() {
    let pki = Pki::new();
    let foreign = leaf(
        &pki.stranger_ca,
        "impostor",
        &["elsewhere.example"],
        false,
        Some((-30, -1)),
    );
    let srv = server(&foreign, None, Auth::None, &[&rustls::version::TLS13]);
    let e = connect_err(
        &srv.url("tls"),
        &[("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem"))],
    );
    assert!(e.contains("rejected"), "{e}");
    connects(
        &srv.url("tls"),
        &[("PYTAK_TLS_DONT_VERIFY", "1".to_string())],
    );
    assert!(warned(&["PYTAK_TLS_DONT_VERIFY"]));
}

#[test]
fn without_cafile_the_public_roots_are_used() {
    let pki = Pki::new();
    let srv = server(&pki.server, None, Auth::None, &[&rustls::version::TLS13]);
    let e = connect_err(&srv.url("tls"), &[]);
    assert!(
        e.contains("UnknownIssuer") || e.contains("unknown issuer"),
        "{e}"
    );
}

#[test]
fn cafile_may_be_a_pkcs12_truststore() {
    let pki = Pki::new();
    // Like a TAK truststore: the server certificate and the CA, no key, 3DES, a password.
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry};
    let mut ks = KeyStore::new();
    ks.add_entry(
        "ca",
        KeyStoreEntry::Certificate(Certificate::from_der(pki.ca.der.as_ref()).unwrap()),
    );
    let data = ks
        .writer(PASSWORD)
        .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
        .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha1)
        .write()
        .unwrap();
    let trust = pki.write("truststore.p12", &data);
    let srv = server(&pki.server, None, Auth::None, &[&rustls::version::TLS13]);
    connects(
        &srv.url("tls"),
        &[
            (
                "PYTAK_TLS_CLIENT_CAFILE",
                trust.to_string_lossy().into_owned(),
            ),
            ("PYTAK_TLS_CLIENT_PASSWORD", PASSWORD.to_string()),
        ],
    );
    assert!(srv.next().is_ok());
}

// ---------------------------------------------------------------- client identities

#[test]
fn pkcs12_identities_load_legacy_and_modern() {
    use p12_keystore::EncryptionAlgorithm as A;
    let pki = Pki::new();
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS13],
    );
    // RC2-40 is what p12-keystore's `PbeWithShaAnd40BitRc4Cbc` writes (its OID is RC2's).
    for (file, alg) in [
        ("des3.p12", A::PbeWithShaAnd3KeyTripleDesCbc),
        ("rc2.p12", A::PbeWithShaAnd40BitRc4Cbc),
        // Decided by content, not by name.
        ("aes-identity.pem", A::PbeWithHmacSha256AndAes256),
    ] {
        let p12 = pki.p12(file, &pki.client, alg);
        let s = exchange(
            &srv,
            &[
                ("PYTAK_TLS_CLIENT_CERT", p12.to_string_lossy().into_owned()),
                ("PYTAK_TLS_CLIENT_PASSWORD", PASSWORD.to_string()),
                ("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem")),
            ],
        );
        assert_eq!(
            s.conn.peer_certificates().unwrap()[0],
            pki.client.der,
            "{file}"
        );
    }
}

#[test]
fn enrollment_passphrase_is_the_password_when_set() {
    let pki = Pki::new();
    let p12 = pki.p12(
        "client.p12",
        &pki.client,
        p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
    );
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS12],
    );
    let base = vec![
        ("PYTAK_TLS_CLIENT_CERT", p12.to_string_lossy().into_owned()),
        ("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem")),
    ];
    // As in PyTAK, PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE wins over PYTAK_TLS_CLIENT_PASSWORD.
    exchange(
        &srv,
        &with(
            base.clone(),
            &[
                ("PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE", PASSWORD),
                ("PYTAK_TLS_CLIENT_PASSWORD", "wrong"),
            ],
        ),
    );
    let e = connect_err(
        &srv.url("tls"),
        &with(
            base,
            &[
                ("PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE", "wrong"),
                ("PYTAK_TLS_CLIENT_PASSWORD", PASSWORD),
            ],
        ),
    );
    assert!(
        e.contains("wrong password (PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE)"),
        "{e}"
    );
}

#[test]
fn encrypted_pkcs8_key_loads() {
    use pkcs8::der::Decode;
    let pki = Pki::new();
    let der = pki.client.key.serialize_der();
    let info = pkcs8::PrivateKeyInfoRef::from_der(&der).unwrap();
    let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
        2048,
        b"0123456789abcdef",
        [7u8; 16],
    )
    .unwrap();
    let enc = info.encrypt_with_params(params, PASSWORD).unwrap();
    let pem = pkcs8::der::pem::encode_string(
        "ENCRYPTED PRIVATE KEY",
        pkcs8::der::pem::LineEnding::LF,
        enc.as_bytes(),
    )
    .unwrap();
    let key = pki.write("client_enc.key", pem.as_bytes());
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS13],
    );
    let settings = with(
        mtls(&pki),
        &[
            ("PYTAK_TLS_CLIENT_KEY", key.to_str().unwrap()),
            ("PYTAK_TLS_CLIENT_PASSWORD", PASSWORD),
        ],
    );
    exchange(&srv, &settings);
    let e = connect_err(
        &srv.url("tls"),
        &with(settings.clone(), &[("PYTAK_TLS_CLIENT_PASSWORD", "nope")]),
    );
    assert!(
        e.contains("PYTAK_TLS_CLIENT_KEY=")
            && e.contains("wrong password (PYTAK_TLS_CLIENT_PASSWORD)"),
        "{e}"
    );
    let no_pass: Vec<_> = settings
        .into_iter()
        .filter(|(k, _)| *k != "PYTAK_TLS_CLIENT_PASSWORD")
        .collect();
    let e = connect_err(&srv.url("tls"), &no_pass);
    assert!(e.contains("encrypted private key but no password"), "{e}");
}

/// PKCS#12 and encrypted PKCS#8 written by Python's `cryptography`, with an RSA key: the
/// legacy 3DES PKCS#12 that taky and TAK Server hand out, and the modern AES one.
#[test]
fn identities_written_by_python_cryptography() {
    let Some(python) = common::peer_python() else {
        return;
    };
    let pki = Pki::new();
    pki.write("ca.key", pki.ca.key_pem.as_bytes());
    let out = pki.path("py");
    std::fs::create_dir_all(&out).unwrap();
    let status = std::process::Command::new(python)
        .arg(common::peers_dir().join("make_identity.py"))
        .args([&pki.p("ca.pem"), &pki.p("ca.key")])
        .arg(&out)
        .arg(PASSWORD)
        .status()
        .unwrap();
    assert!(status.success());
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS12, &rustls::version::TLS13],
    );
    let ca = ("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem"));
    let pass = ("PYTAK_TLS_CLIENT_PASSWORD", PASSWORD.to_string());
    for p12 in ["legacy.p12", "aes.p12"] {
        let cert = (
            "PYTAK_TLS_CLIENT_CERT",
            out.join(p12).to_string_lossy().into_owned(),
        );
        let s = exchange(&srv, &[cert, ca.clone(), pass.clone()]);
        let peer = s.conn.peer_certificates().unwrap();
        assert!(!peer.is_empty(), "{p12}");
    }
    let s = exchange(
        &srv,
        &[
            (
                "PYTAK_TLS_CLIENT_CERT",
                out.join("cert.pem").to_string_lossy().into_owned(),
            ),
            (
                "PYTAK_TLS_CLIENT_KEY",
                out.join("key_enc.pem").to_string_lossy().into_owned(),
            ),
            ca.clone(),
            pass.clone(),
        ],
    );
    assert!(s.conn.peer_certificates().is_some());
    let e = connect_err(
        &srv.url("tls"),
        &[
            (
                "PYTAK_TLS_CLIENT_CERT",
                out.join("legacy.p12").to_string_lossy().into_owned(),
            ),
            ca,
            ("PYTAK_TLS_CLIENT_PASSWORD", "not-it".to_string()),
        ],
    );
    assert!(e.contains("wrong password"), "{e}");
}

// ---------------------------------------------------------------- errors before connecting

/// Builds a client for a listener that must never see a connection; returns the error.
fn error_before_connecting(settings: &[(&str, String)]) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("tls://127.0.0.1:{}", l.local_addr().unwrap().port());
    let e = connect_err(&url, settings);
    l.set_nonblocking(true).unwrap();
    assert!(l.accept().is_err(), "a connection was made despite: {e}");
    e
}

#[test]
fn bad_material_is_an_error_before_any_connection() {
    let pki = Pki::new();
    let base = mtls(&pki);
    let missing = pki.p("nowhere.pem");
    let check = |settings: Vec<(&'static str, String)>, wants: &[&str]| {
        let e = error_before_connecting(&settings);
        for w in wants {
            assert!(e.contains(w), "{e:?} should contain {w:?}");
        }
    };

    check(
        with(base.clone(), &[("PYTAK_TLS_CLIENT_CERT", &missing)]),
        &[
            "TLS",
            &format!("PYTAK_TLS_CLIENT_CERT={missing}"),
            "cannot open",
        ],
    );
    check(
        with(base.clone(), &[("PYTAK_TLS_CLIENT_KEY", &missing)]),
        &[&format!("PYTAK_TLS_CLIENT_KEY={missing}"), "cannot open"],
    );
    check(
        with(base.clone(), &[("PYTAK_TLS_CLIENT_CAFILE", &missing)]),
        &[&format!("PYTAK_TLS_CLIENT_CAFILE={missing}"), "cannot open"],
    );
    let empty = pki.write("empty.pem", b"");
    check(
        with(
            base.clone(),
            &[("PYTAK_TLS_CLIENT_CAFILE", empty.to_str().unwrap())],
        ),
        &["PYTAK_TLS_CLIENT_CAFILE=", "is empty"],
    );
    let junk = pki.write("junk.p12", b"\x30\x03\x02\x01\x07 this is not PKCS#12");
    check(
        with(
            base.clone(),
            &[("PYTAK_TLS_CLIENT_CERT", junk.to_str().unwrap())],
        ),
        &[
            "PYTAK_TLS_CLIENT_CERT=",
            "neither PEM nor a readable PKCS#12",
        ],
    );

    // A key that belongs to another certificate.
    let other = KeyPair::generate().unwrap();
    let other_key = pki.write("other.key", other.serialize_pem().as_bytes());
    check(
        with(
            base.clone(),
            &[("PYTAK_TLS_CLIENT_KEY", other_key.to_str().unwrap())],
        ),
        &[
            "PYTAK_TLS_CLIENT_KEY=",
            "does not belong to the certificate",
            "test client",
        ],
    );
    // A certificate without its key.
    check(
        with(base.clone(), &[])
            .into_iter()
            .filter(|(k, _)| *k != "PYTAK_TLS_CLIENT_KEY")
            .collect(),
        &[
            "PYTAK_TLS_CLIENT_CERT=",
            "no private key",
            "PYTAK_TLS_CLIENT_KEY",
        ],
    );
    // A key encrypted the legacy OpenSSL way.
    let legacy = pki.write(
        "legacy.key",
        b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0011\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
    );
    check(
        with(
            base.clone(),
            &[("PYTAK_TLS_CLIENT_KEY", legacy.to_str().unwrap())],
        ),
        &[
            "PYTAK_TLS_CLIENT_KEY=",
            "legacy OpenSSL-encrypted",
            "openssl pkcs8 -topk8",
        ],
    );

    // Expired and not-yet-valid client certificates.
    let old = leaf(&pki.ca, "old client", &[], true, Some((-400, -10)));
    let old_pem = pki.write(
        "old.pem",
        format!("{}{}", old.pem, old.key.serialize_pem()).as_bytes(),
    );
    check(
        with(
            base.clone(),
            &[("PYTAK_TLS_CLIENT_CERT", old_pem.to_str().unwrap())],
        )
        .into_iter()
        .filter(|(k, _)| *k != "PYTAK_TLS_CLIENT_KEY")
        .collect(),
        &["PYTAK_TLS_CLIENT_CERT=", "old client", "expired on"],
    );
    let young = leaf(&pki.ca, "future client", &[], true, Some((10, 400)));
    let young_pem = pki.write(
        "young.pem",
        format!("{}{}", young.pem, young.key.serialize_pem()).as_bytes(),
    );
    check(
        vec![(
            "PYTAK_TLS_CLIENT_CERT",
            young_pem.to_string_lossy().into_owned(),
        )],
        &["PYTAK_TLS_CLIENT_CERT=", "future client", "not valid yet"],
    );

    // PKCS#12: wrong password, and no password.
    let p12 = pki.p12(
        "pw.p12",
        &pki.client,
        p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
    );
    let p12s = p12.to_string_lossy().into_owned();
    check(
        vec![
            ("PYTAK_TLS_CLIENT_CERT", p12s.clone()),
            ("PYTAK_TLS_CLIENT_PASSWORD", "guess".to_string()),
        ],
        &[
            &format!("PYTAK_TLS_CLIENT_CERT={p12s}"),
            "wrong password (PYTAK_TLS_CLIENT_PASSWORD)",
        ],
    );
    check(
        vec![("PYTAK_TLS_CLIENT_CERT", p12s.clone())],
        &["protected by a password", "PYTAK_TLS_CLIENT_PASSWORD"],
    );

    // A cipher list naming nothing rustls has.
    check(
        with(
            base.clone(),
            &[("PYTAK_TLS_CLIENT_CIPHERS", "AES128-SHA:DHE-RSA-AES256-SHA")],
        ),
        &[
            "PYTAK_TLS_CLIENT_CIPHERS",
            "AES128-SHA, DHE-RSA-AES256-SHA",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
        ],
    );
    // An expected host name that is no name.
    check(
        with(
            base,
            &[("PYTAK_TLS_SERVER_EXPECTED_HOSTNAME", "not a host!")],
        ),
        &["PYTAK_TLS_SERVER_EXPECTED_HOSTNAME", "not a host!"],
    );
}

// ---------------------------------------------------------------- cipher suites

#[test]
fn cipher_list_restricts_the_suites() {
    let pki = Pki::new();
    let srv = server(&pki.server, None, Auth::None, &[&rustls::version::TLS12]);
    let ca = ("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem"));
    let client = Client::connect(config(
        &srv.url("tls"),
        &[
            ca.clone(),
            (
                "PYTAK_TLS_CLIENT_CIPHERS",
                "ECDHE-ECDSA-CHACHA20-POLY1305:AES128-SHA".into(),
            ),
        ],
    ))
    .unwrap();
    let s = srv.next().unwrap();
    assert_eq!(
        s.conn.negotiated_cipher_suite().unwrap().suite(),
        rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
    );
    assert!(warned(&["PYTAK_TLS_CLIENT_CIPHERS", "AES128-SHA"]));
    client.shutdown();

    // Naming a TLS 1.3 suite restricts TLS 1.3 to it.
    let srv13 = server(&pki.server, None, Auth::None, &[&rustls::version::TLS13]);
    let client = Client::connect(config(
        &srv13.url("tls"),
        &[
            ca.clone(),
            (
                "PYTAK_TLS_CLIENT_CIPHERS",
                "TLS_CHACHA20_POLY1305_SHA256".into(),
            ),
        ],
    ))
    .unwrap();
    let s = srv13.next().unwrap();
    assert_eq!(
        s.conn.negotiated_cipher_suite().unwrap().suite(),
        rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
    );
    client.shutdown();

    // A TLS 1.3-only list cannot talk to a TLS 1.2-only server.
    let e = connect_err(
        &srv.url("tls"),
        &[
            ca,
            ("PYTAK_TLS_CLIENT_CIPHERS", "TLS_AES_128_GCM_SHA256".into()),
        ],
    );
    assert!(e.contains("TLS"), "{e}");
}

// ---------------------------------------------------------------- the server says no

#[test]
fn a_rejected_client_certificate_stops_the_client() {
    let pki = Pki::new();
    let stranger = leaf(&pki.stranger_ca, "stranger", &[], true, None);
    pki.write(
        "stranger.pem",
        format!("{}{}", stranger.pem, stranger.key.serialize_pem()).as_bytes(),
    );
    let settings = vec![
        ("PYTAK_TLS_CLIENT_CERT", pki.p("stranger.pem")),
        ("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem")),
    ];
    // During the handshake (TLS 1.2), or right after it (TLS 1.3): connect fails, for good,
    // even with reconnects on.
    for v in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let srv = server(&pki.server, None, Auth::Require(&pki.ca), &[v]);
        let e = Client::connect(config(&srv.url("tls"), &settings))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rejected our client certificate"), "{v:?}: {e}");
        assert!(srv.next().is_err());
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(srv.accepted.load(Ordering::SeqCst), 1, "no second attempt");
    }
    // No certificate at all.
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS13],
    );
    let e = Client::connect(config(
        &srv.url("tls"),
        &[("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem"))],
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("requires a client certificate") && e.contains("PYTAK_TLS_CLIENT_CERT"),
        "{e}"
    );
}

#[test]
fn a_late_rejection_on_a_live_link_is_final() {
    let pki = Pki::new();
    let stranger = leaf(&pki.stranger_ca, "stranger", &[], true, None);
    pki.write(
        "late.pem",
        format!("{}{}", stranger.pem, stranger.key.serialize_pem()).as_bytes(),
    );
    // The server judges our certificate well after the client's wait for a verdict
    // (takwire::transport::tls::VERDICT_WAIT), so the alert arrives on the live link.
    let late = takwire::transport::tls::VERDICT_WAIT * 3;
    let srv = server(
        &pki.server,
        None,
        Auth::RequireLate(&pki.ca, late),
        &[&rustls::version::TLS13],
    );
    let settings = vec![
        ("PYTAK_TLS_CLIENT_CERT", pki.p("late.pem")),
        ("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem")),
        ("PYTAK_NO_HELLO", "1".to_string()),
    ];
    let reason = match Client::connect(config(&srv.url("tls"), &settings)) {
        Ok(client) => {
            let stopped = client.done().recv_timeout(late + WAIT);
            assert_eq!(
                stopped,
                Err(crossbeam_channel::RecvTimeoutError::Disconnected),
                "the client stops by itself"
            );
            assert!(!client.is_running());
            client.error().expect("a reason")
        }
        // A very slow machine: the alert came within the wait after all.
        Err(e) => {
            eprintln!("note: the rejection came within the verdict wait: {e}");
            e.to_string()
        }
    };
    assert!(
        reason.contains("rejected our client certificate"),
        "{reason}"
    );
    assert!(srv.next().is_err());
    assert_eq!(
        srv.accepted.load(Ordering::SeqCst),
        1,
        "no reconnect after a rejection"
    );
}

#[test]
fn a_closed_link_is_made_again() {
    let pki = Pki::new();
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS13],
    );
    let client = Client::connect(config(
        &srv.url("tls"),
        &with(mtls(&pki), &[("PYTAK_NO_HELLO", "1")]),
    ))
    .unwrap();
    let mut first = srv.next().unwrap();
    client.send(pos("one")).unwrap();
    assert_eq!(read_events(&mut first, 1)[0], pos("one"));
    // The server says goodbye properly (close_notify), then closes.
    first.conn.send_close_notify();
    first.flush().unwrap();
    drop(first);
    let mut second = srv.next().expect("the client came back");
    client.send(pos("two")).unwrap();
    assert_eq!(read_events(&mut second, 1)[0], pos("two"));
    let stats = client.shutdown();
    assert_eq!(stats.reconnects, 1);
    assert_eq!(client.error(), None);
}

#[test]
fn a_plain_tcp_port_is_reported_and_retried() {
    let pki = Pki::new();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("tls://127.0.0.1:{}", l.local_addr().unwrap().port());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { break };
            count.fetch_add(1, Ordering::SeqCst);
            let _ = s.write_all(pos("plain").to_xml().as_bytes());
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let ca = ("PYTAK_TLS_CLIENT_CAFILE", pki.p("ca.pem"));
    let e = connect_err(&url, std::slice::from_ref(&ca));
    assert!(e.contains("not TLS") && e.contains("tcp://"), "{e}");
    // Not a TLS-material problem: with reconnects on, the client keeps trying.
    let client = Client::connect(config(&url, &[ca])).unwrap();
    let retried = common::wait_for(WAIT, || {
        (accepted.load(Ordering::SeqCst) >= 3).then_some(())
    });
    assert!(retried.is_some(), "{:?}", client.stats());
    assert!(client.is_running() && !client.is_connected());
    client.shutdown();
}

/// Both directions at once, with events larger than a TLS record, while the server rolls
/// its keys (TLS 1.3 KeyUpdate: the client's reader must answer it, in order with the
/// writer's records).
#[test]
fn full_duplex_echo_with_key_update() {
    const N: usize = 300;
    let pki = Pki::new();
    let srv = server(
        &pki.server,
        None,
        Auth::Require(&pki.ca),
        &[&rustls::version::TLS13],
    );
    let client = Client::connect(config(
        &srv.url("tls"),
        &with(
            mtls(&pki),
            &[
                ("PYTAK_NO_HELLO", "1"),
                ("MAX_OUT_QUEUE", "1000"),
                ("MAX_IN_QUEUE", "1000"),
            ],
        ),
    ))
    .unwrap();
    let mut s = srv.next().unwrap();
    let echo = std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        let mut line = Vec::new();
        let mut lines = 0;
        while lines < N {
            let n = s.read(&mut buf).expect("server read");
            assert!(n > 0, "client closed after {lines} events");
            for &b in &buf[..n] {
                line.push(b);
                if b == b'\n' {
                    s.write_all(&line).unwrap();
                    line.clear();
                    lines += 1;
                    if lines == N / 2 {
                        s.conn.refresh_traffic_keys().unwrap();
                    }
                }
            }
            s.flush().unwrap();
        }
        s
    });
    let remarks = "x".repeat(20_000);
    let mut sent = Vec::new();
    for i in 0..N {
        let xml = pos(&format!("echo-{i}")).to_xml();
        let big = xml.replace(
            "<detail/>",
            &format!("<detail><remarks>{remarks}</remarks></detail>"),
        );
        assert_ne!(big, xml, "the event has an empty <detail/> to fill");
        client.send_raw(big).unwrap();
        sent.push(format!("echo-{i}"));
    }
    let mut got = Vec::new();
    while got.len() < N {
        match client.recv_timeout(WAIT).unwrap() {
            Some(ev) => {
                let text = ev.detail.element("remarks").and_then(|r| r.text());
                assert_eq!(text.as_deref(), Some(remarks.as_str()), "{}", ev.uid);
                got.push(ev.uid)
            }
            None => panic!(
                "only {} of {N} events came back: {:?}",
                got.len(),
                client.stats()
            ),
        }
    }
    assert_eq!(got, sent);
    let s = echo.join().unwrap();
    assert_eq!(
        s.conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    let stats = client.shutdown();
    assert_eq!(
        (stats.sent, stats.received, stats.reconnects),
        (N as u64, N as u64, 0)
    );
}

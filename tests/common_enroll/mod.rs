//! A test TAK Server for enrollment: HTTPS on loopback (rustls, minimal HTTP/1.1) with
//! `/Marti/api/tls/config` (XML name entries, as TAK Server answers), `signClient/v2`
//! (JSON: headerless base64 `signedCert`, `ca0`...) and the older `signClient` (PKCS#12
//! protected by `atakatak`), signing CSRs with an rcgen CA; plus a TLS CoT server that
//! requires a client certificate from that CA.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

pub const USER: &str = "alice";
pub const TOKEN: &str = "s3cret token";

pub struct Ca {
    pub issuer: Issuer<'static, KeyPair>,
    pub der: CertificateDer<'static>,
}

pub fn make_ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = p.self_signed(&key).unwrap();
    Ca {
        der: cert.der().clone(),
        issuer: Issuer::new(p, key),
    }
}

/// A server certificate for 127.0.0.1/localhost signed by `ca`: (chain, key).
pub fn server_identity(ca: &Ca) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, "takserver");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = p.signed_by(&key, &ca.issuer).unwrap();
    (
        vec![cert.der().clone(), ca.der.clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let acc = chunk
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, &b)| a | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(A[((acc >> (18 - 6 * i)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

/// What the server saw and how it behaves.
pub struct State {
    /// Certificates signed so far.
    pub signed: AtomicUsize,
    /// Requests answered 401.
    pub refused: AtomicUsize,
    /// `signClient/v2` answers 404 (an older server).
    pub no_v2: AtomicBool,
    /// Validity of the certificates signed, in days from now.
    pub valid_days: AtomicI64,
    /// Every request line seen (`POST /Marti/api/tls/signClient/v2?clientUid=...`).
    pub requests: Mutex<Vec<String>>,
    /// Subjects of the CSRs signed.
    pub subjects: Mutex<Vec<String>>,
}

pub struct EnrollServer {
    pub port: u16,
    pub ca: Arc<Ca>,
    pub state: Arc<State>,
    /// The server certificate chain (leaf first).
    pub chain: Vec<CertificateDer<'static>>,
}

impl EnrollServer {
    pub fn start(ca: Arc<Ca>) -> EnrollServer {
        let (chain, key) = server_identity(&ca);
        let config = Arc::new(
            ServerConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain.clone(), key)
                .unwrap(),
        );
        let state = Arc::new(State {
            signed: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            no_v2: AtomicBool::new(false),
            valid_days: AtomicI64::new(365),
            requests: Mutex::new(Vec::new()),
            subjects: Mutex::new(Vec::new()),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (st, ca2) = (state.clone(), ca.clone());
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                let Ok(sock) = sock else { break };
                let (config, st, ca) = (config.clone(), st.clone(), ca2.clone());
                std::thread::spawn(move || {
                    let _ = serve(config, sock, &st, &ca);
                });
            }
        });
        EnrollServer {
            port,
            ca,
            state,
            chain,
        }
    }

    pub fn signed(&self) -> usize {
        self.state.signed.load(Ordering::SeqCst)
    }

    /// A tak:// link to this server with `host=127.0.0.1:PORT`.
    pub fn tak_url(&self, user: &str, token: &str) -> String {
        format!(
            "tak://com.atakmap.app/enroll?host=127.0.0.1:{}&username={user}&token={}",
            self.port,
            token.replace(' ', "%20")
        )
    }
}

fn serve(config: Arc<ServerConfig>, sock: TcpStream, st: &State, ca: &Ca) -> std::io::Result<()> {
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    sock.set_write_timeout(Some(Duration::from_secs(10)))?;
    let conn = ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = StreamOwned::new(conn, sock);
    // Head.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if tls.read(&mut byte)? == 0 || head.len() > 16 << 10 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let mut lines = head.lines();
    let request = lines.next().unwrap_or_default().to_string();
    let mut length = 0usize;
    let mut auth = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = v.trim().parse().unwrap_or(0),
                "authorization" => auth = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    tls.read_exact(&mut body)?;
    st.requests.lock().unwrap().push(request.clone());
    let path = request.split(' ').nth(1).unwrap_or_default().to_string();
    let (status, ctype, answer) = if auth.as_deref()
        != Some(&format!(
            "Basic {}",
            b64(format!("{USER}:{TOKEN}").as_bytes())
        )) {
        st.refused.fetch_add(1, Ordering::SeqCst);
        (401, "text/plain", b"Unauthorized".to_vec())
    } else if path == "/Marti/api/tls/config" {
        (200, "application/xml", CONFIG_XML.as_bytes().to_vec())
    } else if path.starts_with("/Marti/api/tls/signClient/v2?") {
        if st.no_v2.load(Ordering::SeqCst) {
            (404, "text/plain", b"Not Found".to_vec())
        } else {
            match sign(&body, st, ca) {
                Some(der) => {
                    let json = format!(
                        "{{\"signedCert\":\"{}\",\"ca0\":\"{}\"}}",
                        b64(&der),
                        b64(&ca.der)
                    );
                    (200, "application/json", json.into_bytes())
                }
                None => (400, "text/plain", b"bad CSR".to_vec()),
            }
        }
    } else if path.starts_with("/Marti/api/tls/signClient?") {
        match sign(&body, st, ca) {
            Some(der) => (200, "application/x-pkcs12", v1_p12(&der, &ca.der)),
            None => (400, "text/plain", b"bad CSR".to_vec()),
        }
    } else {
        (404, "text/plain", b"Not Found".to_vec())
    };
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Bad Request",
    };
    write!(
        tls,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        answer.len()
    )?;
    tls.write_all(&answer)?;
    tls.flush()?;
    tls.conn.send_close_notify();
    let _ = tls.conn.complete_io(&mut tls.sock);
    Ok(())
}

/// TAK Server's `/Marti/api/tls/config` answer.
pub const CONFIG_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ns2:certificateConfig xmlns="http://bbn.com/marti/xml/config" xmlns:ns2="com.bbn.marti.config"><nameEntries><nameEntry name="O" value="TAK Test"/><nameEntry name="OU" value="Enrollment"/></nameEntries></ns2:certificateConfig>"#;

fn sign(csr: &[u8], st: &State, ca: &Ca) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(csr).ok()?;
    let mut req = CertificateSigningRequestParams::from_pem(text).ok()?;
    let subject: Vec<String> = req
        .params
        .distinguished_name
        .iter()
        .map(|(t, v)| format!("{t:?}={v:?}"))
        .collect();
    st.subjects.lock().unwrap().push(subject.join(","));
    let now = time::OffsetDateTime::now_utc();
    req.params.not_before = now - time::Duration::hours(1);
    req.params.not_after = now + time::Duration::days(st.valid_days.load(Ordering::SeqCst));
    req.params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = req.signed_by(&ca.issuer).ok()?;
    st.signed.fetch_add(1, Ordering::SeqCst);
    Some(cert.der().to_vec())
}

/// The older signClient answer: the signed certificate and the CA, no key, `atakatak`.
fn v1_p12(cert: &[u8], ca: &[u8]) -> Vec<u8> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry};
    let mut store = KeyStore::new();
    store.add_entry(
        "signed",
        KeyStoreEntry::Certificate(Certificate::from_der(cert).unwrap()),
    );
    store.add_entry(
        "ca",
        KeyStoreEntry::Certificate(Certificate::from_der(ca).unwrap()),
    );
    store
        .writer("atakatak")
        .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
        .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha1)
        .write()
        .unwrap()
}

/// A TLS CoT server requiring a client certificate from `ca`: each connection's first
/// bytes (up to `</event>`) and the client certificate's DER go to the channel.
pub struct CotServer {
    pub port: u16,
    pub got: mpsc::Receiver<(Vec<u8>, Vec<u8>)>,
}

pub fn cot_server(ca: &Ca) -> CotServer {
    cot_server_requiring(ca, ca)
}

/// A TLS CoT server with a certificate from `ca` that accepts client certificates from
/// `client_ca` only.
pub fn cot_server_requiring(ca: &Ca, client_ca: &Ca) -> CotServer {
    let mut roots = RootCertStore::empty();
    roots.add(client_ca.der.clone()).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .unwrap();
    let (chain, key) = server_identity(ca);
    let config = Arc::new(
        ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, got) = mpsc::channel();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(sock) = sock else { break };
            let (config, tx) = (config.clone(), tx.clone());
            std::thread::spawn(move || {
                sock.set_read_timeout(Some(Duration::from_secs(10))).ok();
                let conn = ServerConnection::new(config).unwrap();
                let mut tls = StreamOwned::new(conn, sock);
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                while !String::from_utf8_lossy(&data).contains("</event>") && data.len() < 1 << 20 {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                }
                let cert = tls
                    .conn
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| c.as_ref().to_vec())
                    .unwrap_or_default();
                let _ = tx.send((data, cert));
            });
        }
    });
    CotServer { port, got }
}

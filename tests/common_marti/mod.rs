//! A test Marti server on loopback: plain HTTP or HTTPS (rustls, optionally requiring a
//! client certificate). It records every request (method, path, query, headers, body),
//! accepts posts to the injector, and answers `GET /Marti/api/cot/sa` with the events whose
//! time lies in the asked window (widened by `overlap`, so consecutive windows overlap),
//! wrapped like TAK Server does. Scripted misbehaviour (`Answer`) is served first.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

/// Bound on a request head and body the server accepts.
const MAX_REQUEST: usize = 1 << 20;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A scripted answer to one poll, served before normal answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// This status with a short text body.
    Status(u16),
    /// 200 with an HTML page.
    Html,
    /// 200 with this many bytes of filler XML-ish text.
    Huge(usize),
    /// 200, announcing 1000 bytes but sending one every `gap`.
    Slow(Duration),
}

#[derive(Default)]
pub struct State {
    pub requests: Vec<Request>,
    /// (time in ms since the epoch, event XML) served by polls.
    pub events: Vec<(i64, String)>,
    pub script: Vec<Answer>,
    /// The status answered to posts.
    pub post_status: Option<u16>,
    /// TLS handshakes that failed, with why.
    pub tls_failures: Vec<String>,
    /// Connections accepted.
    pub connections: usize,
}

pub struct MartiServer {
    pub port: u16,
    pub state: Arc<Mutex<State>>,
    /// How far the server widens each asked window back in time.
    pub overlap: Duration,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

impl MartiServer {
    /// A plain HTTP server.
    pub fn http(overlap: Duration) -> MartiServer {
        Self::start(TcpListener::bind("127.0.0.1:0").unwrap(), None, overlap)
    }

    /// A plain HTTP server on `listener` (for a port chosen before the server runs).
    pub fn http_on(listener: TcpListener, overlap: Duration) -> MartiServer {
        Self::start(listener, None, overlap)
    }

    /// An HTTPS server with this configuration.
    pub fn https(tls: Arc<ServerConfig>, overlap: Duration) -> MartiServer {
        Self::start(
            TcpListener::bind("127.0.0.1:0").unwrap(),
            Some(tls),
            overlap,
        )
    }

    fn start(listener: TcpListener, tls: Option<Arc<ServerConfig>>, overlap: Duration) -> Self {
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                let Ok(sock) = sock else { break };
                st.lock().unwrap().connections += 1;
                let (st, tls) = (st.clone(), tls.clone());
                std::thread::spawn(move || {
                    let _ = sock.set_read_timeout(Some(Duration::from_secs(20)));
                    let _ = sock.set_write_timeout(Some(Duration::from_secs(5)));
                    match tls {
                        None => serve(sock, &st, overlap),
                        Some(cfg) => {
                            let conn = ServerConnection::new(cfg).unwrap();
                            let mut s = StreamOwned::new(conn, sock);
                            // Drive the handshake here so a rejection is recorded and
                            // its alert reaches the client.
                            while s.conn.is_handshaking() {
                                if let Err(e) = s.conn.complete_io(&mut s.sock) {
                                    let _ = s.conn.write_tls(&mut s.sock);
                                    st.lock().unwrap().tls_failures.push(e.to_string());
                                    return;
                                }
                            }
                            serve(s, &st, overlap)
                        }
                    }
                });
            }
        });
        MartiServer {
            port,
            state,
            overlap,
        }
    }

    /// Adds an event (with `uid`, stamped `at` ms since the epoch) to be served by polls.
    pub fn add_event(&self, uid: &str, at: i64) -> String {
        let t = takwire::cot::CotTime::from_millis(at).to_string();
        let xml = format!(
            "<event version=\"2.0\" uid=\"{uid}\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"{t}\" \
             start=\"{t}\" stale=\"{t}\"><point lat=\"1.5\" lon=\"2.5\" hae=\"0\" ce=\"9999999\" \
             le=\"9999999\"/><detail><contact callsign=\"{uid}\"/></detail></event>"
        );
        self.state.lock().unwrap().events.push((at, xml.clone()));
        xml
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn polls(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == "/Marti/api/cot/sa")
            .collect()
    }

    pub fn posts(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == "/Marti/api/injectors/cot/uid")
            .collect()
    }

    pub fn script(&self, answers: Vec<Answer>) {
        self.state.lock().unwrap().script = answers;
    }
}

fn serve<S: Read + Write>(sock: S, st: &Mutex<State>, overlap: Duration) {
    let mut r = BufReader::new(sock);
    loop {
        let Some(req) = read_request(&mut r) else {
            return;
        };
        let close = req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let (method, path) = (req.method.clone(), req.path.clone());
        let (start, end) = (
            req.param("start").map(str::to_string),
            req.param("end").map(str::to_string),
        );
        let mut guard = st.lock().unwrap();
        guard.requests.push(req);
        let w = r.get_mut();
        let ok = if method == "POST" && path == "/Marti/api/injectors/cot/uid" {
            let status = guard.post_status.unwrap_or(200);
            drop(guard);
            respond(w, status, "text/plain", b"")
        } else if method == "GET" && path == "/Marti/api/cot/sa" {
            if !guard.script.is_empty() {
                let a = guard.script.remove(0);
                drop(guard);
                scripted(w, a);
                return; // scripted answers end the connection
            }
            let window = start
                .zip(end)
                .and_then(|(s, e)| Some((parse(&s)?, parse(&e)?)));
            let Some((s, e)) = window else {
                drop(guard);
                let _ = respond(w, 400, "text/plain", b"start and end required");
                continue;
            };
            let s = s - overlap.as_millis() as i64;
            let mut body = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<events>\n");
            for (at, xml) in &guard.events {
                if *at >= s && *at <= e {
                    body.push_str(xml);
                    body.push('\n');
                }
            }
            body.push_str("</events>\n");
            drop(guard);
            respond(w, 200, "application/xml", body.as_bytes())
        } else {
            drop(guard);
            respond(w, 404, "text/plain", b"not found")
        };
        if !ok || close {
            return;
        }
    }
}

fn parse(t: &str) -> Option<i64> {
    takwire::cot::CotTime::parse(t).ok().map(|t| t.as_millis())
}

fn respond(w: &mut impl Write, status: u16, ctype: &str, body: &[u8]) -> bool {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    w.write_all(head.as_bytes()).is_ok() && w.write_all(body).is_ok() && w.flush().is_ok()
}

fn scripted(w: &mut impl Write, a: Answer) {
    match a {
        Answer::Status(code) => {
            let _ = respond(w, code, "text/plain", b"Internal Server Error");
        }
        Answer::Html => {
            let _ = respond(
                w,
                200,
                "text/html",
                b"<!DOCTYPE html>\n<html><head><title>Login</title></head><body>Please log in</body></html>",
            );
        }
        Answer::Huge(n) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {n}\r\n\r\n"
            );
            if w.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = n;
            while left > 0 {
                let k = left.min(chunk.len());
                if w.write_all(&chunk[..k]).is_err() {
                    return; // the client stopped reading: expected
                }
                left -= k;
            }
            let _ = w.flush();
        }
        Answer::Slow(gap) => {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 1000\r\n\r\n";
            if w.write_all(head.as_bytes()).is_err() {
                return;
            }
            for _ in 0..1000 {
                if w.write_all(b" ").and_then(|_| w.flush()).is_err() {
                    return;
                }
                std::thread::sleep(gap);
            }
        }
    }
}

fn read_request<R: BufRead>(r: &mut R) -> Option<Request> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    let mut total = line.len();
    loop {
        let mut h = String::new();
        let n = r.read_line(&mut h).ok()?;
        total += n;
        if n == 0 || total > MAX_REQUEST {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if len > MAX_REQUEST {
        return None;
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    let (path, q) = target.split_once('?').unwrap_or((&target, ""));
    let query = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct(k), pct(v))
        })
        .collect();
    Some(Request {
        method,
        path: path.to_string(),
        query,
        headers,
        body,
    })
}

fn pct(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------- a small PKI

pub struct Ca {
    pub issuer: Issuer<'static, KeyPair>,
    pub der: CertificateDer<'static>,
    pub pem: String,
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
        pem: cert.pem(),
        issuer: Issuer::new(p, key),
    }
}

pub struct Leaf {
    pub der: CertificateDer<'static>,
    pub pem: String,
    pub key: KeyPair,
}

impl Leaf {
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()))
    }
}

pub fn leaf(ca: &Ca, cn: &str, names: &[&str], client: bool) -> Leaf {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut p = CertificateParams::new(names).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    let cert = p.signed_by(&key, &ca.issuer).unwrap();
    Leaf {
        der: cert.der().clone(),
        pem: cert.pem(),
        key,
    }
}

/// A server configuration requiring a client certificate issued by `client_ca`.
pub fn mtls_server_config(server: &Leaf, client_ca: &Ca) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(client_ca.der.clone()).unwrap();
    let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(v)
        .with_single_cert(vec![server.der.clone()], server.key_der())
        .unwrap();
    Arc::new(cfg)
}

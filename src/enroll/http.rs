//! The enrollment exchange over HTTPS (ureq, rustls).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PublicKeyData};
use ureq::tls::{TlsConfig, TlsProvider};

use super::answer::{self, MAX_ANSWER, Signed};
use crate::error::{Error, Result};
use crate::tls::pem;

/// One enrollment: where, as whom, and the client uid the server records.
#[derive(Clone)]
pub struct Request {
    /// The TAK Server.
    pub host: String,
    /// Its enrollment port (8446).
    pub port: u16,
    /// The user name; it becomes the certificate's CN.
    pub username: String,
    /// The password or enrollment token.
    pub password: String,
    /// This client's uid (`clientUid=`).
    pub client_uid: String,
    /// The longest time for each HTTP exchange.
    pub timeout: Duration,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("client_uid", &self.client_uid)
            .finish()
    }
}

/// `%`-encodes everything but RFC 3986 unreserved characters.
fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Request {
    fn base(&self) -> String {
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("https://{host}:{}", self.port)
    }

    fn fail(&self, reason: impl Into<String>) -> Error {
        Error::Enroll {
            host: format!("{}:{}", self.host, self.port),
            reason: reason.into(),
        }
    }

    fn auth(&self) -> String {
        format!(
            "Basic {}",
            pem::base64_encode(format!("{}:{}", self.username, self.password).as_bytes())
        )
    }
}

/// An answer: status and body (at most [`MAX_ANSWER`] bytes).
struct Answer {
    status: u16,
    body: Vec<u8>,
}

fn agent(timeout: Duration) -> ureq::Agent {
    // A first contact cannot verify the server (ATAK and PyTAK do not either): nothing is
    // known about it. What enrollment returns is what later connections verify against.
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .disable_verification(true)
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .new_agent()
}

fn exchange(
    req: &Request,
    what: &str,
    result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer> {
    let mut resp = result.map_err(|e| req.fail(format!("{what}: {e}")))?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER as u64)
        .read_to_vec()
        .map_err(|e| req.fail(format!("{what}: reading the answer: {e}")))?;
    if status == 401 || status == 403 {
        return Err(req.fail(format!(
            "{what}: the server refused user {:?} and its password or token (HTTP {status})",
            req.username
        )));
    }
    Ok(Answer { status, body })
}

fn csr(req: &Request, entries: &[(String, String)]) -> Result<(String, KeyPair)> {
    let key = KeyPair::generate().map_err(|e| req.fail(format!("cannot make a key: {e}")))?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, req.username.as_str());
    for (name, value) in entries {
        let ty = match name.as_str() {
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "C" => DnType::CountryName,
            "ST" => DnType::StateOrProvinceName,
            "L" => DnType::LocalityName,
            _ => continue,
        };
        dn.push(ty, value.as_str());
    }
    params.distinguished_name = dn;
    let csr = params
        .serialize_request(&key)
        .and_then(|c| c.pem())
        .map_err(|e| req.fail(format!("cannot make the certificate request: {e}")))?;
    Ok((csr, key))
}

/// Enrolls: asks the server for its subject name entries, makes a key and a CSR, and has
/// it signed (`signClient/v2`, else `signClient`). Returns the signed certificate with its
/// CA chain, and the private key (PKCS#8 DER).
pub fn enroll(req: &Request) -> Result<(Signed, Vec<u8>)> {
    let agent = agent(req.timeout);
    let base = req.base();
    let config = exchange(
        req,
        "GET /Marti/api/tls/config",
        agent
            .get(format!("{base}/Marti/api/tls/config"))
            .header("Authorization", &req.auth())
            .call(),
    )?;
    if config.status != 200 {
        return Err(req.fail(format!(
            "GET /Marti/api/tls/config answered HTTP {}",
            config.status
        )));
    }
    let entries = answer::name_entries(&config.body)
        .map_err(|e| req.fail(format!("GET /Marti/api/tls/config: {e}")))?;
    let (csr, key) = csr(req, &entries)?;
    let uid = query_escape(&req.client_uid);
    let post = |path: &str| {
        agent
            .post(format!("{base}{path}?clientUid={uid}"))
            .header("Authorization", &req.auth())
            .content_type("application/pkcs10")
            .send(csr.as_bytes())
    };
    let v2 = exchange(
        req,
        "POST /Marti/api/tls/signClient/v2",
        post("/Marti/api/tls/signClient/v2"),
    )?;
    let signed = if v2.status == 200 {
        answer::v2_answer(&v2.body)
            .map_err(|e| req.fail(format!("POST /Marti/api/tls/signClient/v2: {e}")))?
    } else {
        log::info!(
            "signClient/v2 answered HTTP {}: trying the older signClient",
            v2.status
        );
        let v1 = exchange(
            req,
            "POST /Marti/api/tls/signClient",
            post("/Marti/api/tls/signClient"),
        )?;
        if v1.status != 200 {
            return Err(req.fail(format!(
                "the server signs no certificate: signClient/v2 answered HTTP {}, signClient HTTP {}",
                v2.status, v1.status
            )));
        }
        answer::v1_answer(&v1.body, &key.subject_public_key_info())
            .map_err(|e| req.fail(format!("POST /Marti/api/tls/signClient: {e}")))?
    };
    Ok((signed, key.serialize_der()))
}

/// The SHA-256 fingerprint (hex) of the TLS certificate `host:port` presents, unverified,
/// as PyTAK records it; `None` when it cannot be had (best effort, 5 s).
pub fn server_fingerprint(host: &str, port: u16) -> Option<String> {
    let timeout = Duration::from_secs(5);
    let addr = (host.trim_start_matches('[').trim_end_matches(']'), port)
        .to_socket_addrs()
        .ok()?
        .next()?;
    let mut sock = TcpStream::connect_timeout(&addr, timeout).ok()?;
    sock.set_read_timeout(Some(timeout)).ok()?;
    sock.set_write_timeout(Some(timeout)).ok()?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(crate::tls::trust::AcceptAnyVerifier::new(
            &provider,
        )))
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    )
    .ok()?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
    for _ in 0..32 {
        if !conn.is_handshaking() {
            break;
        }
        conn.complete_io(&mut sock).ok()?;
    }
    let der = conn.peer_certificates()?.first()?.as_ref().to_vec();
    conn.send_close_notify();
    let _ = conn.complete_io(&mut sock);
    let _ = sock.flush();
    let _ = sock.read(&mut [0u8; 0]);
    Some(super::cache::fingerprint(&der))
}

//! TAK Server certificate enrollment (`tak://` links and `PYTAK_TLS_CERT_ENROLLMENT_*`),
//! with PyTAK's certificate cache.
//!
//! Enrollment, as ATAK and PyTAK do it, on the server's enrollment port (8446):
//!
//! 1. `GET /Marti/api/tls/config` with HTTP basic auth: the subject name entries
//!    (O, OU, C, ST, L) the server wants ([`answer::name_entries`]);
//! 2. a fresh key (ECDSA P-256) and a CSR with CN = the user name plus those entries;
//! 3. `POST /Marti/api/tls/signClient/v2?clientUid=UID` (`application/pkcs10`): a JSON
//!    answer with the signed certificate and the CA chain ([`answer::v2_answer`]), or where
//!    the server has no v2, `POST /Marti/api/tls/signClient` and its PKCS#12 answer
//!    ([`answer::v1_answer`]).
//!
//! The result ([`Enrolled`]) is kept as a PKCS#12 file protected by
//! `PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE` or a random passphrase, in the cache
//! ([`cache`]), and reused until it is within [`RENEW_BEFORE`] of expiry or the server's
//! certificate changes.
//!
//! [`prepare`] runs before a [`Client`](crate::Client) connects: it enrolls (or takes the
//! cached certificate) and hands the identity and the CA chain to the TLS settings in
//! memory. Unlike PyTAK, which turns server verification off after enrolling, takwire
//! keeps verifying the server's chain against the CA chain enrollment returned (the
//! server name is not checked, as in PyTAK: TAK Server certificates seldom name the host).
//!
//! The enrollment request itself does not verify the server (on a first contact nothing
//! is known about it yet; ATAK and PyTAK do the same): the user name and token go to
//! whoever answers on the enrollment port.

pub mod answer;
pub mod cache;
mod http;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, MemoryFile};
use crate::error::{Error, Result};
use crate::tls::{Password, pem};
use crate::url::{Scheme, TAK_MARTI_PORT, TAK_STREAMING_PORT};

pub use answer::Signed;
pub use cache::CacheEntry;
pub use http::{Request, enroll, server_fingerprint};

/// A cached certificate this close to expiry is enrolled again (PyTAK: 7 days).
pub const RENEW_BEFORE: Duration = Duration::from_secs(7 * 86_400);
/// PBE and MAC iterations of the PKCS#12 files written (as TAK Server's and PyTAK's).
const P12_ITERATIONS: u32 = 2048;

/// An enrolled client identity.
#[derive(Clone)]
pub struct Enrolled {
    /// The client certificate (DER).
    pub cert: Vec<u8>,
    /// The CA chain that came with it (DER).
    pub ca: Vec<Vec<u8>>,
    /// The private key (PKCS#8 DER).
    pub key_pkcs8: Vec<u8>,
    /// The passphrase of [`Enrolled::p12`].
    pub passphrase: String,
    /// Key, certificate and CA chain as PKCS#12 (3DES, SHA-1 MAC: what ATAK, iTAK and
    /// PyTAK read), protected by `passphrase`.
    pub p12: Vec<u8>,
}

impl std::fmt::Debug for Enrolled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolled")
            .field("subject", &self.subject())
            .field("ca", &self.ca.len())
            .field("not_after", &self.not_after())
            .finish()
    }
}

fn p12_error(e: p12_keystore::error::Error) -> Error {
    Error::Tls(format!("cannot write the enrolled PKCS#12 file: {e}"))
}

impl Enrolled {
    /// Puts a signed certificate, its CA chain and the key together, as PKCS#12 protected
    /// by `passphrase`.
    pub fn new(
        signed: Signed,
        key_pkcs8: Vec<u8>,
        passphrase: String,
        alias: &str,
    ) -> Result<Enrolled> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let key = PrivateKey::from_der(&key_pkcs8).map_err(p12_error)?;
        let mut certs = vec![Certificate::from_der(&signed.cert).map_err(p12_error)?];
        for der in &signed.ca {
            certs.push(Certificate::from_der(der).map_err(p12_error)?);
        }
        let key_id = ring::digest::digest(&ring::digest::SHA256, &signed.cert);
        let key_id = key_id.as_ref().get(..20).unwrap_or_default().to_vec();
        let mut store = KeyStore::new();
        store.add_entry(
            alias,
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(key_id, key, certs)),
        );
        let p12 = store
            .writer(&passphrase)
            .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha1)
            .encryption_iterations(P12_ITERATIONS)
            .mac_iterations(P12_ITERATIONS)
            .write()
            .map_err(p12_error)?;
        Ok(Enrolled {
            cert: signed.cert,
            ca: signed.ca,
            key_pkcs8,
            passphrase,
            p12,
        })
    }

    /// Reads a PKCS#12 file (as enrollment or PyTAK wrote it) with its passphrase. `name`
    /// names it in errors.
    pub fn from_pkcs12(name: &Path, data: &[u8], passphrase: &str) -> Result<Enrolled> {
        let pw = Password {
            value: passphrase.to_string(),
            key: "its passphrase",
        };
        let archive = crate::tls::open_pkcs12(data, Some(&pw)).map_err(|e| {
            let why = match e {
                crate::tls::Pkcs12Error::WrongPassword => "the passphrase does not open it".into(),
                crate::tls::Pkcs12Error::Unreadable(why) => format!("unreadable PKCS#12: {why}"),
            };
            Error::Tls(format!("{}: {why}", name.display()))
        })?;
        let bad = |why: &str| Error::Tls(format!("{}: {why}", name.display()));
        let key = archive
            .keys
            .first()
            .ok_or_else(|| bad("holds no private key"))?;
        let key_pkcs8 = key.key.as_der().to_vec();
        let provider = rustls::crypto::ring::default_provider();
        let signing = provider
            .key_provider
            .load_private_key(rustls_pki_types::PrivateKeyDer::Pkcs8(
                key_pkcs8.clone().into(),
            ))
            .map_err(|e| bad(&format!("unusable private key: {e}")))?;
        let spki = signing.public_key().map(|s| s.as_ref().to_vec());
        let mut certs: Vec<Vec<u8>> = Vec::new();
        for bag in &archive.certs {
            let der = bag.cert.as_der().to_vec();
            if !certs.contains(&der) {
                certs.push(der);
            }
        }
        let leaf = certs
            .iter()
            .position(|der| {
                x509_parser::parse_x509_certificate(der)
                    .is_ok_and(|(_, c)| spki.as_deref() == Some(c.public_key().raw))
            })
            .ok_or_else(|| bad("holds no certificate for its private key"))?;
        let cert = certs.remove(leaf);
        Ok(Enrolled {
            cert,
            ca: certs,
            key_pkcs8,
            passphrase: passphrase.to_string(),
            p12: data.to_vec(),
        })
    }

    /// The CA chain as a PKCS#12 truststore (certificates only) protected by the
    /// passphrase, as ATAK and iTAK import it.
    pub fn truststore_p12(&self) -> Result<Vec<u8>> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry};
        let mut store = KeyStore::new();
        for (i, der) in self.ca.iter().enumerate() {
            let cert = Certificate::from_der(der).map_err(p12_error)?;
            store.add_entry(&format!("ca-{i}"), KeyStoreEntry::Certificate(cert));
        }
        store
            .writer(&self.passphrase)
            .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha1)
            .encryption_iterations(P12_ITERATIONS)
            .mac_iterations(P12_ITERATIONS)
            .write()
            .map_err(p12_error)
    }

    /// The end of the certificate's validity, in seconds since 1970.
    pub fn not_after(&self) -> Option<i64> {
        let (_, c) = x509_parser::parse_x509_certificate(&self.cert).ok()?;
        Some(c.validity().not_after.timestamp())
    }

    /// The certificate's subject (`CN=bob, O=TAK`).
    pub fn subject(&self) -> Option<String> {
        let (_, c) = x509_parser::parse_x509_certificate(&self.cert).ok()?;
        Some(c.subject().to_string())
    }

    /// Whether the certificate is valid for longer than [`RENEW_BEFORE`] from now.
    pub fn is_fresh(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.not_after()
            .is_some_and(|end| now < end - RENEW_BEFORE.as_secs() as i64)
    }

    /// The certificate and then the private key, as PEM.
    pub fn cert_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.cert)
    }

    /// The private key as unencrypted PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        pem::encode("PRIVATE KEY", &self.key_pkcs8)
    }

    /// The CA chain as PEM.
    pub fn ca_pem(&self) -> String {
        self.ca
            .iter()
            .map(|c| pem::encode("CERTIFICATE", c))
            .collect()
    }
}

/// A random passphrase like PyTAK's (`secrets.token_urlsafe(16)`: 22 URL-safe characters).
pub fn random_passphrase() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        for b in &mut bytes {
            *b = (crate::util::random_unit() * 256.0) as u8;
        }
    }
    pem::base64_encode(&bytes)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

/// Where and as whom to enroll, as the configuration asks.
#[derive(Clone)]
pub struct Target {
    /// The TAK Server.
    pub host: String,
    /// The port the cache key is made with (the `tak://` link's port, else 8089).
    pub cache_port: u16,
    /// The port whose TLS certificate is fingerprinted (the link's port, else 8443).
    pub fingerprint_port: u16,
    /// The enrollment user.
    pub username: String,
    /// The enrollment password or token.
    pub password: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("host", &self.host)
            .field("cache_port", &self.cache_port)
            .field("username", &self.username)
            .finish()
    }
}

impl Target {
    /// What `config` asks to enroll for: a `tak://` link (`COT_URL` or `TAK_URL`), or
    /// `PYTAK_TLS_CERT_ENROLLMENT_USERNAME` and `..._PASSWORD` with a `tls://` `COT_URL`.
    pub fn from_config(config: &Config) -> Option<Target> {
        if let Some(t) = &config.tak_url {
            return Some(Target {
                host: t.host().to_string(),
                cache_port: t.port().unwrap_or(TAK_STREAMING_PORT),
                fingerprint_port: t.port().unwrap_or(TAK_MARTI_PORT),
                username: t.username().to_string(),
                password: t.token().to_string(),
            });
        }
        let tls = &config.tls;
        match (&tls.enrollment_username, &tls.enrollment_password) {
            (Some(user), Some(pass)) if config.cot_url.scheme() == Scheme::Tls => Some(Target {
                host: config.cot_url.host().to_string(),
                cache_port: config.cot_url.port(),
                fingerprint_port: config.cot_url.port(),
                username: user.clone(),
                password: pass.clone(),
            }),
            _ => None,
        }
    }

    /// The enrollment request for this target.
    pub fn request(&self, config: &Config) -> Request {
        Request {
            host: self.host.clone(),
            port: config.enrollment_port,
            username: self.username.clone(),
            password: self.password.clone(),
            client_uid: config.host_id().to_string(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Whether a connection error means the server refused our certificate: a TLS alert
/// rejecting it, or an HTTP 403 (a WebSocket or Marti endpoint). A cached certificate
/// refused this way is dropped and enrolled again.
pub fn is_rejection(e: &Error) -> bool {
    match e {
        Error::Http { reason, .. } => reason.contains("403"),
        Error::Tls(m) | Error::Stopped(m) => m.contains("rejected our client certificate"),
        Error::Io { source, .. } => crate::tls::tls_error_of(source).is_some_and(|t| {
            use rustls::AlertDescription as A;
            matches!(
                t,
                rustls::Error::AlertReceived(
                    A::BadCertificate
                        | A::CertificateRevoked
                        | A::CertificateExpired
                        | A::CertificateUnknown
                        | A::UnknownCA
                        | A::AccessDenied
                )
            )
        }),
        other => other
            .to_string()
            .contains("rejected our client certificate"),
    }
}

/// What [`prepare`] did.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The identity in use.
    pub enrolled: Enrolled,
    /// Its cache entry.
    pub entry: CacheEntry,
    /// Whether it came from the cache (no enrollment ran).
    pub from_cache: bool,
}

/// The cache directory `config` names, else `~/.pytak/certs`.
pub fn cache_dir(config: &Config) -> Result<PathBuf> {
    config
        .cert_cache_dir
        .clone()
        .or_else(cache::default_dir)
        .ok_or_else(|| Error::Enroll {
            host: String::new(),
            reason: "no home directory for the certificate cache: set TAKWIRE_CERT_CACHE_DIR"
                .into(),
        })
}

/// Enrolls if `config` asks for it (see [`Target::from_config`]), or takes the cached
/// certificate, and puts the identity and the CA chain into `config.tls` (in memory).
/// Returns `None` when the configuration asks for no enrollment.
///
/// A cached certificate is used while it is more than [`RENEW_BEFORE`] from expiry, the
/// passphrase opens it and the server's certificate is the one seen at enrollment.
pub fn prepare(config: &mut Config) -> Result<Option<Prepared>> {
    let Some(target) = Target::from_config(config) else {
        return Ok(None);
    };
    let dir = cache_dir(config)?;
    let entry = CacheEntry::new(&dir, &target.host, target.cache_port, &target.username);
    let current_fp = server_fingerprint(&target.host, target.fingerprint_port);
    let cached =
        entry.load().and_then(
            |c| match Enrolled::from_pkcs12(&c.path, &c.p12, &c.passphrase) {
                Ok(e) => Some((e, c)),
                Err(e) => {
                    log::info!("cached certificate unusable, enrolling again: {e}");
                    None
                }
            },
        );
    let reuse = match cached {
        Some((e, c)) => {
            let changed = matches!((&current_fp, &c.server_fingerprint),
                (Some(now), Some(then)) if now != then);
            if changed {
                log::info!(
                    "the certificate of {}:{} changed since enrollment: enrolling again",
                    target.host,
                    target.fingerprint_port
                );
                None
            } else if !e.is_fresh() {
                log::info!("the cached certificate expires within 7 days: enrolling again");
                None
            } else {
                if c.server_fingerprint.is_none()
                    && let Some(fp) = &current_fp
                {
                    entry.store_fingerprint(fp)?;
                }
                Some(e)
            }
        }
        None => None,
    };
    let (enrolled, from_cache) = match reuse {
        Some(e) => {
            log::info!("using the cached certificate {}", entry.p12.display());
            (e, true)
        }
        None => {
            let passphrase = config
                .tls
                .enrollment_passphrase
                .clone()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(random_passphrase);
            let (signed, key) = enroll(&target.request(config))?;
            let e = Enrolled::new(signed, key, passphrase, "TAK Client Cert")?;
            entry.store(&e.p12, &e.passphrase, current_fp.as_deref())?;
            log::info!("enrolled; certificate cached at {}", entry.p12.display());
            (e, false)
        }
    };
    apply(config, &enrolled, &entry.p12);
    Ok(Some(Prepared {
        enrolled,
        entry,
        from_cache,
    }))
}

/// Puts an enrolled identity into `config.tls`: the PKCS#12 in memory as the client
/// certificate, and (unless `PYTAK_TLS_CLIENT_CAFILE` is set) the CA chain as the trust
/// anchors, with the server name unchecked.
pub fn apply(config: &mut Config, enrolled: &Enrolled, name: &Path) {
    let tls = &mut config.tls;
    tls.client_cert = None;
    tls.client_key = None;
    tls.client_password = Some(enrolled.passphrase.clone());
    // PyTAK opens the certificate with the enrollment passphrase when that key is set: make
    // it the one of the certificate in use (a cached one may have another).
    tls.enrollment_passphrase = Some(enrolled.passphrase.clone());
    tls.client_cert_data = Some(MemoryFile {
        name: name.display().to_string(),
        data: Arc::from(enrolled.p12.clone()),
        password: None,
    });
    if tls.client_cafile.is_none() {
        if enrolled.ca.is_empty() {
            log::warn!(
                "enrollment returned no CA chain: the server cannot be verified \
                 (as PyTAK, PYTAK_TLS_DONT_VERIFY)"
            );
            tls.dont_verify = true;
        } else {
            tls.client_cafile_data = Some(MemoryFile {
                name: format!("the CA chain enrollment returned ({})", name.display()),
                data: Arc::from(enrolled.ca_pem().into_bytes()),
                password: None,
            });
            tls.dont_check_hostname = true;
        }
    }
}

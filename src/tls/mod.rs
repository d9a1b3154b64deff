//! TLS for `tls://` (and the other TLS transports): a rustls [`ClientConfig`] built from the
//! `PYTAK_TLS_*` keys, the way PyTAK's `get_ssl_ctx` builds its OpenSSL context.
//!
//! | key | effect |
//! |---|---|
//! | `PYTAK_TLS_CLIENT_CERT` | client certificate: PEM (certificate, maybe key and chain), DER, or PKCS#12 (legacy 3DES/RC2 or AES), told apart by content |
//! | `PYTAK_TLS_CLIENT_KEY` | the PEM key when it is not in the certificate file (plain or encrypted PKCS#8, PKCS#1, SEC1) |
//! | `PYTAK_TLS_CLIENT_PASSWORD` | opens the PKCS#12 file or the encrypted key; `PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE` wins when set, as in PyTAK |
//! | `PYTAK_TLS_CLIENT_CAFILE` | trust anchors (PEM, DER or a PKCS#12 truststore); without it the Mozilla roots |
//! | `PYTAK_TLS_DONT_VERIFY` | accept any server certificate (a warning is logged) |
//! | `PYTAK_TLS_DONT_CHECK_HOSTNAME` | accept a certificate for another name; the chain is still verified (a warning is logged) |
//! | `PYTAK_TLS_SERVER_EXPECTED_HOSTNAME` | the name the server certificate is checked against (and sent as SNI) instead of the `COT_URL` host |
//! | `PYTAK_TLS_CLIENT_CIPHERS` | OpenSSL-style suite list, see [`ciphers`] |
//!
//! Differences from PyTAK, each on purpose: a client certificate is optional (PyTAK
//! refuses to start without one; servers that do not ask for one work), and without
//! `PYTAK_TLS_CLIENT_CAFILE` the Mozilla roots are trusted (PyTAK's context then trusts
//! nothing). TLS 1.2 and 1.3 only, as PyTAK (which turns 1.0 and 1.1 off).
//!
//! A data package (`PREF_PACKAGE`, see the `package` module) supplies its client certificate
//! and truststore in memory ([`TlsSettings::client_cert_data`],
//! [`TlsSettings::client_cafile_data`]); files named by the keys above win over them.
//!
//! All material is read and checked when the configuration is built, before any
//! connection: a missing file, a wrong password, a key that does not belong to the
//! certificate, or a certificate outside its validity period is an [`Error::Tls`] naming
//! the key and the file.

pub mod ciphers;
pub mod identity;
pub(crate) mod pem;
pub mod trust;

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{AlertDescription, CertificateError, ClientConfig};

use crate::config::TlsSettings;
use crate::error::{Error, Result};

/// The largest certificate, key or truststore file read (real ones are a few kilobytes).
pub const MAX_MATERIAL_SIZE: u64 = 1024 * 1024;

/// A password and the key it came from (for error messages; the value is never shown).
#[derive(Clone)]
pub struct Password {
    /// The password.
    pub value: String,
    /// `PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE` or `PYTAK_TLS_CLIENT_PASSWORD`.
    pub key: &'static str,
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Password({}: <redacted>)", self.key)
    }
}

impl Password {
    /// The password PyTAK would use: `PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE` when set,
    /// else `PYTAK_TLS_CLIENT_PASSWORD`.
    pub fn from_settings(tls: &TlsSettings) -> Option<Password> {
        if let Some(p) = &tls.enrollment_passphrase {
            return Some(Password {
                value: p.clone(),
                key: "PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE",
            });
        }
        tls.client_password.as_ref().map(|p| Password {
            value: p.clone(),
            key: "PYTAK_TLS_CLIENT_PASSWORD",
        })
    }
}

/// A client configuration and the name the server is checked against.
#[derive(Debug, Clone)]
pub struct TlsClient {
    /// The rustls configuration.
    pub config: Arc<ClientConfig>,
    /// The server name for SNI and certificate verification.
    pub server_name: ServerName<'static>,
}

/// Builds the client configuration for a server reached as `host` (the `COT_URL` host).
///
/// ```
/// let tls = takwire::config::TlsSettings {
///     client_ciphers: "ALL".into(),
///     ..Default::default()
/// };
/// let client = takwire::tls::client_config(&tls, "takserver.example").unwrap();
/// assert_eq!(client.server_name.to_str(), "takserver.example");
/// ```
pub fn client_config(tls: &TlsSettings, host: &str) -> Result<TlsClient> {
    let list = if tls.client_ciphers.trim().is_empty() {
        "ALL"
    } else {
        tls.client_ciphers.as_str()
    };
    let selection = ciphers::select(list)?;
    if !selection.unsupported.is_empty() {
        log::warn!(
            "{}: rustls does not implement {}; skipped",
            ciphers::KEY,
            selection.unsupported.join(", ")
        );
    }
    let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    if selection.has_tls13() {
        versions.push(&rustls::version::TLS13);
    }
    if selection.has_tls12() {
        versions.push(&rustls::version::TLS12);
    }
    let provider = Arc::new(CryptoProvider {
        cipher_suites: selection.suites.clone(),
        ..rustls::crypto::ring::default_provider()
    });
    let password = Password::from_settings(tls);

    // PyTAK: DONT_VERIFY implies DONT_CHECK_HOSTNAME, and the expected name only counts
    // while names are checked.
    let check_name = !(tls.dont_verify || tls.dont_check_hostname);
    let verifier: Arc<dyn ServerCertVerifier> = if tls.dont_verify {
        log::warn!(
            "PYTAK_TLS_DONT_VERIFY is on: the server's certificate is not verified, so anyone \
             on the network path can pose as the server"
        );
        Arc::new(trust::AcceptAnyVerifier::new(&provider))
    } else {
        let roots = match (&tls.client_cafile, &tls.client_cafile_data) {
            (None, Some(mem)) => {
                let own = mem.password.as_ref().map(|p| Password {
                    value: p.clone(),
                    key: "caPassword",
                });
                trust::root_store_bytes(
                    Path::new(&mem.name),
                    &mem.data,
                    own.as_ref().or(password.as_ref()),
                )?
            }
            (path, _) => trust::root_store(path.as_deref(), password.as_ref())?,
        };
        let webpki = trust::webpki_verifier(roots, &provider)?;
        if tls.dont_check_hostname {
            log::warn!(
                "PYTAK_TLS_DONT_CHECK_HOSTNAME is on: the server certificate's name is not \
                 checked (its chain and dates still are)"
            );
            Arc::new(trust::IgnoreNameVerifier::new(webpki))
        } else {
            webpki
        }
    };
    let (name, name_key) = match &tls.server_expected_hostname {
        Some(expected) if check_name => (expected.as_str(), "PYTAK_TLS_SERVER_EXPECTED_HOSTNAME"),
        _ => (
            host.trim_start_matches('[').trim_end_matches(']'),
            "COT_URL",
        ),
    };
    let server_name = ServerName::try_from(name.to_string()).map_err(|e| {
        Error::Tls(format!(
            "{name_key}: {name:?} is not a valid server name to check the certificate against: {e}"
        ))
    })?;

    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| Error::Tls(format!("{}: {e}", ciphers::KEY)))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&tls.client_cert, &tls.client_cert_data) {
        (Some(cert), _) => {
            let id = identity::load(
                cert,
                tls.client_key.as_deref(),
                password.as_ref(),
                &provider,
            )?;
            builder
                .with_client_auth_cert(id.chain, id.key)
                .map_err(|e| tls_error(identity::CERT_KEY, cert, e.to_string()))?
        }
        (None, Some(mem)) => {
            let name = Path::new(&mem.name);
            let id = identity::load_bytes(name, &mem.data, None, password.as_ref(), &provider)?;
            builder
                .with_client_auth_cert(id.chain, id.key)
                .map_err(|e| tls_error(identity::CERT_KEY, name, e.to_string()))?
        }
        (None, None) => {
            if tls.client_key.is_some() {
                log::warn!("PYTAK_TLS_CLIENT_KEY is set without PYTAK_TLS_CLIENT_CERT: ignored");
            }
            log::info!("no PYTAK_TLS_CLIENT_CERT: connecting without a client certificate");
            builder.with_no_client_auth()
        }
    };
    Ok(TlsClient {
        config: Arc::new(config),
        server_name,
    })
}

/// A TLS failure on a live connection, carried inside an [`std::io::Error`] so the client
/// can tell what happened (see [`is_fatal_io`]).
#[derive(Debug)]
pub struct TlsFailure {
    /// What rustls reported.
    pub error: rustls::Error,
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(&self.error))
    }
}

impl std::error::Error for TlsFailure {}

impl TlsFailure {
    /// Wraps a rustls error as an [`std::io::Error`] of kind `InvalidData`.
    pub fn io(error: rustls::Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, TlsFailure { error })
    }
}

/// The rustls error inside an I/O error, if the I/O error is a TLS failure.
pub fn tls_error_of(e: &std::io::Error) -> Option<&rustls::Error> {
    let inner = e.get_ref()?;
    if let Some(f) = inner.downcast_ref::<TlsFailure>() {
        return Some(&f.error);
    }
    inner.downcast_ref::<rustls::Error>()
}

/// Whether an I/O error on a TLS link is one that reconnecting cannot fix: the server
/// rejected our certificate, or we rejected the server's.
pub fn is_fatal_io(e: &std::io::Error) -> bool {
    tls_error_of(e).is_some_and(is_fatal)
}

/// Whether a TLS error will happen again on the next attempt with the same configuration.
pub fn is_fatal(e: &rustls::Error) -> bool {
    use AlertDescription as A;
    match e {
        rustls::Error::InvalidCertificate(_)
        | rustls::Error::PeerIncompatible(_)
        | rustls::Error::NoCertificatesPresented
        | rustls::Error::InconsistentKeys(_) => true,
        rustls::Error::AlertReceived(a) => matches!(
            a,
            A::BadCertificate
                | A::UnsupportedCertificate
                | A::CertificateRevoked
                | A::CertificateExpired
                | A::CertificateUnknown
                | A::CertificateRequired
                | A::UnknownCA
                | A::AccessDenied
                | A::HandshakeFailure
                | A::ProtocolVersion
                | A::InsufficientSecurity
        ),
        _ => false,
    }
}

/// A sentence saying what a TLS error means for a TAK user, with what to change.
pub fn describe(e: &rustls::Error) -> String {
    use AlertDescription as A;
    match e {
        rustls::Error::AlertReceived(a @ (A::CertificateRequired | A::NoCertificate)) => format!(
            "the server requires a client certificate (it sent the TLS alert {a:?}): set \
             PYTAK_TLS_CLIENT_CERT"
        ),
        rustls::Error::AlertReceived(
            a @ (A::BadCertificate
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::UnknownCA
            | A::AccessDenied),
        ) => format!(
            "the server rejected our client certificate (it sent the TLS alert {a:?}): check \
             that PYTAK_TLS_CLIENT_CERT is issued by a CA the server trusts and is not revoked"
        ),
        rustls::Error::AlertReceived(A::HandshakeFailure) => "the server refused the handshake \
            (TLS alert HandshakeFailure): no cipher suite or key type in common, or it wants a \
            client certificate"
            .to_string(),
        rustls::Error::AlertReceived(A::ProtocolVersion) => {
            "the server speaks no TLS version takwire does (1.2, 1.3)".to_string()
        }
        rustls::Error::AlertReceived(a) => format!("the server sent the TLS alert {a:?}"),
        rustls::Error::InvalidCertificate(c) => {
            let hint = match c {
                CertificateError::UnknownIssuer => {
                    " (set PYTAK_TLS_CLIENT_CAFILE to the server's CA, or PYTAK_TLS_DONT_VERIFY=1 \
                     to skip verification)"
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    " (set PYTAK_TLS_SERVER_EXPECTED_HOSTNAME to a name it has, or \
                     PYTAK_TLS_DONT_CHECK_HOSTNAME=1)"
                }
                _ => "",
            };
            format!("the server's certificate was rejected: {e}{hint}")
        }
        rustls::Error::InvalidMessage(m) => format!(
            "the server sent something that is not TLS ({m:?}): is this a plain TCP port \
             (use tcp://)?"
        ),
        rustls::Error::PeerIncompatible(p) => {
            format!("the server has nothing in common with takwire's TLS settings: {p:?}")
        }
        other => other.to_string(),
    }
}

/// The PKCS#12 failures callers tell apart.
pub(crate) enum Pkcs12Error {
    /// The MAC or the decryption failed: the password is wrong.
    WrongPassword,
    /// Not a PKCS#12 file, or one using something unsupported.
    Unreadable(String),
}

/// Opens a PKCS#12 file with `password` (none: the empty password).
pub(crate) fn open_pkcs12(
    data: &[u8],
    password: Option<&Password>,
) -> std::result::Result<p12_keystore::Pkcs12Archive, Pkcs12Error> {
    use p12_keystore::error::Error as E;
    let pass = password.map_or("", |p| p.value.as_str());
    p12_keystore::Pkcs12Archive::from_pkcs12(data, pass).map_err(|e| match e {
        E::MacError(_) | E::UnpadError => Pkcs12Error::WrongPassword,
        other => Pkcs12Error::Unreadable(other.to_string()),
    })
}

/// Reads a certificate, key or truststore file named by configuration key `key`.
pub(crate) fn read_material(key: &str, path: &Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path)
        .map_err(|e| tls_error(key, path, format!("cannot open the file: {e}")))?;
    let mut data = Vec::new();
    file.take(MAX_MATERIAL_SIZE + 1)
        .read_to_end(&mut data)
        .map_err(|e| tls_error(key, path, format!("cannot read the file: {e}")))?;
    if data.len() as u64 > MAX_MATERIAL_SIZE {
        return Err(tls_error(
            key,
            path,
            format!("is larger than {MAX_MATERIAL_SIZE} bytes: not a certificate or key file"),
        ));
    }
    if data.is_empty() {
        return Err(tls_error(key, path, "is empty"));
    }
    Ok(data)
}

/// An [`Error::Tls`] about the file named by `key`.
pub(crate) fn tls_error(key: &str, path: &Path, why: impl fmt::Display) -> Error {
    Error::Tls(format!("{key}={}: {why}", path.display()))
}

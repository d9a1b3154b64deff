//! The client's identity: its certificate chain and private key, from
//! `PYTAK_TLS_CLIENT_CERT` (PEM or PKCS#12, told apart by content) and `PYTAK_TLS_CLIENT_KEY`.
//!
//! Everything that can be checked before connecting is checked here, so a bad file is an
//! error at start-up rather than a handshake the server refuses: the password, that the key
//! belongs to the certificate, and that the certificate is valid now.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls_pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use x509_parser::certificate::X509Certificate;

use crate::error::Result;
use crate::tls::{Password, Pkcs12Error, open_pkcs12, pem, read_material, tls_error};

/// The key naming the client certificate.
pub const CERT_KEY: &str = "PYTAK_TLS_CLIENT_CERT";
/// The key naming a separate private key file.
pub const KEY_KEY: &str = "PYTAK_TLS_CLIENT_KEY";

/// A client certificate chain (leaf first) and its private key.
pub struct Identity {
    /// The leaf certificate followed by the intermediates that issued it.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key of the leaf certificate.
    pub key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("chain", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Loads and checks the client identity.
///
/// * `cert`: a PEM file with the certificate (and maybe the key and intermediates), a DER
///   certificate, or a PKCS#12 file (legacy 3DES/RC2 or modern AES), told apart by content;
/// * `key`: a PEM private key (PKCS#8, encrypted PKCS#8, PKCS#1 or SEC1) when it is not in
///   `cert`; ignored for PKCS#12, which carries its own key (as in PyTAK);
/// * `password`: opens an encrypted key or the PKCS#12 file.
///
/// The key must match the certificate, and the certificate must be valid now.
pub fn load(
    cert: &Path,
    key: Option<&Path>,
    password: Option<&Password>,
    provider: &CryptoProvider,
) -> Result<Identity> {
    let data = read_material(CERT_KEY, cert)?;
    load_bytes(cert, &data, key, password, provider)
}

/// Like [`load`], for a certificate already in memory (a data package's PKCS#12 file):
/// `name` only names it in error messages.
pub fn load_bytes(
    name: &Path,
    data: &[u8],
    key: Option<&Path>,
    password: Option<&Password>,
    provider: &CryptoProvider,
) -> Result<Identity> {
    let cert = name;
    let identity = if pem::is_pem(data) {
        from_pem(cert, data, key, password)?
    } else if x509_parser::parse_x509_certificate(data).is_ok() {
        let Some(key_path) = key else {
            return Err(tls_error(
                CERT_KEY,
                cert,
                format!("is a DER certificate without its private key: set {KEY_KEY}"),
            ));
        };
        Identity {
            chain: vec![CertificateDer::from(data.to_vec())],
            key: key_from_file(key_path, password)?,
        }
    } else {
        if key.is_some() {
            log::debug!("{KEY_KEY} is ignored: {CERT_KEY} is a PKCS#12 file with its own key");
        }
        from_pkcs12(cert, data, password, provider)?
    };
    check(cert, key, &identity, provider)?;
    Ok(identity)
}

fn from_pem(
    path: &Path,
    data: &[u8],
    key: Option<&Path>,
    password: Option<&Password>,
) -> Result<Identity> {
    let blocks = pem::parse(data).map_err(|why| tls_error(CERT_KEY, path, why))?;
    let chain: Vec<CertificateDer<'static>> = blocks
        .iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| CertificateDer::from(b.der.clone()))
        .collect();
    if chain.is_empty() {
        return Err(tls_error(
            CERT_KEY,
            path,
            "holds no PEM CERTIFICATE block (expected a PEM certificate or a PKCS#12 file)",
        ));
    }
    let key = match key {
        Some(key_path) => key_from_file(key_path, password)?,
        None => match key_from_blocks(CERT_KEY, path, &blocks, password)? {
            Some(k) => k,
            None => {
                return Err(tls_error(
                    CERT_KEY,
                    path,
                    format!("holds no private key: add it to the file or set {KEY_KEY}"),
                ));
            }
        },
    };
    Ok(Identity { chain, key })
}

fn key_from_file(path: &Path, password: Option<&Password>) -> Result<PrivateKeyDer<'static>> {
    let data = read_material(KEY_KEY, path)?;
    if !pem::is_pem(&data) {
        // A DER key: PKCS#8 is by far the most common.
        return match data.first() {
            Some(0x30) => Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(data))),
            _ => Err(tls_error(
                KEY_KEY,
                path,
                "is neither a PEM nor a DER private key",
            )),
        };
    }
    let blocks = pem::parse(&data).map_err(|why| tls_error(KEY_KEY, path, why))?;
    key_from_blocks(KEY_KEY, path, &blocks, password)?
        .ok_or_else(|| tls_error(KEY_KEY, path, "holds no PEM private key block"))
}

/// The first private key among `blocks`, decrypted if need be.
fn key_from_blocks(
    key_name: &str,
    path: &Path,
    blocks: &[pem::Block],
    password: Option<&Password>,
) -> Result<Option<PrivateKeyDer<'static>>> {
    for b in blocks {
        let key = match b.label.as_str() {
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" if b.has_headers => {
                return Err(tls_error(
                    key_name,
                    path,
                    format!(
                        "holds a legacy OpenSSL-encrypted {} (Proc-Type: 4,ENCRYPTED), which \
                         takwire does not read; convert it to encrypted PKCS#8 with \
                         `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
                        b.label
                    ),
                ));
            }
            "PRIVATE KEY" => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(b.der.clone())),
            "RSA PRIVATE KEY" => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(b.der.clone())),
            "EC PRIVATE KEY" => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(b.der.clone())),
            "ENCRYPTED PRIVATE KEY" => decrypt_pkcs8(key_name, path, &b.der, password)?,
            _ => continue,
        };
        return Ok(Some(key));
    }
    Ok(None)
}

fn decrypt_pkcs8(
    key_name: &str,
    path: &Path,
    der: &[u8],
    password: Option<&Password>,
) -> Result<PrivateKeyDer<'static>> {
    use pkcs8::der::Decode;
    let Some(password) = password else {
        return Err(tls_error(
            key_name,
            path,
            "holds an encrypted private key but no password is set \
             (PYTAK_TLS_CLIENT_PASSWORD)",
        ));
    };
    let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).map_err(|e| {
        tls_error(
            key_name,
            path,
            format!("damaged encrypted private key: {e}"),
        )
    })?;
    match info.decrypt(password.value.as_bytes()) {
        Ok(doc) => Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            doc.as_bytes().to_vec(),
        ))),
        Err(pkcs8::Error::EncryptedPrivateKey(
            e @ (pkcs8::pkcs5::Error::NoPbes1CryptSupport
            | pkcs8::pkcs5::Error::UnsupportedAlgorithm { .. }),
        )) => Err(tls_error(
            key_name,
            path,
            format!(
                "the private key is encrypted with a scheme takwire cannot read ({e}); \
                 re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
            ),
        )),
        Err(_) => Err(tls_error(
            key_name,
            path,
            format!(
                "cannot decrypt the private key: wrong password ({})",
                password.key
            ),
        )),
    }
}

fn from_pkcs12(
    path: &Path,
    data: &[u8],
    password: Option<&Password>,
    provider: &CryptoProvider,
) -> Result<Identity> {
    let archive = match open_pkcs12(data, password) {
        Ok(a) => a,
        Err(Pkcs12Error::WrongPassword) => {
            let what = match password {
                Some(p) => format!("wrong password ({})", p.key),
                None => "it is protected by a password: set PYTAK_TLS_CLIENT_PASSWORD".to_string(),
            };
            return Err(tls_error(
                CERT_KEY,
                path,
                format!("cannot open the PKCS#12 file: {what}"),
            ));
        }
        Err(Pkcs12Error::Unreadable(why)) => {
            return Err(tls_error(
                CERT_KEY,
                path,
                format!("is neither PEM nor a readable PKCS#12 file: {why}"),
            ));
        }
    };
    if archive.keys.is_empty() {
        return Err(tls_error(
            CERT_KEY,
            path,
            "the PKCS#12 file holds no private key (a truststore belongs in \
             PYTAK_TLS_CLIENT_CAFILE)",
        ));
    }
    let certs: Vec<&[u8]> = archive.certs.iter().map(|c| c.cert.as_der()).collect();
    // The leaf: the certificate bag with the key's local key id, else the one whose public
    // key is the key's.
    let mut chosen = None;
    for key in &archive.keys {
        let by_id = key.local_key_id.as_ref().and_then(|id| {
            archive
                .certs
                .iter()
                .position(|c| c.local_key_id.as_deref() == Some(id.as_ref()))
        });
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.key.as_der().to_vec()));
        let leaf = by_id.or_else(|| {
            let spki = key_spki(&key_der, provider)?;
            certs
                .iter()
                .position(|c| cert_spki(c).as_deref() == Some(spki.as_slice()))
        });
        if let Some(leaf) = leaf {
            chosen = Some((leaf, key_der));
            break;
        }
    }
    let Some((leaf, key)) = chosen else {
        return Err(tls_error(
            CERT_KEY,
            path,
            "the PKCS#12 file holds no certificate for its private key",
        ));
    };
    Ok(Identity {
        chain: issuer_chain(&certs, leaf),
        key,
    })
}

/// `certs[leaf]` followed by its issuers found among `certs`, without the self-signed root.
fn issuer_chain(certs: &[&[u8]], leaf: usize) -> Vec<CertificateDer<'static>> {
    let parsed: Vec<Option<X509Certificate<'_>>> = certs
        .iter()
        .map(|c| x509_parser::parse_x509_certificate(c).ok().map(|(_, x)| x))
        .collect();
    let mut chain = Vec::new();
    let mut used = vec![false; certs.len()];
    let mut at = Some(leaf);
    while let Some(i) = at.take() {
        let (Some(der), Some(Some(cert))) = (certs.get(i), parsed.get(i)) else {
            break;
        };
        if let Some(u) = used.get_mut(i) {
            *u = true;
        }
        chain.push(CertificateDer::from(der.to_vec()));
        let issuer = cert.issuer().as_raw();
        if issuer == cert.subject().as_raw() {
            break;
        }
        at = parsed.iter().enumerate().position(|(j, p)| {
            !used.get(j).copied().unwrap_or(true)
                && p.as_ref().is_some_and(|p| {
                    p.subject().as_raw() == issuer && p.subject().as_raw() != p.issuer().as_raw()
                })
        });
    }
    chain
}

/// The DER SubjectPublicKeyInfo of a certificate.
fn cert_spki(der: &[u8]) -> Option<Vec<u8>> {
    let (_, c) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(c.public_key().raw.to_vec())
}

/// The DER SubjectPublicKeyInfo of a private key, as the crypto provider computes it.
fn key_spki(key: &PrivateKeyDer<'_>, provider: &CryptoProvider) -> Option<Vec<u8>> {
    let signing = provider
        .key_provider
        .load_private_key(key.clone_key())
        .ok()?;
    signing.public_key().map(|s| s.as_ref().to_vec())
}

/// Checks that the key is usable and matches the leaf, and that the leaf is valid now.
fn check(
    cert_path: &Path,
    key_path: Option<&Path>,
    id: &Identity,
    provider: &CryptoProvider,
) -> Result<()> {
    let (key_name, key_file) = match key_path {
        Some(p) => (KEY_KEY, p),
        None => (CERT_KEY, cert_path),
    };
    let signing: Arc<dyn rustls::sign::SigningKey> = provider
        .key_provider
        .load_private_key(id.key.clone_key())
        .map_err(|e| {
            tls_error(
                key_name,
                key_file,
                format!(
                    "the private key cannot be used (takwire signs with RSA, ECDSA P-256/P-384 \
                     and Ed25519 keys): {e}"
                ),
            )
        })?;
    let Some(leaf) = id.chain.first() else {
        return Err(tls_error(CERT_KEY, cert_path, "holds no certificate"));
    };
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| tls_error(CERT_KEY, cert_path, format!("damaged certificate: {e}")))?;
    if let Some(spki) = signing.public_key()
        && spki.as_ref() != cert.public_key().raw
    {
        return Err(tls_error(
            key_name,
            key_file,
            format!(
                "the private key does not belong to the certificate {} of {CERT_KEY}={}",
                cert.subject(),
                cert_path.display()
            ),
        ));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let validity = cert.validity();
    if now < validity.not_before.timestamp() {
        return Err(tls_error(
            CERT_KEY,
            cert_path,
            format!(
                "the certificate {} is not valid yet: valid from {}",
                cert.subject(),
                show_time(validity.not_before.timestamp())
            ),
        ));
    }
    if now > validity.not_after.timestamp() {
        return Err(tls_error(
            CERT_KEY,
            cert_path,
            format!(
                "the certificate {} expired on {}",
                cert.subject(),
                show_time(validity.not_after.timestamp())
            ),
        ));
    }
    Ok(())
}

fn show_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{unix} (Unix time)"))
}

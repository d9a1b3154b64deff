//! Trust: the anchors the server's certificate is checked against
//! (`PYTAK_TLS_CLIENT_CAFILE`, else the Mozilla roots of `webpki-roots`) and the server
//! certificate verifiers behind `PYTAK_TLS_DONT_VERIFY` and `PYTAK_TLS_DONT_CHECK_HOSTNAME`.

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{Error, Result};
use crate::tls::{Password, Pkcs12Error, open_pkcs12, pem, read_material, tls_error};

/// The key naming the trust anchors.
pub const CAFILE_KEY: &str = "PYTAK_TLS_CLIENT_CAFILE";

/// The trust anchors: every certificate of `cafile` (PEM, DER or PKCS#12: a TAK truststore
/// `.p12`, opened with `password` or, failing that, no password), or without a file the
/// Mozilla root program's roots.
///
/// A file that yields no usable certificate is an error naming it.
pub fn root_store(cafile: Option<&Path>, password: Option<&Password>) -> Result<RootCertStore> {
    let Some(path) = cafile else {
        return Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
    };
    let data = read_material(CAFILE_KEY, path)?;
    root_store_bytes(path, &data, password)
}

/// Like [`root_store`], for trust anchors already in memory (a data package's truststore):
/// `name` only names them in error messages.
pub fn root_store_bytes(
    name: &Path,
    data: &[u8],
    password: Option<&Password>,
) -> Result<RootCertStore> {
    let path = name;
    let certs = anchors_in(path, data, password)?;
    let mut store = RootCertStore::empty();
    let mut rejected = Vec::new();
    for (i, cert) in certs.into_iter().enumerate() {
        if let Err(e) = store.add(cert) {
            rejected.push(format!("certificate {}: {e}", i + 1));
        }
    }
    if store.is_empty() {
        return Err(tls_error(
            CAFILE_KEY,
            path,
            format!("holds no usable CA certificate ({})", rejected.join("; ")),
        ));
    }
    for why in rejected {
        log::warn!("{CAFILE_KEY}={}: skipped {why}", path.display());
    }
    Ok(store)
}

/// The certificates of a PEM, DER or PKCS#12 file (see [`root_store`]).
pub(crate) fn anchors_in(
    path: &Path,
    data: &[u8],
    password: Option<&Password>,
) -> Result<Vec<CertificateDer<'static>>> {
    if pem::is_pem(data) {
        let blocks = pem::parse(data).map_err(|why| tls_error(CAFILE_KEY, path, why))?;
        let certs: Vec<_> = blocks
            .into_iter()
            .filter(|b| b.label == "CERTIFICATE" || b.label == "TRUSTED CERTIFICATE")
            .map(|b| CertificateDer::from(b.der))
            .collect();
        if certs.is_empty() {
            return Err(tls_error(
                CAFILE_KEY,
                path,
                "holds no PEM CERTIFICATE block",
            ));
        }
        return Ok(certs);
    }
    if x509_parser::parse_x509_certificate(data).is_ok() {
        return Ok(vec![CertificateDer::from(data.to_vec())]);
    }
    // A truststore: TAK packages give it its own password (caPassword), often the same as
    // the client's; an unprotected one opens with the empty password.
    let archive = match open_pkcs12(data, password) {
        Ok(a) => a,
        Err(Pkcs12Error::WrongPassword) if password.is_some() => {
            open_pkcs12(data, None).map_err(|_| {
                tls_error(
                    CAFILE_KEY,
                    path,
                    format!(
                        "cannot open the PKCS#12 truststore: wrong password ({})",
                        password.map_or("", |p| p.key)
                    ),
                )
            })?
        }
        Err(Pkcs12Error::WrongPassword) => {
            return Err(tls_error(
                CAFILE_KEY,
                path,
                "the PKCS#12 truststore is protected by a password: set \
                 PYTAK_TLS_CLIENT_PASSWORD",
            ));
        }
        Err(Pkcs12Error::Unreadable(why)) => {
            return Err(tls_error(
                CAFILE_KEY,
                path,
                format!("is neither PEM, DER nor a readable PKCS#12 file: {why}"),
            ));
        }
    };
    let certs: Vec<_> = archive
        .certs
        .iter()
        .map(|c| CertificateDer::from(c.cert.as_der().to_vec()))
        .collect();
    if certs.is_empty() {
        return Err(tls_error(
            CAFILE_KEY,
            path,
            "the PKCS#12 file holds no certificate",
        ));
    }
    Ok(certs)
}

/// The standard verifier: chain to a trust anchor, validity dates, and the server name.
pub fn webpki_verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Error::Tls(format!("cannot build the certificate verifier: {e}")))
}

/// `PYTAK_TLS_DONT_CHECK_HOSTNAME`: the full webpki verification, except that a certificate
/// issued for another name is accepted. An unknown CA, an expired certificate or a bad
/// signature is still rejected: webpki checks the name last, after the chain, so a name
/// error means everything else passed.
#[derive(Debug)]
pub struct IgnoreNameVerifier {
    inner: Arc<WebPkiServerVerifier>,
}

impl IgnoreNameVerifier {
    /// Wraps a webpki verifier.
    pub fn new(inner: Arc<WebPkiServerVerifier>) -> Self {
        IgnoreNameVerifier { inner }
    }
}

impl ServerCertVerifier for IgnoreNameVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => {
                log::debug!("accepting a server certificate not issued for {server_name:?}");
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `PYTAK_TLS_DONT_VERIFY`: any server certificate is accepted. The handshake signatures
/// are still checked against the certificate the server sent, so the session is at least
/// bound to that key (as OpenSSL's `CERT_NONE` does).
#[derive(Debug)]
pub struct AcceptAnyVerifier {
    algorithms: WebPkiSupportedAlgorithms,
}

impl AcceptAnyVerifier {
    /// A verifier checking handshake signatures with `provider`'s algorithms.
    pub fn new(provider: &CryptoProvider) -> Self {
        AcceptAnyVerifier {
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for AcceptAnyVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

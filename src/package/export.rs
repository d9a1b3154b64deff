//! Writing connection data packages for ATAK and iTAK.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};
use crate::package::Layout;
use crate::package::manifest::Manifest;
use crate::package::pref::{StreamProtocol, Value, write_prefs};
use crate::tls::{Password, identity, trust};

/// The name of the `.pref` file in the packages takwire writes.
pub const PREF_NAME: &str = "config.pref";
/// The name of the truststore in the packages takwire writes.
pub const TRUSTSTORE_NAME: &str = "truststore.p12";
/// PBE and MAC iterations of the PKCS#12 files written (as TAK Server's).
const P12_ITERATIONS: u32 = 2048;

/// A client identity ready to be written: certificate chain (leaf first) and PKCS#8 key.
#[derive(Clone)]
struct ClientIdentity {
    chain: Vec<Vec<u8>>,
    key_pkcs8: Vec<u8>,
}

/// Builds a connection data package for a TAK server: a `.pref` naming the server stream
/// and the certificates, the client's PKCS#12 identity and a PKCS#12 truststore with the
/// CA, laid out for ATAK ([`Layout::Atak`]: `MANIFEST/manifest.xml`, `certs/config.pref`,
/// `certs/NAME.p12`, `certs/truststore.p12`) or iTAK ([`Layout::Itak`]: the same files
/// flat, without a manifest).
///
/// The client identity and the CA can be given as PKCS#12 (with its password) or PEM. The
/// PKCS#12 files written use legacy 3DES and a SHA-1 MAC, which every ATAK, iTAK, WinTAK
/// and PyTAK version reads, protected by [`password`](Self::password) (by default the
/// password of the client PKCS#12 given). The client file also carries the CA chain, which
/// is where PyTAK takes its CA from.
///
/// The manifest's `uid` is stable: derived from the server and the certificates unless set
/// with [`uid`](Self::uid), so a package rebuilt for the same client replaces the old one
/// on the device instead of piling up.
///
/// ```
/// use takwire::package::{DataPackage, Layout, PackageBuilder};
/// # let ca_key = rcgen::KeyPair::generate().unwrap();
/// # let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
/// # ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
/// # let ca_cert = ca_params.self_signed(&ca_key).unwrap();
/// # let ca = rcgen::Issuer::new(ca_params, ca_key);
/// # let key = rcgen::KeyPair::generate().unwrap();
/// # let cert = rcgen::CertificateParams::new(vec!["bob".into()]).unwrap().signed_by(&key, &ca).unwrap();
/// // The client certificate and key as one PEM text, the CA as PEM.
/// let client_pem = format!("{}{}", cert.pem(), key.serialize_pem());
/// let ca_pem = ca_cert.pem();
///
/// let builder = PackageBuilder::new("tak.example", 8089)
///     .name("bob")
///     .client_pem(client_pem.as_bytes(), None)?
///     .ca_pem(ca_pem.as_bytes())?
///     .password("atakatak");
/// let atak: Vec<u8> = builder.build(Layout::Atak)?;
/// let itak: Vec<u8> = builder.build(Layout::Itak)?;
///
/// let a = DataPackage::from_bytes("bob.zip", atak)?;
/// let i = DataPackage::from_bytes("bob-itak.zip", itak)?;
/// assert_eq!(a.connect_string, "tak.example:8089:ssl");
/// assert_eq!(a.uid, Some(builder.stable_uid()));
/// assert_eq!((i.layout, i.pref_path.as_str()), (Layout::Itak, "config.pref"));
/// # Ok::<(), takwire::Error>(())
/// ```
#[derive(Clone)]
pub struct PackageBuilder {
    host: String,
    port: u16,
    protocol: StreamProtocol,
    description: Option<String>,
    name: Option<String>,
    uid: Option<String>,
    password: Option<String>,
    input_password: Option<String>,
    client: Option<ClientIdentity>,
    ca: Vec<Vec<u8>>,
}

impl std::fmt::Debug for PackageBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageBuilder")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("protocol", &self.protocol)
            .field("name", &self.name)
            .field("uid", &self.uid)
            .field("client", &self.client.as_ref().map(|c| c.chain.len()))
            .field("ca", &self.ca.len())
            .finish()
    }
}

/// An [`Error::Package`] about the package being built.
fn build_error(why: impl Into<String>) -> Error {
    Error::Package {
        path: PathBuf::from("<package builder>"),
        reason: why.into(),
    }
}

/// A TLS loading error about `what`, without the configuration key it names.
fn material_error(what: &str, e: Error) -> Error {
    let why = match e {
        Error::Tls(m) => match m.split_once(&format!("{what}: ")) {
            Some((_, rest)) => rest.to_string(),
            None => m,
        },
        other => other.to_string(),
    };
    build_error(format!("{what}: {why}"))
}

impl PackageBuilder {
    /// A package for the TLS stream (`ssl`) of the server at `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> PackageBuilder {
        PackageBuilder {
            host: host.into(),
            port,
            protocol: StreamProtocol::Ssl,
            description: None,
            name: None,
            uid: None,
            password: None,
            input_password: None,
            client: None,
            ca: Vec::new(),
        }
    }

    /// The stream's protocol (default [`StreamProtocol::Ssl`]).
    pub fn protocol(mut self, protocol: StreamProtocol) -> PackageBuilder {
        self.protocol = protocol;
        self
    }

    /// The stream's description in ATAK (default: the package name, else the host).
    pub fn description(mut self, description: impl Into<String>) -> PackageBuilder {
        self.description = Some(description.into());
        self
    }

    /// The package name: the manifest's `name` and the client file's name (default: the
    /// client certificate's common name, else the host).
    pub fn name(mut self, name: impl Into<String>) -> PackageBuilder {
        self.name = Some(name.into());
        self
    }

    /// The manifest's `uid` (default: [`stable_uid`](Self::stable_uid)).
    pub fn uid(mut self, uid: impl Into<String>) -> PackageBuilder {
        self.uid = Some(uid.into());
        self
    }

    /// The password of the PKCS#12 files written (`clientPassword` and `caPassword`).
    pub fn password(mut self, password: impl Into<String>) -> PackageBuilder {
        self.password = Some(password.into());
        self
    }

    /// The client identity from a PKCS#12 file and its password. Its key must belong to
    /// its certificate, and the certificate must be valid now.
    pub fn client_pkcs12(mut self, data: &[u8], password: &str) -> Result<PackageBuilder> {
        let what = "the client PKCS#12";
        let pw = Password {
            value: password.to_string(),
            key: "its password",
        };
        self.client = Some(client_identity(what, data, Some(&pw))?);
        self.input_password = Some(password.to_string());
        Ok(self)
    }

    /// The client identity from PEM: the certificate (and any intermediates) and its
    /// PKCS#8 private key, which `key_password` decrypts if it is encrypted.
    pub fn client_pem(mut self, pem: &[u8], key_password: Option<&str>) -> Result<PackageBuilder> {
        let pw = key_password.map(|p| Password {
            value: p.to_string(),
            key: "the key password",
        });
        self.client = Some(client_identity("the client PEM", pem, pw.as_ref())?);
        Ok(self)
    }

    /// The CA certificates the server is checked against, from a PKCS#12 truststore and its
    /// password. Adds to those given before.
    pub fn ca_pkcs12(mut self, data: &[u8], password: &str) -> Result<PackageBuilder> {
        let pw = Password {
            value: password.to_string(),
            key: "its password",
        };
        self.add_ca("the CA PKCS#12", data, Some(&pw))?;
        Ok(self)
    }

    /// The CA certificates the server is checked against, from PEM (or one DER
    /// certificate). Adds to those given before.
    pub fn ca_pem(mut self, pem: &[u8]) -> Result<PackageBuilder> {
        self.add_ca("the CA PEM", pem, None)?;
        Ok(self)
    }

    fn add_ca(&mut self, what: &str, data: &[u8], pw: Option<&Password>) -> Result<()> {
        let certs =
            trust::anchors_in(Path::new(what), data, pw).map_err(|e| material_error(what, e))?;
        for c in certs {
            let der = c.as_ref().to_vec();
            if !self.ca.contains(&der) {
                self.ca.push(der);
            }
        }
        Ok(())
    }

    /// The `uid` the manifest gets unless [`uid`](Self::uid) is set: a UUID-shaped hash of
    /// the server, the protocol and the certificates, the same each time.
    pub fn stable_uid(&self) -> String {
        let mut h = ring::digest::Context::new(&ring::digest::SHA256);
        h.update(b"takwire data package\0");
        h.update(self.host.as_bytes());
        h.update(&self.port.to_be_bytes());
        h.update(self.protocol.as_str().as_bytes());
        if let Some(c) = &self.client {
            for der in &c.chain {
                h.update(&(der.len() as u64).to_be_bytes());
                h.update(der);
            }
        }
        for der in &self.ca {
            h.update(&(der.len() as u64).to_be_bytes());
            h.update(der);
        }
        let d = h.finish();
        let mut b = [0u8; 16];
        b.copy_from_slice(d.as_ref().get(..16).unwrap_or(&[0; 16]));
        b[6] = (b[6] & 0x0f) | 0x50; // version 5 (name-based, SHA)
        b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// The package name in effect (see [`name`](Self::name)), made safe as a file name.
    fn stem(&self) -> String {
        let name = self
            .name
            .clone()
            .or_else(|| {
                let leaf = self.client.as_ref()?.chain.first()?;
                let (_, cert) = x509_parser::parse_x509_certificate(leaf).ok()?;
                let cn = cert.subject().iter_common_name().next()?;
                cn.as_str().ok().map(str::to_string)
            })
            .unwrap_or_else(|| self.host.clone());
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let safe = safe.trim_matches('.').to_string();
        if safe.is_empty() {
            "takwire".to_string()
        } else {
            safe
        }
    }

    /// Writes the package as zip bytes.
    pub fn build(&self, layout: Layout) -> Result<Vec<u8>> {
        if self.host.trim().is_empty() || self.host.contains(['/', ' ']) {
            return Err(build_error(format!(
                "\"{}\" is not a server host name or address",
                self.host.escape_debug()
            )));
        }
        if self.port == 0 {
            return Err(build_error("the server port is 0"));
        }
        let password = self
            .password
            .clone()
            .or_else(|| self.input_password.clone());
        let has_files = self.client.is_some() || !self.ca.is_empty();
        let password = match password {
            Some(p) if !p.is_empty() => p,
            _ if has_files => {
                return Err(build_error(
                    "the package's PKCS#12 files need a password: set one with \
                     PackageBuilder::password (ATAK does not open files without one)",
                ));
            }
            _ => String::new(),
        };
        let stem = self.stem();
        let client_file = format!("{stem}.p12");
        let dir = match layout {
            Layout::Atak => "certs/",
            Layout::Itak => "",
        };

        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut app_prefs: Vec<(&str, Value)> = Vec::new();
        if layout == Layout::Atak {
            app_prefs.push(("displayServerConnectionWidget", Value::Bool(true)));
        }
        if !self.ca.is_empty() {
            files.push((
                format!("{dir}{TRUSTSTORE_NAME}"),
                truststore_p12(&self.ca, &password)?,
            ));
            app_prefs.push(("caLocation", Value::Text(format!("cert/{TRUSTSTORE_NAME}"))));
            app_prefs.push(("caPassword", Value::Text(password.clone())));
        }
        if let Some(client) = &self.client {
            files.push((
                format!("{dir}{client_file}"),
                client_p12(client, &self.ca, &stem, &password)?,
            ));
            app_prefs.push(("clientPassword", Value::Text(password.clone())));
            app_prefs.push((
                "certificateLocation",
                Value::Text(format!("cert/{client_file}")),
            ));
        }
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let description = self
            .description
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| self.host.clone());
        let streams = vec![
            ("count", Value::Int(1)),
            ("description0", Value::Text(description)),
            ("enabled0", Value::Bool(true)),
            (
                "connectString0",
                Value::Text(format!("{host}:{}:{}", self.port, self.protocol.as_str())),
            ),
        ];
        let pref = write_prefs(&[
            ("cot_streams", streams),
            ("com.atakmap.app_preferences", app_prefs),
        ])
        .map_err(build_error)?;
        files.insert(0, (format!("{dir}{PREF_NAME}"), pref));
        if layout == Layout::Atak {
            let manifest = Manifest {
                uid: Some(self.uid.clone().unwrap_or_else(|| self.stable_uid())),
                name: Some(self.name.clone().unwrap_or_else(|| format!("{stem}_DP"))),
                contents: files.iter().map(|(p, _)| p.clone()).collect(),
            };
            files.insert(
                0,
                (
                    super::manifest::MANIFEST_PATH.to_string(),
                    manifest.write().map_err(build_error)?,
                ),
            );
        }
        zip_files(&files)
    }

    /// Writes the package to `path` (created or replaced; readable by its owner only on
    /// Unix, since it holds a private key).
    pub fn write(&self, layout: Layout, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let data = self.build(layout)?;
        let io = |e: std::io::Error| Error::Package {
            path: path.to_path_buf(),
            reason: format!("cannot write the package: {e}"),
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io)?;
        file.write_all(&data).map_err(io)?;
        file.sync_all().map_err(io)
    }
}

/// Loads and checks a client identity; its key must be PKCS#8 to be written again.
fn client_identity(what: &str, data: &[u8], pw: Option<&Password>) -> Result<ClientIdentity> {
    let provider = rustls::crypto::ring::default_provider();
    let id = identity::load_bytes(Path::new(what), data, None, pw, &provider)
        .map_err(|e| material_error(what, e))?;
    let key_pkcs8 = match &id.key {
        PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
        _ => {
            return Err(build_error(format!(
                "{what}: the private key is PKCS#1 or SEC1; convert it to PKCS#8 with \
                 `openssl pkcs8 -topk8 -nocrypt`"
            )));
        }
    };
    Ok(ClientIdentity {
        chain: id
            .chain
            .iter()
            .map(|c: &CertificateDer<'_>| c.as_ref().to_vec())
            .collect(),
        key_pkcs8,
    })
}

fn p12_error(what: &str, e: p12_keystore::error::Error) -> Error {
    build_error(format!("cannot write the {what} PKCS#12 file: {e}"))
}

fn write_p12(store: &p12_keystore::KeyStore, password: &str, what: &str) -> Result<Vec<u8>> {
    store
        .writer(password)
        .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
        .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha1)
        .encryption_iterations(P12_ITERATIONS)
        .mac_iterations(P12_ITERATIONS)
        .write()
        .map_err(|e| p12_error(what, e))
}

/// The client's PKCS#12: its key, its chain and then the CA certificates.
fn client_p12(
    client: &ClientIdentity,
    ca: &[Vec<u8>],
    alias: &str,
    password: &str,
) -> Result<Vec<u8>> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let key = PrivateKey::from_der(&client.key_pkcs8).map_err(|e| p12_error("client", e))?;
    let mut certs = Vec::new();
    for der in client
        .chain
        .iter()
        .chain(ca.iter().filter(|c| !client.chain.contains(c)))
    {
        certs.push(Certificate::from_der(der).map_err(|e| p12_error("client", e))?);
    }
    let key_id = ring::digest::digest(
        &ring::digest::SHA256,
        client.chain.first().map_or(&[][..], |c| c.as_slice()),
    );
    let key_id = key_id.as_ref().get(..20).unwrap_or_default().to_vec();
    let mut store = KeyStore::new();
    store.add_entry(
        alias,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(key_id, key, certs)),
    );
    write_p12(&store, password, "client")
}

/// The truststore: the CA certificates.
fn truststore_p12(ca: &[Vec<u8>], password: &str) -> Result<Vec<u8>> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry};
    let mut store = KeyStore::new();
    for (i, der) in ca.iter().enumerate() {
        let cert = Certificate::from_der(der).map_err(|e| p12_error("truststore", e))?;
        store.add_entry(&format!("ca-{i}"), KeyStoreEntry::Certificate(cert));
    }
    write_p12(&store, password, "truststore")
}

/// A zip of `(path, bytes)`, deflated, with fixed timestamps.
fn zip_files(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o600);
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let err = |e: zip::result::ZipError| build_error(format!("cannot write the zip file: {e}"));
    for (path, data) in files {
        w.start_file(path.as_str(), options).map_err(err)?;
        w.write_all(data)
            .map_err(|e| build_error(format!("cannot write the zip file: {e}")))?;
    }
    Ok(w.finish().map_err(err)?.into_inner())
}

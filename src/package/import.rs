//! Importing a data package: the server stream, the client certificate and the truststore,
//! checked and held in memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, MemoryFile};
use crate::error::{Error, Result};
use crate::package::Layout;
use crate::package::archive::{Archive, package_error};
use crate::package::manifest::{MANIFEST_PATH, Manifest};
use crate::package::pref::{Prefs, connect_string_to_url};
use crate::tls::{Password, identity, trust};
use crate::url::CotUrl;

/// A TAK data package, read and checked: which server to connect to and the certificates
/// to do it with, all in memory (nothing is unpacked to disk).
///
/// Both layouts found in the field are read: ATAK's (`MANIFEST/manifest.xml`, the `.pref`
/// and the `.p12` files under `certs/`) and iTAK's flat one (`config.pref` and the `.p12`
/// files at the root). Files the `.pref` names by their place on the device
/// (`/storage/emulated/0/atak/cert/x.p12`, `cert/x.p12`) are found by file name, as
/// ATAK and PyTAK do.
///
/// Everything is checked on import: the connect string, that the named certificates are in
/// the package, that `clientPassword` opens the client certificate and its key belongs to
/// it, that it is valid now, and that `caPassword` opens the truststore.
///
/// ```
/// use takwire::package::{DataPackage, Layout, PackageBuilder};
/// # let ca_key = rcgen::KeyPair::generate().unwrap();
/// # let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
/// # ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
/// # let ca_cert = ca_params.self_signed(&ca_key).unwrap();
/// # let ca = rcgen::Issuer::new(ca_params, ca_key);
/// # let key = rcgen::KeyPair::generate().unwrap();
/// # let cert = rcgen::CertificateParams::new(vec!["alice".into()]).unwrap().signed_by(&key, &ca).unwrap();
/// # let client_pem = format!("{}{}", cert.pem(), key.serialize_pem());
/// # let ca_pem = ca_cert.pem();
/// // A package for tak.example:8089, made with the builder (see PackageBuilder).
/// let zip = PackageBuilder::new("tak.example", 8089)
///     .client_pem(client_pem.as_bytes(), None)?
///     .ca_pem(ca_pem.as_bytes())?
///     .password("atakatak")
///     .build(Layout::Atak)?;
///
/// let package = DataPackage::from_bytes("alice.zip", zip)?;
/// assert_eq!(package.cot_url.to_string(), "tls://tak.example:8089");
/// assert_eq!(package.layout, Layout::Atak);
/// assert!(package.client_cert.is_some() && package.ca.is_some());
/// # Ok::<(), takwire::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DataPackage {
    /// The package file (or the name given to an in-memory package).
    pub source: PathBuf,
    /// ATAK (with a manifest) or iTAK (flat).
    pub layout: Layout,
    /// The manifest's `uid`, if there is a manifest.
    pub uid: Option<String>,
    /// The manifest's `name`, if there is a manifest.
    pub name: Option<String>,
    /// The path of the `.pref` file inside the package.
    pub pref_path: String,
    /// `connectString0`, as written (`host:port:protocol`).
    pub connect_string: String,
    /// `connectString0` as a `COT_URL` (`ssl` becomes `tls://`).
    pub cot_url: CotUrl,
    /// `description0`, the stream's name in ATAK.
    pub description: Option<String>,
    /// The client certificate (`certificateLocation`), with `clientPassword`.
    pub client_cert: Option<MemoryFile>,
    /// The truststore (`caLocation`), with `caPassword`.
    pub ca: Option<MemoryFile>,
}

impl DataPackage {
    /// Reads and checks the package file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<DataPackage> {
        DataPackage::from_archive(Archive::open(path.as_ref())?)
    }

    /// Reads and checks a package held in memory; `name` names it in messages.
    pub fn from_bytes(name: impl Into<PathBuf>, zip: Vec<u8>) -> Result<DataPackage> {
        let name = name.into();
        DataPackage::from_archive(Archive::from_bytes(&name, zip)?)
    }

    fn from_archive(mut archive: Archive) -> Result<DataPackage> {
        let source = archive.source().to_path_buf();
        let err = |why: String| package_error(&source, why);
        let (layout, manifest) = if archive.contains(MANIFEST_PATH) {
            let data = archive.read(MANIFEST_PATH)?;
            let m = Manifest::parse(&data).map_err(|e| err(format!("{MANIFEST_PATH} {e}")))?;
            (Layout::Atak, m)
        } else {
            (Layout::Itak, Manifest::default())
        };

        // The .pref files, those the manifest lists first.
        let mut prefs: Vec<String> = archive
            .paths()
            .filter(|p| p.to_ascii_lowercase().ends_with(".pref"))
            .map(str::to_string)
            .collect();
        prefs.sort_by_key(|p| !manifest.contents.iter().any(|c| c == p));
        if prefs.is_empty() {
            let files: Vec<&str> = archive.paths().collect();
            return Err(err(format!(
                "holds no .pref file, so it names no TAK server (files: {})",
                if files.is_empty() {
                    "none".to_string()
                } else {
                    files.join(", ")
                }
            )));
        }
        let mut chosen = None;
        for path in &prefs {
            let data = archive.read(path)?;
            let parsed = Prefs::parse(&data).map_err(|e| err(format!("{path} {e}")))?;
            if parsed.get("connectString0").is_some() {
                chosen = Some((path.clone(), parsed));
                break;
            }
        }
        let Some((pref_path, pref)) = chosen else {
            return Err(err(format!(
                "{} names no TAK server stream (no connectString0 entry in cot_streams)",
                prefs.join(", ")
            )));
        };
        let connect_string = pref.get("connectString0").unwrap_or_default().to_string();
        let cot_url =
            connect_string_to_url(&connect_string).map_err(|e| err(format!("{pref_path}: {e}")))?;
        if let Some(n) = pref.get("count").and_then(|c| c.parse::<u32>().ok())
            && n > 1
        {
            log::info!(
                "data package {}: {n} streams; takwire uses the first ({connect_string})",
                source.display()
            );
        }

        let client_password = pref.get("clientPassword").map(str::to_string);
        let client_cert = match pref.get("certificateLocation") {
            Some(location) => {
                let file = load_file(&mut archive, &pref_path, "certificateLocation", location)?;
                let password = client_password.as_ref().map(|p| Password {
                    value: p.clone(),
                    key: "clientPassword",
                });
                let provider = rustls::crypto::ring::default_provider();
                identity::load_bytes(
                    Path::new(&file.name),
                    &file.data,
                    None,
                    password.as_ref(),
                    &provider,
                )
                .map_err(|e| err(describe("certificateLocation", location, &file.name, e)))?;
                Some(MemoryFile {
                    password: client_password.clone(),
                    ..file
                })
            }
            None => None,
        };
        let ca_password = pref.get("caPassword").map(str::to_string);
        let ca = match pref.get("caLocation") {
            Some(location) => {
                let file = load_file(&mut archive, &pref_path, "caLocation", location)?;
                let password =
                    ca_password
                        .as_ref()
                        .or(client_password.as_ref())
                        .map(|p| Password {
                            value: p.clone(),
                            key: if ca_password.is_some() {
                                "caPassword"
                            } else {
                                "clientPassword"
                            },
                        });
                trust::root_store_bytes(Path::new(&file.name), &file.data, password.as_ref())
                    .map_err(|e| err(describe("caLocation", location, &file.name, e)))?;
                Some(MemoryFile {
                    password: ca_password.clone(),
                    ..file
                })
            }
            None => None,
        };
        if client_cert.is_none() && cot_url.scheme() == crate::url::Scheme::Tls {
            log::info!(
                "data package {}: no certificateLocation, so no client certificate",
                source.display()
            );
        }
        Ok(DataPackage {
            source: source.clone(),
            layout,
            uid: manifest.uid,
            name: manifest.name,
            pref_path,
            description: pref.get("description0").map(str::to_string),
            connect_string,
            cot_url,
            client_cert,
            ca,
        })
    }

    /// The configuration values the package gives, for
    /// [`ConfigBuilder::package_values`](crate::ConfigBuilder::package_values): `COT_URL`
    /// and, with a client certificate, `PYTAK_TLS_CLIENT_PASSWORD`.
    pub fn config_values(&self) -> Vec<(&'static str, String)> {
        let mut values = vec![("COT_URL", self.cot_url.to_string())];
        if let Some(p) = self.client_cert.as_ref().and_then(|c| c.password.clone()) {
            values.push(("PYTAK_TLS_CLIENT_PASSWORD", p));
        }
        values
    }

    /// Gives `config` the package's certificates, in memory, where no file is configured
    /// (`PYTAK_TLS_CLIENT_CERT`, `PYTAK_TLS_CLIENT_CAFILE` set elsewhere win).
    pub fn apply_certificates(&self, config: &mut Config) {
        let tls = &mut config.tls;
        if let Some(cert) = &self.client_cert {
            match &tls.client_cert {
                None => {
                    log::debug!(
                        "config PYTAK_TLS_CLIENT_CERT = {} (from data package, in memory)",
                        cert.name
                    );
                    tls.client_cert_data = Some(cert.clone());
                }
                Some(own) => log::debug!(
                    "data package client certificate {} not used: PYTAK_TLS_CLIENT_CERT is {}",
                    cert.name,
                    own.display()
                ),
            }
        }
        if let Some(ca) = &self.ca {
            match &tls.client_cafile {
                None => {
                    log::debug!(
                        "config PYTAK_TLS_CLIENT_CAFILE = {} (from data package, in memory)",
                        ca.name
                    );
                    tls.client_cafile_data = Some(ca.clone());
                }
                Some(own) => log::debug!(
                    "data package truststore {} not used: PYTAK_TLS_CLIENT_CAFILE is {}",
                    ca.name,
                    own.display()
                ),
            }
        }
    }
}

/// Finds and reads the file a `.pref` entry names.
fn load_file(
    archive: &mut Archive,
    pref_path: &str,
    key: &str,
    location: &str,
) -> Result<MemoryFile> {
    let Some(path) = resolve(archive, location) else {
        let files: Vec<&str> = archive.paths().collect();
        return Err(package_error(
            archive.source(),
            format!(
                "{pref_path}: {key} \"{}\" names a file that is not in the package (files: {})",
                location.escape_debug(),
                files.join(", ")
            ),
        ));
    };
    let data = archive.read(&path)?;
    Ok(MemoryFile {
        name: format!("{}!{path}", archive.source().display()),
        data: Arc::from(data),
        password: None,
    })
}

/// The archive path a `.pref` location means: the same path, else the first file with the
/// same file name (packages name files by their place on the device).
fn resolve(archive: &Archive, location: &str) -> Option<String> {
    let location = location.trim().replace('\\', "/");
    let trimmed = location.trim_start_matches('/');
    if archive.contains(trimmed) {
        return Some(trimmed.to_string());
    }
    let base = location.rsplit('/').next().filter(|b| !b.is_empty())?;
    archive
        .paths()
        .find(|p| p.rsplit('/').next() == Some(base))
        .map(str::to_string)
}

/// A TLS loading error as a sentence about the package entry.
fn describe(key: &str, location: &str, name: &str, e: Error) -> String {
    let why = match e {
        Error::Tls(m) => match m.split_once(&format!("{name}: ")) {
            Some((_, rest)) => rest.to_string(),
            None => m,
        },
        other => other.to_string(),
    };
    let entry = name.rsplit('!').next().unwrap_or(name);
    format!("{key} \"{}\" ({entry}): {why}", location.escape_debug())
}

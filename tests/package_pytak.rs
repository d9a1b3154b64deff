//! Packages takwire writes read the same in PyTAK: `pytak.read_pref_package` (what
//! `pytak.cli()` runs for `-p` / PREF_PACKAGE) finds the same server, client certificate,
//! key and CA as takwire's own import; and a PyTAK app started through `pytak.cli()` with
//! `-p` connects over mutual TLS to the server the package names.
//!
//! Needs the peer virtualenv: `TAKWIRE_PEER_PYTHON=/path/to/python cargo test --test package_pytak`.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use common::{KillOnDrop, TempDir, peer_python, peers_dir};
use takwire::CotUrl;
use takwire::package::{DataPackage, Layout, PackageBuilder};

fn hex(der: &[u8]) -> String {
    der.iter().map(|b| format!("{b:02x}")).collect()
}

/// What PyTAK read from `zip` (see tests/peers/pytak_read_package.py).
fn pytak_reads(python: &Path, zip: &Path, tmp: &Path) -> serde_json::Value {
    let out = Command::new(python)
        .arg(peers_dir().join("pytak_read_package.py"))
        .arg(zip)
        .env("TMPDIR", tmp)
        .output()
        .expect("running pytak_read_package.py");
    assert!(
        out.status.success(),
        "pytak could not read {}: {}",
        zip.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn pytak_reads_takwires_atak_and_itak_packages_as_takwire_does() {
    let Some(python) = peer_python() else { return };
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "interop CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "pytak-reader");
    let leaf = params.signed_by(&key, &ca).unwrap();
    let builder = PackageBuilder::new("tak.example.org", 8089)
        .client_pem(
            format!("{}{}", leaf.pem(), key.serialize_pem()).as_bytes(),
            None,
        )
        .unwrap()
        .ca_pem(ca_cert.pem().as_bytes())
        .unwrap()
        .password("atakatak");

    for layout in [Layout::Atak, Layout::Itak] {
        let tmp = TempDir::new("pkg-pytak");
        let zip = tmp.path().join("reader.zip");
        builder.write(layout, &zip).unwrap();
        let work = tmp.path().join("pytak-tmp");
        std::fs::create_dir(&work).unwrap();
        let theirs = pytak_reads(&python, &zip, &work);

        let ours = DataPackage::open(&zip).unwrap();
        // The same server (PyTAK writes ssl://, takwire tls://: the same transport).
        let their_url = CotUrl::parse(theirs["COT_URL"].as_str().unwrap()).unwrap();
        assert_eq!(their_url, ours.cot_url, "{layout:?}: {theirs}");
        assert_eq!(ours.cot_url.to_string(), "tls://tak.example.org:8089");

        // The same client certificate and key, and the same CA.
        let provider = rustls::crypto::ring::default_provider();
        let cert = ours.client_cert.as_ref().unwrap();
        let password = takwire::tls::Password {
            value: cert.password.clone().unwrap(),
            key: "clientPassword",
        };
        let id = takwire::tls::identity::load_bytes(
            Path::new(&cert.name),
            &cert.data,
            None,
            Some(&password),
            &provider,
        )
        .unwrap();
        let their_chain = theirs["cert_chain"].as_array().unwrap();
        assert_eq!(
            their_chain[0].as_str().unwrap(),
            hex(leaf.der()),
            "{layout:?}"
        );
        assert_eq!(hex(id.chain[0].as_ref()), hex(leaf.der()));
        assert_eq!(theirs["key_matches"], true, "{layout:?}");
        assert_eq!(
            theirs["ca"].as_str().unwrap(),
            hex(ca_cert.der()),
            "{layout:?}"
        );
        let trust = ours.ca.as_ref().unwrap();
        let roots = takwire::tls::trust::root_store_bytes(
            Path::new(&trust.name),
            &trust.data,
            Some(&takwire::tls::Password {
                value: trust.password.clone().unwrap(),
                key: "caPassword",
            }),
        )
        .unwrap();
        assert_eq!(roots.len(), 1);
    }
}

/// A loopback TLS server requiring a client certificate from `ca`: sends what it reads
/// (raw bytes, as text) to the returned channel, and how a connection ended when not
/// cleanly (for the failure message; a killed client ends without close_notify).
fn mtls_server(
    ca: &rcgen::Certificate,
    cert: &rcgen::Certificate,
    key: &rcgen::KeyPair,
) -> (u16, mpsc::Receiver<String>) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![cert.der().clone(), CertificateDer::from(ca.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(sock) = sock else { return };
            let tx = tx.clone();
            let config = config.clone();
            std::thread::spawn(move || {
                sock.set_read_timeout(Some(Duration::from_secs(30)))
                    .unwrap();
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut stream = rustls::StreamOwned::new(conn, sock);
                let mut buf = [0u8; 4096];
                loop {
                    match stream.read(&mut buf) {
                        Ok(0) => return,
                        Ok(n) => {
                            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                            if tx.send(text).is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(format!("SERVER-ERROR {e}"));
                            return;
                        }
                    }
                }
            });
        }
    });
    (port, rx)
}

#[test]
fn a_pytak_app_started_with_dash_p_connects_with_takwires_package() {
    let Some(python) = peer_python() else { return };
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "cli interop CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca = rcgen::Issuer::new(ca_params, ca_key);
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "pytak-cli");
    let leaf = params.signed_by(&key, &ca).unwrap();
    let (port, rx) = mtls_server(&ca_cert, &server, &server_key);

    for layout in [Layout::Atak, Layout::Itak] {
        let tmp = TempDir::new("pkg-pytak-cli");
        let zip = tmp.path().join("cli.zip");
        PackageBuilder::new("127.0.0.1", port)
            .client_pem(
                format!("{}{}", leaf.pem(), key.serialize_pem()).as_bytes(),
                None,
            )
            .unwrap()
            .ca_pem(ca_cert.pem().as_bytes())
            .unwrap()
            .password("atakatak")
            .write(layout, &zip)
            .unwrap();
        let child = Command::new(&python)
            .arg(peers_dir().join("pytak_cli_app.py"))
            .arg("-p")
            .arg(&zip)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TMPDIR", tmp.path())
            .current_dir(tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting pytak_cli_app.py");
        let mut child = KillOnDrop(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = String::new();
        while !seen.contains("uid=\"pytak-cli-package\"") {
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_default();
            match rx.recv_timeout(left) {
                Ok(text) => seen.push_str(&text),
                Err(_) => {
                    let _ = child.0.kill();
                    let mut err = String::new();
                    if let Some(mut e) = child.0.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    panic!("{layout:?}: pytak never sent its event over mTLS\n{seen}\n{err}");
                }
            }
        }
        drop(child);
    }
}

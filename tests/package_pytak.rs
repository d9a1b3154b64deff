//! Packages takwire writes read the same in PyTAK: `pytak.read_pref_package` (what
//! `pytak.cli()` runs for `-p` / PREF_PACKAGE) finds the same server, client certificate,
//! key and CA as takwire's own import.
//!
//! Needs the peer virtualenv: `TAKWIRE_PEER_PYTHON=/path/to/python cargo test --test package_pytak`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TempDir, peer_python, peers_dir};
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

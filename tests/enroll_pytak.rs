//! PyTAK's own enrollment against takwire's test TAK Server (`tests/common_enroll`), which
//! shows the server behaves as PyTAK expects, and the certificate cache shared both ways:
//! a certificate PyTAK enrolled is used by takwire without enrolling, and the other way.

mod common;
mod common_enroll;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{TempDir, peer_python};
use common_enroll::{EnrollServer, TOKEN, USER, cot_server, make_ca};
use takwire::enroll::{CacheEntry, Enrolled};
use takwire::{Client, Config, Event};

/// Runs `pytak_enroll.py ARGS` with `HOME=home`; its JSON answer.
fn pytak(python: &Path, home: &Path, args: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new(python)
        .arg(common::peers_dir().join("pytak_enroll.py"))
        .args(args)
        .env("HOME", home)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "pytak failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn connect_and_send(cot: &common_enroll::CotServer, settings: &[(&str, String)]) -> Vec<u8> {
    let mut b = Config::builder();
    for (k, v) in settings {
        b = b.set(k, v);
    }
    let client = Client::connect(b.build().unwrap()).unwrap();
    client
        .send(Event::position(
            "from-cache",
            "a-f-G",
            1.0,
            2.0,
            Duration::from_secs(60),
        ))
        .unwrap();
    let (data, cert) = cot
        .got
        .recv_timeout(Duration::from_secs(20))
        .expect("no event");
    assert!(String::from_utf8_lossy(&data).contains("from-cache"));
    client.shutdown();
    cert
}

fn settings(server: &EnrollServer, cot_port: u16, cache: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("TAK_URL", server.tak_url(USER, TOKEN)),
        ("COT_URL", format!("tls://127.0.0.1:{cot_port}")),
        ("TAKWIRE_ENROLLMENT_PORT", server.port.to_string()),
        ("TAKWIRE_CERT_CACHE_DIR", cache.display().to_string()),
        ("PYTAK_RECONNECT", "0".into()),
        ("PYTAK_NO_HELLO", "1".into()),
    ]
}

#[test]
fn pytak_dp_enrolls_against_the_test_server() {
    let Some(python) = peer_python() else { return };
    let server = EnrollServer::start(Arc::new(make_ca("Test TAK CA")));
    let home = TempDir::new("pytak-dp");
    let out = home.path().join("packages");
    let port = server.port.to_string();
    let r = pytak(
        &python,
        home.path(),
        &[
            "dp",
            &server.tak_url(USER, TOKEN),
            &port,
            &out.display().to_string(),
        ],
    );
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(server.signed(), 1);
    // PyTAK's certificate request, as the server saw it: CN and the name entries asked for.
    let subjects = server.state.subjects.lock().unwrap().clone();
    assert!(
        subjects[0].contains("alice") && subjects[0].contains("TAK Test"),
        "{subjects:?}"
    );
    // PyTAK sends a constant clientUid.
    let requests = server.state.requests.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("POST /Marti/api/tls/signClient/v2?clientUid=test ")),
        "{requests:?}"
    );
    // What PyTAK wrote opens in takwire with its passphrase, and holds the CA chain.
    let pass = r["pkcs12_password"].as_str().unwrap();
    let p12_path = r["enrollment"]["pkcs12_path"].as_str().unwrap();
    let p12 = std::fs::read(p12_path).unwrap();
    let e = Enrolled::from_pkcs12(Path::new(p12_path), &p12, pass).unwrap();
    assert!(e.subject().unwrap().contains("CN=alice"));
    assert_eq!(e.ca, vec![server.ca.der.as_ref().to_vec()]);
}

#[test]
fn a_certificate_pytak_enrolled_is_used_by_takwire() {
    let Some(python) = peer_python() else { return };
    let ca = Arc::new(make_ca("Test TAK CA"));
    let cot = cot_server(&ca);
    let server = EnrollServer::start(ca);
    let home = TempDir::new("pytak-cache");
    let url = server.tak_url(USER, TOKEN);
    let r = pytak(
        &python,
        home.path(),
        &["resolve", &url, &server.port.to_string()],
    );
    assert_eq!(server.signed(), 1);
    assert_eq!(
        r["COT_URL"],
        format!("wss://127.0.0.1:{}/takproto/1", server.port),
        "{r}"
    );
    let cache = home.path().join(".pytak").join("certs");
    let entry = CacheEntry::new(&cache, "127.0.0.1", server.port, USER);
    assert_eq!(r["PYTAK_TLS_CLIENT_CERT"], entry.p12.display().to_string());
    let pytak_cert = {
        let c = entry.load().unwrap();
        Enrolled::from_pkcs12(&c.path, &c.p12, &c.passphrase)
            .unwrap()
            .cert
    };

    let cert = connect_and_send(&cot, &settings(&server, cot.port, &cache));
    assert_eq!(
        server.signed(),
        1,
        "takwire enrolled instead of using PyTAK's certificate"
    );
    assert_eq!(cert, pytak_cert);
}

#[test]
fn a_certificate_takwire_enrolled_is_used_by_pytak() {
    let Some(python) = peer_python() else { return };
    let ca = Arc::new(make_ca("Test TAK CA"));
    let cot = cot_server(&ca);
    let server = EnrollServer::start(ca);
    let home = TempDir::new("takwire-cache");
    let cache = home.path().join(".pytak").join("certs");
    connect_and_send(&cot, &settings(&server, cot.port, &cache));
    assert_eq!(server.signed(), 1);
    let entry = CacheEntry::new(&cache, "127.0.0.1", server.port, USER);
    let ours = entry.load().unwrap();

    let url = server.tak_url(USER, TOKEN);
    let r = pytak(
        &python,
        home.path(),
        &["resolve", &url, &server.port.to_string()],
    );
    assert_eq!(
        server.signed(),
        1,
        "PyTAK enrolled instead of using takwire's certificate: {r}"
    );
    assert_eq!(r["PYTAK_TLS_CLIENT_CERT"], entry.p12.display().to_string());
    assert_eq!(
        r["PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE"],
        ours.passphrase.as_str()
    );
    assert_eq!(
        std::fs::read(&entry.p12).unwrap(),
        ours.p12,
        "PyTAK rewrote the file"
    );
}

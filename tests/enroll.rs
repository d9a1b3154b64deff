//! Enrollment against a test TAK Server (HTTPS on loopback, rcgen CA): `tak://` links and
//! `PYTAK_TLS_CERT_ENROLLMENT_*` enroll, cache the certificate in PyTAK's layout and
//! connect with it over mutual TLS; the cache is reused, renewed near expiry, and
//! dropped when the server's certificate changes; bad credentials are reported clearly.

mod common;
mod common_enroll;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::TempDir;
use common_enroll::{EnrollServer, TOKEN, USER, cot_server, cot_server_requiring, make_ca};
use takwire::{Client, Config, Event};

fn sha256_hex(data: &[u8]) -> String {
    takwire::enroll::cache::fingerprint(data)
}

fn config(settings: &[(&str, String)]) -> Config {
    let mut b = Config::builder();
    for (k, v) in settings {
        b = b.set(k, v);
    }
    b.build().unwrap()
}

/// Connects with `settings`, sends one event and returns what the CoT server got and the
/// client certificate it saw.
fn connect_and_send(
    cot: &common_enroll::CotServer,
    settings: &[(&str, String)],
) -> (String, Vec<u8>) {
    let client = Client::connect(config(settings)).unwrap();
    client
        .send(Event::position(
            "enroll-test",
            "a-f-G",
            1.0,
            2.0,
            Duration::from_secs(60),
        ))
        .unwrap();
    let (data, cert) = cot
        .got
        .recv_timeout(Duration::from_secs(20))
        .expect("no event arrived");
    client.shutdown();
    (String::from_utf8_lossy(&data).to_string(), cert)
}

struct Setup {
    server: EnrollServer,
    cot: common_enroll::CotServer,
    cache: TempDir,
}

fn setup(tag: &str) -> Setup {
    let ca = Arc::new(make_ca("Test TAK CA"));
    let cot = cot_server(&ca);
    Setup {
        server: EnrollServer::start(ca),
        cot,
        cache: TempDir::new(tag),
    }
}

impl Setup {
    fn settings(&self, token: &str) -> Vec<(&'static str, String)> {
        vec![
            ("TAK_URL", self.server.tak_url(USER, token)),
            ("COT_URL", format!("tls://127.0.0.1:{}", self.cot.port)),
            ("TAKWIRE_ENROLLMENT_PORT", self.server.port.to_string()),
            (
                "TAKWIRE_CERT_CACHE_DIR",
                self.cache.path().display().to_string(),
            ),
            ("COT_HOST_ID", "takwire-enroll-test-uid".into()),
            ("PYTAK_RECONNECT", "0".into()),
            ("PYTAK_NO_HELLO", "1".into()),
        ]
    }

    fn entry(&self) -> takwire::enroll::CacheEntry {
        takwire::enroll::CacheEntry::new(self.cache.path(), "127.0.0.1", self.server.port, USER)
    }
}

/// The subject of a DER certificate (`CN=alice, O=...`).
fn subject_of(der: &[u8]) -> String {
    let e = takwire::enroll::Enrolled {
        cert: der.to_vec(),
        ca: Vec::new(),
        key_pkcs8: Vec::new(),
        passphrase: String::new(),
        p12: Vec::new(),
    };
    e.subject().unwrap_or_default()
}

#[test]
fn tak_url_enrolls_caches_and_connects_then_reuses_the_cache() {
    let s = setup("enroll-cache");
    let settings = s.settings(TOKEN);
    let (data, cert) = connect_and_send(&s.cot, &settings);
    assert!(data.contains("uid=\"enroll-test\""), "{data}");
    assert_eq!(s.server.signed(), 1);
    let subject = subject_of(&cert);
    assert!(
        subject.contains("CN=alice")
            && subject.contains("O=TAK Test")
            && subject.contains("OU=Enrollment"),
        "{subject}"
    );
    let requests = s.server.state.requests.lock().unwrap().clone();
    assert!(
        requests.iter().any(|r| r
            .starts_with("POST /Marti/api/tls/signClient/v2?clientUid=takwire-enroll-test-uid ")),
        "{requests:?}"
    );

    // PyTAK's layout: KEY = sha256("host:port:user")[:32].
    let key = &sha256_hex(format!("127.0.0.1:{}:{USER}", s.server.port).as_bytes())[..32];
    let dir = s.cache.path();
    let p12 = std::fs::read(dir.join(format!("{key}.p12"))).unwrap();
    let pass = std::fs::read_to_string(dir.join(format!("{key}.pass"))).unwrap();
    let server_fp = std::fs::read_to_string(dir.join(format!("{key}.server"))).unwrap();
    assert_eq!(server_fp, sha256_hex(s.server.chain[0].as_ref()));
    assert_eq!(
        pass.len(),
        22,
        "a token_urlsafe(16) passphrase, no newline: {pass:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for ext in ["p12", "pass", "server"] {
            let mode = std::fs::metadata(dir.join(format!("{key}.{ext}")))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{ext}");
        }
    }
    let enrolled =
        takwire::enroll::Enrolled::from_pkcs12(std::path::Path::new("cache"), &p12, &pass).unwrap();
    assert_eq!(
        enrolled.cert, cert,
        "the cached certificate is the one presented"
    );
    assert_eq!(enrolled.ca, vec![s.server.ca.der.as_ref().to_vec()]);

    // Second run: the cache, no enrollment.
    let (_, cert2) = connect_and_send(&s.cot, &settings);
    assert_eq!(
        s.server.signed(),
        1,
        "the cached certificate was not reused"
    );
    assert_eq!(cert2, cert);
}

#[test]
fn a_certificate_within_seven_days_of_expiry_is_enrolled_again() {
    let s = setup("enroll-renew");
    s.server.state.valid_days.store(6, Ordering::SeqCst);
    let settings = s.settings(TOKEN);
    let (_, first) = connect_and_send(&s.cot, &settings);
    assert_eq!(s.server.signed(), 1);
    s.server.state.valid_days.store(365, Ordering::SeqCst);
    let (_, second) = connect_and_send(&s.cot, &settings);
    assert_eq!(
        s.server.signed(),
        2,
        "a certificate expiring in 6 days was reused"
    );
    assert_ne!(first, second);
    // Now valid for a year: reused.
    connect_and_send(&s.cot, &settings);
    assert_eq!(s.server.signed(), 2);
}

#[test]
fn a_changed_server_certificate_invalidates_the_cache() {
    let s = setup("enroll-changed");
    let settings = s.settings(TOKEN);
    connect_and_send(&s.cot, &settings);
    assert_eq!(s.server.signed(), 1);
    // As if the server had been rebuilt: the recorded fingerprint no longer matches.
    std::fs::write(&s.entry().server, "00".repeat(32)).unwrap();
    connect_and_send(&s.cot, &settings);
    assert_eq!(
        s.server.signed(),
        2,
        "a changed server certificate kept the cache"
    );
}

#[test]
fn an_older_server_without_v2_answers_with_pkcs12() {
    let s = setup("enroll-v1");
    s.server.state.no_v2.store(true, Ordering::SeqCst);
    let (data, cert) = connect_and_send(&s.cot, &s.settings(TOKEN));
    assert!(data.contains("enroll-test"));
    assert!(subject_of(&cert).contains("CN=alice"));
    let requests = s.server.state.requests.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("POST /Marti/api/tls/signClient/v2?"))
    );
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("POST /Marti/api/tls/signClient?clientUid=")),
        "{requests:?}"
    );
    assert_eq!(s.server.signed(), 1);
}

#[test]
fn wrong_credentials_give_a_clear_error() {
    let s = setup("enroll-refused");
    let e = Client::connect(config(&s.settings("wrong")))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("enrollment with 127.0.0.1")
            && e.contains("refused user \"alice\"")
            && e.contains("HTTP 401")
            && !e.contains("wrong"),
        "{e}"
    );
    assert_eq!(s.server.signed(), 0);
    assert!(!s.entry().p12.exists());
}

#[test]
fn enrollment_keys_with_a_tls_url_enroll_and_connect() {
    let s = setup("enroll-keys");
    let settings = vec![
        ("COT_URL", format!("tls://127.0.0.1:{}", s.cot.port)),
        ("PYTAK_TLS_CERT_ENROLLMENT_USERNAME", USER.to_string()),
        ("PYTAK_TLS_CERT_ENROLLMENT_PASSWORD", TOKEN.to_string()),
        (
            "PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE",
            "my passphrase".to_string(),
        ),
        ("TAKWIRE_ENROLLMENT_PORT", s.server.port.to_string()),
        (
            "TAKWIRE_CERT_CACHE_DIR",
            s.cache.path().display().to_string(),
        ),
        ("PYTAK_RECONNECT", "0".into()),
        ("PYTAK_NO_HELLO", "1".into()),
    ];
    let (data, cert) = connect_and_send(&s.cot, &settings);
    assert!(data.contains("enroll-test"));
    assert!(subject_of(&cert).contains("CN=alice"));
    let entry = takwire::enroll::CacheEntry::new(s.cache.path(), "127.0.0.1", s.cot.port, USER);
    assert_eq!(
        std::fs::read_to_string(&entry.pass).unwrap(),
        "my passphrase"
    );
    let p12 = std::fs::read(&entry.p12).unwrap();
    takwire::enroll::Enrolled::from_pkcs12(&entry.p12, &p12, "my passphrase").unwrap();
}

#[test]
fn the_server_is_verified_against_the_enrolled_ca_chain() {
    // A CoT server whose certificate comes from another CA is refused.
    let s = setup("enroll-verify");
    let other = make_ca("Some other CA");
    let impostor = cot_server(&other);
    let mut settings = s.settings(TOKEN);
    settings[1].1 = format!("tls://127.0.0.1:{}", impostor.port);
    let e = Client::connect(config(&settings)).unwrap_err().to_string();
    assert!(e.to_lowercase().contains("certificate"), "{e}");
    assert_eq!(s.server.signed(), 1);
}

#[test]
fn takwire_dp_writes_files_and_packages_that_open_with_the_printed_passphrase() {
    let s = setup("enroll-dp");
    let out = s.cache.path().join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_takwire"))
        .arg("dp")
        .arg(s.server.tak_url(USER, TOKEN))
        .arg("-o")
        .arg(&out)
        .env("TAKWIRE_ENROLLMENT_PORT", s.server.port.to_string())
        .env("HOME", s.cache.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let get = |k: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k}= in {stdout}"))
            .to_string()
    };
    let pass = get("passphrase");
    assert_eq!(get("package_dir"), out.join("alice").display().to_string());
    assert_eq!(get("connect_string"), "127.0.0.1:8089:ssl");
    assert_eq!(s.server.signed(), 1);
    // Not cached: dp only writes where it is told.
    assert!(!s.cache.path().join(".pytak").exists());

    // PKCS#12 with the printed passphrase.
    let p12 = std::fs::read(get("p12")).unwrap();
    let enrolled =
        takwire::enroll::Enrolled::from_pkcs12(std::path::Path::new("p12"), &p12, &pass).unwrap();
    assert!(enrolled.subject().unwrap().contains("CN=alice"));
    assert_eq!(enrolled.ca, vec![s.server.ca.der.as_ref().to_vec()]);
    // PEM certificate and key: load together (the key must match the certificate).
    let provider = rustls::crypto::ring::default_provider();
    let id = takwire::tls::identity::load(
        std::path::Path::new(&get("cert_pem")),
        Some(std::path::Path::new(&get("key_pem"))),
        None,
        &provider,
    )
    .unwrap();
    assert_eq!(id.chain[0].as_ref(), enrolled.cert.as_slice());
    let pw = takwire::tls::Password {
        value: pass.clone(),
        key: "PYTAK_TLS_CLIENT_PASSWORD",
    };
    let roots =
        takwire::tls::trust::root_store(Some(std::path::Path::new(&get("trust_p12"))), Some(&pw))
            .unwrap();
    assert_eq!(roots.len(), 1);
    let roots =
        takwire::tls::trust::root_store(Some(std::path::Path::new(&get("ca_pem"))), None).unwrap();
    assert_eq!(roots.len(), 1);

    // Both packages import, and connect to the CoT server with mutual TLS.
    for (zip, layout) in [
        (get("atak_zip"), takwire::package::Layout::Atak),
        (get("itak_zip"), takwire::package::Layout::Itak),
    ] {
        let pkg = takwire::package::DataPackage::open(&zip).unwrap();
        assert_eq!(pkg.layout, layout);
        assert_eq!(pkg.connect_string, "127.0.0.1:8089:ssl");
        // The package's passwords are the printed passphrase.
        assert_eq!(
            pkg.client_cert.as_ref().unwrap().password.as_deref(),
            Some(pass.as_str())
        );
        assert_eq!(
            pkg.ca.as_ref().unwrap().password.as_deref(),
            Some(pass.as_str())
        );
        // Connect as the package says, but to the test CoT server's port (the package
        // names TAK's 8089).
        let mut settings: Vec<(&str, String)> = pkg
            .config_values()
            .into_iter()
            .filter(|(k, _)| *k != "COT_URL")
            .collect();
        settings.extend([
            ("COT_URL", format!("tls://127.0.0.1:{}", s.cot.port)),
            ("PYTAK_RECONNECT", "0".into()),
            ("PYTAK_NO_HELLO", "1".into()),
        ]);
        let mut config = config(&settings);
        pkg.apply_certificates(&mut config);
        let client = Client::connect(config).unwrap();
        client
            .send(Event::position(
                "dp-test",
                "a-f-G",
                1.0,
                2.0,
                Duration::from_secs(60),
            ))
            .unwrap();
        let (data, cert) = s.cot.got.recv_timeout(Duration::from_secs(20)).unwrap();
        assert!(String::from_utf8_lossy(&data).contains("dp-test"));
        assert_eq!(cert, enrolled.cert);
        client.shutdown();
    }
}

#[test]
fn a_cached_certificate_the_server_rejects_is_dropped_and_enrolled_again() {
    let s = setup("enroll-rejected");
    let settings = s.settings(TOKEN);
    let (_, first) = connect_and_send(&s.cot, &settings);
    assert_eq!(s.server.signed(), 1);
    // A CoT server (with a certificate from the enrolled CA) that accepts client
    // certificates of another CA only: it rejects ours.
    let other = make_ca("Another client CA");
    let strict = cot_server_requiring(&s.server.ca, &other);
    let mut settings = settings;
    settings[1].1 = format!("tls://127.0.0.1:{}", strict.port);
    let e = Client::connect(config(&settings)).unwrap_err().to_string();
    assert!(e.contains("rejected our client certificate"), "{e}");
    assert_eq!(
        s.server.signed(),
        2,
        "the rejected certificate was not enrolled again"
    );
    let c = s.entry().load().unwrap();
    let now = takwire::enroll::Enrolled::from_pkcs12(&c.path, &c.p12, &c.passphrase).unwrap();
    assert_ne!(
        now.cert, first,
        "the cache still holds the rejected certificate"
    );
}

#[test]
fn a_tak_cot_url_enrolls_then_connects_where_pytak_would() {
    // COT_URL=tak://...host=127.0.0.1:PORT resolves to wss://127.0.0.1:PORT/takproto/1 (as
    // PyTAK); enrollment runs first, whatever happens on the WebSocket connection after.
    let s = setup("enroll-cot-url");
    let url = s.server.tak_url(USER, TOKEN);
    let cfg = config(&[
        ("COT_URL", url),
        ("TAKWIRE_ENROLLMENT_PORT", s.server.port.to_string()),
        (
            "TAKWIRE_CERT_CACHE_DIR",
            s.cache.path().display().to_string(),
        ),
        ("PYTAK_RECONNECT", "0".into()),
    ]);
    assert_eq!(
        cfg.cot_url.to_string(),
        format!("wss://127.0.0.1:{}/takproto/1", s.server.port)
    );
    // The test server speaks no WebSocket: connecting fails (or, before the WebSocket
    // transport exists, says it is not built), after enrolling and caching.
    let e = Client::connect(cfg).unwrap_err().to_string();
    assert!(!e.contains("enrollment with"), "{e}");
    assert_eq!(s.server.signed(), 1);
    assert!(s.entry().p12.exists() && s.entry().pass.exists());
}

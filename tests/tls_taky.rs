//! Interop with a real TAK server: taky (from PyPI) with its own CA, a client data package
//! from `takyctl build_client` (legacy 3DES PKCS#12 files), takwire and a pytak client
//! exchanging events through it over mutual TLS; and taky's ATAK and iTAK packages
//! (`build_client`, `build_client --is_itak`) imported whole through `PREF_PACKAGE`.
//!
//! Needs the peer virtualenv: `TAKWIRE_PEER_PYTHON=/path/to/python cargo test --test tls_taky`.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{KillOnDrop, TempDir, peer_python, peers_dir};
use takwire::cot::Event;
use takwire::{Client, Config};

const LIMIT: Duration = Duration::from_secs(40);

/// What `tests/peers/taky_site.py` printed.
struct Site {
    conf: PathBuf,
    ca_pem: PathBuf,
    hostname: String,
    packages: BTreeMap<String, PathBuf>,
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn setup_site(python: &Path, dir: &Path, port: u16, names: &[&str]) -> Site {
    let out = Command::new(python)
        .arg(peers_dir().join("taky_site.py"))
        .arg(dir.join("site"))
        .arg(port.to_string())
        .args(names)
        .stderr(Stdio::inherit())
        .output()
        .expect("running taky_site.py");
    assert!(
        out.status.success(),
        "taky_site.py failed: {:?}",
        out.status
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let kv: BTreeMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
    Site {
        conf: kv["conf"].into(),
        ca_pem: kv["ca_pem"].into(),
        hostname: kv["hostname"].to_string(),
        packages: kv
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("package.")?.to_string(), PathBuf::from(v))))
            .collect(),
    }
}

/// A client package, unpacked: its certificate, truststore, passwords and server port.
struct Package {
    client_p12: PathBuf,
    truststore_p12: PathBuf,
    client_password: String,
    ca_password: String,
    port: u16,
}

fn unpack(zip_path: &Path, into: &Path) -> Package {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(zip_path).unwrap()).unwrap();
    std::fs::create_dir_all(into).unwrap();
    let mut files = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.enclosed_name().unwrap();
        let out = into.join(name.file_name().unwrap());
        std::io::copy(&mut f, &mut std::fs::File::create(&out).unwrap()).unwrap();
        files.push(out);
    }
    let pref = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "pref"))
        .unwrap();
    let text = std::fs::read_to_string(pref).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let entry = |key: &str| -> String {
        doc.descendants()
            .find(|n| n.attribute("key") == Some(key))
            .and_then(|n| n.text())
            .unwrap_or_else(|| panic!("no {key} in the .pref"))
            .to_string()
    };
    // The package names its files by their location on the device; match by file name.
    let local = |key: &str| -> PathBuf {
        let on_device = entry(key);
        let base = on_device.rsplit('/').next().unwrap().to_string();
        files
            .iter()
            .find(|p| p.file_name().unwrap().to_string_lossy() == base)
            .unwrap_or_else(|| panic!("{key} {on_device} is not in the package"))
            .clone()
    };
    let connect = entry("connectString0"); // host:port:ssl
    let parts: Vec<&str> = connect.split(':').collect();
    assert_eq!(parts[2], "ssl", "{connect}");
    Package {
        client_p12: local("certificateLocation"),
        truststore_p12: local("caLocation"),
        client_password: entry("clientPassword"),
        ca_password: entry("caPassword"),
        port: parts[1].parse().unwrap(),
    }
}

/// Starts taky and waits until it listens.
fn start_taky(python: &Path, site: &Site, log: &Path, port: u16) -> KillOnDrop {
    let child = Command::new(python)
        .args(["-m", "taky.cot", "-l", "debug", "-c"])
        .arg(&site.conf)
        .current_dir(site.conf.parent().unwrap())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("starting taky");
    let taky = KillOnDrop(child);
    let up = common::wait_for(LIMIT, || {
        std::fs::read_to_string(log)
            .ok()
            .filter(|t| t.contains("Listening for ssl"))
    });
    assert!(up.is_some(), "taky did not start: {}", taky_log(log));
    // taky logs before its listener is up: wait for the port too.
    assert!(
        common::wait_listening(port, LIMIT),
        "taky is not listening on {port}: {}",
        taky_log(log)
    );
    taky
}

fn taky_log(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

/// The pytak peer, with its stdout lines on a channel.
struct Pytak {
    child: KillOnDrop,
    lines: mpsc::Receiver<String>,
}

impl Pytak {
    fn start(python: &Path, env: &[(&str, String)]) -> Pytak {
        let mut cmd = Command::new(python);
        cmd.arg(peers_dir().join("pytak_tls_peer.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = KillOnDrop(cmd.spawn().expect("starting the pytak peer"));
        let stdout = child.0.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let p = Pytak { child, lines };
        let ready = p.lines.recv_timeout(LIMIT).expect("pytak did not connect");
        assert_eq!(ready, "PEER-READY");
        p
    }

    fn send(&mut self, xml: &str) {
        let stdin = self.child.0.stdin.as_mut().unwrap();
        writeln!(stdin, "{xml}").unwrap();
        stdin.flush().unwrap();
    }
}

fn takwire_config(pkg: &Package, site: &Site, extra: &[(&str, &str)]) -> Config {
    assert_eq!(
        pkg.ca_password, pkg.client_password,
        "one password key for both files"
    );
    let mut b = Config::builder()
        .set("COT_URL", format!("tls://127.0.0.1:{}", pkg.port))
        .set("COT_HOST_ID", "takwire-taky-test")
        .set("PYTAK_TLS_CLIENT_CERT", pkg.client_p12.to_string_lossy())
        .set("PYTAK_TLS_CLIENT_PASSWORD", &pkg.client_password)
        .set(
            "PYTAK_TLS_CLIENT_CAFILE",
            pkg.truststore_p12.to_string_lossy(),
        )
        .set("PYTAK_TLS_SERVER_EXPECTED_HOSTNAME", &site.hostname)
        .set("PYTAK_RECONNECT_INITIAL", "0.2");
    for (k, v) in extra {
        b = b.set(k, v);
    }
    b.build().unwrap()
}

#[test]
fn takwire_and_pytak_exchange_events_through_taky() {
    let Some(python) = peer_python() else { return };
    let tmp = TempDir::new("taky");
    let port = free_port();
    let site = setup_site(&python, tmp.path(), port, &["takwire", "pytak"]);
    let mine = unpack(&site.packages["takwire"], &tmp.path().join("takwire"));
    let theirs = unpack(&site.packages["pytak"], &tmp.path().join("pytak"));
    assert_eq!(mine.port, port);
    let log = tmp.path().join("taky.log");
    let _taky = start_taky(&python, &site, &log, port);

    // pytak with its own TLS code: the package's PKCS#12, taky's CA as PEM.
    let mut pytak = Pytak::start(
        &python,
        &[
            ("COT_URL", format!("tls://127.0.0.1:{}", theirs.port)),
            ("COT_HOST_ID", "pytak-peer".to_string()),
            (
                "PYTAK_TLS_CLIENT_CERT",
                theirs.client_p12.to_string_lossy().into(),
            ),
            ("PYTAK_TLS_CLIENT_PASSWORD", theirs.client_password.clone()),
            (
                "PYTAK_TLS_CLIENT_CAFILE",
                site.ca_pem.to_string_lossy().into(),
            ),
            ("PYTAK_TLS_SERVER_EXPECTED_HOSTNAME", site.hostname.clone()),
        ],
    );

    let client = Client::connect(takwire_config(&mine, &site, &[]))
        .unwrap_or_else(|e| panic!("takwire could not connect to taky: {e}\n{}", taky_log(&log)));

    // takwire → taky → pytak. Repeated until it arrives: taky forwards only between
    // clients it has heard from, and pytak's hello may not be routed yet.
    let to_pytak = Event::position(
        "takwire-to-pytak",
        "a-f-G-U-C",
        12.5,
        -45.25,
        Duration::from_secs(300),
    );
    let deadline = Instant::now() + LIMIT;
    let mut seen = None;
    while seen.is_none() && Instant::now() < deadline {
        client.send(to_pytak.clone()).unwrap();
        let until = Instant::now() + Duration::from_millis(500);
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match pytak.lines.recv_timeout(left) {
                Ok(line) if line.contains("uid=\"takwire-to-pytak\"") => {
                    seen = Some(line);
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    let seen =
        seen.unwrap_or_else(|| panic!("pytak never got takwire's event\n{}", taky_log(&log)));
    let got = Event::from_xml(seen.as_bytes()).unwrap();
    assert_eq!(
        (got.uid.as_str(), got.cot_type.as_str()),
        ("takwire-to-pytak", "a-f-G-U-C")
    );
    assert_eq!((got.point.lat, got.point.lon), (12.5, -45.25));

    // pytak → taky → takwire.
    let from_pytak = Event::position(
        "pytak-to-takwire",
        "a-h-G",
        -33.75,
        151.5,
        Duration::from_secs(300),
    );
    let xml = from_pytak.to_xml();
    let deadline = Instant::now() + LIMIT;
    let mut got = None;
    while got.is_none() && Instant::now() < deadline {
        pytak.send(&xml);
        let until = Instant::now() + Duration::from_millis(500);
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match client.recv_timeout(left).unwrap() {
                Some(ev) if ev.uid == "pytak-to-takwire" => {
                    got = Some(ev);
                    break;
                }
                Some(_) => {}
                None => break,
            }
        }
    }
    let got = got.unwrap_or_else(|| panic!("takwire never got pytak's event\n{}", taky_log(&log)));
    assert_eq!(got.cot_type, "a-h-G");
    assert_eq!((got.point.lat, got.point.lon), (-33.75, 151.5));
    assert!(client.is_connected());
    let stats = client.shutdown();
    assert!(stats.sent >= 1 && stats.received >= 1, "{stats:?}");
    assert_eq!(stats.reconnects, 0, "{stats:?}");
}

#[test]
fn taky_refuses_a_foreign_certificate_and_its_name_is_checked() {
    let Some(python) = peer_python() else { return };
    let tmp = TempDir::new("taky-refuse");
    let port = free_port();
    let site = setup_site(&python, tmp.path(), port, &["takwire"]);
    let pkg = unpack(&site.packages["takwire"], &tmp.path().join("pkg"));
    let log = tmp.path().join("taky.log");
    let _taky = start_taky(&python, &site, &log, port);

    // taky's certificate is for taky.test: reached as 127.0.0.1 without
    // PYTAK_TLS_SERVER_EXPECTED_HOSTNAME, verification fails on the name.
    let mut cfg = takwire_config(&pkg, &site, &[("PYTAK_RECONNECT", "0")]);
    cfg.tls.server_expected_hostname = None;
    let e = Client::connect(cfg).unwrap_err().to_string();
    assert!(
        e.contains("not valid for") && e.contains("127.0.0.1"),
        "{e}"
    );

    // A client certificate from a CA taky does not know: taky rejects it (with TLS 1.3,
    // after our side of the handshake is done), and the error says so at once.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = rcgen::Issuer::new(ca_params, ca_key);
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "stranger");
    let cert = params.signed_by(&key, &ca).unwrap();
    let pem = tmp.path().join("stranger.pem");
    std::fs::write(&pem, format!("{}{}", cert.pem(), key.serialize_pem())).unwrap();
    let cfg = takwire_config(
        &pkg,
        &site,
        &[("PYTAK_TLS_CLIENT_CERT", pem.to_str().unwrap())],
    );
    let e = Client::connect(cfg).unwrap_err().to_string();
    assert!(
        e.contains("rejected our client certificate"),
        "{e}\n{}",
        taky_log(&log)
    );
}

/// Connects with a configuration taken from one of taky's data packages (`PREF_PACKAGE`).
fn from_package(site: &Site, name: &str) -> Config {
    let config = Config::builder()
        .set("PREF_PACKAGE", site.packages[name].to_string_lossy())
        .set("COT_HOST_ID", format!("takwire-{name}"))
        // taky's certificate is for taky.test; the package's stream is 127.0.0.1.
        .set("PYTAK_TLS_SERVER_EXPECTED_HOSTNAME", &site.hostname)
        .set("PYTAK_RECONNECT_INITIAL", "0.2")
        .build()
        .unwrap_or_else(|e| panic!("importing taky's {name} package: {e}"));
    assert!(config.tls.client_cert.is_none() && config.tls.client_cafile.is_none());
    assert!(config.tls.client_cert_data.is_some() && config.tls.client_cafile_data.is_some());
    config
}

/// Sends `ev` from `from` until `to` receives it.
fn relay(from: &Client, to: &Client, ev: &Event, log: &Path) -> Event {
    let deadline = Instant::now() + LIMIT;
    while Instant::now() < deadline {
        from.send(ev.clone()).unwrap();
        let until = Instant::now() + Duration::from_millis(500);
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match to.recv_timeout(left).unwrap() {
                Some(got) if got.uid == ev.uid => return got,
                Some(_) => {}
                None => break,
            }
        }
    }
    panic!("{} never arrived through taky\n{}", ev.uid, taky_log(log));
}

#[test]
fn taky_atak_and_itak_packages_import_and_exchange_events() {
    let Some(python) = peer_python() else { return };
    let tmp = TempDir::new("taky-packages");
    let port = free_port();
    let site = setup_site(&python, tmp.path(), port, &["atak-one", "itak:itak-two"]);
    // The layouts are taky's own: ATAK with a manifest and certs/, iTAK flat.
    let atak = takwire::package::DataPackage::open(&site.packages["atak-one"]).unwrap();
    let itak = takwire::package::DataPackage::open(&site.packages["itak-two"]).unwrap();
    assert_eq!(atak.layout, takwire::package::Layout::Atak);
    assert!(atak.uid.is_some() && atak.pref_path.starts_with("certs/"));
    assert_eq!(itak.layout, takwire::package::Layout::Itak);
    assert!(!itak.pref_path.contains('/'), "{}", itak.pref_path);
    for p in [&atak, &itak] {
        assert_eq!(p.connect_string, format!("127.0.0.1:{port}:ssl"));
    }

    let log = tmp.path().join("taky.log");
    let _taky = start_taky(&python, &site, &log, port);
    let a_config = from_package(&site, "atak-one");
    let b_config = from_package(&site, "itak-two");
    assert_eq!(
        a_config.cot_url.to_string(),
        format!("tls://127.0.0.1:{port}")
    );
    assert_eq!(b_config.cot_url, a_config.cot_url);
    let a = Client::connect(a_config)
        .unwrap_or_else(|e| panic!("ATAK package: {e}\n{}", taky_log(&log)));
    let b = Client::connect(b_config)
        .unwrap_or_else(|e| panic!("iTAK package: {e}\n{}", taky_log(&log)));

    let ev = Event::position(
        "atak-to-itak",
        "a-f-G-U-C",
        10.25,
        20.5,
        Duration::from_secs(300),
    );
    let got = relay(&a, &b, &ev, &log);
    assert_eq!((got.point.lat, got.point.lon), (10.25, 20.5));
    let ev = Event::position(
        "itak-to-atak",
        "a-h-G",
        -5.5,
        7.75,
        Duration::from_secs(300),
    );
    let got = relay(&b, &a, &ev, &log);
    assert_eq!((got.point.lat, got.point.lon), (-5.5, 7.75));
    for c in [a, b] {
        let stats = c.shutdown();
        assert_eq!(stats.reconnects, 0, "{stats:?}");
    }
}

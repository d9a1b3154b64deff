//! TAK data packages: takwire writes ATAK and iTAK packages, imports them (and hand-made
//! ones) from real zip files, connects with what it imported over mutual TLS, and refuses
//! bad packages (zip-slip, zip bombs, symlinks, missing or mismatched certificates, wrong
//! passwords, no stream) with errors that say why, without writing anything.

mod cli_util;
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use common::TempDir;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use takwire::cot::Event;
use takwire::package::{DataPackage, Layout, PackageBuilder, StreamProtocol};
use takwire::{Client, Config};

const WAIT: Duration = Duration::from_secs(20);

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM and DER.
struct Pki {
    ca_pem: String,
    ca_der: Vec<u8>,
    server_der: Vec<u8>,
    server_key: Vec<u8>,
    client_pem: String,
    client_der: Vec<u8>,
}

fn pki(client_cn: &str) -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "package test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca = rcgen::Issuer::new(ca_params, ca_key);
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let client_key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, client_cn);
    let client = params.signed_by(&client_key, &ca).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().to_vec(),
        server_der: server.der().to_vec(),
        server_key: server_key.serialize_der(),
        client_pem: format!("{}{}", client.pem(), client_key.serialize_pem()),
        client_der: client.der().to_vec(),
    }
}

fn builder(pki: &Pki, port: u16) -> PackageBuilder {
    PackageBuilder::new("127.0.0.1", port)
        .client_pem(pki.client_pem.as_bytes(), None)
        .unwrap()
        .ca_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .password("s3cret&<pw>")
}

fn zip_paths(zip: &[u8]) -> Vec<String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().unwrap().to_string())
        .collect()
}

/// The files of a directory tree, for "nothing was written" checks.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn atak_and_itak_packages_round_trip_with_a_stable_uid() {
    let pki = pki("alice");
    let b = builder(&pki, 8089).name("alice");
    let atak = b.build(Layout::Atak).unwrap();
    let itak = b.build(Layout::Itak).unwrap();
    assert_eq!(
        zip_paths(&atak),
        [
            "MANIFEST/manifest.xml",
            "certs/config.pref",
            "certs/truststore.p12",
            "certs/alice.p12"
        ]
    );
    assert_eq!(
        zip_paths(&itak),
        ["config.pref", "truststore.p12", "alice.p12"]
    );
    let a = DataPackage::from_bytes("alice.zip", atak).unwrap();
    let i = DataPackage::from_bytes("alice-itak.zip", itak).unwrap();
    for p in [&a, &i] {
        assert_eq!(p.cot_url.to_string(), "tls://127.0.0.1:8089");
        assert_eq!(p.connect_string, "127.0.0.1:8089:ssl");
        assert_eq!(p.description.as_deref(), Some("alice"));
        let cert = p.client_cert.as_ref().unwrap();
        assert_eq!(cert.password.as_deref(), Some("s3cret&<pw>"));
        assert_eq!(
            p.ca.as_ref().unwrap().password.as_deref(),
            Some("s3cret&<pw>")
        );
    }
    assert_eq!(
        (a.layout, a.pref_path.as_str()),
        (Layout::Atak, "certs/config.pref")
    );
    assert_eq!(
        (i.layout, i.pref_path.as_str()),
        (Layout::Itak, "config.pref")
    );
    assert_eq!(i.uid, None);

    // The uid is the same for the same server and certificates, and differs otherwise.
    let uid = a.uid.clone().unwrap();
    assert_eq!(uid.len(), 36, "{uid}");
    let again = DataPackage::from_bytes("again.zip", b.build(Layout::Atak).unwrap()).unwrap();
    assert_eq!(again.uid.as_deref(), Some(uid.as_str()));
    let other = builder(&pki, 8090).build(Layout::Atak).unwrap();
    let other = DataPackage::from_bytes("other.zip", other).unwrap();
    assert_ne!(other.uid.as_deref(), Some(uid.as_str()));
    let fixed = b.clone().uid("my-uid").build(Layout::Atak).unwrap();
    let fixed = DataPackage::from_bytes("fixed.zip", fixed).unwrap();
    assert_eq!(fixed.uid.as_deref(), Some("my-uid"));

    // PKCS#12 in, PKCS#12 out: the client file takwire wrote feeds another builder.
    let client_p12 = {
        let mut z =
            zip::ZipArchive::new(std::io::Cursor::new(b.build(Layout::Itak).unwrap())).unwrap();
        let mut f = z.by_name("alice.p12").unwrap();
        let mut v = Vec::new();
        f.read_to_end(&mut v).unwrap();
        v
    };
    let from_p12 = PackageBuilder::new("tak.example", 8443)
        .client_pkcs12(&client_p12, "s3cret&<pw>")
        .unwrap()
        .ca_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .build(Layout::Atak)
        .unwrap();
    let p = DataPackage::from_bytes("p12.zip", from_p12).unwrap();
    assert_eq!(p.cot_url.to_string(), "tls://tak.example:8443");
    // The input password is the default; the name comes from the certificate.
    assert_eq!(
        p.client_cert.as_ref().unwrap().password.as_deref(),
        Some("s3cret&<pw>")
    );
    assert!(p.client_cert.unwrap().name.ends_with("certs/alice.p12"));
}

#[test]
fn config_takes_the_package_below_environment_and_ini() {
    let tmp = TempDir::new("pkg-config");
    let pki = pki("bob");
    let path = tmp.path().join("bob.zip");
    builder(&pki, 8089).write(Layout::Atak, &path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the package holds a key: {mode:o}");
    }
    let config = Config::builder()
        .set("PREF_PACKAGE", path.to_str().unwrap())
        .build()
        .unwrap();
    assert_eq!(config.cot_url.to_string(), "tls://127.0.0.1:8089");
    assert_eq!(config.tls.client_password.as_deref(), Some("s3cret&<pw>"));
    assert!(config.tls.client_cert.is_none());
    let cert = config.tls.client_cert_data.as_ref().unwrap();
    assert!(
        cert.name.ends_with("bob.zip!certs/bob.p12"),
        "{}",
        cert.name
    );
    assert!(config.tls.client_cafile_data.is_some());
    // Nothing was unpacked next to the package.
    assert_eq!(tree(tmp.path()), std::slice::from_ref(&path));
    // Debug output hides the passwords.
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cret"), "{shown}");

    // INI and environment win over the package.
    let ini = format!(
        "[takwire]\nPREF_PACKAGE = {}\nCOT_URL = tcp://127.0.0.1:9999\n",
        path.display()
    );
    let config = Config::builder()
        .ini_str(&ini, "takwire")
        .unwrap()
        .env_vars([
            ("PYTAK_TLS_CLIENT_CAFILE", "/elsewhere/ca.pem"),
            ("PYTAK_TLS_CLIENT_PASSWORD", "mine"),
        ])
        .build()
        .unwrap();
    assert_eq!(config.cot_url.to_string(), "tcp://127.0.0.1:9999");
    assert_eq!(config.tls.client_password.as_deref(), Some("mine"));
    assert_eq!(
        config.tls.client_cafile.as_deref(),
        Some(Path::new("/elsewhere/ca.pem"))
    );
    assert!(config.tls.client_cafile_data.is_none());
    assert!(config.tls.client_cert_data.is_some());
    let settings = Config::builder()
        .set("PREF_PACKAGE", path.to_str().unwrap())
        .settings()
        .clone();
    assert!(settings.get("COT_URL").is_none(), "read only at build");
}

/// A TLS server on loopback that requires a client certificate from `pki`'s CA and sends
/// each line it reads to the returned channel.
fn mtls_server(pki: &Pki) -> (u16, mpsc::Receiver<String>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(pki.ca_der.clone())).unwrap();
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
            vec![
                CertificateDer::from(pki.server_der.clone()),
                CertificateDer::from(pki.ca_der.clone()),
            ],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone())),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((sock, _)) = listener.accept() else {
            return;
        };
        sock.set_read_timeout(Some(WAIT)).unwrap();
        let conn = rustls::ServerConnection::new(config).unwrap();
        let stream = rustls::StreamOwned::new(conn, sock);
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (port, rx)
}

fn wait_for_uid(rx: &mpsc::Receiver<String>, uid: &str) -> Event {
    let pattern = format!("uid=\"{uid}\"");
    loop {
        let line = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("the server never got {uid}"));
        if line.contains(&pattern) {
            return Event::from_xml(line.as_bytes()).unwrap();
        }
    }
}

#[test]
fn an_imported_package_connects_over_mutual_tls() {
    for layout in [Layout::Atak, Layout::Itak] {
        let tmp = TempDir::new("pkg-mtls");
        let pki = pki("carol");
        let (port, rx) = mtls_server(&pki);
        let path = tmp.path().join("carol.zip");
        builder(&pki, port).write(layout, &path).unwrap();
        let config = Config::builder()
            .set("PREF_PACKAGE", path.to_str().unwrap())
            .set("PYTAK_RECONNECT", "0")
            .build()
            .unwrap();
        let client = Client::connect(config).unwrap();
        let ev = Event::position("pkg-carol", "a-f-G", 1.5, 2.5, Duration::from_secs(60));
        client.send(ev).unwrap();
        let got = wait_for_uid(&rx, "pkg-carol");
        assert_eq!((got.point.lat, got.point.lon), (1.5, 2.5), "{layout:?}");
        client.shutdown();
    }
}

#[test]
fn the_command_connects_with_dash_p_and_no_url() {
    let tmp = TempDir::new("pkg-cli");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let path = tmp.path().join("tcp.zip");
    PackageBuilder::new("127.0.0.1", port)
        .protocol(StreamProtocol::Tcp)
        .write(Layout::Itak, &path)
        .unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut sock, _)) = listener.accept() else {
            return;
        };
        sock.set_read_timeout(Some(WAIT)).unwrap();
        let mut text = String::new();
        let _ = sock.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    let mut cmd = cli_util::takwire();
    cmd.arg("-p").arg(&path).arg("--tx-only").arg("--no-hello");
    let ev = Event::position("from-cli", "a-f-G", 3.0, 4.0, Duration::from_secs(60));
    let out = cli_util::run_with(cmd, format!("{}\n", ev.to_xml()).into_bytes(), WAIT);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = rx.recv_timeout(WAIT).unwrap();
    assert!(text.contains("uid=\"from-cli\""), "{text}");

    // A package without a stream is a configuration error (exit 2) that says so.
    let bad = tmp.path().join("bad.zip");
    write_zip(&bad, &[("config.pref", PREF_NO_STREAM.as_bytes())]);
    let mut cmd = cli_util::takwire();
    cmd.arg("-p").arg(&bad).arg("--tx-only");
    let out = cli_util::run_with(cmd, Vec::new(), WAIT);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.zip") && err.contains("connectString0"),
        "{err}"
    );
}

// ---------------------------------------------------------------- bad packages

const PREF_NO_STREAM: &str = r#"<?xml version="1.0" standalone="yes"?>
<preferences><preference version="1" name="com.atakmap.app_preferences">
<entry key="clientPassword" class="class java.lang.String">atakatak</entry>
</preference></preferences>"#;

fn pref(extra: &str) -> String {
    format!(
        r#"<preferences><preference version="1" name="cot_streams">
<entry key="connectString0" class="class java.lang.String">127.0.0.1:8089:ssl</entry>
</preference><preference version="1" name="com.atakmap.app_preferences">{extra}</preference>
</preferences>"#
    )
}

fn write_zip(path: &Path, files: &[(&str, &[u8])]) {
    std::fs::write(path, zip_bytes(files)).unwrap();
}

fn zip_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn import_err(zip: Vec<u8>) -> String {
    DataPackage::from_bytes("bad.zip", zip)
        .map(|p| panic!("imported: {p:?}"))
        .unwrap_err()
        .to_string()
}

#[test]
fn zip_slip_absolute_paths_and_symlinks_are_refused_and_nothing_is_written() {
    let tmp = TempDir::new("pkg-slip");
    let inner = tmp.path().join("a/b");
    std::fs::create_dir_all(&inner).unwrap();
    let ok_pref = pref("");
    for name in [
        "../evil.pref",
        "../../evil.pref",
        "certs/../../evil.pref",
        "/tmp/evil.pref",
        "..\\evil.pref",
        "C:/evil.pref",
    ] {
        let path = inner.join("slip.zip");
        write_zip(
            &path,
            &[
                ("config.pref", ok_pref.as_bytes()),
                (name, ok_pref.as_bytes()),
            ],
        );
        let e = DataPackage::open(&path).unwrap_err().to_string();
        assert!(
            e.contains("slip.zip") && e.contains("is refused") && e.contains("evil.pref"),
            "{name}: {e}"
        );
        // Through the configuration too.
        let e = Config::builder()
            .set("PREF_PACKAGE", path.to_str().unwrap())
            .build()
            .unwrap_err()
            .to_string();
        assert!(e.contains("is refused"), "{e}");
    }
    assert_eq!(
        tree(tmp.path()),
        [tmp.path().join("a"), inner.clone(), inner.join("slip.zip")]
    );
    assert!(!Path::new("/tmp/evil.pref").exists());

    // A symbolic link entry.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("config.pref", opts).unwrap();
    w.write_all(ok_pref.as_bytes()).unwrap();
    w.add_symlink("certs/client.p12", "/etc/passwd", opts)
        .unwrap();
    let e = import_err(w.finish().unwrap().into_inner());
    assert!(
        e.contains("certs/client.p12") && e.contains("symbolic link"),
        "{e}"
    );
}

#[test]
fn zip_bombs_and_oversized_packages_are_refused() {
    // 50 MB of zeros deflate to about 50 KB: a ratio near 1000.
    let zeros = vec![0u8; 50_000_000];
    let e = import_err(zip_bytes(&[
        ("config.pref", pref("").as_bytes()),
        ("certs/bomb.p12", &zeros),
    ]));
    assert!(
        e.contains("certs/bomb.p12") && e.contains("zip bomb"),
        "{e}"
    );

    // Too many entries.
    let names: Vec<String> = (0..1001).map(|i| format!("f{i}")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let e = import_err(zip_bytes(&files));
    assert!(e.contains("1001 entries") && e.contains("1000"), "{e}");

    // An incompressible .pref over the 1 MiB read limit.
    let mut big = Vec::with_capacity(2 << 20);
    let mut x: u32 = 1;
    while big.len() < (2 << 20) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        big.extend_from_slice(&x.to_le_bytes());
    }
    let e = import_err(zip_bytes(&[("config.pref", &big)]));
    assert!(
        e.contains("config.pref") && e.contains("more than the 1048576"),
        "{e}"
    );

    // Not a zip at all, and an empty file.
    let e = import_err(b"<preferences/>".to_vec());
    assert!(e.contains("not a readable zip file"), "{e}");
    let e = import_err(Vec::new());
    assert!(e.contains("empty"), "{e}");
}

fn p12_of(zip: &[u8], name: &str) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut f = z.by_name(name).unwrap();
    let mut v = Vec::new();
    f.read_to_end(&mut v).unwrap();
    v
}

#[test]
fn bad_certificates_passwords_and_prefs_are_explained() {
    let dave = pki("dave");
    let good = builder(&dave, 8089)
        .name("dave")
        .build(Layout::Itak)
        .unwrap();
    let client = p12_of(&good, "dave.p12");
    let trust = p12_of(&good, "truststore.p12");
    let entries = |cert: &str, pw: &str| {
        pref(&format!(
            r#"<entry key="certificateLocation" class="class java.lang.String">{cert}</entry>
<entry key="clientPassword" class="class java.lang.String">{pw}</entry>
<entry key="caLocation" class="class java.lang.String">cert/truststore.p12</entry>
<entry key="caPassword" class="class java.lang.String">s3cret&amp;&lt;pw&gt;</entry>"#
        ))
    };

    // The hand-made layout works with the right names and password.
    let ok = entries(
        "/storage/emulated/0/atak/cert/dave.p12",
        "s3cret&amp;&lt;pw&gt;",
    );
    let files: [(&str, &[u8]); 3] = [
        ("config.pref", ok.as_bytes()),
        ("dave.p12", &client),
        ("truststore.p12", &trust),
    ];
    DataPackage::from_bytes("ok.zip", zip_bytes(&files)).unwrap();

    // A certificate the .pref names but the package lacks.
    let p = entries("cert/missing.p12", "x");
    let e = import_err(zip_bytes(&[
        ("config.pref", p.as_bytes()),
        ("truststore.p12", &trust),
    ]));
    assert!(
        e.contains(
            "certificateLocation \"cert/missing.p12\" names a file that is not in the package"
        ),
        "{e}"
    );

    // A wrong client password.
    let p = entries("cert/dave.p12", "wrong");
    let e = import_err(zip_bytes(&[
        ("config.pref", p.as_bytes()),
        ("dave.p12", &client),
        ("truststore.p12", &trust),
    ]));
    assert!(
        e.contains("certificateLocation") && e.contains("wrong password (clientPassword)"),
        "{e}"
    );

    // A wrong CA password.
    let p = pref(
        r#"<entry key="caLocation">truststore.p12</entry><entry key="caPassword">nope</entry>"#,
    );
    let e = import_err(zip_bytes(&[
        ("config.pref", p.as_bytes()),
        ("truststore.p12", &trust),
    ]));
    assert!(
        e.contains("caLocation") && e.contains("wrong password (caPassword)"),
        "{e}"
    );

    // certificateLocation names the truststore: no key.
    let p = entries("cert/truststore.p12", "s3cret&amp;&lt;pw&gt;");
    let e = import_err(zip_bytes(&[
        ("config.pref", p.as_bytes()),
        ("truststore.p12", &trust),
    ]));
    assert!(e.contains("holds no private key"), "{e}");

    // A client PKCS#12 whose key belongs to another certificate.
    let other = pki("eve");
    let mismatched = {
        let key = rcgen::KeyPair::generate().unwrap();
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let mut ks = KeyStore::new();
        ks.add_entry(
            "dave",
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
                b"id".to_vec(),
                PrivateKey::from_der(&key.serialize_der()).unwrap(),
                [Certificate::from_der(&other.client_der).unwrap()],
            )),
        );
        ks.writer("pw").write().unwrap()
    };
    let p = entries("cert/dave.p12", "pw");
    let e = import_err(zip_bytes(&[
        ("config.pref", p.as_bytes()),
        ("dave.p12", &mismatched),
        ("truststore.p12", &trust),
    ]));
    assert!(e.contains("does not belong to the certificate"), "{e}");

    // A .pref without a stream, and a package without a .pref.
    let e = import_err(zip_bytes(&[("config.pref", PREF_NO_STREAM.as_bytes())]));
    assert!(e.contains("config.pref names no TAK server stream"), "{e}");
    let e = import_err(zip_bytes(&[("dave.p12", &client)]));
    assert!(
        e.contains("holds no .pref file") && e.contains("dave.p12"),
        "{e}"
    );
    // A stream takwire cannot speak.
    let p = pref("").replace(":ssl", ":quic");
    let e = import_err(zip_bytes(&[("config.pref", p.as_bytes())]));
    assert!(e.contains("\"quic\""), "{e}");
    // A manifest that is not one.
    let e = import_err(zip_bytes(&[
        ("MANIFEST/manifest.xml", b"<oops"),
        ("config.pref", pref("").as_bytes()),
    ]));
    assert!(e.contains("MANIFEST/manifest.xml is not valid XML"), "{e}");
}

#[test]
fn the_builder_explains_what_it_needs() {
    let pki = pki("frank");
    let e = PackageBuilder::new("127.0.0.1", 8089)
        .client_pem(pki.client_pem.as_bytes(), None)
        .unwrap()
        .build(Layout::Atak)
        .unwrap_err()
        .to_string();
    assert!(e.contains("need a password"), "{e}");
    let e = PackageBuilder::new("127.0.0.1", 8089)
        .client_pem(pki.ca_pem.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the client PEM") && e.contains("no private key"),
        "{e}"
    );
    let e = PackageBuilder::new("127.0.0.1", 8089)
        .client_pkcs12(b"garbage", "pw")
        .unwrap_err()
        .to_string();
    assert!(e.contains("the client PKCS#12"), "{e}");
    let e = PackageBuilder::new("bad host/", 1)
        .build(Layout::Itak)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a server host"), "{e}");
}

#[test]
fn the_fuzz_seeds_with_certificates_and_without_import() {
    // The seeds start the data_package fuzz target deep in the import: keep them valid.
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/data_package");
    let p = DataPackage::open(seeds.join("itak_with_certs")).unwrap();
    assert_eq!(p.cot_url.to_string(), "tls://127.0.0.1:8089");
    assert!(p.client_cert.is_some() && p.ca.is_some());
    let p = DataPackage::open(seeds.join("atak_tcp")).unwrap();
    assert_eq!(
        (p.layout, p.uid.as_deref()),
        (Layout::Atak, Some("seed-uid"))
    );
    let p = DataPackage::open(seeds.join("itak_flat")).unwrap();
    assert_eq!(p.cot_url.to_string(), "tls://[::1]:8089");
}

/// Debug lines logged by this test's thread.
static LOGS: std::sync::Mutex<Vec<(std::thread::ThreadId, String)>> =
    std::sync::Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Debug
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            let line = format!("{}: {}", r.level(), r.args());
            LOGS.lock()
                .unwrap()
                .push((std::thread::current().id(), line));
        }
    }
    fn flush(&self) {}
}

#[test]
fn what_came_from_the_package_is_logged_at_debug_level_without_secrets() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Debug);
    });
    let tmp = TempDir::new("pkg-log");
    let path = tmp.path().join("gina.zip");
    builder(&pki("gina"), 8089)
        .write(Layout::Atak, &path)
        .unwrap();
    Config::builder()
        .set("PREF_PACKAGE", path.to_str().unwrap())
        .build()
        .unwrap();
    let me = std::thread::current().id();
    let lines: Vec<String> = LOGS
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| *t == me)
        .map(|(_, l)| l.clone())
        .collect();
    let has = |parts: &[&str]| {
        lines
            .iter()
            .any(|l| l.starts_with("DEBUG") && parts.iter().all(|p| l.contains(p)))
    };
    assert!(
        has(&["COT_URL = tls://127.0.0.1:8089", "(from data package)"]),
        "{lines:#?}"
    );
    assert!(
        has(&["PYTAK_TLS_CLIENT_PASSWORD = <redacted>", "data package"]),
        "{lines:#?}"
    );
    assert!(
        has(&["PYTAK_TLS_CLIENT_CERT", "gina.zip!certs/", "in memory"]),
        "{lines:#?}"
    );
    assert!(
        has(&["PYTAK_TLS_CLIENT_CAFILE", "gina.zip!certs/truststore.p12"]),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("s3cret")), "{lines:#?}");
}

/// Rewrites the unpacked size an entry declares, in its local header and in the central
/// directory, as a hostile tool would.
fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let mut patched = 0;
    for at in 0..zip.len().saturating_sub(46) {
        let sig = &zip[at..at + 4];
        let (size_at, name_len_at, name_at) = match sig {
            b"PK\x03\x04" => (at + 22, at + 26, at + 30),
            b"PK\x01\x02" => (at + 24, at + 28, at + 46),
            _ => continue,
        };
        let len = u16::from_le_bytes([zip[name_len_at], zip[name_len_at + 1]]) as usize;
        if zip.get(name_at..name_at + len) == Some(name.as_bytes()) {
            zip[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(
        patched, 2,
        "local header and central directory entry of {name}"
    );
}

#[test]
fn declared_sizes_are_bounded_and_never_trusted() {
    let text = pref("");
    // An entry that unpacks to more than it declares: read with a bound, refused.
    let mut zip = zip_bytes(&[("config.pref", text.as_bytes())]);
    declare_size(&mut zip, "config.pref", 40);
    let e = import_err(zip);
    assert!(e.contains("config.pref"), "{e}");
    assert!(
        e.contains("declares 40") || e.contains("cannot be unpacked"),
        "{e}"
    );
    // Entries that declare more than the total bound.
    let mut zip = zip_bytes(&[("config.pref", text.as_bytes()), ("big.bin", b"x")]);
    declare_size(&mut zip, "big.bin", 300 << 20);
    let e = import_err(zip);
    assert!(e.contains("unpacks to more than 268435456 bytes"), "{e}");
}

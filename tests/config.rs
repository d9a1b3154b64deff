//! Configuration: every default of PyTAK's reference, precedence, and bad values.

use std::net::IpAddr;
use std::time::Duration;

use takwire::config::{Source, TakProto};
use takwire::url::{Direction, Scheme};
use takwire::{Config, Error};

fn no_env() -> Vec<(String, String)> {
    Vec::new()
}

#[test]
fn every_default_of_the_spec() {
    let c = Config::builder().env_vars(no_env()).build().unwrap();
    assert_eq!(c, Config::default());
    assert_eq!(c.cot_url.to_string(), "udp+wo://239.2.3.1:6969");
    assert_eq!(c.cot_url.scheme(), Scheme::Udp);
    assert_eq!(c.cot_url.direction(), Direction::WriteOnly);
    assert!(c.tak_url.is_none());
    assert_eq!(c.tak_proto, TakProto::Xml);
    assert!(!c.debug);
    assert!(!c.fts_compat);
    assert_eq!(c.sleep, Duration::ZERO);
    assert!(!c.no_hello);
    assert_eq!(c.cot_stale, Duration::from_secs(120));
    assert_eq!(c.max_out_queue, 100);
    assert_eq!(c.max_in_queue, 500);
    assert_eq!(c.multicast_local_addr, "0.0.0.0".parse::<IpAddr>().unwrap());
    assert_eq!(c.multicast_ttl, 1);
    assert!(c.pref_package.is_none());
    assert!(c.marti_cot_uid.is_none());
    assert!(c.host_id().starts_with("takwire@"));
    assert_eq!(c.marti_uid(), c.host_id());
    assert_eq!(c.hello_uid(), "takPing");
    assert_eq!(c.marti_poll_interval, Duration::from_secs(5));
    assert_eq!(c.marti_poll_seconds_ago, Duration::from_secs(30));
    let t = &c.tls;
    assert!(t.client_cert.is_none() && t.client_key.is_none() && t.client_cafile.is_none());
    assert!(t.client_password.is_none());
    assert!(!t.dont_verify && !t.dont_check_hostname);
    assert!(t.server_expected_hostname.is_none());
    assert_eq!(t.client_ciphers, "ALL");
    assert!(t.enrollment_username.is_none());
    assert!(t.enrollment_password.is_none());
    assert!(t.enrollment_passphrase.is_none());
    let r = &c.reconnect;
    assert!(r.enabled);
    assert_eq!(r.initial, Duration::from_secs(5));
    assert_eq!(r.factor, 2.0);
    assert_eq!(r.max, Duration::from_secs(120));
    assert_eq!(r.jitter, 0.2);
    assert_eq!(r.reset, Duration::from_secs(300));
    assert_eq!(c.max_event_size, 1 << 20);
    assert!(c.cert_cache_dir.is_none());
}

#[test]
fn every_key_is_read() {
    let ini = r#"
[tool]
COT_URL = tls://tak.example:8089
TAK_PROTO = 1
DEBUG = yes
FTS_COMPAT = On
PYTAK_SLEEP = 3
PYTAK_NO_HELLO = TRUE
COT_STALE = 600
COT_HOST_ID = gw@box
MAX_OUT_QUEUE = 10
MAX_IN_QUEUE = 20
PYTAK_MULTICAST_LOCAL_ADDR = 192.168.1.100
PYTAK_MULTICAST_TTL = 8
PREF_PACKAGE = /tmp/pkg.zip
MARTI_COT_UID = marti-uid
MARTI_POLL_INTERVAL = 2
MARTI_POLL_SECONDS_AGO = 90
PYTAK_TLS_CLIENT_CERT = /etc/pytak/client.pem
PYTAK_TLS_CLIENT_KEY = /etc/pytak/client.key
PYTAK_TLS_CLIENT_CAFILE = /etc/pytak/ca.pem
PYTAK_TLS_CLIENT_PASSWORD = atakatak
PYTAK_TLS_DONT_VERIFY = 1
PYTAK_TLS_DONT_CHECK_HOSTNAME = y
PYTAK_TLS_SERVER_EXPECTED_HOSTNAME = takserver
PYTAK_TLS_CLIENT_CIPHERS = ECDHE-ECDSA-AES256-GCM-SHA384
PYTAK_TLS_CERT_ENROLLMENT_USERNAME = alice
PYTAK_TLS_CERT_ENROLLMENT_PASSWORD = pw
PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE = pp
PYTAK_RECONNECT = off
PYTAK_RECONNECT_INITIAL = 1.5
PYTAK_RECONNECT_FACTOR = 3
PYTAK_RECONNECT_MAX = 60
PYTAK_RECONNECT_JITTER = 0
PYTAK_RECONNECT_RESET = 10
TAKWIRE_MAX_EVENT_SIZE = 65536
TAKWIRE_CERT_CACHE_DIR = /tmp/certs
"#;
    let b = Config::builder().ini_str(ini, "tool").unwrap();
    // `build` would read the package (tests/package.rs); the keys alone are checked here.
    let c = Config::from_settings(b.settings()).unwrap();
    let e = b.build().unwrap_err().to_string();
    assert!(
        e.contains("/tmp/pkg.zip") && e.contains("cannot open the file"),
        "{e}"
    );
    assert_eq!(c.cot_url.to_string(), "tls://tak.example:8089");
    assert_eq!(c.tak_proto, TakProto::Protobuf);
    assert!(c.debug && c.fts_compat && c.no_hello);
    assert_eq!(c.sleep, Duration::from_secs(3));
    assert_eq!(c.cot_stale, Duration::from_secs(600));
    assert_eq!(c.host_id(), "gw@box");
    assert_eq!(c.hello_uid(), "gw@box");
    assert_eq!((c.max_out_queue, c.max_in_queue), (10, 20));
    assert_eq!(c.multicast_local_addr.to_string(), "192.168.1.100");
    assert_eq!(c.multicast_ttl, 8);
    assert_eq!(
        c.pref_package.as_deref(),
        Some(std::path::Path::new("/tmp/pkg.zip"))
    );
    assert_eq!(c.marti_uid(), "marti-uid");
    assert_eq!(c.marti_poll_interval, Duration::from_secs(2));
    assert_eq!(c.marti_poll_seconds_ago, Duration::from_secs(90));
    let t = &c.tls;
    assert_eq!(
        t.client_cert.as_deref().unwrap().to_str(),
        Some("/etc/pytak/client.pem")
    );
    assert_eq!(
        t.client_key.as_deref().unwrap().to_str(),
        Some("/etc/pytak/client.key")
    );
    assert_eq!(
        t.client_cafile.as_deref().unwrap().to_str(),
        Some("/etc/pytak/ca.pem")
    );
    assert_eq!(t.client_password.as_deref(), Some("atakatak"));
    assert!(t.dont_verify && t.dont_check_hostname);
    assert_eq!(t.server_expected_hostname.as_deref(), Some("takserver"));
    assert_eq!(t.client_ciphers, "ECDHE-ECDSA-AES256-GCM-SHA384");
    assert_eq!(t.enrollment_username.as_deref(), Some("alice"));
    assert_eq!(t.enrollment_password.as_deref(), Some("pw"));
    assert_eq!(t.enrollment_passphrase.as_deref(), Some("pp"));
    let r = &c.reconnect;
    assert!(!r.enabled);
    assert_eq!(r.initial, Duration::from_millis(1500));
    assert_eq!((r.factor, r.jitter), (3.0, 0.0));
    assert_eq!(r.max, Duration::from_secs(60));
    assert_eq!(r.reset, Duration::from_secs(10));
    assert_eq!(c.max_event_size, 65536);
    assert_eq!(
        c.cert_cache_dir.as_deref().unwrap().to_str(),
        Some("/tmp/certs")
    );
    // Secrets stay out of Debug output.
    let dbg = format!("{c:?}");
    assert!(
        !dbg.contains("atakatak") && !dbg.contains("\"pw\""),
        "{dbg}"
    );
}

#[test]
fn environment_beats_ini_and_code_beats_both() {
    let ini = "[a]\nCOT_URL = tcp://1.1.1.1:1\nMAX_OUT_QUEUE = 5\nMAX_IN_QUEUE = 6\n";
    let b = Config::builder()
        .ini_str(ini, "a")
        .unwrap()
        .env_vars([("COT_URL", "tcp://2.2.2.2:2"), ("MAX_IN_QUEUE", "7")])
        .set("MAX_IN_QUEUE", "8");
    assert_eq!(
        b.settings().get("COT_URL"),
        Some(("tcp://2.2.2.2:2", Source::Env))
    );
    assert_eq!(b.settings().get("MAX_OUT_QUEUE"), Some(("5", Source::Ini)));
    assert_eq!(b.settings().get("MAX_IN_QUEUE"), Some(("8", Source::Code)));
    let c = b.build().unwrap();
    assert_eq!(c.cot_url.to_string(), "tcp://2.2.2.2:2");
    assert_eq!((c.max_out_queue, c.max_in_queue), (5, 8));
    // Order of calls does not matter: precedence does.
    let c = Config::builder()
        .env_vars([("COT_URL", "tcp://2.2.2.2:2")])
        .ini_str(ini, "a")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(c.cot_url.to_string(), "tcp://2.2.2.2:2");
}

#[test]
fn empty_values_count_as_unset() {
    let ini = "[a]\nCOT_URL = tcp://1.1.1.1:1\n";
    let c = Config::builder()
        .ini_str(ini, "a")
        .unwrap()
        .env_vars([("COT_URL", ""), ("PYTAK_TLS_CLIENT_CERT", "")])
        .build()
        .unwrap();
    assert_eq!(c.cot_url.to_string(), "tcp://1.1.1.1:1");
    assert!(c.tls.client_cert.is_none());
}

#[test]
fn ini_sections_keys_and_defaults_section() {
    let ini = "[DEFAULT]\nMAX_IN_QUEUE = 42\n\n[aiscot]\ncot_url = udp://10.0.0.1:4242\nAIS_PORT = 5050\n\n[adsbcot]\nCOT_URL = tcp://10.0.0.2:8087\nMAX_IN_QUEUE = 7\n";
    let a = Config::builder()
        .ini_str(ini, "aiscot")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(a.cot_url.to_string(), "udp://10.0.0.1:4242");
    assert_eq!(a.max_in_queue, 42);
    let b = Config::builder()
        .ini_str(ini, "adsbcot")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(b.cot_url.to_string(), "tcp://10.0.0.2:8087");
    assert_eq!(b.max_in_queue, 7);
    let e = Config::builder().ini_str(ini, "nope").unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::MissingSection { .. }));
    assert!(
        msg.contains("[nope]") && msg.contains("aiscot") && msg.contains("adsbcot"),
        "{msg}"
    );
}

#[test]
fn ini_files_are_read_and_missing_files_named() {
    let dir = std::env::temp_dir().join(format!("takwire-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.ini");
    std::fs::write(&path, "[mytool]\nCOT_URL = tls://takserver.example.com:8089\nPYTAK_TLS_CLIENT_CERT = /etc/pytak/client.pem\nDEBUG = 0\n").unwrap();
    let c = Config::from_ini_and_env(&path, "mytool").unwrap();
    assert_eq!(c.cot_url.port(), 8089);
    let missing = dir.join("missing.ini");
    let e = Config::builder()
        .ini_file(&missing, "x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.ini"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_values_name_key_value_and_what_is_accepted() {
    let cases: &[(&str, &str, &str)] = &[
        ("TAK_PROTO", "2", "0 (XML) or 1"),
        ("DEBUG", "maybe", "true/yes/y/on/1"),
        ("FTS_COMPAT", "2", "true/yes"),
        ("PYTAK_NO_HELLO", "nah", "true/yes"),
        ("PYTAK_SLEEP", "-1", "seconds"),
        ("PYTAK_SLEEP", "soon", "seconds"),
        ("COT_STALE", "x", "seconds"),
        ("MAX_OUT_QUEUE", "0", "whole number from 1"),
        ("MAX_IN_QUEUE", "lots", "whole number"),
        ("PYTAK_MULTICAST_LOCAL_ADDR", "eth0", "IPv4 or IPv6"),
        ("PYTAK_MULTICAST_TTL", "256", "0 to 255"),
        ("MARTI_POLL_INTERVAL", "0", "greater than zero"),
        ("MARTI_POLL_SECONDS_AGO", "-5", "seconds"),
        ("PYTAK_TLS_DONT_VERIFY", "sure", "true/yes"),
        ("PYTAK_TLS_DONT_CHECK_HOSTNAME", "2", "true/yes"),
        ("PYTAK_RECONNECT", "always", "true/yes"),
        ("PYTAK_RECONNECT_INITIAL", "0", "greater than zero"),
        ("PYTAK_RECONNECT_FACTOR", "0.5", "from 1"),
        (
            "PYTAK_RECONNECT_MAX",
            "1",
            "at least PYTAK_RECONNECT_INITIAL",
        ),
        ("PYTAK_RECONNECT_JITTER", "1", "[0, 1)"),
        ("PYTAK_RECONNECT_RESET", "x", "seconds"),
        ("TAKWIRE_MAX_EVENT_SIZE", "10", "whole number from 1024"),
        ("COT_URL", "gopher://x:1", "known schemes"),
        ("COT_URL", "tcp+wo+ro://x:1", "cannot be combined"),
        (
            "TAK_URL",
            "tak://x/enroll?host=h",
            "missing required parameter",
        ),
    ];
    for (key, value, expected) in cases {
        let e = Config::builder()
            .env_vars([(*key, *value)])
            .build()
            .unwrap_err()
            .to_string();
        assert!(e.contains(key), "{key}={value}: {e}");
        assert!(e.contains(expected), "{key}={value}: {e}");
        if *key != "TAK_URL" {
            assert!(e.contains(value), "{key}={value}: {e}");
        }
    }
}

#[test]
fn unknown_keys() {
    // In code: always an error, with a suggestion.
    let e = Config::builder()
        .set("PYTAK_TLS_CLIENT_CRT", "x")
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("PYTAK_TLS_CLIENT_CRT") && e.contains("did you mean PYTAK_TLS_CLIENT_CERT"),
        "{e}"
    );
    // In an INI section: tool keys are fine; our-looking typos warn, or fail when strict.
    let ini = "[t]\nAIS_PORT = 1\nPYTAK_SLEPE = 2\n";
    assert!(Config::builder().ini_str(ini, "t").unwrap().build().is_ok());
    let e = Config::builder()
        .strict(true)
        .ini_str(ini, "t")
        .unwrap()
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("PYTAK_SLEPE") && e.contains("PYTAK_SLEEP"),
        "{e}"
    );
    // The environment is shared with everything else: unknown names are ignored.
    assert!(
        Config::builder()
            .env_vars([("PYTAK_WHATEVER", "1"), ("PATH", "/bin")])
            .build()
            .is_ok()
    );
}

#[test]
fn tak_links_in_cot_url_or_tak_url() {
    let link = "tak://com.atakmap.app/enroll?host=tak.example.com&username=u&token=t";
    let c = Config::builder()
        .env_vars([("COT_URL", link)])
        .build()
        .unwrap();
    assert_eq!(
        c.cot_url.to_string(),
        "wss://tak.example.com:8443/takproto/1"
    );
    assert_eq!(c.tak_url.as_ref().unwrap().username(), "u");
    let c = Config::builder()
        .env_vars([(
            "TAK_URL",
            "tak://com.atakmap.app/enroll?host=tak.example.com:8089&username=u&token=t",
        )])
        .build()
        .unwrap();
    assert_eq!(c.cot_url.to_string(), "tls://tak.example.com:8089");
    assert!(c.tak_url.is_some());
}

#[test]
fn booleans_accept_pytak_words() {
    for (v, want) in [
        ("true", true),
        ("Yes", true),
        ("Y", true),
        ("on", true),
        ("1", true),
        ("False", false),
        ("no", false),
        ("0", false),
        ("off", false),
    ] {
        let c = Config::builder()
            .env_vars([("PYTAK_NO_HELLO", v)])
            .build()
            .unwrap();
        assert_eq!(c.no_hello, want, "{v}");
    }
}

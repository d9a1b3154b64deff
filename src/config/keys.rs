//! The table of configuration keys: names, defaults and one-line descriptions.
//!
//! The names and defaults are PyTAK's (see `pytak-configuration.txt`); keys that
//! start with `TAKWIRE_` are takwire's own additions.

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// The key as PyTAK spells it.
    pub name: &'static str,
    /// The default value as text, if the key has one.
    pub default: Option<&'static str>,
    /// A one-line description.
    pub help: &'static str,
}

const fn key(name: &'static str, default: Option<&'static str>, help: &'static str) -> KeySpec {
    KeySpec {
        name,
        default,
        help,
    }
}

/// The default `COT_URL`: ATAK Mesh SA multicast, write-only.
pub const DEFAULT_COT_URL: &str = "udp+wo://239.2.3.1:6969";

/// Every key takwire reads.
pub const KEYS: &[KeySpec] = &[
    key(
        "COT_URL",
        Some(DEFAULT_COT_URL),
        "destination for CoT events",
    ),
    key(
        "TAK_PROTO",
        Some("0"),
        "0 = XML (TAK protocol v0), 1 = protobuf (v1)",
    ),
    key("DEBUG", Some("0"), "verbose debug logging"),
    key(
        "FTS_COMPAT",
        Some("0"),
        "random sleep between transmissions for FreeTAKServer",
    ),
    key(
        "PYTAK_SLEEP",
        Some("0"),
        "seconds to sleep between transmissions",
    ),
    key(
        "PYTAK_NO_HELLO",
        Some("false"),
        "suppress the hello event sent on connect",
    ),
    key(
        "COT_STALE",
        Some("120"),
        "stale time in seconds for events takwire builds",
    ),
    key(
        "COT_HOST_ID",
        None,
        "this client's host id (default takwire@HOSTNAME)",
    ),
    key(
        "MAX_OUT_QUEUE",
        Some("100"),
        "outgoing events buffered before the oldest is dropped",
    ),
    key(
        "MAX_IN_QUEUE",
        Some("500"),
        "incoming events buffered before the oldest is dropped",
    ),
    key(
        "PYTAK_MULTICAST_LOCAL_ADDR",
        Some("0.0.0.0"),
        "interface address for multicast",
    ),
    key(
        "PYTAK_MULTICAST_TTL",
        Some("1"),
        "time-to-live of multicast packets",
    ),
    key(
        "PREF_PACKAGE",
        None,
        "TAK data package (.zip) with connection settings",
    ),
    key("TAK_URL", None, "tak:// enrollment deep link"),
    key(
        "MARTI_COT_UID",
        None,
        "client uid for Marti REST (default: the host id)",
    ),
    key(
        "MARTI_POLL_INTERVAL",
        Some("5"),
        "seconds between Marti polls",
    ),
    key(
        "MARTI_POLL_SECONDS_AGO",
        Some("30"),
        "how far back the first Marti poll reaches",
    ),
    key(
        "PYTAK_TLS_CLIENT_CERT",
        None,
        "client certificate: PEM (cert, maybe key) or PKCS#12",
    ),
    key(
        "PYTAK_TLS_CLIENT_KEY",
        None,
        "client private key (PEM), if not in the certificate file",
    ),
    key(
        "PYTAK_TLS_CLIENT_CAFILE",
        None,
        "CA trust chain (PEM or PKCS#12)",
    ),
    key(
        "PYTAK_TLS_CLIENT_PASSWORD",
        None,
        "password of an encrypted key or PKCS#12 file",
    ),
    key(
        "PYTAK_TLS_DONT_VERIFY",
        Some("0"),
        "do not verify the server certificate",
    ),
    key(
        "PYTAK_TLS_DONT_CHECK_HOSTNAME",
        Some("0"),
        "do not check the server host name",
    ),
    key(
        "PYTAK_TLS_SERVER_EXPECTED_HOSTNAME",
        None,
        "name to check the server certificate against",
    ),
    key(
        "PYTAK_TLS_CLIENT_CIPHERS",
        Some("ALL"),
        "colon-separated OpenSSL cipher names",
    ),
    key(
        "PYTAK_TLS_CERT_ENROLLMENT_USERNAME",
        None,
        "TAK Server user for certificate enrollment",
    ),
    key(
        "PYTAK_TLS_CERT_ENROLLMENT_PASSWORD",
        None,
        "TAK Server password for enrollment",
    ),
    key(
        "PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE",
        None,
        "passphrase protecting the enrolled certificate",
    ),
    key(
        "PYTAK_RECONNECT",
        Some("1"),
        "reconnect stream transports after a failure",
    ),
    key(
        "PYTAK_RECONNECT_INITIAL",
        Some("5"),
        "first reconnect delay in seconds",
    ),
    key(
        "PYTAK_RECONNECT_FACTOR",
        Some("2"),
        "reconnect delay growth factor",
    ),
    key(
        "PYTAK_RECONNECT_MAX",
        Some("120"),
        "longest reconnect delay in seconds",
    ),
    key(
        "PYTAK_RECONNECT_JITTER",
        Some("0.2"),
        "random spread of reconnect delays, in [0, 1)",
    ),
    key(
        "PYTAK_RECONNECT_RESET",
        Some("300"),
        "seconds of stable link after which the delay resets",
    ),
    key(
        "TAKWIRE_MAX_EVENT_SIZE",
        Some("1048576"),
        "largest accepted event or frame, in bytes",
    ),
    key(
        "TAKWIRE_ENROLLMENT_PORT",
        Some("8446"),
        "TAK Server enrollment port (tak:// and PYTAK_TLS_CERT_ENROLLMENT_*)",
    ),
    key(
        "TAKWIRE_CERT_CACHE_DIR",
        None,
        "enrollment certificate cache (default ~/.pytak/certs)",
    ),
];

/// Prefixes that mark a key as one of ours: an unknown key with one of these is
/// probably a typo and is reported.
pub const OUR_PREFIXES: &[&str] = &["PYTAK_", "TAKWIRE_", "MARTI_", "COT_", "TAK_"];

/// Looks a key up by name (case-insensitive, as ConfigParser is).
pub fn find(name: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|k| k.name.eq_ignore_ascii_case(name))
}

/// The known key closest to `name`, if it is close enough to be a likely typo.
pub fn closest(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    let (mut prev, mut cur) = (Vec::new(), Vec::new());
    KEYS.iter()
        .map(|k| (k, 3.max(k.name.len() / 5)))
        // The distance is at least the difference in length: skip hopeless keys cheaply.
        .filter(|(k, within)| upper.chars().count().abs_diff(k.name.len()) <= *within)
        .map(|(k, within)| {
            (
                edit_distance(&upper, k.name, &mut prev, &mut cur),
                within,
                k.name,
            )
        })
        .filter(|(d, within, _)| d <= within)
        .min_by_key(|(d, _, _)| *d)
        .map(|(_, _, k)| k)
}

/// Levenshtein distance between `a` and `b` (ASCII key names), with two row buffers
/// reused between calls.
fn edit_distance(a: &str, b: &str, prev: &mut Vec<usize>, cur: &mut Vec<usize>) -> usize {
    let b = b.as_bytes();
    prev.clear();
    prev.extend(0..=b.len());
    for (i, ca) in a.chars().enumerate() {
        cur.clear();
        cur.push(i + 1);
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != char::from(cb));
            let v = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur.push(v);
        }
        std::mem::swap(prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_case_insensitively() {
        assert_eq!(find("cot_url").map(|k| k.name), Some("COT_URL"));
        assert!(find("NOPE").is_none());
    }

    #[test]
    fn suggests_the_closest_key() {
        assert_eq!(
            closest("PYTAK_TLS_CLIENT_CRT"),
            Some("PYTAK_TLS_CLIENT_CERT")
        );
        assert_eq!(closest("MAX_OUTQUEUE"), Some("MAX_OUT_QUEUE"));
        assert_eq!(closest("PYTAK_SOMETHING_ELSE_ENTIRELY"), None);
    }
}

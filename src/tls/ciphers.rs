//! `PYTAK_TLS_CLIENT_CIPHERS`: OpenSSL cipher lists mapped onto the suites rustls offers.
//!
//! PyTAK hands this key to OpenSSL's `set_ciphers`, which uses it for TLS 1.2 and leaves
//! the TLS 1.3 suites alone. takwire reads it the same way:
//!
//! * elements are separated by `:`, `,` or spaces; each is a suite name (OpenSSL's, such as
//!   `ECDHE-RSA-AES128-GCM-SHA256`, or the IANA one) or an alias (`ALL`, `DEFAULT`, `HIGH`,
//!   `ECDHE`/`EECDH`/`kECDHE`, `aECDSA`/`ECDSA`, `aRSA`, `AESGCM`, `AES`, `AES128`, `AES256`,
//!   `CHACHA20`, `TLSv1.2`), or several joined by `+` (all of them at once: `ECDHE+AESGCM`);
//! * a leading `!` removes the matches for good, `-` removes them (a later element may add
//!   them back), `+` moves them to the end; `@STRENGTH` and `@SECLEVEL=n` are accepted and
//!   ignored;
//! * **TLS 1.3** suites all stay on, as with OpenSSL, unless the list names TLS 1.3 suites
//!   (`TLS_AES_256_GCM_SHA384`, `TLS_AES_128_GCM_SHA256`, `TLS_CHACHA20_POLY1305_SHA256`):
//!   then only those named are offered; `!TLS_...` removes one. A list naming only TLS 1.3
//!   suites turns TLS 1.2 off, and one that removes every TLS 1.3 suite turns TLS 1.3 off.
//!
//! Elements naming suites rustls does not implement (`AES128-SHA`, `DHE-RSA-...`, `3DES`, ...)
//! are reported and skipped; a list that selects no suite at all is an error naming them.
//!
//! ```
//! use takwire::tls::ciphers::select;
//! let s = select("ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA").unwrap();
//! assert_eq!(s.unsupported, ["AES128-SHA"]);
//! assert!(select("AES128-SHA:DES-CBC3-SHA").unwrap_err().to_string().contains("AES128-SHA"));
//! ```

use rustls::crypto::ring::default_provider;
use rustls::{CipherSuite, SupportedCipherSuite};

use crate::error::{Error, Result};

/// The key this module reads.
pub const KEY: &str = "PYTAK_TLS_CLIENT_CIPHERS";

/// What a cipher list selects.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The suites to offer, in order of preference (TLS 1.3 first).
    pub suites: Vec<SupportedCipherSuite>,
    /// Elements of the list that name nothing rustls implements (skipped).
    pub unsupported: Vec<String>,
}

impl Selection {
    /// Whether any TLS 1.2 suite is selected.
    pub fn has_tls12(&self) -> bool {
        self.suites.iter().any(|s| s.tls13().is_none())
    }

    /// Whether any TLS 1.3 suite is selected.
    pub fn has_tls13(&self) -> bool {
        self.suites.iter().any(|s| s.tls13().is_some())
    }
}

/// The OpenSSL name of a suite (TLS 1.3 suites have only their IANA names).
pub fn openssl_name(suite: CipherSuite) -> Option<&'static str> {
    table().iter().find(|e| e.suite == suite).map(|e| e.openssl)
}

struct Entry {
    suite: CipherSuite,
    openssl: &'static str,
    tls13: bool,
    tags: &'static [&'static str],
}

/// Aliases every TLS 1.2 suite of rustls matches (all are ECDHE with AEAD ciphers).
const TLS12_TAGS: &[&str] = &[
    "ALL", "DEFAULT", "HIGH", "TLSv1.2", "ECDHE", "EECDH", "kECDHE", "kEECDH",
];

fn table() -> &'static [Entry] {
    use CipherSuite as C;
    &[
        Entry {
            suite: C::TLS13_AES_256_GCM_SHA384,
            openssl: "TLS_AES_256_GCM_SHA384",
            tls13: true,
            tags: &[],
        },
        Entry {
            suite: C::TLS13_AES_128_GCM_SHA256,
            openssl: "TLS_AES_128_GCM_SHA256",
            tls13: true,
            tags: &[],
        },
        Entry {
            suite: C::TLS13_CHACHA20_POLY1305_SHA256,
            openssl: "TLS_CHACHA20_POLY1305_SHA256",
            tls13: true,
            tags: &[],
        },
        Entry {
            suite: C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            openssl: "ECDHE-ECDSA-AES256-GCM-SHA384",
            tls13: false,
            tags: &["aECDSA", "ECDSA", "AESGCM", "AES", "AES256"],
        },
        Entry {
            suite: C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            openssl: "ECDHE-ECDSA-AES128-GCM-SHA256",
            tls13: false,
            tags: &["aECDSA", "ECDSA", "AESGCM", "AES", "AES128"],
        },
        Entry {
            suite: C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            openssl: "ECDHE-ECDSA-CHACHA20-POLY1305",
            tls13: false,
            tags: &["aECDSA", "ECDSA", "CHACHA20"],
        },
        Entry {
            suite: C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            openssl: "ECDHE-RSA-AES256-GCM-SHA384",
            tls13: false,
            tags: &["aRSA", "AESGCM", "AES", "AES256"],
        },
        Entry {
            suite: C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            openssl: "ECDHE-RSA-AES128-GCM-SHA256",
            tls13: false,
            tags: &["aRSA", "AESGCM", "AES", "AES128"],
        },
        Entry {
            suite: C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            openssl: "ECDHE-RSA-CHACHA20-POLY1305",
            tls13: false,
            tags: &["aRSA", "CHACHA20"],
        },
    ]
}

/// The suites of the ring provider, each with its table entry.
fn available() -> Vec<(SupportedCipherSuite, &'static Entry)> {
    default_provider()
        .cipher_suites
        .into_iter()
        .filter_map(|s| {
            table()
                .iter()
                .find(|e| e.suite == s.suite())
                .map(|e| (s, e))
        })
        .collect()
}

/// Which of `avail` one element (without its operator) names; `None` if it names nothing
/// rustls has.
fn resolve(body: &str, avail: &[(SupportedCipherSuite, &Entry)]) -> Option<Vec<usize>> {
    let mut result: Option<Vec<usize>> = None;
    for part in body.split('+') {
        let hits: Vec<usize> = avail
            .iter()
            .enumerate()
            .filter(|(_, (s, e))| {
                e.openssl.eq_ignore_ascii_case(part)
                    || s.suite().as_str().is_some_and(|n| {
                        n.eq_ignore_ascii_case(part)
                            || n.replace("TLS13_", "TLS_").eq_ignore_ascii_case(part)
                    })
                    || (!e.tls13 && (TLS12_TAGS.contains(&part) || e.tags.contains(&part)))
            })
            .map(|(i, _)| i)
            .collect();
        if hits.is_empty() {
            return None;
        }
        result = Some(match result {
            None => hits,
            Some(prev) => prev.into_iter().filter(|i| hits.contains(i)).collect(),
        });
    }
    result
}

/// Selects suites from an OpenSSL-style list (see the [module docs](self)). Elements that
/// name nothing rustls implements are listed in [`Selection::unsupported`] (the caller
/// reports them); a list selecting no suite is an error.
pub fn select(list: &str) -> Result<Selection> {
    let avail = available();
    let mut chosen: Vec<usize> = Vec::new();
    let mut banned: Vec<usize> = Vec::new();
    let mut unsupported = Vec::new();
    let mut named_tls13 = false;
    for token in list
        .split([':', ',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if token.starts_with('@') {
            continue;
        }
        let (op, body) = match token.as_bytes().first() {
            Some(b'!' | b'-' | b'+') => token.split_at(1),
            _ => ("", token),
        };
        let hits = resolve(body, &avail);
        match (op, hits) {
            ("", None) => unsupported.push(token.to_string()),
            ("", Some(hits)) => {
                for i in hits {
                    if avail.get(i).is_some_and(|(_, e)| e.tls13) {
                        named_tls13 = true;
                    }
                    if !banned.contains(&i) && !chosen.contains(&i) {
                        chosen.push(i);
                    }
                }
            }
            (_, None) => {} // removing or moving what rustls lacks anyway
            ("!", Some(hits)) => {
                chosen.retain(|i| !hits.contains(i));
                banned.extend(hits);
            }
            ("-", Some(hits)) => chosen.retain(|i| !hits.contains(i)),
            (_, Some(hits)) => {
                let (moved, kept): (Vec<usize>, Vec<usize>) =
                    chosen.iter().partition(|i| hits.contains(i));
                chosen = kept.into_iter().chain(moved).collect();
            }
        }
    }
    if chosen.is_empty() {
        let offered: Vec<&str> = avail.iter().map(|(_, e)| e.openssl).collect();
        let what = if unsupported.is_empty() {
            String::new()
        } else {
            format!(" ({} not supported)", unsupported.join(", "))
        };
        return Err(Error::Tls(format!(
            "{KEY}={list:?} selects no cipher suite that rustls supports{what}; rustls offers {}",
            offered.join(":")
        )));
    }
    let tls13: Vec<usize> = if named_tls13 {
        chosen
            .iter()
            .copied()
            .filter(|&i| avail.get(i).is_some_and(|(_, e)| e.tls13))
            .collect()
    } else {
        (0..avail.len())
            .filter(|i| avail.get(*i).is_some_and(|(_, e)| e.tls13) && !banned.contains(i))
            .collect()
    };
    let tls12 = chosen
        .iter()
        .copied()
        .filter(|&i| avail.get(i).is_some_and(|(_, e)| !e.tls13));
    let suites = tls13
        .into_iter()
        .chain(tls12)
        .filter_map(|i| avail.get(i).map(|(s, _)| *s))
        .collect();
    Ok(Selection {
        suites,
        unsupported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &Selection) -> Vec<&'static str> {
        s.suites
            .iter()
            .filter_map(|s| openssl_name(s.suite()))
            .collect()
    }

    #[test]
    fn all_is_everything_rustls_offers() {
        let s = select("ALL").unwrap();
        assert_eq!(s.suites.len(), default_provider().cipher_suites.len());
        assert!(s.unsupported.is_empty());
        assert!(s.has_tls12() && s.has_tls13());
    }

    #[test]
    fn a_tls12_list_keeps_tls13() {
        let s = select("ECDHE-RSA-AES256-GCM-SHA384").unwrap();
        assert_eq!(
            names(&s),
            [
                "TLS_AES_256_GCM_SHA384",
                "TLS_AES_128_GCM_SHA256",
                "TLS_CHACHA20_POLY1305_SHA256",
                "ECDHE-RSA-AES256-GCM-SHA384"
            ]
        );
    }

    #[test]
    fn naming_tls13_suites_restricts_them() {
        let s = select("TLS_AES_128_GCM_SHA256").unwrap();
        assert_eq!(names(&s), ["TLS_AES_128_GCM_SHA256"]);
        assert!(!s.has_tls12());
        let s = select("HIGH:!TLS_CHACHA20_POLY1305_SHA256:!TLS_AES_256_GCM_SHA384").unwrap();
        assert_eq!(names(&s).first(), Some(&"TLS_AES_128_GCM_SHA256"));
        assert_eq!(s.suites.iter().filter(|s| s.tls13().is_some()).count(), 1);
    }

    #[test]
    fn aliases_combinations_and_operators() {
        let s = select("ECDHE+AESGCM:!aRSA").unwrap();
        let tls12: Vec<_> = names(&s)
            .into_iter()
            .filter(|n| n.starts_with("ECDHE"))
            .collect();
        assert_eq!(
            tls12,
            [
                "ECDHE-ECDSA-AES256-GCM-SHA384",
                "ECDHE-ECDSA-AES128-GCM-SHA256"
            ]
        );
        let s = select("CHACHA20:AESGCM:+CHACHA20:-aECDSA:@STRENGTH").unwrap();
        let tls12: Vec<_> = names(&s)
            .into_iter()
            .filter(|n| n.starts_with("ECDHE"))
            .collect();
        assert_eq!(
            tls12,
            [
                "ECDHE-RSA-AES256-GCM-SHA384",
                "ECDHE-RSA-AES128-GCM-SHA256",
                "ECDHE-RSA-CHACHA20-POLY1305"
            ]
        );
        // `!` is final, `-` is not.
        let s = select("!aRSA:ALL").unwrap();
        assert!(!names(&s).iter().any(|n| n.contains("-RSA-")));
        let s = select("-aRSA:ALL").unwrap();
        assert!(names(&s).iter().any(|n| n.contains("-RSA-")));
        // IANA names work too.
        let s = select("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").unwrap();
        assert!(names(&s).contains(&"ECDHE-RSA-AES128-GCM-SHA256"));
    }

    #[test]
    fn unsupported_elements_are_reported_or_fatal() {
        let s =
            select("AES128-SHA:ECDHE-ECDSA-CHACHA20-POLY1305:DHE-RSA-AES256-GCM-SHA384").unwrap();
        assert_eq!(s.unsupported, ["AES128-SHA", "DHE-RSA-AES256-GCM-SHA384"]);
        let e = select("AES128-SHA:DES-CBC3-SHA").unwrap_err().to_string();
        assert!(e.contains("PYTAK_TLS_CLIENT_CIPHERS"), "{e}");
        assert!(e.contains("AES128-SHA, DES-CBC3-SHA"), "{e}");
        assert!(e.contains("ECDHE-RSA-AES128-GCM-SHA256"), "{e}");
        assert!(select("ALL:!ALL").is_err());
        assert!(select("").is_err());
    }
}

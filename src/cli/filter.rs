//! Receive filters: `--uid GLOB` and `--type PREFIX`, each repeatable.

use takwire::Event;

/// Which received events to show. An event passes when it matches any `--uid` glob (or
/// none was given) and any `--type` prefix (or none was given).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    uids: Vec<String>,
    types: Vec<String>,
}

impl Filter {
    /// A filter from the flags' values.
    pub fn new(uids: &[String], types: &[String]) -> Filter {
        Filter {
            uids: uids.to_vec(),
            types: types
                .iter()
                .map(|t| t.trim_end_matches('-').to_string())
                .collect(),
        }
    }

    /// Whether the filter lets everything through.
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty() && self.types.is_empty()
    }

    /// Whether `event` passes.
    pub fn accepts(&self, event: &Event) -> bool {
        (self.uids.is_empty() || self.uids.iter().any(|g| glob(g, &event.uid)))
            && (self.types.is_empty() || self.types.iter().any(|p| type_prefix(p, &event.cot_type)))
    }
}

/// A CoT type prefix, matched whole component by component: `a-f` matches `a-f` and
/// `a-f-G-U-C` but not `a-fx`. A `.` component matches any one component, as in CoT
/// type patterns (`a-.-G` is any affiliation, ground); `*` as the last component
/// matches the rest.
pub fn type_prefix(prefix: &str, cot_type: &str) -> bool {
    let mut have = cot_type.split('-');
    for want in prefix.split('-') {
        if want == "*" {
            return true;
        }
        match have.next() {
            Some(h) if want == "." || h == want => {}
            _ => return false,
        }
    }
    true
}

/// A simple glob: `*` matches any run of characters (also none), `?` exactly one;
/// everything else matches itself. Case-sensitive, as uids are.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matching with one backtrack point: linear for typical patterns, never
    // exponential.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        for (p, t, want) in [
            ("*", "", true),
            ("*", "anything", true),
            ("ANDROID-*", "ANDROID-589520ccfcd20f01", true),
            ("ANDROID-*", "S-1-5-21", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*-ping", "ANDROID-1-ping", true),
            ("*-ping", "ANDROID-1-pong", false),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("", "", true),
            ("", "x", false),
            ("**a", "ba", true),
            ("ünï*", "ünïcode", true),
        ] {
            assert_eq!(glob(p, t), want, "{p} ~ {t}");
        }
        // No exponential blow-up.
        let long = "a".repeat(2000);
        assert!(!glob("*a*a*a*a*a*a*a*b", &long));
    }

    #[test]
    fn type_prefixes() {
        for (p, t, want) in [
            ("a-f", "a-f-G-U-C", true),
            ("a-f", "a-f", true),
            ("a-f", "a-fx-G", false),
            ("a-f", "a-h-G", false),
            ("a", "a-h-G", true),
            ("a-.-G", "a-h-G-U", true),
            ("a-.-G", "a-h-A", false),
            ("b-m-p", "b-m-p-s-m", true),
            ("b-m-p-s-m-x", "b-m-p-s-m", false),
            ("*", "t-x-d-d", true),
            ("a-*", "a-u-S", true),
        ] {
            assert_eq!(type_prefix(p, t), want, "{p} ~ {t}");
        }
    }

    #[test]
    fn any_of_each_flag() {
        let ev = |uid: &str, t: &str| Event::builder(uid, t).build();
        let f = Filter::new(
            &["ANDROID-*".into(), "boat-?".into()],
            &["a-f".into(), "b-t-f".into()],
        );
        assert!(f.accepts(&ev("ANDROID-1", "a-f-G-U-C")));
        assert!(f.accepts(&ev("boat-1", "b-t-f")));
        assert!(!f.accepts(&ev("boat-12", "a-f-G")));
        assert!(!f.accepts(&ev("ANDROID-1", "a-h-G")));
        let only_type = Filter::new(&[], &["a-f-".into()]);
        assert!(only_type.accepts(&ev("x", "a-f-G")));
        assert!(Filter::new(&[], &[]).is_empty());
    }
}

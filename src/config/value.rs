//! Parsing of configuration values: PyTAK's booleans, counts, seconds.
//!
//! Every function names the key in its error so that a bad value can be found.

use std::time::Duration;

use crate::error::{Error, Result};

/// The words PyTAK reads as true (any case).
pub const TRUE_WORDS: &[&str] = &["true", "yes", "y", "on", "1"];
/// The words read as false (any case).
pub const FALSE_WORDS: &[&str] = &["false", "no", "n", "off", "0"];

/// Parses a boolean the way PyTAK does: `true/yes/y/on/1` and `false/no/n/off/0`, any case.
pub fn parse_bool(key: &str, value: &str) -> Result<bool> {
    let v = value.trim();
    if TRUE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(v)) {
        Ok(true)
    } else if FALSE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(v)) {
        Ok(false)
    } else {
        Err(Error::invalid(
            key,
            value,
            "a boolean: true/yes/y/on/1 or false/no/n/off/0",
        ))
    }
}

/// Parses a whole number in `min..=max`.
pub fn parse_uint(key: &str, value: &str, min: u64, max: u64) -> Result<u64> {
    let n: u64 = value
        .trim()
        .parse()
        .map_err(|_| Error::invalid(key, value, format!("a whole number from {min} to {max}")))?;
    if n < min || n > max {
        return Err(Error::invalid(
            key,
            value,
            format!("a whole number from {min} to {max}"),
        ));
    }
    Ok(n)
}

/// Parses a finite decimal number in `min..=max` (or `min..max` when `max_exclusive`).
pub fn parse_f64(key: &str, value: &str, min: f64, max: f64, max_exclusive: bool) -> Result<f64> {
    let expected = if max_exclusive {
        format!("a number in [{min}, {max})")
    } else {
        format!("a number from {min} to {max}")
    };
    let n: f64 = value
        .trim()
        .parse()
        .map_err(|_| Error::invalid(key, value, expected.clone()))?;
    let above = if max_exclusive { n >= max } else { n > max };
    if !n.is_finite() || n < min || above {
        return Err(Error::invalid(key, value, expected));
    }
    Ok(n)
}

/// Parses a number of seconds (whole or decimal, not negative) into a [`Duration`].
pub fn parse_seconds(key: &str, value: &str, max_secs: f64) -> Result<Duration> {
    let secs = parse_f64(key, value, 0.0, max_secs, false).map_err(|_| {
        Error::invalid(
            key,
            value,
            format!("a number of seconds from 0 to {max_secs}"),
        )
    })?;
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_take_pytak_words_in_any_case() {
        for w in ["true", "TRUE", "Yes", "y", "ON", "1", " true "] {
            assert!(parse_bool("K", w).unwrap(), "{w}");
        }
        for w in ["false", "No", "n", "OFF", "0"] {
            assert!(!parse_bool("K", w).unwrap(), "{w}");
        }
        let e = parse_bool("PYTAK_NO_HELLO", "maybe")
            .unwrap_err()
            .to_string();
        assert!(e.contains("PYTAK_NO_HELLO") && e.contains("maybe") && e.contains("true/yes"));
    }

    #[test]
    fn numbers_are_range_checked() {
        assert_eq!(parse_uint("K", "10", 1, 20).unwrap(), 10);
        assert!(parse_uint("K", "0", 1, 20).is_err());
        assert!(parse_uint("K", "-1", 0, 20).is_err());
        assert!(parse_uint("K", "1.5", 0, 20).is_err());
        assert!(parse_f64("K", "1", 0.0, 1.0, true).is_err());
        assert!(parse_f64("K", "NaN", 0.0, 1.0, true).is_err());
        assert_eq!(
            parse_seconds("K", "1.5", 10.0).unwrap(),
            Duration::from_millis(1500)
        );
        assert!(parse_seconds("K", "-2", 10.0).is_err());
    }
}

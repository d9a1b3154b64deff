//! CoT timestamps: milliseconds since the Unix epoch, written as
//! `2026-01-01T00:00:00.000Z` and read in the variants seen in the field.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::error::{Error, Result};

/// A CoT timestamp with millisecond precision (the precision of TAK protocol v1).
///
/// ```
/// use takwire::cot::CotTime;
/// let t: CotTime = "2026-01-01T12:30:00.250Z".parse().unwrap();
/// assert_eq!(t.to_string(), "2026-01-01T12:30:00.250Z");
/// // Variants seen in the field: no fraction, an offset, more digits.
/// assert_eq!("2026-01-01T13:30:00.25+01:00".parse::<CotTime>().unwrap(), t);
/// assert_eq!("2026-01-01T12:30:00.250999Z".parse::<CotTime>().unwrap(), t);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CotTime(i64);

impl CotTime {
    /// The earliest time CoT can carry: `0000-01-01T00:00:00.000Z`.
    pub const MIN: CotTime = CotTime(-62_167_219_200_000);
    /// The latest time CoT can carry: `9999-12-31T23:59:59.999Z`.
    pub const MAX: CotTime = CotTime(253_402_300_799_999);

    /// The current time.
    pub fn now() -> CotTime {
        let ms = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        };
        CotTime(ms)
    }

    /// A time from milliseconds since the Unix epoch.
    pub const fn from_millis(ms: i64) -> CotTime {
        CotTime(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This time plus a duration (saturating).
    pub fn plus(self, d: Duration) -> CotTime {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        CotTime(self.0.saturating_add(ms))
    }

    /// Parses the forms seen in the field: RFC 3339 with `Z` or an offset, with or without
    /// fractional seconds (any number of digits, truncated to milliseconds), and a local
    /// form without a zone, which is read as UTC. A time outside [`CotTime::MIN`] to
    /// [`CotTime::MAX`] in UTC (a year-9999 time with a negative offset, say) is refused,
    /// since it could not be written back.
    pub fn parse(s: &str) -> Result<CotTime> {
        if let Some(ms) = parse_utc_fast(s.as_bytes()) {
            return Ok(CotTime(ms));
        }
        let t = s.trim();
        if let Some(ms) = parse_utc_fast(t.as_bytes()) {
            return Ok(CotTime(ms));
        }
        let parsed = OffsetDateTime::parse(t, &Rfc3339).or_else(|_| {
            // No zone: treat as UTC.
            PrimitiveDateTime::parse(t, &NO_ZONE).map(PrimitiveDateTime::assume_utc)
        });
        match parsed {
            Ok(dt) => {
                let ms = dt.unix_timestamp_nanos().div_euclid(1_000_000);
                match i64::try_from(ms) {
                    Ok(ms) if (Self::MIN.0..=Self::MAX.0).contains(&ms) => Ok(CotTime(ms)),
                    _ => Err(Error::Cot(format!(
                        "time {s:?} is out of range: UTC years 0000 to 9999"
                    ))),
                }
            }
            Err(_) => Err(Error::Cot(format!(
                "invalid time {s:?}: expected e.g. 2026-01-01T00:00:00.000Z"
            ))),
        }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS.mmmZ` into `out` without allocating. A time outside
    /// [`CotTime::MIN`] to [`CotTime::MAX`] is written as the nearest of the two.
    pub fn write_to(self, out: &mut impl fmt::Write) -> fmt::Result {
        let t = self.0.clamp(Self::MIN.0, Self::MAX.0);
        let secs = t.div_euclid(1000);
        let ms = t.rem_euclid(1000);
        match OffsetDateTime::from_unix_timestamp(secs) {
            Ok(dt) => write!(
                out,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                dt.year(),
                u8::from(dt.month()),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second(),
                ms
            ),
            // Outside the years time supports (±9999): clamp to the nearest end.
            Err(_) if secs < 0 => out.write_str("0000-01-01T00:00:00.000Z"),
            Err(_) => out.write_str("9999-12-31T23:59:59.999Z"),
        }
    }
}

/// The form nearly every CoT timestamp has, `YYYY-MM-DDTHH:MM:SS[.fff...]Z`, read without
/// the general RFC 3339 parser (three times per event, this was a large part of parsing
/// an event). `None` for anything else, which then takes the general path; for what it
/// accepts it gives exactly what the general path gives (fraction truncated to ms).
fn parse_utc_fast(t: &[u8]) -> Option<i64> {
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = t.get(from..from + len)?;
        digits.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let sep = |at: usize, c: u8| t.get(at) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if sep(i, b'.') {
        i += 1;
        let start = i;
        while t.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(t[i] - b'0');
            }
            i += 1;
        }
        match i - start {
            0 => return None,
            1 => millis *= 100,
            2 => millis *= 10,
            _ => {}
        }
    }
    if i + 1 != t.len() || !(sep(i, b'Z') || sep(i, b'z')) {
        return None;
    }
    // Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

const NO_ZONE: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    version = 2,
    "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
);

impl fmt::Display for CotTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

impl std::str::FromStr for CotTime {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        CotTime::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        assert_eq!(
            CotTime::from_millis(0).to_string(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            CotTime::from_millis(1_767_225_600_123).to_string(),
            "2026-01-01T00:00:00.123Z"
        );
        assert_eq!(
            CotTime::from_millis(-1).to_string(),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(
            CotTime::from_millis(i64::MAX).to_string(),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(
            CotTime::from_millis(i64::MIN).to_string(),
            "0000-01-01T00:00:00.000Z"
        );
        // Year -1 exists for the time crate but cannot be written in CoT.
        assert_eq!(
            CotTime::from_millis(CotTime::MIN.as_millis() - 1).to_string(),
            "0000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            CotTime::parse("0000-01-01T00:00:00Z").unwrap(),
            CotTime::MIN
        );
        assert_eq!(
            CotTime::parse("9999-12-31T23:59:59.999Z").unwrap(),
            CotTime::MAX
        );
    }

    #[test]
    fn parses_field_variants() {
        let base = CotTime::from_millis(1_767_225_600_000);
        for s in [
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00.000Z",
            "2026-01-01T00:00:00.0Z",
            "2026-01-01T00:00:00.000000Z",
            "2026-01-01T00:00:00z",
            "2026-01-01T02:00:00+02:00",
            "2025-12-31T19:00:00.000-05:00",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.000",
            " 2026-01-01T00:00:00.000Z ",
        ] {
            assert_eq!(CotTime::parse(s).unwrap(), base, "{s}");
        }
        for s in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-01-01",
            "2026-01-01T25:00:00Z",
        ] {
            let e = CotTime::parse(s).unwrap_err().to_string();
            assert!(e.contains("invalid time"), "{s}: {e}");
        }
    }

    #[test]
    fn fast_path_agrees_with_the_general_parser() {
        let general = |s: &str| -> Option<i64> {
            let dt = OffsetDateTime::parse(s, &Rfc3339).ok()?;
            i64::try_from(dt.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
        };
        let mut checked = 0;
        for year in [
            0, 1, 4, 99, 100, 400, 1900, 1969, 1970, 2000, 2024, 2026, 2100, 9999,
        ] {
            for month in 0..=13 {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    for (h, m, sec) in
                        [(0, 0, 0), (23, 59, 59), (24, 0, 0), (12, 60, 1), (1, 2, 60)]
                    {
                        for frac in ["", ".5", ".25", ".123", ".1239", ".999999999", "."] {
                            for zone in ["Z", "z", "+00:00", ""] {
                                let s = format!(
                                    "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{sec:02}{frac}{zone}"
                                );
                                if let Some(fast) = parse_utc_fast(s.as_bytes()) {
                                    assert_eq!(Some(fast), general(&s), "{s}");
                                    checked += 1;
                                } else if zone == "Z" && frac != "." {
                                    assert_eq!(general(&s), None, "{s} refused by the fast path");
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
        for s in [
            "2026-01-01T00:00:00.000Zx",
            "2026-01-01t00:00:00Z",
            "+2026-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_utc_fast(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn round_trips() {
        for ms in [0, 1, 999, 1_767_225_600_123, 4_102_444_799_999] {
            let t = CotTime::from_millis(ms);
            assert_eq!(CotTime::parse(&t.to_string()).unwrap(), t);
        }
    }
}

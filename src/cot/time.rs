//! CoT timestamps: milliseconds since the Unix epoch, written as
//! `2026-01-01T00:00:00.000Z` and read in the variants seen in the field.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
        let parsed = match rfc3339(s.as_bytes()) {
            Some(ms) => Some(ms),
            None => rfc3339(s.trim().as_bytes()),
        };
        match parsed {
            Some(ms) if (Self::MIN.0..=Self::MAX.0).contains(&ms) => Ok(CotTime(ms)),
            Some(_) => Err(Error::Cot(format!(
                "time {s:?} is out of range: UTC years 0000 to 9999"
            ))),
            None => Err(Error::Cot(format!(
                "invalid time {s:?}: expected e.g. 2026-01-01T00:00:00.000Z"
            ))),
        }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS.mmmZ` into `out` without allocating. A time outside
    /// [`CotTime::MIN`] to [`CotTime::MAX`] is written as the nearest of the two.
    pub fn write_to(self, out: &mut impl fmt::Write) -> fmt::Result {
        let t = self.0.clamp(Self::MIN.0, Self::MAX.0);
        let (days, ms_of_day) = (t.div_euclid(86_400_000), t.rem_euclid(86_400_000));
        let (year, month, day) = civil_from_days(days);
        let mut text = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut n: i64| {
            for i in (at..at + width).rev() {
                text[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, ms_of_day / 3_600_000);
        put(14, 2, ms_of_day / 60_000 % 60);
        put(17, 2, ms_of_day / 1000 % 60);
        put(20, 3, ms_of_day % 1000);
        out.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|nothing)` (`T` and `Z` in either case, but
/// `T` without a zone; no zone reads as UTC) as milliseconds since the epoch, the fraction truncated to
/// milliseconds; `None` if `t` is not a valid time of that form. Three times per event:
/// written for speed, and held to the `time` crate's RFC 3339 parser by a test.
fn rfc3339(t: &[u8]) -> Option<i64> {
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = t.get(from..from + len)?;
        digits.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let sep = |at: usize, c: u8| t.get(at) == Some(&c);
    if !(sep(4, b'-')
        && sep(7, b'-')
        && (sep(10, b'T') || sep(10, b't'))
        && sep(13, b':')
        && sep(16, b':'))
    {
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
    // The zone: minutes east of UTC.
    let offset = match &t[i.min(t.len())..] {
        // Without a zone it is not RFC 3339 but the local form, which spells `T` only.
        [] if sep(10, b't') => return None,
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'-' {
                -(h * 60 + m)
            } else {
                h * 60 + m
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let local = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis;
    Some(local - offset * 60_000)
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01: (year, month, day); the inverse of
/// [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

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

    /// The reference: what the `time` crate reads (RFC 3339, or no zone as UTC).
    fn reference(s: &str) -> Option<i64> {
        use time::format_description::well_known::Rfc3339;
        use time::{OffsetDateTime, PrimitiveDateTime};
        let no_zone = time::macros::format_description!(
            version = 2,
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        let dt = OffsetDateTime::parse(s, &Rfc3339)
            .or_else(|_| PrimitiveDateTime::parse(s, &no_zone).map(|p| p.assume_utc()))
            .ok()?;
        i64::try_from(dt.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
    }

    #[test]
    fn reads_what_the_time_crate_reads() {
        let mut checked = 0;
        for year in [
            0, 1, 4, 99, 100, 400, 1900, 1969, 1970, 2000, 2024, 2026, 2100, 9999,
        ] {
            for month in 0..=13 {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    for (h, m, sec) in [(0, 0, 0), (23, 59, 59), (24, 0, 0), (12, 60, 1)] {
                        for frac in ["", ".5", ".25", ".123", ".1239", ".999999999", "."] {
                            for zone in [
                                "Z", "z", "+00:00", "-00:00", "+01:30", "-05:00", "+23:59",
                                "+24:00", "+01:60", "+0100", "", "Zx",
                            ] {
                                for t in ['T', 't'] {
                                    let s = format!(
                                        "{year:04}-{month:02}-{day:02}{t}{h:02}:{m:02}:{sec:02}{frac}{zone}"
                                    );
                                    assert_eq!(rfc3339(s.as_bytes()), reference(&s), "{s}");
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
        // Where the two differ on purpose: the time crate reads a leap second (a second
        // of 60, at the end of a UTC day) as the last instant of that day; takwire
        // refuses it, as CoT never carries one.
        assert_eq!(rfc3339(b"2016-12-31T23:59:60Z"), None);
        assert_eq!(
            reference("2016-12-31T23:59:60Z"),
            reference("2016-12-31T23:59:59.999Z")
        );
    }

    #[test]
    fn writes_what_the_time_crate_writes() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let span = (CotTime::MAX.0 - CotTime::MIN.0) as u64;
            let ms = CotTime::MIN.0 + (x % span) as i64;
            let dt = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap();
            let want = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                dt.year(),
                u8::from(dt.month()),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second(),
                ms.rem_euclid(1000)
            );
            assert_eq!(CotTime(ms).to_string(), want, "{ms}");
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

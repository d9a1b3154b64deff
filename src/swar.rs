//! Byte searches eight bytes at a time in a `u64` ("SIMD within a register"), for the fast
//! XML path (the ends of names and attribute values) and the stream splitter (the next
//! byte that matters inside a tag), without a branch per byte.
//!
//! Every mask below has the high bit set in each byte that matches. The lowest set bit is
//! always exact; bits above a match may be spurious (borrows move up), so only
//! `trailing_zeros` of a mask is used.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Eight bytes of `b` from `at`, if there are eight.
#[inline]
fn word(b: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// Bytes equal to zero.
#[inline]
fn zero(w: u64) -> u64 {
    w.wrapping_sub(LO) & !w & HI
}

/// Bytes equal to `c`.
#[inline]
fn equal(w: u64, c: u8) -> u64 {
    zero(w ^ (LO * u64::from(c)))
}

/// Bytes below `n` (`n` at most 0x80).
#[inline]
fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(LO * u64::from(n)) & !w & HI
}

/// The index of the first byte a mask marks.
#[inline]
fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// Where a quoted value that starts at `from` ends (the index of the first `quote`), if
/// every byte before it is printable ASCII other than `<` and `&`; `None` when some byte
/// before the quote needs a closer look, or there is no quote.
#[inline]
pub(crate) fn plain_value_end(b: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut i = from;
    while let Some(w) = word(b, i) {
        let quotes = equal(w, quote);
        let odd = below(w, 0x20) | (w & HI) | equal(w, 0x7F) | equal(w, b'<') | equal(w, b'&');
        if quotes | odd != 0 {
            return (quotes.trailing_zeros() < odd.trailing_zeros()).then(|| i + first(quotes));
        }
        i += 8;
    }
    let rest = b.get(i..)?;
    let len = rest.iter().position(|&c| c == quote)?;
    rest[..len]
        .iter()
        .all(|&c| (0x20..0x7F).contains(&c) && c != b'<' && c != b'&')
        .then_some(i + len)
}

/// The index of the first byte from `from` on that is one of `needles`, if any.
///
/// ```text
/// find_any(b"a=\"x>\"/>", 0, [b'"', b'>']) == Some(2)
/// ```
#[inline(always)]
pub(crate) fn find_any<const N: usize>(b: &[u8], from: usize, needles: [u8; N]) -> Option<usize> {
    let mut i = from;
    while let Some(w) = word(b, i) {
        // The lowest bit of each mask is exact, so the lowest of their union is too.
        let hits = needles.iter().fold(0, |m, &c| m | equal(w, c));
        if hits != 0 {
            return Some(i + first(hits));
        }
        i += 8;
    }
    let rest = b.get(i..)?;
    rest.iter().position(|c| needles.contains(c)).map(|p| i + p)
}

/// The index of the first byte from `from` on that is not an ASCII name character
/// (letters, digits, `_`, `-`, `.`), or `b.len()`.
#[cfg(test)]
pub(crate) fn name_end(b: &[u8], from: usize) -> usize {
    name_stop(b, from).0
}

/// As `name_end`, with the byte found there (`None` at the end of `b`), taken from the word
/// already loaded: the caller decides what follows the name without loading it again.
#[inline(always)]
pub(crate) fn name_stop(b: &[u8], from: usize) -> (usize, Option<u8>) {
    let mut i = from;
    while let Some(w) = word(b, i) {
        // One table lookup per byte, combined as a tree (not a chain) for the CPU to run
        // side by side.
        let bytes = w.to_le_bytes();
        let t = |k: usize| u32::from(NOT_NAME[bytes[k] as usize]) << k;
        let other = ((t(0) | t(1)) | (t(2) | t(3))) | ((t(4) | t(5)) | (t(6) | t(7)));
        if other != 0 {
            let k = other.trailing_zeros() as usize;
            return (i + k, Some(bytes[k]));
        }
        i += 8;
    }
    let rest = b.get(i..).unwrap_or_default();
    match rest.iter().position(|&c| NOT_NAME[c as usize]) {
        Some(k) => (i + k, Some(rest[k])),
        None => (i + rest.len(), None),
    }
}

/// Bytes that are not ASCII name characters.
static NOT_NAME: [bool; 256] = {
    let mut t = [true; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        c += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    fn slow_value_end(b: &[u8], from: usize, quote: u8) -> Option<usize> {
        let len = b.get(from..)?.iter().position(|&c| c == quote)?;
        b[from..from + len]
            .iter()
            .all(|&c| (0x20..0x7F).contains(&c) && c != b'<' && c != b'&')
            .then_some(from + len)
    }

    fn slow_name_end(b: &[u8], from: usize) -> usize {
        let rest = b.get(from..).unwrap_or_default();
        from + rest
            .iter()
            .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')))
            .unwrap_or(rest.len())
    }

    #[test]
    fn agrees_with_byte_loops_on_every_byte_in_every_position() {
        for c in 0..=255u8 {
            for at in 0..20 {
                for len in [at + 1, 20, 27] {
                    let mut b = vec![b'a'; len.max(at + 1)];
                    b[at] = c;
                    for from in [0, 1, 3] {
                        for quote in [b'"', b'\''] {
                            assert_eq!(
                                plain_value_end(&b, from, quote),
                                slow_value_end(&b, from, quote),
                                "byte {c:#x} at {at} of {len} from {from}"
                            );
                        }
                        assert_eq!(
                            name_end(&b, from),
                            slow_name_end(&b, from),
                            "{c:#x} at {at}"
                        );
                        let (end, stop) = name_stop(&b, from);
                        assert_eq!(stop, b.get(end).copied(), "{c:#x} at {at}");
                    }
                }
            }
        }
        let b = b"ab\"cd<\"";
        assert_eq!(plain_value_end(b, 0, b'"'), Some(2));
        assert_eq!(plain_value_end(b, 3, b'"'), None);
        assert_eq!(name_end(b"callsign=\"x\"", 0), 8);
        assert_eq!(name_end(b"geopointsrc=", 0), 11);
    }

    #[test]
    fn find_any_agrees_with_a_byte_loop() {
        let slow = |b: &[u8], from: usize, n: &[u8]| {
            b.get(from..)?
                .iter()
                .position(|c| n.contains(c))
                .map(|p| from + p)
        };
        for c in 0..=255u8 {
            for at in 0..20 {
                for len in [at + 1, 20, 27] {
                    let mut b = vec![b'a'; len.max(at + 1)];
                    b[at] = c;
                    for from in [0, 1, 3, 30] {
                        let four = [b'<', b'>', b'"', b'\''];
                        assert_eq!(
                            find_any(&b, from, four),
                            slow(&b, from, &four),
                            "{c:#x} at {at}"
                        );
                        let two = [b'<', b'\''];
                        assert_eq!(
                            find_any(&b, from, two),
                            slow(&b, from, &two),
                            "{c:#x} at {at}"
                        );
                    }
                }
            }
        }
        // Two matches in one word: the first wins, whichever needle it is.
        assert_eq!(find_any(b"ab>cd\"ef", 0, [b'"', b'>']), Some(2));
        assert_eq!(find_any(b"abcdefgh\"", 0, [b'"']), Some(8));
        assert_eq!(find_any(b"", 0, [b'"']), None);
    }
}

//! A small, forgiving PEM reader: every `-----BEGIN X-----` block of a file, its label,
//! whether it carries RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`), and its DER bytes.
//!
//! rustls's own PEM reader skips the labels it does not know, such as
//! `ENCRYPTED PRIVATE KEY`; this one returns every block so the caller can say what it found.

/// One PEM block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The label (`CERTIFICATE`, `PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, ...).
    pub label: String,
    /// Whether the block had `Name: value` header lines (legacy OpenSSL encryption).
    pub has_headers: bool,
    /// The decoded contents.
    pub der: Vec<u8>,
}

/// Whether `data` looks like PEM text (has a `-----BEGIN ` line).
pub fn is_pem(data: &[u8]) -> bool {
    data.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Parses every block of `text`. Text outside blocks is ignored (as OpenSSL does);
/// a block without its END line or with bad base64 is an error describing it.
pub fn parse(text: &[u8]) -> Result<Vec<Block>, String> {
    let text = String::from_utf8_lossy(text);
    let mut blocks = Vec::new();
    let mut current: Option<(String, bool, String)> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some((label, has_headers, body)) = current.as_mut() {
            if let Some(end) = armor(line, "-----END ") {
                if end != label.as_str() {
                    return Err(format!(
                        "line {}: END {end:?} does not close BEGIN {label:?}",
                        n + 1
                    ));
                }
                let der = base64_decode(body).ok_or_else(|| {
                    format!(
                        "the {label} block ending at line {} is not valid base64",
                        n + 1
                    )
                })?;
                blocks.push(Block {
                    label: std::mem::take(label),
                    has_headers: *has_headers,
                    der,
                });
                current = None;
            } else if line.contains(':') {
                *has_headers = true;
            } else {
                body.push_str(line);
            }
        } else if let Some(begin) = armor(line, "-----BEGIN ") {
            current = Some((begin.to_string(), false, String::new()));
        }
    }
    match current {
        Some((label, _, _)) => Err(format!("the {label} block has no END line")),
        None => Ok(blocks),
    }
}

/// `-----BEGIN LABEL-----` → `LABEL`.
fn armor<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.strip_prefix(prefix)?.strip_suffix("-----")
}

/// Standard base64 with padding; whitespace is skipped.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let chars: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let data = chars
        .strip_suffix(b"==")
        .or_else(|| chars.strip_suffix(b"="));
    let pad = chars.len() - data.map_or(chars.len(), <[u8]>::len);
    let data = data.unwrap_or(&chars);
    if !(data.len() + pad).is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 2);
    for chunk in data.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = (acc << 6) | value(c)?;
        }
        match chunk.len() {
            4 => out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]),
            3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
            2 => out.push((acc >> 4) as u8),
            _ => return None,
        }
    }
    Some(out)
}

/// Standard base64 with padding, on one line.
#[cfg_attr(not(feature = "enroll"), allow(dead_code))]
pub(crate) fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk.len();
        let acc = chunk
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, &b)| a | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= n {
                out.push(char::from(ALPHABET[((acc >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Writes `der` as one PEM block labelled `label`, 64 base64 characters a line.
#[cfg_attr(not(feature = "enroll"), allow(dead_code))]
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_round_trips() {
        for len in 0..70 {
            let der: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = encode("CERTIFICATE", &der);
            let blocks = parse(text.as_bytes()).unwrap();
            assert_eq!(blocks.len(), 1);
            assert_eq!(blocks[0].label, "CERTIFICATE");
            assert_eq!(blocks[0].der, der, "length {len}");
        }
    }

    #[test]
    fn base64_round_trips_known_vectors() {
        for (enc, dec) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9v\nYmFy", "foobar"),
        ] {
            assert_eq!(base64_decode(enc).unwrap(), dec.as_bytes(), "{enc}");
        }
        assert!(base64_decode("Zm9").is_none());
        assert!(base64_decode("Z!==").is_none());
        assert!(base64_decode("Z===").is_none());
    }

    #[test]
    fn parses_blocks_and_headers() {
        let text = b"junk\n-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n\
            -----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nYmFy\n\
            -----END RSA PRIVATE KEY-----\n";
        assert!(is_pem(text));
        let b = parse(text).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].label.as_str(), b[0].has_headers),
            ("CERTIFICATE", false)
        );
        assert_eq!(b[0].der, b"foo");
        assert_eq!(
            (b[1].label.as_str(), b[1].has_headers),
            ("RSA PRIVATE KEY", true)
        );
    }

    #[test]
    fn reports_broken_blocks() {
        assert!(parse(b"-----BEGIN CERTIFICATE-----\nZm9v\n").is_err());
        assert!(parse(b"-----BEGIN A-----\nZm9v\n-----END B-----\n").is_err());
        assert!(parse(b"-----BEGIN A-----\n%%%%\n-----END A-----\n").is_err());
        assert!(!is_pem(b"\x30\x82"));
    }
}

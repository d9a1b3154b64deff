//! A structural check of a `TakMessage` payload before quick-protobuf reads it.
//!
//! quick-protobuf's reader trusts the lengths it reads: a nested message whose announced
//! length runs past the end of its parent lets the reader's position pass the parent's end,
//! after which its `end - start` arithmetic underflows (a panic with overflow checks, a wrap
//! without). This walk reads every field of the payload with checked arithmetic, and of every
//! nested message the schema knows, and rejects anything that does not fit exactly inside its
//! parent: truncated varints, varints over 10 bytes, lengths past the end, fixed-width values
//! cut short, field number 0, groups and unknown wire types. Once it passes, every read
//! quick-protobuf makes stays inside the bounds the walk checked.
//!
//! The walk does not allocate, and its depth is bounded by the schema (four levels).

use crate::error::{Error, Result};

/// The messages of the schema that contain other messages, and which fields hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    TakMessage,
    CotEvent,
    Detail,
    /// A message with only scalar and string fields (TakControl, Contact, Track, ...).
    Leaf,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::TakMessage => "TakMessage",
            Kind::CotEvent => "CotEvent",
            Kind::Detail => "Detail",
            Kind::Leaf => "nested message",
        }
    }

    /// The kind of the message held by length-delimited field `field`, if it is one.
    fn child(self, field: u64) -> Option<Kind> {
        match (self, field) {
            (Kind::TakMessage, 1) => Some(Kind::Leaf),
            (Kind::TakMessage, 2) => Some(Kind::CotEvent),
            (Kind::CotEvent, 15) => Some(Kind::Detail),
            (Kind::Detail, 2..=7) => Some(Kind::Leaf),
            _ => None,
        }
    }
}

/// Checks that `payload` is a structurally sound `TakMessage`.
pub(crate) fn check(payload: &[u8]) -> Result<()> {
    walk(payload, 0, Kind::TakMessage)
}

/// Reads a varint at `bytes[pos..]`: its value and length.
fn varint(bytes: &[u8], pos: usize, what: &str, base: usize) -> Result<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let Some(&b) = bytes.get(pos + i) else {
            return Err(Error::Proto(format!(
                "truncated varint ({what}) at byte {}",
                base + pos
            )));
        };
        if i == 9 && b > 1 {
            return Err(Error::Proto(format!(
                "varint ({what}) at byte {} overflows 64 bits",
                base + pos
            )));
        }
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((v, i + 1));
        }
    }
    Err(Error::Proto(format!(
        "varint ({what}) at byte {} is longer than 10 bytes",
        base + pos
    )))
}

/// Walks the fields of one message occupying all of `bytes`, which start at offset `base`
/// of the payload (for error messages).
fn walk(bytes: &[u8], base: usize, kind: Kind) -> Result<()> {
    let mut pos = 0;
    while pos < bytes.len() {
        let at = base + pos;
        let (tag, n) = varint(bytes, pos, "field tag", base)?;
        pos += n;
        if tag > u64::from(u32::MAX) {
            return Err(Error::Proto(format!(
                "field tag {tag} at byte {at} of a {} is out of range",
                kind.name()
            )));
        }
        let field = tag >> 3;
        if field == 0 {
            return Err(Error::Proto(format!(
                "field number 0 at byte {at} of a {}",
                kind.name()
            )));
        }
        let left = bytes.len() - pos;
        match tag & 7 {
            0 => {
                let (_, n) = varint(bytes, pos, "field value", base)?;
                pos += n;
            }
            1 | 5 => {
                let width = if tag & 7 == 1 { 8 } else { 4 };
                if left < width {
                    return Err(Error::Proto(format!(
                        "field {field} of a {} at byte {at} needs {width} bytes, {left} left",
                        kind.name()
                    )));
                }
                pos += width;
            }
            2 => {
                let (len, n) = varint(bytes, pos, "length", base)?;
                pos += n;
                let left = bytes.len() - pos;
                let len = match usize::try_from(len) {
                    Ok(l) if l <= left => l,
                    _ => {
                        return Err(Error::Proto(format!(
                            "field {field} of a {} at byte {at} announces {len} bytes, {left} left",
                            kind.name()
                        )));
                    }
                };
                if let Some(child) = kind.child(field) {
                    walk(&bytes[pos..pos + len], base + pos, child)?;
                }
                pos += len;
            }
            3 | 4 => {
                return Err(Error::Proto(format!(
                    "field {field} of a {} at byte {at} is a group, which proto3 does not have",
                    kind.name()
                )));
            }
            wt => {
                return Err(Error::Proto(format!(
                    "field {field} of a {} at byte {at} has invalid wire type {wt}",
                    kind.name()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(b: &[u8]) -> String {
        check(b).unwrap_err().to_string()
    }

    #[test]
    fn accepts_sound_messages() {
        check(&[]).unwrap();
        // cotEvent { type: "a", detail { contact { callsign: "x" } } }, an unknown fixed32.
        let detail = [0x12, 0x03, 0x12, 0x01, b'x'];
        let mut ev = vec![0x0a, 0x01, b'a', 0x7a, detail.len() as u8];
        ev.extend_from_slice(&detail);
        let mut msg = vec![0x12, ev.len() as u8];
        msg.extend_from_slice(&ev);
        msg.extend_from_slice(&[0x1d, 1, 2, 3, 4]);
        check(&msg).unwrap();
    }

    #[test]
    fn rejects_what_would_confuse_the_reader() {
        assert!(err(&[0x12]).contains("truncated varint (length)"));
        assert!(err(&[0x80]).contains("truncated varint (field tag)"));
        assert!(err(&[0x08, 0xff, 0xff]).contains("truncated varint (field value)"));
        assert!(
            err(&[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f
            ])
            .contains("overflows")
        );
        assert!(err(&[0x12, 0x05, 1]).contains("announces 5 bytes, 1 left"));
        // A nested message whose field runs past the nested message's own end, though the
        // outer buffer has the bytes: exactly what would derail quick-protobuf.
        let e = err(&[0x12, 0x02, 0x0a, 0x05, b'a', b'b', b'c', b'd', b'e']);
        assert!(e.contains("announces 5 bytes, 0 left"), "{e}");
        assert!(err(&[0x09, 1, 2]).contains("needs 8 bytes, 2 left"));
        assert!(err(&[0x00]).contains("field number 0"));
        assert!(err(&[0x0b]).contains("group"));
        assert!(err(&[0x0e]).contains("wire type 6"));
        assert!(err(&[0xff, 0xff, 0xff, 0xff, 0x7f]).contains("out of range"));
        let huge = [0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        assert!(err(&huge).contains("left"));
    }
}

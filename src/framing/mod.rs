//! Framing: how CoT messages are delimited on the wire.
//!
//! * XML (TAK protocol v0) has no header: a stream is a sequence of `<event>` documents,
//!   maybe with XML declarations and whitespace between them. [`StreamDecoder`] splits it.
//! * TAK protocol v1 stream framing (TCP, TLS): `0xbf`, a varint length, the payload.
//! * TAK protocol v1 mesh framing (UDP): `0xbf 0x01 0xbf`, then the payload to the end of
//!   the datagram.
//!
//! Messages are told apart by their first byte (`<` or `0xbf`), so one reader takes XML and
//! protobuf on the same socket.

mod stream;

pub use stream::StreamDecoder;

use std::fmt;

/// The magic byte that starts every TAK protocol v1 header.
pub const TAK_MAGIC: u8 = 0xbf;
/// The mesh header for TAK protocol version 1.
pub const MESH_HEADER: [u8; 3] = [TAK_MAGIC, 0x01, TAK_MAGIC];
/// The default bound on one event or frame (1 MiB), `TAKWIRE_MAX_EVENT_SIZE`.
pub const DEFAULT_MAX_MESSAGE: usize = 1 << 20;

/// One message taken off the wire, without its framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// An XML `<event>` document.
    Xml(&'a [u8]),
    /// A TAK protocol v1 payload (a protobuf `TakMessage`).
    Tak(&'a [u8]),
}

/// Why bytes from the wire were not delivered as a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// An event or frame larger than the bound; it is skipped.
    Oversized {
        /// `"XML event"` or `"TAK frame"`.
        kind: &'static str,
        /// The size seen (for a TAK frame, the announced length).
        size: usize,
        /// The bound.
        limit: usize,
    },
    /// A message that was cut off: a new event started, the tag was broken, or the
    /// stream ended before the event's end tag or the TAK frame's last byte.
    Truncated {
        /// How many bytes of it were seen.
        bytes: usize,
    },
    /// Bytes that are neither an event nor a TAK frame, skipped.
    Garbage {
        /// How many bytes were skipped.
        bytes: usize,
    },
    /// A TAK header that cannot be read (a varint longer than 10 bytes, a mesh header of an
    /// unknown version).
    BadHeader(String),
    /// A whole answer the transport could not use and skipped (a Marti poll answered with
    /// an HTTP error status, an HTML page, or a body over the limit).
    Skipped(String),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Oversized { kind, size, limit } => {
                write!(
                    f,
                    "{kind} of {size} bytes exceeds the limit of {limit} bytes; skipped"
                )
            }
            FrameError::Truncated { bytes } => {
                write!(f, "message cut off after {bytes} bytes; skipped")
            }
            FrameError::Garbage { bytes } => write!(f, "{bytes} bytes of non-CoT data skipped"),
            FrameError::BadHeader(why) => write!(f, "bad TAK protocol header: {why}"),
            FrameError::Skipped(why) => write!(f, "{why}; skipped"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Appends a TAK protocol stream frame: `0xbf`, varint length, payload.
pub fn write_stream_frame(payload: &[u8], out: &mut Vec<u8>) {
    out.push(TAK_MAGIC);
    write_varint(payload.len() as u64, out);
    out.extend_from_slice(payload);
}

/// Appends a TAK protocol mesh frame: `0xbf 0x01 0xbf`, payload.
pub fn write_mesh_frame(payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&MESH_HEADER);
    out.extend_from_slice(payload);
}

/// Appends a protobuf base-128 varint.
pub fn write_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint from the start of `bytes`: `Ok(Some((value, len)))`, `Ok(None)` when more
/// bytes are needed, or an error for a varint longer than 10 bytes.
pub fn read_varint(bytes: &[u8]) -> Result<Option<(u64, usize)>, FrameError> {
    let mut v: u64 = 0;
    for (i, b) in bytes.iter().enumerate() {
        if i >= 10 {
            return Err(FrameError::BadHeader("varint longer than 10 bytes".into()));
        }
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((v, i + 1)));
        }
    }
    if bytes.len() >= 10 {
        return Err(FrameError::BadHeader("varint longer than 10 bytes".into()));
    }
    Ok(None)
}

/// Decodes one WebSocket message (`ws://`, `wss://`): TAK protocol v1 with stream framing
/// (`0xbf`, a varint length, the payload) as TAK Server and PyTAK send it, or with a mesh
/// header, or a bare `TakMessage`; or an XML event (first non-blank byte `<`). `None` for a
/// message with nothing in it.
pub fn decode_ws_message(
    data: &[u8],
    max: usize,
) -> Option<std::result::Result<Message<'_>, FrameError>> {
    let first = *data.iter().find(|b| !b.is_ascii_whitespace())?;
    if first == b'<' {
        return Some(if data.len() > max {
            Err(FrameError::Oversized {
                kind: "XML event",
                size: data.len(),
                limit: max,
            })
        } else {
            Ok(Message::Xml(data))
        });
    }
    let payload = match data {
        [TAK_MAGIC, rest @ ..] => match read_varint(rest) {
            Ok(Some((len, n))) if rest.len().checked_sub(n) == usize::try_from(len).ok() => {
                rest.get(n..).unwrap_or_default()
            }
            _ if data.starts_with(&MESH_HEADER) => {
                data.get(MESH_HEADER.len()..).unwrap_or_default()
            }
            Ok(Some((len, _))) => {
                return Some(Err(FrameError::BadHeader(format!(
                    "a WebSocket message of {} bytes announces a payload of {len} bytes",
                    data.len()
                ))));
            }
            Ok(None) => return Some(Err(FrameError::Truncated { bytes: data.len() })),
            Err(e) => return Some(Err(e)),
        },
        // A bare TakMessage (no header), as some servers send.
        _ => data,
    };
    Some(if payload.len() > max {
        Err(FrameError::Oversized {
            kind: "TAK frame",
            size: payload.len(),
            limit: max,
        })
    } else {
        Ok(Message::Tak(payload))
    })
}

/// Decodes one UDP datagram into its messages: a mesh frame, stream frames (as PyTAK sends
/// over UDP), or XML events. Each message or problem is passed to `sink`.
pub fn decode_datagram(
    datagram: &[u8],
    max: usize,
    decoder: &mut StreamDecoder,
    mut sink: impl FnMut(Result<Message<'_>, FrameError>),
) {
    if datagram.len() > max {
        sink(Err(FrameError::Oversized {
            kind: "datagram",
            size: datagram.len(),
            limit: max,
        }));
        return;
    }
    if let Some(payload) = datagram.strip_prefix(&MESH_HEADER[..]) {
        sink(Ok(Message::Tak(payload)));
        return;
    }
    if datagram.len() >= 3
        && datagram[0] == TAK_MAGIC
        && datagram[2] == TAK_MAGIC
        && datagram[1] != 0x01
    {
        sink(Err(FrameError::BadHeader(format!(
            "mesh header for unsupported TAK protocol version {}",
            datagram[1]
        ))));
        return;
    }
    decoder.reset();
    decoder.push(datagram);
    while let Some(item) = decoder.next_message() {
        sink(item);
    }
    if let Some(err) = decoder.finish() {
        sink(Err(err));
    }
    decoder.reset();
}

#[cfg(test)]
mod tests {
    #[test]
    fn ws_message_accepts_stream_mesh_bare_and_xml() {
        let payload = [0x12, 0x02, 0x08, 0x01];
        let mut stream = Vec::new();
        write_stream_frame(&payload, &mut stream);
        assert_eq!(
            decode_ws_message(&stream, 100),
            Some(Ok(Message::Tak(&payload)))
        );
        let mut mesh = MESH_HEADER.to_vec();
        mesh.extend_from_slice(&payload);
        assert_eq!(
            decode_ws_message(&mesh, 100),
            Some(Ok(Message::Tak(&payload)))
        );
        assert_eq!(
            decode_ws_message(&payload, 100),
            Some(Ok(Message::Tak(&payload)))
        );
        assert_eq!(
            decode_ws_message(b" <event/>", 100),
            Some(Ok(Message::Xml(b" <event/>")))
        );
        assert_eq!(decode_ws_message(b"", 100), None);
    }

    #[test]
    fn ws_message_reports_bad_headers_and_sizes() {
        assert!(matches!(
            decode_ws_message(&[TAK_MAGIC, 0x05, 1, 2], 100),
            Some(Err(FrameError::BadHeader(_)))
        ));
        assert!(matches!(
            decode_ws_message(&[TAK_MAGIC, 0x80], 100),
            Some(Err(FrameError::Truncated { .. }))
        ));
        assert!(matches!(
            decode_ws_message(&[7u8; 20], 10),
            Some(Err(FrameError::Oversized { size: 20, .. }))
        ));
    }

    use super::*;

    #[test]
    fn varints() {
        for v in [0u64, 1, 127, 128, 300, 1 << 20, u64::MAX] {
            let mut out = Vec::new();
            write_varint(v, &mut out);
            assert_eq!(read_varint(&out).unwrap(), Some((v, out.len())));
            assert_eq!(read_varint(&out[..out.len() - 1]).unwrap(), None);
        }
        assert!(read_varint(&[0xff; 11]).is_err());
        assert!(read_varint(&[0xff; 10]).is_err());
    }

    #[test]
    fn frames() {
        let mut s = Vec::new();
        write_stream_frame(b"abc", &mut s);
        assert_eq!(s, [0xbf, 3, b'a', b'b', b'c']);
        let mut m = Vec::new();
        write_mesh_frame(b"abc", &mut m);
        assert_eq!(m, [0xbf, 1, 0xbf, b'a', b'b', b'c']);
    }

    fn datagram(d: &[u8]) -> Vec<Result<(bool, Vec<u8>), FrameError>> {
        let mut dec = StreamDecoder::new(1024);
        let mut out = Vec::new();
        decode_datagram(d, 1024, &mut dec, |m| {
            out.push(m.map(|m| match m {
                Message::Xml(x) => (false, x.to_vec()),
                Message::Tak(x) => (true, x.to_vec()),
            }))
        });
        out
    }

    #[test]
    fn datagrams_of_every_kind() {
        assert_eq!(
            datagram(&[0xbf, 1, 0xbf, 9, 9]),
            vec![Ok((true, vec![9, 9]))]
        );
        assert_eq!(datagram(&[0xbf, 2, 9, 9]), vec![Ok((true, vec![9, 9]))]);
        assert!(matches!(
            datagram(&[0xbf, 2, 0xbf, 9])[0],
            Err(FrameError::BadHeader(_))
        ));
        let xml = b"<?xml version=\"1.0\"?>\n<event uid=\"a\"/>";
        assert_eq!(
            datagram(xml),
            vec![Ok((false, b"<event uid=\"a\"/>".to_vec()))]
        );
        assert!(matches!(
            datagram(&[b'x'; 2000])[0],
            Err(FrameError::Oversized { .. })
        ));
    }
}

//! Conversion between CoT XML and framed TAK protocol payloads, for tools and scripts
//! (`takwire convert`).
//!
//! * [`xml_to_frames`]: a stream of XML events (declarations and whitespace between them
//!   are fine) to one framed payload per event.
//! * [`frames_to_events`] / [`frames_to_xml`]: framed payloads back. Stream input may be
//!   any number of stream frames, XML events mixed in as a TAK server's stream may have
//!   them; mesh input is one datagram.
//!
//! ```
//! # #[cfg(feature = "proto")] {
//! use takwire::proto::convert::{Framing, frames_to_xml, xml_to_frames};
//! let xml = br#"<event version="2.0" uid="u1" type="a-f-G" how="m-g"
//!   time="2026-01-01T00:00:00.000Z" start="2026-01-01T00:00:00.000Z"
//!   stale="2026-01-01T00:02:00.000Z"><point lat="1.0" lon="2.0" hae="0.0" ce="5.0" le="5.0"/>
//!   <detail><__group name="Cyan" role="HQ"/></detail></event>"#;
//! let frames = xml_to_frames(xml, Framing::Stream, 1 << 20).unwrap();
//! assert_eq!(frames.len(), 1);
//! assert_eq!(frames[0][0], 0xbf);
//! let back = frames_to_xml(&frames.concat(), Some(Framing::Stream), 1 << 20).unwrap();
//! assert!(back.contains(r#"<__group name="Cyan" role="HQ"/>"#));
//! # }
//! ```

use crate::cot::{Event, xml};
use crate::error::{Error, Result};
use crate::framing::{
    FrameError, MESH_HEADER, Message, StreamDecoder, TAK_MAGIC, write_mesh_frame,
    write_stream_frame,
};

/// How TAK protocol payloads are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `0xbf`, varint length, payload: TCP, TLS (streaming connections).
    Stream,
    /// `0xbf 0x01 0xbf`, payload: one UDP datagram (mesh networks).
    Mesh,
}

impl std::str::FromStr for Framing {
    type Err = Error;
    fn from_str(s: &str) -> Result<Framing> {
        match s.trim().to_ascii_lowercase().as_str() {
            "stream" => Ok(Framing::Stream),
            "mesh" => Ok(Framing::Mesh),
            other => Err(Error::Proto(format!(
                "unknown framing {other:?}: expected \"stream\" or \"mesh\""
            ))),
        }
    }
}

/// Appends `event` as one framed TAK protocol payload.
pub fn write_frame(event: &Event, framing: Framing, out: &mut Vec<u8>) -> Result<()> {
    let mut payload = Vec::with_capacity(256);
    super::encode_event(event, &mut payload)?;
    match framing {
        Framing::Stream => write_stream_frame(&payload, out),
        Framing::Mesh => write_mesh_frame(&payload, out),
    }
    Ok(())
}

/// Parses every XML event in `xml` and encodes each as one framed payload. Events over
/// `max` bytes, and anything that is not an event, are errors that say which event (1-based)
/// and what was wrong.
pub fn xml_to_frames(xml: &[u8], framing: Framing, max: usize) -> Result<Vec<Vec<u8>>> {
    let mut frames = Vec::new();
    let mut decoder = StreamDecoder::new(max);
    decoder.push(xml);
    let mut n = 0;
    let mut take = |m: std::result::Result<Message<'_>, crate::framing::FrameError>| {
        n += 1;
        let event = match m {
            Ok(Message::Xml(x)) => xml::parse(x),
            Ok(Message::Tak(p)) => super::decode_event(p),
            Err(e) => Err(Error::Cot(e.to_string())),
        }
        .map_err(|e| Error::Cot(format!("input event {n}: {e}")))?;
        let mut out = Vec::new();
        write_frame(&event, framing, &mut out)
            .map_err(|e| Error::Proto(format!("input event {n}: {e}")))?;
        frames.push(out);
        Ok::<(), Error>(())
    };
    while let Some(m) = decoder.next_message() {
        take(m)?;
    }
    if let Some(e) = decoder.finish() {
        take(Err(e))?;
    }
    Ok(frames)
}

/// Decodes framed TAK protocol payloads into events.
///
/// With `Some(Framing::Mesh)`, `bytes` is one datagram: the mesh header and one payload.
/// With `Some(Framing::Stream)`, any number of stream frames (XML events between them are
/// read too). With `None`, a mesh header at the start means mesh, anything else stream.
/// `max` bounds each payload.
pub fn frames_to_events(bytes: &[u8], framing: Option<Framing>, max: usize) -> Result<Vec<Event>> {
    let framing = framing.unwrap_or(if bytes.starts_with(&MESH_HEADER) {
        Framing::Mesh
    } else {
        Framing::Stream
    });
    match framing {
        Framing::Mesh => {
            let payload = bytes.strip_prefix(&MESH_HEADER[..]).ok_or_else(|| {
                Error::Proto(format!(
                    "not a TAK protocol version 1 mesh frame: starts with {:02x?}, expected bf 01 bf",
                    &bytes[..bytes.len().min(3)]
                ))
            })?;
            if payload.len() > max {
                return Err(Error::TooLarge {
                    what: "TAK protocol payload",
                    size: payload.len(),
                    limit: max,
                });
            }
            Ok(vec![super::decode_event(payload)?])
        }
        Framing::Stream => {
            let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
            if let Some(&b) = first.filter(|&&b| b != TAK_MAGIC && b != b'<') {
                return Err(Error::Proto(format!(
                    "not a TAK protocol stream: starts with byte {b:#04x}, expected 0xbf"
                )));
            }
            let mut decoder = StreamDecoder::new(max);
            decoder.push(bytes);
            let mut events = Vec::new();
            let mut n = 0;
            while let Some(m) = decoder.next_message() {
                n += 1;
                let event = match m {
                    Ok(Message::Tak(p)) => super::decode_event(p),
                    Ok(Message::Xml(x)) => xml::parse(x),
                    Err(e) => Err(Error::Proto(e.to_string())),
                }
                .map_err(|e| Error::Proto(format!("frame {n}: {e}")))?;
                events.push(event);
            }
            // A frame cut off by the end of the input stays buffered in the decoder.
            let left = decoder.buffered();
            match decoder.finish() {
                Some(FrameError::Truncated { bytes }) => Err(Error::Proto(format!(
                    "after frame {n}: the input ends inside a frame ({bytes} bytes left)"
                ))),
                Some(e) => Err(Error::Proto(format!("after frame {n}: {e}"))),
                None if left > 0 => Err(Error::Proto(format!(
                    "after frame {n}: the input ends inside a frame ({left} bytes left)"
                ))),
                None => Ok(events),
            }
        }
    }
}

/// [`frames_to_events`], written as XML: one event per line.
pub fn frames_to_xml(bytes: &[u8], framing: Option<Framing>, max: usize) -> Result<String> {
    let mut out = String::new();
    for e in frames_to_events(bytes, framing, max)? {
        xml::write(&e, &mut out);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(all(test, feature = "proto"))]
mod tests {
    use super::*;

    const XML: &str = r#"<?xml version="1.0"?>
<event version="2.0" uid="a" type="a-f-G" how="m-g" time="2026-01-01T00:00:00.000Z" start="2026-01-01T00:00:00.000Z" stale="2026-01-01T00:01:00.000Z"><point lat="1.0" lon="2.0" hae="3.0" ce="4.0" le="5.0"/><detail><x y="1"/><contact callsign="A"/></detail></event>
<event version="2.0" uid="b" type="a-h-G" how="h-e" time="2026-01-01T00:00:00.000Z" start="2026-01-01T00:00:00.000Z" stale="2026-01-01T00:01:00.000Z" caveat="FOUO"><point lat="-1.0" lon="-2.0" hae="9999999.0" ce="9999999.0" le="9999999.0"/><detail/></event>"#;

    #[test]
    fn stream_round_trip_is_lossless() {
        let frames = xml_to_frames(XML.as_bytes(), Framing::Stream, 1 << 16).unwrap();
        assert_eq!(frames.len(), 2);
        let events = frames_to_events(&frames.concat(), None, 1 << 16).unwrap();
        // XML read through the same path gives the originals.
        let originals = frames_to_events(XML.as_bytes(), Some(Framing::Stream), 1 << 16).unwrap();
        assert_eq!(events, originals);
        assert_eq!(events[1].caveat.as_deref(), Some("FOUO"));
        assert!(events[1].detail.is_empty());
    }

    #[test]
    fn mesh_is_one_datagram() {
        let frames = xml_to_frames(XML.as_bytes(), Framing::Mesh, 1 << 16).unwrap();
        assert!(frames[0].starts_with(&MESH_HEADER));
        let e = frames_to_events(&frames[1], Some(Framing::Mesh), 1 << 16).unwrap();
        assert_eq!(e[0].uid, "b");
        let err = frames_to_events(&frames[1][1..], Some(Framing::Mesh), 1 << 16).unwrap_err();
        assert!(err.to_string().contains("expected bf 01 bf"), "{err}");
        let err = frames_to_events(&frames[1], Some(Framing::Mesh), 8).unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    }

    #[test]
    fn errors_name_the_event_or_frame() {
        let err = xml_to_frames(b"<event uid='x'/>", Framing::Stream, 1024).unwrap_err();
        assert!(err.to_string().contains("input event 1"), "{err}");
        let mut frames = xml_to_frames(XML.as_bytes(), Framing::Stream, 1 << 16)
            .unwrap()
            .concat();
        frames.truncate(frames.len() - 3);
        let err = frames_to_events(&frames, None, 1 << 16)
            .unwrap_err()
            .to_string();
        // The frame the input cut off is reported, after the last whole one.
        assert!(
            err.contains("after frame 1") && err.contains("ends inside a frame"),
            "{err}"
        );
        let err = frames_to_events(b"\x01\x02", None, 1 << 16).unwrap_err();
        assert!(err.to_string().contains("expected 0xbf"), "{err}");
        assert_eq!("MESH".parse::<Framing>().unwrap(), Framing::Mesh);
        assert!("udp".parse::<Framing>().is_err());
    }
}

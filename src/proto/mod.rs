//! TAK protocol version 1: the protobuf form of CoT.
//!
//! A TAK protocol payload is one `TakMessage` (see `proto/*.proto`, the definitions ATAK-CIV
//! publishes). [`encode_event`] and [`decode`] convert between it and an [`Event`] the way
//! TAK does (see `mapping`): `<event>` and `<point>` attributes go into fields, times in
//! milliseconds since the epoch; the detail elements with a typed message (`contact`,
//! `__group`, `precisionlocation`, `status`, `takv`, `track`) go into it when all of the
//! element fits there, and every other element stays XML in `xmlDetail`. Nothing the XML
//! form carries is lost on the way.
//!
//! ```
//! # #[cfg(feature = "proto")] {
//! use takwire::cot::Event;
//! let xml = r#"<event version="2.0" uid="ANDROID-1" type="a-f-G-U-C" how="m-g"
//!   time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:02:00Z">
//!   <point lat="1.5" lon="2.5" hae="9999999.0" ce="9999999.0" le="9999999.0"/>
//!   <detail><contact callsign="ALPHA"/><remarks>hi</remarks></detail></event>"#;
//! let event = Event::from_xml(xml.as_bytes()).unwrap();
//! let mut payload = Vec::new();
//! takwire::proto::encode_event(&event, &mut payload).unwrap();
//! let back = takwire::proto::decode_event(&payload).unwrap();
//! assert_eq!(back.uid, "ANDROID-1");
//! assert_eq!(back.detail.get("remarks"), Some("<remarks>hi</remarks>"));
//! assert_eq!(back.detail.get("contact"), Some(r#"<contact callsign="ALPHA"/>"#));
//! # }
//! ```
//!
//! Framing (stream and mesh headers) is in [`crate::framing`]; [`convert`] turns XML into
//! framed payloads and back, for tools; [`control`] has the XML control events of the
//! protocol negotiation on streaming connections.
//!
//! The codec needs the `proto` feature (on by default). Without it, [`encode_event`] and
//! [`decode`] return [`Error::FeatureDisabled`], and the rest still works.
//!
//! ## How the Rust types were made
//!
//! `src/proto/generated/` is the output of pb-rs 0.10.0 (`cargo install pb-rs --version
//! 0.10.0 --locked`) run by `bash proto/generate.sh` on the `.proto` files in `proto/`.

pub mod control;
pub mod convert;

/// The detail elements that TAK protocol carries in typed fields, in the order a receiver
/// writes them back: after every other element. A protobuf round trip keeps the order of the
/// other elements, but moves an element of these names that appears once to the end.
pub const TYPED_ELEMENTS: [&str; 6] = [
    "contact",
    "__group",
    "precisionlocation",
    "status",
    "takv",
    "track",
];

#[cfg(feature = "proto")]
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated;
#[cfg(feature = "proto")]
mod mapping;
#[cfg(feature = "proto")]
mod typed;
#[cfg(feature = "proto")]
mod validate;

use crate::cot::Event;
use crate::error::{Error, Result};

/// The protobuf messages of TAK protocol version 1, as generated from `proto/*.proto`
/// (package `atakmap.commoncommo.protobuf.v1`). Strings borrow from the buffer they were
/// read from (`Cow`).
#[cfg(feature = "proto")]
pub mod pb {
    pub use super::generated::atakmap::commoncommo::protobuf::v1::*;
}

#[cfg(feature = "proto")]
pub use mapping::CARRIER;

/// What a TAK protocol payload holds.
#[allow(clippy::large_enum_variant)] // one per message, handed straight on
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A CoT event (any `TakControl` beside it is not needed and left out).
    Event(Event),
    /// A `TakControl` without an event: a mesh peer telling which protocol versions it
    /// decodes. Not an event; the client counts it ([`crate::Stats::control`]).
    Control(Control),
}

/// A `TakControl` message: the TAK protocol versions its sender decodes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Control {
    /// The lowest version (0 means 1).
    pub min_version: u32,
    /// The highest version (0 means 1).
    pub max_version: u32,
    /// The sender's uid, if given.
    pub contact_uid: String,
}

/// Encodes `event` as a `TakMessage` payload (no framing), appended to `out`.
///
/// Fails if the event has no uid or no type (TAK protocol requires both), or without the
/// `proto` feature.
pub fn encode_event(event: &Event, out: &mut Vec<u8>) -> Result<()> {
    #[cfg(feature = "proto")]
    {
        mapping::encode(event, out)
    }
    #[cfg(not(feature = "proto"))]
    {
        let _ = (event, out);
        Err(disabled())
    }
}

/// Decodes a `TakMessage` payload (no framing).
///
/// Never panics: truncated or overlong varints, lengths past the end, invalid UTF-8 in a
/// string, an `xmlDetail` that is not well-formed XML, a `CotEvent` without uid or type,
/// and a message with neither event nor control are errors that say what was wrong.
pub fn decode(payload: &[u8]) -> Result<Payload> {
    #[cfg(feature = "proto")]
    {
        mapping::decode(payload)
    }
    #[cfg(not(feature = "proto"))]
    {
        let _ = payload;
        Err(disabled())
    }
}

/// Decodes a `TakMessage` payload that must hold an event. A control-only message is an
/// error here; use [`decode`] to tell it apart.
pub fn decode_event(payload: &[u8]) -> Result<Event> {
    match decode(payload)? {
        Payload::Event(e) => Ok(e),
        Payload::Control(c) => Err(Error::Proto(format!(
            "TakMessage holds only a TakControl (versions {}..{}), no CotEvent",
            c.min_version.max(1),
            c.max_version.max(1)
        ))),
    }
}

/// The error for TAK protocol use in a build without the `proto` feature.
#[cfg(not(feature = "proto"))]
pub(crate) fn disabled() -> Error {
    Error::FeatureDisabled {
        what: "TAK protocol version 1 (TAK_PROTO=1, protobuf payloads)".into(),
        feature: "proto",
    }
}

/// Whether this build can encode and decode TAK protocol version 1.
pub const ENABLED: bool = cfg!(feature = "proto");

#[cfg(all(test, not(feature = "proto")))]
mod tests {
    use super::*;

    #[test]
    fn without_the_feature_every_entry_point_says_so() {
        let ev = Event::hello(std::time::Duration::from_secs(1));
        let err = encode_event(&ev, &mut Vec::new()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::FeatureDisabled {
                    feature: "proto",
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            decode(&[])
                .unwrap_err()
                .to_string()
                .contains("`proto` feature")
        );
        let config = crate::Config::builder()
            .set("COT_URL", "udp+wo://127.0.0.1:6969")
            .set("TAK_PROTO", "1")
            .build()
            .unwrap();
        let err = crate::Client::connect(config).unwrap_err().to_string();
        assert!(
            err.contains("TAK_PROTO=1") && err.contains("`proto` feature"),
            "{err}"
        );
    }
}

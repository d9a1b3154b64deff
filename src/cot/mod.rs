//! The Cursor-on-Target event model.
//!
//! An [`Event`] carries the attributes of `<event>`, a [`Point`] and a [`Detail`]. The detail
//! keeps every child element verbatim, so events pass through takwire without losing what
//! it does not model.
//!
//! ```
//! use takwire::cot::Event;
//! let xml = r#"<event version="2.0" uid="ANDROID-1" type="a-f-G-U-C" how="m-g"
//!   time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:02:00Z">
//!   <point lat="1.5" lon="2.5" hae="9999999.0" ce="9999999.0" le="9999999.0"/>
//!   <detail><contact callsign="ALPHA"/><my_plugin x="1"><y/></my_plugin></detail></event>"#;
//! let event = Event::from_xml(xml.as_bytes()).unwrap();
//! assert_eq!(event.uid, "ANDROID-1");
//! assert_eq!(event.point.lat, 1.5);
//! assert_eq!(event.detail.get("my_plugin"), Some(r#"<my_plugin x="1"><y/></my_plugin>"#));
//! assert_eq!(Event::from_xml(event.to_xml().as_bytes()).unwrap(), event);
//! ```

mod build;
mod detail;
#[cfg(feature = "json")]
pub mod geojson;
#[cfg(feature = "json")]
pub mod json;
pub(crate) mod scan;
mod time;
pub mod xml;

pub use build::EventBuilder;
pub use detail::{Detail, DetailElement, MAX_DETAIL_CHILDREN};
pub use time::CotTime;

/// The value CoT uses for an unknown `hae`, `ce` or `le`.
pub const UNKNOWN: f64 = 9_999_999.0;

/// `<point lat lon hae ce le>`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Latitude, degrees (WGS 84).
    pub lat: f64,
    /// Longitude, degrees (WGS 84).
    pub lon: f64,
    /// Height above the ellipsoid, metres ([`UNKNOWN`] if not known).
    pub hae: f64,
    /// Circular error, metres ([`UNKNOWN`] if not known).
    pub ce: f64,
    /// Linear error, metres ([`UNKNOWN`] if not known).
    pub le: f64,
}

impl Point {
    /// A point at `lat`, `lon` with unknown height and errors.
    pub fn new(lat: f64, lon: f64) -> Point {
        Point {
            lat,
            lon,
            hae: UNKNOWN,
            ce: UNKNOWN,
            le: UNKNOWN,
        }
    }
}

impl Default for Point {
    /// `0, 0` with unknown height and errors, as PyTAK's hello event has.
    fn default() -> Point {
        Point::new(0.0, 0.0)
    }
}

/// One CoT event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `version` (CoT `2.0`).
    pub version: String,
    /// `uid`: the identity of the thing described.
    pub uid: String,
    /// `type`, for example `a-f-G-U-C`.
    pub cot_type: String,
    /// `how`, for example `m-g` (machine, GPS) or `h-e` (human, estimated).
    pub how: String,
    /// `time`: when the event was generated.
    pub time: CotTime,
    /// `start`: when it becomes valid.
    pub start: CotTime,
    /// `stale`: when it stops being valid.
    pub stale: CotTime,
    /// `access`, if present.
    pub access: Option<String>,
    /// `qos`, if present.
    pub qos: Option<String>,
    /// `opex`, if present.
    pub opex: Option<String>,
    /// `caveat`, if present.
    pub caveat: Option<String>,
    /// `releasableTo`, if present.
    pub releasable_to: Option<String>,
    /// Any other attributes of `<event>`, in document order.
    pub extra_attrs: Vec<(String, String)>,
    /// `<point>`.
    pub point: Point,
    /// `<detail>`.
    pub detail: Detail,
}

impl Event {
    /// An event with every field empty or unset: what the parsers and the builder fill in.
    pub(crate) fn blank() -> Event {
        Event {
            version: String::new(),
            uid: String::new(),
            cot_type: String::new(),
            how: String::new(),
            time: CotTime::default(),
            start: CotTime::default(),
            stale: CotTime::default(),
            access: None,
            qos: None,
            opex: None,
            caveat: None,
            releasable_to: None,
            extra_attrs: Vec::new(),
            point: Point::default(),
            detail: Detail::new(),
        }
    }

    /// Starts building an event of `cot_type` for `uid`; see [`EventBuilder`].
    pub fn builder(uid: impl Into<String>, cot_type: impl Into<String>) -> EventBuilder {
        EventBuilder::new(uid, cot_type)
    }

    /// PyTAK's hello event: uid `takPing`, type `t-x-d-d`, how `m-g`, stale after `stale`.
    pub fn hello(stale: std::time::Duration) -> Event {
        EventBuilder::new("takPing", "t-x-d-d")
            .stale_after(stale)
            .build()
    }

    /// A position report: how `m-g`, now, stale after `stale` (use `COT_STALE`).
    pub fn position(
        uid: impl Into<String>,
        cot_type: impl Into<String>,
        lat: f64,
        lon: f64,
        stale: std::time::Duration,
    ) -> Event {
        EventBuilder::new(uid, cot_type)
            .point(lat, lon)
            .stale_after(stale)
            .build()
    }

    /// Parses one `<event>` from XML. See [`xml::parse`].
    pub fn from_xml(bytes: &[u8]) -> crate::Result<Event> {
        xml::parse(bytes)
    }

    /// Writes this event as XML (no declaration, no trailing newline).
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(512);
        xml::write(self, &mut out);
        out
    }
}

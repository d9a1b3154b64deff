//! Building events in code.

use std::time::Duration;

use crate::cot::{CotTime, Detail, Event, Point};

/// Builds an [`Event`]: how `m-g`, `time` and `start` now, stale after 120 s, a point at
/// 0,0 with unknown height and errors, unless told otherwise.
///
/// ```
/// use std::time::Duration;
/// use takwire::cot::Event;
/// let ev = Event::builder("BOAT-1", "a-f-S-X")
///     .point(59.91, 10.75)
///     .hae(2.0)
///     .callsign("Boaty")
///     .remarks("speed 12 kn")
///     .stale_after(Duration::from_secs(60))
///     .build();
/// assert_eq!(ev.stale.as_millis() - ev.time.as_millis(), 60_000);
/// assert!(ev.to_xml().contains(r#"<contact callsign="Boaty"/>"#));
/// ```
#[derive(Debug, Clone)]
pub struct EventBuilder {
    event: Event,
    stale_after: Option<Duration>,
}

impl EventBuilder {
    /// A builder for an event of `cot_type` about `uid`.
    pub fn new(uid: impl Into<String>, cot_type: impl Into<String>) -> EventBuilder {
        let now = CotTime::now();
        EventBuilder {
            event: Event {
                version: "2.0".into(),
                uid: uid.into(),
                cot_type: cot_type.into(),
                how: "m-g".into(),
                time: now,
                start: now,
                stale: now,
                ..Event::blank()
            },
            stale_after: Some(Duration::from_secs(120)),
        }
    }

    /// Sets `how`.
    pub fn how(mut self, how: impl Into<String>) -> Self {
        self.event.how = how.into();
        self
    }

    /// Sets latitude and longitude.
    pub fn point(mut self, lat: f64, lon: f64) -> Self {
        self.event.point.lat = lat;
        self.event.point.lon = lon;
        self
    }

    /// Sets the whole point.
    pub fn full_point(mut self, point: Point) -> Self {
        self.event.point = point;
        self
    }

    /// Sets height above the ellipsoid in metres.
    pub fn hae(mut self, hae: f64) -> Self {
        self.event.point.hae = hae;
        self
    }

    /// Sets circular and linear error in metres ([`UNKNOWN`](crate::cot::UNKNOWN) for unknown).
    pub fn errors(mut self, ce: f64, le: f64) -> Self {
        self.event.point.ce = ce;
        self.event.point.le = le;
        self
    }

    /// Sets `time` and `start` (stale follows them if set with [`stale_after`](Self::stale_after)).
    pub fn time(mut self, t: CotTime) -> Self {
        self.event.time = t;
        self.event.start = t;
        self
    }

    /// Stale this long after `time` (120 s by default; use `COT_STALE`).
    pub fn stale_after(mut self, d: Duration) -> Self {
        self.stale_after = Some(d);
        self
    }

    /// Sets an absolute stale time.
    pub fn stale(mut self, t: CotTime) -> Self {
        self.stale_after = None;
        self.event.stale = t;
        self
    }

    /// Adds `<contact callsign=".."/>`.
    pub fn callsign(mut self, callsign: &str) -> Self {
        self.event
            .detail
            .set_element("contact", &[("callsign", callsign)], None);
        self
    }

    /// Adds `<remarks>..</remarks>`.
    pub fn remarks(mut self, text: &str) -> Self {
        self.event.detail.set_element("remarks", &[], Some(text));
        self
    }

    /// Adds a detail element with attributes and optional text (escaped).
    pub fn detail_element(
        mut self,
        name: &str,
        attrs: &[(&str, &str)],
        text: Option<&str>,
    ) -> Self {
        self.event.detail.push_element(name, attrs, text);
        self
    }

    /// Replaces the detail.
    pub fn detail(mut self, detail: Detail) -> Self {
        self.event.detail = detail;
        self
    }

    /// The event.
    pub fn build(mut self) -> Event {
        if let Some(d) = self.stale_after {
            self.event.stale = self.event.time.plus(d);
        }
        self.event
    }
}

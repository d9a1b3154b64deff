//! TAK protocol negotiation on streaming connections: three CoT XML control events.
//!
//! As ATAK-CIV's `takproto/README.md` describes and TAK Server implements it:
//!
//! 1. A streaming connection starts in XML. A server that speaks TAK protocol announces it
//!    once with a `t-x-takp-v` event:
//!    `<TakControl><TakProtocolSupport version="1"/></TakControl>` (one element per version).
//! 2. A client that wants protobuf answers with a `t-x-takp-q` event that reuses the
//!    announcement's uid: `<TakControl><TakRequest version="1"/></TakControl>`, and then sends
//!    nothing until the response.
//! 3. The server responds with `t-x-takp-r`: `<TakControl><TakResponse status="true"/>
//!    </TakControl>`. On `true` both sides use TAK protocol stream framing from then on; on
//!    `false` both stay with XML.
//!
//! A client that gets no response within a minute gives the connection up.
//!
//! ```
//! use takwire::proto::control::{ControlEvent, request};
//! let offer = ControlEvent::Support { uid: "abc".into(), versions: vec![1] }.to_event();
//! let parsed = ControlEvent::from_event(&takwire::cot::Event::from_xml(offer.to_xml().as_bytes()).unwrap());
//! assert_eq!(parsed, Some(ControlEvent::Support { uid: "abc".into(), versions: vec![1] }));
//! assert_eq!(ControlEvent::from_event(&request("abc", 1)),
//!            Some(ControlEvent::Request { uid: "abc".into(), version: Some(1) }));
//! ```

use std::time::Duration;

use crate::cot::xml::document;
use crate::cot::{Event, Point};

/// The type of a server's protocol support announcement.
pub const SUPPORT_TYPE: &str = "t-x-takp-v";
/// The type of a client's protocol request.
pub const REQUEST_TYPE: &str = "t-x-takp-q";
/// The type of a server's response to a request.
pub const RESPONSE_TYPE: &str = "t-x-takp-r";
/// The TAK protocol version takwire speaks.
pub const VERSION: u32 = 1;
/// How long a client waits for the response to its request before giving the connection up.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// One of the three negotiation events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlEvent {
    /// `t-x-takp-v`: the versions a server offers.
    Support {
        /// The negotiation uid, reused by the request and the response.
        uid: String,
        /// The versions offered (`TakProtocolSupport version`), in order.
        versions: Vec<u32>,
    },
    /// `t-x-takp-q`: a client asks for a version.
    Request {
        /// The uid of the announcement being answered.
        uid: String,
        /// The version asked for, if it is a number.
        version: Option<u32>,
    },
    /// `t-x-takp-r`: the server's answer.
    Response {
        /// The negotiation uid.
        uid: String,
        /// Whether the server switches to the requested version.
        accepted: bool,
    },
}

impl ControlEvent {
    /// Recognises a negotiation event. Other events, and negotiation events without a
    /// `<TakControl>` detail, give `None`.
    pub fn from_event(event: &Event) -> Option<ControlEvent> {
        let kind = match event.cot_type.as_str() {
            SUPPORT_TYPE | REQUEST_TYPE | RESPONSE_TYPE => event.cot_type.as_str(),
            _ => return None,
        };
        let control = event.detail.element("TakControl")?;
        let doc = document(control.xml(), "control element").ok()?;
        let children = || doc.root_element().children().filter(|n| n.is_element());
        let uid = event.uid.clone();
        let version = |n: roxmltree::Node<'_, '_>| n.attribute("version")?.trim().parse().ok();
        Some(match kind {
            SUPPORT_TYPE => ControlEvent::Support {
                uid,
                versions: children()
                    .filter(|n| n.tag_name().name() == "TakProtocolSupport")
                    .filter_map(version)
                    .collect(),
            },
            REQUEST_TYPE => ControlEvent::Request {
                uid,
                version: children()
                    .find(|n| n.tag_name().name() == "TakRequest")
                    .and_then(version),
            },
            _ => ControlEvent::Response {
                uid,
                accepted: children()
                    .find(|n| n.tag_name().name() == "TakResponse")
                    .and_then(|n| n.attribute("status"))
                    .is_some_and(|s| s.trim().eq_ignore_ascii_case("true")),
            },
        })
    }

    /// The event, as TAK Server writes it: how `m-g`, a zero point with `ce`/`le` 999999,
    /// stale a minute from now.
    pub fn to_event(&self) -> Event {
        let (uid, cot_type, inner) = match self {
            ControlEvent::Support { uid, versions } => (
                uid,
                SUPPORT_TYPE,
                versions
                    .iter()
                    .map(|v| format!("<TakProtocolSupport version=\"{v}\"/>"))
                    .collect::<String>(),
            ),
            ControlEvent::Request { uid, version } => (
                uid,
                REQUEST_TYPE,
                format!(
                    "<TakRequest version=\"{}\"/>",
                    version.map(|v| v.to_string()).unwrap_or_default()
                ),
            ),
            ControlEvent::Response { uid, accepted } => (
                uid,
                RESPONSE_TYPE,
                format!("<TakResponse status=\"{accepted}\"/>"),
            ),
        };
        let mut event = Event::builder(uid.clone(), cot_type)
            .stale_after(RESPONSE_TIMEOUT)
            .build();
        event.how = "m-g".into();
        event.point = Point {
            lat: 0.0,
            lon: 0.0,
            hae: 0.0,
            ce: 999_999.0,
            le: 999_999.0,
        };
        let mut detail = crate::cot::Detail::new();
        // Built from numbers and fixed names only, so always well-formed.
        if detail
            .push_raw(&format!("<TakControl>{inner}</TakControl>"))
            .is_ok()
        {
            event.detail = detail;
        }
        event
    }
}

/// The `t-x-takp-q` event asking for `version` in the negotiation `uid` (the uid of the
/// server's announcement).
pub fn request(uid: &str, version: u32) -> Event {
    ControlEvent::Request {
        uid: uid.to_string(),
        version: Some(version),
    }
    .to_event()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tak_server_events() {
        // As TAK Server writes them (single quotes, its version info beside the support).
        let announce = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?><event version='2.0' uid='0b7c' type='t-x-takp-v' time='2026-01-01T00:00:00.000Z' start='2026-01-01T00:00:00.000Z' stale='2026-01-01T00:01:00.000Z' how='m-g'><point lat='0.0' lon='0.0' hae='0.0' ce='999999' le='999999'/><detail><TakControl><TakProtocolSupport version='1'/><TakServerVersionInfo serverVersion='5.2' apiVersion='3'/></TakControl></detail></event>";
        let ev = Event::from_xml(announce.as_bytes()).unwrap();
        assert_eq!(
            ControlEvent::from_event(&ev),
            Some(ControlEvent::Support {
                uid: "0b7c".into(),
                versions: vec![1]
            })
        );
        let resp = announce
            .replace("t-x-takp-v", "t-x-takp-r")
            .replace(
                "<TakProtocolSupport version='1'/><TakServerVersionInfo serverVersion='5.2' apiVersion='3'/>",
                "<TakResponse status='false'/>",
            );
        let ev = Event::from_xml(resp.as_bytes()).unwrap();
        assert_eq!(
            ControlEvent::from_event(&ev),
            Some(ControlEvent::Response {
                uid: "0b7c".into(),
                accepted: false
            })
        );
        let other = Event::hello(RESPONSE_TIMEOUT);
        assert_eq!(ControlEvent::from_event(&other), None);
    }

    #[test]
    fn round_trips_through_xml() {
        for c in [
            ControlEvent::Support {
                uid: "u".into(),
                versions: vec![1, 2],
            },
            ControlEvent::Request {
                uid: "u".into(),
                version: Some(1),
            },
            ControlEvent::Response {
                uid: "u".into(),
                accepted: true,
            },
        ] {
            let ev = Event::from_xml(c.to_event().to_xml().as_bytes()).unwrap();
            assert_eq!(ev.how, "m-g");
            assert_eq!(ControlEvent::from_event(&ev), Some(c));
        }
    }
}

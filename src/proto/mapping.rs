//! [`Event`] to `TakMessage` and back, as TAK does it.
//!
//! * `<event>` attributes go into `CotEvent`'s fields; times as milliseconds since the epoch.
//! * `<point>` into `lat`, `lon`, `hae`, `ce`, `le`.
//! * The typed detail parts into their messages when they fit exactly (see `typed`);
//!   every other child of `<detail>`, verbatim and in order, into `xmlDetail`.
//!
//! ATAK-CIV's `CotEvent` has no field for the `version`, `caveat` and `releasableTo`
//! attributes, for other attributes of `<event>`, nor for an attribute present with an
//! empty value (protobuf does not tell empty from absent). So that they are not lost,
//! takwire carries them in one extra element at the end of `xmlDetail`:
//!
//! ```text
//! <_takwire_event_ caveat="FOUO" releasableTo="USA GBR"><attr name="x" value="1"/></_takwire_event_>
//! ```
//!
//! It appears only on events that have such attributes. takwire takes it back out when
//! decoding; other TAK software keeps it as an unknown detail element, which TAK software
//! passes along untouched.

use std::borrow::Cow;

use quick_protobuf::{BytesReader, MessageRead, MessageWrite, Writer};

use crate::cot::xml::{check_representable, document, escape_attr};
use crate::cot::{CotTime, Detail, DetailElement, Event, Point};
use crate::error::{Error, Result};
use crate::proto::generated::{
    cotevent::CotEvent, detail::Detail as PbDetail, takmessage::TakMessage,
};
use crate::proto::{Control, Payload, typed, validate};

/// The element that carries `<event>` attributes `CotEvent` has no field for.
pub const CARRIER: &str = "_takwire_event_";

/// The event attributes the carrier holds as attributes of its own.
const CARRIED: [&str; 6] = ["version", "access", "qos", "opex", "caveat", "releasableTo"];

/// The CoT version every TAK protocol event implies.
const COT_VERSION: &str = "2.0";

/// Encodes `event` as a `TakMessage` payload, appended to `out`.
pub(crate) fn encode(event: &Event, out: &mut Vec<u8>) -> Result<()> {
    if event.uid.is_empty() || event.cot_type.is_empty() {
        return Err(Error::Proto(format!(
            "an event needs a uid and a type for TAK protocol (uid {:?}, type {:?})",
            event.uid, event.cot_type
        )));
    }
    let msg = TakMessage {
        takControl: None,
        cotEvent: Some(CotEvent {
            type_pb: Cow::Borrowed(&event.cot_type),
            access: field(&event.access),
            qos: field(&event.qos),
            opex: field(&event.opex),
            uid: Cow::Borrowed(&event.uid),
            // Times before 1970 wrap around; takwire reads them back the same way.
            sendTime: event.time.as_millis() as u64,
            startTime: event.start.as_millis() as u64,
            staleTime: event.stale.as_millis() as u64,
            how: Cow::Borrowed(&event.how),
            lat: event.point.lat,
            lon: event.point.lon,
            hae: event.point.hae,
            ce: event.point.ce,
            le: event.point.le,
            detail: detail(event),
        }),
    };
    let mut w = Writer::new(&mut *out);
    msg.write_message(&mut w)
        .map_err(|e| Error::Proto(format!("encoding a TakMessage: {e}")))
}

/// An optional attribute as a protobuf string (empty when absent).
fn field(v: &Option<String>) -> Cow<'_, str> {
    Cow::Borrowed(v.as_deref().unwrap_or_default())
}

/// The `Detail` message for `event`, `None` if there is nothing to put in it.
fn detail(event: &Event) -> Option<PbDetail<'static>> {
    let mut d = PbDetail::default();
    let mut xml = String::new();
    let mut counts = [0usize; typed::TYPED.len()];
    for e in event.detail.iter() {
        if let Some(i) = typed::TYPED.iter().position(|n| *n == e.name()) {
            counts[i] += 1;
        }
    }
    for e in event.detail.iter() {
        let once = typed::TYPED
            .iter()
            .position(|n| *n == e.name())
            .is_some_and(|i| counts[i] == 1);
        if once && typed::fill(&mut d, e) {
            continue;
        }
        xml.push_str(e.xml());
    }
    write_carrier(event, &mut xml);
    let typed_any = d.contact.is_some()
        || d.group.is_some()
        || d.precisionLocation.is_some()
        || d.status.is_some()
        || d.takv.is_some()
        || d.track.is_some();
    if xml.is_empty() && !typed_any {
        return None;
    }
    d.xmlDetail = Cow::Owned(xml);
    Some(d)
}

/// Appends the carrier element if `event` has attributes `CotEvent` cannot hold.
fn write_carrier(event: &Event, xml: &mut String) {
    let empty = |v: &Option<String>| v.as_deref() == Some("");
    let attrs: [(&str, Option<&str>); 6] = [
        (
            "version",
            (event.version != COT_VERSION).then_some(event.version.as_str()),
        ),
        ("access", empty(&event.access).then_some("")),
        ("qos", empty(&event.qos).then_some("")),
        ("opex", empty(&event.opex).then_some("")),
        ("caveat", event.caveat.as_deref()),
        ("releasableTo", event.releasable_to.as_deref()),
    ];
    if attrs.iter().all(|(_, v)| v.is_none()) && event.extra_attrs.is_empty() {
        return;
    }
    xml.push('<');
    xml.push_str(CARRIER);
    for (name, value) in attrs {
        if let Some(v) = value {
            xml.push(' ');
            xml.push_str(name);
            xml.push_str("=\"");
            escape_attr(v, xml);
            xml.push('"');
        }
    }
    if event.extra_attrs.is_empty() {
        xml.push_str("/>");
        return;
    }
    xml.push('>');
    for (k, v) in &event.extra_attrs {
        xml.push_str("<attr name=\"");
        escape_attr(k, xml);
        xml.push_str("\" value=\"");
        escape_attr(v, xml);
        xml.push_str("\"/>");
    }
    xml.push_str("</");
    xml.push_str(CARRIER);
    xml.push('>');
}

/// Decodes a `TakMessage` payload.
pub(crate) fn decode(payload: &[u8]) -> Result<Payload> {
    validate::check(payload)?;
    let mut reader = BytesReader::from_bytes(payload);
    let msg = TakMessage::from_reader(&mut reader, payload).map_err(|e| match e {
        quick_protobuf::Error::Utf8(e) => {
            Error::Proto(format!("a string field is not valid UTF-8: {e}"))
        }
        e => Error::Proto(format!("not a valid TakMessage: {e}")),
    })?;
    match (msg.cotEvent, msg.takControl) {
        (Some(ev), _) => to_event(ev).map(Payload::Event),
        (None, Some(c)) => Ok(Payload::Control(Control {
            min_version: c.minProtoVersion,
            max_version: c.maxProtoVersion,
            contact_uid: c.contactUid.into_owned(),
        })),
        (None, None) => Err(Error::Proto(
            "TakMessage holds neither a CotEvent nor a TakControl".into(),
        )),
    }
}

fn to_event(ev: CotEvent<'_>) -> Result<Event> {
    if ev.uid.is_empty() {
        return Err(Error::Proto("CotEvent has no uid".into()));
    }
    if ev.type_pb.is_empty() {
        return Err(Error::Proto("CotEvent has no type".into()));
    }
    let fields = [
        ("CotEvent uid", &ev.uid),
        ("CotEvent type", &ev.type_pb),
        ("CotEvent how", &ev.how),
        ("CotEvent access", &ev.access),
        ("CotEvent qos", &ev.qos),
        ("CotEvent opex", &ev.opex),
    ];
    for (what, s) in fields {
        check_representable(what, s)?;
    }
    // Milliseconds since 1970 that XML can write (up to 9999-12-31T23:59:59.999Z); a later
    // time would be clamped on the way to XML, so it is refused like an unwritable string.
    let time = |what: &str, ms: u64| {
        i64::try_from(ms)
            .ok()
            .filter(|m| *m <= CotTime::MAX.as_millis())
            .map(CotTime::from_millis)
            .ok_or_else(|| {
                Error::Proto(format!(
                    "CotEvent {what} of {ms} ms is after 9999-12-31T23:59:59.999Z"
                ))
            })
    };
    let (send, start, stale) = (
        time("sendTime", ev.sendTime)?,
        time("startTime", ev.startTime)?,
        time("staleTime", ev.staleTime)?,
    );
    // CoT XML has no way to write NaN or infinity: refuse them as the XML reader does.
    let numbers = [
        ("lat", ev.lat),
        ("lon", ev.lon),
        ("hae", ev.hae),
        ("ce", ev.ce),
        ("le", ev.le),
    ];
    for (what, v) in numbers {
        if !v.is_finite() {
            return Err(Error::Proto(format!(
                "CotEvent {what} is {v}, not a finite number"
            )));
        }
    }
    let opt = |s: Cow<'_, str>| (!s.is_empty()).then(|| s.into_owned());
    let mut event = Event {
        version: COT_VERSION.to_string(),
        uid: ev.uid.into_owned(),
        cot_type: ev.type_pb.into_owned(),
        how: ev.how.into_owned(),
        time: send,
        start,
        stale,
        access: opt(ev.access),
        qos: opt(ev.qos),
        opex: opt(ev.opex),
        caveat: None,
        releasable_to: None,
        extra_attrs: Vec::new(),
        point: Point {
            lat: ev.lat,
            lon: ev.lon,
            hae: ev.hae,
            ce: ev.ce,
            le: ev.le,
        },
        detail: Detail::new(),
    };
    if let Some(d) = ev.detail {
        if !d.xmlDetail.is_empty() {
            event.detail = Detail::from_inner_xml(&d.xmlDetail)
                .map_err(|e| Error::Proto(format!("xmlDetail: {e}")))?;
        }
        let detail = std::mem::take(&mut event.detail);
        event.detail = match detail.rposition(CARRIER) {
            Some(i) if detail.nth(i).is_some_and(|c| read_carrier(c, &mut event)) => {
                let mut detail = detail;
                detail.remove_at(i);
                detail
            }
            // None, or not ours after all: kept as the detail element it is.
            _ => detail,
        };
        typed::append(&d, &mut event.detail)?;
    }
    Ok(event)
}

/// Applies a carrier element to `event`. Returns false, changing nothing, if the element
/// holds anything a carrier does not.
fn read_carrier(e: DetailElement<'_>, event: &mut Event) -> bool {
    let Ok(doc) = document(e.xml(), "detail element") else {
        return false;
    };
    let root = doc.root_element();
    let mut attrs = Vec::new();
    for a in root.attributes() {
        if a.namespace().is_some() || !CARRIED.contains(&a.name()) {
            return false;
        }
        attrs.push((a.name(), a.value()));
    }
    let mut extra = Vec::new();
    for child in root.children() {
        if child.is_text() && child.text().is_some_and(|t| t.trim().is_empty()) {
            continue;
        }
        let (Some(k), Some(v), true) = (
            child.attribute("name"),
            child.attribute("value"),
            child.is_element()
                && child.tag_name().name() == "attr"
                && child.attributes().len() == 2
                && !child.has_children(),
        ) else {
            return false;
        };
        extra.push((k.to_string(), v.to_string()));
    }
    for (k, v) in attrs {
        let v = v.to_string();
        match k {
            "version" => event.version = v,
            "access" => event.access = Some(v),
            "qos" => event.qos = Some(v),
            "opex" => event.opex = Some(v),
            "caveat" => event.caveat = Some(v),
            _ => event.releasable_to = Some(v),
        }
    }
    event.extra_attrs = extra;
    true
}

//! The typed detail parts: `<contact>`, `<__group>`, `<precisionlocation>`, `<status>`,
//! `<takv>` and `<track>`, and their protobuf messages.
//!
//! An element goes into its message only when the message can give it back: it must be a
//! plain element (no children, no text, no namespaces) whose attributes are exactly what
//! the message holds, with values the message reproduces character for character. Anything
//! else stays in `xmlDetail`, verbatim, so no attribute is ever lost. The rules follow ATAK's
//! own converter (commoncommo): the attributes the `.proto` files mark required must be
//! present, and a receiver writes them back always; `endpoint` is optional and written back
//! only when not empty. On top of that, takwire insists on an exact round trip of values
//! (`battery="078"` or `speed="1e3"` would come back different, so they stay in XML).

use std::borrow::Cow;

use crate::cot::xml::{document, write_f64};
use crate::cot::{Detail, DetailElement};
use crate::proto::generated::{
    contact::Contact, detail::Detail as PbDetail, group::Group,
    precisionlocation::PrecisionLocation, status::Status, takv::Takv, track::Track,
};

/// The element names that have a typed field, in the order a receiver writes them back.
pub(crate) const TYPED: [&str; 6] = super::TYPED_ELEMENTS;

/// The attributes of a plain element (no children, no text, no namespaces), or `None`.
fn plain_attributes(e: DetailElement<'_>) -> Option<Vec<(String, String)>> {
    if e.xml().contains("xmlns") {
        return None;
    }
    if let Some(attrs) = simple_attributes(e.xml()) {
        return Some(attrs);
    }
    let doc = document(e.xml(), "detail element").ok()?;
    let root = doc.root_element();
    if root.has_children() || root.tag_name().namespace().is_some() {
        return None;
    }
    let mut attrs = Vec::new();
    for a in root.attributes() {
        if a.namespace().is_some() {
            return None;
        }
        attrs.push((a.name().to_string(), a.value().to_string()));
    }
    Some(attrs)
}

/// The attributes of an element as simple as the typed ones nearly always are,
/// `<name a="v" b='w'/>`, read without an XML parser (a parse per element was most of the
/// cost of encoding a position report). `None` for anything else (entities, whitespace
/// that XML would normalise, prefixes, children, duplicates...), which the XML parser then
/// reads; for what it accepts, it gives what the parser gives.
fn simple_attributes(xml: &str) -> Option<Vec<(String, String)>> {
    let name_len = |s: &str| {
        let b = s.as_bytes();
        let first = *b.first()?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        Some(
            b.iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
                .count(),
        )
    };
    let rest = xml.strip_prefix('<')?;
    let mut s = &rest[name_len(rest)?..];
    let mut attrs: Vec<(String, String)> = Vec::new();
    loop {
        let t = s.trim_start_matches([' ', '\t', '\r', '\n']);
        if t == "/>" {
            return Some(attrs);
        }
        if t.len() == s.len() {
            return None;
        }
        let (name, r) = t.split_at(name_len(t)?);
        let r = r.strip_prefix('=')?;
        let quote = r.chars().next().filter(|q| matches!(q, '"' | '\''))?;
        let r = &r[1..];
        let end = r.find(quote)?;
        let value = &r[..end];
        if value.contains(['&', '<', '\t', '\r', '\n']) || attrs.iter().any(|(k, _)| k == name) {
            return None;
        }
        attrs.push((name.to_string(), value.to_string()));
        s = &r[end + 1..];
    }
}

/// Looks attributes up by name, and checks that none are left over.
struct Attrs(Vec<(String, String)>);

impl Attrs {
    /// True if every attribute is one of `allowed`.
    fn only(&self, allowed: &[&str]) -> bool {
        self.0.iter().all(|(k, _)| allowed.contains(&k.as_str()))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn owned(&self, name: &str) -> Option<Cow<'static, str>> {
        self.get(name).map(|v| Cow::Owned(v.to_string()))
    }
}

/// A battery level written back exactly: a plain decimal in ATAK's range (0..=i32::MAX).
fn battery(s: &str) -> Option<u32> {
    let v: u32 = s.parse().ok()?;
    (v <= i32::MAX as u32 && v.to_string() == s).then_some(v)
}

/// A double written back exactly as takwire writes doubles.
fn exact_f64(s: &str) -> Option<f64> {
    let v: f64 = s.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    let mut back = String::with_capacity(s.len());
    write_f64(&mut back, v);
    (back == s).then_some(v)
}

/// Puts `e` into its typed field of `d` if it fits exactly there; returns whether it did.
/// `e` must be one of the [`TYPED`] elements, appearing once in its detail.
pub(crate) fn fill(d: &mut PbDetail<'static>, e: DetailElement<'_>) -> bool {
    let Some(attrs) = plain_attributes(e) else {
        return false;
    };
    let a = Attrs(attrs);
    match e.name() {
        "contact" => {
            let endpoint = a.owned("endpoint");
            let (Some(callsign), true) = (a.owned("callsign"), a.only(&["endpoint", "callsign"]))
            else {
                return false;
            };
            // An empty endpoint would not come back: a receiver omits it when empty.
            if endpoint.as_deref() == Some("") {
                return false;
            }
            d.contact = Some(Contact {
                endpoint: endpoint.unwrap_or_default(),
                callsign,
            });
        }
        "__group" => {
            let (Some(name), Some(role), true) =
                (a.owned("name"), a.owned("role"), a.only(&["name", "role"]))
            else {
                return false;
            };
            d.group = Some(Group { name, role });
        }
        "precisionlocation" => {
            let (Some(geopointsrc), Some(altsrc), true) = (
                a.owned("geopointsrc"),
                a.owned("altsrc"),
                a.only(&["geopointsrc", "altsrc"]),
            ) else {
                return false;
            };
            d.precisionLocation = Some(PrecisionLocation {
                geopointsrc,
                altsrc,
            });
        }
        "status" => {
            let (Some(battery), true) = (a.get("battery").and_then(battery), a.only(&["battery"]))
            else {
                return false;
            };
            d.status = Some(Status { battery });
        }
        "takv" => {
            let (Some(device), Some(platform), Some(os), Some(version), true) = (
                a.owned("device"),
                a.owned("platform"),
                a.owned("os"),
                a.owned("version"),
                a.only(&["device", "platform", "os", "version"]),
            ) else {
                return false;
            };
            d.takv = Some(Takv {
                device,
                platform,
                os,
                version,
            });
        }
        "track" => {
            let (Some(speed), Some(course), true) = (
                a.get("speed").and_then(exact_f64),
                a.get("course").and_then(exact_f64),
                a.only(&["speed", "course"]),
            ) else {
                return false;
            };
            d.track = Some(Track { speed, course });
        }
        _ => return false,
    }
    true
}

/// Appends the typed fields of `d` to `detail` as elements, as ATAK does: after the
/// `xmlDetail` children, and only where `xmlDetail` has no element of that name (a sender
/// that put both is taken at its XML).
pub(crate) fn append(d: &PbDetail<'_>, detail: &mut Detail) -> crate::error::Result<()> {
    // What XML cannot carry would come back changed: refuse it rather than alter it.
    let mut strings: Vec<(&str, &str)> = Vec::new();
    if let Some(c) = &d.contact {
        strings.extend([
            ("contact endpoint", &*c.endpoint),
            ("contact callsign", &*c.callsign),
        ]);
    }
    if let Some(g) = &d.group {
        strings.extend([("group name", &*g.name), ("group role", &*g.role)]);
    }
    if let Some(p) = &d.precisionLocation {
        strings.extend([
            ("precisionlocation geopointsrc", &*p.geopointsrc),
            ("precisionlocation altsrc", &*p.altsrc),
        ]);
    }
    if let Some(t) = &d.takv {
        strings.extend([
            ("takv device", &*t.device),
            ("takv platform", &*t.platform),
            ("takv os", &*t.os),
            ("takv version", &*t.version),
        ]);
    }
    for (what, s) in strings {
        crate::cot::xml::check_representable(what, s)?;
    }
    let absent = |detail: &Detail, name: &str| detail.element(name).is_none();
    if let Some(c) = &d.contact
        && absent(detail, "contact")
    {
        let mut attrs: Vec<(&str, &str)> = Vec::with_capacity(2);
        if !c.endpoint.is_empty() {
            attrs.push(("endpoint", &c.endpoint));
        }
        attrs.push(("callsign", &c.callsign));
        detail.push_element("contact", &attrs, None);
    }
    if let Some(g) = &d.group
        && absent(detail, "__group")
    {
        detail.push_element("__group", &[("name", &g.name), ("role", &g.role)], None);
    }
    if let Some(p) = &d.precisionLocation
        && absent(detail, "precisionlocation")
    {
        detail.push_element(
            "precisionlocation",
            &[("geopointsrc", &p.geopointsrc), ("altsrc", &p.altsrc)],
            None,
        );
    }
    if let Some(s) = &d.status
        && absent(detail, "status")
    {
        let battery = s.battery.to_string();
        detail.push_element("status", &[("battery", &battery)], None);
    }
    if let Some(t) = &d.takv
        && absent(detail, "takv")
    {
        detail.push_element(
            "takv",
            &[
                ("device", &t.device),
                ("platform", &t.platform),
                ("os", &t.os),
                ("version", &t.version),
            ],
            None,
        );
    }
    if let Some(t) = &d.track
        && absent(detail, "track")
    {
        let (mut speed, mut course) = (String::new(), String::new());
        write_f64(&mut speed, t.speed);
        write_f64(&mut course, t.course);
        detail.push_element("track", &[("speed", &speed), ("course", &course)], None);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_attributes_agree_with_the_parser() {
        let parsed = |xml: &str| -> Vec<(String, String)> {
            let doc = document(xml, "test").unwrap();
            doc.root_element()
                .attributes()
                .map(|a| (a.name().to_string(), a.value().to_string()))
                .collect()
        };
        for xml in [
            r#"<contact callsign="HOPE"/>"#,
            r#"<contact/>"#,
            r#"<contact  endpoint='*:-1:stcp'  callsign="A'B" />"#,
            "<track\ncourse=\"30.5\"\tspeed=\"0.0\"/>",
            r#"<takv os="29" version="4.10.0.57 (2a1c8a26).1679591429-CIV" device="SAMSUNG SM-G975U1" platform="ATAK-CIV"/>"#,
            r#"<__group role="Team Member" name="Cyan"/>"#,
            r#"<status battery="a>b"/>"#,
            r#"<x-y.z a-b.c_d=""/>"#,
        ] {
            assert_eq!(simple_attributes(xml), Some(parsed(xml)), "{xml}");
        }
        for xml in [
            r#"<contact callsign="A&amp;B"/>"#,
            "<contact callsign=\"A\nB\"/>",
            r#"<contact callsign="A"></contact>"#,
            r#"<contact callsign="A" callsign="B"/>"#,
            r#"<contact callsign = "A"/>"#,
            r#"<contact callsign="A"/>x"#,
            r#"<contact callsign="A"callsign2="B"/>"#,
            r#"<contact p:callsign="A"/>"#,
            r#"<contact callsign="A/>"#,
            r#"<1contact/>"#,
            r#"contact/>"#,
            r#"<contact callsign=A/>"#,
        ] {
            assert_eq!(simple_attributes(xml), None, "{xml}");
        }
    }

    fn fits(xml: &str) -> bool {
        let d = Detail::from_inner_xml(xml).unwrap();
        let e = d.iter().next().unwrap();
        fill(&mut PbDetail::default(), e)
    }

    #[test]
    fn exact_elements_fit() {
        for xml in [
            r#"<contact callsign="HOPE"/>"#,
            r#"<contact endpoint="*:-1:stcp" callsign=""/>"#,
            r#"<contact callsign='A &amp; B'></contact>"#,
            r#"<__group role="Team Member" name="Cyan"/>"#,
            r#"<precisionlocation altsrc="GPS" geopointsrc="GPS"/>"#,
            r#"<status battery="0"/>"#,
            r#"<status battery="2147483647"/>"#,
            r#"<takv os="29" version="4.10" device="X" platform="ATAK-CIV"/>"#,
            r#"<track course="30.86376880675669" speed="0.0"/>"#,
        ] {
            assert!(fits(xml), "{xml}");
        }
    }

    #[test]
    fn anything_that_would_not_come_back_stays_xml() {
        for xml in [
            r#"<contact endpoint="*:-1:stcp" phone="+1555" callsign="HOPE"/>"#,
            r#"<contact endpoint="" callsign="A"/>"#,
            r#"<contact endpoint="x"/>"#,
            r#"<contact callsign="A"><extra/></contact>"#,
            r#"<contact callsign="A">text</contact>"#,
            r#"<contact xmlns:a="urn:a" a:b="1" callsign="A"/>"#,
            r#"<c:contact xmlns:c="urn:c" callsign="A"/>"#,
            r#"<__group name="Cyan"/>"#,
            r#"<precisionlocation altsrc="???"/>"#,
            r#"<status readiness="true"/>"#,
            r#"<status battery="078"/>"#,
            r#"<status battery="-1"/>"#,
            r#"<status battery="2147483648"/>"#,
            r#"<status battery="50" readiness="true"/>"#,
            r#"<takv device="X" platform="P" os="1"/>"#,
            r#"<track speed="0" course="1.5"/>"#,
            r#"<track speed="1e3" course="1.5"/>"#,
            r#"<track speed="NaN" course="1.5"/>"#,
            r#"<track speed="1.0"/>"#,
        ] {
            assert!(!fits(xml), "{xml}");
        }
    }

    #[test]
    fn typed_parts_come_back_as_atak_writes_them() {
        let mut d = PbDetail::default();
        let src = Detail::from_inner_xml(
            r#"<contact callsign="A&amp;B" endpoint="e"/><__group name="Cyan" role="HQ"/><status battery="7"/><track speed="1.5" course="0.0"/>"#,
        )
        .unwrap();
        for e in src.iter() {
            assert!(fill(&mut d, e));
        }
        let mut out = Detail::from_inner_xml(r#"<status battery="99"/>"#).unwrap();
        append(&d, &mut out).unwrap();
        assert_eq!(
            out.inner_xml(),
            r#"<status battery="99"/><contact endpoint="e" callsign="A&amp;B"/><__group name="Cyan" role="HQ"/><track speed="1.5" course="0.0"/>"#
        );
    }
}

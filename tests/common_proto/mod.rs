//! Events for the TAK protocol tests: the XML corpus, and generated events with every typed
//! detail part.
#![allow(dead_code)]

use std::time::Duration;

use takwire::cot::{Detail, Event, EventBuilder};

/// The XML corpus (`tests/corpus/xml`): file name and text, sorted by name.
pub fn corpus() -> Vec<(String, String)> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/xml");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus is missing");
    files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                String::from_utf8(std::fs::read(p).unwrap()).unwrap(),
            )
        })
        .collect()
}

/// Generated events with every typed detail part: ones that fit their messages exactly,
/// ones that do not (extra attributes, missing required ones, duplicates, values that
/// would not come back the same), and event attributes TAK protocol has no field for.
pub fn generated() -> Vec<Event> {
    let t = takwire::CotTime::from_millis(1_773_500_000_123);
    let base = |uid: &str| {
        EventBuilder::new(uid, "a-f-G-U-C")
            .time(t)
            .stale(t.plus(Duration::from_secs(600)))
            .point(-33.8568, 151.2153)
            .hae(12.5)
            .errors(4.7, 9.25)
    };
    let detail = |xml: &str| Detail::from_inner_xml(xml).unwrap();
    let mut out = vec![
        base("gen-all-typed")
            .detail(detail(concat!(
                r#"<contact endpoint="192.168.1.10:4242:tcp" callsign="ALPHA 1"/>"#,
                r#"<__group name="Dark Blue" role="Team Lead"/>"#,
                r#"<precisionlocation geopointsrc="GPS" altsrc="DTED2"/>"#,
                r#"<status battery="100"/>"#,
                r#"<takv device="Pixel 8" platform="ATAK-CIV" os="34" version="5.2.0.1"/>"#,
                r#"<track speed="12.75" course="359.5"/>"#,
                r#"<remarks>all six typed parts</remarks>"#,
            )))
            .build(),
        base("gen-typed-escapes")
            .detail(detail(concat!(
                r#"<contact callsign="R&amp;D &lt;1&gt; &quot;x&quot; 'y' — ünï 🚩"/>"#,
                r#"<__group name="" role=""/>"#,
                r#"<precisionlocation geopointsrc="" altsrc=""/>"#,
                r#"<status battery="0"/>"#,
                r#"<takv device="a&#9;b" platform="p&#10;q" os="" version=""/>"#,
                r#"<track speed="0.0" course="0.0"/>"#,
            )))
            .build(),
        base("gen-typed-not-fitting")
            .detail(detail(concat!(
                r#"<contact endpoint="*:-1:stcp" phone="+15555550123" callsign="HOPE"/>"#,
                r#"<__group name="Cyan"/>"#,
                r#"<precisionlocation altsrc="???"/>"#,
                r#"<status battery="078" readiness="true"/>"#,
                r#"<takv device="d" platform="p" os="o" version="v"><extra/></takv>"#,
                r#"<track speed="0" course="1e2"/>"#,
            )))
            .build(),
        base("gen-typed-duplicates")
            .detail(detail(concat!(
                r#"<contact callsign="FIRST"/><contact callsign="SECOND"/>"#,
                r#"<track speed="1.0" course="2.0"/><track speed="3.0" course="4.0"/>"#,
                r#"<status battery="50"/>"#,
            )))
            .build(),
        base("gen-contact-empty-endpoint")
            .detail(detail(
                r#"<contact endpoint="" callsign="E"/><__group name="Red" role="HQ"/>"#,
            ))
            .build(),
    ];
    out.push(
        base("gen-namespaced-and-nested")
            .detail(detail(concat!(
                r#"<x:sensor xmlns:x="urn:example:sensor" x:id="7"><x:reading unit="C">21.5</x:reading></x:sensor>"#,
                r#"<link uid="a" relation="p-p"/><link uid="b" relation="p-p"/>"#,
                r#"<status battery="42"/>"#,
                r#"<remarks source="x">line one &amp; <b>bold</b> tail</remarks>"#,
            )))
            .build(),
    );
    let mut attrs = base("gen-event-attrs")
        .detail(detail(
            r#"<takv device="d" platform="p" os="o" version="v"/>"#,
        ))
        .build();
    attrs.access = Some("Unclassified".into());
    attrs.qos = Some(String::new());
    attrs.opex = Some("e-exercise".into());
    attrs.caveat = Some("FOUO".into());
    attrs.releasable_to = Some("USA GBR".into());
    attrs.extra_attrs = vec![("x-note".into(), "a \"quoted\" & <tagged> note".into())];
    out.push(attrs);
    let mut bare = base("gen-no-detail").build();
    bare.how = "h-e".into();
    bare.point = takwire::cot::Point::new(0.0, 0.0);
    out.push(bare);
    out
}

//! Differential test against takproto (PyPI), an independent TAK protocol codec built on
//! Google's protobuf runtime (`tests/peers/takproto_peer.py`).
//!
//! For every event of the XML corpus and a set of generated events with every typed detail
//! part (fitting and not fitting their messages), in both framings:
//!
//! 1. takwire's bytes, decoded by takproto, describe the same event: every `<event>` and
//!    `<point>` attribute, times to the millisecond, and the detail elements as a multiset
//!    of canonical elements (name, attributes, text, children), where takproto's typed
//!    fields count as the elements ATAK writes back for them.
//! 2. takproto's bytes (`xml2proto(xml, TAKProtoVer.MESH|STREAM)`), decoded by takwire, are
//!    exactly what takproto itself reads in them (same comparison as in 1), and the same
//!    event as the original XML, less what takproto is known to drop (below).
//!
//! What takproto does differently (3.0.1), and how the comparison allows for it:
//!
//! * It keeps only the proto's attributes of a typed element and drops the rest
//!   (`<contact phone>`, `<status readiness>`, ...; an element with none of them vanishes),
//!   converts only the first element of a name, and drops the others. ATAK's converter and
//!   takwire keep such elements whole in `xmlDetail` instead. So for typed names, the test
//!   only asks that what arrives agrees with the original's first element of that name.
//! * It sets a typed field's attributes only when non-empty, and does not insist on the
//!   required ones (`<precisionlocation altsrc="???"/>` becomes a message without
//!   `geopointsrc`), which a receiver then writes back as `geopointsrc=""`, as ATAK does.
//!   Empty attributes that arrive are therefore ignored in that check.
//! * It has no place for `version`, `caveat`, `releasableTo` or other event attributes,
//!   nor for empty `access`/`qos`/`opex`; they are not compared in direction 2 (takwire
//!   carries them in its `_takwire_event_` element, which direction 1 checks).
//! * It converts times with `int(datetime.timestamp() * 1000)`, a float product that can
//!   land one millisecond low; direction 2 allows 1 ms against the original (and none
//!   against takproto's own reading of the bytes).
//! * For GeoChat (`GeoChat.` uids) it copies the whole `<detail>` into `xmlDetail` and sets
//!   `takControl.contactUid`; takwire reads such a message as the event it holds.
//! * It re-serialises `xmlDetail` with ElementTree (quotes, escapes and character
//!   references differ), which the canonical comparison ignores.

#![cfg(feature = "proto")]

mod common;
mod common_proto;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::ChildStdin;
use std::time::Duration;

use crossbeam_channel::Receiver;
use serde_json::{Value, json};
use takwire::cot::Event;
use takwire::proto::convert::{Framing, frames_to_events, write_frame};

use common::{KillOnDrop, canonical_element, spawn_peer};
use common_proto::{corpus, generated};

/// The takproto peer process, one JSON line per request and answer.
struct Takproto {
    _child: KillOnDrop,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl Takproto {
    fn start() -> Option<Takproto> {
        let python = common::peer_python()?;
        let mut child = spawn_peer(&python, "takproto_peer.py", &[]);
        let stdin = child.0.stdin.take().unwrap();
        let stdout = child.0.stdout.take().unwrap();
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Some(Takproto {
            _child: child,
            stdin,
            lines: rx,
        })
    }

    fn ask(&mut self, req: Value) -> Value {
        writeln!(self.stdin, "{req}").unwrap();
        self.stdin.flush().unwrap();
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("takproto peer did not answer {req}"));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["ok"], true, "takproto peer: {v} (request {req})");
        v
    }

    fn encode(&mut self, xml: &str, framing: Framing) -> Vec<u8> {
        let v = self.ask(json!({"op": "encode", "xml": xml, "framing": name(framing)}));
        hex_decode(v["hex"].as_str().unwrap())
    }

    fn decode(&mut self, bytes: &[u8], framing: Framing) -> Value {
        let v = self.ask(json!({"op": "decode", "hex": hex(bytes), "framing": name(framing)}));
        assert_eq!(
            v["framing_ok"], true,
            "takproto sees bad {framing:?} framing"
        );
        v
    }
}

fn name(f: Framing) -> &'static str {
    match f {
        Framing::Stream => "stream",
        Framing::Mesh => "mesh",
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// An event as a receiver of TAK protocol sees it, from either side.
#[derive(Debug, PartialEq)]
struct View {
    uid: String,
    cot_type: String,
    how: String,
    /// access, qos, opex, empty when absent.
    attrs: [String; 3],
    times: [u64; 3],
    point: [f64; 5],
    /// Canonical detail elements, sorted, without takwire's carrier element.
    elements: Vec<String>,
    /// Event attributes carried in takwire's carrier element, sorted.
    carried: Vec<(String, String)>,
}

/// The view of an event takwire holds.
fn view_of_event(e: &Event) -> View {
    let mut elements: Vec<String> = e
        .detail
        .iter()
        .filter(|d| !d.name().is_empty())
        .map(|d| canonical_element(d.xml()))
        .collect();
    elements.sort();
    let mut carried = Vec::new();
    if e.version != "2.0" {
        carried.push(("version".to_string(), e.version.clone()));
    }
    for (k, v) in [("access", &e.access), ("qos", &e.qos), ("opex", &e.opex)] {
        if v.as_deref() == Some("") {
            carried.push((k.to_string(), String::new()));
        }
    }
    for (k, v) in [("caveat", &e.caveat), ("releasableTo", &e.releasable_to)] {
        if let Some(v) = v {
            carried.push((k.to_string(), v.clone()));
        }
    }
    carried.extend(e.extra_attrs.iter().cloned());
    carried.sort();
    View {
        uid: e.uid.clone(),
        cot_type: e.cot_type.clone(),
        how: e.how.clone(),
        attrs: [&e.access, &e.qos, &e.opex].map(|a| a.clone().unwrap_or_default()),
        times: [e.time, e.start, e.stale].map(|t| t.as_millis() as u64),
        point: [
            e.point.lat,
            e.point.lon,
            e.point.hae,
            e.point.ce,
            e.point.le,
        ],
        elements,
        carried,
    }
}

/// The view of what takproto decoded.
fn view_of_takproto(v: &Value) -> View {
    let ev = &v["event"];
    assert!(ev.is_object(), "takproto found no cotEvent: {v}");
    let s = |k: &str| ev[k].as_str().unwrap().to_string();
    let f = |k: &str| ev[k].as_str().unwrap().parse::<f64>().unwrap();
    let mut elements = Vec::new();
    let mut carried = Vec::new();
    let xml = format!("<detail>{}</detail>", s("xmlDetail"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    for child in doc.root_element().children().filter(|n| n.is_element()) {
        let text = &xml[child.range()];
        if child.tag_name().name() == takwire::proto::CARRIER {
            for a in child.attributes() {
                carried.push((a.name().to_string(), a.value().to_string()));
            }
            for c in child.children().filter(|n| n.is_element()) {
                carried.push((
                    c.attribute("name").unwrap().to_string(),
                    c.attribute("value").unwrap().to_string(),
                ));
            }
        } else {
            elements.push(canonical_element(text));
        }
    }
    for t in ev["typed"].as_array().unwrap() {
        elements.push(canonical_element(t.as_str().unwrap()));
    }
    elements.sort();
    carried.sort();
    View {
        uid: s("uid"),
        cot_type: s("type"),
        how: s("how"),
        attrs: [s("access"), s("qos"), s("opex")],
        times: ["sendTime", "startTime", "staleTime"].map(|k| ev[k].as_u64().unwrap()),
        point: [f("lat"), f("lon"), f("hae"), f("ce"), f("le")],
        elements,
        carried,
    }
}

const TYPED: [&str; 6] = [
    "contact",
    "__group",
    "precisionlocation",
    "status",
    "takv",
    "track",
];

/// Direction 2's check against the original: `got` (takwire's reading of takproto's
/// bytes) is `want` less what takproto drops (see the module docs).
fn same_as_takproto_keeps(want: &Event, got: &Event) -> Result<(), String> {
    let mut diffs = Vec::new();
    let mut check = |what: &str, a: String, b: String| {
        if a != b {
            diffs.push(format!("{what}: want {a:?} got {b:?}"));
        }
    };
    check("uid", want.uid.clone(), got.uid.clone());
    check("type", want.cot_type.clone(), got.cot_type.clone());
    check("how", want.how.clone(), got.how.clone());
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    check(
        "access",
        format!("{:?}", nonempty(&want.access)),
        format!("{:?}", got.access),
    );
    check(
        "qos",
        format!("{:?}", nonempty(&want.qos)),
        format!("{:?}", got.qos),
    );
    check(
        "opex",
        format!("{:?}", nonempty(&want.opex)),
        format!("{:?}", got.opex),
    );
    for (what, a, b) in [
        ("time", want.time, got.time),
        ("start", want.start, got.start),
        ("stale", want.stale, got.stale),
    ] {
        if (a.as_millis() - b.as_millis()).abs() > 1 {
            diffs.push(format!("{what}: want {a} got {b}"));
        }
    }
    if want.point != got.point {
        diffs.push(format!("point: want {:?} got {:?}", want.point, got.point));
    }
    // Every element without a typed message arrives whole.
    let canon = |e: &Event, typed: bool| -> Vec<String> {
        let mut v: Vec<String> = e
            .detail
            .iter()
            .filter(|d| !d.name().is_empty() && TYPED.contains(&d.name()) == typed)
            .map(|d| canonical_element(d.xml()))
            .collect();
        v.sort();
        v
    };
    let geochat = want.uid.contains("GeoChat.");
    if geochat {
        // The whole detail went into xmlDetail.
        let all = |e: &Event| {
            let mut v: Vec<String> = e
                .detail
                .iter()
                .filter(|d| !d.name().is_empty())
                .map(|d| canonical_element(d.xml()))
                .collect();
            v.sort();
            v
        };
        if all(want) != all(got) {
            diffs.push(format!("detail: want {:#?} got {:#?}", all(want), all(got)));
        }
    } else {
        if canon(want, false) != canon(got, false) {
            diffs.push(format!(
                "untyped detail: want {:#?} got {:#?}",
                canon(want, false),
                canon(got, false)
            ));
        }
        // Typed elements: at most one each, agreeing with the original's first element of
        // that name on every attribute that arrived non-empty.
        for name in TYPED {
            let got_all: Vec<_> = got.detail.iter().filter(|d| d.name() == name).collect();
            if got_all.len() > 1 {
                diffs.push(format!("{name}: {} elements arrived", got_all.len()));
            }
            let Some(g) = got_all.first() else { continue };
            let Some(w) = want.detail.element(name) else {
                diffs.push(format!("{name}: arrived but was not sent"));
                continue;
            };
            let wa: BTreeMap<String, String> = w.attributes().into_iter().collect();
            for (k, v) in g.attributes() {
                // takproto converts numbers (battery="078" arrives as 78, speed="0" as 0.0).
                let numeric = matches!(
                    (name, k.as_str()),
                    ("status", "battery") | ("track", "speed" | "course")
                );
                let same = match wa.get(&k) {
                    Some(w) if numeric => w.parse::<f64>().ok() == v.parse::<f64>().ok(),
                    Some(w) => *w == v,
                    None => false,
                };
                if !v.is_empty() && !same {
                    diffs.push(format!("{name} {k}: want {:?} got {v:?}", wa.get(&k)));
                }
            }
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", want.uid, diffs.join("; ")))
    }
}

#[test]
fn takwire_bytes_read_the_same_in_takproto() {
    let Some(mut peer) = Takproto::start() else {
        return;
    };
    let mut events: Vec<Event> = corpus()
        .iter()
        .map(|(name, xml)| {
            Event::from_xml(xml.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .collect();
    events.extend(generated());
    let mut checked = 0;
    for e in &events {
        for framing in [Framing::Stream, Framing::Mesh] {
            let mut bytes = Vec::new();
            write_frame(e, framing, &mut bytes).unwrap();
            let decoded = peer.decode(&bytes, framing);
            assert!(decoded["control"].is_null(), "{}: {decoded}", e.uid);
            assert_eq!(
                view_of_takproto(&decoded),
                view_of_event(e),
                "{} ({framing:?})",
                e.uid
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * events.len());
}

#[test]
fn takproto_bytes_read_the_same_in_takwire() {
    let Some(mut peer) = Takproto::start() else {
        return;
    };
    let mut inputs: Vec<(String, String)> = corpus();
    inputs.extend(generated().iter().map(|e| (e.uid.clone(), e.to_xml())));
    for (name, xml) in &inputs {
        let original = Event::from_xml(xml.as_bytes()).unwrap();
        for framing in [Framing::Stream, Framing::Mesh] {
            let bytes = peer.encode(xml, framing);
            let got = frames_to_events(&bytes, Some(framing), 1 << 20).unwrap_or_else(|e| {
                panic!("{name} ({framing:?}): takwire cannot read takproto's bytes: {e}")
            });
            assert_eq!(got.len(), 1, "{name}");
            let got = &got[0];
            // Exactly what takproto itself reads in those bytes...
            let theirs = view_of_takproto(&peer.decode(&bytes, framing));
            assert_eq!(view_of_event(got), theirs, "{name} ({framing:?})");
            // ...and the original event, less what takproto drops.
            if let Err(e) = same_as_takproto_keeps(&original, got) {
                panic!("{name} ({framing:?}): {e}");
            }
        }
    }
}

#[test]
fn generated_events_use_the_typed_fields_exactly_when_they_fit() {
    // Direction 1 would also pass if takwire sent everything as xmlDetail; check that the
    // typed fields are used where they can be (takproto shows them as `typed`).
    let Some(mut peer) = Takproto::start() else {
        return;
    };
    let mut typed_names = |e: &Event| -> Vec<String> {
        let mut bytes = Vec::new();
        write_frame(e, Framing::Mesh, &mut bytes).unwrap();
        let v = peer.decode(&bytes, Framing::Mesh);
        let mut names: Vec<String> = v["event"]["typed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let t = t.as_str().unwrap();
                t[1..t.find(' ').unwrap_or(t.len() - 2)].to_string()
            })
            .collect();
        names.sort();
        names
    };
    let events = generated();
    let by_uid = |uid: &str| events.iter().find(|e| e.uid == uid).unwrap();
    let mut all: Vec<String> = TYPED.iter().map(|s| s.to_string()).collect();
    all.sort();
    assert_eq!(typed_names(by_uid("gen-all-typed")), all);
    assert_eq!(typed_names(by_uid("gen-typed-escapes")), all);
    assert!(typed_names(by_uid("gen-typed-not-fitting")).is_empty());
    assert_eq!(typed_names(by_uid("gen-typed-duplicates")), vec!["status"]);
    assert_eq!(
        typed_names(by_uid("gen-contact-empty-endpoint")),
        vec!["__group"]
    );
    // The ATAK PLI of the corpus: everything but the contact (it has a phone attribute).
    let pli = corpus()
        .into_iter()
        .find(|(n, _)| n == "atak_pli.xml")
        .unwrap()
        .1;
    let pli = Event::from_xml(pli.as_bytes()).unwrap();
    assert_eq!(
        typed_names(&pli),
        vec!["__group", "precisionlocation", "status", "takv", "track"]
    );
}

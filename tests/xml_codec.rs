//! The XML codec on a corpus of real-world events, and on hostile input.

use std::path::PathBuf;

use takwire::cot::{CotTime, Event};
use takwire::framing::{FrameError, Message, StreamDecoder};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/xml");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "corpus too small: {files:?}");
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn corpus_round_trips() {
    for (name, bytes) in corpus() {
        let ev = Event::from_xml(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = ev.to_xml();
        let again = Event::from_xml(written.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: rewritten: {e}\n{written}"));
        assert_eq!(again, ev, "{name}");
        // Writing is stable: the second write is byte-identical.
        assert_eq!(again.to_xml(), written, "{name}");
        // Every detail child of the original survives verbatim.
        let doc = roxmltree_children(&bytes);
        for child in doc {
            assert!(written.contains(&child), "{name}: lost {child}");
        }
    }
}

/// The source text of each element child of `<detail>` in the original document, found with
/// roxmltree directly (not through takwire's model).
fn roxmltree_children(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).unwrap();
    let doc = roxmltree::Document::parse(text).unwrap();
    let detail = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("detail"));
    detail
        .map(|d| {
            d.children()
                .filter(|n| n.is_element())
                .map(|n| text[n.range()].to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn corpus_fields_are_read() {
    let by_name: std::collections::HashMap<String, Event> = corpus()
        .into_iter()
        .map(|(n, b)| (n, Event::from_xml(&b).unwrap()))
        .collect();
    let pli = &by_name["atak_pli.xml"];
    assert_eq!(pli.uid, "ANDROID-589520ccfcd20f01");
    assert_eq!(pli.cot_type, "a-f-G-U-C");
    assert_eq!(pli.how, "h-e");
    assert_eq!(
        pli.time,
        "2026-03-14T15:09:26.535Z".parse::<CotTime>().unwrap()
    );
    assert_eq!(pli.point.lat, 43.97957317);
    assert_eq!(pli.point.hae, 26.767999);
    for part in [
        "takv",
        "contact",
        "uid",
        "precisionlocation",
        "__group",
        "status",
        "track",
    ] {
        assert!(pli.detail.element(part).is_some(), "missing {part}");
    }
    assert_eq!(
        pli.detail
            .element("contact")
            .unwrap()
            .attribute("callsign")
            .as_deref(),
        Some("HOPE")
    );
    let chat = &by_name["geochat.xml"];
    assert_eq!(
        chat.detail.element("remarks").unwrap().text().as_deref(),
        Some("Rally at the bridge & bring the <spare> radio \"now\" — 🚩")
    );
    let cas = &by_name["casevac.xml"];
    assert_eq!(cas.access.as_deref(), Some("Unclassified"));
    assert_eq!(cas.qos.as_deref(), Some("1-r-c"));
    assert_eq!(cas.opex.as_deref(), Some("e-exercise"));
    assert_eq!(cas.caveat.as_deref(), Some("FOUO"));
    assert_eq!(cas.releasable_to.as_deref(), Some("USA GBR"));
    let hello = &by_name["pytak_hello.xml"];
    assert_eq!(hello.uid, "takPing");
    assert_eq!(
        hello.time.as_millis() % 1000,
        123,
        "microseconds truncate to ms"
    );
    let poly = &by_name["shape_polygon.xml"];
    assert_eq!(
        poly.detail.iter().filter(|e| e.name() == "link").count(),
        21
    );
}

#[test]
fn builders() {
    let h = Event::hello(std::time::Duration::from_secs(120));
    assert_eq!(
        (h.uid.as_str(), h.cot_type.as_str(), h.how.as_str()),
        ("takPing", "t-x-d-d", "m-g")
    );
    assert_eq!(h.stale.as_millis() - h.time.as_millis(), 120_000);
    let p = Event::position(
        "u1",
        "a-f-G",
        1.25,
        -2.5,
        std::time::Duration::from_secs(600),
    );
    assert_eq!((p.point.lat, p.point.lon), (1.25, -2.5));
    assert_eq!(p.point.hae, takwire::cot::UNKNOWN);
    assert_eq!(p.stale.as_millis() - p.time.as_millis(), 600_000);
    assert_eq!(Event::from_xml(p.to_xml().as_bytes()).unwrap(), p);
}

#[test]
fn bad_events_are_errors_that_say_why() {
    let good = r#"<event version="2.0" uid="u" type="a" how="m-g" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:01:00Z"><point lat="1" lon="2" hae="0" ce="0" le="0"/><detail/></event>"#;
    assert!(Event::from_xml(good.as_bytes()).is_ok());
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (good.as_bytes()[..good.len() - 10].to_vec(), "not well-formed"),
        (good.replace("uid=\"u\" ", "").into_bytes(), "no uid"),
        (good.replace("type=\"a\" ", "").into_bytes(), "no type"),
        (good.replace("stale=\"2026-01-01T00:01:00Z\"", "").into_bytes(), "no stale"),
        (good.replace("time=\"2026-01-01T00:00:00Z\" ", "time=\"noon\" ").into_bytes(), "invalid time"),
        (good.replace("lat=\"1\"", "lat=\"north\"").into_bytes(), "lat"),
        (good.replace("lat=\"1\"", "lat=\"NaN\"").into_bytes(), "finite"),
        (good.replace("<point lat=\"1\" lon=\"2\" hae=\"0\" ce=\"0\" le=\"0\"/>", "").into_bytes(), "no <point>"),
        (good.replace("<event ", "<evnt ").replace("</event>", "</evnt>").into_bytes(), "expected <event>"),
        ({
            let mut b = good.as_bytes().to_vec();
            b[30] = 0xff;
            b
        }, "UTF-8"),
        (
            format!("<!DOCTYPE event [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>{}", good.replace("uid=\"u\"", "uid=\"&b;\"")).into_bytes(),
            "not well-formed",
        ),
        (b"".to_vec(), "not well-formed"),
    ];
    for (input, why) in cases {
        let e = Event::from_xml(&input).unwrap_err().to_string();
        assert!(e.contains(why), "{}: {e}", String::from_utf8_lossy(&input));
    }
}

#[test]
fn a_node_bomb_is_refused() {
    let mut s = String::from(
        r#"<event uid="u" type="a" time="2026-01-01T00:00:00Z" stale="2026-01-01T00:00:00Z"><point lat="0" lon="0"/><detail>"#,
    );
    for _ in 0..70_000 {
        s.push_str("<a/>");
    }
    s.push_str("</detail></event>");
    let e = Event::from_xml(s.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("nodes"), "{e}");
}

#[test]
fn stream_of_corpus_with_hostile_bytes_between() {
    let events: Vec<Vec<u8>> = corpus().into_iter().map(|(_, b)| b).collect();
    let mut stream = Vec::new();
    for (i, e) in events.iter().enumerate() {
        stream.extend_from_slice(e);
        match i % 4 {
            0 => stream.extend_from_slice(b"\n\n"),
            1 => stream.extend_from_slice(b"\x00\xff\xfe random junk \x01"),
            2 => stream.extend_from_slice(b"<event uid=\"half\"><detail><contact "),
            _ => {}
        }
    }
    let mut d = StreamDecoder::new(64 * 1024);
    let mut good = 0;
    let mut problems = 0;
    for chunk in stream.chunks(97) {
        d.push(chunk);
        while let Some(m) = d.next_message() {
            match m {
                Ok(Message::Xml(x)) => {
                    Event::from_xml(x).unwrap();
                    good += 1;
                }
                Ok(Message::Tak(_)) => panic!("no TAK frames here"),
                Err(FrameError::Garbage { .. } | FrameError::Truncated { .. }) => problems += 1,
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert_eq!(good, events.len());
    assert!(problems >= events.len() / 2, "{problems}");
}

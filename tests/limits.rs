//! The input limits (see "Limits" in the crate documentation), and the problems fuzzing
//! found: each is refused with an error that names the limit, or handled without loss.

use takwire::cot::{Detail, Event, MAX_DETAIL_CHILDREN, xml};
use takwire::framing::{FrameError, Message, StreamDecoder};
use takwire::url::{CotUrl, TakUrl};

const HEAD: &str = "<event version='2.0' uid='u' type='a-f-G' time='2026-01-01T00:00:00Z' stale='2026-01-01T00:01:00Z'";

fn event_with_detail(inner: &str) -> String {
    format!("{HEAD}><point lat='1' lon='2'/><detail>{inner}</detail></event>")
}

fn err(xml: &str) -> String {
    Event::from_xml(xml.as_bytes()).unwrap_err().to_string()
}

#[test]
fn an_element_with_too_many_attributes_is_refused() {
    let attrs = |n: usize| (0..n).map(|i| format!(" a{i}=\"{i}\"")).collect::<String>();
    let ok = event_with_detail(&format!("<x{}/>", attrs(xml::MAX_ATTRIBUTES)));
    assert!(Event::from_xml(ok.as_bytes()).is_ok());
    // Quotes, `>` and `=` inside values, comments and CDATA do not confuse the count.
    let tricky = event_with_detail(&format!(
        "<!-- {} --><![CDATA[{}]]><x a='=>=' b=\"'='\"/>",
        attrs(1000),
        attrs(1000)
    ));
    assert!(Event::from_xml(tricky.as_bytes()).is_ok());
    let e = err(&event_with_detail(&format!(
        "<x{}/>",
        attrs(xml::MAX_ATTRIBUTES + 1)
    )));
    assert!(e.contains("more than 256 attributes"), "{e}");
    // On the event element itself, and in a detail given on its own.
    let e = err(&format!(
        "{HEAD}{}><point lat='1' lon='2'/></event>",
        attrs(300)
    ));
    assert!(e.contains("attributes"), "{e}");
    assert!(Detail::from_inner_xml(&format!("<x{}/>", attrs(300))).is_err());
}

#[test]
fn too_many_namespace_declarations_are_refused() {
    let decls = |n: usize| {
        (0..n)
            .map(|i| format!("<x{i} xmlns:p{i} = 'urn:{i}'>"))
            .collect::<String>()
    };
    let close = |n: usize| (0..n).rev().map(|i| format!("</x{i}>")).collect::<String>();
    let n = xml::MAX_NAMESPACES;
    assert!(Event::from_xml(event_with_detail(&(decls(n) + &close(n))).as_bytes()).is_ok());
    let e = err(&event_with_detail(&(decls(n + 1) + &close(n + 1))));
    assert!(e.contains("namespace declarations"), "{e}");
}

#[test]
fn too_many_detail_children_are_refused() {
    let children = |n: usize| "<link point='1,2'/>".repeat(n);
    let ok = Event::from_xml(event_with_detail(&children(MAX_DETAIL_CHILDREN)).as_bytes()).unwrap();
    assert_eq!(ok.detail.len(), MAX_DETAIL_CHILDREN);
    let e = err(&event_with_detail(&children(MAX_DETAIL_CHILDREN + 1)));
    assert!(e.contains("10001 children") && e.contains("10000"), "{e}");
    // As TAK protocol's xmlDetail carries it, too.
    let e = Detail::from_inner_xml(&children(MAX_DETAIL_CHILDREN + 1))
        .unwrap_err()
        .to_string();
    assert!(e.contains("children"), "{e}");
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let depth = 60_000;
    let inner = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let ev = Event::from_xml(event_with_detail(&inner).as_bytes()).unwrap();
    assert_eq!(ev.detail.element("a").unwrap().text().as_deref(), Some(""));
    // Past the node limit: refused, not crashed.
    let inner = format!("{}{}", "<a>".repeat(70_000), "</a>".repeat(70_000));
    assert!(Event::from_xml(event_with_detail(&inner).as_bytes()).is_err());
}

#[test]
fn namespaces_survive_a_round_trip_and_detail_elements_stand_alone() {
    let xml = "<event xmlns:x='urn:x' x:a='1' version='2.0' uid='n' type='a' time='2026-01-01T00:00:00Z' stale='2026-01-01T00:01:00Z'>\
         <point lat='1' lon='2'/><detail xmlns:d='urn:d'><x:b k='v'/><d:c x:k='w'>t</d:c><plain/></detail><x:extra/></event>";
    let ev = Event::from_xml(xml.as_bytes()).unwrap();
    let back = Event::from_xml(ev.to_xml().as_bytes()).unwrap();
    assert_eq!(back, ev);
    // Each prefixed element carries the declarations it needs.
    assert_eq!(ev.detail.get("b"), Some("<x:b xmlns:x=\"urn:x\" k='v'/>"));
    assert_eq!(ev.detail.element("c").unwrap().text().as_deref(), Some("t"));
    assert_eq!(
        ev.detail.element("b").unwrap().attribute("k").as_deref(),
        Some("v")
    );
    assert_eq!(ev.detail.get("plain"), Some("<plain/>"));
    // And the detail reads back alone, as TAK protocol's xmlDetail.
    let alone = Detail::from_inner_xml(&ev.detail.inner_xml()).unwrap();
    assert_eq!(alone, ev.detail);
}

#[test]
fn detail_text_split_by_comments_reads_back_the_same() {
    // Found by fuzzing: text on both sides of a comment came back as one piece.
    let d = Detail::from_inner_xml("a<!-- c -->b<x/>  <!-- c -->  ").unwrap();
    assert_eq!(d.inner_xml(), "ab<x/>");
    assert_eq!(Detail::from_inner_xml(&d.inner_xml()).unwrap(), d);
}

#[test]
fn times_outside_the_writable_years_are_refused() {
    for t in ["9999-12-31T23:59:59-01:00", "0000-01-01T00:00:00+00:01"] {
        let e = err(&format!(
            "<event uid='u' type='a' time='{t}' stale='2026-01-01T00:00:00Z'><point lat='1' lon='2'/></event>"
        ));
        assert!(e.contains("time") && e.contains("out of range"), "{t}: {e}");
    }
    for t in ["9999-12-31T23:59:59.999Z", "0000-01-01T00:00:00Z"] {
        let ev = Event::from_xml(
            format!(
                "<event uid='u' type='a' time='{t}' stale='{t}'><point lat='1' lon='2'/></event>"
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(Event::from_xml(ev.to_xml().as_bytes()).unwrap(), ev);
    }
}

#[test]
fn hosts_with_url_delimiters_are_refused() {
    // Found by fuzzing: `host=a/b` in a tak:// link resolved to a COT_URL that read back
    // differently.
    let e = TakUrl::parse("tak://com.atakmap.app/enroll?host=tak/evil&username=u&token=t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("invalid host"), "{e}");
    for u in ["tcp://h?x:1", "tcp://h#x", "udp://a%b:1", "tcp://a]b"] {
        assert!(CotUrl::parse(u).is_err(), "{u}");
    }
}

/// Everything a decoder delivers from `stream` pushed in 64 KiB reads.
fn decode(stream: &[u8]) -> (Vec<Vec<u8>>, Vec<FrameError>) {
    let mut d = StreamDecoder::new(1 << 20);
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for chunk in stream.chunks(64 * 1024) {
        d.push(chunk);
        while let Some(m) = d.next_message() {
            match m {
                Ok(Message::Xml(x) | Message::Tak(x)) => ok.push(x.to_vec()),
                Err(e) => bad.push(e),
            }
            assert!(d.buffered() <= (1 << 20) + 64 * 1024);
        }
    }
    bad.extend(d.finish());
    (ok, bad)
}

#[test]
fn floods_of_openers_are_skipped_and_the_next_event_is_found() {
    let good = format!("{HEAD}><point lat='1' lon='2'/></event>");
    for opener in ["<?", "<!--"] {
        let mut stream = opener.repeat((1 << 20) / opener.len()).into_bytes();
        stream.extend_from_slice(good.as_bytes());
        // A `<` ends a would-be declaration at once; a comment may hold anything, so the
        // event is known not to be in one only when MAX_DECLARATION bytes passed without
        // a `-->`.
        if opener == "<!--" {
            stream.extend(std::iter::repeat_n(b'\n', StreamDecoder::MAX_DECLARATION));
        }
        let (ok, bad) = decode(&stream);
        assert_eq!(ok, vec![good.as_bytes().to_vec()], "{opener}");
        assert!(
            bad.iter().all(|e| matches!(e, FrameError::Garbage { .. })),
            "{bad:?}"
        );
    }
    // A long declaration: up to MAX_DECLARATION it is skipped whole.
    let decl = format!(
        "<?xml {}?>",
        " ".repeat(StreamDecoder::MAX_DECLARATION - 10)
    );
    let (ok, bad) = decode(format!("{decl}{good}").as_bytes());
    assert_eq!((ok.len(), bad.len()), (1, 0));
}

#[test]
fn a_stream_that_ends_inside_a_tak_frame_reports_it() {
    let (ok, bad) = decode(b"\xbf\x64only ten b");
    assert!(ok.is_empty());
    assert_eq!(bad, vec![FrameError::Truncated { bytes: 12 }]);
}

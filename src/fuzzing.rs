//! Entry points shared by the fuzz targets in `fuzz/` and the seed replay test
//! `tests/fuzz_corpus.rs`. Not part of the public API: hidden from the docs, may change
//! at any time.
//!
//! Each entry point takes arbitrary bytes, feeds them to one parser that reads data from
//! outside (a socket, a file, the environment), and checks properties that must hold for
//! every input: no panic, bounded memory, and round trips (what takwire parsed, it can
//! write, and what it wrote parses back to the same value). A broken property panics,
//! which is how a fuzzer (and the replay test) notices it.
//!
//! Adding a target (the Marti poll answer comes with its issue):
//! write `pub fn NAME(data: &[u8])` here, add it to [`TARGETS`], add
//! `fuzz/fuzz_targets/NAME.rs` (three lines, like the others) with its `[[bin]]` in
//! `fuzz/Cargo.toml`, and put a few small seed files in `fuzz/seeds/NAME/`.
//! `tests/fuzz_corpus.rs` checks that all four agree.

// This module exists to panic when a property breaks: that is what the fuzzer detects.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use crate::config::ConfigBuilder;
use crate::cot::{Detail, Event, xml};
use crate::framing::{
    FrameError, MESH_HEADER, Message, StreamDecoder, TAK_MAGIC, decode_datagram, decode_ws_message,
    write_stream_frame,
};
use crate::url::{CotUrl, TakUrl, percent_decode, redact_tak_url};
use crate::wire;

/// One fuzz target: its name (the file names in `fuzz/`) and its entry point.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The target's name: `fuzz/fuzz_targets/NAME.rs`, `fuzz/seeds/NAME/`.
    pub name: &'static str,
    /// The entry point.
    pub run: fn(&[u8]),
}

/// Every fuzz target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "xml_event",
        run: xml_event,
    },
    Target {
        name: "stream_split",
        run: stream_split,
    },
    Target {
        name: "datagram",
        run: datagram,
    },
    Target {
        name: "tak_message",
        run: tak_message,
    },
    Target {
        name: "ws_message",
        run: ws_message,
    },
    Target {
        name: "cot_url",
        run: cot_url,
    },
    Target {
        name: "ini_config",
        run: ini_config,
    },
    Target {
        name: "detail_xml",
        run: detail_xml,
    },
    Target {
        name: "xml_fast_path",
        run: xml_fast_path,
    },
    #[cfg(feature = "marti")]
    Target {
        name: "marti_answer",
        run: marti_answer,
    },
    Target {
        name: "data_package",
        run: data_package,
    },
    Target {
        name: "enroll_answer",
        run: enroll_answer,
    },
];

/// The target named `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().copied().find(|t| t.name == name)
}

/// Checks that `ev` written as XML parses back to itself.
fn assert_xml_round_trip(ev: &Event, origin: &str) {
    let written = ev.to_xml();
    match xml::parse(written.as_bytes()) {
        Ok(back) => assert_eq!(
            &back, ev,
            "{origin}: the event changed on an XML round trip through {written:?}"
        ),
        Err(e) => panic!("{origin}: takwire wrote XML it cannot read back ({e}): {written:?}"),
    }
}

/// An XML `<event>` as it arrives from a peer (`cot::xml::parse`).
pub fn xml_event(data: &[u8]) {
    if let Ok(ev) = xml::parse(data) {
        assert_xml_round_trip(&ev, "xml_event");
    }
}

/// A tiny deterministic generator (xorshift), so chunkings are reproducible from the input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// What a decoder delivered, owned, for comparisons.
#[derive(Debug, PartialEq, Eq)]
enum Delivered {
    Xml(Vec<u8>),
    Tak(Vec<u8>),
}

fn check_message(m: &Message<'_>, max: usize) -> Delivered {
    match *m {
        Message::Xml(x) => {
            assert!(
                x.starts_with(b"<event") && x.ends_with(b">"),
                "an XML message is not an <event> element: {:?}",
                String::from_utf8_lossy(x)
            );
            assert!(x.len() <= max, "XML event of {} > max {max}", x.len());
            Delivered::Xml(x.to_vec())
        }
        Message::Tak(p) => {
            assert!(p.len() <= max, "TAK payload of {} > max {max}", p.len());
            Delivered::Tak(p.to_vec())
        }
    }
}

/// Splits `stream` with a decoder bounded by `max`, pushing it in the given chunk sizes
/// (cycled). Checks the memory bound after every chunk; returns what was delivered.
fn split(stream: &[u8], max: usize, chunks: &[usize]) -> Vec<Delivered> {
    let mut d = StreamDecoder::new(max);
    let max = d.max();
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < stream.len() {
        let n = chunks[i % chunks.len()].min(stream.len() - at);
        i += 1;
        d.push(&stream[at..at + n]);
        at += n;
        while let Some(m) = d.next_message() {
            if let Ok(m) = m {
                out.push(check_message(&m, max));
            }
        }
        // Bytes held between reads: at most one message being assembled (or a declaration
        // being looked at) plus the chunk just pushed.
        let bound = max.max(StreamDecoder::MAX_DECLARATION) + n + 16;
        assert!(
            d.buffered() <= bound,
            "decoder holds {} bytes after a push of {n} (max {max}, bound {bound})",
            d.buffered()
        );
    }
    let _ = d.finish();
    assert_eq!(d.buffered(), 0, "finish must empty the decoder");
    out
}

/// The stream splitter (`framing::StreamDecoder`), fed in random chunk sizes.
///
/// Input: byte 0 picks the size bound, byte 1 seeds the chunk sizes, the rest is the stream.
/// Besides the memory bound, the messages delivered must not depend on how the stream was
/// cut into reads: TCP may segment it any way.
pub fn stream_split(data: &[u8]) {
    let [sel, seed, stream @ ..] = data else {
        return;
    };
    // Small bounds reach the oversized paths; 0 means the default bound.
    let max = match *sel {
        0 => crate::framing::DEFAULT_MAX_MESSAGE,
        s => 16 + usize::from(s) * 16,
    };
    let whole = split(stream, max, &[stream.len().max(1)]);
    let mut rng = Rng(u64::from(*seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let chunks: Vec<usize> = (0..16)
        .map(|_| match rng.next() % 4 {
            0 => 1,
            1 => 1 + (rng.next() % 8) as usize,
            2 => 1 + (rng.next() % 64) as usize,
            _ => 1 + (rng.next() % 1024) as usize,
        })
        .collect();
    let pieces = split(stream, max, &chunks);
    assert_eq!(
        whole, pieces,
        "messages depend on how the stream was cut (chunks {chunks:?})"
    );
}

/// One UDP datagram (`framing::decode_datagram`).
///
/// Input: byte 0 picks the size bound, the rest is the datagram. Decoding the same datagram
/// twice with one decoder must give the same result: no state carries over.
pub fn datagram(data: &[u8]) {
    let [sel, datagram @ ..] = data else {
        return;
    };
    let max = match *sel {
        0 => crate::transport::udp::MAX_DATAGRAM,
        s => 16 + usize::from(s) * 16,
    };
    let mut decoder = StreamDecoder::new(max);
    let run = |decoder: &mut StreamDecoder| {
        let mut out: Vec<Result<Delivered, FrameError>> = Vec::new();
        decode_datagram(datagram, max, decoder, |m| {
            out.push(m.map(|m| check_message(&m, max)));
        });
        assert_eq!(
            decoder.buffered(),
            0,
            "a datagram left bytes in the decoder"
        );
        out
    };
    let first = run(&mut decoder);
    let second = run(&mut decoder);
    assert_eq!(
        first, second,
        "decoding a datagram depends on the one before"
    );
}

/// A TAK protocol v1 payload (`wire::decode` of a `Message::Tak`, which calls
/// `proto::decode_event`). An event decoded from protobuf must be writable as XML that reads
/// back the same, and must survive a protobuf round trip.
pub fn tak_message(data: &[u8]) {
    let Ok(ev) = wire::decode(Message::Tak(data)) else {
        return;
    };
    assert_xml_round_trip(&ev, "tak_message");
    let mut encoded = Vec::new();
    match crate::proto::encode_event(&ev, &mut encoded) {
        Ok(()) => match wire::decode(Message::Tak(&encoded)) {
            Ok(back) => assert_eq!(
                in_proto_order(back),
                in_proto_order(ev),
                "the event changed on a protobuf round trip"
            ),
            Err(e) => panic!("takwire encoded a TAK message it cannot decode: {e}"),
        },
        Err(e) => panic!("a decoded event cannot be encoded again: {e}"),
    }
}

/// `event` with its detail in the order a protobuf round trip gives: a typed element
/// ([`crate::proto::TYPED_ELEMENTS`]) that appears once moves to the end, in that list's
/// order; all other elements keep theirs.
fn in_proto_order(mut event: Event) -> Event {
    let names = crate::proto::TYPED_ELEMENTS;
    let rank = |d: &Detail, name: &str| {
        let once = d.iter().filter(|e| e.name() == name).count() == 1;
        names
            .iter()
            .position(|n| *n == name)
            .filter(|_| once)
            .map_or(0, |i| i + 1)
    };
    let mut keyed: Vec<(usize, crate::cot::DetailElement)> = event
        .detail
        .iter()
        .map(|e| (rank(&event.detail, e.name()), e))
        .collect();
    keyed.sort_by_key(|(r, _)| *r);
    let mut detail = Detail::new();
    for (_, e) in keyed {
        detail.push_verbatim(e.name(), e.xml());
    }
    event.detail = detail;
    event
}

/// One WebSocket message (`framing::decode_ws_message`).
///
/// Input: byte 0 picks the size bound, the rest is the message. A TAK payload is the end of
/// the message within the bound, and a stream-framed one written again gives the message
/// back; an XML message is the whole message. Whatever is delivered then decodes (or fails)
/// without panicking, and a decoded event round-trips through XML.
pub fn ws_message(data: &[u8]) {
    let [sel, msg @ ..] = data else {
        return;
    };
    let max = 16 + usize::from(*sel) * 16;
    let Some(result) = decode_ws_message(msg, max) else {
        assert!(
            msg.iter().all(u8::is_ascii_whitespace),
            "a message with content gave nothing"
        );
        return;
    };
    let Ok(m) = result else { return };
    match m {
        Message::Tak(p) => {
            assert!(p.len() <= max, "TAK payload of {} > max {max}", p.len());
            assert!(
                msg.ends_with(p),
                "the payload is not the end of the message"
            );
            if msg.first() == Some(&TAK_MAGIC) && !msg.starts_with(&MESH_HEADER) {
                // Written again (with the shortest length varint, which a sender need not
                // have used), it reads back to the same payload.
                let mut again = Vec::new();
                write_stream_frame(p, &mut again);
                match decode_ws_message(&again, max) {
                    Some(Ok(Message::Tak(back))) => {
                        assert_eq!(back, p, "a stream frame written again reads differently")
                    }
                    other => panic!("a stream frame written again reads as {other:?}"),
                }
            }
        }
        Message::Xml(x) => {
            assert_eq!(x, msg, "an XML message is not the whole message");
            assert!(x.len() <= max, "XML event of {} > max {max}", x.len());
        }
    }
    if let Ok(ev) = wire::decode(m) {
        assert_xml_round_trip(&ev, "ws_message");
    }
}

/// `COT_URL` and `tak://` parsing (`url`). A parsed URL written out parses back the same.
pub fn cot_url(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(url) = CotUrl::parse(text) {
        let written = url.to_string();
        match CotUrl::parse(&written) {
            Ok(back) => assert_eq!(back, url, "COT_URL changed through {written:?}"),
            Err(e) => panic!("takwire wrote a COT_URL it cannot read back ({e}): {written:?}"),
        }
        let _ = url.authority();
        let _ = url.is_multicast();
    }
    if let Ok(tak) = TakUrl::parse(text) {
        let resolved = tak.resolved_cot_url();
        let written = resolved.to_string();
        match CotUrl::parse(&written) {
            Ok(back) => assert_eq!(back, resolved, "resolved URL changed through {written:?}"),
            Err(e) => panic!("a tak:// link resolved to an unreadable COT_URL ({e}): {written:?}"),
        }
    }
    let _ = redact_tak_url(text);
    let _ = percent_decode(text, true);
    let _ = percent_decode(text, false);
}

/// An INI configuration file (`ConfigBuilder::ini_str`, then `build`), read as section
/// `takwire`, loosely and strictly.
pub fn ini_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for strict in [false, true] {
        let Ok(builder) = ConfigBuilder::new().strict(strict).ini_str(text, "takwire") else {
            return;
        };
        if let Ok(config) = builder.build() {
            let written = config.cot_url.to_string();
            assert!(
                CotUrl::parse(&written).is_ok(),
                "configured COT_URL cannot be read back: {written:?}"
            );
        }
    }
}

/// The inner XML of a `<detail>` (`cot::Detail::from_inner_xml`), as TAK protocol's
/// `xmlDetail` carries it, and one detail element given as XML (`Detail::push_raw`).
pub fn detail_xml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(detail) = Detail::from_inner_xml(text) {
        let inner = detail.inner_xml();
        match Detail::from_inner_xml(&inner) {
            Ok(back) => assert_eq!(back, detail, "detail changed through {inner:?}"),
            Err(e) => panic!("detail written as {inner:?} cannot be read back: {e}"),
        }
        for e in detail.iter() {
            let _ = (e.name(), e.attributes(), e.attribute("callsign"), e.text());
        }
        let mut ev = Event::builder("fuzz", "a-f-G").build();
        ev.detail = detail;
        assert_xml_round_trip(&ev, "detail_xml");
    }
    let mut d = Detail::new();
    if d.push_raw(text).is_ok() {
        let inner = d.inner_xml();
        match Detail::from_inner_xml(&inner) {
            Ok(back) => assert_eq!(back.len(), 1, "push_raw took more than one element"),
            Err(e) => panic!("push_raw accepted {inner:?}, which does not read back: {e}"),
        }
    }
}

/// The fast CoT XML path (`cot::scan`) against the full parser (roxmltree).
///
/// Input: byte 0 picks what is read (even: an event, odd: a detail's inner XML as in TAK
/// protocol's `xmlDetail`), the rest is the text. Whatever the fast path accepts, the full
/// parser accepts too and reads to the same value; the fast path only ever declines.
pub fn xml_fast_path(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if mode % 2 == 0 {
        if let Some(fast) = crate::cot::scan::event(text) {
            match xml::parse_tree(text) {
                Ok(full) => assert_eq!(fast, full, "the two paths read {text:?} differently"),
                Err(e) => panic!("the fast path accepted {text:?}, the full parser says: {e}"),
            }
        }
    } else if let Some(fast) = crate::cot::scan::detail(text) {
        match Detail::from_inner_xml_tree(text) {
            Ok(full) => assert_eq!(fast, full, "the two paths read {text:?} differently"),
            Err(e) => panic!("the fast path accepted {text:?}, the full parser says: {e}"),
        }
    }
}

/// Whether the fast path reads `text` as an event itself (rather than leaving it to the
/// full parser), for tests that check it covers what peers send.
pub fn fast_path_reads(text: &str) -> bool {
    crate::cot::scan::event(text).is_some()
}

/// A Marti poll answer (`transport::marti::answer`): the events taken out of it, and the
/// dedupe applied to them.
///
/// Input: byte 0 picks the size bound on one event, the rest is the answer body. Every event
/// handed out must be a piece of the body within the bound, starting `<event` and ending
/// `>`; the summary must count what was handed out; and feeding the same answer again must
/// deliver none of the events that carry a uid and a time (the rule for overlapping poll
/// windows).
#[cfg(feature = "marti")]
pub fn marti_answer(data: &[u8]) {
    use crate::transport::marti::answer::{Dedupe, extract, uid_and_time};
    let [sel, body @ ..] = data else {
        return;
    };
    let max = match *sel {
        0 => crate::framing::DEFAULT_MAX_MESSAGE,
        s => 16 + usize::from(s) * 16,
    };
    let mut dedupe = Dedupe::default();
    let (mut events, mut errors, mut first_new) = (Vec::new(), 0usize, 0usize);
    let summary = extract(body, max, &mut |m| match m {
        Ok(x) => {
            assert!(
                x.len() <= max,
                "event of {} bytes over the bound {max}",
                x.len()
            );
            assert!(
                x.starts_with(b"<event") && x.ends_with(b">"),
                "not an event: {x:?}"
            );
            if let Some((uid, time)) = uid_and_time(x) {
                for part in [uid, time] {
                    let r = part.as_ptr_range();
                    assert!(x.as_ptr_range().start <= r.start && r.end <= x.as_ptr_range().end);
                }
            }
            if dedupe.is_new(x) {
                first_new += 1;
            }
            events.push(x.to_vec());
        }
        Err(_) => errors += 1,
    });
    // The decoder copies the body into its own buffer, so events are checked by content.
    for e in &events {
        assert!(
            body.windows(e.len()).any(|w| w == e.as_slice()),
            "an event that is not in the answer"
        );
    }
    assert_eq!(summary.events, events.len());
    assert_eq!(summary.errors, errors);
    assert!(!(summary.not_cot && summary.events > 0));
    assert!(dedupe.len() <= first_new);
    let mut again = 0usize;
    extract(body, max, &mut |m| {
        if let Ok(x) = m
            && dedupe.is_new(x)
        {
            assert!(
                uid_and_time(x).is_none(),
                "a known (uid, time) delivered twice"
            );
            again += 1;
        }
    });
    let anonymous = events.iter().filter(|e| uid_and_time(e).is_none()).count();
    assert_eq!(again, anonymous);
}

/// A data package zip as it arrives in a file (`package::DataPackage::from_bytes`): never
/// panics, and what it imports is consistent: the connect string gives the `COT_URL`, and
/// that URL reads back the same through the configuration. Without the `package` feature
/// there is nothing to check.
pub fn data_package(data: &[u8]) {
    #[cfg(feature = "package")]
    if let Ok(p) = crate::package::DataPackage::from_bytes("fuzz.zip", data.to_vec()) {
        let url = crate::package::connect_string_to_url(&p.connect_string)
            .expect("an imported connect string reads again");
        assert_eq!(
            url, p.cot_url,
            "the COT_URL differs from its connect string"
        );
        let config = ConfigBuilder::new()
            .package_values(p.config_values())
            .build()
            .expect("a configuration from an imported package builds");
        assert_eq!(
            config.cot_url, p.cot_url,
            "the COT_URL changed through Config"
        );
        if let Some(cert) = &p.client_cert {
            assert!(
                !cert.data.is_empty(),
                "an empty client certificate was accepted"
            );
        }
    }
    #[cfg(not(feature = "package"))]
    let _ = data;
}

/// A TAK Server enrollment answer (`takwire::enroll::answer`): the first byte picks the
/// parser (even: `/Marti/api/tls/config` XML, odd: `signClient/v2` JSON), the rest is the
/// answer. Properties: no panic; the name entries are known keys with non-empty values,
/// each once, and bounded; a v2 answer gives X.509 certificates and a bounded CA chain.
pub fn enroll_answer(data: &[u8]) {
    #[cfg(feature = "enroll")]
    {
        use crate::enroll::answer::{MAX_CA, MAX_NAME_ENTRIES, NAME_KEYS, name_entries, v2_answer};
        let Some((&pick, body)) = data.split_first() else {
            return;
        };
        if pick % 2 == 0 {
            if let Ok(entries) = name_entries(body) {
                assert!(entries.len() <= MAX_NAME_ENTRIES, "too many name entries");
                for (i, (k, v)) in entries.iter().enumerate() {
                    assert!(NAME_KEYS.contains(&k.as_str()), "unknown name entry {k:?}");
                    assert!(!v.trim().is_empty(), "empty value for {k}");
                    assert!(
                        entries[..i].iter().all(|(other, _)| other != k),
                        "{k} taken twice"
                    );
                }
            }
        } else if let Ok(signed) = v2_answer(body) {
            assert!(signed.ca.len() <= MAX_CA, "CA chain not bounded");
            for der in std::iter::once(&signed.cert).chain(&signed.ca) {
                assert!(
                    x509_parser::parse_x509_certificate(der).is_ok(),
                    "a certificate that does not parse was accepted"
                );
            }
        }
    }
    #[cfg(not(feature = "enroll"))]
    let _ = data;
}

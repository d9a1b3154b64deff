//! The TAK protocol codec on its own: lossless round trips, and bad input that must be an
//! error (never a panic), from a hand-made list and from a deterministic random generator.
//!
//! Tests build with overflow checks on, so arithmetic that would wrap in a release build
//! panics here: a payload that slipped past the structural check into quick-protobuf's
//! reader would show up.

#![cfg(feature = "proto")]

mod common;
mod common_proto;

use std::time::Duration;

use takwire::cot::Event;
use takwire::framing::{FrameError, Message, StreamDecoder, decode_datagram, write_varint};
use takwire::proto::convert::{Framing, frames_to_events, write_frame, xml_to_frames};
use takwire::proto::{Control, Payload, decode, decode_event, encode_event};

use common::{Compare, same_event};
use common_proto::{corpus, generated};

fn all_events() -> Vec<Event> {
    let mut v: Vec<Event> = corpus()
        .iter()
        .map(|(n, x)| Event::from_xml(x.as_bytes()).unwrap_or_else(|e| panic!("{n}: {e}")))
        .collect();
    v.extend(generated());
    v
}

fn payload(e: &Event) -> Vec<u8> {
    let mut out = Vec::new();
    encode_event(e, &mut out).unwrap();
    out
}

#[test]
fn every_event_round_trips_losslessly() {
    for e in all_events() {
        let back = decode_event(&payload(&e)).unwrap();
        same_event(&e, &back, Compare::EXACT).unwrap();
        assert_eq!(back.version, e.version, "{}", e.uid);
        assert_eq!(back.extra_attrs, e.extra_attrs, "{}", e.uid);
        assert_eq!(back.access, e.access, "{}", e.uid);
        assert_eq!(back.qos, e.qos, "{}", e.uid);
        assert_eq!(back.opex, e.opex, "{}", e.uid);
        // Elements without a typed message keep their place and their exact text.
        let untyped = |ev: &Event| -> Vec<String> {
            ev.detail
                .iter()
                .filter(|d| {
                    !matches!(
                        d.name(),
                        "contact" | "__group" | "precisionlocation" | "status" | "takv" | "track"
                    )
                })
                .map(|d| d.xml().to_string())
                .collect()
        };
        assert_eq!(untyped(&back), untyped(&e), "{}", e.uid);
        // And the result is stable: encoding it again gives the same bytes.
        assert_eq!(payload(&back), payload(&e), "{}", e.uid);
    }
}

#[test]
fn carrier_appears_only_when_needed() {
    let plain = all_events()
        .into_iter()
        .find(|e| e.uid == "gen-all-typed")
        .unwrap();
    let p = payload(&plain);
    assert!(!String::from_utf8_lossy(&p).contains(takwire::proto::CARRIER));
    let mut marked = plain.clone();
    marked.caveat = Some("FOUO".into());
    marked.version = "2.1".into();
    let p = payload(&marked);
    let text = String::from_utf8_lossy(&p);
    assert!(
        text.contains(r#"<_takwire_event_ version="2.1" caveat="FOUO"/>"#),
        "{text}"
    );
    let back = decode_event(&p).unwrap();
    assert_eq!(
        (back.version.as_str(), back.caveat.as_deref()),
        ("2.1", Some("FOUO"))
    );
    assert!(back.detail.element(takwire::proto::CARRIER).is_none());
}

#[test]
fn xml_to_proto_and_back_through_convert() {
    let text: String = corpus().iter().map(|(_, x)| x.clone() + "\n").collect();
    let originals = frames_to_events(text.as_bytes(), Some(Framing::Stream), 1 << 20).unwrap();
    assert_eq!(originals.len(), corpus().len());
    let frames = xml_to_frames(text.as_bytes(), Framing::Stream, 1 << 20).unwrap();
    assert_eq!(frames.len(), originals.len());
    let back = frames_to_events(&frames.concat(), None, 1 << 20).unwrap();
    for (a, b) in originals.iter().zip(&back) {
        same_event(a, b, Compare::EXACT).unwrap();
    }
    for (frame, original) in xml_to_frames(text.as_bytes(), Framing::Mesh, 1 << 20)
        .unwrap()
        .iter()
        .zip(&originals)
    {
        let got = frames_to_events(frame, None, 1 << 20).unwrap();
        same_event(original, &got[0], Compare::EXACT).unwrap();
    }
}

/// A TakMessage with one CotEvent holding `fields` (already encoded protobuf fields).
fn message_with_event(fields: &[u8]) -> Vec<u8> {
    let mut out = vec![0x12];
    write_varint(fields.len() as u64, &mut out);
    out.extend_from_slice(fields);
    out
}

/// A length-delimited field (string or message).
fn string_field(field: u8, s: &[u8]) -> Vec<u8> {
    let mut out = vec![(field << 3) | 2];
    write_varint(s.len() as u64, &mut out);
    out.extend_from_slice(s);
    out
}

fn minimal_fields() -> Vec<u8> {
    [string_field(1, b"a-f-G"), string_field(5, b"uid-1")].concat()
}

#[test]
fn bad_payloads_are_errors_that_say_why() {
    let good = message_with_event(&minimal_fields());
    assert_eq!(decode_event(&good).unwrap().uid, "uid-1");

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "neither a CotEvent nor a TakControl"),
        (
            "truncated tag varint",
            vec![0x92],
            "truncated varint (field tag)",
        ),
        (
            "truncated length varint",
            vec![0x12, 0x85],
            "truncated varint (length)",
        ),
        (
            "truncated value varint",
            message_with_event(&[0x30, 0xff, 0xff]),
            "truncated varint",
        ),
        (
            "varint over 10 bytes",
            [vec![0x08], vec![0xff; 10], vec![0x01]].concat(),
            "varint",
        ),
        (
            "length past the end",
            vec![0x12, 0x10, 0x0a, 0x01, b'a'],
            "announces 16 bytes, 3 left",
        ),
        (
            "absurd length",
            [vec![0x12], vec![0xff; 9], vec![0x01]].concat(),
            "left",
        ),
        (
            "nested length past its parent",
            [vec![0x12, 0x03, 0x0a, 0x7f, b'a'], vec![b'x'; 200]].concat(),
            "announces 127 bytes, 1 left",
        ),
        (
            "fixed64 cut short",
            message_with_event(&[0x51, 1, 2, 3]),
            "needs 8 bytes",
        ),
        ("group wire type", vec![0x13, 0x14], "group"),
        ("wire type 7", vec![0x0f], "invalid wire type 7"),
        ("field number 0", vec![0x02, 0x00], "field number 0"),
        (
            "invalid UTF-8 in uid",
            message_with_event(
                &[string_field(1, b"a-f-G"), string_field(5, b"u\xff\xfe")].concat(),
            ),
            "not valid UTF-8",
        ),
        (
            "invalid UTF-8 in xmlDetail",
            message_with_event(
                &[
                    minimal_fields(),
                    string_field(15, &string_field(1, b"\xc3(")),
                ]
                .concat(),
            ),
            "not valid UTF-8",
        ),
        (
            "xmlDetail not well-formed",
            message_with_event(
                &[
                    minimal_fields(),
                    string_field(15, &string_field(1, b"<a><b>")),
                ]
                .concat(),
            ),
            "xmlDetail",
        ),
        (
            "xmlDetail with a DTD",
            message_with_event(
                &[
                    minimal_fields(),
                    string_field(15, &string_field(1, b"<!DOCTYPE x []><x/>&a;")),
                ]
                .concat(),
            ),
            "xmlDetail",
        ),
        (
            "event without uid",
            message_with_event(&string_field(1, b"a-f-G")),
            "no uid",
        ),
        (
            "event without type",
            message_with_event(&string_field(5, b"u")),
            "no type",
        ),
        ("XML instead of protobuf", b"<event uid='x'/>".to_vec(), ""),
    ];
    for (what, bytes, expect) in cases {
        let err = decode(&bytes).expect_err(what).to_string();
        assert!(
            err.contains(expect) && err.contains("TAK protocol"),
            "{what}: {err}"
        );
    }
}

#[test]
fn unknown_fields_from_newer_schemas_are_skipped() {
    // TAK Server's variants add submissionTime/creationTime (varints) to CotEvent (16, 17)
    // or TakMessage (3, 4); a later field could be anything. None of it stops decoding.
    let event = [
        minimal_fields(),
        vec![0x80, 0x01, 0x05, 0x88, 0x01, 0x06],
        [&[0xa2, 0x01, 0x06][..], b"future"].concat(),
        vec![0xa5, 0x01, 1, 2, 3, 4],
    ]
    .concat();
    let msg = [message_with_event(&event), vec![0x18, 0x07, 0x20, 0x08]].concat();
    let e = decode_event(&msg).unwrap();
    assert_eq!((e.uid.as_str(), e.cot_type.as_str()), ("uid-1", "a-f-G"));
}

#[test]
fn control_only_message_is_its_own_payload() {
    // TakMessage { takControl { minProtoVersion: 1, maxProtoVersion: 1, contactUid: "ANDROID-1" } }
    let control = [vec![0x08, 0x01, 0x10, 0x01], string_field(3, b"ANDROID-1")].concat();
    let mut msg = vec![0x0a, control.len() as u8];
    msg.extend_from_slice(&control);
    assert_eq!(
        decode(&msg).unwrap(),
        Payload::Control(Control {
            min_version: 1,
            max_version: 1,
            contact_uid: "ANDROID-1".into()
        })
    );
    let err = decode_event(&msg).unwrap_err().to_string();
    assert!(err.contains("only a TakControl"), "{err}");
    // With an event beside it, it is the event.
    let both = [msg, message_with_event(&minimal_fields())].concat();
    assert!(matches!(decode(&both).unwrap(), Payload::Event(e) if e.uid == "uid-1"));
}

#[test]
fn bad_framing_is_reported_and_skipped() {
    let mut good = Vec::new();
    write_frame(&generated()[0], Framing::Stream, &mut good).unwrap();
    // A stream: a frame past the bound, an overlong varint header, a good frame.
    let mut stream = vec![0xbf];
    write_varint(5000, &mut stream);
    stream.extend(std::iter::repeat_n(7u8, 5000));
    stream.extend_from_slice(&[
        0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    stream.extend_from_slice(&good);
    let mut d = StreamDecoder::new(1024);
    d.push(&stream);
    let mut seen = Vec::new();
    while let Some(m) = d.next_message() {
        seen.push(match m {
            Ok(Message::Tak(p)) => Ok(decode_event(p).unwrap().uid),
            Ok(Message::Xml(_)) => Err("xml".to_string()),
            Err(e) => Err(e.to_string()),
        });
    }
    assert!(
        matches!(&seen[0], Err(e) if e.contains("TAK frame of 5000 bytes exceeds the limit")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|s| matches!(s, Err(e) if e.contains("varint longer than 10 bytes"))),
        "{seen:?}"
    );
    assert_eq!(
        seen.last(),
        Some(&Ok(generated()[0].uid.clone())),
        "{seen:?}"
    );

    // Mesh: the wrong version in the header, and a payload over the bound.
    let mut mesh = Vec::new();
    write_frame(&generated()[0], Framing::Mesh, &mut mesh).unwrap();
    let mut wrong = mesh.clone();
    wrong[1] = 0x02;
    let mut dec = StreamDecoder::new(4096);
    let mut out = Vec::new();
    decode_datagram(&wrong, 4096, &mut dec, |m| out.push(m.map(|_| ())));
    assert!(
        matches!(&out[..], [Err(FrameError::BadHeader(why))] if why.contains("version 2")),
        "{out:?}"
    );
    out.clear();
    decode_datagram(&mesh, 16, &mut dec, |m| out.push(m.map(|_| ())));
    assert!(
        matches!(&out[..], [Err(FrameError::Oversized { .. })]),
        "{out:?}"
    );
    let err = frames_to_events(&wrong, Some(Framing::Mesh), 4096).unwrap_err();
    assert!(err.to_string().contains("expected bf 01 bf"), "{err}");
}

/// xorshift64: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_and_mutated_payloads_never_panic() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let seeds: Vec<Vec<u8>> = all_events().iter().map(payload).collect();
    let mut outcomes = [0usize; 2];
    let mut judge = |bytes: &[u8]| {
        let ok = decode(bytes).is_ok();
        outcomes[usize::from(ok)] += 1;
        // Whatever decodes must encode again.
        if let Ok(Payload::Event(e)) = decode(bytes) {
            let mut again = Vec::new();
            encode_event(&e, &mut again).unwrap();
            decode_event(&again).unwrap();
        }
    };
    // Pure noise, biased towards bytes that look like protobuf tags and lengths.
    for round in 0..3000 {
        let len = rng.below(64 + round % 200);
        let bytes: Vec<u8> = (0..len)
            .map(|_| match rng.below(4) {
                0 => [0x0a, 0x12, 0x7a, 0x2a, 0x08, 0x51][rng.below(6)],
                1 => rng.below(0x20) as u8,
                _ => rng.next() as u8,
            })
            .collect();
        judge(&bytes);
    }
    // Valid payloads cut at every length, and with bytes changed.
    for seed in &seeds {
        for cut in 0..seed.len() {
            judge(&seed[..cut]);
        }
        for _ in 0..200 {
            let mut m = seed.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(m.len());
                m[i] = match rng.below(3) {
                    0 => m[i] ^ (1 << rng.below(8)),
                    1 => 0xff,
                    _ => rng.next() as u8,
                };
            }
            judge(&m);
        }
    }
    // Both outcomes happened, so the inputs exercised the decoder and not just its first
    // check.
    assert!(outcomes[0] > 1000 && outcomes[1] > 100, "{outcomes:?}");
}

#[test]
fn encoding_refuses_what_tak_protocol_cannot_carry() {
    let mut e = Event::position("", "a-f-G", 0.0, 0.0, Duration::from_secs(1));
    let err = encode_event(&e, &mut Vec::new()).unwrap_err().to_string();
    assert!(err.contains("needs a uid and a type"), "{err}");
    e.uid = "u".into();
    e.cot_type.clear();
    assert!(encode_event(&e, &mut Vec::new()).is_err());
}

/// Found by fuzzing: a protobuf uid may hold characters that XML 1.0 cannot carry. Such an
/// event would change on its way to XML, so it is refused, naming the field and character.
#[test]
fn strings_that_xml_cannot_carry_are_refused() {
    let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds/tak_message/regress-control-char-in-uid");
    let payload = std::fs::read(seed).unwrap();
    let err = decode_event(&payload).unwrap_err().to_string();
    assert!(
        err.contains("CotEvent uid") && err.contains("U+0001"),
        "{err}"
    );
}

/// Found by fuzzing: a protobuf point may hold NaN or infinity, which CoT XML cannot write.
#[test]
fn points_that_are_not_finite_are_refused() {
    let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds/tak_message/regress-nan-lon");
    let payload = std::fs::read(seed).unwrap();
    let err = decode_event(&payload).unwrap_err().to_string();
    assert!(err.contains("CotEvent lon is NaN"), "{err}");
}

/// Found by fuzzing: a protobuf time may lie past the year 9999, which CoT XML cannot write.
#[test]
fn times_past_the_year_9999_are_refused() {
    let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds/tak_message/regress-start-past-9999");
    let payload = std::fs::read(seed).unwrap();
    let err = decode_event(&payload).unwrap_err().to_string();
    assert!(err.contains("CotEvent startTime"), "{err}");
}

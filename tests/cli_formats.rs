//! Output formats, JSON input and receive filters of the `takwire` command, through the
//! real binary against loopback TCP servers.

mod cli_util;
mod common;

use std::time::Duration;

use cli_util::{Running, Sink, Source, corpus, run, takwire, text};
use serde_json::Value;
use takwire::Event;

const WAIT: Duration = Duration::from_secs(30);

/// Runs `takwire --rx-only [args] tcp+ro://source` until `n` lines are printed, then stops
/// it with SIGTERM (exit 0 expected) and returns the lines and stderr.
fn receive(source: &Source, args: &[&str], n: usize) -> (Vec<String>, String) {
    let mut cmd = takwire();
    cmd.arg("--rx-only").args(args).arg(source.url());
    let running = Running::start(cmd);
    let lines = running.stdout_lines(n, WAIT);
    let (status, err) = running.stop();
    assert!(status.success(), "exit {status:?}: {err}");
    (lines, err)
}

fn corpus_events() -> Vec<Event> {
    corpus()
        .iter()
        .map(|(name, raw)| Event::from_xml(raw).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect()
}

fn corpus_stream() -> Vec<u8> {
    let mut all = Vec::new();
    for (_, raw) in corpus() {
        all.extend_from_slice(&raw);
        all.push(b'\n');
    }
    all
}

#[test]
fn json_round_trip_keeps_every_field_of_the_corpus() {
    let originals = corpus_events();
    assert!(originals.len() >= 15);
    // XML from a server -> takwire --format json.
    let source = Source::start(corpus_stream());
    let (lines, err) = receive(&source, &["--format", "json"], originals.len());
    assert_eq!(lines.len(), originals.len(), "stderr: {err}");
    for (line, orig) in lines.iter().zip(&originals) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        // The documented top-level fields, with the documented types.
        assert_eq!(v["uid"], orig.uid.as_str());
        assert_eq!(v["type"], orig.cot_type.as_str());
        assert_eq!(v["how"], orig.how.as_str());
        assert_eq!(v["time"], orig.time.to_string());
        assert_eq!(v["point"]["lat"].as_f64(), Some(orig.point.lat));
        assert_eq!(v["point"]["lon"].as_f64(), Some(orig.point.lon));
        assert!(v["detail"].is_array());
        assert_eq!(v["detail"].as_array().unwrap().len(), orig.detail.len());
    }
    // JSON -> takwire stdin -> XML at a server.
    let sink = Sink::start();
    let mut cmd = takwire();
    cmd.args(["--tx-only", "--no-hello"]).arg(sink.url());
    let out = run(cmd, (lines.join("\n") + "\n").as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("bad_input=0"),
        "{}",
        text(&out.stderr)
    );
    let got = sink.take(originals.len(), WAIT);
    assert_eq!(got.len(), originals.len());
    for (arrival, orig) in got.iter().zip(&originals) {
        let back = Event::from_xml(arrival.line.as_bytes()).unwrap();
        // Every field, the detail compared element by element (formatting aside) ...
        common::same_event(orig, &back, common::Compare::EXACT).unwrap();
        assert_eq!(back.extra_attrs, orig.extra_attrs, "{}", orig.uid);
        assert_eq!(back.version, orig.version);
        // ... and in order, with the library's JSON of both sides equal.
        assert_eq!(
            takwire::cot::json::to_value(&back),
            takwire::cot::json::to_value(orig),
            "{}",
            orig.uid
        );
    }
}

#[test]
fn geojson_features_have_lon_lat_order() {
    let originals = corpus_events();
    let source = Source::start(corpus_stream());
    let (lines, err) = receive(&source, &["--format", "geojson"], originals.len());
    assert_eq!(lines.len(), originals.len(), "stderr: {err}");
    let mut points = 0;
    for (line, orig) in lines.iter().zip(&originals) {
        let f: Value = serde_json::from_str(line).unwrap();
        check_feature(&f);
        assert_eq!(f["id"], orig.uid.as_str());
        assert_eq!(f["properties"]["type"], orig.cot_type.as_str());
        // `center` is always the event's point, longitude first.
        assert_eq!(f["properties"]["center"][0].as_f64(), Some(orig.point.lon));
        assert_eq!(f["properties"]["center"][1].as_f64(), Some(orig.point.lat));
        if f["geometry"]["type"] == "Point" {
            points += 1;
            let c = &f["geometry"]["coordinates"];
            assert_eq!(c[0].as_f64(), Some(orig.point.lon), "{}", orig.uid);
            assert_eq!(c[1].as_f64(), Some(orig.point.lat), "{}", orig.uid);
            if orig.point.hae == takwire::cot::UNKNOWN {
                assert_eq!(c.as_array().unwrap().len(), 2);
            } else {
                assert_eq!(c[2].as_f64(), Some(orig.point.hae));
            }
        }
    }
    assert!(points >= 10);
    // Spot-check one whose latitude could not be a longitude's mirror: Sydney.
    let spot = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|f| f["id"] == "a1b2c3d4-spot")
        .expect("spot map feature");
    assert_eq!(
        spot["geometry"]["coordinates"],
        serde_json::json!([151.2153, -33.8568])
    );
    assert_eq!(spot["properties"]["callsign"], "Opera House");
    // The freehand polygon of the corpus is a closed Polygon ring.
    let poly = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|f| f["id"] == "d7c1e2f3-poly")
        .expect("polygon feature");
    assert_eq!(poly["geometry"]["type"], "Polygon");
    let ring = poly["geometry"]["coordinates"][0].as_array().unwrap();
    assert_eq!(ring.first(), ring.last());
    assert_eq!(ring[0], serde_json::json!([-66.08, 43.981]));
}

/// Checks the GeoJSON (RFC 7946) shape of a Feature: members, geometry type and positions
/// of 2 or 3 numbers with longitude and latitude in range.
fn check_feature(f: &Value) {
    assert_eq!(f["type"], "Feature", "{f}");
    assert!(f["properties"].is_object(), "{f}");
    let g = &f["geometry"];
    let position = |p: &Value| {
        let a = p.as_array().unwrap_or_else(|| panic!("position {p}"));
        assert!(a.len() == 2 || a.len() == 3, "{p}");
        let (lon, lat) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
        assert!((-180.0..=180.0).contains(&lon), "lon {lon}");
        assert!((-90.0..=90.0).contains(&lat), "lat {lat}");
    };
    match g["type"].as_str() {
        Some("Point") => position(&g["coordinates"]),
        Some("LineString") => {
            let ps = g["coordinates"].as_array().unwrap();
            assert!(ps.len() >= 2);
            ps.iter().for_each(position);
        }
        Some("Polygon") => {
            for ring in g["coordinates"].as_array().unwrap() {
                let ps = ring.as_array().unwrap();
                assert!(ps.len() >= 4);
                assert_eq!(ps.first(), ps.last(), "ring not closed");
                ps.iter().for_each(position);
            }
        }
        other => panic!("geometry type {other:?}"),
    }
}

#[test]
fn proto_format_writes_frames_or_says_the_codec_is_missing() {
    let originals = corpus_events();
    let source = Source::start(corpus_stream());
    let mut cmd = takwire();
    cmd.args(["--rx-only", "--format", "proto"])
        .arg(source.url())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = common::KillOnDrop(cmd.spawn().unwrap());
    let exited = common::wait_for(Duration::from_secs(10), || child.0.try_wait().unwrap());
    if let Some(status) = exited {
        // Until the protobuf codec lands: a clean usage error, before connecting.
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(2), "{err}");
        assert!(
            err.contains("--format proto") && err.contains("TAK protocol"),
            "{err}"
        );
        assert_eq!(*source.connections.lock().unwrap(), 0, "connected anyway");
        return;
    }
    // With the codec: stdout is TAK protocol stream frames, one per received event.
    let events = common::events_from(child.0.stdout.take().unwrap());
    for orig in &originals {
        let got = events.recv_timeout(WAIT).expect("a frame per event");
        assert_eq!(got.uid, orig.uid);
    }
}

#[test]
fn input_mixes_xml_and_json_lines() {
    let sink = Sink::start();
    let xml = |uid: &str| Event::builder(uid, "a-f-G").callsign("X").build().to_xml();
    let json = |uid: &str| takwire::cot::json::to_string(&Event::builder(uid, "a-h-G").build());
    let input = format!(
        "{}\n{}\n  {}\n{{\"uid\": \"broken\"}}\n<?xml version='1.0'?>\n{}\n{}",
        xml("x1"),
        json("j1"),
        json("j2"),
        xml("x2"),
        json("j3")
    );
    let mut cmd = takwire();
    cmd.args(["--tx-only", "--no-hello"]).arg(sink.url());
    let out = run(cmd, input.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("sent=5 ") && err.contains("bad_input=1"),
        "{err}"
    );
    assert!(
        err.contains("time: is required"),
        "the skip says why: {err}"
    );
    let got: Vec<String> = sink
        .take(5, WAIT)
        .iter()
        .map(|a| Event::from_xml(a.line.as_bytes()).unwrap().uid)
        .collect();
    assert_eq!(got, ["x1", "j1", "j2", "x2", "j3"]);
}

#[test]
fn filters_keep_and_drop_what_they_should() {
    let ev = |uid: &str, t: &str| Event::builder(uid, t).build().to_xml() + "\n";
    let mut stream = String::new();
    for (uid, t) in [
        ("ANDROID-1", "a-f-G-U-C"), // uid and type match
        ("ANDROID-2", "a-h-G"),     // type does not
        ("boat-1", "a-f-S-X"),      // both match (second glob)
        ("boat-12", "a-f-S-X"),     // `?` is one character
        ("ANDROID-3", "a-fx-G"),    // prefix by components: no
        ("ANDROID-4", "b-t-f"),     // second type prefix
        ("S-1-5", "a-f-G"),         // uid does not
        ("ANDROID-end", "a-f-G"),   // the last one, so we know all were seen
    ] {
        stream.push_str(&ev(uid, t));
    }
    let source = Source::start(stream.into_bytes());
    let args = [
        "--uid",
        "ANDROID-*",
        "--uid",
        "boat-?",
        "--type",
        "a-f",
        "--type",
        "b-t-f",
        "--stats-every",
        "60",
    ];
    let (lines, err) = receive(&source, &args, 4);
    let uids: Vec<String> = lines
        .iter()
        .map(|l| Event::from_xml(l.as_bytes()).unwrap().uid)
        .collect();
    assert_eq!(uids, ["ANDROID-1", "boat-1", "ANDROID-4", "ANDROID-end"]);
    assert!(
        err.contains("received=8") && err.contains("filtered=4"),
        "{err}"
    );
    // Filters apply to every format.
    let (lines, _) = receive(&source, &["--format", "json", "--type", "b"], 1);
    let v: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(v["uid"], "ANDROID-4");
}

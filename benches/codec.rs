//! Events per second through each codec: XML parse and write, TAK protocol encode and
//! decode, on the XML corpus (`tests/corpus/xml`).
//!
//! ```text
//! cargo bench --bench codec            # release build
//! cargo bench --bench codec -- 2       # seconds per measurement (default 1)
//! ```
//!
//! A plain harness (no criterion): each codec runs over the whole corpus repeatedly for
//! the given time, after a warm-up, and the rate is events per second of wall time on one
//! thread. Figures are for comparing the codecs on one machine, not absolute.

use std::hint::black_box;
use std::time::{Duration, Instant};

use takwire::cot::{Event, xml};

fn corpus() -> Vec<Event> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/xml");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/corpus/xml")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|p| Event::from_xml(&std::fs::read(p).ok()?).ok())
        .collect()
}

/// Runs `f` over the corpus until `time` has passed; returns events per second.
fn measure(events: usize, time: Duration, mut f: impl FnMut()) -> f64 {
    let warm = Instant::now();
    while warm.elapsed() < time / 5 {
        f();
    }
    let start = Instant::now();
    let mut rounds = 0u64;
    // At least one round, so a smoke run exercises every codec.
    while rounds == 0 || start.elapsed() < time {
        f();
        rounds += 1;
    }
    (rounds as f64 * events as f64) / start.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; a number is the time per measurement in seconds.
    // Without `--bench` (`cargo test --all-targets` runs this too) it is a quick smoke run
    // of each codec, and its figures mean nothing.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let secs: f64 = if args.iter().any(|a| a == "--bench") {
        args.iter().find_map(|a| a.parse().ok()).unwrap_or(1.0)
    } else {
        println!("smoke run (use `cargo bench --bench codec` for figures)");
        0.0
    };
    let time = Duration::from_secs_f64(secs);
    let events = corpus();
    assert!(!events.is_empty(), "no corpus");
    let n = events.len();

    let xml_texts: Vec<String> = events.iter().map(Event::to_xml).collect();
    let xml_bytes: usize = xml_texts.iter().map(String::len).sum();

    let mut text = String::with_capacity(4096);
    let xml_write = measure(n, time, || {
        for e in &events {
            text.clear();
            xml::write(black_box(e), &mut text);
            black_box(&text);
        }
    });
    let xml_parse = measure(n, time, || {
        for t in &xml_texts {
            black_box(xml::parse(black_box(t.as_bytes())).ok());
        }
    });

    println!("corpus: {n} events, XML {} bytes on average", xml_bytes / n);
    println!("{:<28} {:>12.0} events/s", "XML write", xml_write);
    println!("{:<28} {:>12.0} events/s", "XML parse", xml_parse);

    #[cfg(feature = "proto")]
    {
        let payloads: Vec<Vec<u8>> = events
            .iter()
            .map(|e| {
                let mut p = Vec::new();
                takwire::proto::encode_event(e, &mut p).expect("encode");
                p
            })
            .collect();
        let proto_bytes: usize = payloads.iter().map(Vec::len).sum();
        let mut buf = Vec::with_capacity(4096);
        let encode = measure(n, time, || {
            for e in &events {
                buf.clear();
                black_box(takwire::proto::encode_event(black_box(e), &mut buf).ok());
            }
        });
        let decode = measure(n, time, || {
            for p in &payloads {
                black_box(takwire::proto::decode_event(black_box(p)).ok());
            }
        });
        println!("{:<28} {:>12.0} events/s", "TAK protocol encode", encode);
        println!("{:<28} {:>12.0} events/s", "TAK protocol decode", decode);
        println!(
            "TAK protocol payload {} bytes on average ({:.0}% of XML)",
            proto_bytes / n,
            100.0 * proto_bytes as f64 / xml_bytes as f64
        );
    }
    #[cfg(not(feature = "proto"))]
    println!("TAK protocol: not built (the `proto` feature is off)");
}

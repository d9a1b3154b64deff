//! Events per second and megabytes per second through each codec, on one thread: XML parse
//! and write, TAK protocol encode and decode, and splitting a byte stream into messages.
//!
//! ```text
//! cargo bench --bench codec            # release build
//! cargo bench --bench codec -- 2       # seconds per measurement (default 1)
//! cargo bench --bench codec -- 2 parse # only rows whose "corpus operation" contains "parse"
//! ```
//!
//! Three corpora of realistic events:
//! - `pli`: the position reports of `tests/corpus/xml` (ATAK, iTAK, WinTAK; ~650 bytes),
//! - `mixed`: all of `tests/corpus/xml` (chat, markers, routes, shapes, pings; ~690 bytes),
//! - `shape400`: `bench/corpus/shape_polygon_400.xml`, a 400-vertex polygon (~15 KB).
//!
//! `bench/pytak_codec.py` measures PyTAK's codecs (xml.etree and takproto, as PyTAK uses
//! them) on the same corpora and prints the same table; `bench/codec.sh` runs both and prints
//! the ratios. A plain harness (no criterion): each codec runs over its corpus repeatedly for
//! the given time after a warm-up, and the rate is events (and bytes of the encoded form)
//! per second of CPU time of the one thread (so per core, and little disturbed by other
//! work on the machine).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use takwire::cot::{Event, xml};
use takwire::framing::StreamDecoder;

fn read_events(files: &[PathBuf]) -> Vec<Event> {
    files
        .iter()
        .filter_map(|p| Event::from_xml(&std::fs::read(p).ok()?).ok())
        .collect()
}

fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
}

/// The corpora: (name, events).
fn corpora() -> Vec<(&'static str, Vec<Event>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let all = xml_files(&root.join("tests/corpus/xml"));
    let pli: Vec<PathBuf> = all
        .iter()
        .filter(|p| p.to_string_lossy().contains("pli"))
        .cloned()
        .collect();
    let large = vec![root.join("bench/corpus/shape_polygon_400.xml")];
    vec![
        ("pli", read_events(&pli)),
        ("mixed", read_events(&all)),
        ("shape400", read_events(&large)),
    ]
}

/// What to measure: the time per measurement and a filter on "corpus operation".
struct Plan {
    time: Duration,
    only: Option<String>,
}

impl Plan {
    fn wants(&self, corpus: &str, op: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| format!("{corpus} {op}").contains(o.as_str()))
    }

    /// Measures `f` (one pass over the corpus) and prints its row, if wanted.
    fn run(&self, corpus: &str, op: &str, events: usize, bytes: usize, f: impl FnMut()) {
        if self.wants(corpus, op) {
            row(corpus, op, measure(self.time, f), events, bytes);
        }
    }
}

/// The CPU time this thread has used. Rates are per CPU second, not per second of wall
/// time: on a machine shared with other work, a thread that waits for a core does not
/// count that wait against the codec.
#[cfg(unix)]
fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write to; the clock id is a constant.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if ok {
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    } else {
        Duration::ZERO
    }
}

/// Elsewhere: wall time since the first call.
#[cfg(not(unix))]
fn cpu_time() -> Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// Runs `f` (one pass over a corpus) until `time` of CPU time has passed; returns passes
/// per CPU second. The clock is read once per batch of passes that takes about a
/// millisecond (reading a thread's CPU time is a system call, which would otherwise count
/// against a small corpus).
fn measure(time: Duration, mut f: impl FnMut()) -> f64 {
    let warm = Instant::now();
    let mut batch = 1u64;
    while warm.elapsed() < time / 5 {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        if t.elapsed() < Duration::from_millis(1) {
            batch *= 2;
        }
    }
    let start = cpu_time();
    let mut rounds = 0u64;
    // At least one round, so a smoke run exercises every codec.
    while rounds == 0 || cpu_time() - start < time {
        for _ in 0..batch {
            f();
        }
        rounds += batch;
    }
    rounds as f64
        / (cpu_time() - start)
            .max(Duration::from_nanos(1))
            .as_secs_f64()
}

/// Prints one row: passes per second times events and bytes per pass.
fn row(corpus: &str, op: &str, passes: f64, events: usize, bytes: usize) {
    println!(
        "{corpus:<10} {op:<16} {:>12.0} {:>10.1}",
        passes * events as f64,
        passes * bytes as f64 / 1e6
    );
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
    let plan = Plan {
        time: Duration::from_secs_f64(secs),
        only: args
            .iter()
            .find(|a| !a.starts_with('-') && a.parse::<f64>().is_err())
            .cloned(),
    };
    println!(
        "{:<10} {:<16} {:>12} {:>10}",
        "corpus", "operation", "events/s", "MB/s"
    );
    for (name, events) in corpora() {
        assert!(!events.is_empty(), "corpus {name} is empty");
        bench_corpus(name, &events, &plan);
    }
}

fn bench_corpus(name: &str, events: &[Event], plan: &Plan) {
    let n = events.len();
    let xml_texts: Vec<String> = events.iter().map(Event::to_xml).collect();
    let xml_bytes: usize = xml_texts.iter().map(String::len).sum();

    let mut text = String::with_capacity(64 * 1024);
    plan.run(name, "xml-write", n, xml_bytes, || {
        for e in events {
            text.clear();
            xml::write(black_box(e), &mut text);
            black_box(&text);
        }
    });
    plan.run(name, "xml-parse", n, xml_bytes, || {
        for t in &xml_texts {
            black_box(xml::parse(black_box(t.as_bytes())).ok());
        }
    });

    // Stream splitting: a TCP byte stream of newline-separated events (the corpus repeated
    // to at least 1 MB), fed in 64 KiB reads.
    let reps = (1_000_000 / xml_bytes).max(1);
    let mut stream = Vec::new();
    for t in &xml_texts {
        stream.extend_from_slice(t.as_bytes());
        stream.push(b'\n');
    }
    let stream = stream.repeat(reps);
    assert_eq!(
        split(&stream),
        n * reps,
        "the XML stream splits into its events"
    );
    plan.run(name, "xml-split", n * reps, stream.len(), || {
        black_box(split(&stream));
    });

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
        let mut buf = Vec::with_capacity(64 * 1024);
        plan.run(name, "proto-encode", n, proto_bytes, || {
            for e in events {
                buf.clear();
                black_box(takwire::proto::encode_event(black_box(e), &mut buf).ok());
            }
        });
        plan.run(name, "proto-decode", n, proto_bytes, || {
            for p in &payloads {
                black_box(takwire::proto::decode_event(black_box(p)).ok());
            }
        });
        // TAK protocol in, CoT XML out (what PyTAK's WebSocket receiver hands on).
        plan.run(name, "proto-to-cot", n, proto_bytes, || {
            for p in &payloads {
                if let Ok(e) = takwire::proto::decode_event(black_box(p)) {
                    text.clear();
                    xml::write(&e, &mut text);
                    black_box(&text);
                }
            }
        });
        let mut stream = Vec::new();
        for p in &payloads {
            takwire::framing::write_stream_frame(p, &mut stream);
        }
        let stream = stream.repeat(reps);
        assert_eq!(
            split(&stream),
            n * reps,
            "the TAK stream splits into its frames"
        );
        plan.run(name, "proto-split", n * reps, stream.len(), || {
            black_box(split(&stream));
        });
    }
}

/// Splits `stream` into messages as a TCP reader does, in 64 KiB pieces; returns the count.
fn split(stream: &[u8]) -> usize {
    let mut d = StreamDecoder::new(takwire::framing::DEFAULT_MAX_MESSAGE);
    let mut count = 0;
    for chunk in stream.chunks(64 * 1024) {
        d.push(chunk);
        while let Some(m) = d.next_message() {
            if m.is_ok() {
                count += 1;
            }
        }
    }
    count
}

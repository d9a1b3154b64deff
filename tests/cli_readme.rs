//! The README's command examples are run, line by line and in order, with `sh`, against
//! local servers that stand in for the TAK Server at 127.0.0.1:8087 (and a second one at
//! 8088); each line's effect is checked. The table below must list exactly the lines of
//! the README block, so the README cannot drift from what is tested.

mod cli_util;
mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cli_util::corpus;
use serde_json::Value;
use takwire::{CotTime, Event};

/// What an example's check can look at.
struct Ctx {
    dir: PathBuf,
    /// Events that arrived at the 8087 server during this example.
    at_8087: Vec<Event>,
    /// Events that arrived at the 8088 server during this example.
    at_8088: Vec<Event>,
    stdout: String,
    stderr: String,
    corpus_uids: Vec<String>,
    started: CotTime,
}

type Check = fn(&Ctx) -> Result<(), String>;

/// (README line, runs until stopped, check).
const EXAMPLES: &[(&str, bool, Check)] = &[
    (
        "takwire send tcp://127.0.0.1:8087 --uid boat-1 --type a-f-S-X --lat 59.91 --lon 10.75 --callsign Boaty",
        false,
        |c| {
            let e = find(&c.at_8087, "boat-1")?;
            let callsign = e
                .detail
                .element("contact")
                .and_then(|d| d.attribute("callsign"));
            ensure(
                e.cot_type == "a-f-S-X" && e.point.lat == 59.91 && e.point.lon == 10.75,
                "boat-1 fields",
            )?;
            ensure(callsign.as_deref() == Some("Boaty"), "callsign")
        },
    ),
    (
        "takwire send tcp://127.0.0.1:8087 --uid hq --lat -33.86 --lon 151.21 --every 0.5 --count 3",
        false,
        |c| count_uid(&c.at_8087, "hq", 3),
    ),
    (
        "cat events.xml | takwire --tx-only tcp://127.0.0.1:8087",
        false,
        |c| all_corpus(&c.at_8087, c),
    ),
    (
        "takwire --tx-file session.xml --realtime --retime --tx-only tcp://127.0.0.1:8087",
        false,
        |c| {
            for uid in ["r0", "r1", "r2"] {
                let e = find(&c.at_8087, uid)?;
                ensure(e.time >= c.started, "re-stamped to now")?;
            }
            Ok(())
        },
    ),
    (
        "takwire --tx-file session.xml --rate 20 --tx-only tcp://127.0.0.1:8087",
        false,
        |c| {
            for uid in ["r0", "r1", "r2"] {
                let e = find(&c.at_8087, uid)?;
                ensure(e.time < c.started, "sent with its recorded time")?;
            }
            Ok(())
        },
    ),
    (
        "takwire --rx-only --format json tcp+ro://127.0.0.1:8087 > events.jsonl",
        true,
        |c| {
            let lines = file_lines(&c.dir.join("events.jsonl"));
            ensure(lines.len() == c.corpus_uids.len(), "one line per event")?;
            for (l, uid) in lines.iter().zip(&c.corpus_uids) {
                let v: Value = serde_json::from_str(l).map_err(|e| e.to_string())?;
                ensure(v["uid"] == uid.as_str(), "uid in order")?;
            }
            Ok(())
        },
    ),
    (
        "takwire --tx-only tcp://127.0.0.1:8087 < events.jsonl",
        false,
        |c| all_corpus(&c.at_8087, c),
    ),
    (
        "takwire --rx-only --format geojson --type a-f tcp+ro://127.0.0.1:8087 > friendly.geojsonl",
        true,
        |c| {
            let lines = file_lines(&c.dir.join("friendly.geojsonl"));
            // The corpus has three friendly units: ATAK, iTAK and WinTAK positions.
            ensure(lines.len() == 3, "three friendly features")?;
            for l in lines {
                let f: Value = serde_json::from_str(&l).map_err(|e| e.to_string())?;
                ensure(f["type"] == "Feature", "a Feature")?;
                let t = f["properties"]["type"].as_str().unwrap_or("");
                ensure(t.starts_with("a-f-"), "only a-f types")?;
            }
            Ok(())
        },
    ),
    (
        "takwire --rx-only --uid 'ANDROID-*' --uid 'GeoChat.*' --type a --type b-t-f tcp+ro://127.0.0.1:8087",
        true,
        |c| {
            let uids: Vec<String> = c
                .stdout
                .lines()
                .filter_map(|l| Event::from_xml(l.as_bytes()).ok())
                .map(|e| e.uid)
                .collect();
            ensure(uids.len() == 2, "two events")?;
            ensure(uids[0] == "ANDROID-589520ccfcd20f01", "the ATAK position")?;
            ensure(uids[1].starts_with("GeoChat.ANDROID-"), "the chat message")
        },
    ),
    (
        "takwire --rx-only tcp+ro://127.0.0.1:8087 | takwire --tx-only --no-hello tcp://127.0.0.1:8088",
        true,
        |c| all_corpus(&c.at_8088, c),
    ),
    ("takwire completions bash > takwire.bash", false, |c| {
        let script = std::fs::read_to_string(c.dir.join("takwire.bash")).unwrap_or_default();
        ensure(script.contains("_takwire()"), "a bash completion script")
    }),
];

fn ensure(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("not so: {what}"))
    }
}

fn find<'a>(events: &'a [Event], uid: &str) -> Result<&'a Event, String> {
    events
        .iter()
        .find(|e| e.uid == uid)
        .ok_or_else(|| format!("no event {uid} arrived"))
}

fn count_uid(events: &[Event], uid: &str, n: usize) -> Result<(), String> {
    let got = events.iter().filter(|e| e.uid == uid).count();
    ensure(got == n, &format!("{n} events {uid} (got {got})"))
}

fn all_corpus(events: &[Event], c: &Ctx) -> Result<(), String> {
    let got: HashSet<&str> = events.iter().map(|e| e.uid.as_str()).collect();
    let missing: Vec<&String> = c
        .corpus_uids
        .iter()
        .filter(|u| !got.contains(u.as_str()))
        .collect();
    ensure(
        missing.is_empty(),
        &format!("every corpus event; missing {missing:?}"),
    )
}

fn file_lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The lines of the README's example block.
fn readme_examples() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let after = readme
        .split("<!-- cli-examples")
        .nth(1)
        .expect("the README marks its example block");
    let block = after
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block after the marker");
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// A server that sends the corpus to every connection and reports the events that come in.
fn hub(stream: Vec<u8>) -> (u16, crossbeam_channel::Receiver<Event>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let (tx, stream) = (tx.clone(), stream.clone());
            std::thread::spawn(move || {
                let _ = s.write_all(&stream);
                let _ = s.set_read_timeout(Some(Duration::from_secs(120)));
                for line in BufReader::new(s).lines() {
                    let Ok(line) = line else { return };
                    if let Ok(e) = Event::from_xml(line.as_bytes())
                        && tx.send(e).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (port, rx)
}

/// Kills an example's process group when a failing check unwinds past it, so that no
/// listener is left behind.
struct KillGroup(u32);

impl Drop for KillGroup {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .stderr(Stdio::null())
            .status();
    }
}

fn collect(r: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let out = Arc::new(Mutex::new(String::new()));
    let o = out.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            let mut o = o.lock().unwrap();
            o.push_str(&line);
            o.push('\n');
        }
    });
    out
}

#[test]
fn readme_examples_run_and_do_what_they_say() {
    let readme = readme_examples();
    let table: Vec<&str> = EXAMPLES.iter().map(|e| e.0).collect();
    assert_eq!(
        readme, table,
        "README example block and tests/cli_readme.rs differ"
    );

    let tmp = common::TempDir::new("cli-readme");
    let dir = tmp.path().to_path_buf();
    let mut stream = Vec::new();
    let mut corpus_uids = Vec::new();
    for (_, raw) in corpus() {
        corpus_uids.push(Event::from_xml(&raw).unwrap().uid);
        stream.extend_from_slice(&raw);
        stream.push(b'\n');
    }
    std::fs::write(dir.join("events.xml"), &stream).unwrap();
    let session: String = [0, 200, 400]
        .iter()
        .enumerate()
        .map(|(i, ms)| {
            Event::builder(format!("r{i}"), "a-f-G")
                .time(CotTime::from_millis(1_767_225_600_000 + ms))
                .build()
                .to_xml()
                + "\n"
        })
        .collect();
    std::fs::write(dir.join("session.xml"), session).unwrap();
    let (p87, rx87) = hub(stream);
    let (p88, rx88) = hub(Vec::new());
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_takwire")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    for (line, until_stopped, check) in EXAMPLES {
        let cmd = line
            .replace("127.0.0.1:8087", &format!("127.0.0.1:{p87}"))
            .replace("127.0.0.1:8088", &format!("127.0.0.1:{p88}"));
        let mut ctx = Ctx {
            dir: dir.clone(),
            at_8087: Vec::new(),
            at_8088: Vec::new(),
            stdout: String::new(),
            stderr: String::new(),
            corpus_uids: corpus_uids.clone(),
            started: CotTime::now(),
        };
        while rx87.try_recv().is_ok() || rx88.try_recv().is_ok() {}
        let mut child = common::KillOnDrop(
            Command::new("sh")
                .args(["-c", &cmd])
                .env_clear()
                .env("PATH", &path)
                .env("PYTAK_RECONNECT_INITIAL", "0.1")
                .current_dir(&dir)
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let pgid = child.0.id();
        let _group = KillGroup(pgid);
        let out = collect(child.0.stdout.take().unwrap());
        let err = collect(child.0.stderr.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut status = None;
        while Instant::now() < deadline {
            ctx.at_8087.extend(rx87.try_iter());
            ctx.at_8088.extend(rx88.try_iter());
            ctx.stdout = out.lock().unwrap().clone();
            ctx.stderr = err.lock().unwrap().clone();
            if let Some(s) = child.0.try_wait().unwrap() {
                status = Some(s);
                break;
            }
            if *until_stopped && check(&ctx).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if status.is_none() {
            // Stop the whole pipeline as Ctrl-C would.
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{pgid}")])
                .status();
            status = Some(cli_util::wait_exit(&mut child.0, Duration::from_secs(15)));
        }
        // Let the last output and arrivals land, then check once more.
        std::thread::sleep(Duration::from_millis(300));
        ctx.at_8087.extend(rx87.try_iter());
        ctx.at_8088.extend(rx88.try_iter());
        ctx.stdout = out.lock().unwrap().clone();
        ctx.stderr = err.lock().unwrap().clone();
        if !until_stopped {
            let s = status.unwrap();
            assert!(s.success(), "{line}: exit {s:?}\n{}", ctx.stderr);
        }
        // takwire stopped cleanly and said so (the completion script writes no stats).
        if !line.contains("completions") {
            assert!(
                ctx.stderr.contains("takwire: sent="),
                "{line}: no stats line\n{}",
                ctx.stderr
            );
        }
        assert!(!ctx.stderr.contains("ERROR"), "{line}:\n{}", ctx.stderr);
        if let Err(e) = check(&ctx) {
            panic!(
                "{line}: {e}\nstdout:\n{}\nstderr:\n{}",
                ctx.stdout, ctx.stderr
            );
        }
        eprintln!("ok: {line}");
    }
}

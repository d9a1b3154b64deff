//! Sending on a schedule: `takwire send --every`, replay with `--realtime`, `--rate`,
//! `--loop` and `--retime`, and the stats lines. Timing is checked with lower bounds only
//! (a loaded machine may be late, never early); `tests/bench/realtime_replay.py` measures how
//! close replay comes to the recording.

mod cli_util;
mod common;

use std::time::{Duration, Instant};

use cli_util::{Arrival, Running, Sink, Source, run, takwire, text};
use takwire::{CotTime, Event};

const WAIT: Duration = Duration::from_secs(30);

/// A little slack for timer granularity when comparing gaps measured on two clocks.
const SLACK: Duration = Duration::from_millis(20);

fn uid(a: &Arrival) -> String {
    Event::from_xml(a.line.as_bytes()).unwrap().uid
}

fn gaps(arrivals: &[Arrival]) -> Vec<Duration> {
    arrivals.windows(2).map(|w| w[1].at - w[0].at).collect()
}

#[test]
fn send_every_sends_on_schedule() {
    let sink = Sink::start();
    let mut cmd = takwire();
    cmd.arg("send")
        .arg(sink.url())
        .args(["--uid", "sched-1", "--type", "a-f-S-X", "--lat", "-33.86"])
        .args(["--lon", "151.21", "--hae", "12.5", "--callsign", "Boaty"])
        .args(["--remarks", "a < b", "--stale", "30"])
        .args(["--every", "0.2", "--count", "3", "--no-hello"]);
    let started = Instant::now();
    let out = run(cmd, b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(
        text(&out.stderr).contains("sent=3 "),
        "{}",
        text(&out.stderr)
    );
    let got = sink.take(3, WAIT);
    assert_eq!(got.len(), 3);
    for g in gaps(&got) {
        assert!(g + SLACK >= Duration::from_millis(200), "gap {g:?}");
    }
    let ev = Event::from_xml(got[2].line.as_bytes()).unwrap();
    assert_eq!(
        (ev.uid.as_str(), ev.cot_type.as_str(), ev.how.as_str()),
        ("sched-1", "a-f-S-X", "m-g")
    );
    assert_eq!(
        (ev.point.lat, ev.point.lon, ev.point.hae),
        (-33.86, 151.21, 12.5)
    );
    assert_eq!(ev.stale.as_millis() - ev.time.as_millis(), 30_000);
    let d = &ev.detail;
    assert_eq!(
        d.element("contact").unwrap().attribute("callsign").unwrap(),
        "Boaty"
    );
    assert_eq!(d.element("remarks").unwrap().text().unwrap(), "a < b");
    // Each send is stamped when it is made.
    let first = Event::from_xml(got[0].line.as_bytes()).unwrap();
    assert!(ev.time.as_millis() - first.time.as_millis() >= 390);
    assert!(sink.more(Duration::from_millis(300)).is_empty());
}

#[test]
fn send_once_and_bad_values() {
    let sink = Sink::start();
    let mut cmd = takwire();
    cmd.args([
        "send",
        &sink.url(),
        "--uid",
        "once",
        "--lat",
        "1",
        "--lon",
        "2",
    ]);
    let out = run(cmd, b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The hello event (not turned off here), then the report.
    let got: Vec<String> = sink.take(2, WAIT).iter().map(uid).collect();
    assert_eq!(got, ["takPing", "once"]);
    for (args, needle) in [
        (vec!["--lat", "91", "--lon", "0"], "latitude 91 is outside"),
        (
            vec!["--lat", "0", "--lon", "-181"],
            "longitude -181 is outside",
        ),
        (vec!["--lat", "x", "--lon", "0"], "not a number"),
        (vec!["--lat", "0", "--lon", "0", "--every", "0"], "above 0"),
        (vec!["--lat", "0", "--lon", "0", "--count", "0"], "--count"),
        (vec!["--lon", "0"], "--lat"),
    ] {
        let mut cmd = takwire();
        cmd.args(["send", &sink.url(), "--uid", "u"]).args(&args);
        let out = run(cmd, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert!(sink.more(Duration::from_millis(200)).is_empty());
}

/// Events stamped at these offsets (ms) from a fixed start, with uids r0, r1, ...
fn recording(offsets: &[i64]) -> String {
    let t0 = 1_767_225_600_000; // 2026-01-01
    offsets
        .iter()
        .enumerate()
        .map(|(i, ms)| {
            Event::builder(format!("r{i}"), "a-f-G")
                .time(CotTime::from_millis(t0 + ms))
                .build()
                .to_xml()
                + "\n"
        })
        .collect()
}

#[test]
fn realtime_replay_keeps_the_recorded_gaps() {
    let dir = common::TempDir::new("cli-realtime");
    let offsets = [0, 300, 350, 900, 1200];
    let file = dir.path().join("session.xml");
    std::fs::write(&file, recording(&offsets)).unwrap();
    let sink = Sink::start();
    let mut cmd = takwire();
    cmd.arg("--tx-file")
        .arg(&file)
        .args(["--realtime", "--no-hello"])
        .arg(sink.url());
    let out = run(cmd, b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = sink.take(offsets.len(), WAIT);
    assert_eq!(
        got.iter().map(uid).collect::<Vec<_>>(),
        ["r0", "r1", "r2", "r3", "r4"]
    );
    // Never early: each event arrives no sooner after the first than it was recorded.
    for (a, ms) in got.iter().zip(offsets) {
        let since_first = a.at - got[0].at;
        eprintln!("recorded +{ms} ms, arrived +{} ms", since_first.as_millis());
        assert!(
            since_first + SLACK >= Duration::from_millis(ms as u64),
            "arrived +{since_first:?}, recorded +{ms} ms"
        );
    }
    // Without --retime the recorded times are sent unchanged.
    assert!(got[0].line.contains("time=\"2026-01-01T00:00:00.000Z\""));
}

#[test]
fn rate_paces_and_retime_restamps() {
    let dir = common::TempDir::new("cli-rate");
    let file = dir.path().join("old.xml");
    // Five events recorded a long time ago, all at the same instant.
    std::fs::write(&file, recording(&[0, 0, 0, 0, 0])).unwrap();
    let sink = Sink::start();
    let mut cmd = takwire();
    cmd.arg("--tx-file")
        .arg(&file)
        .args(["--rate", "10", "--retime", "--no-hello"])
        .arg(sink.url());
    let before = CotTime::now();
    let out = run(cmd, b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = sink.take(5, WAIT);
    assert_eq!(got.len(), 5);
    // 10 events/s: the fifth is due 400 ms after the first.
    assert!(got[4].at - got[0].at + SLACK >= Duration::from_millis(400));
    for a in &got {
        let e = Event::from_xml(a.line.as_bytes()).unwrap();
        assert!(e.time >= before, "not re-stamped: {}", e.time);
        // start and stale keep their offsets from time.
        assert_eq!(e.start, e.time);
        assert_eq!(e.stale.as_millis() - e.time.as_millis(), 120_000);
    }
}

#[test]
fn loop_replays_until_stopped() {
    let dir = common::TempDir::new("cli-loop");
    let file = dir.path().join("two.xml");
    std::fs::write(&file, recording(&[0, 100])).unwrap();
    let sink = Sink::start();
    let mut cmd = takwire();
    cmd.arg("--tx-file")
        .arg(&file)
        .args(["--loop", "--rate", "50", "--tx-only", "--no-hello"])
        .arg(sink.url());
    let running = Running::start(cmd);
    let got: Vec<String> = sink.take(7, WAIT).iter().map(uid).collect();
    assert_eq!(got, ["r0", "r1", "r0", "r1", "r0", "r1", "r0"]);
    let (status, err) = running.stop();
    assert!(status.success(), "{err}");
    // --loop needs a file: stdin cannot be read twice.
    let mut cmd = takwire();
    cmd.args(["--loop", &sink.url()]);
    let out = run(cmd, b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--tx-file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn stats_on_sigusr1_and_every_interval() {
    let source = Source::start(recording(&[0, 1, 2]).into_bytes());
    let mut cmd = takwire();
    cmd.args(["--rx-only", "--stats-every", "0.3"])
        .arg(source.url());
    let running = Running::start(cmd);
    assert_eq!(running.stdout_lines(3, WAIT).len(), 3);
    // Periodic lines, with the counts so far.
    let periodic = running
        .stderr_line("received=3", WAIT)
        .expect("a periodic stats line");
    for key in [
        "sent=",
        "dropped=",
        "malformed=",
        "reconnects=",
        "tx_rate=",
        "rx_rate=",
    ] {
        assert!(periodic.contains(key), "{periodic}");
    }
    // SIGUSR1 prints one at once (the interval is long for the second run).
    let mut cmd = takwire();
    cmd.args(["--rx-only", "--stats-every", "3600"])
        .arg(source.url());
    let quiet = Running::start(cmd);
    assert_eq!(quiet.stdout_lines(3, WAIT).len(), 3);
    cli_util::signal(quiet.child.id(), "USR1");
    let line = quiet
        .stderr_line("received=3", Duration::from_secs(10))
        .expect("a stats line after SIGUSR1");
    assert!(line.starts_with("takwire: sent=0 received=3 "), "{line}");
    let (status, err) = quiet.stop();
    assert!(status.success(), "{err}");
    assert!(err.contains("received=3"), "final line: {err}");
    let (status, _) = running.stop();
    assert!(status.success());
}

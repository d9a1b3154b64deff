//! Nothing read from stdin is lost: a million events piped into `takwire` all arrive at a
//! loopback TCP server, in order. Not a speed test: it only has to finish within a
//! generous bound (it prints how long it took).

mod cli_util;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use cli_util::{run_with, takwire, text};

const EVENTS: usize = 1_000_000;

#[test]
fn a_million_events_from_stdin_all_arrive() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (done_tx, done_rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        let mut r = BufReader::with_capacity(1 << 20, s);
        let (mut count, mut first, mut last) = (0usize, String::new(), String::new());
        // Every 1000th line is checked to be in its place (order kept).
        let mut misplaced = 0usize;
        let mut line = Vec::new();
        loop {
            line.clear();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if line.starts_with(b"<event") && line.ends_with(b"</event>\n") {
                count += 1;
                if count == 1 {
                    first = String::from_utf8_lossy(&line).into_owned();
                }
                if count % 1000 == 0 {
                    let want = format!("uid=\"big-{}\"", count - 1);
                    if !String::from_utf8_lossy(&line).contains(&want) {
                        misplaced += 1;
                    }
                }
                if count == EVENTS {
                    last = String::from_utf8_lossy(&line).into_owned();
                }
            }
        }
        let _ = done_tx.send((count, first, last, misplaced));
    });

    let mut input = Vec::with_capacity(EVENTS * 300);
    for i in 0..EVENTS {
        input.extend_from_slice(
            format!(
                "<event version=\"2.0\" uid=\"big-{i}\" type=\"a-f-G-U-C\" how=\"m-g\" \
                 time=\"2026-01-01T00:00:00.000Z\" start=\"2026-01-01T00:00:00.000Z\" \
                 stale=\"2026-01-01T01:00:00.000Z\"><point lat=\"1.5\" lon=\"2.5\" \
                 hae=\"9999999.0\" ce=\"9999999.0\" le=\"9999999.0\"/><detail>\
                 <contact callsign=\"C{i}\"/></detail></event>\n"
            )
            .as_bytes(),
        );
    }
    let mut cmd = takwire();
    cmd.args(["--tx-only", "--no-hello"])
        .arg(format!("tcp://127.0.0.1:{port}"));
    let started = Instant::now();
    let out = run_with(cmd, input, Duration::from_secs(900));
    let took = started.elapsed();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let (count, first, last, misplaced) = done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server saw the connection end");
    eprintln!("{EVENTS} events piped through takwire in {took:?}; {err}");
    assert_eq!(count, EVENTS, "{err}");
    assert_eq!(misplaced, 0, "events out of order");
    assert!(first.contains("uid=\"big-0\""), "{first}");
    assert!(
        last.contains(&format!("uid=\"big-{}\"", EVENTS - 1)),
        "{last}"
    );
    assert!(err.contains(&format!("sent={EVENTS} ")), "{err}");
    assert!(err.contains("dropped=0 "), "{err}");
}

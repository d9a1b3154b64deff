//! The stats line (on exit, SIGUSR1, `--stats-every`) and the progress line of long
//! `--tx-file` sends.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use takwire::Stats;

/// Counters the command keeps beside the client's.
#[derive(Debug, Default)]
pub struct Local {
    /// Received events not printed because of `--uid`/`--type`.
    pub filtered: AtomicU64,
    /// Input that was not an event (skipped).
    pub bad_input: AtomicU64,
    /// Input events queued for sending.
    pub queued: AtomicU64,
    /// Input bytes read in the current pass over the file.
    pub bytes_read: AtomicU64,
}

impl Local {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Formats and prints the lines.
#[derive(Debug)]
pub struct Reporter {
    start: Instant,
    /// Total bytes of the input file, for the progress line.
    total_bytes: Option<u64>,
    /// Whether a progress line is on screen (to clear it before other output).
    progress_shown: AtomicBool,
}

impl Reporter {
    /// A reporter whose rates count from now.
    pub fn new(total_bytes: Option<u64>) -> Reporter {
        Reporter {
            start: Instant::now(),
            total_bytes,
            progress_shown: AtomicBool::new(false),
        }
    }

    /// The stats line, without the `takwire: ` prefix: `key=value` pairs, always all of
    /// them and in this order, so scripts can rely on it.
    pub fn line(&self, s: &Stats, local: &Local) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let rate = |n: u64| {
            if secs > 0.0 { n as f64 / secs } else { 0.0 }
        };
        format!(
            "sent={} received={} dropped={} malformed={} reconnects={} failed={} filtered={} bad_input={} elapsed={:.3}s tx_rate={:.1}/s rx_rate={:.1}/s",
            s.sent,
            s.received,
            s.dropped_out + s.dropped_in,
            s.malformed,
            s.reconnects,
            s.failed,
            local.filtered.load(Ordering::Relaxed),
            local.bad_input.load(Ordering::Relaxed),
            secs,
            rate(s.sent),
            rate(s.received),
        )
    }

    /// Prints the stats line to stderr.
    pub fn print(&self, s: &Stats, local: &Local) {
        let line = self.line(s, local);
        let mut err = std::io::stderr().lock();
        if self.progress_shown.swap(false, Ordering::Relaxed) {
            let _ = write!(err, "\r\x1b[K");
        }
        let _ = writeln!(err, "takwire: {line}");
    }

    /// Rewrites the progress line on stderr (meant for a terminal).
    pub fn progress(&self, s: &Stats, local: &Local) {
        let secs = self.start.elapsed().as_secs_f64().max(1e-3);
        let queued = local.queued.load(Ordering::Relaxed);
        let share = match self.total_bytes {
            Some(total) if total > 0 => {
                let read = local.bytes_read.load(Ordering::Relaxed).min(total);
                format!("{:5.1}% ", read as f64 * 100.0 / total as f64)
            }
            _ => String::new(),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[Ktakwire: {share}read {queued} events, sent {} ({:.0}/s)",
            s.sent,
            s.sent as f64 / secs
        );
        let _ = err.flush();
        self.progress_shown.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_has_every_key_in_order() {
        let r = Reporter::new(None);
        let s = Stats {
            sent: 5,
            received: 2,
            dropped_out: 1,
            dropped_in: 2,
            malformed: 3,
            reconnects: 4,
            ..Stats::default()
        };
        let local = Local::default();
        Local::bump(&local.filtered);
        let line = r.line(&s, &local);
        let keys: Vec<&str> = line
            .split(' ')
            .map(|kv| kv.split('=').next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "sent",
                "received",
                "dropped",
                "malformed",
                "reconnects",
                "failed",
                "filtered",
                "bad_input",
                "elapsed",
                "tx_rate",
                "rx_rate"
            ]
        );
        assert!(line.starts_with("sent=5 received=2 dropped=3 malformed=3 reconnects=4 failed=0 filtered=1 bad_input=0 elapsed="));
    }
}

//! Replay pacing (`--rate`, `--realtime`) and re-stamping (`--retime`).

use std::time::{Duration, Instant};

use takwire::{CotTime, Event};

/// How fast input events are sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// As fast as the link takes them.
    Free,
    /// This many events per second.
    Rate(f64),
    /// With the gaps between the events' own `time` stamps.
    Realtime,
}

/// Computes when each event is due.
#[derive(Debug)]
pub struct Pacer {
    pace: Pace,
    start: Instant,
    count: u64,
    /// For realtime: the first event's time and when it was sent, per pass.
    origin: Option<(CotTime, Instant)>,
    last: Instant,
}

impl Pacer {
    /// A pacer whose schedule starts at `now`.
    pub fn new(pace: Pace, now: Instant) -> Pacer {
        Pacer {
            pace,
            start: now,
            count: 0,
            origin: None,
            last: now,
        }
    }

    /// A new pass over the input (`--loop`): realtime starts over from the first event;
    /// a rate keeps its schedule.
    pub fn new_pass(&mut self) {
        self.origin = None;
    }

    /// When `event` is due, given that it is `now`. Never earlier than the event before.
    pub fn due(&mut self, event: &Event, now: Instant) -> Instant {
        let due = match self.pace {
            Pace::Free => now,
            Pace::Rate(rate) => {
                let at = self.start + Duration::from_secs_f64(self.count as f64 / rate);
                self.count += 1;
                at
            }
            Pace::Realtime => match self.origin {
                None => {
                    self.origin = Some((event.time, now));
                    now
                }
                Some((t0, sent0)) => {
                    let gap_ms = event.time.as_millis().saturating_sub(t0.as_millis());
                    // Events out of order are sent at once; gaps are capped at a year so
                    // the arithmetic cannot overflow.
                    let gap = Duration::from_millis(gap_ms.clamp(0, 365 * 86_400_000) as u64);
                    sent0 + gap
                }
            },
        };
        let due = due.max(self.last);
        self.last = due;
        due
    }
}

/// Moves `time` to `now` and `start` and `stale` by the same amount, so a recorded event
/// is current again.
pub fn retime(event: &mut Event, now: CotTime) {
    let delta = now.as_millis().saturating_sub(event.time.as_millis());
    let shift = |t: CotTime| CotTime::from_millis(t.as_millis().saturating_add(delta));
    event.time = now;
    event.start = shift(event.start);
    event.stale = shift(event.stale);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Event {
        Event::builder("u", "a-f-G")
            .time(CotTime::from_millis(ms))
            .build()
    }

    #[test]
    fn realtime_keeps_the_gaps_of_the_recording() {
        let t = Instant::now();
        let mut p = Pacer::new(Pace::Realtime, t);
        assert_eq!(p.due(&at(10_000), t), t);
        // Asked late: still due at the recorded offset from the first event.
        let late = t + Duration::from_millis(700);
        assert_eq!(p.due(&at(10_500), late), t + Duration::from_millis(500));
        assert_eq!(p.due(&at(12_000), late), t + Duration::from_secs(2));
        // Out of order: not earlier than the event before.
        assert_eq!(p.due(&at(9_000), late), t + Duration::from_secs(2));
        // A new pass starts over.
        p.new_pass();
        let t2 = t + Duration::from_secs(5);
        assert_eq!(p.due(&at(10_000), t2), t2);
        assert_eq!(p.due(&at(10_250), t2), t2 + Duration::from_millis(250));
    }

    #[test]
    fn rate_spaces_events_evenly() {
        let t = Instant::now();
        let mut p = Pacer::new(Pace::Rate(4.0), t);
        let dues: Vec<Duration> = (0..5).map(|_| p.due(&at(0), t) - t).collect();
        assert_eq!(
            dues,
            [0, 250, 500, 750, 1000].map(Duration::from_millis).to_vec()
        );
        let mut free = Pacer::new(Pace::Free, t);
        assert_eq!(free.due(&at(0), t), t);
    }

    #[test]
    fn retime_shifts_all_three_times() {
        let mut e = at(1_000);
        e.start = CotTime::from_millis(2_000);
        e.stale = CotTime::from_millis(61_000);
        retime(&mut e, CotTime::from_millis(101_000));
        assert_eq!(
            (e.time.as_millis(), e.start.as_millis(), e.stale.as_millis()),
            (101_000, 102_000, 161_000)
        );
    }
}

//! Reconnect delays: exponential growth, jitter, and a reset after a stable link.

use std::time::Duration;

use crate::config::ReconnectSettings;

/// The delays between reconnect attempts, as PyTAK computes them: the delay starts at
/// `initial`, grows by `factor` after each failure up to `max`, each wait is spread by
/// ± `jitter`, and a link that stayed up for `reset` starts over at `initial`.
#[derive(Debug, Clone)]
pub struct Backoff {
    settings: ReconnectSettings,
    next: Duration,
}

impl Backoff {
    /// Delays per `settings`.
    pub fn new(settings: ReconnectSettings) -> Backoff {
        let next = settings.initial;
        Backoff { settings, next }
    }

    /// The wait before the next attempt; grows the delay for the one after.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.next;
        let grown = base.as_secs_f64() * self.settings.factor;
        self.next = Duration::from_secs_f64(grown.min(self.settings.max.as_secs_f64()));
        let j = self.settings.jitter;
        let spread = if j > 0.0 {
            1.0 - j + 2.0 * j * crate::util::random_unit()
        } else {
            1.0
        };
        Duration::from_secs_f64((base.as_secs_f64() * spread).min(self.settings.max.as_secs_f64()))
    }

    /// Called when a link ends after being up for `uptime`: a stable link resets the delay.
    pub fn link_ended(&mut self, uptime: Duration) {
        if uptime >= self.settings.reset {
            self.next = self.settings.initial;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(jitter: f64) -> ReconnectSettings {
        ReconnectSettings {
            enabled: true,
            initial: Duration::from_secs(5),
            factor: 2.0,
            max: Duration::from_secs(120),
            jitter,
            reset: Duration::from_secs(300),
        }
    }

    #[test]
    fn grows_to_the_maximum() {
        let mut b = Backoff::new(settings(0.0));
        let secs: Vec<u64> = (0..8).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(secs, vec![5, 10, 20, 40, 80, 120, 120, 120]);
    }

    #[test]
    fn jitter_stays_in_its_band() {
        let mut b = Backoff::new(settings(0.2));
        for expected in [5.0, 10.0, 20.0, 40.0, 80.0] {
            let d = b.next_delay().as_secs_f64();
            assert!(
                d >= expected * 0.8 - 1e-9 && d <= (expected * 1.2).min(120.0) + 1e-9,
                "{d} vs {expected}"
            );
        }
    }

    #[test]
    fn a_stable_link_resets() {
        let mut b = Backoff::new(settings(0.0));
        b.next_delay();
        b.next_delay();
        b.link_ended(Duration::from_secs(10));
        assert_eq!(b.next_delay().as_secs(), 20);
        b.link_ended(Duration::from_secs(300));
        assert_eq!(b.next_delay().as_secs(), 5);
    }
}

//! The Marti reader: polls `GET /Marti/api/cot/sa` and hands out the new events.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use time::OffsetDateTime;

use crate::client::Backoff;
use crate::framing::{FrameError, Message};
use crate::transport::marti::answer::{self, Dedupe};
use crate::transport::marti::{LinkState, Settings, https};
use crate::transport::{MessageSink, Source};
use crate::util::log_sparingly;

/// The path polled for events.
pub const SA_PATH: &str = "/Marti/api/cot/sa";

/// What outlives a link: where the next window starts, and the events already delivered.
#[derive(Debug, Default)]
pub struct PollState {
    /// The end of the last window that was answered; `None` before the first answer.
    last_end: Option<SystemTime>,
    dedupe: Dedupe,
}

/// Formats a time as PyTAK does for `start` and `end`: `%Y-%m-%dT%H:%M:%S.%fZ` in UTC
/// (microseconds).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_micros(1_767_225_600_123_456);
/// assert_eq!(takwire::transport::marti::poll::format_time(t), "2026-01-01T00:00:00.123456Z");
/// ```
pub fn format_time(t: SystemTime) -> String {
    let dt = OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.microsecond()
    )
}

/// Polls on a timer; see the [module docs](crate::transport::marti) for the rules.
pub struct PollSource {
    pub(crate) agent: ureq::Agent,
    pub(crate) settings: Arc<Settings>,
    pub(crate) state: Arc<Mutex<PollState>>,
    pub(crate) link: Arc<LinkState>,
    /// Polls that failed below HTTP, for sparse logging.
    pub(crate) failures: u64,
    pub(crate) backoff: Backoff,
    /// When the next poll is due (`None`: at once).
    pub(crate) next: Option<Instant>,
}

/// How one poll went.
enum Polled {
    /// The server answered with a usable body.
    Answered,
    /// Skipped (bad status, body, or transport failure); the next poll backs off.
    Failed,
}

impl PollSource {
    fn poll(&mut self, deliver: &mut MessageSink<'_>) -> io::Result<Polled> {
        let now = SystemTime::now();
        let start = {
            let state = self
                .state
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?;
            state
                .last_end
                .unwrap_or_else(|| now.checked_sub(self.settings.seconds_ago).unwrap_or(now))
        };
        let url = format!("{}{SA_PATH}", self.settings.base);
        let result = self
            .agent
            .get(&url)
            .query("start", format_time(start))
            .query("end", format_time(now))
            .call();
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => return self.transport_failure(&url, &e),
        };
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            deliver(Err(FrameError::Skipped(format!(
                "Marti poll {url}: HTTP {status}"
            ))));
            return Ok(Polled::Failed);
        }
        let body = match resp
            .body_mut()
            .with_config()
            .limit(self.settings.max_answer as u64)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                deliver(Err(FrameError::Skipped(format!(
                    "Marti poll {url}: the answer exceeds the limit of {} bytes",
                    self.settings.max_answer
                ))));
                return Ok(Polled::Failed);
            }
            Err(e) => return self.transport_failure(&url, &e),
        };
        let mut state = self
            .state
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        let dedupe = &mut state.dedupe;
        let summary = answer::extract(&body, self.settings.max_event, &mut |m| match m {
            Ok(x) => {
                if dedupe.is_new(x) {
                    deliver(Ok(Message::Xml(x)));
                }
            }
            Err(e) => deliver(Err(e)),
        });
        if summary.not_cot {
            let head = String::from_utf8_lossy(body.get(..40).unwrap_or(&body)).into_owned();
            deliver(Err(FrameError::Skipped(format!(
                "Marti poll {url}: the answer ({} bytes) is not CoT: {head:?}...",
                body.len()
            ))));
            return Ok(Polled::Failed);
        }
        state.last_end = Some(now);
        Ok(Polled::Answered)
    }

    /// A request that failed below HTTP (refused, reset, timed out, TLS): logged, and the
    /// next poll backs off, unless the TLS failure is one that retrying cannot fix.
    fn transport_failure(&mut self, url: &str, e: &ureq::Error) -> io::Result<Polled> {
        if https::is_fatal(e) {
            return Err(self
                .link
                .fail_fatal(format!("polling {url}: {}", https::describe(e))));
        }
        self.failures += 1;
        log_sparingly(
            self.failures,
            format_args!("Marti poll {url}: {}", https::describe(e)),
        );
        Ok(Polled::Failed)
    }
}

impl Source for PollSource {
    fn receive(&mut self, deliver: &mut MessageSink<'_>) -> io::Result<bool> {
        if let Some(at) = self.next {
            self.link.wait_until(at)?;
        } else {
            self.link.check()?;
        }
        let polled = self.poll(deliver)?;
        let wait = match polled {
            Polled::Answered => {
                self.backoff = Backoff::new(self.settings.reconnect.clone());
                self.settings.interval
            }
            Polled::Failed => {
                let d = self.backoff.next_delay().max(self.settings.interval);
                log::debug!("next Marti poll in {:.1} s", d.as_secs_f64());
                d
            }
        };
        self.next = Some(Instant::now() + wait);
        Ok(true)
    }
}

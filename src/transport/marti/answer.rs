//! Reading a Marti poll answer: the events in it, and which of them were seen before.
//!
//! TAK Server answers `GET /Marti/api/cot/sa` with a text blob of `<event>` elements,
//! possibly wrapped in an outer element and possibly with an XML declaration. PyTAK takes
//! every `<event ...>...</event>` out of the text with a regular expression and ignores the
//! rest; takwire does the same with the stream splitter of [`crate::framing`], which also
//! knows comments, CDATA and quoted attributes, and bounds each event. Bytes outside events
//! (a wrapper's tags, whitespace) are ignored. An answer with no event that is plainly not
//! CoT (an HTML page, JSON, plain text) is reported, so a proxy's error page is noticed.

use std::collections::{HashSet, VecDeque};

use crate::framing::{FrameError, Message, StreamDecoder};

/// What one answer held, besides the events handed out.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Events found.
    pub events: usize,
    /// Events that were cut off or over the size bound (each reported as an error).
    pub errors: usize,
    /// Bytes outside events that were ignored (wrappers, declarations, other text).
    pub ignored: usize,
    /// The answer holds no event and is plainly not CoT (HTML, JSON, text).
    pub not_cot: bool,
}

/// Receives each event of an answer, or a problem with one.
pub type EventSink<'h> = dyn FnMut(Result<&[u8], FrameError>) + 'h;

/// Hands each `<event>` of `body` to `each` in order, and each cut-off or oversized event as
/// an error. Events over `max_event` bytes are skipped. Memory is bounded by the body.
///
/// ```
/// use takwire::transport::marti::answer::extract;
/// let body = b"<?xml version='1.0'?><events><event uid='a' time='t'/>\n\
///              <event uid='b' time='t'><detail/></event></events>";
/// let mut got = Vec::new();
/// let s = extract(body, 1 << 20, &mut |m| got.push(m.unwrap().to_vec()));
/// assert_eq!(s.events, 2);
/// assert_eq!(got[1], b"<event uid='b' time='t'><detail/></event>");
/// ```
pub fn extract(body: &[u8], max_event: usize, each: &mut EventSink<'_>) -> Summary {
    let mut summary = Summary::default();
    let mut d = StreamDecoder::new(max_event);
    d.push(body);
    loop {
        match d.next_message() {
            None => break,
            Some(Ok(Message::Xml(x))) => {
                summary.events += 1;
                each(Ok(x));
            }
            // A TAK protocol frame has no place in a Marti answer: bytes to ignore.
            Some(Ok(Message::Tak(p))) => summary.ignored += p.len(),
            Some(Err(FrameError::Garbage { bytes })) => summary.ignored += bytes,
            Some(Err(e)) => {
                summary.errors += 1;
                each(Err(e));
            }
        }
    }
    if let Some(e) = d.finish() {
        match e {
            FrameError::Garbage { bytes } => summary.ignored += bytes,
            e => {
                summary.errors += 1;
                each(Err(e));
            }
        }
    }
    summary.not_cot = summary.events == 0 && summary.errors == 0 && !looks_like_xml(body);
    summary
}

/// Whether a body without events may still be an answer from TAK Server: empty, or XML
/// that is not an HTML page.
fn looks_like_xml(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..body.len().min(start + 64)];
    if head.is_empty() {
        return true;
    }
    if head[0] != b'<' {
        return false;
    }
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    !(lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html"))
}

/// The `uid` and `time` attributes of an event's start tag, if both are there.
///
/// ```
/// use takwire::transport::marti::answer::uid_and_time;
/// let e = br#"<event version="2.0" uid='a-1' type="a-f-G" time="2026-01-01T00:00:00Z">"#;
/// assert_eq!(uid_and_time(e), Some((&b"a-1"[..], &b"2026-01-01T00:00:00Z"[..])));
/// ```
pub fn uid_and_time(event: &[u8]) -> Option<(&[u8], &[u8])> {
    let (mut uid, mut time) = (None, None);
    let mut rest = event.strip_prefix(b"<event")?;
    loop {
        rest = trim_start(rest);
        let name_len = rest
            .iter()
            .position(|&b| b == b'=' || b.is_ascii_whitespace() || b == b'>' || b == b'/')?;
        if name_len == 0 {
            break;
        }
        let name = &rest[..name_len];
        rest = trim_start(&rest[name_len..]);
        rest = trim_start(rest.strip_prefix(b"=")?);
        let quote = *rest.first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let len = rest[1..].iter().position(|&b| b == quote)?;
        let value = &rest[1..1 + len];
        rest = &rest[len + 2..];
        match name {
            b"uid" => uid = Some(value),
            b"time" => time = Some(value),
            _ => {}
        }
        if let (Some(u), Some(t)) = (uid, time) {
            return Some((u, t));
        }
    }
    None
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[n..]
}

/// Remembers the (uid, time) pairs of recent events so one seen in an earlier, overlapping
/// poll window is not delivered again. Holds at most [`Dedupe::CAPACITY`] pairs, forgetting
/// the oldest first.
#[derive(Debug, Default)]
pub struct Dedupe {
    seen: HashSet<Vec<u8>>,
    order: VecDeque<Vec<u8>>,
}

impl Dedupe {
    /// How many (uid, time) pairs are remembered.
    pub const CAPACITY: usize = 65_536;

    /// Whether `event` is new (and remembers it). An event without both a uid and a time
    /// cannot be recognised again and is always new.
    pub fn is_new(&mut self, event: &[u8]) -> bool {
        let Some((uid, time)) = uid_and_time(event) else {
            return true;
        };
        let mut key = Vec::with_capacity(uid.len() + time.len() + 1);
        key.extend_from_slice(uid);
        key.push(0);
        key.extend_from_slice(time);
        if self.seen.contains(&key) {
            return false;
        }
        if self.order.len() >= Self::CAPACITY
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        self.order.push_back(key.clone());
        self.seen.insert(key);
        true
    }

    /// How many pairs are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(body: &[u8]) -> (Vec<Vec<u8>>, Summary) {
        let mut got = Vec::new();
        let s = extract(body, 1024, &mut |m| {
            if let Ok(x) = m {
                got.push(x.to_vec())
            }
        });
        (got, s)
    }

    #[test]
    fn wrapped_answers_and_declarations() {
        let (got, s) = events(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<events>\n<event uid=\"a\" time=\"1\"><point/></event>\n</events>",
        );
        assert_eq!(
            got,
            vec![b"<event uid=\"a\" time=\"1\"><point/></event>".to_vec()]
        );
        assert!(!s.not_cot);
        assert!(s.ignored > 0);
    }

    #[test]
    fn empty_and_html_answers() {
        assert!(!events(b"").1.not_cot);
        assert!(!events(b"  <events/>").1.not_cot);
        assert!(
            events(b"<!DOCTYPE html><html><body>Login</body></html>")
                .1
                .not_cot
        );
        assert!(events(b"{\"data\": []}").1.not_cot);
    }

    #[test]
    fn cut_and_oversized_events_are_errors() {
        let mut big = b"<event uid='x' time='1'>".to_vec();
        big.extend(std::iter::repeat_n(b'a', 2000));
        big.extend_from_slice(b"</event><event uid='y' time='1'/><event uid='z'");
        let mut errors = 0;
        let mut ok = Vec::new();
        let s = extract(&big, 1024, &mut |m| match m {
            Ok(x) => ok.push(x.to_vec()),
            Err(_) => errors += 1,
        });
        assert_eq!(ok, vec![b"<event uid='y' time='1'/>".to_vec()]);
        assert_eq!(errors, 2);
        assert_eq!(s.errors, 2);
    }

    #[test]
    fn dedupe_by_uid_and_time() {
        let mut d = Dedupe::default();
        assert!(d.is_new(b"<event uid='a' time='1'/>"));
        assert!(!d.is_new(b"<event time=\"1\" uid=\"a\"><detail/></event>"));
        assert!(d.is_new(b"<event uid='a' time='2'/>"));
        assert!(d.is_new(b"<event uid='b' time='1'/>"));
        assert!(d.is_new(b"<event/>"));
        assert!(d.is_new(b"<event/>"));
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn attribute_scanner_never_overruns() {
        for e in [
            &b"<event"[..],
            b"<event uid",
            b"<event uid=",
            b"<event uid='",
            b"<event uid=x",
            b"<event uid='a' time",
            b"<eventx uid='a' time='b'>",
        ] {
            let _ = uid_and_time(e);
        }
        assert_eq!(
            uid_and_time(b"<event uid='a' time='b'"),
            Some((&b"a"[..], &b"b"[..]))
        );
    }
}

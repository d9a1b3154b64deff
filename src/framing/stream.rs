//! The incremental stream splitter.
//!
//! Bytes go in with [`StreamDecoder::push`] (or [`StreamDecoder::read_from`]); messages come
//! out of [`StreamDecoder::next_message`] as slices of the internal buffer, so an event is
//! never copied before it is parsed. Memory is bounded: an event or frame larger than the
//! limit is reported and skipped while its bytes are dropped as they arrive, and the next
//! message after it is still found.
//!
//! The XML scanner knows just enough XML to find where an `<event>` ends: tags and their
//! quoted attribute values, comments, CDATA sections and processing instructions. A `<` in
//! a place where XML forbids it, or a new `<event` before the end tag, marks the current
//! event as truncated and starts over at that `<`, so one broken event does not take the
//! next good one down with it.

use std::io::{self, Read};

use super::{FrameError, Message, TAK_MAGIC, read_varint};

/// TAK frames that announce more than this are taken for garbage rather than skipped
/// byte by byte.
const MAX_SKIPPABLE_FRAME: usize = 64 << 20;

/// How many bytes [`StreamDecoder::read_from`] asks for at a time.
const READ_CHUNK: usize = 64 * 1024;

/// How far after `</event` its `>` may be (whitespace is allowed before it).
const MAX_END_TAG: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Between messages.
    Idle,
    /// Inside a tag (`<...>`), `quote` is the open quote character, if any.
    Tag {
        quote: Option<u8>,
        first: bool,
        slash: bool,
    },
    /// Element content.
    Text,
    /// `<!-- ... -->`
    Comment,
    /// `<![CDATA[ ... ]]>`
    Cdata,
    /// `<? ... ?>`
    Pi,
    /// Skipping the rest of an oversized TAK frame.
    SkipFrame { remaining: usize },
}

/// Splits a byte stream into XML events and TAK protocol stream frames.
///
/// ```
/// use takwire::framing::{Message, StreamDecoder};
/// let mut d = StreamDecoder::new(1 << 20);
/// d.push(b"<?xml version='1.0'?><event uid='a'><detail/></ev");
/// assert!(d.next_message().is_none()); // waits for the rest
/// d.push(b"ent>\n\xbf\x02hi");
/// assert_eq!(d.next_message(), Some(Ok(Message::Xml(b"<event uid='a'><detail/></event>"))));
/// assert_eq!(d.next_message(), Some(Ok(Message::Tak(b"hi"))));
/// assert_eq!(d.next_message(), None);
/// ```
#[derive(Debug)]
pub struct StreamDecoder {
    buf: Vec<u8>,
    /// Bytes before this offset are consumed.
    start: usize,
    /// Scan position (absolute index into `buf`).
    pos: usize,
    /// Where the current event began (absolute index), while in an event.
    event_start: usize,
    /// Bytes of the current event already dropped (in discard mode).
    dropped: usize,
    /// The current event is over the limit and being dropped.
    discarding: bool,
    /// A run of garbage being skipped.
    garbage: usize,
    /// Between events: no `?>` (index 0) or `-->` (index 1) starts before this index, as
    /// learnt by the last search. Keeps skipping a flood of `<?` or `<!--` linear in time.
    decl_clear: [Option<usize>; 2],
    mode: Mode,
    max: usize,
}

enum Step {
    /// Need more input.
    More,
    /// Go on scanning.
    Continue,
    /// A complete XML event from `event_start` to this end index.
    XmlEnd(usize),
    /// A TAK frame payload at this range.
    Tak(usize, usize),
    /// Report this error (scanning goes on afterwards).
    Error(FrameError),
}

impl StreamDecoder {
    /// The longest XML declaration, processing instruction or comment accepted between
    /// events. A longer one is skipped as garbage.
    pub const MAX_DECLARATION: usize = 4096;

    /// A decoder that accepts events and frames of up to `max` bytes.
    pub fn new(max: usize) -> StreamDecoder {
        StreamDecoder {
            buf: Vec::new(),
            start: 0,
            pos: 0,
            event_start: 0,
            dropped: 0,
            discarding: false,
            garbage: 0,
            decl_clear: [None; 2],
            mode: Mode::Idle,
            max: max.max(16),
        }
    }

    /// The bound on one message.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Bytes held in the buffer (for tests of memory bounds).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether the decoder is between messages with nothing held: the next byte pushed
    /// starts something new (not the middle of an event, a frame or a skipped frame).
    pub fn is_idle(&self) -> bool {
        self.mode == Mode::Idle && self.buffered() == 0
    }

    /// Forgets all state and buffered bytes.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.start = 0;
        self.pos = 0;
        self.event_start = 0;
        self.dropped = 0;
        self.discarding = false;
        self.garbage = 0;
        self.decl_clear = [None; 2];
        self.mode = Mode::Idle;
    }

    /// Appends bytes from the wire.
    pub fn push(&mut self, data: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(data);
    }

    /// Reads once from `reader` into the buffer (at most 64 KiB). Returns the number of bytes
    /// read; 0 means end of stream.
    pub fn read_from(&mut self, reader: &mut impl Read) -> io::Result<usize> {
        self.compact();
        let old = self.buf.len();
        self.buf.resize(old + READ_CHUNK, 0);
        let r = reader.read(&mut self.buf[old..]);
        let n = *r.as_ref().unwrap_or(&0);
        self.buf.truncate(old + n);
        r
    }

    /// Ends the stream: reports a message that was cut off (an event, a TAK frame, a
    /// declaration), or garbage at the end.
    pub fn finish(&mut self) -> Option<FrameError> {
        let err = match self.mode {
            // Bytes not scanned yet are the start of something that never completed.
            Mode::Idle if self.buf.len() > self.pos => Some(FrameError::Truncated {
                bytes: self.buf.len() - self.pos,
            }),
            Mode::Idle if self.garbage > 0 => Some(FrameError::Garbage {
                bytes: self.garbage,
            }),
            Mode::Idle | Mode::SkipFrame { .. } => None,
            _ if self.discarding => None,
            _ => Some(FrameError::Truncated {
                bytes: self.buf.len() - self.event_start + self.dropped,
            }),
        };
        self.reset();
        err
    }

    /// The next message, `None` when more input is needed. Errors report skipped bytes;
    /// decoding goes on after them.
    pub fn next_message(&mut self) -> Option<Result<Message<'_>, FrameError>> {
        loop {
            match self.step() {
                Step::More => {
                    self.drop_discarded();
                    return None;
                }
                Step::Continue => {}
                Step::Error(e) => return Some(Err(e)),
                Step::XmlEnd(end) => {
                    let begin = self.event_start;
                    self.start = end;
                    self.pos = end;
                    self.mode = Mode::Idle;
                    if self.discarding {
                        self.discarding = false;
                        self.dropped = 0;
                        continue;
                    }
                    if end - begin > self.max {
                        return Some(Err(FrameError::Oversized {
                            kind: "XML event",
                            size: end - begin,
                            limit: self.max,
                        }));
                    }
                    return Some(Ok(Message::Xml(&self.buf[begin..end])));
                }
                Step::Tak(begin, end) => {
                    self.start = end;
                    self.pos = end;
                    return Some(Ok(Message::Tak(&self.buf[begin..end])));
                }
            }
        }
    }

    /// Drops consumed bytes from the front of the buffer.
    fn compact(&mut self) {
        if self.start == 0 {
            return;
        }
        self.buf.drain(..self.start);
        self.pos -= self.start;
        self.event_start = self.event_start.saturating_sub(self.start);
        for c in self.decl_clear.iter_mut().flatten() {
            *c = c.saturating_sub(self.start);
        }
        self.start = 0;
    }

    /// While discarding an oversized event, drop what has been scanned.
    fn drop_discarded(&mut self) {
        if self.discarding && self.pos > self.event_start {
            let n = self.pos - self.event_start;
            self.dropped += n;
            self.buf.drain(self.event_start..self.pos);
            self.pos = self.event_start;
        }
    }

    fn avail(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    fn step(&mut self) -> Step {
        match self.mode {
            Mode::Idle => self.step_idle(),
            Mode::SkipFrame { remaining } => {
                let n = remaining.min(self.buf.len() - self.pos);
                self.pos += n;
                self.start = self.pos;
                if n == remaining {
                    self.mode = Mode::Idle;
                    Step::Continue
                } else {
                    self.mode = Mode::SkipFrame {
                        remaining: remaining - n,
                    };
                    Step::More
                }
            }
            _ => {
                let step = self.step_event();
                if let Step::More = step {
                    let seen = self.pos - self.event_start + self.dropped;
                    if seen > self.max && !self.discarding {
                        self.discarding = true;
                        return Step::Error(FrameError::Oversized {
                            kind: "XML event",
                            size: seen,
                            limit: self.max,
                        });
                    }
                }
                step
            }
        }
    }

    /// Between messages: skip whitespace, declarations and garbage; find the next event or
    /// TAK frame.
    fn step_idle(&mut self) -> Step {
        loop {
            let Some(&b) = self.avail().first() else {
                self.start = self.pos;
                return Step::More;
            };
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | 0 => {
                    self.pos += 1;
                    self.start = self.pos;
                }
                b'<' => match classify_open(self.avail()) {
                    Open::NeedMore => return Step::More,
                    Open::Event => {
                        if let Some(e) = self.flush_garbage() {
                            return Step::Error(e);
                        }
                        self.decl_clear = [None; 2];
                        self.event_start = self.pos;
                        self.pos += 1;
                        self.mode = Mode::Tag {
                            quote: None,
                            first: true,
                            slash: false,
                        };
                        return Step::Continue;
                    }
                    open @ (Open::Pi | Open::Comment) => {
                        // A declaration or comment between events: skip it whole. Only its
                        // first MAX_DECLARATION bytes are searched for its end, so where it
                        // ends does not depend on how the stream was cut into reads.
                        let pi = open == Open::Pi;
                        let (kind, open_len) = if pi { (0, 2) } else { (1, 4) };
                        let window_end = self.buf.len().min(self.pos + Self::MAX_DECLARATION);
                        let mut from = self.pos + open_len;
                        if let Some(clear) = self.decl_clear[kind] {
                            from = from.max(clear).min(window_end);
                        }
                        let hay = &self.buf[from..window_end];
                        let end = if pi { pi_end(hay) } else { comment_end(hay) };
                        match end {
                            DeclEnd::Closed(n) => {
                                self.pos = from + n;
                                self.start = self.pos;
                            }
                            DeclEnd::Open(clear) => {
                                self.decl_clear[kind] = Some(from + clear);
                                if window_end - self.pos < Self::MAX_DECLARATION {
                                    return Step::More;
                                }
                                // Not a plausible declaration: garbage.
                                self.pos += 1;
                                self.garbage += 1;
                                self.start = self.pos;
                            }
                            DeclEnd::Broken => {
                                self.pos += 1;
                                self.garbage += 1;
                                self.start = self.pos;
                            }
                        }
                    }
                    _ => {
                        self.pos += 1;
                        self.garbage += 1;
                        self.start = self.pos;
                    }
                },
                TAK_MAGIC => {
                    let after = &self.avail()[1..];
                    match read_varint(after) {
                        Ok(None) => return Step::More,
                        Err(e) => {
                            self.pos += 1;
                            self.start = self.pos;
                            return Step::Error(e);
                        }
                        Ok(Some((len, n))) => {
                            if let Some(e) = self.flush_garbage() {
                                return Step::Error(e);
                            }
                            let len = usize::try_from(len).unwrap_or(usize::MAX);
                            if len > self.max {
                                if len <= MAX_SKIPPABLE_FRAME {
                                    self.pos += 1 + n;
                                    self.start = self.pos;
                                    self.mode = Mode::SkipFrame { remaining: len };
                                } else {
                                    self.pos += 1;
                                    self.start = self.pos;
                                }
                                return Step::Error(FrameError::Oversized {
                                    kind: "TAK frame",
                                    size: len,
                                    limit: self.max,
                                });
                            }
                            let begin = self.pos + 1 + n;
                            if self.buf.len() < begin + len {
                                self.buf.reserve(begin + len - self.buf.len());
                                return Step::More;
                            }
                            return Step::Tak(begin, begin + len);
                        }
                    }
                }
                _ => {
                    // Skip to the next byte that could start something.
                    let skip = self
                        .avail()
                        .iter()
                        .position(|&c| c == b'<' || c == TAK_MAGIC)
                        .unwrap_or(self.avail().len());
                    self.pos += skip;
                    self.garbage += skip;
                    self.start = self.pos;
                }
            }
        }
    }

    fn flush_garbage(&mut self) -> Option<FrameError> {
        if self.garbage == 0 {
            return None;
        }
        let bytes = std::mem::take(&mut self.garbage);
        Some(FrameError::Garbage { bytes })
    }

    /// Marks the current event as truncated and restarts at `at` (a `<` that does not
    /// belong in it).
    fn truncate_at(&mut self, at: usize) -> Step {
        let bytes = at - self.event_start + self.dropped;
        let was_discarding = self.discarding;
        self.pos = at;
        self.start = at;
        self.mode = Mode::Idle;
        self.discarding = false;
        self.dropped = 0;
        if was_discarding {
            // Already reported as oversized.
            Step::Continue
        } else {
            Step::Error(FrameError::Truncated { bytes })
        }
    }

    /// Inside an event: scan until its end.
    fn step_event(&mut self) -> Step {
        loop {
            let avail = &self.buf[self.pos..];
            if avail.is_empty() {
                return Step::More;
            }
            match self.mode {
                Mode::Text => match next_open(avail) {
                    None => {
                        self.pos = self.buf.len();
                        return Step::More;
                    }
                    Some(i) => {
                        self.pos += i;
                        let here = &self.buf[self.pos..];
                        match classify_open(here) {
                            Open::NeedMore => return Step::More,
                            Open::Comment => {
                                self.pos += 4;
                                self.mode = Mode::Comment;
                            }
                            Open::Cdata => {
                                self.pos += 9;
                                self.mode = Mode::Cdata;
                            }
                            Open::Pi => {
                                self.pos += 2;
                                self.mode = Mode::Pi;
                            }
                            Open::Event => return self.truncate_at(self.pos),
                            Open::EventEnd => {
                                match find(&here[..here.len().min(MAX_END_TAG)], b">") {
                                    Some(j) => return Step::XmlEnd(self.pos + j + 1),
                                    None if here.len() >= MAX_END_TAG => {
                                        return self.truncate_at(self.pos + 1);
                                    }
                                    None => return Step::More,
                                }
                            }
                            Open::Other => {
                                self.pos += 1;
                                self.mode = Mode::Tag {
                                    quote: None,
                                    first: false,
                                    slash: false,
                                };
                            }
                        }
                    }
                },
                Mode::Tag {
                    quote,
                    first,
                    slash,
                } => {
                    // `slash`: the last byte outside quotes was `/` (for `<event .../>`, whose
                    // `/` and `>` may arrive in different reads).
                    let mut q = quote;
                    let mut done = None;
                    let mut i = 0;
                    // Only `<`, `>` and quotes matter in a tag; the bytes between them are
                    // skipped a word at a time.
                    while let Some(j) = match q {
                        None => crate::swar::find_any(avail, i, [b'<', b'>', b'"', b'\'']),
                        Some(open) => crate::swar::find_any(avail, i, [b'<', open]),
                    } {
                        match (q, avail[j]) {
                            (_, b'<') => {
                                // Never allowed in a tag or an attribute value.
                                return self.truncate_at(self.pos + j);
                            }
                            (None, b'>') => {
                                done = Some(j);
                                break;
                            }
                            (None, c) => q = Some(c),
                            (Some(_), _) => q = None,
                        }
                        i = j + 1;
                    }
                    // The byte before the end (or the `>`), if outside quotes, was `/`: a
                    // `/` inside quotes is followed by its closing quote before any `>`.
                    let before = done.unwrap_or(avail.len());
                    let prev_slash = match before.checked_sub(1) {
                        None => slash,
                        Some(k) => q.is_none() && avail[k] == b'/',
                    };
                    match done {
                        None => {
                            self.pos += avail.len();
                            self.mode = Mode::Tag {
                                quote: q,
                                first,
                                slash: prev_slash,
                            };
                            return Step::More;
                        }
                        Some(i) => {
                            self.pos += i + 1;
                            if first && prev_slash {
                                return Step::XmlEnd(self.pos);
                            }
                            self.mode = Mode::Text;
                        }
                    }
                }
                Mode::Comment | Mode::Cdata | Mode::Pi => {
                    let close: &[u8] = match self.mode {
                        Mode::Comment => b"-->",
                        Mode::Cdata => b"]]>",
                        _ => b"?>",
                    };
                    match find(avail, close) {
                        Some(i) => {
                            self.pos += i + close.len();
                            self.mode = Mode::Text;
                        }
                        None => {
                            // Keep the last bytes: the closer may be split across reads.
                            self.pos += avail.len().saturating_sub(close.len() - 1);
                            return Step::More;
                        }
                    }
                }
                Mode::Idle | Mode::SkipFrame { .. } => return Step::Continue,
            }
        }
    }
}

/// How a declaration or comment between events ends, searched from just after its opener.
enum DeclEnd {
    /// It ends this many bytes on (its closer included).
    Closed(usize),
    /// No end in sight: nothing that could end it starts before this offset.
    Open(usize),
    /// A `<` came first: not a declaration (an XML declaration never holds one), so the
    /// `<` may start the next event.
    Broken,
}

/// The end of a processing instruction (`?>`), or a `<` before it.
fn pi_end(hay: &[u8]) -> DeclEnd {
    for (i, &c) in hay.iter().enumerate() {
        match c {
            b'<' => return DeclEnd::Broken,
            b'?' => match hay.get(i + 1) {
                Some(b'>') => return DeclEnd::Closed(i + 2),
                Some(_) => {}
                None => return DeclEnd::Open(i),
            },
            _ => {}
        }
    }
    DeclEnd::Open(hay.len())
}

/// The end of a comment (`-->`; a comment may hold anything else).
fn comment_end(hay: &[u8]) -> DeclEnd {
    match find(hay, b"-->") {
        Some(i) => DeclEnd::Closed(i + 3),
        None => DeclEnd::Open(hay.len().saturating_sub(2)),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Open {
    NeedMore,
    Event,
    EventEnd,
    Comment,
    Cdata,
    Pi,
    Other,
}

/// Where the next `<` is. Between the elements of an event there is usually no text at
/// all, so the first byte is looked at before a search is set up.
fn next_open(avail: &[u8]) -> Option<usize> {
    match avail.first() {
        Some(b'<') => Some(0),
        _ => memchr::memchr(b'<', avail),
    }
}

/// Classifies the markup starting at `s[0] == b'<'`.
fn classify_open(s: &[u8]) -> Open {
    const CANDIDATES: [(&[u8], Open); 4] = [
        (b"<!--", Open::Comment),
        (b"<![CDATA[", Open::Cdata),
        (b"<?", Open::Pi),
        (b"<", Open::Other),
    ];
    // Tags whose name must be followed by a delimiter.
    for (name, kind) in [
        (&b"<event"[..], Open::Event),
        (&b"</event"[..], Open::EventEnd),
    ] {
        let n = name.len();
        if s.len() < n + 1 {
            if name.starts_with(s) {
                return Open::NeedMore;
            }
        } else if s.starts_with(name) && matches!(s[n], b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/')
        {
            return kind;
        }
    }
    for (prefix, kind) in CANDIDATES {
        if s.len() < prefix.len() {
            if prefix.starts_with(s) && prefix.len() > 1 {
                return Open::NeedMore;
            }
            continue;
        }
        if s.starts_with(prefix) {
            return kind;
        }
    }
    Open::Other
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..=hay.len() - needle.len()]
            .iter()
            .position(|&c| c == first)
        {
            None => return None,
            Some(j) => {
                i += j;
                if &hay[i..i + needle.len()] == needle {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    type Out = Vec<Result<String, FrameError>>;

    fn drain(d: &mut StreamDecoder, out: &mut Out) {
        while let Some(m) = d.next_message() {
            out.push(m.map(|m| match m {
                Message::Xml(x) => String::from_utf8_lossy(x).into_owned(),
                Message::Tak(x) => format!("TAK{:?}", x),
            }));
        }
    }

    fn split_all(input: &[u8], max: usize, chunk: usize) -> Out {
        let mut d = StreamDecoder::new(max);
        let mut out = Vec::new();
        for c in input.chunks(chunk.max(1)) {
            d.push(c);
            drain(&mut d, &mut out);
        }
        if let Some(e) = d.finish() {
            out.push(Err(e));
        }
        out
    }

    const E1: &str = r#"<event uid="1"><point/><detail><a x='>'/><!-- </event> --><![CDATA[</event>]]><?pi </event>?></detail></event>"#;
    const E2: &str = "<event uid=\"2\"/>";
    const E3: &str = "<event\nuid=\"3\"><detail/></event >";

    #[test]
    fn splits_at_every_chunk_size() {
        let stream = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{E1}\n\n{E2}<?xml version='1.0'?>{E3}  "
        );
        for chunk in 1..stream.len() + 1 {
            let out = split_all(stream.as_bytes(), 4096, chunk);
            assert_eq!(
                out,
                vec![Ok(E1.to_string()), Ok(E2.to_string()), Ok(E3.to_string())],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn garbage_between_events_is_skipped_and_reported() {
        let stream = format!("junk{E2}\x01\x02 more junk {E3}<eventually/>{E2}");
        let out = split_all(stream.as_bytes(), 4096, 7);
        assert_eq!(
            out,
            vec![
                Err(FrameError::Garbage { bytes: 4 }),
                Ok(E2.to_string()),
                Err(FrameError::Garbage { bytes: 13 }),
                Ok(E3.to_string()),
                Err(FrameError::Garbage { bytes: 13 }),
                Ok(E2.to_string()),
            ]
        );
    }

    #[test]
    fn truncated_event_followed_by_a_good_one() {
        let stream =
            format!("<event uid=\"x\"><detail><contact {E2}<event uid=\"y\" a=\"<oops\">{E3}");
        let out = split_all(stream.as_bytes(), 4096, 5);
        assert_eq!(out.len(), 5, "{out:?}");
        assert!(matches!(out[0], Err(FrameError::Truncated { .. })));
        assert_eq!(out[1], Ok(E2.to_string()));
        assert!(matches!(out[2], Err(FrameError::Truncated { .. })));
        // `<oops">` after the cut is not an event.
        assert_eq!(out[3], Err(FrameError::Garbage { bytes: 7 }));
        assert_eq!(out[4], Ok(E3.to_string()));
        // Cut off by the end of the stream.
        let out = split_all(b"<event uid='z'><detail>", 4096, 3);
        assert_eq!(out, vec![Err(FrameError::Truncated { bytes: 23 })]);
    }

    #[test]
    fn oversized_event_is_skipped_with_bounded_memory() {
        let mut d = StreamDecoder::new(1024);
        let mut out = Vec::new();
        d.push(b"<event uid='big'><detail>");
        let filler = vec![b'x'; 4096];
        let mut peak = 0;
        for _ in 0..2560 {
            // 10 MiB with no end tag
            d.push(&filler);
            drain(&mut d, &mut out);
            peak = peak.max(d.buffered());
        }
        assert!(peak <= 1024 + 2 * 4096, "buffer grew to {peak}");
        d.push(b"</detail></event>");
        d.push(E2.as_bytes());
        drain(&mut d, &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(matches!(
            out[0],
            Err(FrameError::Oversized {
                kind: "XML event",
                ..
            })
        ));
        assert_eq!(out[1], Ok(E2.to_string()));
    }

    #[test]
    fn tak_frames_mixed_with_xml() {
        let mut stream = Vec::new();
        stream.extend_from_slice(E2.as_bytes());
        super::super::write_stream_frame(&[1, 2, 3], &mut stream);
        stream.extend_from_slice(b"\n");
        stream.extend_from_slice(E3.as_bytes());
        super::super::write_stream_frame(&[0xbf; 200], &mut stream);
        for chunk in [1, 2, 3, 50, 1000] {
            let out = split_all(&stream, 4096, chunk);
            assert_eq!(out.len(), 4, "{chunk}: {out:?}");
            assert_eq!(out[0], Ok(E2.to_string()));
            assert_eq!(out[1], Ok("TAK[1, 2, 3]".to_string()));
            assert_eq!(out[2], Ok(E3.to_string()));
            assert_eq!(out[3], Ok(format!("TAK{:?}", vec![0xbf_u8; 200])));
        }
    }

    #[test]
    fn oversized_tak_frame_is_skipped() {
        let mut stream = Vec::new();
        super::super::write_stream_frame(&vec![7; 5000], &mut stream);
        super::super::write_stream_frame(&[1], &mut stream);
        let out = split_all(&stream, 1024, 100);
        assert_eq!(
            out,
            vec![
                Err(FrameError::Oversized {
                    kind: "TAK frame",
                    size: 5000,
                    limit: 1024
                }),
                Ok("TAK[1]".to_string())
            ]
        );
        // An absurd length is taken for garbage, not skipped.
        let mut stream = vec![0xbf, 0xff, 0xff, 0xff, 0xff, 0x7f];
        stream.extend_from_slice(E2.as_bytes());
        let out = split_all(&stream, 1024, 100);
        assert!(
            matches!(out[0], Err(FrameError::Oversized { .. })),
            "{out:?}"
        );
        assert_eq!(out.last(), Some(&Ok(E2.to_string())));
    }

    #[test]
    fn random_bytes_never_panic() {
        // A tiny deterministic generator (xorshift) keeps this reproducible.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..300 {
            let len = (round * 37) % 3000;
            let mut data = Vec::with_capacity(len);
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let alphabet = b"<>/?!-[]'\"event CDATA\xbf\x01\x80x";
                data.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            data.extend_from_slice(E2.as_bytes());
            let out = split_all(&data, 512, 1 + round % 13);
            assert!(out.iter().all(|r| match r {
                Ok(s) => s.starts_with("<event") || s.starts_with("TAK"),
                Err(_) => true,
            }));
        }
    }
}

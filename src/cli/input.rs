//! Reading events from stdin or a file: CoT XML events (any layout, as the stream
//! splitter takes them), TAK protocol stream frames, and JSON objects one per line (the
//! schema of `takwire::cot::json`), in any mix. The kind is decided per message: a line
//! whose first non-blank byte is `{`, between messages, is JSON; everything else goes to
//! the XML/TAK stream splitter.

use std::io::{BufRead, BufReader, ErrorKind, Read};

use takwire::Event;
use takwire::framing::{Message, StreamDecoder};

/// What one read step produced.
pub enum Input {
    /// A parsed event, with its XML as read (put on one line) when it came as XML, to be
    /// forwarded verbatim: what the user wrote, at no cost of writing it again.
    Event(Box<Event>, Option<Vec<u8>>),
    /// Something that is not an event, with why.
    Bad(String),
}

/// Reads at most this much at a time.
const BUF: usize = 256 * 1024;

/// Reads events from `reader` and hands each to `f` until end of input or until `f` returns
/// false. `progress` is called with the number of bytes consumed so far. Returns the
/// number of bytes read, or the read error.
pub fn for_each_event(
    reader: impl Read,
    max: usize,
    mut progress: impl FnMut(u64),
    mut f: impl FnMut(Input) -> bool,
) -> std::io::Result<u64> {
    let mut r = BufReader::with_capacity(BUF, reader);
    let mut decoder = StreamDecoder::new(max);
    let mut total = 0u64;
    // Whether the next byte starts a line.
    let mut line_start = true;
    let mut json = JsonLine::new(max);
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if let Some(item) = json.finish() {
                f(item);
            }
            if let Some(e) = decoder.finish() {
                f(Input::Bad(e.to_string()));
            }
            return Ok(total);
        }
        let between = line_start && !json.active() && decoder.is_idle();
        if between {
            // Blank lines and indentation between messages: skip them here, so that the
            // first real byte of the line decides what the line is.
            let blanks = buf
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .count();
            if blanks > 0 {
                r.consume(blanks);
                total += blanks as u64;
                continue;
            }
        }
        let n = if json.active() || (between && buf.first() == Some(&b'{')) {
            // A JSON line: take bytes up to and including its newline.
            let (n, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            json.push(&buf[..n]);
            if done
                && let Some(item) = json.finish()
                && !f(item)
            {
                return Ok(total + n as u64);
            }
            n
        } else {
            // XML or TAK frames: hand the splitter everything up to the start of the next
            // line that might be JSON (all of the buffer when there is none).
            let n = next_json_candidate(buf).unwrap_or(buf.len());
            decoder.push(&buf[..n]);
            n
        };
        line_start = buf.get(n - 1) == Some(&b'\n');
        r.consume(n);
        total += n as u64;
        progress(total);
        while let Some(m) = decoder.next_message() {
            let item = match m {
                Ok(msg) => match takwire::wire::decode(msg) {
                    Ok(e) => {
                        // Forwarded as read, on one line (line breaks written so that the
                        // meaning is unchanged), for receivers that split on lines.
                        let xml = match msg {
                            Message::Xml(x) => std::str::from_utf8(x).ok().map(|s| {
                                takwire::cot::xml::single_line(s).into_owned().into_bytes()
                            }),
                            Message::Tak(_) => None,
                        };
                        Input::Event(Box::new(e), xml)
                    }
                    Err(e) => Input::Bad(e.to_string()),
                },
                Err(e) => Input::Bad(e.to_string()),
            };
            if !f(item) {
                return Ok(total);
            }
        }
    }
}

/// The offset of the first line start after which a JSON line might begin: a line (after
/// the first byte) whose first non-blank byte is `{`. `None` if there is no `{` at all.
fn next_json_candidate(buf: &[u8]) -> Option<usize> {
    // The common case, XML without braces, answered by one memchr.
    if !buf.contains(&b'{') {
        return None;
    }
    let brace = buf.iter().position(|&b| b == b'{')?;
    // The start of the line holding that brace.
    let line = buf[..brace]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    if line > 0 {
        return Some(line);
    }
    // The brace is on the first line: that line is not JSON (or we would not be here), so
    // give the splitter all of it and look again after it.
    match buf.iter().position(|&b| b == b'\n') {
        Some(i) => Some(i + 1),
        None => Some(buf.len()),
    }
}

/// A JSON line being collected, bounded by the event size limit.
struct JsonLine {
    buf: Vec<u8>,
    max: usize,
    active: bool,
    oversized: usize,
}

impl JsonLine {
    fn new(max: usize) -> JsonLine {
        JsonLine {
            buf: Vec::new(),
            max,
            active: false,
            oversized: 0,
        }
    }

    fn active(&self) -> bool {
        self.active
    }

    fn push(&mut self, bytes: &[u8]) {
        self.active = true;
        if self.oversized > 0 || self.buf.len() + bytes.len() > self.max {
            self.oversized += self.buf.len() + bytes.len();
            self.buf.clear();
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The line's event (or why not), if a line was collected.
    fn finish(&mut self) -> Option<Input> {
        if !self.active {
            return None;
        }
        self.active = false;
        let item = if self.oversized > 0 {
            Input::Bad(format!(
                "JSON line of {} bytes exceeds the limit of {} bytes; skipped",
                self.oversized, self.max
            ))
        } else {
            self.parse()
        };
        self.buf.clear();
        self.oversized = 0;
        Some(item)
    }
}

impl JsonLine {
    #[cfg(feature = "json")]
    fn parse(&self) -> Input {
        match takwire::cot::json::from_slice(&self.buf) {
            Ok(e) => Input::Event(Box::new(e), None),
            Err(e) => Input::Bad(e.to_string()),
        }
    }

    #[cfg(not(feature = "json"))]
    fn parse(&self) -> Input {
        Input::Bad(format!(
            "JSON input line of {} bytes skipped: JSON is not built (the `json` feature is off)",
            self.buf.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<event version="2.0" uid="x1" type="a-f-G" how="m-g" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:02:00Z"><point lat="1" lon="2"/><detail><remarks>{not json}</remarks></detail></event>"#;
    const JSON: &str = r#"{"uid":"j1","type":"a-f-G","time":"2026-01-01T00:00:00Z","stale":"2026-01-01T00:02:00Z","point":{"lat":1,"lon":2},"detail":[{"name":"remarks","text":"<xml-ish>\n"}]}"#;

    /// Reads `input` through a reader that returns at most `chunk` bytes per read.
    fn read_all(input: &[u8], chunk: usize, max: usize) -> Vec<Result<String, String>> {
        struct Chunky<'a>(&'a [u8], usize);
        impl Read for Chunky<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut got = Vec::new();
        for_each_event(
            Chunky(input, chunk),
            max,
            |_| {},
            |i| {
                got.push(match i {
                    Input::Event(e, _) => Ok(e.uid.clone()),
                    Input::Bad(why) => Err(why),
                });
                true
            },
        )
        .unwrap();
        got
    }

    #[test]
    fn xml_json_and_frames_mixed() {
        let mut input = Vec::new();
        input.extend_from_slice(XML.as_bytes());
        input.extend_from_slice(b"\n");
        input.extend_from_slice(JSON.as_bytes());
        input.extend_from_slice(b"\n  ");
        input.extend_from_slice(JSON.replace("j1", "j2").as_bytes());
        input.extend_from_slice(b"\r\n");
        // A pretty-printed XML event over several lines, with a brace inside.
        input.extend_from_slice(XML.replace("x1", "x2").replace("><", ">\n  <").as_bytes());
        input.extend_from_slice(b"\n{\"broken\": \n");
        input.extend_from_slice(XML.replace("x1", "x3").as_bytes());
        // JSON right after an event on the same line is not JSON: skipped as garbage.
        input.extend_from_slice(JSON.as_bytes());
        input.extend_from_slice(b"\n");
        input.extend_from_slice(JSON.replace("j1", "j4").as_bytes());
        for chunk in [1, 2, 7, 64, 100_000] {
            let got = read_all(&input, chunk, 1 << 20);
            let uids: Vec<&str> = got.iter().filter_map(|r| r.as_deref().ok()).collect();
            assert_eq!(uids, ["x1", "j1", "j2", "x2", "x3", "j4"], "chunk {chunk}");
            let bad: Vec<&String> = got.iter().filter_map(|r| r.as_ref().err()).collect();
            assert_eq!(bad.len(), 2, "chunk {chunk}: {bad:?}");
            assert!(bad[0].contains("not valid JSON"), "{bad:?}");
            assert!(bad[1].contains("non-CoT"), "{bad:?}");
        }
    }

    #[test]
    fn oversized_json_line_is_skipped() {
        let big = format!("{{\"uid\": \"{}\"}}\n{JSON}\n", "x".repeat(5000));
        for chunk in [3, 1000, 100_000] {
            let got = read_all(big.as_bytes(), chunk, 1024);
            assert_eq!(got.len(), 2, "{got:?}");
            assert!(got[0].as_ref().unwrap_err().contains("exceeds the limit"));
            assert_eq!(got[1], Ok("j1".to_string()));
        }
    }

    #[test]
    fn last_line_without_newline() {
        assert_eq!(
            read_all(JSON.as_bytes(), 5, 1 << 20),
            [Ok("j1".to_string())]
        );
        let got = read_all(b"<event uid='cut'><point", 5, 1 << 20);
        // The stream decoder reports the event the input cut off.
        assert!(
            got[0]
                .as_ref()
                .unwrap_err()
                .contains("cut off after 23 bytes"),
            "{got:?}"
        );
    }
}

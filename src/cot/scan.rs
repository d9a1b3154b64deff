//! The fast path for reading CoT XML: one pass over the bytes, no tree, for the shape
//! nearly every event has.
//!
//! It reads a strict subset of XML: ASCII names without prefixes, no namespace
//! declarations, no comments, CDATA sections, processing instructions or DOCTYPE, the five
//! predefined entities and character references, an optional plain XML declaration, and
//! `<event>`/`<point>` attribute values without references or whitespace that XML would
//! normalise. Inside that subset it checks everything the full parser checks (names, tag
//! balance, attribute syntax and duplicates, quoting, references, characters XML cannot
//! carry, `]]>` in text) and builds the same [`Event`]. Anything else, and every error, it
//! declines (`None`); the roxmltree path in [`xml`](crate::cot::xml) then decides, so both
//! paths give one answer and the error messages come from one place. `tests/xml_fast_path.rs`
//! and the `xml_fast_path` fuzz target hold the two paths to that.

use crate::cot::detail::MAX_DETAIL_CHILDREN;
use crate::cot::xml::MAX_NODES;
use crate::cot::{CotTime, Detail, Event, Point, UNKNOWN};

/// Elements nested deeper than this are left to the full parser.
const MAX_DEPTH: usize = 32;

/// Elements with more attributes than this are left to the full parser (the duplicate check
/// here is quadratic in the count).
const MAX_ATTRS: usize = 16;

/// Bytes that end a run of ordinary text: markup, references, a possible `]]>`, the lead
/// byte of U+FFFE and U+FFFF, and control characters XML 1.0 does not allow.
static TEXT_STOP: [bool; 256] = stops(b"<&]");

/// Bytes that end a run of an attribute value: as for text, plus both quotes, and the
/// whitespace XML normalises (to note that the value does not read as written).
static VALUE_STOP: [bool; 256] = stops(b"<&\"'\t\n\r");

/// How many bytes at the start of `b` are not marked in `stop`.
#[inline]
fn run(b: &[u8], stop: &[bool; 256]) -> usize {
    b.iter().position(|&c| stop[c as usize]).unwrap_or(b.len())
}

const fn stops(special: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = !matches!(c as u8, b'\t' | b'\n' | b'\r');
        c += 1;
    }
    t[0xEF] = true;
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = true;
        i += 1;
    }
    t
}

/// A name or value: a byte range of the input.
type Span = (usize, usize);

/// An attribute: its name, its value, and whether the value reads as written (no
/// reference to replace, no tab or line break that XML turns into a space).
type Attr = (Span, Span, bool);

/// Skips XML whitespace from `i`.
#[inline]
fn spaces(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// Where the name at `i` ends: ASCII letters, digits, `_`, `-`, `.`, starting with a letter
/// or `_`. A prefix (`:`) or a non-ASCII name character declines.
#[inline]
fn name(b: &[u8], i: usize) -> Option<usize> {
    name_stop(b, i).map(|(end, _)| end)
}

/// As [`name`], with the byte that ended it (`None` at the end of the input).
#[inline(always)]
fn name_stop(b: &[u8], i: usize) -> Option<(usize, Option<u8>)> {
    let first = *b.get(i)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    match crate::swar::name_stop(b, i + 1) {
        (_, Some(b':' | 0x80..)) => None,
        found => Some(found),
    }
}

/// The quoted attribute value at `i`: its span without the quotes, whether it reads as
/// written, and where it ends.
#[inline]
fn value(b: &[u8], i: usize) -> Option<(Span, bool, usize)> {
    let quote = *b.get(i).filter(|q| matches!(q, b'"' | b'\''))?;
    let from = i + 1;
    // Nearly every value is printable ASCII without `<` or `&`.
    if let Some(end) = crate::swar::plain_value_end(b, from, quote) {
        return Some(((from, end), true, end + 1));
    }
    let mut plain = true;
    let mut i = from;
    loop {
        i += run(&b[i..], &VALUE_STOP);
        match *b.get(i)? {
            c if c == quote => return Some(((from, i), plain, i + 1)),
            b'"' | b'\'' => i += 1,
            b'\t' | b'\n' | b'\r' => {
                plain = false;
                i += 1;
            }
            b'&' => {
                plain = false;
                i = reference(b, i)?;
            }
            _ => i = special(b, i)?,
        }
    }
}

/// Where the run of text at `i` ends: at the next `<`, or the end.
#[inline]
fn text(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i += run(&b[i..], &TEXT_STOP);
        match b.get(i) {
            None | Some(b'<') => return Some(i),
            Some(b']') if b[i..].starts_with(b"]]>") => return None,
            Some(b']') => i += 1,
            Some(_) => i = special(b, i)?,
        }
    }
}

/// At a stop byte other than markup and quotes: a reference (checked and skipped), the
/// lead byte of a character (U+FFFE and U+FFFF decline), or a control character
/// (declines). Returns where reading goes on.
fn special(b: &[u8], i: usize) -> Option<usize> {
    match b[i] {
        b'&' => reference(b, i),
        0xEF => match b.get(i + 1..i + 3)? {
            [0xBF, 0xBE | 0xBF] => None,
            _ => Some(i + 1),
        },
        _ => None,
    }
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#N;` or `&#xH;` naming a character XML
/// allows, at `i`; anything else declines. Returns where it ends.
fn reference(b: &[u8], i: usize) -> Option<usize> {
    const NAMED: [&[u8]; 5] = [b"&amp;", b"&lt;", b"&gt;", b"&quot;", b"&apos;"];
    let rest = &b[i..];
    if let Some(n) = NAMED.iter().find(|n| rest.starts_with(n)) {
        return Some(i + n.len());
    }
    let (digits, radix, skip) = if rest.starts_with(b"&#x") {
        (&rest[3..], 16, 3)
    } else if rest.starts_with(b"&#") {
        (&rest[2..], 10, 2)
    } else {
        return None;
    };
    let len = digits.iter().take(7).position(|&c| c == b';')?;
    let value = std::str::from_utf8(&digits[..len]).ok()?;
    if !value.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let c = char::from_u32(u32::from_str_radix(value, radix).ok()?)?;
    if crate::cot::xml::forbidden(c) {
        return None;
    }
    Some(i + skip + len + 1)
}

/// Parses one `<event>`, or declines.
pub(crate) fn event(text: &str) -> Option<Event> {
    let mut s = Scanner::new(text);
    s.declaration()?;
    s.spaces();
    let (name, open) = s.start_tag()?;
    if s.str(name) != "event" || !open {
        return None;
    }
    let mut ev = s.event_attributes()?;
    let mut point = None;
    loop {
        s.text()?;
        match s.markup()? {
            Markup::End => {
                s.end_tag(name)?;
                break;
            }
            Markup::Start => {
                let from = s.i;
                let (child, open) = s.start_tag()?;
                match s.str(child) {
                    "point" if point.is_none() => {
                        point = Some(s.point()?);
                        if open {
                            s.element_rest(child)?;
                        }
                    }
                    "detail" => {
                        if open {
                            // The detail is (nearly) all that is left of the event.
                            ev.detail.reserve(s.b.len() - s.i, 8);
                            s.detail_content(&mut ev.detail, Some(child))?;
                        }
                    }
                    // Anything else at event level goes into the detail, as the full
                    // parser keeps it.
                    name => {
                        if open {
                            s.element_rest(child)?;
                        }
                        ev.detail.push_scanned(name.len(), &text[from..s.i]);
                    }
                }
            }
        }
    }
    s.spaces();
    if s.i != s.b.len() || s.nodes > MAX_NODES as usize / 2 || ev.detail.len() > MAX_DETAIL_CHILDREN
    {
        return None;
    }
    ev.point = point?;
    Some(ev)
}

/// Parses the inner XML of a `<detail>` (TAK protocol's `xmlDetail`), or declines.
pub(crate) fn detail(inner: &str) -> Option<Detail> {
    let mut s = Scanner::new(inner);
    // Room for the typed elements a TAK protocol decoder appends after these.
    let mut detail = Detail::with_capacity(inner.len() + 256, 8);
    s.detail_content(&mut detail, None)?;
    (s.nodes <= MAX_NODES as usize / 2 && detail.len() <= MAX_DETAIL_CHILDREN).then_some(detail)
}

/// What a `<` starts.
enum Markup {
    Start,
    End,
}

struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// Elements and text runs read so far.
    nodes: usize,
    /// The attributes of the start tag read last: (name, value) of each.
    attrs: [Attr; MAX_ATTRS],
    attr_count: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            b: text.as_bytes(),
            i: 0,
            nodes: 0,
            attrs: [((0, 0), (0, 0), false); MAX_ATTRS],
            attr_count: 0,
        }
    }

    fn str(&self, (from, to): Span) -> &'a str {
        &self.text[from..to]
    }

    fn eat(&mut self, lit: &[u8]) -> bool {
        let hit = self.b[self.i..].starts_with(lit);
        if hit {
            self.i += lit.len();
        }
        hit
    }

    /// Skips XML whitespace; returns whether there was any.
    fn spaces(&mut self) -> bool {
        let from = self.i;
        self.i = spaces(self.b, from);
        self.i > from
    }

    /// `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` with the last two optional,
    /// or nothing. A byte-order mark, another version or any other form declines.
    fn declaration(&mut self) -> Option<()> {
        if !self.eat(b"<?xml ") {
            return (!self.b.starts_with(b"<?") && !self.text.starts_with('\u{feff}'))
                .then_some(());
        }
        self.spaces();
        let version = self.pseudo_attribute(b"version")?;
        if self.str(version) != "1.0" {
            return None;
        }
        let mut spaced = self.spaces();
        if spaced && self.b[self.i..].starts_with(b"encoding") {
            let enc = self.pseudo_attribute(b"encoding")?;
            let enc = self.str(enc);
            let b = enc.as_bytes();
            let ok = b.first().is_some_and(u8::is_ascii_alphabetic)
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
            if !ok {
                return None;
            }
            spaced = self.spaces();
        }
        if spaced && self.b[self.i..].starts_with(b"standalone") {
            let sd = self.pseudo_attribute(b"standalone")?;
            if !matches!(self.str(sd), "yes" | "no") {
                return None;
            }
            self.spaces();
        }
        self.eat(b"?>").then_some(())
    }

    /// `name="value"` in the declaration: the value's span.
    fn pseudo_attribute(&mut self, name: &[u8]) -> Option<Span> {
        if !self.eat(name) {
            return None;
        }
        self.spaces();
        if !self.eat(b"=") {
            return None;
        }
        self.spaces();
        let quote = *self.b.get(self.i).filter(|q| matches!(q, b'"' | b'\''))?;
        let from = self.i + 1;
        let len = self.b[from..].iter().position(|&c| c == quote)?;
        self.i = from + len + 1;
        Some((from, from + len))
    }

    /// A name of ASCII letters, digits, `_`, `-`, `.`, starting with a letter or `_`. A
    /// prefix (`:`) or a non-ASCII name character declines.
    fn name(&mut self) -> Option<Span> {
        let from = self.i;
        self.i = name(self.b, from)?;
        Some((from, self.i))
    }

    /// At a `<`: whether it starts an element or an end tag. Comments, CDATA, processing
    /// instructions and the end of the input decline.
    fn markup(&self) -> Option<Markup> {
        match self.b.get(self.i..self.i + 2)? {
            [b'<', b'/'] => Some(Markup::End),
            [b'<', b'!' | b'?'] => None,
            [b'<', _] => Some(Markup::Start),
            _ => None,
        }
    }

    /// A start tag at `<`: `<name attr="v" ...>` or `.../>`. Returns the name and whether
    /// the element has content to read (`>`, not `/>`); its attributes are in `attrs`.
    fn start_tag(&mut self) -> Option<(Span, bool)> {
        // The position lives in a local here, the hottest loop of the scanner.
        let b = self.b;
        let from = self
            .i
            .checked_add(1)
            .filter(|_| b.get(self.i) == Some(&b'<'))?;
        let mut i = name(b, from)?;
        let tag = (from, i);
        self.nodes += 1;
        self.attr_count = 0;
        // One bit per attribute name seen in this tag (by length and end bytes): the names
        // are compared only when a bit repeats.
        let mut seen = 0u64;
        loop {
            let before = i;
            i = spaces(b, i);
            match b.get(i)? {
                b'>' => {
                    self.i = i + 1;
                    return Some((tag, true));
                }
                b'/' if b.get(i + 1) == Some(&b'>') => {
                    self.i = i + 2;
                    return Some((tag, false));
                }
                _ if i == before => return None,
                _ => {
                    let at = i;
                    let (end, stop) = name_stop(b, at)?;
                    let attr = (at, end);
                    // Nearly always `name="`: the byte after the name is known already.
                    i = if stop == Some(b'=') {
                        end + 1
                    } else {
                        let eq = spaces(b, end);
                        if b.get(eq) != Some(&b'=') {
                            return None;
                        }
                        eq + 1
                    };
                    i = spaces(b, i);
                    let (value, plain, end) = value(b, i)?;
                    i = end;
                    let new = &b[attr.0..attr.1];
                    let bit = 1u64
                        << ((new.len() * 7
                            + usize::from(new[0])
                            + usize::from(new[new.len() - 1]) * 3)
                            % 64);
                    let repeated = seen & bit != 0
                        && self
                            .attributes()
                            .iter()
                            .any(|&(n, _, _)| &b[n.0..n.1] == new);
                    seen |= bit;
                    // A default namespace declaration changes what names mean.
                    if repeated || self.attr_count == MAX_ATTRS || new == b"xmlns" {
                        return None;
                    }
                    self.attrs[self.attr_count] = (attr, value, plain);
                    self.attr_count += 1;
                }
            }
        }
    }

    /// A run of text up to the next `<` (or the end); counts it as a node if not empty.
    fn text(&mut self) -> Option<()> {
        let from = self.i;
        self.i = text(self.b, from)?;
        if self.i > from {
            self.nodes += 1;
        }
        Some(())
    }

    /// `</name>` (whitespace allowed before `>`), which must close `open`.
    fn end_tag(&mut self, open: Span) -> Option<()> {
        if !self.eat(b"</") {
            return None;
        }
        let name = self.name()?;
        self.spaces();
        (self.eat(b">") && self.str(name) == self.str(open)).then_some(())
    }

    /// The content and end tag of an element whose start tag `name` was just read.
    fn element_rest(&mut self, name: Span) -> Option<()> {
        let mut open = [(0, 0); MAX_DEPTH];
        open[0] = name;
        let mut depth = 1;
        loop {
            self.text()?;
            match self.markup()? {
                Markup::End => {
                    depth -= 1;
                    self.end_tag(open[depth])?;
                    if depth == 0 {
                        return Some(());
                    }
                }
                Markup::Start => {
                    let (child, has_content) = self.start_tag()?;
                    if has_content {
                        *open.get_mut(depth)? = child;
                        depth += 1;
                    }
                }
            }
        }
    }

    /// The children of a `<detail>` into `detail`: up to its end tag (`Some(name)`), or
    /// to the end of the input (`None`, inner XML).
    fn detail_content(&mut self, detail: &mut Detail, close: Option<Span>) -> Option<()> {
        loop {
            let from = self.i;
            self.text()?;
            let run = &self.text[from..self.i];
            // Text is kept unless it is only indentation.
            if !run.is_empty() && !run.trim().is_empty() {
                detail.push_verbatim("", run);
            }
            if self.i == self.b.len() && close.is_none() {
                return Some(());
            }
            match self.markup()? {
                Markup::End => return self.end_tag(close?),
                Markup::Start => {
                    let from = self.i;
                    let (name, open) = self.start_tag()?;
                    if open {
                        self.element_rest(name)?;
                    }
                    detail.push_scanned(name.1 - name.0, &self.text[from..self.i]);
                }
            }
        }
    }

    /// The attributes of the start tag read last.
    fn attributes(&self) -> &[Attr] {
        &self.attrs[..self.attr_count]
    }

    /// The `<event>` attributes, as the full parser reads them.
    fn event_attributes(&self) -> Option<Event> {
        let mut ev = Event::blank();
        let (mut time, mut start, mut stale) = (None, None, None);
        let (mut have_uid, mut have_type, mut have_version) = (false, false, false);
        for &(name, value, plain) in self.attributes() {
            if !plain {
                return None;
            }
            let v = self.str(value);
            match self.str(name) {
                "version" => {
                    ev.version = v.to_string();
                    have_version = true;
                }
                "uid" => {
                    ev.uid = v.to_string();
                    have_uid = true;
                }
                "type" => {
                    ev.cot_type = v.to_string();
                    have_type = true;
                }
                "how" => ev.how = v.to_string(),
                "time" => time = Some(CotTime::parse(v).ok()?),
                "start" => start = Some(CotTime::parse(v).ok()?),
                "stale" => stale = Some(CotTime::parse(v).ok()?),
                "access" => ev.access = Some(v.to_string()),
                "qos" => ev.qos = Some(v.to_string()),
                "opex" => ev.opex = Some(v.to_string()),
                "caveat" => ev.caveat = Some(v.to_string()),
                "releasableTo" => ev.releasable_to = Some(v.to_string()),
                other => ev.extra_attrs.push((other.to_string(), v.to_string())),
            }
        }
        if !(have_uid && have_type) {
            return None;
        }
        if !have_version {
            ev.version = String::from("2.0");
        }
        ev.time = time?;
        ev.stale = stale?;
        ev.start = start.unwrap_or(ev.time);
        Some(ev)
    }

    /// The `<point>` attributes, as the full parser reads them.
    fn point(&self) -> Option<Point> {
        // lat, lon, hae, ce, le; the last three default to UNKNOWN.
        let mut values = [None, None, Some(UNKNOWN), Some(UNKNOWN), Some(UNKNOWN)];
        for &((from, to), value, plain) in self.attributes() {
            let slot = match &self.b[from..to] {
                b"lat" => 0,
                b"lon" => 1,
                b"hae" => 2,
                b"ce" => 3,
                b"le" => 4,
                _ => continue,
            };
            if !plain {
                return None;
            }
            let v = trim(self.str(value));
            let n: f64 = match decimal(v) {
                Some(n) => n,
                None => v.parse().ok()?,
            };
            values[slot] = Some(n).filter(|n| n.is_finite());
            values[slot]?;
        }
        let [lat, lon, hae, ce, le] = values;
        Some(Point {
            lat: lat?,
            lon: lon?,
            hae: hae?,
            ce: ce?,
            le: le?,
        })
    }
}

/// `[-]digits[.digits]` with at most 15 significant digits, read exactly as
/// `str::parse::<f64>` reads it (a mantissa below 2^53 divided by an exact power of ten is
/// correctly rounded: Clinger's fast path); `None` for anything else.
fn decimal(s: &str) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, digits) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        b => (false, b),
    };
    let (mut mantissa, mut count, mut fraction) = (0u64, 0usize, None);
    for (i, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' if count < 15 => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                count += 1;
            }
            b'.' if fraction.is_none() && i > 0 => fraction = Some(digits.len() - i - 1),
            _ => return None,
        }
    }
    // At least one digit on each side of the point, and few enough to be exact.
    if count == 0 || fraction == Some(0) || digits.last() == Some(&b'.') {
        return None;
    }
    let n = mantissa as f64 / POW10[fraction.unwrap_or(0)];
    Some(if negative { -n } else { n })
}

/// `s.trim()`, skipping the search when `s` plainly starts and ends with no whitespace.
fn trim(s: &str) -> &str {
    let graphic = |c: Option<&u8>| c.is_some_and(u8::is_ascii_graphic);
    if graphic(s.as_bytes().first()) && graphic(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_common_shape() {
        let xml = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n<event version=\"2.0\" uid=\"A-1\" type=\"a-f-G\" how=\"m-g\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2026-01-01T00:01:00Z\" x='y'><point lat=\"1.5\" lon=\"-2.25\" hae=\"3\" ce=\"4\" le=\"5\"/><detail>\n  <contact callsign=\"A &amp; B\"/>\n  <remarks>a &lt; b &#233;&#x1F600;</remarks>\n  loose text\n</detail></event>\n";
        let ev = event(xml).expect("the fast path reads it");
        assert_eq!(ev, crate::cot::xml::parse_tree(xml).unwrap());
        assert_eq!(ev.extra_attrs, [("x".to_string(), "y".to_string())]);
        assert_eq!(ev.point.lon, -2.25);
        assert_eq!(ev.detail.len(), 3);
    }

    #[test]
    fn declines_what_it_does_not_cover() {
        let base = |inner: &str| {
            format!(
                "<event uid='u' type='t' time='2026-01-01T00:00:00Z' stale='2026-01-01T00:00:00Z'><point lat='1' lon='2'/><detail>{inner}</detail></event>"
            )
        };
        assert!(event(&base("")).is_some());
        for inner in [
            "<!-- c -->",
            "<![CDATA[x]]>",
            "<?pi x?>",
            "<x:a xmlns:x='urn:x'/>",
            "<a xmlns='urn:x'/>",
            "<a b='1' b='2'/>",
            "<a>]]></a>",
            "&nbsp;",
            "&#0;",
            "&#xFFFE;",
            "\u{FFFF}",
            "\u{1}",
            "<a b='<'/>",
            "<a></b>",
            "<a b='1'c='2'/>",
            "<é/>",
        ] {
            assert!(event(&base(inner)).is_none(), "{inner:?}");
        }
        assert!(event(&format!("\u{feff}{}", base(""))).is_none());
        assert!(event(&format!("<?xml version='1.1'?>{}", base(""))).is_none());
        assert!(event(&format!(" <?xml version='1.0'?>{}", base(""))).is_none());
        assert!(event(&format!("{}<!-- trailing -->", base(""))).is_none());
        assert!(event(&base("")).is_some_and(|e| e.detail.is_empty()));
    }

    #[test]
    fn decimals_read_as_the_standard_parser_reads_them() {
        for s in [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1.5",
            "43.97957317",
            "-66.07737696",
            "9999999.0",
            "26.767999",
            "123456789012345",
            "0.000000000000001",
            "-1.000000000000000",
            "3.141592653589793",
            "1.",
            ".5",
            "1e5",
            "+1",
            "--1",
            "1.2.3",
            "",
            "-",
            "0x10",
            "1234567890123456",
            "00012.50",
        ] {
            if let Some(fast) = decimal(s) {
                let std: f64 = s.parse().unwrap();
                assert_eq!(fast.to_bits(), std.to_bits(), "{s}");
            }
        }
        assert_eq!(decimal("1."), None);
        assert_eq!(decimal(".5"), None);
        assert_eq!(decimal("1234567890123456"), None);
        // Every value with up to 15 significant digits that the fast path takes.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 1_000_000_000_000_000) as f64;
            let point = (x >> 50) as usize % 16;
            let s = format!("{digits:.0}");
            let s = if point > 0 && point < s.len() {
                format!("{}.{}", &s[..s.len() - point], &s[s.len() - point..])
            } else {
                s
            };
            let std: f64 = s.parse().unwrap();
            assert_eq!(decimal(&s).map(f64::to_bits), Some(std.to_bits()), "{s}");
        }
    }

    #[test]
    fn inner_detail() {
        let d = detail("<a/> t <b k='&quot;'>x<c/></b>").unwrap();
        assert_eq!(
            d.iter().map(|e| e.name()).collect::<Vec<_>>(),
            ["a", "", "b"]
        );
        assert!(detail("<a>").is_none());
        assert!(detail("</a>").is_none());
        assert!(detail("").unwrap().is_empty());
    }
}

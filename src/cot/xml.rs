//! The CoT XML codec: roxmltree to read, a small escaping writer to write.
//!
//! Reading refuses DTDs (so no entity expansion attacks), bounds the number of nodes per
//! event ([`MAX_NODES`]), of attributes per element ([`MAX_ATTRIBUTES`]) and of `<detail>`
//! children ([`MAX_DETAIL_CHILDREN`](crate::cot::MAX_DETAIL_CHILDREN)). Writing produces
//! well-formed, escaped XML; `<detail>` children are written verbatim as they were read.

use std::fmt::Write as _;

use crate::cot::{CotTime, Event, Point};
use crate::error::{Error, Result};

/// The most XML nodes (elements, text, comments, processing instructions) one event may
/// have.
pub const MAX_NODES: u32 = 1 << 16;

/// The most attributes (namespace declarations included) one element may have. CoT elements
/// have a few dozen at most; the bound keeps the parser's duplicate-attribute check, which
/// takes time quadratic in the count, cheap.
pub const MAX_ATTRIBUTES: usize = 256;

/// The most namespace declarations (`xmlns`, `xmlns:p`) one document may have. CoT hardly
/// uses namespaces; the parser copies the namespaces in scope into every element that
/// declares one, so many declarations cost time and memory quadratic in their number.
pub const MAX_NAMESPACES: usize = 64;

fn parse_options<'a>() -> roxmltree::ParsingOptions<'a> {
    roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        entity_resolver: None,
    }
}

/// Parses `text` as an XML document within the limits above. `what` names the document in
/// errors (`event`, `detail element`, ...).
pub(crate) fn document<'a>(text: &'a str, what: &str) -> Result<roxmltree::Document<'a>> {
    check_markup(text.as_bytes()).map_err(|why| Error::Cot(format!("{what} {why}")))?;
    roxmltree::Document::parse_with_options(text, parse_options())
        .map_err(|e| Error::Cot(format!("{what} is not well-formed XML: {e}")))
}

/// Checks [`MAX_ATTRIBUTES`] and [`MAX_NAMESPACES`] before the parser sees the text: counts
/// the attributes of each start tag (`=` outside quotes), skipping comments, CDATA sections,
/// processing instructions and declarations. Linear in the length of `xml`.
fn check_markup(xml: &[u8]) -> std::result::Result<(), String> {
    // The exact scan below is needed only when a limit could be broken. Every attribute of
    // a start tag has its `=` between the tag's `<` and the next `<` (an attribute value
    // cannot hold `<`; the parser stops at one), and every namespace declaration has an
    // `xmlns`: when no run between two `<` has too many `=` and the text has few `xmlns`
    // (as nearly every event), no limit can be broken.
    let (mut run, mut most) = (0, 0);
    for i in memchr::memchr2_iter(b'<', b'=', xml) {
        if xml.get(i) == Some(&b'<') {
            run = 0;
        } else {
            run += 1;
            most = most.max(run);
        }
    }
    if most <= MAX_ATTRIBUTES
        && memchr::memmem::find_iter(xml, b"xmlns")
            .nth(MAX_NAMESPACES)
            .is_none()
    {
        return Ok(());
    }
    let mut namespaces = 0;
    let mut i = 0;
    while let Some(off) = xml[i..].iter().position(|&c| c == b'<') {
        i += off + 1;
        let rest = &xml[i..];
        let skip_to = |close: &[u8]| {
            rest.windows(close.len())
                .position(|w| w == close)
                .map_or(xml.len(), |p| i + p + close.len())
        };
        if rest.starts_with(b"!--") {
            i = skip_to(b"-->");
        } else if rest.starts_with(b"![CDATA[") {
            i = skip_to(b"]]>");
        } else if rest.starts_with(b"?") {
            i = skip_to(b"?>");
        } else if rest.starts_with(b"!") || rest.starts_with(b"/") {
            i = skip_to(b">");
        } else {
            let mut quote = None;
            let mut attributes = 0;
            // The token being read and the last one completed: an attribute's name is the
            // token before its `=` (with or without spaces in between).
            let (mut token, mut last) = (None::<usize>, (i, i));
            while i < xml.len() {
                let c = xml[i];
                match (quote, c) {
                    (None, b'>') => {
                        i += 1;
                        break;
                    }
                    (None, b'"' | b'\'') => quote = Some(c),
                    (None, b'=') => {
                        let (from, to) = token.map_or(last, |t| (t, i));
                        token = None;
                        attributes += 1;
                        if attributes > MAX_ATTRIBUTES {
                            return Err(format!(
                                "has an element with more than {MAX_ATTRIBUTES} attributes (the limit)"
                            ));
                        }
                        let name = &xml[from..to];
                        if name == b"xmlns" || name.starts_with(b"xmlns:") {
                            namespaces += 1;
                            if namespaces > MAX_NAMESPACES {
                                return Err(format!(
                                    "has more than {MAX_NAMESPACES} namespace declarations (the limit)"
                                ));
                            }
                        }
                    }
                    (None, b' ' | b'\t' | b'\r' | b'\n') => {
                        if let Some(t) = token.take() {
                            last = (t, i);
                        }
                    }
                    (None, _) => {
                        if token.is_none() {
                            token = Some(i);
                        }
                    }
                    (Some(q), _) if c == q => quote = None,
                    (Some(_), _) => {}
                }
                i += 1;
            }
        }
    }
    Ok(())
}

/// Parses one `<event>` (an XML declaration and surrounding whitespace are allowed).
///
/// Errors name what is wrong: not UTF-8, not well-formed, a missing or invalid attribute.
/// `uid`, `type`, `time` and `stale` are required; `start` defaults to `time`, `how` and
/// `version` to empty and `2.0`; a missing `<point>` is an error.
pub fn parse(bytes: &[u8]) -> Result<Event> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::Cot(format!(
            "event is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })?;
    parse_str(text)
}

/// [`parse`] for text already known to be UTF-8.
pub fn parse_str(text: &str) -> Result<Event> {
    match crate::cot::scan::event(text) {
        Some(event) => Ok(event),
        None => parse_tree(text),
    }
}

/// [`parse_str`] through roxmltree only: the full parser, which decides everything the
/// fast path ([`scan`](crate::cot::scan)) leaves to it.
#[doc(hidden)]
pub fn parse_tree(text: &str) -> Result<Event> {
    let doc = document(text, "event")?;
    let root = doc.root_element();
    if root.tag_name().name() != "event" {
        return Err(Error::Cot(format!(
            "root element is <{}>, expected <event>",
            root.tag_name().name()
        )));
    }
    let mut ev = Event {
        version: String::from("2.0"),
        ..Event::blank()
    };
    // The root's namespace declarations are kept with its other attributes, so that its
    // prefixed attributes can be written back.
    for ns in root.namespaces() {
        let attr = match ns.name() {
            Some(prefix) => format!("xmlns:{prefix}"),
            None => "xmlns".to_string(),
        };
        ev.extra_attrs.push((attr, ns.uri().to_string()));
    }
    let (mut have_uid, mut have_type, mut have_time, mut have_start, mut have_stale) =
        (false, false, false, false, false);
    for a in root.attributes() {
        if a.namespace().is_some() {
            ev.extra_attrs
                .push((qualified_attr_name(text, &a), a.value().to_string()));
            continue;
        }
        let v = a.value();
        match a.name() {
            "version" => ev.version = v.to_string(),
            "uid" => {
                ev.uid = v.to_string();
                have_uid = true;
            }
            "type" => {
                ev.cot_type = v.to_string();
                have_type = true;
            }
            "how" => ev.how = v.to_string(),
            "time" => {
                ev.time = time_attr("time", v)?;
                have_time = true;
            }
            "start" => {
                ev.start = time_attr("start", v)?;
                have_start = true;
            }
            "stale" => {
                ev.stale = time_attr("stale", v)?;
                have_stale = true;
            }
            "access" => ev.access = Some(v.to_string()),
            "qos" => ev.qos = Some(v.to_string()),
            "opex" => ev.opex = Some(v.to_string()),
            "caveat" => ev.caveat = Some(v.to_string()),
            "releasableTo" => ev.releasable_to = Some(v.to_string()),
            other => ev.extra_attrs.push((other.to_string(), v.to_string())),
        }
    }
    for (have, name) in [
        (have_uid, "uid"),
        (have_type, "type"),
        (have_time, "time"),
        (have_stale, "stale"),
    ] {
        if !have {
            return Err(Error::Cot(format!("<event> has no {name} attribute")));
        }
    }
    if !have_start {
        ev.start = ev.time;
    }
    let mut have_point = false;
    for child in root.children().filter(|n| n.is_element()) {
        match child.tag_name().name() {
            "point" if !have_point => {
                ev.point = parse_point(child)?;
                have_point = true;
            }
            "detail" => ev.detail.append_node(text, child),
            // Anything else at event level is unusual; keep it in the detail so it is
            // not lost.
            name => {
                if let Some(xml) = crate::cot::detail::element_xml(text, child) {
                    ev.detail.push_verbatim(name, &xml);
                }
            }
        }
    }
    if !have_point {
        return Err(Error::Cot("<event> has no <point>".into()));
    }
    crate::cot::detail::check_children(ev.detail.len())?;
    Ok(ev)
}

fn qualified_attr_name(text: &str, a: &roxmltree::Attribute<'_, '_>) -> String {
    // Recover the prefix as written (`xmlns` declarations are not attributes in roxmltree).
    text.get(a.range_qname())
        .map(str::to_string)
        .unwrap_or_else(|| a.name().to_string())
}

fn time_attr(name: &str, v: &str) -> Result<CotTime> {
    CotTime::parse(v).map_err(|e| Error::Cot(format!("{name}: {e}")))
}

fn parse_point(node: roxmltree::Node<'_, '_>) -> Result<Point> {
    let num = |name: &str, default: Option<f64>| -> Result<f64> {
        match node.attribute(name) {
            Some(v) => match v.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(n),
                _ => Err(Error::Cot(format!(
                    "<point> {name}={v:?} is not a finite number"
                ))),
            },
            None => default.ok_or_else(|| Error::Cot(format!("<point> has no {name} attribute"))),
        }
    };
    Ok(Point {
        lat: num("lat", None)?,
        lon: num("lon", None)?,
        hae: num("hae", Some(crate::cot::UNKNOWN))?,
        ce: num("ce", Some(crate::cot::UNKNOWN))?,
        le: num("le", Some(crate::cot::UNKNOWN))?,
    })
}

/// Writes `event` as XML into `out` (no declaration, no newline).
pub fn write(event: &Event, out: &mut String) {
    out.push_str("<event version=\"");
    escape_attr(&event.version, out);
    out.push_str("\" uid=\"");
    escape_attr(&event.uid, out);
    out.push_str("\" type=\"");
    escape_attr(&event.cot_type, out);
    out.push_str("\" how=\"");
    escape_attr(&event.how, out);
    out.push_str("\" time=\"");
    let _ = event.time.write_to(out);
    out.push_str("\" start=\"");
    let _ = event.start.write_to(out);
    out.push_str("\" stale=\"");
    let _ = event.stale.write_to(out);
    out.push('"');
    for (name, value) in [
        ("access", &event.access),
        ("qos", &event.qos),
        ("opex", &event.opex),
        ("caveat", &event.caveat),
        ("releasableTo", &event.releasable_to),
    ] {
        if let Some(v) = value {
            attr(out, name, v);
        }
    }
    for (k, v) in &event.extra_attrs {
        attr(out, k, v);
    }
    out.push_str("><point lat=\"");
    write_f64(out, event.point.lat);
    out.push_str("\" lon=\"");
    write_f64(out, event.point.lon);
    out.push_str("\" hae=\"");
    write_f64(out, event.point.hae);
    out.push_str("\" ce=\"");
    write_f64(out, event.point.ce);
    out.push_str("\" le=\"");
    write_f64(out, event.point.le);
    out.push_str("\"/>");
    if event.detail.is_empty() {
        out.push_str("<detail/>");
    } else {
        out.push_str("<detail>");
        for e in event.detail.iter() {
            out.push_str(e.xml());
        }
        out.push_str("</detail>");
    }
    out.push_str("</event>");
}

fn attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_attr(value, out);
    out.push('"');
}

/// Writes a float so that it reads back to the same value, always with a decimal point
/// (`9999999.0`, `-33.8568`), never in exponent form.
pub fn write_f64(out: &mut String, v: f64) {
    let start = out.len();
    let _ = write!(out, "{v}");
    if !out[start..].contains(['.', 'e', 'N', 'i']) {
        out.push_str(".0");
    }
}

/// The first character in `s` that XML 1.0 cannot carry at all (not even as a character
/// reference): control characters other than tab, line feed and carriage return, and
/// U+FFFE, U+FFFF. `None` when every character can be written.
///
/// ```
/// use takwire::cot::xml::unrepresentable;
/// assert_eq!(unrepresentable("ANDRO\u{1}-ping"), Some('\u{1}'));
/// assert_eq!(unrepresentable("tab\tok"), None);
/// ```
pub fn unrepresentable(s: &str) -> Option<char> {
    // Every such character is a control character or starts with the byte 0xEF.
    if !s.bytes().any(|b| b < 0x20 || b == 0xEF) {
        return None;
    }
    s.chars().find(|&c| forbidden(c))
}

/// Whether XML 1.0 cannot carry `c` at all (see [`unrepresentable`]).
pub(crate) fn forbidden(c: char) -> bool {
    ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// An error unless every character of `s` can be written as CoT XML; `what` names the
/// field in the error.
#[cfg(feature = "proto")]
pub(crate) fn check_representable(what: &str, s: &str) -> Result<()> {
    match unrepresentable(s) {
        None => Ok(()),
        Some(c) => Err(Error::Proto(format!(
            "{what} holds the character U+{:04X}, which CoT XML cannot carry",
            c as u32
        ))),
    }
}

/// Escapes text for an attribute value in double quotes. Tabs and newlines are written as
/// character references so they survive attribute-value normalisation; characters XML 1.0
/// cannot carry are replaced by U+FFFD.
pub fn escape_attr(s: &str, out: &mut String) {
    escape(s, out, true)
}

/// Escapes element text.
pub fn escape_text(s: &str, out: &mut String) {
    escape(s, out, false)
}

/// Bytes that may need escaping: markup and quotes, tab and line breaks, other control
/// characters, and 0xEF (the first byte of U+FFFE and U+FFFF).
static MAY_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t[0xEF] = true;
    t
};

fn escape(s: &str, out: &mut String, attr: bool) {
    // Nearly every value has nothing to escape: one byte scan, one copy.
    if !s.bytes().any(|b| MAY_ESCAPE[b as usize]) {
        out.push_str(s);
        return;
    }
    let needs =
        |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'' | '\t' | '\n' | '\r') || forbidden(c);
    let mut last = 0;
    for (i, c) in s.char_indices() {
        if !needs(c) {
            continue;
        }
        out.push_str(&s[last..i]);
        last = i + c.len_utf8();
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&apos;"),
            '"' | '\'' => out.push(c),
            '\t' | '\n' | '\r' if attr => {
                let _ = write!(out, "&#{};", c as u32);
            }
            '\t' | '\n' => out.push(c),
            '\r' => out.push_str("&#13;"),
            _ => out.push('\u{FFFD}'),
        }
    }
    out.push_str(&s[last..]);
}

/// The XML on one line, meaning unchanged: a line break in text becomes `&#10;`, inside
/// a tag (between attributes or in a value, where XML reads it as a space) or a comment a
/// space, and inside CDATA the section is split around `&#10;`. For output with one event
/// per line; returns the input untouched when it has no line break.
///
/// ```
/// use takwire::cot::xml::single_line;
/// assert_eq!(single_line("<r a=\"x\ny\">two\r\nlines</r>"), "<r a=\"x y\">two&#10;lines</r>");
/// ```
pub fn single_line(xml: &str) -> std::borrow::Cow<'_, str> {
    // Byte searches (memchr): this runs once per forwarded event.
    let bytes = xml.as_bytes();
    if !bytes.contains(&b'\n') && !bytes.contains(&b'\r') {
        return std::borrow::Cow::Borrowed(xml);
    }
    #[derive(Clone, Copy, PartialEq)]
    enum In {
        Text,
        Tag(Option<u8>),
        Comment,
        Cdata,
        Pi,
    }
    let b = xml.as_bytes();
    let mut out = String::with_capacity(xml.len() + 16);
    let mut state = In::Text;
    // Start of the stretch not yet copied.
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        let c = b[i];
        if c == b'\n' || c == b'\r' {
            out.push_str(&xml[copied..i]);
            // \r\n and a lone \r are one line break to XML.
            let len = if rest.starts_with(b"\r\n") { 2 } else { 1 };
            out.push_str(match state {
                In::Text => "&#10;",
                In::Cdata => "]]>&#10;<![CDATA[",
                _ => " ",
            });
            i += len;
            copied = i;
            continue;
        }
        let (next, step) = match state {
            In::Text if rest.starts_with(b"<!--") => (In::Comment, 4),
            In::Text if rest.starts_with(b"<![CDATA[") => (In::Cdata, 9),
            In::Text if rest.starts_with(b"<?") => (In::Pi, 2),
            In::Text if c == b'<' => (In::Tag(None), 1),
            In::Tag(None) if c == b'"' || c == b'\'' => (In::Tag(Some(c)), 1),
            In::Tag(Some(q)) if c == q => (In::Tag(None), 1),
            In::Tag(None) if c == b'>' => (In::Text, 1),
            In::Comment if rest.starts_with(b"-->") => (In::Text, 3),
            In::Cdata if rest.starts_with(b"]]>") => (In::Text, 3),
            In::Pi if rest.starts_with(b"?>") => (In::Text, 2),
            s => (s, 1),
        };
        state = next;
        i += step;
    }
    out.push_str(&xml[copied..]);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str, a: bool) -> String {
        let mut o = String::new();
        escape(s, &mut o, a);
        o
    }

    #[test]
    fn escaping() {
        assert_eq!(esc("a&b<c>\"d'", true), "a&amp;b&lt;c&gt;&quot;d&apos;");
        assert_eq!(esc("a\"b'", false), "a\"b'");
        assert_eq!(esc("x\ty\nz", true), "x&#9;y&#10;z");
        assert_eq!(esc("bell\u{7}", true), "bell\u{FFFD}");
        assert_eq!(esc("ünï", true), "ünï");
    }

    #[test]
    fn floats() {
        let f = |v: f64| {
            let mut s = String::new();
            write_f64(&mut s, v);
            s
        };
        assert_eq!(f(9_999_999.0), "9999999.0");
        assert_eq!(f(-33.8568), "-33.8568");
        assert_eq!(f(0.0), "0.0");
        assert_eq!(f(1e-7), "0.0000001");
        assert_eq!(f(1e21), "1000000000000000000000.0");
    }

    #[test]
    fn single_line_keeps_the_meaning() {
        let xml = "<event a=\"1\"\n b='x\r\ny'><detail><r>one\ntwo\r\nthree\rfour</r><!-- c\n --><c><![CDATA[a\nb]]></c><?pi x\n?><t\n/></detail></event>";
        let one = single_line(xml);
        assert!(!one.contains(['\n', '\r']), "{one}");
        let a = roxmltree::Document::parse(xml).unwrap();
        let b = roxmltree::Document::parse(&one).unwrap();
        // The same elements with the same attributes, in the same order ...
        let elements = |d: &roxmltree::Document<'_>| -> Vec<String> {
            d.descendants()
                .filter(|n| n.is_element())
                .map(|n| {
                    let attrs: Vec<String> = n
                        .attributes()
                        .map(|a| format!("{}={:?}", a.name(), a.value()))
                        .collect();
                    format!("{} {attrs:?}", n.tag_name().name())
                })
                .collect()
        };
        assert_eq!(elements(&a), elements(&b));
        // ... and the same text (CDATA split in three still reads as one text).
        let text_of = |d: &roxmltree::Document<'_>, name: &str| -> String {
            d.descendants()
                .find(|n| n.has_tag_name(name))
                .unwrap()
                .children()
                .filter_map(|c| c.text())
                .collect()
        };
        for name in ["r", "c"] {
            assert_eq!(text_of(&a, name), text_of(&b, name), "{name}");
        }
        assert_eq!(text_of(&b, "r"), "one\ntwo\nthree\nfour");
        assert!(matches!(single_line("<a/>"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn escaped_values_round_trip() {
        let mut ev = Event::builder("u<&>\"'\t\n", "a-f-G").build();
        ev.how = "h\r".into();
        let back = parse_str(&ev.to_xml()).unwrap();
        assert_eq!(back, ev);
    }
}

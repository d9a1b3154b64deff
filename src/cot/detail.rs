//! `<detail>`: an ordered list of child elements, each kept as its verbatim XML.
//!
//! The children live in one buffer (their XML concatenated, as the detail's inner XML), each
//! with its end and where its name is in its start tag, so reading an event allocates per
//! detail, not per child: a drawn shape has hundreds of `<link>` children.

use std::borrow::Cow;
use std::fmt;

use crate::cot::xml::{document, escape_attr, escape_text};
use crate::error::{Error, Result};

/// The most children a `<detail>` read from a peer may have. ATAK routes and drawn shapes
/// carry one `<link>` child per point; a few thousand is a large drawing.
pub const MAX_DETAIL_CHILDREN: usize = 10_000;

/// Refuses a detail with more than [`MAX_DETAIL_CHILDREN`] children.
pub(crate) fn check_children(n: usize) -> Result<()> {
    if n > MAX_DETAIL_CHILDREN {
        return Err(Error::Cot(format!(
            "<detail> has {n} children, more than the limit of {MAX_DETAIL_CHILDREN}"
        )));
    }
    Ok(())
}

/// One child of a [`Detail`]: its element name and its XML, verbatim as it arrived (or as
/// takwire wrote it). Text directly inside `<detail>` is kept as a child with an empty name.
/// A view into the detail it came from.
///
/// ```
/// use takwire::cot::Detail;
/// let d = Detail::from_inner_xml(r#"<contact callsign="ALPHA"/>"#).unwrap();
/// let contact = d.element("contact").unwrap();
/// assert_eq!(contact.name(), "contact");
/// assert_eq!(contact.attribute("callsign").as_deref(), Some("ALPHA"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetailElement<'a> {
    name: &'a str,
    xml: &'a str,
}

impl<'a> DetailElement<'a> {
    /// The element name (`contact`, `__group`, ...), or `""` for text.
    pub fn name(self) -> &'a str {
        self.name
    }

    /// The element's XML, for example `<contact callsign="ALPHA"/>`.
    pub fn xml(self) -> &'a str {
        self.xml
    }

    /// The element's attributes, parsed from its XML (empty for text).
    pub fn attributes(self) -> Vec<(String, String)> {
        match document(self.xml, "detail element") {
            Ok(doc) => doc
                .root_element()
                .attributes()
                .map(|a| (a.name().to_string(), a.value().to_string()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The value of one attribute.
    pub fn attribute(self, attr: &str) -> Option<String> {
        let doc = document(self.xml, "detail element").ok()?;
        doc.root_element().attribute(attr).map(str::to_string)
    }

    /// The element's text content (all text inside it, concatenated).
    pub fn text(self) -> Option<String> {
        let doc = document(self.xml, "detail element").ok()?;
        let text: String = doc
            .root_element()
            .descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect();
        Some(text)
    }
}

/// The XML of element `node` of the document parsed from `source`: its source text. When
/// it uses namespace prefixes declared further up (on `<detail>` or `<event>`), their
/// declarations are added to its start tag, so the element stands on its own: it can be
/// written anywhere (an event, a TAK protocol `xmlDetail`) and parsed alone.
pub(crate) fn element_xml<'a>(
    source: &'a str,
    node: roxmltree::Node<'_, '_>,
) -> Option<Cow<'a, str>> {
    let xml = source.get(node.range())?;
    let parent_scope: Vec<_> = match node.parent_element() {
        Some(p) => p.namespaces().collect(),
        None => Vec::new(),
    };
    if parent_scope.is_empty() {
        return Some(Cow::Borrowed(xml));
    }
    let uses = |uri: &str| {
        node.descendants().filter(|n| n.is_element()).any(|n| {
            n.tag_name().namespace() == Some(uri)
                || n.attributes().any(|a| a.namespace() == Some(uri))
        })
    };
    let own = start_tag_attribute_names(xml);
    let mut decls = String::new();
    for ns in node.namespaces() {
        let attr = match ns.name() {
            Some(prefix) => format!("xmlns:{prefix}"),
            None => "xmlns".to_string(),
        };
        // Inherited (same binding in the parent's scope), not redeclared here, used.
        let inherited = parent_scope
            .iter()
            .any(|p| p.name() == ns.name() && p.uri() == ns.uri());
        if inherited && !own.iter().any(|a| *a == attr) && uses(ns.uri()) {
            decls.push(' ');
            decls.push_str(&attr);
            decls.push_str("=\"");
            escape_attr(ns.uri(), &mut decls);
            decls.push('"');
        }
    }
    if decls.is_empty() {
        return Some(Cow::Borrowed(xml));
    }
    // After `<` and the qualified name.
    let name_end = xml
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_whitespace() || *c == '/' || *c == '>')
        .map_or(xml.len(), |(i, _)| i);
    let (head, tail) = xml.split_at(name_end);
    Some(Cow::Owned(format!("{head}{decls}{tail}")))
}

/// The `<detail>` of an event.
///
/// ```
/// use takwire::cot::Detail;
/// let mut d = Detail::new();
/// d.set_element("contact", &[("callsign", "R&D <1>")], None);
/// d.push_raw(r#"<__group name="Cyan" role="Team Member"/>"#).unwrap();
/// assert_eq!(d.get("contact"), Some(r#"<contact callsign="R&amp;D &lt;1&gt;"/>"#));
/// assert_eq!(d.element("contact").unwrap().attribute("callsign").unwrap(), "R&D <1>");
/// assert!(d.push_raw("<broken>").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Detail {
    /// Every child's XML, in order: the detail's inner XML.
    xml: String,
    /// Each child: where it ends in `xml` (it starts where the one before it ends), and its
    /// name as a range of `xml` (empty for text). Always exactly the children (no stale
    /// bytes in the buffer) and found by one rule ([`name_in`]), so that the derived
    /// equality compares children.
    ends: Vec<Child>,
}

/// Where a child ends, and where its name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Child {
    end: usize,
    name: (usize, usize),
}

/// Where the local name `name` is in `xml`, the XML of an element with that name (or of
/// text, when `name` is empty): just after `<` and any prefix.
fn name_in(name: &str, xml: &str) -> (usize, usize) {
    if name.is_empty() {
        return (0, 0);
    }
    if xml.as_bytes().get(1..=name.len()) == Some(name.as_bytes()) {
        return (1, 1 + name.len());
    }
    // A prefixed name: the local part ends the qualified name.
    let qname_end = xml
        .bytes()
        .position(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>'))
        .unwrap_or(xml.len());
    match xml.get(..qname_end).and_then(|q| q.rfind(name)) {
        Some(at) => (at, at + name.len()),
        // Every caller passes an element's XML that starts with its qualified name, so this
        // is not reached; should it be, the name is found anywhere in the element.
        None => xml.find(name).map_or((0, 0), |at| (at, at + name.len())),
    }
}

impl fmt::Debug for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Detail {
    /// An empty detail.
    pub fn new() -> Detail {
        Detail::default()
    }

    /// An empty detail with room for `bytes` of XML and `children` children.
    pub(crate) fn with_capacity(bytes: usize, children: usize) -> Detail {
        Detail {
            xml: String::with_capacity(bytes),
            ends: Vec::with_capacity(children),
        }
    }

    /// Makes room for `bytes` more of XML and `children` more children.
    pub(crate) fn reserve(&mut self, bytes: usize, children: usize) {
        self.xml.reserve(bytes);
        self.ends.reserve(children);
    }

    /// Whether there are no children.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The number of children.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Child `i` (document order).
    fn at(&self, i: usize) -> DetailElement<'_> {
        let from = match i.checked_sub(1) {
            Some(before) => self.ends[before].end,
            None => 0,
        };
        let Child { end, name } = self.ends[i];
        DetailElement {
            name: &self.xml[name.0..name.1],
            xml: &self.xml[from..end],
        }
    }

    /// The children in document order.
    pub fn iter(&self) -> impl Iterator<Item = DetailElement<'_>> {
        (0..self.ends.len()).map(|i| self.at(i))
    }

    /// The first child named `name`.
    pub fn element(&self, name: &str) -> Option<DetailElement<'_>> {
        self.iter().find(|e| e.name == name)
    }

    /// The XML of the first child named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.element(name).map(DetailElement::xml)
    }

    /// Removes every child named `name`; returns how many were removed.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.len();
        if self.iter().any(|e| e.name == name) {
            *self = self.rebuilt(|_, e| e.name != name);
        }
        before - self.len()
    }

    /// A copy holding the children for which `keep(index, child)` holds.
    fn rebuilt(&self, mut keep: impl FnMut(usize, DetailElement<'_>) -> bool) -> Detail {
        let mut out = Detail::with_capacity(self.xml.len(), self.len());
        for (i, e) in self.iter().enumerate() {
            if keep(i, e) {
                out.push_child(e.name, e.xml);
            }
        }
        out
    }

    /// Appends one child as it is (no merging of text).
    fn push_child(&mut self, name: &str, xml: &str) {
        let from = self.xml.len();
        let (name_from, name_to) = name_in(name, xml);
        self.xml.push_str(xml);
        self.ends.push(Child {
            end: self.xml.len(),
            name: (from + name_from, from + name_to),
        });
    }

    /// Appends an element the fast path read: `xml` is `<name...` with a name of
    /// `name_len` bytes and no prefix.
    pub(crate) fn push_scanned(&mut self, name_len: usize, xml: &str) {
        let from = self.xml.len();
        self.xml.push_str(xml);
        self.ends.push(Child {
            end: self.xml.len(),
            name: (from + 1, from + 1 + name_len),
        });
    }

    /// Appends one element given as XML. It must be exactly one well-formed element
    /// (whitespace around it is dropped).
    pub fn push_raw(&mut self, xml: &str) -> Result<()> {
        let xml = xml.trim();
        let doc = document(xml, "detail element")?;
        let root = doc.root_element();
        if root.range() != (0..xml.len()) {
            return Err(Error::Cot("detail element must be a single element".into()));
        }
        let name = root.tag_name().name();
        self.push_child(name, xml);
        Ok(())
    }

    /// Appends `<name attr="..." ...>text</name>`, escaping attributes and text.
    /// `name` and the attribute names must be XML names; invalid characters are dropped.
    pub fn push_element(&mut self, name: &str, attrs: &[(&str, &str)], text: Option<&str>) {
        let name = xml_name(name);
        let from = self.xml.len();
        let xml = &mut self.xml;
        xml.push('<');
        xml.push_str(&name);
        for (k, v) in attrs {
            xml.push(' ');
            xml.push_str(&xml_name(k));
            xml.push_str("=\"");
            escape_attr(v, xml);
            xml.push('"');
        }
        match text {
            Some(t) => {
                xml.push('>');
                escape_text(t, xml);
                xml.push_str("</");
                xml.push_str(&name);
                xml.push('>');
            }
            None => xml.push_str("/>"),
        }
        self.ends.push(Child {
            end: self.xml.len(),
            name: (from + 1, from + 1 + name.len()),
        });
    }

    /// Replaces the children named `name` with one new element (appended if none existed,
    /// in place of the first one otherwise).
    pub fn set_element(&mut self, name: &str, attrs: &[(&str, &str)], text: Option<&str>) {
        let at = self.iter().position(|e| e.name == name);
        self.remove(name);
        self.push_element(name, attrs, text);
        if let Some(at) = at {
            let last = self.len() - 1;
            let mut moved = Detail::with_capacity(self.xml.len(), self.len());
            for i in (0..at).chain([last]).chain(at..last) {
                let e = self.at(i);
                moved.push_child(e.name, e.xml);
            }
            *self = moved;
        }
    }

    /// The index of the last child named `name`.
    #[cfg_attr(not(feature = "proto"), allow(dead_code))]
    pub(crate) fn rposition(&self, name: &str) -> Option<usize> {
        (0..self.len()).rev().find(|&i| self.at(i).name == name)
    }

    /// Child `i`, if there is one.
    #[cfg_attr(not(feature = "proto"), allow(dead_code))]
    pub(crate) fn nth(&self, i: usize) -> Option<DetailElement<'_>> {
        (i < self.len()).then(|| self.at(i))
    }

    /// Removes child `i`.
    #[cfg_attr(not(feature = "proto"), allow(dead_code))]
    pub(crate) fn remove_at(&mut self, i: usize) {
        if i < self.len() {
            *self = self.rebuilt(|j, _| j != i);
        }
    }

    /// Appends a child known to be well-formed (sliced from a parsed document, or text
    /// from one). Text that follows text (they were apart only by a comment, or in two
    /// `<detail>`s) joins it, as it would when written out and read again.
    pub(crate) fn push_verbatim(&mut self, name: &str, xml: &str) {
        match self.ends.last_mut() {
            Some(last) if name.is_empty() && last.name.0 == last.name.1 => {
                join_text(&mut self.xml, xml);
                last.end = self.xml.len();
                // A text child's empty name sits at its start; it stays there.
            }
            _ => self.push_child(name, xml),
        }
    }

    /// The detail's inner XML: every child, concatenated.
    pub fn inner_xml(&self) -> String {
        self.xml.clone()
    }

    /// The detail's inner XML, borrowed.
    pub fn as_inner_xml(&self) -> &str {
        &self.xml
    }

    /// Parses inner XML (the children of a `<detail>`), as carried in TAK protocol's
    /// `xmlDetail`.
    pub fn from_inner_xml(inner: &str) -> Result<Detail> {
        match crate::cot::scan::detail(inner) {
            Some(detail) => Ok(detail),
            None => Detail::from_inner_xml_tree(inner),
        }
    }

    /// [`Detail::from_inner_xml`] through roxmltree only: the full parser, which decides
    /// everything the fast path leaves to it.
    pub(crate) fn from_inner_xml_tree(inner: &str) -> Result<Detail> {
        let wrapped = format!("<detail>{inner}</detail>");
        let doc = document(&wrapped, "detail XML")?;
        let mut detail = Detail::new();
        detail.append_node(&wrapped, doc.root_element());
        check_children(detail.len())?;
        Ok(detail)
    }

    /// Appends the children of a parsed `<detail>` node, slicing their source text.
    pub(crate) fn append_node(&mut self, source: &str, node: roxmltree::Node<'_, '_>) {
        // A run of text (apart only by comments): kept, escaped as it was, unless it is
        // only indentation.
        let mut text = String::new();
        let flush = |detail: &mut Detail, text: &mut String| {
            if !text.trim().is_empty() {
                detail.push_verbatim("", text);
            }
            text.clear();
        };
        for child in node.children() {
            if child.is_element() {
                flush(self, &mut text);
                if let Some(xml) = element_xml(source, child) {
                    self.push_verbatim(child.tag_name().name(), &xml);
                }
            } else if child.is_text()
                && let Some(raw) = source.get(child.range().start..text_end(source, child))
            {
                join_text(&mut text, raw);
            }
        }
        flush(self, &mut text);
    }
}

/// Appends the text source `piece` to the text source `text` that was apart from it (a
/// comment or processing instruction between them is dropped, or they were in two
/// `<detail>`s), so that joining them does not make a `]]>`, which text may not hold: the
/// `>` is written `&gt;`, the same character.
fn join_text(text: &mut String, piece: &str) {
    if text.ends_with("]]") && piece.starts_with('>') {
        text.push_str("&gt;");
        text.push_str(&piece[1..]);
    } else if text.ends_with(']') && piece.starts_with("]>") {
        text.push_str("]&gt;");
        text.push_str(&piece[2..]);
    } else {
        text.push_str(piece);
    }
}

/// Where the source of text node `node` ends: where its next sibling starts, or the end tag
/// of its parent. (roxmltree joins text and CDATA that follow each other into one node whose
/// range covers only the first piece.)
fn text_end(source: &str, node: roxmltree::Node<'_, '_>) -> usize {
    match (node.next_sibling(), node.parent()) {
        (Some(next), _) => next.range().start,
        (None, Some(parent)) => {
            let parent_end = parent.range().end.min(source.len());
            source[..parent_end].rfind('<').unwrap_or(parent_end)
        }
        (None, None) => node.range().end,
    }
}

/// The attribute names in the start tag that begins `xml` (namespace declarations
/// included), as written.
fn start_tag_attribute_names(xml: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let b = xml.as_bytes();
    let mut quote = None;
    let mut token: Option<usize> = None;
    let mut last = (0, 0);
    for (i, &c) in b.iter().enumerate() {
        match (quote, c) {
            (None, b'>') => break,
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'=') => {
                let (from, to) = token.take().map_or(last, |t| (t, i));
                if let Some(n) = xml.get(from..to) {
                    names.push(n);
                }
            }
            (None, b' ' | b'\t' | b'\r' | b'\n' | b'/') => {
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
    }
    names
}

/// Keeps the characters of `s` that may appear in an XML name.
fn xml_name(s: &str) -> Cow<'_, str> {
    let plain = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':');
    let b = s.as_bytes();
    if b.first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && b.iter().all(plain)
    {
        return Cow::Borrowed(s);
    }
    let mut out: String = s
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
        out.insert(0, '_');
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_xml_round_trips_verbatim() {
        let inner = r#"<contact callsign="A" endpoint="*:-1:stcp"/><__group name="Cyan" role="Team Member"/><remarks>a &amp; b</remarks><x:y xmlns:x="urn:x"/>"#;
        let d = Detail::from_inner_xml(inner).unwrap();
        assert_eq!(d.len(), 4);
        assert_eq!(d.inner_xml(), inner);
        assert_eq!(d.element("remarks").unwrap().text().unwrap(), "a & b");
        assert_eq!(
            d.element("__group").unwrap().attribute("role").unwrap(),
            "Team Member"
        );
    }

    #[test]
    fn set_element_replaces_in_place() {
        let mut d = Detail::from_inner_xml("<a/><b/><c/>").unwrap();
        d.set_element("b", &[("k", "v")], None);
        assert_eq!(d.inner_xml(), r#"<a/><b k="v"/><c/>"#);
        d.set_element("z", &[], Some("t<"));
        assert_eq!(d.inner_xml(), r#"<a/><b k="v"/><c/><z>t&lt;</z>"#);
    }

    #[test]
    fn names_are_sanitised() {
        let mut d = Detail::new();
        d.push_element("bad name<", &[("1x", "v")], None);
        assert_eq!(d.inner_xml(), r#"<badname _1x="v"/>"#);
        assert!(Detail::from_inner_xml(&d.inner_xml()).is_ok());
    }

    #[test]
    fn raw_elements_are_checked() {
        let mut d = Detail::new();
        assert!(d.push_raw("<a><b></a>").is_err());
        assert!(d.push_raw("text").is_err());
        assert!(d.push_raw("<a/><b/>").is_err());
        assert!(d.push_raw("<!-- c --><a/>").is_err());
        d.push_raw("  <a/> ").unwrap();
        assert_eq!(d.inner_xml(), "<a/>");
    }

    #[test]
    fn text_joined_with_cdata_keeps_all_its_source() {
        // roxmltree joins these into one text node whose range covers only the CDATA.
        for inner in ["<![CDATA[a]]>b", "a<![CDATA[b]]>", "<![CDATA[a]]>b<c/>"] {
            let d = Detail::from_inner_xml(inner).unwrap();
            assert_eq!(d.inner_xml(), inner);
            assert_eq!(Detail::from_inner_xml(&d.inner_xml()).unwrap(), d);
        }
        // Dropping what stood between two pieces of text must not make a `]]>`.
        for (inner, joined) in [
            ("<![CDATA[a]]>b]]<?pi?>>", "<![CDATA[a]]>b]]&gt;"),
            ("a]<!-- c -->]>b", "a]]&gt;b"),
        ] {
            let d = Detail::from_inner_xml(inner).unwrap();
            assert_eq!(d.inner_xml(), joined);
            assert_eq!(Detail::from_inner_xml(&d.inner_xml()).unwrap(), d);
        }
    }

    #[test]
    fn children_share_one_buffer_and_compare_by_content() {
        let mut d = Detail::from_inner_xml("<a/>text<b x='1'/><a>2</a>").unwrap();
        let names: Vec<_> = d.iter().map(|e| e.name()).collect();
        assert_eq!(names, ["a", "", "b", "a"]);
        assert_eq!(d.element("b").unwrap().xml(), "<b x='1'/>");
        assert_eq!(d.remove("a"), 2);
        assert_eq!(d, Detail::from_inner_xml("text<b x='1'/>").unwrap());
        // Text after text joins it; an element after text does not.
        d.remove("b");
        d.push_verbatim("", " more");
        d.push_verbatim("c", "<c/>");
        assert_eq!(d.len(), 2);
        assert_eq!(d.iter().next().unwrap().xml(), "text more");
        assert_eq!(d.rposition("c"), Some(1));
        d.remove_at(0);
        assert_eq!(d.inner_xml(), "<c/>");
        assert_eq!(
            format!("{d:?}"),
            r#"[DetailElement { name: "c", xml: "<c/>" }]"#
        );
    }
}

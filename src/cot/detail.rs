//! `<detail>`: an ordered list of child elements, each kept as its verbatim XML.

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

/// One child of `<detail>`: its element name and its XML, verbatim as it arrived (or as
/// takwire wrote it). Text directly inside `<detail>` is kept as a child with an empty name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailElement {
    name: String,
    xml: String,
}

impl DetailElement {
    /// The element name (`contact`, `__group`, ...), or `""` for text.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The element's XML, for example `<contact callsign="ALPHA"/>`.
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// The element's attributes, parsed from its XML (empty for text).
    pub fn attributes(&self) -> Vec<(String, String)> {
        match document(&self.xml, "detail element") {
            Ok(doc) => doc
                .root_element()
                .attributes()
                .map(|a| (a.name().to_string(), a.value().to_string()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The value of one attribute.
    pub fn attribute(&self, attr: &str) -> Option<String> {
        let doc = document(&self.xml, "detail element").ok()?;
        doc.root_element().attribute(attr).map(str::to_string)
    }

    /// The element's text content (all text inside it, concatenated).
    pub fn text(&self) -> Option<String> {
        let doc = document(&self.xml, "detail element").ok()?;
        let text: String = doc
            .root_element()
            .descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect();
        Some(text)
    }

    pub(crate) fn verbatim(name: String, xml: String) -> DetailElement {
        DetailElement { name, xml }
    }

    /// The element `node` of the document parsed from `source`, as its source text. When
    /// it uses namespace prefixes declared further up (on `<detail>` or `<event>`), their
    /// declarations are added to its start tag, so the element stands on its own: it can
    /// be written anywhere (an event, a TAK protocol `xmlDetail`) and parsed alone.
    pub(crate) fn from_node(source: &str, node: roxmltree::Node<'_, '_>) -> Option<DetailElement> {
        let xml = source.get(node.range())?;
        let name = node.tag_name().name().to_string();
        let parent_scope: Vec<_> = match node.parent_element() {
            Some(p) => p.namespaces().collect(),
            None => Vec::new(),
        };
        if parent_scope.is_empty() {
            return Some(DetailElement::verbatim(name, xml.to_string()));
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
            return Some(DetailElement::verbatim(name, xml.to_string()));
        }
        // After `<` and the qualified name.
        let name_end = xml
            .char_indices()
            .skip(1)
            .find(|(_, c)| c.is_whitespace() || *c == '/' || *c == '>')
            .map_or(xml.len(), |(i, _)| i);
        let (head, tail) = xml.split_at(name_end);
        Some(DetailElement::verbatim(
            name,
            format!("{head}{decls}{tail}"),
        ))
    }
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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Detail {
    elements: Vec<DetailElement>,
}

impl Detail {
    /// An empty detail.
    pub fn new() -> Detail {
        Detail::default()
    }

    /// Whether there are no children.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// The number of children.
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// The children in document order.
    pub fn iter(&self) -> impl Iterator<Item = &DetailElement> {
        self.elements.iter()
    }

    /// The first child named `name`.
    pub fn element(&self, name: &str) -> Option<&DetailElement> {
        self.elements.iter().find(|e| e.name == name)
    }

    /// The XML of the first child named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.element(name).map(DetailElement::xml)
    }

    /// Removes every child named `name`; returns how many were removed.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.elements.len();
        self.elements.retain(|e| e.name != name);
        before - self.elements.len()
    }

    /// Appends one element given as XML. It must be exactly one well-formed element.
    pub fn push_raw(&mut self, xml: &str) -> Result<()> {
        let doc = document(xml, "detail element")?;
        let name = doc.root_element().tag_name().name().to_string();
        let xml = xml.trim();
        if !xml.starts_with('<') || !xml.ends_with('>') || xml.starts_with("<?") {
            return Err(Error::Cot("detail element must be a single element".into()));
        }
        self.elements.push(DetailElement {
            name,
            xml: xml.to_string(),
        });
        Ok(())
    }

    /// Appends `<name attr="..." ...>text</name>`, escaping attributes and text.
    /// `name` and the attribute names must be XML names; invalid characters are dropped.
    pub fn push_element(&mut self, name: &str, attrs: &[(&str, &str)], text: Option<&str>) {
        let name = xml_name(name);
        let mut xml = String::with_capacity(64);
        xml.push('<');
        xml.push_str(&name);
        for (k, v) in attrs {
            xml.push(' ');
            xml.push_str(&xml_name(k));
            xml.push_str("=\"");
            escape_attr(v, &mut xml);
            xml.push('"');
        }
        match text {
            Some(t) => {
                xml.push('>');
                escape_text(t, &mut xml);
                xml.push_str("</");
                xml.push_str(&name);
                xml.push('>');
            }
            None => xml.push_str("/>"),
        }
        self.elements.push(DetailElement { name, xml });
    }

    /// Replaces the children named `name` with one new element (appended if none existed,
    /// in place of the first one otherwise).
    pub fn set_element(&mut self, name: &str, attrs: &[(&str, &str)], text: Option<&str>) {
        let at = self.elements.iter().position(|e| e.name == name);
        self.remove(name);
        self.push_element(name, attrs, text);
        if let Some(i) = at
            && let Some(new) = self.elements.pop()
        {
            self.elements.insert(i.min(self.elements.len()), new);
        }
    }

    /// Removes and returns the last child named `name`.
    #[cfg_attr(not(feature = "proto"), allow(dead_code))]
    pub(crate) fn take_last(&mut self, name: &str) -> Option<DetailElement> {
        let i = self.elements.iter().rposition(|e| e.name == name)?;
        Some(self.elements.remove(i))
    }

    /// Appends the children of `other`.
    pub(crate) fn append(&mut self, other: Detail) {
        for e in other.elements {
            self.push_verbatim(e);
        }
    }

    /// Appends a child known to be well-formed (sliced from a parsed document). Text that
    /// follows text (they were apart only by a comment, or in two `<detail>`s) joins it, as
    /// it would when written out and read again.
    pub(crate) fn push_verbatim(&mut self, e: DetailElement) {
        match self.elements.last_mut() {
            Some(last) if last.name.is_empty() && e.name.is_empty() => last.xml.push_str(&e.xml),
            _ => self.elements.push(e),
        }
    }

    /// The detail's inner XML: every child, concatenated.
    pub fn inner_xml(&self) -> String {
        let mut s = String::with_capacity(self.elements.iter().map(|e| e.xml.len()).sum());
        for e in &self.elements {
            s.push_str(&e.xml);
        }
        s
    }

    /// Parses inner XML (the children of a `<detail>`), as carried in TAK protocol's
    /// `xmlDetail`.
    pub fn from_inner_xml(inner: &str) -> Result<Detail> {
        let wrapped = format!("<detail>{inner}</detail>");
        let doc = document(&wrapped, "detail XML")?;
        let detail = Detail::from_node(&wrapped, doc.root_element());
        check_children(detail.len())?;
        Ok(detail)
    }

    /// Collects the children of a parsed `<detail>` node, slicing their source text.
    pub(crate) fn from_node(source: &str, node: roxmltree::Node<'_, '_>) -> Detail {
        let mut detail = Detail::new();
        // A run of text (apart only by comments): kept, escaped as it was, unless it is
        // only indentation.
        let mut text = String::new();
        let flush = |detail: &mut Detail, text: &mut String| {
            if !text.trim().is_empty() {
                detail.push_verbatim(DetailElement::verbatim(String::new(), text.clone()));
            }
            text.clear();
        };
        for child in node.children() {
            if child.is_element() {
                flush(&mut detail, &mut text);
                if let Some(e) = DetailElement::from_node(source, child) {
                    detail.push_verbatim(e);
                }
            } else if child.is_text()
                && let Some(raw) = source.get(child.range())
            {
                text.push_str(raw);
            }
        }
        flush(&mut detail, &mut text);
        detail
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
fn xml_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
        out.insert(0, '_');
    }
    out
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
        d.push_raw("  <a/> ").unwrap();
        assert_eq!(d.inner_xml(), "<a/>");
    }
}

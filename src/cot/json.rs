//! CoT events as JSON: one object per event, with the detail as nested objects.
//!
//! The schema (stable; documented in the README):
//!
//! ```json
//! {
//!   "version": "2.0", "uid": "ANDROID-1", "type": "a-f-G-U-C", "how": "m-g",
//!   "time": "2026-01-01T00:00:00.000Z", "start": "2026-01-01T00:00:00.000Z",
//!   "stale": "2026-01-01T00:02:00.000Z",
//!   "access": "Undefined",
//!   "point": {"lat": 1.5, "lon": 2.5, "hae": 9999999.0, "ce": 9999999.0, "le": 9999999.0},
//!   "detail": [
//!     {"name": "contact", "attrs": {"callsign": "ALPHA"}},
//!     {"name": "remarks", "text": "hello"},
//!     {"name": "shape", "children": [{"name": "ellipse", "attrs": {"major": "250.0"}}]}
//!   ]
//! }
//! ```
//!
//! * `access`, `qos`, `opex`, `caveat` and `releasableTo` appear only when the event has
//!   them; other `<event>` attributes go in `attrs` (an object, in document order).
//! * `point` values are numbers; `9999999.0` means unknown, as in CoT.
//! * `detail` is an array of the detail's children in order. An element is an object with
//!   `name` (the qualified name as written), `attrs` (attribute values are strings, in
//!   document order; namespace declarations appear as `xmlns`/`xmlns:p` attributes),
//!   `text` (its text when it has no child elements) and `children` (its child elements
//!   in order; in mixed content, text between elements is a plain string in this array).
//!   Empty members are left out. A text child of `<detail>` itself is a plain string in
//!   the `detail` array.
//! * An element that cannot be taken apart on its own (it uses a namespace prefix declared
//!   outside it) is `{"name": .., "xml": "<verbatim/>"}`; `xml` is also accepted on input.
//!
//! What is not kept: comments and processing instructions inside the detail, the
//! difference between CDATA and escaped text, whitespace-only text between child
//! elements (indentation), and attribute quoting style. Everything else survives
//! XML -> JSON -> XML.
//!
//! ```
//! use takwire::cot::{Event, json};
//! let xml = r#"<event version="2.0" uid="u1" type="a-f-G" how="m-g" time="2026-01-01T00:00:00Z"
//!   start="2026-01-01T00:00:00Z" stale="2026-01-01T00:02:00Z"><point lat="1.5" lon="2.5"/>
//!   <detail><contact callsign="A&amp;B"/><remarks>hi</remarks></detail></event>"#;
//! let event = Event::from_xml(xml.as_bytes()).unwrap();
//! let line = json::to_string(&event);
//! assert!(line.contains(r#"{"name":"contact","attrs":{"callsign":"A&B"}}"#));
//! assert_eq!(json::from_str(&line).unwrap(), event);
//! ```

use serde_json::{Map, Value, json};

use crate::cot::xml::{document, escape_attr, escape_text};
use crate::cot::{CotTime, Detail, DetailElement, Event, Point, UNKNOWN};
use crate::error::{Error, Result};

/// The event as a JSON value in the schema above.
pub fn to_value(event: &Event) -> Value {
    let mut m = Map::new();
    m.insert("version".into(), event.version.clone().into());
    m.insert("uid".into(), event.uid.clone().into());
    m.insert("type".into(), event.cot_type.clone().into());
    m.insert("how".into(), event.how.clone().into());
    m.insert("time".into(), event.time.to_string().into());
    m.insert("start".into(), event.start.to_string().into());
    m.insert("stale".into(), event.stale.to_string().into());
    for (key, value) in optional_attrs(event) {
        if let Some(v) = value {
            m.insert(key.into(), v.clone().into());
        }
    }
    if !event.extra_attrs.is_empty() {
        let attrs: Map<String, Value> = event
            .extra_attrs
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect();
        m.insert("attrs".into(), Value::Object(attrs));
    }
    let p = &event.point;
    m.insert(
        "point".into(),
        json!({"lat": p.lat, "lon": p.lon, "hae": p.hae, "ce": p.ce, "le": p.le}),
    );
    m.insert(
        "detail".into(),
        Value::Array(event.detail.iter().map(detail_child_to_value).collect()),
    );
    Value::Object(m)
}

/// The event as one line of JSON (no newline).
pub fn to_string(event: &Event) -> String {
    to_value(event).to_string()
}

/// Writes the event as JSON (no newline) to `out`.
pub fn write(event: &Event, out: &mut impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer(out, &to_value(event)).map_err(std::io::Error::from)
}

/// Reads an event from JSON text in the schema above.
pub fn from_str(text: &str) -> Result<Event> {
    from_slice(text.as_bytes())
}

/// Reads an event from JSON bytes in the schema above.
pub fn from_slice(bytes: &[u8]) -> Result<Event> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::Cot(format!("JSON event is not valid JSON: {e}")))?;
    from_value(&v)
}

/// Reads an event from a JSON value in the schema above. Required: `uid`, `type`, `time`,
/// `stale` and `point` with `lat` and `lon`; `start` defaults to `time`, `version` to
/// `2.0`, `how` to empty, `hae`/`ce`/`le` to unknown, `detail` to empty. Unknown members
/// are errors, so a misspelt field is not silently dropped.
pub fn from_value(v: &Value) -> Result<Event> {
    let obj = v
        .as_object()
        .ok_or_else(|| err("", "an event must be a JSON object"))?;
    for key in obj.keys() {
        if !EVENT_KEYS.contains(&key.as_str()) {
            return Err(err(key, "unknown member"));
        }
    }
    let string = |key: &str| -> Result<Option<String>> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(err(key, "must be a string")),
        }
    };
    let required =
        |key: &str| -> Result<String> { string(key)?.ok_or_else(|| err(key, "is required")) };
    let time = |key: &str, s: &str| CotTime::parse(s).map_err(|e| err(key, &message(e)));
    let t = time("time", &required("time")?)?;
    let start = match string("start")? {
        Some(s) => time("start", &s)?,
        None => t,
    };
    let mut extra_attrs = Vec::new();
    match obj.get("attrs") {
        None | Some(Value::Null) => {}
        Some(Value::Object(a)) => {
            for (k, v) in a {
                let v = v
                    .as_str()
                    .ok_or_else(|| err(&format!("attrs.{k}"), "must be a string"))?;
                check_name(k, &format!("attrs.{k}"))?;
                extra_attrs.push((k.clone(), v.to_string()));
            }
        }
        Some(_) => return Err(err("attrs", "must be an object")),
    }
    let event = Event {
        version: string("version")?.unwrap_or_else(|| "2.0".into()),
        uid: required("uid")?,
        cot_type: required("type")?,
        how: string("how")?.unwrap_or_default(),
        time: t,
        start,
        stale: time("stale", &required("stale")?)?,
        access: string("access")?,
        qos: string("qos")?,
        opex: string("opex")?,
        caveat: string("caveat")?,
        releasable_to: string("releasableTo")?,
        extra_attrs,
        point: point_from(obj.get("point"))?,
        detail: detail_from(obj.get("detail"))?,
    };
    Ok(event)
}

const EVENT_KEYS: [&str; 15] = [
    "version",
    "uid",
    "type",
    "how",
    "time",
    "start",
    "stale",
    "access",
    "qos",
    "opex",
    "caveat",
    "releasableTo",
    "attrs",
    "point",
    "detail",
];

fn optional_attrs(event: &Event) -> [(&'static str, &Option<String>); 5] {
    [
        ("access", &event.access),
        ("qos", &event.qos),
        ("opex", &event.opex),
        ("caveat", &event.caveat),
        ("releasableTo", &event.releasable_to),
    ]
}

/// The text of an error without the `malformed CoT:` prefix (it is added once, outside).
fn message(e: Error) -> String {
    match e {
        Error::Cot(m) => m,
        other => other.to_string(),
    }
}

fn err(path: &str, what: &str) -> Error {
    if path.is_empty() {
        Error::Cot(format!("JSON event: {what}"))
    } else {
        Error::Cot(format!("JSON event: {path}: {what}"))
    }
}

// ---------------------------------------------------------------------------------------
// XML detail -> JSON

fn detail_child_to_value(child: DetailElement<'_>) -> Value {
    if child.name().is_empty() {
        // Text directly inside <detail>, kept escaped as it arrived: unescape it.
        return Value::String(unescape_text(child.xml()));
    }
    match document(child.xml(), "detail element") {
        Ok(doc) => element_to_value(child.xml(), doc.root_element(), None),
        Err(_) => json!({"name": child.name(), "xml": child.xml()}),
    }
}

fn unescape_text(raw: &str) -> String {
    let wrapped = format!("<t>{raw}</t>");
    match document(&wrapped, "detail element") {
        Ok(doc) => doc
            .root_element()
            .children()
            .filter_map(|n| n.text())
            .collect(),
        Err(_) => raw.to_string(),
    }
}

fn element_to_value(
    source: &str,
    node: roxmltree::Node<'_, '_>,
    parent: Option<roxmltree::Node<'_, '_>>,
) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), qualified_name(source, node).into());
    let mut attrs = Map::new();
    // Namespace declarations made on this element (not inherited from its parent).
    for ns in node.namespaces() {
        if ns.name() == Some("xml") {
            continue;
        }
        let inherited = parent.is_some_and(|p| {
            p.namespaces()
                .any(|q| q.name() == ns.name() && q.uri() == ns.uri())
        });
        if !inherited {
            let key = match ns.name() {
                Some(prefix) => format!("xmlns:{prefix}"),
                None => "xmlns".to_string(),
            };
            attrs.insert(key, ns.uri().into());
        }
    }
    for a in node.attributes() {
        let name = source.get(a.range_qname()).unwrap_or(a.name()).to_string();
        attrs.insert(name, a.value().into());
    }
    if !attrs.is_empty() {
        m.insert("attrs".into(), Value::Object(attrs));
    }
    let has_elements = node.children().any(|c| c.is_element());
    if has_elements {
        let mut children = Vec::new();
        for c in node.children() {
            if c.is_element() {
                children.push(element_to_value(source, c, Some(node)));
            } else if c.is_text() {
                // Indentation between elements is dropped; real mixed content is kept.
                if let Some(t) = c.text()
                    && !t.trim().is_empty()
                {
                    children.push(Value::String(t.to_string()));
                }
            }
        }
        m.insert("children".into(), Value::Array(children));
    } else {
        let text: String = node.children().filter_map(|c| c.text()).collect();
        if !text.is_empty() {
            m.insert("text".into(), text.into());
        }
    }
    Value::Object(m)
}

/// The element's name as written, with its prefix (`x:y`).
fn qualified_name(source: &str, node: roxmltree::Node<'_, '_>) -> String {
    let r = node.range();
    source
        .get(r.start + 1..r.end)
        .and_then(|s| {
            s.split(|c: char| c.is_whitespace() || c == '/' || c == '>')
                .next()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or(node.tag_name().name())
        .to_string()
}

// ---------------------------------------------------------------------------------------
// JSON -> event

fn point_from(v: Option<&Value>) -> Result<Point> {
    let obj = match v {
        Some(Value::Object(o)) => o,
        Some(_) => return Err(err("point", "must be an object")),
        None => return Err(err("point", "is required")),
    };
    for key in obj.keys() {
        if !["lat", "lon", "hae", "ce", "le"].contains(&key.as_str()) {
            return Err(err(&format!("point.{key}"), "unknown member"));
        }
    }
    let num = |key: &str, default: Option<f64>| -> Result<f64> {
        let path = format!("point.{key}");
        let n = match obj.get(key) {
            Some(Value::Number(n)) => n.as_f64(),
            // Numbers as strings, as XML-minded producers write them.
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            None | Some(Value::Null) => {
                return default.ok_or_else(|| err(&path, "is required"));
            }
            Some(_) => None,
        };
        match n {
            Some(n) if n.is_finite() => Ok(n),
            _ => Err(err(&path, "must be a finite number")),
        }
    };
    Ok(Point {
        lat: num("lat", None)?,
        lon: num("lon", None)?,
        hae: num("hae", Some(UNKNOWN))?,
        ce: num("ce", Some(UNKNOWN))?,
        le: num("le", Some(UNKNOWN))?,
    })
}

fn detail_from(v: Option<&Value>) -> Result<Detail> {
    let items = match v {
        None | Some(Value::Null) => return Ok(Detail::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(err("detail", "must be an array")),
    };
    let mut inner = String::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("detail[{i}]");
        match item {
            Value::String(s) => escape_text(s, &mut inner),
            Value::Object(_) => element_xml(item, &path, &mut inner)?,
            _ => {
                return Err(err(
                    &path,
                    "must be an object (an element) or a string (text)",
                ));
            }
        }
    }
    // One parse checks everything written above is well-formed (prefixes are bound,
    // names are names) and slices the children as the XML reader does.
    Detail::from_inner_xml(&inner).map_err(|e| err("detail", &message(e)))
}

/// Writes the element described by `v` as XML.
fn element_xml(v: &Value, path: &str, out: &mut String) -> Result<()> {
    let Some(obj) = v.as_object() else {
        return Err(err(path, "must be an object"));
    };
    for key in obj.keys() {
        if !["name", "attrs", "text", "children", "xml"].contains(&key.as_str()) {
            return Err(err(&format!("{path}.{key}"), "unknown member"));
        }
    }
    let name = match obj.get("name") {
        Some(Value::String(s)) => s.as_str(),
        _ => {
            return Err(err(
                &format!("{path}.name"),
                "is required and must be a string",
            ));
        }
    };
    check_name(name, &format!("{path}.name"))?;
    if let Some(xml) = obj.get("xml") {
        let xml = xml
            .as_str()
            .ok_or_else(|| err(&format!("{path}.xml"), "must be a string"))?;
        let mut d = Detail::new();
        d.push_raw(xml)
            .map_err(|e| err(&format!("{path}.xml"), &message(e)))?;
        out.push_str(xml.trim());
        return Ok(());
    }
    out.push('<');
    out.push_str(name);
    match obj.get("attrs") {
        None | Some(Value::Null) => {}
        Some(Value::Object(attrs)) => {
            for (k, v) in attrs {
                let apath = format!("{path}.attrs.{k}");
                check_name(k, &apath)?;
                let v = v.as_str().ok_or_else(|| err(&apath, "must be a string"))?;
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                escape_attr(v, out);
                out.push('"');
            }
        }
        Some(_) => return Err(err(&format!("{path}.attrs"), "must be an object")),
    }
    let text = match obj.get("text") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(err(&format!("{path}.text"), "must be a string")),
    };
    let children = match obj.get("children") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => return Err(err(&format!("{path}.children"), "must be an array")),
    };
    if text.is_none_or(str::is_empty) && children.is_empty() {
        out.push_str("/>");
        return Ok(());
    }
    out.push('>');
    if let Some(t) = text {
        escape_text(t, out);
    }
    for (i, c) in children.iter().enumerate() {
        let cpath = format!("{path}.children[{i}]");
        match c {
            Value::String(s) => escape_text(s, out),
            Value::Object(_) => element_xml(c, &cpath, out)?,
            _ => {
                return Err(err(
                    &cpath,
                    "must be an object (an element) or a string (text)",
                ));
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
    Ok(())
}

/// Checks that `name` is an XML (qualified) name, so that nothing given as a name can
/// inject markup.
fn check_name(name: &str, path: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(err(path, &format!("{name:?} is not an XML name")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(detail: &str) -> Event {
        let xml = format!(
            r#"<event version="2.0" uid="u" type="a-f-G" how="m-g" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:02:00Z"><point lat="1" lon="2"/><detail>{detail}</detail></event>"#
        );
        Event::from_xml(xml.as_bytes()).unwrap()
    }

    /// XML -> JSON -> XML -> JSON gives the same JSON, and the second XML is a fixed point.
    fn round_trip(detail: &str) -> Value {
        let e = ev(detail);
        let j1 = to_value(&e);
        let e2 = from_value(&j1).unwrap();
        let j2 = to_value(&e2);
        assert_eq!(j1, j2, "{detail}");
        let e3 = from_value(&j2).unwrap();
        assert_eq!(e3, e2);
        j1
    }

    #[test]
    fn elements_text_and_mixed_content() {
        let j = round_trip(
            r#"<contact callsign="A&amp;B" endpoint="*:-1:stcp"/><remarks to="x">a &lt; b</remarks><m>one<b>two</b>three</m><e></e>"#,
        );
        assert_eq!(
            j["detail"],
            json!([
                {"name": "contact", "attrs": {"callsign": "A&B", "endpoint": "*:-1:stcp"}},
                {"name": "remarks", "attrs": {"to": "x"}, "text": "a < b"},
                {"name": "m", "children": ["one", {"name": "b", "text": "two"}, "three"]},
                {"name": "e"},
            ])
        );
    }

    #[test]
    fn namespaces_and_prefixes_survive() {
        let j = round_trip(r#"<x:y xmlns:x="urn:x" x:a="1"><x:z/><w xmlns="urn:w"/></x:y>"#);
        assert_eq!(
            j["detail"][0],
            json!({"name": "x:y", "attrs": {"xmlns:x": "urn:x", "x:a": "1"},
                   "children": [{"name": "x:z"}, {"name": "w", "attrs": {"xmlns": "urn:w"}}]})
        );
    }

    #[test]
    fn cdata_and_indentation() {
        let j = round_trip("<a>\n  <b/>\n  <c><![CDATA[<raw> & ]]></c>\n</a>");
        assert_eq!(
            j["detail"][0],
            json!({"name": "a", "children": [{"name": "b"}, {"name": "c", "text": "<raw> & "}]})
        );
    }

    #[test]
    fn header_fields_and_defaults() {
        let mut e = ev("");
        e.access = Some("Undefined".into());
        e.releasable_to = Some("USA".into());
        e.extra_attrs.push(("foo".into(), "bar".into()));
        let j = to_value(&e);
        assert_eq!(j["releasableTo"], "USA");
        assert_eq!(j["attrs"], json!({"foo": "bar"}));
        assert!(j.get("qos").is_none());
        assert_eq!(from_value(&j).unwrap(), e);
        let minimal = from_str(
            r#"{"uid":"m","type":"a-f","time":"2026-01-01T00:00:00Z","stale":"2026-01-01T00:01:00Z","point":{"lat":"1.5","lon":2}}"#,
        )
        .unwrap();
        assert_eq!(minimal.start, minimal.time);
        assert_eq!(minimal.version, "2.0");
        assert_eq!(minimal.point.lat, 1.5);
        assert_eq!(minimal.point.hae, UNKNOWN);
        assert!(minimal.detail.is_empty());
    }

    #[test]
    fn bad_input_names_the_field() {
        let base = r#""uid":"m","type":"a-f","time":"2026-01-01T00:00:00Z","stale":"2026-01-01T00:01:00Z""#;
        for (json, needle) in [
            ("[1]".to_string(), "JSON object"),
            ("{".to_string(), "not valid JSON"),
            (format!("{{{base}}}"), "point: is required"),
            (format!(r#"{{{base},"point":{{"lat":1}}}}"#), "point.lon"),
            (
                format!(r#"{{{base},"point":{{"lat":1,"lon":1e999}}}}"#),
                "not valid JSON",
            ),
            (
                format!(r#"{{{base},"point":{{"lat":1,"lon":"x"}}}}"#),
                "point.lon: must be a finite number",
            ),
            (
                format!(r#"{{{base},"point":{{"lat":1,"lon":1}},"tyep":"x"}}"#),
                "tyep: unknown member",
            ),
            (
                format!(r#"{{{base},"point":{{"lat":1,"lon":1}},"detail":[{{"name":"a b"}}]}}"#),
                "detail[0].name",
            ),
            (
                format!(
                    r#"{{{base},"point":{{"lat":1,"lon":1}},"detail":[{{"name":"a","attrs":{{"x\"=1":"v"}}}}]}}"#
                ),
                "detail[0].attrs",
            ),
            (
                format!(r#"{{{base},"point":{{"lat":1,"lon":1}},"detail":[{{"name":"p:a"}}]}}"#),
                "detail:",
            ),
            (
                format!(r#"{{{base},"point":{{"lat":1,"lon":1}},"detail":[{{"name":"a","xml":"<a>"}}]}}"#),
                "detail[0].xml",
            ),
            (
                r#"{"uid":"m","type":"a","time":"yesterday","stale":"x","point":{"lat":1,"lon":1}}"#
                    .to_string(),
                "time: invalid time",
            ),
        ] {
            let e = from_str(&json).unwrap_err().to_string();
            assert!(e.contains(needle), "{json}: {e}");
        }
    }

    #[test]
    fn text_is_escaped_on_the_way_back() {
        let j = json!({"uid":"u","type":"t","time":"2026-01-01T00:00:00Z","stale":"2026-01-01T00:00:00Z",
            "point":{"lat":0,"lon":0},
            "detail":[{"name":"remarks","attrs":{"q":"\"<&>'"},"text":"</remarks><evil/>"}, "loose & text"]});
        let e = from_value(&j).unwrap();
        assert_eq!(
            e.detail.inner_xml(),
            r#"<remarks q="&quot;&lt;&amp;&gt;&apos;">&lt;/remarks&gt;&lt;evil/&gt;</remarks>loose &amp; text"#
        );
        assert_eq!(to_value(&e)["detail"], j["detail"]);
    }
}

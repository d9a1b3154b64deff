//! ATAK preference files (`.pref`) and TAK connect strings.
//!
//! A `.pref` file is XML: `<preferences>` holds `<preference name="...">` groups of
//! `<entry key="..." class="class java.lang.String">value</entry>`. Connection packages use
//! the group `cot_streams` (`count`, `description0`, `enabled0`, `connectString0`) and
//! `com.atakmap.app_preferences` (`caLocation`, `caPassword`, `clientPassword`,
//! `certificateLocation`). Entries are looked up by key in any group, as PyTAK does.

use crate::url::CotUrl;

/// The largest number of XML nodes read from a `.pref` or manifest.
const MAX_NODES: u32 = 100_000;

/// The `<entry>` elements of a `.pref` file, in document order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prefs {
    entries: Vec<(String, String)>,
}

/// Parses XML with DTDs refused and the node count bounded.
pub(crate) fn parse_xml(text: &str) -> Result<roxmltree::Document<'_>, String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| e.to_string())
}

/// The text of an XML file: UTF-8, without a byte-order mark.
pub(crate) fn xml_text(data: &[u8]) -> Result<&str, String> {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    std::str::from_utf8(data).map_err(|e| format!("is not UTF-8 text: {e}"))
}

impl Prefs {
    /// Parses a `.pref` file.
    pub fn parse(data: &[u8]) -> Result<Prefs, String> {
        let text = xml_text(data)?;
        let doc = parse_xml(text).map_err(|e| format!("is not valid XML: {e}"))?;
        let root = doc.root_element();
        if root.tag_name().name() != "preferences" {
            return Err(format!(
                "is not a preference file: its root element is <{}>, not <preferences>",
                root.tag_name().name()
            ));
        }
        let entries = root
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "entry")
            .filter_map(|n| {
                let key = n.attribute("key")?;
                let value: String = n
                    .descendants()
                    .filter(|c| c.is_text())
                    .filter_map(|c| c.text())
                    .collect();
                Some((key.to_string(), value.trim().to_string()))
            })
            .collect();
        Ok(Prefs { entries })
    }

    /// The first non-empty value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
}

/// The protocol of a TAK connect string (`host:port:PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamProtocol {
    /// `ssl`: TLS, usually with a client certificate (`tls://`).
    Ssl,
    /// `tcp`: plain TCP (`tcp://`).
    Tcp,
    /// `udp`: UDP (`udp://`).
    Udp,
}

impl StreamProtocol {
    /// The word used in connect strings.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamProtocol::Ssl => "ssl",
            StreamProtocol::Tcp => "tcp",
            StreamProtocol::Udp => "udp",
        }
    }

    /// The `COT_URL` scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            StreamProtocol::Ssl => "tls",
            StreamProtocol::Tcp => "tcp",
            StreamProtocol::Udp => "udp",
        }
    }
}

/// Turns a connect string (`host:port:ssl|tcp|udp`) into a `COT_URL`.
///
/// ```
/// use takwire::package::connect_string_to_url;
/// let url = connect_string_to_url("takserver.example:8089:ssl").unwrap();
/// assert_eq!(url.to_string(), "tls://takserver.example:8089");
/// assert_eq!(connect_string_to_url("::1:8087:tcp").unwrap().to_string(), "tcp://[::1]:8087");
/// assert!(connect_string_to_url("host:8089:quic").is_err());
/// ```
pub fn connect_string_to_url(connect: &str) -> Result<CotUrl, String> {
    let shown = connect.escape_debug();
    let mut parts = connect.trim().rsplitn(3, ':');
    let (Some(proto), Some(port), Some(host)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "connect string \"{shown}\" is not host:port:protocol"
        ));
    };
    let protocol = match proto.trim().to_ascii_lowercase().as_str() {
        "ssl" | "tls" => StreamProtocol::Ssl,
        "tcp" => StreamProtocol::Tcp,
        "udp" => StreamProtocol::Udp,
        other => {
            return Err(format!(
                "connect string \"{shown}\": protocol \"{}\" is not one takwire speaks \
                 (ssl, tcp, udp)",
                other.escape_debug()
            ));
        }
    };
    let port: u16 = match port.trim().parse() {
        Ok(p) if p > 0 => p,
        _ => {
            return Err(format!(
                "connect string \"{shown}\": \"{}\" is not a port number",
                port.escape_debug()
            ));
        }
    };
    let host = host.trim();
    if host.is_empty() {
        return Err(format!("connect string \"{shown}\" has no host"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%');
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if !bare.chars().all(allowed) {
        return Err(format!(
            "connect string \"{shown}\": \"{}\" is not a host name or address",
            host.escape_debug()
        ));
    }
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let text = format!("{}://{host}:{port}", protocol.scheme());
    let url = CotUrl::parse(&text).map_err(|e| format!("connect string \"{shown}\": {e}"))?;
    if url.port() != port || !url.path().is_empty() {
        return Err(format!(
            "connect string \"{shown}\" does not read as host:port:protocol"
        ));
    }
    Ok(url)
}

/// The class attribute of a typed preference value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    Int(u64),
    Bool(bool),
}

/// Writes a `.pref` file: each group is a name and its `(key, value)` entries.
pub(crate) fn write_prefs(groups: &[(&str, Vec<(&str, Value)>)]) -> Result<Vec<u8>, String> {
    use xml::writer::{EmitterConfig, XmlEvent};
    let mut out = Vec::new();
    let mut w = EmitterConfig::new()
        .perform_indent(true)
        .create_writer(&mut out);
    let e = |r: xml::writer::Result<()>| r.map_err(|e| format!("cannot write the .pref: {e}"));
    e(w.write(XmlEvent::StartDocument {
        version: xml::common::XmlVersion::Version10,
        encoding: Some("UTF-8"),
        standalone: Some(true),
    }))?;
    e(w.write(XmlEvent::start_element("preferences")))?;
    for (name, entries) in groups {
        e(w.write(
            XmlEvent::start_element("preference")
                .attr("version", "1")
                .attr("name", name),
        ))?;
        for (key, value) in entries {
            let (class, text) = match value {
                Value::Text(s) => ("class java.lang.String", s.clone()),
                Value::Int(i) => ("class java.lang.Integer", i.to_string()),
                Value::Bool(b) => ("class java.lang.Boolean", b.to_string()),
            };
            e(w.write(
                XmlEvent::start_element("entry")
                    .attr("key", key)
                    .attr("class", class),
            ))?;
            e(w.write(XmlEvent::characters(&text)))?;
            e(w.write(XmlEvent::end_element()))?;
        }
        e(w.write(XmlEvent::end_element()))?;
    }
    e(w.write(XmlEvent::end_element()))?;
    drop(w);
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_strings_map_to_urls() {
        let url = |s: &str| connect_string_to_url(s).map(|u| u.to_string());
        assert_eq!(url("10.0.0.1:8089:ssl").unwrap(), "tls://10.0.0.1:8089");
        assert_eq!(
            url("tak.example:8087:tcp").unwrap(),
            "tcp://tak.example:8087"
        );
        assert_eq!(url("239.2.3.1:6969:udp").unwrap(), "udp://239.2.3.1:6969");
        assert_eq!(url("[fd00::1]:8089:SSL").unwrap(), "tls://[fd00::1]:8089");
        for bad in [
            "",
            "host",
            "host:8089",
            "host:0:ssl",
            "host:x:ssl",
            ":8089:ssl",
        ] {
            assert!(url(bad).is_err(), "{bad:?}");
        }
        let e = url("host:8089:srt").unwrap_err();
        assert!(e.contains("srt") && e.contains("ssl, tcp, udp"), "{e}");
    }

    #[test]
    fn prefs_round_trip_and_escape() {
        let data = write_prefs(&[(
            "cot_streams",
            vec![
                ("count", Value::Int(1)),
                ("enabled0", Value::Bool(true)),
                ("description0", Value::Text("a<b & \"c\"".into())),
            ],
        )])
        .unwrap();
        let prefs = Prefs::parse(&data).unwrap();
        assert_eq!(prefs.get("count"), Some("1"));
        assert_eq!(prefs.get("enabled0"), Some("true"));
        assert_eq!(prefs.get("description0"), Some("a<b & \"c\""));
        assert!(
            String::from_utf8(data)
                .unwrap()
                .contains(r#"<entry key="count" class="class java.lang.Integer">1</entry>"#)
        );
    }

    #[test]
    fn bad_pref_files_are_explained() {
        assert!(
            Prefs::parse(b"<nope/>")
                .unwrap_err()
                .contains("<preferences>")
        );
        assert!(Prefs::parse(b"<preferences>").unwrap_err().contains("XML"));
        assert!(Prefs::parse(b"\xff\xfe").unwrap_err().contains("UTF-8"));
        let dtd = b"<!DOCTYPE p [<!ENTITY x \"y\">]><preferences/>";
        assert!(Prefs::parse(dtd).is_err());
    }
}

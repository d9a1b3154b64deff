//! The manifest of an ATAK data package, `MANIFEST/manifest.xml`:
//!
//! ```xml
//! <MissionPackageManifest version="2">
//!   <Configuration>
//!     <Parameter name="uid" value="..."/>
//!     <Parameter name="name" value="..."/>
//!     <Parameter name="onReceiveDelete" value="true"/>
//!   </Configuration>
//!   <Contents>
//!     <Content ignore="false" zipEntry="certs/config.pref"/>
//!   </Contents>
//! </MissionPackageManifest>
//! ```

use crate::package::pref::{parse_xml, xml_text};

/// The path of the manifest inside an ATAK package.
pub const MANIFEST_PATH: &str = "MANIFEST/manifest.xml";

/// What takwire reads from a manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    /// `<Parameter name="uid">`.
    pub uid: Option<String>,
    /// `<Parameter name="name">`.
    pub name: Option<String>,
    /// The `zipEntry` of each `<Content>`.
    pub contents: Vec<String>,
}

impl Manifest {
    /// Parses a manifest.
    pub fn parse(data: &[u8]) -> Result<Manifest, String> {
        let text = xml_text(data)?;
        let doc = parse_xml(text).map_err(|e| format!("is not valid XML: {e}"))?;
        let root = doc.root_element();
        if root.tag_name().name() != "MissionPackageManifest" {
            return Err(format!(
                "is not a data package manifest: its root element is <{}>, not \
                 <MissionPackageManifest>",
                root.tag_name().name()
            ));
        }
        let param = |name: &str| {
            root.descendants()
                .find(|n| n.tag_name().name() == "Parameter" && n.attribute("name") == Some(name))
                .and_then(|n| n.attribute("value"))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let contents = root
            .descendants()
            .filter(|n| n.tag_name().name() == "Content")
            .filter_map(|n| n.attribute("zipEntry"))
            .map(|s| s.replace('\\', "/"))
            .collect();
        Ok(Manifest {
            uid: param("uid"),
            name: param("name"),
            contents,
        })
    }

    /// Writes a manifest.
    pub fn write(&self) -> Result<Vec<u8>, String> {
        use xml::writer::{EmitterConfig, XmlEvent};
        let mut out = Vec::new();
        let mut w = EmitterConfig::new()
            .perform_indent(true)
            .write_document_declaration(false)
            .create_writer(&mut out);
        let e =
            |r: xml::writer::Result<()>| r.map_err(|e| format!("cannot write the manifest: {e}"));
        e(w.write(XmlEvent::start_element("MissionPackageManifest").attr("version", "2")))?;
        e(w.write(XmlEvent::start_element("Configuration")))?;
        let params = [
            ("uid", self.uid.as_deref()),
            ("name", self.name.as_deref()),
            ("onReceiveDelete", Some("true")),
        ];
        for (name, value) in params {
            if let Some(value) = value {
                e(w.write(
                    XmlEvent::start_element("Parameter")
                        .attr("name", name)
                        .attr("value", value),
                ))?;
                e(w.write(XmlEvent::end_element()))?;
            }
        }
        e(w.write(XmlEvent::end_element()))?;
        e(w.write(XmlEvent::start_element("Contents")))?;
        for entry in &self.contents {
            e(w.write(
                XmlEvent::start_element("Content")
                    .attr("ignore", "false")
                    .attr("zipEntry", entry),
            ))?;
            e(w.write(XmlEvent::end_element()))?;
        }
        e(w.write(XmlEvent::end_element()))?;
        e(w.write(XmlEvent::end_element()))?;
        drop(w);
        out.push(b'\n');
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips() {
        let m = Manifest {
            uid: Some("0b7a-uid".into()),
            name: Some("tak & co".into()),
            contents: vec!["certs/config.pref".into(), "certs/a.p12".into()],
        };
        let data = m.write().unwrap();
        assert_eq!(Manifest::parse(&data).unwrap(), m);
        let text = String::from_utf8(data).unwrap();
        assert!(
            text.contains(r#"<MissionPackageManifest version="2">"#),
            "{text}"
        );
        assert!(
            text.contains(r#"<Parameter name="uid" value="0b7a-uid" />"#),
            "{text}"
        );
    }

    #[test]
    fn other_xml_is_not_a_manifest() {
        let e = Manifest::parse(b"<preferences/>").unwrap_err();
        assert!(e.contains("MissionPackageManifest"), "{e}");
    }
}

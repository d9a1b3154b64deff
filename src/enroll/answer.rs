//! Reading TAK Server's enrollment answers: the subject name entries of
//! `/Marti/api/tls/config` (XML), the signed certificate and CA chain of
//! `/Marti/api/tls/signClient/v2` (JSON) and of the older `/Marti/api/tls/signClient`
//! (PKCS#12 protected by `atakatak`).
//!
//! Everything here reads data from the network: sizes are bounded and nothing panics.

use crate::tls::pem;

/// The largest answer read from the server, in bytes.
pub const MAX_ANSWER: usize = 1 << 20;
/// The most CA certificates taken from one answer.
pub const MAX_CA: usize = 16;
/// The most subject name entries taken from `tls/config`.
pub const MAX_NAME_ENTRIES: usize = 32;
/// The password of the PKCS#12 the older `signClient` endpoint answers with.
pub const V1_PASSWORD: &str = "atakatak";

/// The subject name attributes a CSR may carry besides the CN (as PyTAK and ATAK).
pub const NAME_KEYS: &[&str] = &["O", "OU", "C", "ST", "L"];

/// A signed client certificate and the CA chain that came with it (DER).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The client certificate.
    pub cert: Vec<u8>,
    /// The CA certificates, issuer first as the server listed them.
    pub ca: Vec<Vec<u8>>,
}

/// The subject name entries (`<nameEntry name="O" value="TAK"/>`) of a `tls/config` answer,
/// in document order; entries of older servers (`<entry name=.. value=..>`) are read when
/// there is no `nameEntry`. Only the keys in [`NAME_KEYS`] are kept, first value wins.
pub fn name_entries(xml: &[u8]) -> Result<Vec<(String, String)>, String> {
    if xml.len() > MAX_ANSWER {
        return Err(format!("the answer is larger than {MAX_ANSWER} bytes"));
    }
    let text = std::str::from_utf8(xml).map_err(|e| format!("the answer is not UTF-8: {e}"))?;
    let doc =
        roxmltree::Document::parse(text).map_err(|e| format!("the answer is not XML: {e}"))?;
    let collect = |tag: &str| {
        let mut out: Vec<(String, String)> = Vec::new();
        for node in doc
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == tag)
        {
            let (Some(name), Some(value)) = (node.attribute("name"), node.attribute("value"))
            else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            if value.is_empty() || !NAME_KEYS.contains(&name) {
                continue;
            }
            if out.iter().all(|(n, _)| n != name) && out.len() < MAX_NAME_ENTRIES {
                out.push((name.to_string(), value.to_string()));
            }
        }
        out
    };
    let entries = collect("nameEntry");
    Ok(if entries.is_empty() {
        collect("entry")
    } else {
        entries
    })
}

/// A certificate as TAK Server writes it in JSON: PEM, or its base64 body without the
/// BEGIN/END lines (what `signClient/v2` sends), perhaps with escaped newlines.
fn certificate_text(field: &str, text: &str) -> Result<Vec<u8>, String> {
    let text = text.replace("\\n", "\n").replace("\\r", "\n");
    if pem::is_pem(text.as_bytes()) {
        let blocks = pem::parse(text.as_bytes()).map_err(|e| format!("{field}: {e}"))?;
        return blocks
            .into_iter()
            .find(|b| b.label == "CERTIFICATE")
            .map(|b| b.der)
            .ok_or_else(|| format!("{field} holds no CERTIFICATE block"));
    }
    pem::base64_decode(&text)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| format!("{field} is neither PEM nor base64"))
}

/// Checks that `der` is one X.509 certificate.
fn check_certificate(field: &str, der: &[u8]) -> Result<(), String> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], _)) => Ok(()),
        Ok(_) => Err(format!("{field}: trailing bytes after the certificate")),
        Err(e) => Err(format!("{field} is not an X.509 certificate: {e}")),
    }
}

/// The `signClient/v2` answer: `{"signedCert": "...", "ca0": "...", "ca1": ...}`.
pub fn v2_answer(json: &[u8]) -> Result<Signed, String> {
    if json.len() > MAX_ANSWER {
        return Err(format!("the answer is larger than {MAX_ANSWER} bytes"));
    }
    let value: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let object = value.as_object().ok_or("the answer is not a JSON object")?;
    let signed = object
        .get("signedCert")
        .and_then(|v| v.as_str())
        .ok_or("the answer has no \"signedCert\" string")?;
    let cert = certificate_text("signedCert", signed)?;
    check_certificate("signedCert", &cert)?;
    let mut ca = Vec::new();
    for i in 0..MAX_CA {
        let field = format!("ca{i}");
        let Some(v) = object.get(&field) else {
            break;
        };
        let text = v
            .as_str()
            .ok_or_else(|| format!("{field} is not a string"))?;
        if text.trim().is_empty() {
            continue;
        }
        let der = certificate_text(&field, text)?;
        check_certificate(&field, &der)?;
        ca.push(der);
    }
    Ok(Signed { cert, ca })
}

/// The older `signClient` answer: a PKCS#12 file protected by [`V1_PASSWORD`] holding the
/// signed certificate and the CA chain, without the key. The client certificate is the one
/// whose public key is `spki` (the key the CSR was made with).
pub fn v1_answer(p12: &[u8], spki: &[u8]) -> Result<Signed, String> {
    if p12.len() > MAX_ANSWER {
        return Err(format!("the answer is larger than {MAX_ANSWER} bytes"));
    }
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(p12, V1_PASSWORD)
        .map_err(|e| format!("the answer is not a PKCS#12 file opened by {V1_PASSWORD:?}: {e}"))?;
    let mut certs: Vec<Vec<u8>> = Vec::new();
    for bag in &archive.certs {
        let der = bag.cert.as_der().to_vec();
        if !certs.contains(&der) && certs.len() <= MAX_CA {
            certs.push(der);
        }
    }
    let leaf = certs
        .iter()
        .position(|der| {
            x509_parser::parse_x509_certificate(der).is_ok_and(|(_, c)| c.public_key().raw == spki)
        })
        .ok_or("the answer holds no certificate for the key the request was made with")?;
    let cert = certs.remove(leaf);
    Ok(Signed { cert, ca: certs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        rcgen::CertificateParams::new(vec!["x".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap()
            .der()
            .to_vec()
    }

    #[test]
    fn name_entries_of_tak_server_and_older_answers() {
        let xml = br#"<ns2:certificateConfig xmlns="http://bbn.com/marti/xml/config" xmlns:ns2="com.bbn.marti.config"><nameEntries><nameEntry name="O" value="TAK"/><nameEntry name="OU" value="Unit"/><nameEntry name="O" value="again"/><nameEntry name="CN" value="no"/></nameEntries></ns2:certificateConfig>"#;
        assert_eq!(
            name_entries(xml).unwrap(),
            vec![("O".into(), "TAK".into()), ("OU".into(), "Unit".into())]
        );
        let old = br#"<c><entry name="C" value="US"/><entry name="L" value=" "/></c>"#;
        assert_eq!(name_entries(old).unwrap(), vec![("C".into(), "US".into())]);
        assert!(name_entries(b"<nope").unwrap_err().contains("not XML"));
    }

    #[test]
    fn v2_answers_headerless_or_pem() {
        let (a, b) = (cert(), cert());
        let json = format!(
            r#"{{"signedCert":"{}","ca0":"{}"}}"#,
            pem::base64_encode(&a),
            pem::encode("CERTIFICATE", &b).replace('\n', "\\n")
        );
        let s = v2_answer(json.as_bytes()).unwrap();
        assert_eq!((s.cert, s.ca), (a, vec![b]));
        assert!(v2_answer(b"{}").unwrap_err().contains("signedCert"));
        assert!(
            v2_answer(br#"{"signedCert":"QUJD"}"#)
                .unwrap_err()
                .contains("not an X.509")
        );
    }
}

//! CoT events as GeoJSON Features, following the mapping of node-cot (dfpc-coe), the
//! JavaScript CoT library that TAK tooling such as CloudTAK uses.
//!
//! * `id` is the event's uid; `geometry` is a `Point` at `[lon, lat, hae]` (GeoJSON order:
//!   longitude first). When `hae` is unknown (`9999999.0`) it is left out, giving
//!   `[lon, lat]`: node-cot keeps it, but an altitude of 9999 km misleads map tools.
//! * Drawn shapes whose vertices are `<link point="lat,lon[,hae]">` children (`u-d-f`
//!   freehand lines and polygons, `u-d-r` rectangles, `b-m-r` routes) become a
//!   `LineString`, or a `Polygon` when closed (first vertex equals the last; rectangles
//!   always are), with `center` still the event's point.
//! * `properties`: `callsign` (from `<contact>`, else `UNKNOWN`), `center` (the point, as
//!   in geometry), `type`, `how`, `time`, `start`, `stale`, and when present: `contact`
//!   (its other attributes), `remarks`, `course`, `speed`, `slope` (numbers, from
//!   `<track>`), `group` (`<__group>`), `takv`, `status`, `precisionlocation`, `droid`
//!   (`<uid Droid>`), `icon` (`<usericon iconsetpath>`), `links` (attributes of each
//!   `<link>` that is not a shape vertex), `archived` (`<archive>`), `flow`
//!   (`<_flow-tags_>`), `ackrequest`, `fileshare`, `chat` (`<__chat>`), `dest`
//!   (`<marti><dest>`), `sensor`, `video` (`<__video>`), `geofence` (`<__geofence>`).
//!
//! ```
//! use takwire::cot::{Event, geojson};
//! let event = Event::builder("boat-1", "a-f-S-X").point(59.91, 10.75).callsign("Boaty").build();
//! let f = geojson::to_feature(&event);
//! assert_eq!(f["type"], "Feature");
//! assert_eq!(f["geometry"]["coordinates"], serde_json::json!([10.75, 59.91]));
//! assert_eq!(f["properties"]["callsign"], "Boaty");
//! ```

use serde_json::{Map, Value, json};

use crate::cot::{DetailElement, Event, UNKNOWN};

/// Types whose `<link point=..>` children are the vertices of a line or polygon.
const SHAPE_TYPES: [&str; 4] = ["u-d-f", "u-d-r", "b-m-r", "u-rb-a"];

/// The event as a GeoJSON Feature.
pub fn to_feature(event: &Event) -> Value {
    let p = &event.point;
    let center = position(p.lon, p.lat, p.hae);
    let mut props = Map::new();
    let contact = attrs_of(event, "contact");
    let callsign = contact
        .iter()
        .find(|(k, _)| k == "callsign")
        .map(|(_, v)| v.clone())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "UNKNOWN".into());
    props.insert("callsign".into(), callsign.into());
    props.insert("center".into(), center.clone());
    props.insert("type".into(), event.cot_type.clone().into());
    props.insert("how".into(), event.how.clone().into());
    props.insert("time".into(), event.time.to_string().into());
    props.insert("start".into(), event.start.to_string().into());
    props.insert("stale".into(), event.stale.to_string().into());
    let other_contact: Map<String, Value> = contact
        .into_iter()
        .filter(|(k, _)| k != "callsign")
        .map(|(k, v)| (k, v.into()))
        .collect();
    if !other_contact.is_empty() {
        props.insert("contact".into(), Value::Object(other_contact));
    }
    if let Some(text) = element(event, "remarks").and_then(DetailElement::text)
        && !text.is_empty()
    {
        props.insert("remarks".into(), text.into());
    }
    if let Some(track) = element(event, "track") {
        for key in ["course", "speed", "slope"] {
            if let Some(n) = track
                .attribute(key)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|n| n.is_finite())
            {
                props.insert(key.into(), json!(n));
            }
        }
    }
    for (elem, key) in [
        ("__group", "group"),
        ("takv", "takv"),
        ("status", "status"),
        ("precisionlocation", "precisionlocation"),
        ("_flow-tags_", "flow"),
        ("ackrequest", "ackrequest"),
        ("fileshare", "fileshare"),
        ("__chat", "chat"),
        ("sensor", "sensor"),
        ("__video", "video"),
        ("__geofence", "geofence"),
    ] {
        let a = attrs_of(event, elem);
        if !a.is_empty() {
            props.insert(key.into(), object(a));
        }
    }
    if let Some(droid) = element(event, "uid").and_then(|u| u.attribute("Droid")) {
        props.insert("droid".into(), droid.into());
    }
    if let Some(icon) = element(event, "usericon").and_then(|u| u.attribute("iconsetpath")) {
        props.insert("icon".into(), icon.into());
    }
    if element(event, "archive").is_some() {
        props.insert("archived".into(), true.into());
    }
    if let Some(dest) = marti_dest(event) {
        props.insert("dest".into(), dest);
    }
    let shape = SHAPE_TYPES.contains(&event.cot_type.as_str());
    let mut vertices = Vec::new();
    let mut links = Vec::new();
    for link in event.detail.iter().filter(|e| e.name() == "link") {
        let attrs = link.attributes();
        match attrs.iter().find(|(k, _)| k == "point") {
            Some((_, point)) if shape => {
                if let Some(v) = vertex(point) {
                    vertices.push(v);
                }
            }
            _ => links.push(object(attrs)),
        }
    }
    if !links.is_empty() {
        props.insert("links".into(), Value::Array(links));
    }
    let geometry = shape_geometry(&event.cot_type, vertices)
        .unwrap_or_else(|| json!({"type": "Point", "coordinates": center}));
    json!({
        "id": event.uid,
        "type": "Feature",
        "properties": Value::Object(props),
        "geometry": geometry,
    })
}

/// The Feature as one line of JSON (no newline).
pub fn to_string(event: &Event) -> String {
    to_feature(event).to_string()
}

fn position(lon: f64, lat: f64, hae: f64) -> Value {
    if hae == UNKNOWN {
        json!([lon, lat])
    } else {
        json!([lon, lat, hae])
    }
}

fn element<'a>(event: &'a Event, name: &str) -> Option<DetailElement<'a>> {
    event.detail.element(name)
}

fn attrs_of(event: &Event, name: &str) -> Vec<(String, String)> {
    element(event, name)
        .map(DetailElement::attributes)
        .unwrap_or_default()
}

fn object(attrs: Vec<(String, String)>) -> Value {
    Value::Object(attrs.into_iter().map(|(k, v)| (k, v.into())).collect())
}

/// `<marti><dest callsign=".."/>...</marti>`: one object, or an array for several.
fn marti_dest(event: &Event) -> Option<Value> {
    let marti = element(event, "marti")?;
    let doc = crate::cot::xml::document(marti.xml(), "marti element").ok()?;
    let dests: Vec<Value> = doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("dest"))
        .map(|n| {
            Value::Object(
                n.attributes()
                    .map(|a| (a.name().to_string(), a.value().into()))
                    .collect(),
            )
        })
        .collect();
    match dests.len() {
        0 => None,
        1 => dests.into_iter().next(),
        _ => Some(Value::Array(dests)),
    }
}

/// `"lat,lon[,hae]"` as a GeoJSON position `[lon, lat]`.
fn vertex(point: &str) -> Option<[f64; 2]> {
    let mut parts = point.split(',').map(|s| s.trim().parse::<f64>());
    let lat = parts.next()?.ok()?;
    let lon = parts.next()?.ok()?;
    (lat.is_finite() && lon.is_finite()).then_some([lon, lat])
}

fn shape_geometry(cot_type: &str, mut vertices: Vec<[f64; 2]>) -> Option<Value> {
    if vertices.len() < 2 {
        return None;
    }
    let closed = vertices.first() == vertices.last();
    if cot_type == "u-d-r" || (closed && vertices.len() >= 4) {
        if !closed {
            vertices.push(vertices[0]);
        }
        if vertices.len() >= 4 {
            return Some(json!({"type": "Polygon", "coordinates": [vertices]}));
        }
    }
    Some(json!({"type": "LineString", "coordinates": vertices}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(cot_type: &str, detail: &str, hae: &str) -> Event {
        let xml = format!(
            r#"<event version="2.0" uid="u" type="{cot_type}" how="h-e" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:02:00Z"><point lat="-33.5" lon="151.25" hae="{hae}"/><detail>{detail}</detail></event>"#
        );
        Event::from_xml(xml.as_bytes()).unwrap()
    }

    #[test]
    fn point_feature_properties() {
        let e = ev(
            "a-f-G-U-C",
            r#"<contact callsign="HOPE" endpoint="*:-1:stcp"/><__group name="Cyan" role="Team Member"/><track course="30.5" speed="1.5"/><remarks>hi &amp; bye</remarks><uid Droid="HOPE"/><archive/><link uid="p" relation="p-p"/><marti><dest callsign="A"/><dest callsign="B"/></marti>"#,
            "26.5",
        );
        let f = to_feature(&e);
        assert_eq!(f["id"], "u");
        assert_eq!(
            f["geometry"],
            json!({"type": "Point", "coordinates": [151.25, -33.5, 26.5]})
        );
        let p = &f["properties"];
        assert_eq!(p["callsign"], "HOPE");
        assert_eq!(p["center"], json!([151.25, -33.5, 26.5]));
        assert_eq!(p["contact"], json!({"endpoint": "*:-1:stcp"}));
        assert_eq!(p["group"], json!({"name": "Cyan", "role": "Team Member"}));
        assert_eq!(p["course"], json!(30.5));
        assert_eq!(p["speed"], json!(1.5));
        assert_eq!(p["remarks"], "hi & bye");
        assert_eq!(p["droid"], "HOPE");
        assert_eq!(p["archived"], true);
        assert_eq!(p["links"], json!([{"uid": "p", "relation": "p-p"}]));
        assert_eq!(p["dest"], json!([{"callsign": "A"}, {"callsign": "B"}]));
        assert_eq!(
            (&p["type"], &p["how"], &p["time"]),
            (
                &json!("a-f-G-U-C"),
                &json!("h-e"),
                &json!("2026-01-01T00:00:00.000Z")
            )
        );
    }

    #[test]
    fn unknown_height_and_callsign() {
        let f = to_feature(&ev("a-h-G", "", "9999999.0"));
        assert_eq!(f["geometry"]["coordinates"], json!([151.25, -33.5]));
        assert_eq!(f["properties"]["callsign"], "UNKNOWN");
        assert!(f["properties"].get("links").is_none());
    }

    #[test]
    fn shapes_from_link_points() {
        let poly = ev(
            "u-d-f",
            r#"<link point="1,2"/><link point="1,3"/><link point="2,3"/><link point="1,2"/><contact callsign="AO"/>"#,
            "0",
        );
        assert_eq!(
            to_feature(&poly)["geometry"],
            json!({"type": "Polygon", "coordinates": [[[2.0, 1.0], [3.0, 1.0], [3.0, 2.0], [2.0, 1.0]]]})
        );
        let route = ev(
            "b-m-r",
            r#"<link uid="r0" point="1,2,0"/><link uid="r1" point="1.5,2.5,0"/>"#,
            "0",
        );
        let f = to_feature(&route);
        assert_eq!(
            f["geometry"],
            json!({"type": "LineString", "coordinates": [[2.0, 1.0], [2.5, 1.5]]})
        );
        assert!(f["properties"].get("links").is_none());
        let rect = ev(
            "u-d-r",
            r#"<link point="0,0"/><link point="0,1"/><link point="1,1"/><link point="1,0"/>"#,
            "0",
        );
        let g = &to_feature(&rect)["geometry"];
        assert_eq!(g["type"], "Polygon");
        assert_eq!(g["coordinates"][0].as_array().unwrap().len(), 5);
        // A shape type with no usable vertices stays a point.
        let bad = ev("u-d-f", r#"<link point="x,y"/>"#, "0");
        assert_eq!(to_feature(&bad)["geometry"]["type"], "Point");
    }
}

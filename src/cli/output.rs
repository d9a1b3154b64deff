//! Writing received events to stdout: `--format xml|json|geojson|proto`.

use std::io::{self, Write};

use clap::ValueEnum;
use takwire::Event;

/// The output format of received events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// CoT XML, one event per line.
    #[default]
    Xml,
    /// One JSON object per line (schema in the README, `takwire::cot::json`).
    Json,
    /// One GeoJSON Feature per line, as node-cot maps CoT.
    Geojson,
    /// TAK protocol v1 stream frames (0xbf, varint length, protobuf), for other tools.
    Proto,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to_possible_value() {
            Some(v) => f.write_str(v.get_name()),
            None => write!(f, "{self:?}"),
        }
    }
}

/// Encodes events in one format, reusing its buffers.
#[derive(Debug, Default)]
pub struct Writer {
    format: Format,
    text: String,
    payload: Vec<u8>,
    frame: Vec<u8>,
}

impl Writer {
    /// A writer for `format`.
    pub fn new(format: Format) -> Writer {
        Writer {
            format,
            ..Writer::default()
        }
    }

    /// Checks that the format can be written at all (the protobuf codec may be missing
    /// from this build), so that a command fails before it connects rather than on the
    /// first event.
    pub fn check(&mut self) -> takwire::Result<()> {
        if self.format == Format::Proto {
            self.payload.clear();
            let probe = Event::hello(std::time::Duration::from_secs(60));
            takwire::proto::encode_event(&probe, &mut self.payload)?;
        }
        #[cfg(not(feature = "json"))]
        if matches!(self.format, Format::Json | Format::Geojson) {
            return Err(takwire::Error::FeatureDisabled {
                what: format!("--format {}", self.format),
                feature: "json",
            });
        }
        Ok(())
    }

    /// Writes one event. An event that cannot be encoded is an `InvalidData` error (the
    /// output is still usable); other errors are the output's.
    pub fn write(&mut self, out: &mut impl Write, event: &Event) -> io::Result<()> {
        match self.format {
            Format::Xml => {
                self.text.clear();
                takwire::cot::xml::write(event, &mut self.text);
                // One event per line, even when its detail holds line breaks.
                out.write_all(takwire::cot::xml::single_line(&self.text).as_bytes())?;
                out.write_all(b"\n")
            }
            #[cfg(feature = "json")]
            Format::Json => {
                takwire::cot::json::write(event, out)?;
                out.write_all(b"\n")
            }
            #[cfg(feature = "json")]
            Format::Geojson => {
                serde_json::to_writer(&mut *out, &takwire::cot::geojson::to_feature(event))
                    .map_err(io::Error::from)?;
                out.write_all(b"\n")
            }
            // Refused by `check` before anything is received.
            #[cfg(not(feature = "json"))]
            Format::Json | Format::Geojson => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "JSON output is not built (the `json` feature is off)",
            )),
            Format::Proto => {
                self.payload.clear();
                takwire::proto::encode_event(event, &mut self.payload)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                self.frame.clear();
                takwire::framing::write_stream_frame(&self.payload, &mut self.frame);
                out.write_all(&self.frame)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_event() {
        let ev = Event::builder("u\n1", "a-f-G")
            .remarks("two\nlines")
            .build();
        for f in [Format::Xml, Format::Json, Format::Geojson] {
            let mut out = Vec::new();
            let mut w = Writer::new(f);
            w.check().unwrap();
            w.write(&mut out, &ev).unwrap();
            w.write(&mut out, &ev).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert_eq!(text.lines().count(), 2, "{f:?}: {text}");
        }
    }
}

// Automatically generated rust module for 'track.proto' file

#![allow(non_snake_case)]
#![allow(non_upper_case_globals)]
#![allow(non_camel_case_types)]
#![allow(unused_imports)]
#![allow(unknown_lints)]
#![allow(clippy::all)]
#![cfg_attr(rustfmt, rustfmt_skip)]


use quick_protobuf::{MessageInfo, MessageRead, MessageWrite, BytesReader, Writer, WriterBackend, Result};
use quick_protobuf::sizeofs::*;
use super::*;

#[allow(clippy::derive_partial_eq_without_eq)]
#[derive(Debug, Default, PartialEq, Clone)]
pub struct Track {
    pub speed: f64,
    pub course: f64,
}

impl<'a> MessageRead<'a> for Track {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut msg = Self::default();
        while !r.is_eof() {
            match r.next_tag(bytes) {
                Ok(9) => msg.speed = r.read_double(bytes)?,
                Ok(17) => msg.course = r.read_double(bytes)?,
                Ok(t) => { r.read_unknown(bytes, t)?; }
                Err(e) => return Err(e),
            }
        }
        Ok(msg)
    }
}

impl MessageWrite for Track {
    fn get_size(&self) -> usize {
        0
        + if self.speed == 0f64 { 0 } else { 1 + 8 }
        + if self.course == 0f64 { 0 } else { 1 + 8 }
    }

    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        if self.speed != 0f64 { w.write_with_tag(9, |w| w.write_double(*&self.speed))?; }
        if self.course != 0f64 { w.write_with_tag(17, |w| w.write_double(*&self.course))?; }
        Ok(())
    }
}


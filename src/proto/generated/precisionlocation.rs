// Automatically generated rust module for 'precisionlocation.proto' file

#![allow(non_snake_case)]
#![allow(non_upper_case_globals)]
#![allow(non_camel_case_types)]
#![allow(unused_imports)]
#![allow(unknown_lints)]
#![allow(clippy::all)]
#![cfg_attr(rustfmt, rustfmt_skip)]


use std::borrow::Cow;
use quick_protobuf::{MessageInfo, MessageRead, MessageWrite, BytesReader, Writer, WriterBackend, Result};
use quick_protobuf::sizeofs::*;
use super::*;

#[allow(clippy::derive_partial_eq_without_eq)]
#[derive(Debug, Default, PartialEq, Clone)]
pub struct PrecisionLocation<'a> {
    pub geopointsrc: Cow<'a, str>,
    pub altsrc: Cow<'a, str>,
}

impl<'a> MessageRead<'a> for PrecisionLocation<'a> {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut msg = Self::default();
        while !r.is_eof() {
            match r.next_tag(bytes) {
                Ok(10) => msg.geopointsrc = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(18) => msg.altsrc = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(t) => { r.read_unknown(bytes, t)?; }
                Err(e) => return Err(e),
            }
        }
        Ok(msg)
    }
}

impl<'a> MessageWrite for PrecisionLocation<'a> {
    fn get_size(&self) -> usize {
        0
        + if self.geopointsrc == "" { 0 } else { 1 + sizeof_len((&self.geopointsrc).len()) }
        + if self.altsrc == "" { 0 } else { 1 + sizeof_len((&self.altsrc).len()) }
    }

    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        if self.geopointsrc != "" { w.write_with_tag(10, |w| w.write_string(&**&self.geopointsrc))?; }
        if self.altsrc != "" { w.write_with_tag(18, |w| w.write_string(&**&self.altsrc))?; }
        Ok(())
    }
}


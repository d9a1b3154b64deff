// Automatically generated rust module for 'takv.proto' file

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
pub struct Takv<'a> {
    pub device: Cow<'a, str>,
    pub platform: Cow<'a, str>,
    pub os: Cow<'a, str>,
    pub version: Cow<'a, str>,
}

impl<'a> MessageRead<'a> for Takv<'a> {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut msg = Self::default();
        while !r.is_eof() {
            match r.next_tag(bytes) {
                Ok(10) => msg.device = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(18) => msg.platform = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(26) => msg.os = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(34) => msg.version = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(t) => { r.read_unknown(bytes, t)?; }
                Err(e) => return Err(e),
            }
        }
        Ok(msg)
    }
}

impl<'a> MessageWrite for Takv<'a> {
    fn get_size(&self) -> usize {
        0
        + if self.device == "" { 0 } else { 1 + sizeof_len((&self.device).len()) }
        + if self.platform == "" { 0 } else { 1 + sizeof_len((&self.platform).len()) }
        + if self.os == "" { 0 } else { 1 + sizeof_len((&self.os).len()) }
        + if self.version == "" { 0 } else { 1 + sizeof_len((&self.version).len()) }
    }

    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        if self.device != "" { w.write_with_tag(10, |w| w.write_string(&**&self.device))?; }
        if self.platform != "" { w.write_with_tag(18, |w| w.write_string(&**&self.platform))?; }
        if self.os != "" { w.write_with_tag(26, |w| w.write_string(&**&self.os))?; }
        if self.version != "" { w.write_with_tag(34, |w| w.write_string(&**&self.version))?; }
        Ok(())
    }
}


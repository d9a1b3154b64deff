// Automatically generated rust module for 'takcontrol.proto' file

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
pub struct TakControl<'a> {
    pub minProtoVersion: u32,
    pub maxProtoVersion: u32,
    pub contactUid: Cow<'a, str>,
}

impl<'a> MessageRead<'a> for TakControl<'a> {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut msg = Self::default();
        while !r.is_eof() {
            match r.next_tag(bytes) {
                Ok(8) => msg.minProtoVersion = r.read_uint32(bytes)?,
                Ok(16) => msg.maxProtoVersion = r.read_uint32(bytes)?,
                Ok(26) => msg.contactUid = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(t) => { r.read_unknown(bytes, t)?; }
                Err(e) => return Err(e),
            }
        }
        Ok(msg)
    }
}

impl<'a> MessageWrite for TakControl<'a> {
    fn get_size(&self) -> usize {
        0
        + if self.minProtoVersion == 0u32 { 0 } else { 1 + sizeof_varint(*(&self.minProtoVersion) as u64) }
        + if self.maxProtoVersion == 0u32 { 0 } else { 1 + sizeof_varint(*(&self.maxProtoVersion) as u64) }
        + if self.contactUid == "" { 0 } else { 1 + sizeof_len((&self.contactUid).len()) }
    }

    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        if self.minProtoVersion != 0u32 { w.write_with_tag(8, |w| w.write_uint32(*&self.minProtoVersion))?; }
        if self.maxProtoVersion != 0u32 { w.write_with_tag(16, |w| w.write_uint32(*&self.maxProtoVersion))?; }
        if self.contactUid != "" { w.write_with_tag(26, |w| w.write_string(&**&self.contactUid))?; }
        Ok(())
    }
}


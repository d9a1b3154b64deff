// Automatically generated rust module for 'cotevent.proto' file

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
pub struct CotEvent<'a> {
    pub type_pb: Cow<'a, str>,
    pub access: Cow<'a, str>,
    pub qos: Cow<'a, str>,
    pub opex: Cow<'a, str>,
    pub uid: Cow<'a, str>,
    pub sendTime: u64,
    pub startTime: u64,
    pub staleTime: u64,
    pub how: Cow<'a, str>,
    pub lat: f64,
    pub lon: f64,
    pub hae: f64,
    pub ce: f64,
    pub le: f64,
    pub detail: Option<atakmap::commoncommo::protobuf::v1::Detail<'a>>,
}

impl<'a> MessageRead<'a> for CotEvent<'a> {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut msg = Self::default();
        while !r.is_eof() {
            match r.next_tag(bytes) {
                Ok(10) => msg.type_pb = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(18) => msg.access = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(26) => msg.qos = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(34) => msg.opex = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(42) => msg.uid = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(48) => msg.sendTime = r.read_uint64(bytes)?,
                Ok(56) => msg.startTime = r.read_uint64(bytes)?,
                Ok(64) => msg.staleTime = r.read_uint64(bytes)?,
                Ok(74) => msg.how = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(81) => msg.lat = r.read_double(bytes)?,
                Ok(89) => msg.lon = r.read_double(bytes)?,
                Ok(97) => msg.hae = r.read_double(bytes)?,
                Ok(105) => msg.ce = r.read_double(bytes)?,
                Ok(113) => msg.le = r.read_double(bytes)?,
                Ok(122) => msg.detail = Some(r.read_message::<atakmap::commoncommo::protobuf::v1::Detail>(bytes)?),
                Ok(t) => { r.read_unknown(bytes, t)?; }
                Err(e) => return Err(e),
            }
        }
        Ok(msg)
    }
}

impl<'a> MessageWrite for CotEvent<'a> {
    fn get_size(&self) -> usize {
        0
        + if self.type_pb == "" { 0 } else { 1 + sizeof_len((&self.type_pb).len()) }
        + if self.access == "" { 0 } else { 1 + sizeof_len((&self.access).len()) }
        + if self.qos == "" { 0 } else { 1 + sizeof_len((&self.qos).len()) }
        + if self.opex == "" { 0 } else { 1 + sizeof_len((&self.opex).len()) }
        + if self.uid == "" { 0 } else { 1 + sizeof_len((&self.uid).len()) }
        + if self.sendTime == 0u64 { 0 } else { 1 + sizeof_varint(*(&self.sendTime) as u64) }
        + if self.startTime == 0u64 { 0 } else { 1 + sizeof_varint(*(&self.startTime) as u64) }
        + if self.staleTime == 0u64 { 0 } else { 1 + sizeof_varint(*(&self.staleTime) as u64) }
        + if self.how == "" { 0 } else { 1 + sizeof_len((&self.how).len()) }
        + if self.lat == 0f64 { 0 } else { 1 + 8 }
        + if self.lon == 0f64 { 0 } else { 1 + 8 }
        + if self.hae == 0f64 { 0 } else { 1 + 8 }
        + if self.ce == 0f64 { 0 } else { 1 + 8 }
        + if self.le == 0f64 { 0 } else { 1 + 8 }
        + self.detail.as_ref().map_or(0, |m| 1 + sizeof_len((m).get_size()))
    }

    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        if self.type_pb != "" { w.write_with_tag(10, |w| w.write_string(&**&self.type_pb))?; }
        if self.access != "" { w.write_with_tag(18, |w| w.write_string(&**&self.access))?; }
        if self.qos != "" { w.write_with_tag(26, |w| w.write_string(&**&self.qos))?; }
        if self.opex != "" { w.write_with_tag(34, |w| w.write_string(&**&self.opex))?; }
        if self.uid != "" { w.write_with_tag(42, |w| w.write_string(&**&self.uid))?; }
        if self.sendTime != 0u64 { w.write_with_tag(48, |w| w.write_uint64(*&self.sendTime))?; }
        if self.startTime != 0u64 { w.write_with_tag(56, |w| w.write_uint64(*&self.startTime))?; }
        if self.staleTime != 0u64 { w.write_with_tag(64, |w| w.write_uint64(*&self.staleTime))?; }
        if self.how != "" { w.write_with_tag(74, |w| w.write_string(&**&self.how))?; }
        if self.lat != 0f64 { w.write_with_tag(81, |w| w.write_double(*&self.lat))?; }
        if self.lon != 0f64 { w.write_with_tag(89, |w| w.write_double(*&self.lon))?; }
        if self.hae != 0f64 { w.write_with_tag(97, |w| w.write_double(*&self.hae))?; }
        if self.ce != 0f64 { w.write_with_tag(105, |w| w.write_double(*&self.ce))?; }
        if self.le != 0f64 { w.write_with_tag(113, |w| w.write_double(*&self.le))?; }
        if let Some(ref s) = self.detail { w.write_with_tag(122, |w| w.write_message(s))?; }
        Ok(())
    }
}


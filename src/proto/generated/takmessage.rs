// Automatically generated rust module for 'takmessage.proto' file

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
pub struct TakMessage<'a> {
    pub takControl: Option<atakmap::commoncommo::protobuf::v1::TakControl<'a>>,
    pub cotEvent: Option<atakmap::commoncommo::protobuf::v1::CotEvent<'a>>,
}

impl<'a> MessageRead<'a> for TakMessage<'a> {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut msg = Self::default();
        while !r.is_eof() {
            match r.next_tag(bytes) {
                Ok(10) => msg.takControl = Some(r.read_message::<atakmap::commoncommo::protobuf::v1::TakControl>(bytes)?),
                Ok(18) => msg.cotEvent = Some(r.read_message::<atakmap::commoncommo::protobuf::v1::CotEvent>(bytes)?),
                Ok(t) => { r.read_unknown(bytes, t)?; }
                Err(e) => return Err(e),
            }
        }
        Ok(msg)
    }
}

impl<'a> MessageWrite for TakMessage<'a> {
    fn get_size(&self) -> usize {
        0
        + self.takControl.as_ref().map_or(0, |m| 1 + sizeof_len((m).get_size()))
        + self.cotEvent.as_ref().map_or(0, |m| 1 + sizeof_len((m).get_size()))
    }

    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        if let Some(ref s) = self.takControl { w.write_with_tag(10, |w| w.write_message(s))?; }
        if let Some(ref s) = self.cotEvent { w.write_with_tag(18, |w| w.write_message(s))?; }
        Ok(())
    }
}


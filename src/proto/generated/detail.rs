// Automatically generated rust module for 'detail.proto' file

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
pub struct Detail<'a> {
    pub xmlDetail: Cow<'a, str>,
    pub contact: Option<atakmap::commoncommo::protobuf::v1::Contact<'a>>,
    pub group: Option<atakmap::commoncommo::protobuf::v1::Group<'a>>,
    pub precisionLocation: Option<atakmap::commoncommo::protobuf::v1::PrecisionLocation<'a>>,
    pub status: Option<atakmap::commoncommo::protobuf::v1::Status>,
    pub takv: Option<atakmap::commoncommo::protobuf::v1::Takv<'a>>,
    pub track: Option<atakmap::commoncommo::protobuf::v1::Track>,
}

impl<'a> MessageRead<'a> for Detail<'a> {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut msg = Self::default();
        while !r.is_eof() {
            match r.next_tag(bytes) {
                Ok(10) => msg.xmlDetail = r.read_string(bytes).map(Cow::Borrowed)?,
                Ok(18) => msg.contact = Some(r.read_message::<atakmap::commoncommo::protobuf::v1::Contact>(bytes)?),
                Ok(26) => msg.group = Some(r.read_message::<atakmap::commoncommo::protobuf::v1::Group>(bytes)?),
                Ok(34) => msg.precisionLocation = Some(r.read_message::<atakmap::commoncommo::protobuf::v1::PrecisionLocation>(bytes)?),
                Ok(42) => msg.status = Some(r.read_message::<atakmap::commoncommo::protobuf::v1::Status>(bytes)?),
                Ok(50) => msg.takv = Some(r.read_message::<atakmap::commoncommo::protobuf::v1::Takv>(bytes)?),
                Ok(58) => msg.track = Some(r.read_message::<atakmap::commoncommo::protobuf::v1::Track>(bytes)?),
                Ok(t) => { r.read_unknown(bytes, t)?; }
                Err(e) => return Err(e),
            }
        }
        Ok(msg)
    }
}

impl<'a> MessageWrite for Detail<'a> {
    fn get_size(&self) -> usize {
        0
        + if self.xmlDetail == "" { 0 } else { 1 + sizeof_len((&self.xmlDetail).len()) }
        + self.contact.as_ref().map_or(0, |m| 1 + sizeof_len((m).get_size()))
        + self.group.as_ref().map_or(0, |m| 1 + sizeof_len((m).get_size()))
        + self.precisionLocation.as_ref().map_or(0, |m| 1 + sizeof_len((m).get_size()))
        + self.status.as_ref().map_or(0, |m| 1 + sizeof_len((m).get_size()))
        + self.takv.as_ref().map_or(0, |m| 1 + sizeof_len((m).get_size()))
        + self.track.as_ref().map_or(0, |m| 1 + sizeof_len((m).get_size()))
    }

    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        if self.xmlDetail != "" { w.write_with_tag(10, |w| w.write_string(&**&self.xmlDetail))?; }
        if let Some(ref s) = self.contact { w.write_with_tag(18, |w| w.write_message(s))?; }
        if let Some(ref s) = self.group { w.write_with_tag(26, |w| w.write_message(s))?; }
        if let Some(ref s) = self.precisionLocation { w.write_with_tag(34, |w| w.write_message(s))?; }
        if let Some(ref s) = self.status { w.write_with_tag(42, |w| w.write_message(s))?; }
        if let Some(ref s) = self.takv { w.write_with_tag(50, |w| w.write_message(s))?; }
        if let Some(ref s) = self.track { w.write_with_tag(58, |w| w.write_message(s))?; }
        Ok(())
    }
}


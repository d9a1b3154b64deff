//! What travels between the application and a transport, and how it is encoded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::cot::{Event, xml};
use crate::error::Result;
use crate::framing::Message;

/// The encoding of CoT on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CoT XML (TAK protocol v0).
    Xml,
    /// TAK protocol v1 (protobuf).
    Proto,
}

/// Something the application asked to send.
// Events travel by value through the bounded queue: boxing them would cost an allocation
// per event for no gain, as the queue's slots are allocated once.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// An event, encoded per the connection's format.
    Event(Event),
    /// CoT XML bytes from the application. Sent verbatim as XML; parsed and converted when
    /// the connection speaks TAK protocol v1.
    Raw(Vec<u8>),
}

impl From<Event> for Outgoing {
    fn from(e: Event) -> Self {
        Outgoing::Event(e)
    }
}

/// A connection's current format, shared by its reader and writer: TAK protocol
/// negotiation switches it while the connection is up.
#[derive(Debug, Clone)]
pub struct FormatCell(Arc<AtomicU8>);

impl FormatCell {
    /// A cell holding `f`.
    pub fn new(f: Format) -> FormatCell {
        FormatCell(Arc::new(AtomicU8::new(f as u8)))
    }

    /// The current format.
    pub fn get(&self) -> Format {
        if self.0.load(Ordering::Acquire) == Format::Proto as u8 {
            Format::Proto
        } else {
            Format::Xml
        }
    }

    /// Switches the format.
    pub fn set(&self, f: Format) {
        self.0.store(f as u8, Ordering::Release);
    }
}

/// Reusable buffers for encoding on a writer thread, so the hot path does not allocate.
#[derive(Debug, Default)]
pub struct Encoder {
    text: String,
    bytes: Vec<u8>,
}

impl Encoder {
    /// Encodes `item` for `format`. The returned message borrows the encoder's buffer.
    pub fn encode<'a>(&'a mut self, item: &'a Outgoing, format: Format) -> Result<Message<'a>> {
        match (item, format) {
            (Outgoing::Event(e), Format::Xml) => {
                self.text.clear();
                xml::write(e, &mut self.text);
                Ok(Message::Xml(self.text.as_bytes()))
            }
            (Outgoing::Raw(raw), Format::Xml) => Ok(Message::Xml(raw)),
            (Outgoing::Event(e), Format::Proto) => {
                self.bytes.clear();
                crate::proto::encode_event(e, &mut self.bytes)?;
                Ok(Message::Tak(&self.bytes))
            }
            (Outgoing::Raw(raw), Format::Proto) => {
                let event = Event::from_xml(raw)?;
                self.bytes.clear();
                crate::proto::encode_event(&event, &mut self.bytes)?;
                Ok(Message::Tak(&self.bytes))
            }
        }
    }
}

/// Decodes one inbound message into an event. A TAK protocol message that holds only a
/// `TakControl` is an error here; [`decode_inbound`] tells it apart.
pub fn decode(msg: Message<'_>) -> Result<Event> {
    match msg {
        Message::Xml(x) => xml::parse(x),
        Message::Tak(p) => crate::proto::decode_event(p),
    }
}

/// What an inbound message holds.
#[allow(clippy::large_enum_variant)] // one per message, handed straight on
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// A CoT event, from XML or TAK protocol.
    Event(Event),
    /// A TAK protocol `TakControl` without an event.
    Control(crate::proto::Control),
}

/// Decodes one inbound message: an event, or a TAK protocol control message.
pub fn decode_inbound(msg: Message<'_>) -> Result<Inbound> {
    match msg {
        Message::Xml(x) => xml::parse(x).map(Inbound::Event),
        Message::Tak(p) => Ok(match crate::proto::decode(p)? {
            crate::proto::Payload::Event(e) => Inbound::Event(e),
            crate::proto::Payload::Control(c) => Inbound::Control(c),
        }),
    }
}

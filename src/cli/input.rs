//! Reading events from stdin or a file: XML events (any layout, as the stream splitter
//! takes them) and framed TAK protocol messages.

use std::io::Read;

use takwire::Event;
use takwire::framing::{Message, StreamDecoder};

/// What one read step produced.
pub enum Input {
    /// A parsed event.
    Event(Box<Event>),
    /// Something that is not an event, with why.
    Bad(String),
}

/// Reads events from `reader` and hands each to `f` until end of input or until `f` returns
/// false. Returns the number of bytes read, or the read error.
pub fn for_each_event(
    reader: &mut impl Read,
    max: usize,
    mut f: impl FnMut(Input) -> bool,
) -> std::io::Result<u64> {
    let mut decoder = StreamDecoder::new(max);
    let mut total = 0u64;
    loop {
        let n = match decoder.read_from(reader) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if n == 0 {
            if let Some(e) = decoder.finish() {
                f(Input::Bad(e.to_string()));
            }
            return Ok(total);
        }
        while let Some(m) = decoder.next_message() {
            let item = match m {
                Ok(msg @ (Message::Xml(_) | Message::Tak(_))) => match takwire::wire::decode(msg) {
                    Ok(e) => Input::Event(Box::new(e)),
                    Err(e) => Input::Bad(e.to_string()),
                },
                Err(e) => Input::Bad(e.to_string()),
            };
            if !f(item) {
                return Ok(total);
            }
        }
    }
}

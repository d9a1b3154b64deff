//! TAK protocol v1: the protobuf form of CoT.
//!
//! The codec lands with the TAK protocol issue; until then both directions return an error
//! that says so, and TAK_PROTO=1 cannot be used.

use crate::cot::Event;
use crate::error::{Error, Result};

/// Encodes `event` as a `TakMessage` payload (no framing) into `out`.
pub fn encode_event(_event: &Event, _out: &mut Vec<u8>) -> Result<()> {
    Err(Error::Proto(
        "the TAK protocol v1 codec is not built yet".into(),
    ))
}

/// Decodes a `TakMessage` payload (no framing) into an event.
pub fn decode_event(_payload: &[u8]) -> Result<Event> {
    Err(Error::Proto(
        "the TAK protocol v1 codec is not built yet".into(),
    ))
}

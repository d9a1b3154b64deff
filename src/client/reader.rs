//! The reader: messages from a link's source become events on the incoming queue.
//!
//! Each message is decoded by its own first byte (XML or TAK protocol), whatever the
//! link's output format. TAK protocol negotiation events and `TakControl`-only messages are
//! consumed here and counted as `control`; what cannot be decoded is counted as `malformed`
//! and skipped.

use std::io;

use crate::client::Shared;
use crate::client::negotiate::LinkFormat;
use crate::framing::{FrameError, Message};
use crate::stats::Counters;
use crate::transport::Source;
use crate::util::log_sparingly;
use crate::wire::{self, Inbound};

/// Reads until the peer closes (`Ok`) or the link fails (`Err`), or shutdown.
pub(crate) fn run(
    shared: &Shared,
    source: &mut dyn Source,
    format: &LinkFormat,
    discard: bool,
) -> io::Result<()> {
    let mut deliver = |m: Result<Message<'_>, FrameError>| handle(shared, format, m, discard);
    loop {
        if shared.stopping() {
            source.finish(&mut deliver);
            return Ok(());
        }
        if !source.receive(&mut deliver)? {
            return Ok(());
        }
    }
}

fn handle(shared: &Shared, format: &LinkFormat, m: Result<Message<'_>, FrameError>, discard: bool) {
    let c = &shared.counters;
    let mut xml = false;
    let result = match m {
        Ok(msg) => {
            xml = matches!(msg, Message::Xml(_));
            let decoded = wire::decode_inbound(msg).map_err(|e| e.to_string());
            if !xml && decoded.is_ok() {
                format.on_tak_message();
            }
            decoded
        }
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(Inbound::Event(event)) => {
            // Negotiation happens in XML, before any switch.
            if xml && format.on_xml_event(&event) {
                Counters::add(&c.control, 1);
                return;
            }
            if discard {
                Counters::add(&c.discarded, 1);
                return;
            }
            Counters::add(&c.received, 1);
            // Drop-oldest: never blocks the reader; full queues count their drops.
            let _ = shared.in_tx.send(event);
        }
        Ok(Inbound::Control(control)) => {
            Counters::add(&c.control, 1);
            log::debug!(
                "TAK protocol control from {:?}: versions {}..{}",
                control.contact_uid,
                control.min_version.max(1),
                control.max_version.max(1)
            );
        }
        Err(why) => {
            Counters::add(&c.malformed, 1);
            let n = c.malformed.load(std::sync::atomic::Ordering::Relaxed);
            log_sparingly(n, format_args!("skipped inbound data: {why}"));
        }
    }
}

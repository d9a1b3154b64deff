//! The reader: messages from a link's source become events on the incoming queue.

use std::io;

use crate::client::Shared;
use crate::framing::{FrameError, Message};
use crate::stats::Counters;
use crate::transport::Source;
use crate::util::log_sparingly;
use crate::wire::{self, FormatCell};

/// Reads until the peer closes (`Ok`) or the link fails (`Err`), or shutdown.
pub(crate) fn run(
    shared: &Shared,
    source: &mut dyn Source,
    _format: &FormatCell,
    discard: bool,
) -> io::Result<()> {
    let mut deliver = |m: Result<Message<'_>, FrameError>| handle(shared, m, discard);
    loop {
        if shared.stopping() {
            return Ok(());
        }
        if !source.receive(&mut deliver)? {
            return Ok(());
        }
    }
}

fn handle(shared: &Shared, m: Result<Message<'_>, FrameError>, discard: bool) {
    let c = &shared.counters;
    let result = match m {
        Ok(msg) => wire::decode(msg).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(event) => {
            if discard {
                Counters::add(&c.discarded, 1);
                return;
            }
            Counters::add(&c.received, 1);
            // Drop-oldest: never blocks the reader; full queues count their drops.
            let _ = shared.in_tx.send(event);
        }
        Err(why) => {
            Counters::add(&c.malformed, 1);
            let n = c.malformed.load(std::sync::atomic::Ordering::Relaxed);
            log_sparingly(n, format_args!("skipped inbound data: {why}"));
        }
    }
}

//! The supervisor thread: makes links, runs the reader, restarts failed links with backoff.

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crossbeam_channel::select;

use crate::client::negotiate::LinkFormat;
use crate::client::{Backoff, Shared, reader, writer};
use crate::config::TakProto;
use crate::stats::Counters;
use crate::transport::{Connector, Link, is_fatal};
use crate::url::Scheme;
use crate::wire::Format;

/// Runs until shutdown, or until a link fails that is not to be made again.
pub(crate) fn run(shared: &Arc<Shared>, mut connector: Box<dyn Connector>, first: Option<Link>) {
    let reconnect = shared.config.reconnect.enabled && connector.reconnects();
    let mut backoff = Backoff::new(shared.config.reconnect.clone());
    let mut next = first;
    let mut links = 0u64;
    // The first attempt failed in `Client::with_connector`: wait before the next.
    if next.is_none() && shared.sleep_unless_stopped(backoff.next_delay()) {
        return;
    }
    loop {
        // A link already made (the first one) runs even if shutdown has begun, so its
        // hello and whatever was queued still go out.
        let link = match next.take() {
            Some(link) => link,
            None if shared.stopping() => return,
            None => match connector.connect() {
                Ok(link) => link,
                Err(e) => {
                    Counters::add(&shared.counters.connect_failures, 1);
                    if is_fatal(&e) || !reconnect {
                        stop_with(shared, format!("{}: {e}", connector.describe()));
                        return;
                    }
                    let delay = backoff.next_delay();
                    log::warn!(
                        "{}: {e}; retrying in {:.1} s",
                        connector.describe(),
                        delay.as_secs_f64()
                    );
                    if shared.sleep_unless_stopped(delay) {
                        return;
                    }
                    continue;
                }
            },
        };
        links += 1;
        if links > 1 {
            Counters::add(&shared.counters.reconnects, 1);
        }
        log::info!("connected: {}", link.peer);
        let peer = link.peer.clone();
        let started = Instant::now();
        let ended = run_link(shared, link);
        backoff.link_ended(started.elapsed());
        if shared.stopping() {
            return;
        }
        let reason = match &ended {
            Some(e) => format!("{peer}: {e}"),
            None => format!("{peer}: closed by the peer"),
        };
        if ended.as_ref().is_some_and(|e| connector.is_fatal_io(e)) || !reconnect {
            stop_with(shared, reason);
            return;
        }
        let delay = backoff.next_delay();
        log::warn!("{reason}; reconnecting in {:.1} s", delay.as_secs_f64());
        if shared.sleep_unless_stopped(delay) {
            return;
        }
    }
}

fn stop_with(shared: &Shared, reason: String) {
    log::error!("stopping: {reason}");
    if let Ok(mut f) = shared.fatal.lock() {
        *f = Some(reason);
    }
}

/// Runs one link until it fails or shutdown; returns the read error that ended it, if any.
fn run_link(shared: &Arc<Shared>, link: Link) -> Option<io::Error> {
    let Link {
        source,
        sink,
        closer,
        forced_format,
        ..
    } = link;
    if let Ok(mut c) = shared.closer.lock() {
        *c = Some(closer.clone());
    }
    shared.connected.store(true, Ordering::Release);
    // TAK_PROTO=1 on a streaming link (tcp, tls) starts in XML and negotiates, as TAK
    // Server expects; elsewhere (UDP mesh, forced formats) the format is fixed.
    let streaming = matches!(shared.config.cot_url.scheme(), Scheme::Tcp | Scheme::Tls);
    let format = Arc::new(match (forced_format, shared.config.tak_proto) {
        (Some(f), _) => LinkFormat::fixed(f),
        (None, TakProto::Xml) => LinkFormat::fixed(Format::Xml),
        (None, TakProto::Protobuf) if streaming && sink.is_some() => LinkFormat::negotiated(),
        (None, TakProto::Protobuf) => LinkFormat::fixed(Format::Proto),
    });
    // Dropping `link_over_tx` tells the writer this link is finished.
    let (link_over_tx, link_over_rx) = crossbeam_channel::bounded::<()>(0);
    let (writer_exit_tx, writer_exit_rx) = crossbeam_channel::bounded::<()>(0);
    let writer = sink.and_then(|sink| {
        let (s, f, c) = (shared.clone(), format.clone(), closer.clone());
        shared.writer_active.store(true, Ordering::Release);
        let spawned = std::thread::Builder::new()
            .name("takwire-writer".into())
            .spawn(move || {
                writer::run(&s, sink, &f, &link_over_rx, &c);
                s.writer_active.store(false, Ordering::Release);
                drop(writer_exit_tx);
            });
        match spawned {
            Ok(h) => Some(h),
            Err(e) => {
                log::error!("cannot start the writer thread: {e}");
                shared.writer_active.store(false, Ordering::Release);
                None
            }
        }
    });
    let discard = !shared.config.cot_url.direction().receives();
    let ended = match source {
        Some(mut source) => reader::run(shared, source.as_mut(), &format, discard).err(),
        None => {
            // Nothing to read: wait for shutdown or for the writer to give up.
            select! {
                recv(shared.stop_rx) -> _ => {},
                recv(writer_exit_rx) -> _ => {},
            }
            None
        }
    };
    if shared.stopping() {
        // The writer sees the shutdown and drains the queue; `link_over` stays open until it
        // is done, or it might take that way out first and skip the drain.
        if let Some(w) = writer {
            let _ = w.join();
        }
        drop(link_over_tx);
        closer();
    } else {
        closer();
        drop(link_over_tx);
        if let Some(w) = writer {
            let _ = w.join();
        }
    }
    shared.connected.store(false, Ordering::Release);
    if let Ok(mut c) = shared.closer.lock() {
        *c = None;
    }
    ended
}

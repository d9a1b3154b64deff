//! Signals as channel messages: SIGINT and SIGTERM stop, SIGUSR1 asks for the stats line.

use crossbeam_channel::Receiver;

/// What a signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT or SIGTERM: stop.
    Stop,
    /// SIGUSR1: print the stats line.
    Stats,
}

/// A channel that receives one message per signal. Without signal support the channel
/// stays open and silent.
pub fn channel() -> Receiver<Signal> {
    let (tx, rx) = crossbeam_channel::bounded(16);
    // Keep the channel open whatever happens below: a disconnected channel would read as a
    // signal in every select.
    std::mem::forget(tx.clone());
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1};
        match signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGUSR1]) {
            Ok(mut signals) => {
                let spawned = std::thread::Builder::new()
                    .name("takwire-signals".into())
                    .spawn(move || {
                        for s in signals.forever() {
                            let sig = if s == SIGUSR1 {
                                Signal::Stats
                            } else {
                                Signal::Stop
                            };
                            let _ = tx.try_send(sig);
                        }
                    });
                if let Err(e) = spawned {
                    log::warn!("cannot start the signal thread: {e}");
                }
            }
            Err(e) => log::warn!("cannot install signal handlers: {e}"),
        }
    }
    #[cfg(not(unix))]
    drop(tx);
    rx
}

//! The pipe mode: stdin (or a file) to the network, the network to stdout.

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, select};
use takwire::{Client, Event, EventSender, Outgoing};

use super::input::{Input, for_each_event};
use super::{Exit, RunArgs, build_config, init_logging};

/// Where outgoing events come from.
enum TxSource {
    None,
    Stdin,
    File(std::path::PathBuf),
}

pub fn run(args: RunArgs) -> Exit {
    let config = match build_config(&args.common, args.url.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("takwire: {e}");
            return Exit::Usage;
        }
    };
    init_logging(config.debug);
    let tx = if args.rx_only {
        TxSource::None
    } else if let Some(f) = &args.tx_file {
        TxSource::File(f.clone())
    } else if !io::stdin().is_terminal() {
        TxSource::Stdin
    } else {
        TxSource::None
    };
    if let TxSource::File(f) = &tx {
        if let Err(e) = std::fs::metadata(f) {
            eprintln!("takwire: --tx-file {}: {e}", f.display());
            return Exit::Usage;
        }
    }
    let url = config.cot_url.clone();
    let max = config.max_event_size;
    let receives =
        !args.tx_only && url.direction().receives() && url.scheme() != takwire::url::Scheme::Log;
    let client = match Client::connect(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("takwire: {e}");
            return if matches!(
                e,
                takwire::Error::InvalidValue { .. } | takwire::Error::FeatureDisabled { .. }
            ) {
                Exit::Usage
            } else {
                Exit::Failure
            };
        }
    };
    let signals = signal_channel();
    let bad_input = Arc::new(AtomicU64::new(0));
    let (tx_done_tx, tx_done) = crossbeam_channel::bounded::<()>(1);
    let has_tx = !matches!(tx, TxSource::None);
    if has_tx {
        let sender = client.sender();
        let bad = bad_input.clone();
        let spawned = std::thread::Builder::new()
            .name("takwire-input".into())
            .spawn(move || {
                read_and_send(tx, &sender, max, &bad);
                let _ = tx_done_tx.send(());
            });
        if let Err(e) = spawned {
            eprintln!("takwire: cannot start the input thread: {e}");
            return Exit::Failure;
        }
    }
    let outcome = if receives {
        receive_loop(&client, &tx_done, has_tx, &signals)
    } else if has_tx {
        // Nothing to receive: wait for the input to end (or a signal).
        select! {
            recv(tx_done) -> _ => Outcome::InputDone,
            recv(signals) -> _ => Outcome::Signal,
            recv(client.done()) -> _ => Outcome::Stopped,
        }
    } else {
        // Neither input nor output: send the hello event and leave.
        Outcome::InputDone
    };
    if let Outcome::InputDone = outcome {
        wait_for_queue(&client, &signals);
    }
    let stats = client.shutdown();
    let bad = bad_input.load(Ordering::Relaxed);
    eprintln!(
        "takwire: {stats}{}",
        if bad > 0 {
            format!(" bad_input={bad}")
        } else {
            String::new()
        }
    );
    match (outcome, client.error()) {
        (_, Some(reason)) => {
            eprintln!("takwire: {reason}");
            Exit::Failure
        }
        (Outcome::Stopped, None) => Exit::Failure,
        _ => Exit::Ok,
    }
}

enum Outcome {
    InputDone,
    Signal,
    Stopped,
    OutputClosed,
}

/// Prints received events until input ends (when there is input), a signal, the client
/// stopping, or stdout closing.
fn receive_loop(
    client: &Client,
    tx_done: &Receiver<()>,
    has_tx: bool,
    signals: &Receiver<()>,
) -> Outcome {
    let rx = client.receiver();
    let done = client.done();
    let stdout = io::stdout();
    let tty = stdout.is_terminal();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let never = crossbeam_channel::never::<()>();
    let tx_done = if has_tx { tx_done } else { &never };
    loop {
        select! {
            recv(rx) -> ev => {
                let Ok(ev) = ev else { return Outcome::Stopped };
                if write_event(&mut out, &ev).is_err() {
                    return Outcome::OutputClosed;
                }
                if (tty || rx.is_empty()) && out.flush().is_err() {
                    return Outcome::OutputClosed;
                }
            }
            recv(tx_done) -> _ => {
                let _ = out.flush();
                return Outcome::InputDone;
            }
            recv(signals) -> _ => {
                let _ = out.flush();
                return Outcome::Signal;
            }
            recv(done) -> _ => {
                // Print what is still queued, then stop.
                while let Ok(ev) = rx.try_recv() {
                    if write_event(&mut out, &ev).is_err() {
                        break;
                    }
                }
                let _ = out.flush();
                return Outcome::Stopped;
            }
        }
    }
}

fn write_event(out: &mut impl Write, ev: &Event) -> io::Result<()> {
    out.write_all(ev.to_xml().as_bytes())?;
    out.write_all(b"\n")
}

/// Reads the input and queues every event, waiting for room rather than dropping: nothing
/// read from a file or stdin is lost.
fn read_and_send(source: TxSource, sender: &EventSender, max: usize, bad: &AtomicU64) {
    let mut send = |item: Input| -> bool {
        match item {
            Input::Event(ev) => {
                let mut item = Outgoing::Event(*ev);
                loop {
                    match sender.send_timeout(item, Duration::from_secs(1)) {
                        Ok(()) => return true,
                        Err(takwire::queue::SendTimeoutError::Timeout(back)) => item = back,
                        Err(takwire::queue::SendTimeoutError::Closed(_)) => return false,
                    }
                }
            }
            Input::Bad(why) => {
                let n = bad.fetch_add(1, Ordering::Relaxed) + 1;
                if n <= 10 {
                    log::warn!("skipping input that is not a CoT event: {why}");
                }
                true
            }
        }
    };
    let result = match source {
        TxSource::None => Ok(0),
        TxSource::Stdin => for_each_event(&mut io::stdin().lock(), max, &mut send),
        TxSource::File(path) => match std::fs::File::open(&path) {
            Ok(mut f) => for_each_event(&mut f, max, &mut send),
            Err(e) => Err(e),
        },
    };
    if let Err(e) = result {
        log::error!("reading input: {e}");
    }
}

/// After the input ended: wait until everything queued has been taken by the writer, or a
/// signal, or the client stopped.
fn wait_for_queue(client: &Client, signals: &Receiver<()>) {
    let sender = client.sender();
    let done = client.done();
    while sender.queued() > 0 {
        select! {
            recv(signals) -> _ => return,
            recv(done) -> _ => return,
            default(Duration::from_millis(10)) => {}
        }
    }
}

/// A channel that receives once per SIGINT or SIGTERM.
fn signal_channel() -> Receiver<()> {
    let (tx, rx) = crossbeam_channel::bounded(4);
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
            Ok(mut signals) => {
                let _ = std::thread::Builder::new()
                    .name("takwire-signals".into())
                    .spawn(move || {
                        for _ in signals.forever() {
                            let _ = tx.try_send(());
                        }
                    });
            }
            Err(e) => log::warn!("cannot install signal handlers: {e}"),
        }
    }
    // Without signal handling the channel must stay open, or it would read as a signal.
    #[cfg(not(unix))]
    std::mem::forget(tx);
    rx
}

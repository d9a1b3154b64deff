//! The pipe mode: stdin (or a file) to the network, the network to stdout.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Args;
use crossbeam_channel::{Receiver, select};
use takwire::queue::SendTimeoutError;
use takwire::{Client, CotTime, Event, EventSender, Outgoing};

use super::filter::Filter;
use super::input::{Input, for_each_event};
use super::output::{Format, Writer};
use super::pace::{Pace, Pacer, retime};
use super::signals::{self, Signal};
use super::stats::{Local, Reporter};
use super::{Common, Exit, configure, connect, positive_seconds};

/// Options of the pipe mode.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Where to connect (COT_URL). Default: COT_URL from the environment or config,
    /// else udp+wo://239.2.3.1:6969 (Mesh SA multicast, send only).
    pub url: Option<String>,

    /// Only receive: do not read stdin.
    #[arg(long, conflicts_with_all = ["tx_only", "tx_file"])]
    pub rx_only: bool,

    /// Only send: do not print received events.
    #[arg(long)]
    pub tx_only: bool,

    /// Send the events in this file instead of stdin.
    #[arg(long, value_name = "PATH")]
    pub tx_file: Option<PathBuf>,

    /// Output format of received events: one per line (proto: TAK protocol stream frames).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Xml)]
    pub format: Format,

    /// Print only received events whose uid matches this glob (`*`, `?`); repeat for any of
    /// several.
    #[arg(long = "uid", value_name = "GLOB")]
    pub uids: Vec<String>,

    /// Print only received events whose type starts with this CoT type prefix, matched
    /// by components (`a-f` takes `a-f-G-U-C`, not `a-fx`; `.` is any one component);
    /// repeat for any of several.
    #[arg(long = "type", value_name = "PREFIX")]
    pub types: Vec<String>,

    /// Send input events at this many events per second.
    #[arg(long, value_name = "N", value_parser = positive_rate, conflicts_with = "realtime")]
    pub rate: Option<f64>,

    /// Send input events with the gaps between their own `time` stamps, as recorded.
    #[arg(long)]
    pub realtime: bool,

    /// Send --tx-file again and again until stopped.
    #[arg(long = "loop", requires = "tx_file")]
    pub repeat: bool,

    /// Re-stamp each input event as it is sent: `time` becomes now, `start` and `stale`
    /// move with it (for replaying old recordings to clients that drop stale events).
    #[arg(long)]
    pub retime: bool,

    #[command(flatten)]
    pub common: Common,
}

fn positive_rate(s: &str) -> Result<f64, String> {
    positive_seconds(s).map_err(|_| format!("{s:?} is not a rate above 0 (events per second)"))
}

/// Where outgoing events come from.
#[derive(Debug, Clone)]
enum TxSource {
    None,
    Stdin,
    File(PathBuf),
}

/// What the input thread needs.
struct InputJob {
    source: TxSource,
    sender: EventSender,
    max: usize,
    pace: Pace,
    repeat: bool,
    retime: bool,
    local: Arc<Local>,
    /// Disconnects when the command is stopping.
    stop: Receiver<()>,
}

pub fn run(args: RunArgs) -> Exit {
    let config = match configure(&args.common, args.url.as_deref()) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let mut writer = Writer::new(args.format);
    if let Err(e) = writer.check() {
        eprintln!("takwire: --format {}: {e}", args.format);
        return Exit::Usage;
    }
    let tx = if args.rx_only {
        TxSource::None
    } else if let Some(f) = &args.tx_file {
        TxSource::File(f.clone())
    } else if !io::stdin().is_terminal() {
        TxSource::Stdin
    } else {
        TxSource::None
    };
    let mut file_size = None;
    if let TxSource::File(f) = &tx {
        match std::fs::metadata(f) {
            Ok(m) => file_size = Some(m.len()),
            Err(e) => {
                eprintln!("takwire: --tx-file {}: {e}", f.display());
                return Exit::Usage;
            }
        }
    }
    let url = config.cot_url.clone();
    let max = config.max_event_size;
    let receives =
        !args.tx_only && url.direction().receives() && url.scheme() != takwire::url::Scheme::Log;
    let client = match connect(config) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let local = Arc::new(Local::default());
    let show_progress = file_size.is_some() && io::stderr().is_terminal();
    let reporter = Reporter::new(file_size);
    let signals = signals::channel();
    let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(0);
    let has_tx = !matches!(tx, TxSource::None);
    let tx_done = if has_tx {
        let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(0);
        let job = InputJob {
            source: tx,
            sender: client.sender(),
            max,
            pace: match (args.rate, args.realtime) {
                (Some(r), _) => Pace::Rate(r),
                (None, true) => Pace::Realtime,
                (None, false) => Pace::Free,
            },
            repeat: args.repeat,
            retime: args.retime,
            local: local.clone(),
            stop: stop_rx,
        };
        let spawned = std::thread::Builder::new()
            .name("takwire-input".into())
            .spawn(move || {
                send_input(&job);
                drop(done_tx);
            });
        if let Err(e) = spawned {
            eprintln!("takwire: cannot start the input thread: {e}");
            return Exit::Failure;
        }
        done_rx
    } else {
        crossbeam_channel::never()
    };
    let ctx = Loop {
        client: &client,
        signals: &signals,
        reporter: &reporter,
        local: &local,
        stats_every: stats_ticks(args.common.stats_every),
        progress: if show_progress {
            crossbeam_channel::tick(Duration::from_millis(250))
        } else {
            crossbeam_channel::never()
        },
    };
    let outcome = if receives || has_tx {
        let filter = Filter::new(&args.uids, &args.types);
        ctx.main_loop(receives, &tx_done, &filter, &mut writer)
    } else {
        // Neither input nor output: send the hello event and leave.
        Outcome::InputDone
    };
    if let Outcome::InputDone = outcome {
        ctx.wait_for_queue();
    }
    drop(stop_tx);
    let stats = client.shutdown();
    reporter.print(&stats, &local);
    match (outcome, client.error()) {
        (_, Some(reason)) => {
            eprintln!("takwire: {reason}");
            Exit::Failure
        }
        (Outcome::Stopped, None) => Exit::Failure,
        _ => Exit::Ok,
    }
}

/// Ticks every `every` seconds, or never.
pub(super) fn stats_ticks(every: Option<f64>) -> Receiver<Instant> {
    every
        .map(|s| crossbeam_channel::tick(Duration::from_secs_f64(s)))
        .unwrap_or_else(crossbeam_channel::never)
}

enum Outcome {
    InputDone,
    Signal,
    Stopped,
    OutputClosed,
}

/// The channels and reporters the main thread waits on.
pub(super) struct Loop<'a> {
    pub client: &'a Client,
    pub signals: &'a Receiver<Signal>,
    pub reporter: &'a Reporter,
    pub local: &'a Local,
    /// Ticks for `--stats-every`.
    pub stats_every: Receiver<Instant>,
    /// Ticks for the progress line.
    pub progress: Receiver<Instant>,
}

impl Loop<'_> {
    /// Prints received events (when `receives`) until the input ends (when there is
    /// input), a signal, the client stopping, or stdout closing; prints stats lines on
    /// the way.
    fn main_loop(
        &self,
        receives: bool,
        tx_done: &Receiver<()>,
        filter: &Filter,
        writer: &mut Writer,
    ) -> Outcome {
        let rx = if receives {
            self.client.receiver()
        } else {
            crossbeam_channel::never()
        };
        let done = self.client.done();
        let stdout = io::stdout();
        let tty = stdout.is_terminal();
        let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
        let mut unencodable = 0u64;
        let mut show = |out: &mut io::BufWriter<io::StdoutLock<'_>>, ev: &Event| -> bool {
            if !filter.is_empty() && !filter.accepts(ev) {
                Local::bump(&self.local.filtered);
                return true;
            }
            match writer.write(out, ev) {
                Ok(()) => true,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    unencodable += 1;
                    takwire_log_sparingly(unencodable, &e);
                    true
                }
                Err(_) => false,
            }
        };
        loop {
            select! {
                recv(rx) -> ev => {
                    let Ok(ev) = ev else { return Outcome::Stopped };
                    if !show(&mut out, &ev) {
                        return Outcome::OutputClosed;
                    }
                    // Under load, print what else is waiting before selecting again (a
                    // select costs more than printing an event), a bounded batch so that
                    // signals and timers still get their turn.
                    if !tty {
                        for ev in rx.try_iter().take(256) {
                            if !show(&mut out, &ev) {
                                return Outcome::OutputClosed;
                            }
                        }
                    }
                    // Flush per event on a terminal; in a pipe, when the queue runs empty.
                    if (tty || rx.is_empty()) && out.flush().is_err() {
                        return Outcome::OutputClosed;
                    }
                }
                recv(tx_done) -> _ => {
                    let _ = out.flush();
                    return Outcome::InputDone;
                }
                recv(self.signals) -> sig => match sig {
                    Ok(Signal::Stats) => self.print_stats(),
                    _ => {
                        let _ = out.flush();
                        return Outcome::Signal;
                    }
                },
                recv(self.stats_every) -> _ => self.print_stats(),
                recv(self.progress) -> _ => {
                    self.reporter.progress(&self.client.stats(), self.local);
                }
                recv(done) -> _ => {
                    // Print what is still queued, then stop.
                    while let Ok(ev) = rx.try_recv() {
                        if !show(&mut out, &ev) {
                            break;
                        }
                    }
                    let _ = out.flush();
                    return Outcome::Stopped;
                }
            }
        }
    }

    pub fn print_stats(&self) {
        self.reporter.print(&self.client.stats(), self.local);
    }

    /// After the input ended: wait until everything queued has been taken by the writer,
    /// or a stop signal, or the client stopped.
    pub fn wait_for_queue(&self) {
        let sender = self.client.sender();
        let done = self.client.done();
        while sender.queued() > 0 {
            select! {
                recv(self.signals) -> sig => match sig {
                    Ok(Signal::Stats) => self.print_stats(),
                    _ => return,
                },
                recv(self.stats_every) -> _ => self.print_stats(),
                recv(done) -> _ => return,
                default(Duration::from_millis(10)) => {}
            }
        }
    }
}

fn takwire_log_sparingly(n: u64, e: &io::Error) {
    if n <= 10 || n.is_power_of_two() {
        log::warn!("cannot write a received event ({n} so far): {e}");
    }
}

/// Reads the input and queues every event, waiting for room rather than dropping: nothing
/// read from a file or stdin is lost.
fn send_input(job: &InputJob) {
    let mut pacer = Pacer::new(job.pace, Instant::now());
    loop {
        pacer.new_pass();
        job.local.bytes_read.store(0, Ordering::Relaxed);
        let mut events = 0u64;
        let mut stopped = false;
        let mut handle = |item: Input| -> bool {
            match item {
                Input::Event(ev, xml) => {
                    events += 1;
                    let mut ev = *ev;
                    if !sleep_until(pacer.due(&ev, Instant::now()), &job.stop) {
                        stopped = true;
                        return false;
                    }
                    // XML is forwarded as read, unless it is re-stamped.
                    let item = match xml {
                        Some(xml) if !job.retime => Outgoing::Raw(xml),
                        _ => {
                            if job.retime {
                                retime(&mut ev, CotTime::now());
                            }
                            Outgoing::Event(ev)
                        }
                    };
                    if !send_waiting(&job.sender, item, || stopping(&job.stop)) {
                        stopped = true;
                        return false;
                    }
                    Local::bump(&job.local.queued);
                    true
                }
                Input::Bad(why) => {
                    let n = Local::bump(&job.local.bad_input);
                    if n <= 10 || n.is_power_of_two() {
                        log::warn!("skipping input that is not a CoT event ({n} so far): {why}");
                    }
                    true
                }
            }
        };
        let progress = |n: u64| job.local.bytes_read.store(n, Ordering::Relaxed);
        let (name, result) = match &job.source {
            TxSource::None => return,
            TxSource::Stdin => (
                "stdin".to_string(),
                for_each_event(io::stdin().lock(), job.max, progress, &mut handle),
            ),
            TxSource::File(path) => (
                path.display().to_string(),
                match std::fs::File::open(path) {
                    Ok(f) => for_each_event(f, job.max, progress, &mut handle),
                    Err(e) => Err(e),
                },
            ),
        };
        if let Err(e) = result {
            log::error!("reading {name}: {e}");
            return;
        }
        if stopped || !job.repeat {
            return;
        }
        if events == 0 {
            log::warn!("--loop: {name} holds no events; not looping");
            return;
        }
    }
}

/// Sleeps until `due`; false if the command is stopping.
fn sleep_until(due: Instant, stop: &Receiver<()>) -> bool {
    let now = Instant::now();
    if due <= now {
        return !stopping(stop);
    }
    select! {
        recv(stop) -> _ => false,
        default(due - now) => true,
    }
}

fn stopping(stop: &Receiver<()>) -> bool {
    matches!(
        stop.try_recv(),
        Err(crossbeam_channel::TryRecvError::Disconnected)
    )
}

/// Queues `event`, waiting for room as long as it takes; false if the client stopped or
/// `stop()` said so first.
pub(super) fn send_waiting(sender: &EventSender, item: Outgoing, stop: impl Fn() -> bool) -> bool {
    let mut item = item;
    loop {
        match sender.send_timeout(item, Duration::from_millis(250)) {
            Ok(()) => return true,
            Err(SendTimeoutError::Timeout(back)) => {
                if stop() {
                    return false;
                }
                item = back;
            }
            Err(SendTimeoutError::Closed(_)) => return false,
        }
    }
}

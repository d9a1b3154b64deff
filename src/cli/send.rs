//! `takwire send`: build a position report from flags and send it, once or periodically.

use std::time::{Duration, Instant};

use clap::Args;
use crossbeam_channel::select;
use takwire::{Event, Outgoing};

use super::run::{Loop, send_waiting, stats_ticks};
use super::signals::{self, Signal};
use super::stats::{Local, Reporter};
use super::{Common, Exit, configure, connect, positive_seconds};

const AFTER_HELP: &str = "\
Examples:
  takwire send tcp://takserver:8087 --uid boat-1 --type a-f-S-X --lat 59.91 --lon 10.75
  takwire send udp+wo://239.2.3.1:6969 --uid hq --lat -33.86 --lon 151.21 --callsign HQ \\
      --remarks 'command post' --every 10          # Mesh SA, every 10 s until Ctrl-C
  takwire send tcp://takserver:8087 --uid probe --lat 1 --lon 2 --every 0.5 --count 20

The event is built fresh for each send: time and start are now, stale is --stale seconds
later (default COT_STALE, 120). Exit codes: 0 sent, 1 runtime failure, 2 bad usage.";

/// Options of `takwire send`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct SendArgs {
    /// Where to send (COT_URL). Default: COT_URL from the environment or config, else
    /// udp+wo://239.2.3.1:6969.
    pub url: Option<String>,

    /// The event's uid.
    #[arg(long)]
    pub uid: String,

    /// The CoT type.
    #[arg(long = "type", value_name = "TYPE", default_value = "a-f-G-U-C")]
    pub cot_type: String,

    /// How the position was obtained (m-g: machine, GPS; h-e: human, estimated).
    #[arg(long, default_value = "m-g")]
    pub how: String,

    /// Latitude in degrees (-90 to 90).
    #[arg(long, allow_negative_numbers = true, value_parser = latitude)]
    pub lat: f64,

    /// Longitude in degrees (-180 to 180).
    #[arg(long, allow_negative_numbers = true, value_parser = longitude)]
    pub lon: f64,

    /// Height above the ellipsoid in metres (default: unknown).
    #[arg(long, allow_negative_numbers = true, value_parser = finite)]
    pub hae: Option<f64>,

    /// Circular error in metres (default: unknown).
    #[arg(long, value_parser = non_negative)]
    pub ce: Option<f64>,

    /// Linear error in metres (default: unknown).
    #[arg(long, value_parser = non_negative)]
    pub le: Option<f64>,

    /// Callsign (`<contact callsign>`).
    #[arg(long)]
    pub callsign: Option<String>,

    /// Remarks (`<remarks>`).
    #[arg(long)]
    pub remarks: Option<String>,

    /// Seconds until the event is stale (default: COT_STALE).
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub stale: Option<f64>,

    /// Send again every this many seconds (until --count or Ctrl-C).
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub every: Option<f64>,

    /// How many times to send (default: once, or without end with --every).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    #[command(flatten)]
    pub common: Common,
}

fn number(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{s:?} is not a number"))
}

fn finite(s: &str) -> Result<f64, String> {
    number(s)
}

fn latitude(s: &str) -> Result<f64, String> {
    number(s).and_then(|v| {
        if (-90.0..=90.0).contains(&v) {
            Ok(v)
        } else {
            Err(format!("latitude {v} is outside -90..90"))
        }
    })
}

fn longitude(s: &str) -> Result<f64, String> {
    number(s).and_then(|v| {
        if (-180.0..=180.0).contains(&v) {
            Ok(v)
        } else {
            Err(format!("longitude {v} is outside -180..180"))
        }
    })
}

fn non_negative(s: &str) -> Result<f64, String> {
    number(s).and_then(|v| {
        if v >= 0.0 {
            Ok(v)
        } else {
            Err(format!("{v} is below 0"))
        }
    })
}

impl SendArgs {
    /// The position report, stamped now.
    fn event(&self, stale: Duration) -> Event {
        let mut b = Event::builder(self.uid.clone(), self.cot_type.clone())
            .how(self.how.clone())
            .point(self.lat, self.lon)
            .stale_after(stale);
        if let Some(hae) = self.hae {
            b = b.hae(hae);
        }
        if self.ce.is_some() || self.le.is_some() {
            let unknown = takwire::cot::UNKNOWN;
            b = b.errors(self.ce.unwrap_or(unknown), self.le.unwrap_or(unknown));
        }
        if let Some(c) = &self.callsign {
            b = b.callsign(c);
        }
        if let Some(r) = &self.remarks {
            b = b.remarks(r);
        }
        b.build()
    }
}

pub fn run(args: SendArgs) -> Exit {
    let config = match configure(&args.common, args.url.as_deref()) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let stale = args
        .stale
        .map(Duration::from_secs_f64)
        .unwrap_or(config.cot_stale);
    let count = args
        .count
        .unwrap_or(if args.every.is_some() { u64::MAX } else { 1 });
    let every = args.every.map(Duration::from_secs_f64);
    let client = match connect(config) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let local = Local::default();
    let reporter = Reporter::new(None);
    let signals = signals::channel();
    let ctx = Loop {
        client: &client,
        signals: &signals,
        reporter: &reporter,
        local: &local,
        stats_every: stats_ticks(args.common.stats_every),
        progress: crossbeam_channel::never(),
    };
    let done = client.done();
    let sender = client.sender();
    let start = Instant::now();
    let mut stopped = false;
    'sending: for k in 0..count {
        // Due on a fixed schedule from the start, so the period does not drift.
        if let (Some(every), true) = (every, k > 0) {
            let due = start + every.saturating_mul(u32::try_from(k).unwrap_or(u32::MAX));
            loop {
                let now = Instant::now();
                if now >= due {
                    break;
                }
                select! {
                    recv(signals) -> sig => match sig {
                        Ok(Signal::Stats) => ctx.print_stats(),
                        _ => {
                            stopped = true;
                            break 'sending;
                        }
                    },
                    recv(ctx.stats_every) -> _ => ctx.print_stats(),
                    recv(done) -> _ => break 'sending,
                    default(due - now) => {}
                }
            }
        }
        let stop = || matches!(signals.try_recv(), Ok(Signal::Stop));
        if !send_waiting(&sender, Outgoing::Event(args.event(stale)), stop) {
            stopped = true;
            break;
        }
        Local::bump(&local.queued);
    }
    if !stopped {
        ctx.wait_for_queue();
    }
    let stats = client.shutdown();
    reporter.print(&stats, &local);
    match client.error() {
        Some(reason) => {
            eprintln!("takwire: {reason}");
            Exit::Failure
        }
        None => Exit::Ok,
    }
}

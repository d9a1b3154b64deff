//! Command-line parsing, configuration and exit codes for `takwire`.
//!
//! Exit codes scripts can rely on:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done: input sent, or stopped by a signal |
//! | 1 | a runtime failure: the connection failed or the client stopped on an error |
//! | 2 | a bad command line or configuration (nothing was sent) |
//!
//! Each subcommand is a variant of [`Command`] with its own module; adding one is a
//! variant, a module with a `run(args) -> Exit` and a match arm in [`main`].

#[cfg(feature = "completions")]
mod completions;
#[cfg(feature = "enroll")]
mod dp;
mod filter;
mod input;
mod output;
mod pace;
mod run;
mod send;
mod signals;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use takwire::{Config, ConfigBuilder};

/// Exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// A runtime failure.
    Failure = 1,
    /// Bad usage or configuration.
    Usage = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

const AFTER_HELP: &str = "\
COT_URL schemes:
  tcp://host:port          TCP (+wo: send only, drain inbound; +ro: receive only)
  tls://host:port          TLS, mutual TLS with --tls-cert (ssl:// is the same; +wo, +ro)
  udp://host:port          UDP unicast, or multicast for a group address (+wo, +ro)
  udp+broadcast://net:port UDP broadcast
  log://stdout, log://stderr  print events
  marti://host:port        TAK Server Marti REST API over HTTPS (marti+http:// for HTTP)
  ws://, wss://host:port   TAK protocol over WebSocket (/takproto/1)
  tak://...                enroll with a TAK Server deep link, then connect
                           (takwire dp tak://...: enroll and write data packages only)

Every PyTAK key can also be set in the environment or in the INI file (-c), for example
COT_URL, TAK_PROTO, PYTAK_TLS_CLIENT_CERT, MAX_OUT_QUEUE. Flags beat the environment,
which beats the INI file.

Input (stdin or --tx-file) may mix CoT XML events, TAK protocol stream frames and JSON
objects (one per line, the schema of --format json).

Examples:
  takwire log://stdout                          print the hello event and exit
  takwire --rx-only udp://239.2.3.1:6969        print Mesh SA traffic
  takwire --rx-only --format json --type a-f udp://239.2.3.1:6969   friendly units as JSON
  cat events.xml | takwire tcp://takserver:8087 send every event in a file
  takwire --tx-file session.xml --realtime --retime tcp://takserver:8087   replay a recording
  takwire --rx-only tcp://a:8087 | takwire --tx-only tcp://b:8087   relay
  takwire send tcp://takserver:8087 --uid boat-1 --lat 59.91 --lon 10.75 --every 5
  takwire -p alice.zip                          connect as a TAK data package says

Stats (sent, received, dropped, malformed, reconnects, rates) go to stderr on exit, on
SIGUSR1 and every --stats-every seconds.

Exit codes: 0 done, 1 runtime failure, 2 bad command line or configuration.";

/// takwire: send and receive Cursor-on-Target with TAK servers and devices.
///
/// Without a subcommand: events read from stdin (or --tx-file) are sent to URL; events
/// received are written to stdout, one per line.
#[derive(Debug, Parser)]
#[command(
    name = "takwire",
    version,
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// A subcommand; without one, takwire runs the pipe mode.
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: run::RunArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a position report from flags and send it, once or periodically.
    Send(Box<send::SendArgs>),
    /// Enroll with a tak:// link and write PKCS#12/PEM files plus ATAK and iTAK
    /// connection data packages, without connecting for CoT.
    #[cfg(feature = "enroll")]
    Dp(Box<dp::DpArgs>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[cfg(feature = "completions")]
    Completions(completions::CompletionsArgs),
}

/// Options shared by every mode that connects.
#[derive(Debug, Args, Clone, Default)]
pub struct Common {
    /// INI configuration file (default: ./config.ini when it exists).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// INI section to read (default: takwire, else pytak).
    #[arg(long, value_name = "NAME")]
    pub section: Option<String>,

    /// TAK data package (.zip, ATAK or iTAK): the server, client certificate and CA to use
    /// (PREF_PACKAGE); no URL is needed then.
    #[arg(short = 'p', long = "pref-package", value_name = "ZIP")]
    pub pref_package: Option<PathBuf>,

    /// Verbose debug logging (DEBUG=1).
    #[arg(short = 'd', long)]
    pub debug: bool,

    /// TAK protocol for output: 0 = XML, 1 = protobuf (TAK_PROTO).
    #[arg(long, value_name = "0|1")]
    pub tak_proto: Option<String>,

    /// Do not send the hello event on connect (PYTAK_NO_HELLO).
    #[arg(long)]
    pub no_hello: bool,

    /// Client certificate: PEM or PKCS#12 (PYTAK_TLS_CLIENT_CERT).
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// Client private key, PEM (PYTAK_TLS_CLIENT_KEY).
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,

    /// CA certificates to trust, PEM or PKCS#12 (PYTAK_TLS_CLIENT_CAFILE).
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,

    /// Password of the key or PKCS#12 file (PYTAK_TLS_CLIENT_PASSWORD).
    #[arg(long, value_name = "PASSWORD")]
    pub tls_pass: Option<String>,

    /// Do not verify the server certificate or name (PYTAK_TLS_DONT_VERIFY and
    /// PYTAK_TLS_DONT_CHECK_HOSTNAME).
    #[arg(long)]
    pub no_verify: bool,

    /// Treat unknown PYTAK_*/TAKWIRE_* keys in the INI file as errors.
    #[arg(long)]
    pub strict_config: bool,

    /// Print the stats line to stderr every S seconds (also on SIGUSR1 and at exit).
    #[arg(long, value_name = "S", value_parser = positive_seconds)]
    pub stats_every: Option<f64>,
}

/// Entry point.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            }
            .into();
        }
    };
    match cli.command {
        Some(Command::Send(args)) => send::run(*args),
        #[cfg(feature = "completions")]
        Some(Command::Completions(args)) => completions::run(args),
        #[cfg(feature = "enroll")]
        Some(Command::Dp(args)) => dp::run(*args),
        None => run::run(cli.run),
    }
    .into()
}

/// A number of seconds that is finite and above zero.
pub(crate) fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e9 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of seconds above 0 (for example 0.5 or 10)"
        )),
    }
}

/// Builds the configuration: INI section, then environment, then flags (`url` is the
/// positional COT_URL, if any).
pub fn build_config(common: &Common, url: Option<&str>) -> takwire::Result<Config> {
    let mut b = ConfigBuilder::new().strict(common.strict_config);
    b = read_ini(b, common)?;
    b = b.env();
    let flag = |b: ConfigBuilder, key: &str, v: Option<String>| match v {
        Some(v) => b.set(key, v),
        None => b,
    };
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    b = flag(b, "COT_URL", url.map(str::to_string));
    b = flag(b, "PREF_PACKAGE", path(&common.pref_package));
    b = flag(b, "DEBUG", common.debug.then(|| "1".to_string()));
    b = flag(b, "TAK_PROTO", common.tak_proto.clone());
    b = flag(
        b,
        "PYTAK_NO_HELLO",
        common.no_hello.then(|| "1".to_string()),
    );
    b = flag(b, "PYTAK_TLS_CLIENT_CERT", path(&common.tls_cert));
    b = flag(b, "PYTAK_TLS_CLIENT_KEY", path(&common.tls_key));
    b = flag(b, "PYTAK_TLS_CLIENT_CAFILE", path(&common.tls_ca));
    b = flag(b, "PYTAK_TLS_CLIENT_PASSWORD", common.tls_pass.clone());
    if common.no_verify {
        b = b
            .set("PYTAK_TLS_DONT_VERIFY", "1")
            .set("PYTAK_TLS_DONT_CHECK_HOSTNAME", "1");
    }
    b.build()
}

/// Reads the INI file: the one given with -c (which must exist), else ./config.ini if
/// present. The section is --section, else `takwire`, else `pytak`.
fn read_ini(b: ConfigBuilder, common: &Common) -> takwire::Result<ConfigBuilder> {
    let (path, explicit) = match &common.config {
        Some(p) => (p.clone(), true),
        None => (PathBuf::from("config.ini"), false),
    };
    if !explicit && !path.exists() {
        return Ok(b);
    }
    if let Some(section) = &common.section {
        return b.ini_file(&path, section);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| takwire::Error::ConfigFile {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let has = |name: &str| {
        text.lines()
            .any(|l| l.trim().eq_ignore_ascii_case(&format!("[{name}]")))
    };
    let section = ["takwire", "pytak"].into_iter().find(|s| has(s));
    match section {
        Some(s) => b.ini_file(&path, s),
        // An explicit file without either section: say which sections it has.
        None if explicit => b.ini_file(&path, "takwire"),
        None => Ok(b),
    }
}

/// Sets up logging to stderr: info by default, debug with DEBUG=1 / -d; RUST_LOG wins.
pub fn init_logging(debug: bool) {
    let level = if debug {
        log::LevelFilter::Debug
    } else {
        log::LevelFilter::Info
    };
    let mut b = env_logger::Builder::new();
    // env_logger's own layout, `[2026-01-01T00:00:00.000Z INFO  target] message`, with the
    // timestamp written as CoT writes times (env_logger's would bring a date-time crate
    // into the smallest build).
    b.filter_level(level).format(move |buf, record| {
        use std::io::Write as _;
        let level = record.level();
        write!(buf, "[{} ", takwire::cot::CotTime::now())?;
        #[cfg(feature = "color")]
        {
            let style = buf.default_level_style(level);
            write!(buf, "{style}{level:<5}{style:#}")?;
        }
        #[cfg(not(feature = "color"))]
        write!(buf, "{level:<5}")?;
        if debug {
            write!(buf, " {}", record.target())?;
        }
        writeln!(buf, "] {}", record.args())
    });
    if let Ok(spec) = std::env::var("RUST_LOG") {
        b.parse_filters(&spec);
    }
    let _ = b.try_init();
}

/// Connects a client, mapping errors to exit codes: configuration problems are usage
/// errors (2), everything else a runtime failure (1).
pub fn connect(config: Config) -> Result<takwire::Client, Exit> {
    takwire::Client::connect(config).map_err(|e| {
        eprintln!("takwire: {e}");
        if matches!(
            e,
            takwire::Error::InvalidValue { .. } | takwire::Error::FeatureDisabled { .. }
        ) {
            Exit::Usage
        } else {
            Exit::Failure
        }
    })
}

/// Builds the configuration and sets up logging, or says what is wrong (exit 2).
pub fn configure(common: &Common, url: Option<&str>) -> Result<Config, Exit> {
    match build_config(common, url) {
        Ok(c) => {
            init_logging(c.debug);
            Ok(c)
        }
        Err(e) => {
            eprintln!("takwire: {e}");
            Err(Exit::Usage)
        }
    }
}

//! Command-line parsing, configuration and exit codes for `takwire`.
//!
//! Exit codes scripts can rely on:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done: input sent, or stopped by a signal |
//! | 1 | a runtime failure: the connection failed or the client stopped on an error |
//! | 2 | a bad command line or configuration (nothing was sent) |

mod input;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser};
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

Every PyTAK key can also be set in the environment or in the INI file (-c), for example
COT_URL, TAK_PROTO, PYTAK_TLS_CLIENT_CERT, MAX_OUT_QUEUE. Flags beat the environment,
which beats the INI file.

Examples:
  takwire log://stdout                          print the hello event and exit
  takwire --rx-only udp://239.2.3.1:6969        print Mesh SA traffic
  cat events.xml | takwire tcp://takserver:8087 send every event in a file
  takwire --rx-only tcp://a:8087 | takwire --tx-only tcp://b:8087   relay

Exit codes: 0 done, 1 runtime failure, 2 bad command line or configuration.";

/// takwire: send and receive Cursor-on-Target with TAK servers and devices.
///
/// Events read from stdin (or --tx-file) are sent to URL; events received are written to
/// stdout, one per line.
#[derive(Debug, Parser)]
#[command(name = "takwire", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub run: RunArgs,
}

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

    #[command(flatten)]
    pub common: Common,
}

/// Options shared by every mode.
#[derive(Debug, Args, Clone, Default)]
pub struct Common {
    /// INI configuration file (default: ./config.ini when it exists).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// INI section to read (default: takwire, else pytak).
    #[arg(long, value_name = "NAME")]
    pub section: Option<String>,

    /// TAK data package (.zip) with connection settings (PREF_PACKAGE).
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
    run::run(cli.run).into()
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
    b.filter_level(level)
        .format_target(debug)
        .format_timestamp_millis();
    if let Ok(spec) = std::env::var("RUST_LOG") {
        b.parse_filters(&spec);
    }
    let _ = b.try_init();
}

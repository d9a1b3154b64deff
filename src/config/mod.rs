//! Configuration: PyTAK's keys, read from code, the environment and an INI section.
//!
//! Precedence, highest first: values set in code ([`ConfigBuilder::set`], the CLI's flags),
//! the environment, the INI section, a data package (`PREF_PACKAGE`), then the defaults of
//! PyTAK's configuration reference. An empty value counts as unset.
//!
//! ```
//! use takwire::Config;
//! let ini = "[mytool]\nCOT_URL = tcp://127.0.0.1:8087\nMAX_IN_QUEUE = 50\n";
//! let config = Config::builder()
//!     .ini_str(ini, "mytool").unwrap()
//!     .env_vars([("MAX_IN_QUEUE", "70")])
//!     .build()
//!     .unwrap();
//! assert_eq!(config.cot_url.to_string(), "tcp://127.0.0.1:8087");
//! assert_eq!(config.max_in_queue, 70); // the environment wins
//! assert_eq!(config.max_out_queue, 100); // PyTAK's default
//! ```

pub mod keys;
pub mod value;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::url::{CotUrl, TakUrl};
use value::{parse_bool, parse_f64, parse_seconds, parse_uint};

/// Where a configuration value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// PyTAK's default.
    Default,
    /// A data package (`PREF_PACKAGE`).
    Package,
    /// The INI section.
    Ini,
    /// The environment.
    Env,
    /// Set in code or by a command-line flag.
    Code,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Default => "default",
            Source::Package => "data package",
            Source::Ini => "INI",
            Source::Env => "environment",
            Source::Code => "code",
        })
    }
}

/// The TAK protocol version used for output (`TAK_PROTO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TakProto {
    /// 0: CoT XML ("TAK protocol v0").
    #[default]
    Xml,
    /// 1: TAK protocol v1, protobuf.
    Protobuf,
}

/// The `PYTAK_TLS_*` keys.
#[derive(Clone, Default, PartialEq)]
pub struct TlsSettings {
    /// `PYTAK_TLS_CLIENT_CERT`: PEM certificate (maybe with key) or PKCS#12 file.
    pub client_cert: Option<PathBuf>,
    /// `PYTAK_TLS_CLIENT_KEY`: PEM private key, if not in `client_cert`.
    pub client_key: Option<PathBuf>,
    /// `PYTAK_TLS_CLIENT_CAFILE`: trust anchors (PEM or PKCS#12).
    pub client_cafile: Option<PathBuf>,
    /// `PYTAK_TLS_CLIENT_PASSWORD`: password of an encrypted key or PKCS#12 file.
    pub client_password: Option<String>,
    /// `PYTAK_TLS_DONT_VERIFY`: do not verify the server certificate.
    pub dont_verify: bool,
    /// `PYTAK_TLS_DONT_CHECK_HOSTNAME`: do not check the server name.
    pub dont_check_hostname: bool,
    /// `PYTAK_TLS_SERVER_EXPECTED_HOSTNAME`: the name to check the server certificate against.
    pub server_expected_hostname: Option<String>,
    /// `PYTAK_TLS_CLIENT_CIPHERS`: OpenSSL-style colon list; `ALL` by default.
    pub client_ciphers: String,
    /// `PYTAK_TLS_CERT_ENROLLMENT_USERNAME`.
    pub enrollment_username: Option<String>,
    /// `PYTAK_TLS_CERT_ENROLLMENT_PASSWORD`.
    pub enrollment_password: Option<String>,
    /// `PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE`.
    pub enrollment_passphrase: Option<String>,
    /// The client certificate of a data package (`PREF_PACKAGE`), held in memory; used
    /// when `client_cert` is unset. Opened with `client_password`.
    pub client_cert_data: Option<MemoryFile>,
    /// The truststore of a data package, held in memory; used when `client_cafile` is
    /// unset. Opened with its own password (the package's `caPassword`), else
    /// `client_password`.
    pub client_cafile_data: Option<MemoryFile>,
}

/// A certificate or truststore file held in memory, such as one taken from a data package:
/// it is never written to disk.
#[derive(Clone, PartialEq)]
pub struct MemoryFile {
    /// Where it came from, for messages (for example `pkg.zip!certs/client.p12`).
    pub name: String,
    /// The file's bytes.
    pub data: Arc<[u8]>,
    /// The password that came with it, if any (a data package's `caPassword`).
    pub password: Option<String>,
}

impl fmt::Debug for MemoryFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryFile")
            .field("name", &self.name)
            .field("bytes", &self.data.len())
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hide = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("TlsSettings")
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .field("client_cafile", &self.client_cafile)
            .field("client_password", &hide(&self.client_password))
            .field("dont_verify", &self.dont_verify)
            .field("dont_check_hostname", &self.dont_check_hostname)
            .field("server_expected_hostname", &self.server_expected_hostname)
            .field("client_ciphers", &self.client_ciphers)
            .field("enrollment_username", &self.enrollment_username)
            .field("enrollment_password", &hide(&self.enrollment_password))
            .field("enrollment_passphrase", &hide(&self.enrollment_passphrase))
            .field("client_cert_data", &self.client_cert_data)
            .field("client_cafile_data", &self.client_cafile_data)
            .finish()
    }
}

/// Reconnect supervision of stream transports (`PYTAK_RECONNECT*`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectSettings {
    /// `PYTAK_RECONNECT`: reconnect at all.
    pub enabled: bool,
    /// `PYTAK_RECONNECT_INITIAL`: the first delay.
    pub initial: Duration,
    /// `PYTAK_RECONNECT_FACTOR`: growth of the delay after each failure (at least 1).
    pub factor: f64,
    /// `PYTAK_RECONNECT_MAX`: the longest delay.
    pub max: Duration,
    /// `PYTAK_RECONNECT_JITTER`: each delay is spread by ± this fraction, in [0, 1).
    pub jitter: f64,
    /// `PYTAK_RECONNECT_RESET`: a link up this long resets the delay to `initial`.
    pub reset: Duration,
}

impl Default for ReconnectSettings {
    fn default() -> Self {
        ReconnectSettings {
            enabled: true,
            initial: Duration::from_secs(5),
            factor: 2.0,
            max: Duration::from_secs(120),
            jitter: 0.2,
            reset: Duration::from_secs(300),
        }
    }
}

/// takwire's configuration: every key of PyTAK's configuration reference, typed.
///
/// [`Config::default()`] holds PyTAK's defaults; fields are public so programs that
/// configure in code can set them directly, or use [`Config::builder`] to apply
/// PyTAK-style key/value settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `COT_URL`: where CoT goes. When `COT_URL` (or `TAK_URL`) is a `tak://` link, this is
    /// the endpoint that link resolves to and [`Config::tak_url`] holds the link.
    pub cot_url: CotUrl,
    /// `TAK_URL` (or a `tak://` `COT_URL`): enroll before connecting.
    pub tak_url: Option<TakUrl>,
    /// `TAK_PROTO`.
    pub tak_proto: TakProto,
    /// `DEBUG`.
    pub debug: bool,
    /// `FTS_COMPAT`: sleep a random time between transmissions.
    pub fts_compat: bool,
    /// `PYTAK_SLEEP`: sleep this long between transmissions (zero: no sleep).
    pub sleep: Duration,
    /// `PYTAK_NO_HELLO`: do not send the hello event on connect.
    pub no_hello: bool,
    /// `COT_STALE`: stale time of events takwire builds.
    pub cot_stale: Duration,
    /// `COT_HOST_ID`: this client's id, as configured. See [`Config::host_id`].
    pub cot_host_id: Option<String>,
    /// The host id in effect (`COT_HOST_ID` or the default), computed once.
    host_id: String,
    /// `MAX_OUT_QUEUE`: outgoing events buffered before the oldest is dropped.
    pub max_out_queue: usize,
    /// `MAX_IN_QUEUE`: incoming events buffered before the oldest is dropped.
    pub max_in_queue: usize,
    /// `PYTAK_MULTICAST_LOCAL_ADDR`: interface address for multicast.
    pub multicast_local_addr: IpAddr,
    /// `PYTAK_MULTICAST_TTL`.
    pub multicast_ttl: u32,
    /// `PREF_PACKAGE`: a TAK data package to take connection settings from.
    pub pref_package: Option<PathBuf>,
    /// `MARTI_COT_UID`: uid for Marti REST (the host id when unset).
    pub marti_cot_uid: Option<String>,
    /// `MARTI_POLL_INTERVAL`.
    pub marti_poll_interval: Duration,
    /// `MARTI_POLL_SECONDS_AGO`.
    pub marti_poll_seconds_ago: Duration,
    /// The `PYTAK_TLS_*` keys.
    pub tls: TlsSettings,
    /// The `PYTAK_RECONNECT*` keys.
    pub reconnect: ReconnectSettings,
    /// `TAKWIRE_MAX_EVENT_SIZE`: the largest event or frame accepted from a peer, in bytes.
    pub max_event_size: usize,
    /// `TAKWIRE_CERT_CACHE_DIR`: where enrolled certificates are cached
    /// (default `~/.pytak/certs`, shared with PyTAK).
    pub cert_cache_dir: Option<PathBuf>,
    /// `TAKWIRE_ENROLLMENT_PORT`: the TAK Server's enrollment port (8446).
    pub enrollment_port: u16,
}

impl Default for Config {
    fn default() -> Self {
        // The defaults are the constants of the key table; a test parses them, so this
        // `expect` cannot fire on any input.
        #[allow(clippy::expect_used)]
        Config::from_settings(&Settings::default()).expect("built-in defaults are valid")
    }
}

/// The values behind a [`Config`], each with its [`Source`].
#[derive(Debug, Clone, Default)]
pub struct Settings {
    values: BTreeMap<String, (String, Source)>,
}

impl Settings {
    /// The value of `key` (canonical upper-case name) and where it came from.
    pub fn get(&self, key: &str) -> Option<(&str, Source)> {
        self.values.get(key).map(|(v, s)| (v.as_str(), *s))
    }

    /// Iterates over `(key, value, source)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, Source)> {
        self.values
            .iter()
            .map(|(k, (v, s))| (k.as_str(), v.as_str(), *s))
    }

    /// Sets `key` from `source` unless a higher-precedence source already set it.
    /// Empty values are ignored (they count as unset).
    fn offer(&mut self, key: &str, value: &str, source: Source) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let key = keys::find(key).map_or_else(|| key.to_ascii_uppercase(), |k| k.name.to_string());
        match self.values.get(&key) {
            Some((_, existing)) if *existing > source => {}
            _ => {
                self.values.insert(key, (value.to_string(), source));
            }
        }
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(v, _)| v.as_str())
    }

    /// The value of `key`, or its default from the key table.
    fn or_default(&self, key: &'static str) -> &str {
        self.text(key)
            .or_else(|| keys::find(key).and_then(|k| k.default))
            .unwrap_or("")
    }
}

/// Loads a [`Config`] from layers of settings. See the [module docs](self) for precedence.
#[derive(Debug, Default)]
pub struct ConfigBuilder {
    settings: Settings,
    strict: bool,
    problems: Vec<Error>,
}

impl ConfigBuilder {
    /// A builder with no settings: [`build`](Self::build) gives PyTAK's defaults.
    pub fn new() -> Self {
        ConfigBuilder::default()
    }

    /// Reads section `section` of an INI file. Keys are case-insensitive, as in PyTAK's
    /// ConfigParser; `[DEFAULT]` values apply too. A missing file or section is an error.
    pub fn ini_file(self, path: impl AsRef<Path>, section: &str) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::ConfigFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        self.ini_text(&text, section, path)
    }

    /// Reads section `section` of INI text (for tests and embedded configuration).
    pub fn ini_str(self, text: &str, section: &str) -> Result<Self> {
        self.ini_text(text, section, Path::new("<string>"))
    }

    fn ini_text(mut self, text: &str, section: &str, path: &Path) -> Result<Self> {
        let ini = ini::Ini::load_from_str_opt(
            text,
            ini::ParseOption {
                enabled_quote: false,
                enabled_escape: false,
                enabled_indented_mutiline_value: true,
                enabled_preserve_key_leading_whitespace: false,
            },
        )
        .map_err(|e| Error::ConfigFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let wanted = ini
            .sections()
            .flatten()
            .find(|s| *s == section)
            .or_else(|| {
                ini.sections()
                    .flatten()
                    .find(|s| s.eq_ignore_ascii_case(section))
            })
            .map(str::to_string);
        let Some(name) = wanted else {
            let present: Vec<&str> = ini.sections().flatten().collect();
            return Err(Error::MissingSection {
                path: path.to_path_buf(),
                section: section.to_string(),
                present: if present.is_empty() {
                    "none".to_string()
                } else {
                    present.join(", ")
                },
            });
        };
        // ConfigParser's DEFAULT section applies to every section, below it.
        let defaults: Vec<(String, String)> = ini
            .section(Some("DEFAULT"))
            .map(|p| {
                p.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let own: Vec<(String, String)> = ini
            .section(Some(name.as_str()))
            .map(|p| {
                p.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let mut seen = BTreeMap::new();
        for (k, v) in defaults.into_iter().chain(own) {
            seen.insert(k.to_ascii_uppercase(), v);
        }
        for (k, v) in seen {
            self.check_known(&k, Source::Ini);
            self.settings.offer(&k, &v, Source::Ini);
        }
        Ok(self)
    }

    /// Reads the process environment. Variables that are not takwire keys are ignored.
    pub fn env(self) -> Self {
        let vars: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        self.env_vars(vars)
    }

    /// Reads environment-style variables from an iterator (for tests and embedding).
    pub fn env_vars<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        for (k, v) in vars {
            let k = k.as_ref();
            // The environment is shared with everything else on the machine: only exact
            // key names (upper case, as PyTAK reads them) count.
            if keys::find(k).is_some_and(|spec| spec.name == k) {
                self.settings.offer(k, v.as_ref(), Source::Env);
            }
        }
        self
    }

    /// Sets a key in code (highest precedence). An unknown key is an error at `build`.
    pub fn set(mut self, key: &str, value: impl AsRef<str>) -> Self {
        if keys::find(key).is_none() {
            self.problems.push(Error::UnknownKey {
                key: key.to_string(),
                suggestion: keys::closest(key).map(str::to_string),
            });
        }
        self.settings.offer(key, value.as_ref(), Source::Code);
        self
    }

    /// Adds settings from a data package (below INI and environment).
    pub fn package_values<I, K, V>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        for (k, v) in values {
            self.settings.offer(k.as_ref(), v.as_ref(), Source::Package);
        }
        self
    }

    /// When on, an INI key that looks like one of ours (`PYTAK_*`, `TAKWIRE_*`, `COT_*`,
    /// `MARTI_*`, `TAK_*`) but is not known is an error instead of a warning.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The settings gathered so far, with their sources.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The value a key currently has, before defaults (for layering decisions such as
    /// reading `PREF_PACKAGE` before the rest).
    pub fn value(&self, key: &str) -> Option<&str> {
        self.settings.text(key)
    }

    fn check_known(&mut self, key: &str, source: Source) {
        if keys::find(key).is_some() {
            return;
        }
        let ours = keys::OUR_PREFIXES.iter().any(|p| key.starts_with(p));
        if !ours {
            return;
        }
        if self.strict {
            self.problems.push(Error::UnknownKey {
                key: key.to_string(),
                suggestion: keys::closest(key).map(str::to_string),
            });
        } else if log::log_enabled!(log::Level::Warn) {
            let hint = keys::closest(key)
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            log::warn!("ignoring unknown configuration key {key} from {source}{hint}");
        }
    }

    /// Validates every value and builds the [`Config`]. The first problem found is returned,
    /// naming the key, the value and what is accepted.
    ///
    /// When `PREF_PACKAGE` is set (feature `package`), the data package is read and checked
    /// here: its `COT_URL` and `PYTAK_TLS_CLIENT_PASSWORD` go below the INI file, and its
    /// certificates are held in memory for whichever of `PYTAK_TLS_CLIENT_CERT` and
    /// `PYTAK_TLS_CLIENT_CAFILE` is not set (see the `package` module). What came from the
    /// package is logged at debug level.
    pub fn build(mut self) -> Result<Config> {
        if !self.problems.is_empty() {
            return Err(self.problems.remove(0));
        }
        let package = self.read_package()?;
        #[allow(unused_mut)]
        let mut config = Config::from_settings(&self.settings)?;
        for (k, v, s) in self.settings.iter() {
            if s != Source::Default {
                let shown = if is_secret(k) { "<redacted>" } else { v };
                log::debug!("config {k} = {shown} (from {s})");
            }
        }
        #[cfg(feature = "package")]
        if let Some(package) = package {
            package.apply_certificates(&mut config);
        }
        #[cfg(not(feature = "package"))]
        let () = package;
        Ok(config)
    }

    /// Reads the data package `PREF_PACKAGE` names, if any, and adds its values below the
    /// INI file and the environment.
    #[cfg(feature = "package")]
    fn read_package(&mut self) -> Result<Option<crate::package::DataPackage>> {
        let Some(path) = self.settings.text("PREF_PACKAGE").map(PathBuf::from) else {
            return Ok(None);
        };
        let package = crate::package::DataPackage::open(&path)?;
        for (k, v) in package.config_values() {
            self.settings.offer(k, &v, Source::Package);
        }
        Ok(Some(package))
    }

    #[cfg(not(feature = "package"))]
    fn read_package(&mut self) -> Result<()> {
        if self.settings.text("PREF_PACKAGE").is_some() {
            return Err(Error::FeatureDisabled {
                what: "PREF_PACKAGE (data packages)".to_string(),
                feature: "package",
            });
        }
        Ok(())
    }
}

fn is_secret(key: &str) -> bool {
    key.contains("PASSWORD") || key.contains("PASSPHRASE") || key == "TAK_URL"
}

impl Config {
    /// A builder that reads PyTAK-style key/value settings.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::new()
    }

    /// The configuration from the process environment over PyTAK's defaults.
    pub fn from_env() -> Result<Config> {
        ConfigBuilder::new().env().build()
    }

    /// The configuration from an INI section, overridden by the environment.
    pub fn from_ini_and_env(path: impl AsRef<Path>, section: &str) -> Result<Config> {
        ConfigBuilder::new().ini_file(path, section)?.env().build()
    }

    /// The uid used for Marti REST: `MARTI_COT_UID`, else the host id.
    pub fn marti_uid(&self) -> &str {
        self.marti_cot_uid.as_deref().unwrap_or(&self.host_id)
    }

    /// This client's id: `COT_HOST_ID`, else `takwire@HOSTNAME` (PyTAK's `APP@HOSTNAME`).
    pub fn host_id(&self) -> &str {
        &self.host_id
    }

    /// The uid of the hello event: `COT_HOST_ID` when it is set (as PyTAK-based tools send
    /// it), else `takPing` (as the `pytak` command sends it).
    pub fn hello_uid(&self) -> &str {
        self.cot_host_id.as_deref().unwrap_or("takPing")
    }

    /// Builds a config from settings, applying defaults and validating every key.
    pub fn from_settings(s: &Settings) -> Result<Config> {
        const DAY: f64 = 86_400.0;
        let b = |k: &'static str| parse_bool(k, s.or_default(k));
        let secs = |k: &'static str, max: f64| parse_seconds(k, s.or_default(k), max);
        let opt = |k: &str| s.text(k).map(str::to_string);
        let path = |k: &str| s.text(k).map(PathBuf::from);

        // COT_URL / TAK_URL: a tak:// link resolves to its endpoint; enrollment runs later.
        let mut tak_url = match s.text("TAK_URL") {
            Some(t) => Some(TakUrl::parse(t).map_err(|e| name_key("TAK_URL", e))?),
            None => None,
        };
        let cot_text = s.or_default("COT_URL");
        let cot_url = if cot_text.trim().to_ascii_lowercase().starts_with("tak://") {
            let t = TakUrl::parse(cot_text).map_err(|e| name_key("COT_URL", e))?;
            let url = t.resolved_cot_url();
            tak_url.get_or_insert(t);
            url
        } else if let (Some(t), None) = (&tak_url, s.text("COT_URL")) {
            // TAK_URL alone decides the endpoint.
            t.resolved_cot_url()
        } else {
            CotUrl::parse(cot_text).map_err(|e| name_key("COT_URL", e))?
        };

        let tak_proto = match s.or_default("TAK_PROTO").trim() {
            "0" => TakProto::Xml,
            "1" => TakProto::Protobuf,
            other => {
                return Err(Error::invalid(
                    "TAK_PROTO",
                    other,
                    "0 (XML) or 1 (protobuf)",
                ));
            }
        };
        let queue = |k: &'static str| -> Result<usize> {
            Ok(parse_uint(k, s.or_default(k), 1, 10_000_000)? as usize)
        };
        let multicast_local_addr = {
            let v = s.or_default("PYTAK_MULTICAST_LOCAL_ADDR");
            v.trim().parse::<IpAddr>().map_err(|_| {
                Error::invalid("PYTAK_MULTICAST_LOCAL_ADDR", v, "an IPv4 or IPv6 address")
            })?
        };
        let factor = parse_f64(
            "PYTAK_RECONNECT_FACTOR",
            s.or_default("PYTAK_RECONNECT_FACTOR"),
            1.0,
            100.0,
            false,
        )?;
        let reconnect = ReconnectSettings {
            enabled: b("PYTAK_RECONNECT")?,
            initial: secs("PYTAK_RECONNECT_INITIAL", DAY)?,
            factor,
            max: secs("PYTAK_RECONNECT_MAX", DAY)?,
            jitter: parse_f64(
                "PYTAK_RECONNECT_JITTER",
                s.or_default("PYTAK_RECONNECT_JITTER"),
                0.0,
                1.0,
                true,
            )?,
            reset: secs("PYTAK_RECONNECT_RESET", DAY * 365.0)?,
        };
        if reconnect.initial.is_zero() {
            return Err(Error::invalid(
                "PYTAK_RECONNECT_INITIAL",
                s.or_default("PYTAK_RECONNECT_INITIAL"),
                "a number of seconds greater than zero",
            ));
        }
        if reconnect.max < reconnect.initial {
            return Err(Error::invalid(
                "PYTAK_RECONNECT_MAX",
                s.or_default("PYTAK_RECONNECT_MAX"),
                format!(
                    "at least PYTAK_RECONNECT_INITIAL ({} s)",
                    reconnect.initial.as_secs_f64()
                ),
            ));
        }
        let poll_interval = secs("MARTI_POLL_INTERVAL", DAY)?;
        if poll_interval.is_zero() {
            return Err(Error::invalid(
                "MARTI_POLL_INTERVAL",
                s.or_default("MARTI_POLL_INTERVAL"),
                "a number of seconds greater than zero",
            ));
        }

        Ok(Config {
            cot_url,
            tak_url,
            tak_proto,
            debug: b("DEBUG")?,
            fts_compat: b("FTS_COMPAT")?,
            sleep: secs("PYTAK_SLEEP", DAY)?,
            no_hello: b("PYTAK_NO_HELLO")?,
            cot_stale: secs("COT_STALE", DAY * 365.0)?,
            host_id: opt("COT_HOST_ID").unwrap_or_else(default_host_id),
            cot_host_id: opt("COT_HOST_ID"),
            max_out_queue: queue("MAX_OUT_QUEUE")?,
            max_in_queue: queue("MAX_IN_QUEUE")?,
            multicast_local_addr,
            multicast_ttl: parse_uint(
                "PYTAK_MULTICAST_TTL",
                s.or_default("PYTAK_MULTICAST_TTL"),
                0,
                255,
            )? as u32,
            pref_package: path("PREF_PACKAGE"),
            marti_cot_uid: opt("MARTI_COT_UID"),
            marti_poll_interval: poll_interval,
            marti_poll_seconds_ago: secs("MARTI_POLL_SECONDS_AGO", DAY * 365.0)?,
            tls: TlsSettings {
                client_cert: path("PYTAK_TLS_CLIENT_CERT"),
                client_key: path("PYTAK_TLS_CLIENT_KEY"),
                client_cafile: path("PYTAK_TLS_CLIENT_CAFILE"),
                client_password: opt("PYTAK_TLS_CLIENT_PASSWORD"),
                dont_verify: b("PYTAK_TLS_DONT_VERIFY")?,
                dont_check_hostname: b("PYTAK_TLS_DONT_CHECK_HOSTNAME")?,
                server_expected_hostname: opt("PYTAK_TLS_SERVER_EXPECTED_HOSTNAME"),
                client_ciphers: s.or_default("PYTAK_TLS_CLIENT_CIPHERS").to_string(),
                enrollment_username: opt("PYTAK_TLS_CERT_ENROLLMENT_USERNAME"),
                enrollment_password: opt("PYTAK_TLS_CERT_ENROLLMENT_PASSWORD"),
                enrollment_passphrase: opt("PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE"),
                client_cert_data: None,
                client_cafile_data: None,
            },
            reconnect,
            max_event_size: parse_uint(
                "TAKWIRE_MAX_EVENT_SIZE",
                s.or_default("TAKWIRE_MAX_EVENT_SIZE"),
                1024,
                64 << 20,
            )? as usize,
            cert_cache_dir: path("TAKWIRE_CERT_CACHE_DIR"),
            enrollment_port: parse_uint(
                "TAKWIRE_ENROLLMENT_PORT",
                s.or_default("TAKWIRE_ENROLLMENT_PORT"),
                1,
                65535,
            )? as u16,
        })
    }
}

/// Turns a URL error into one that names the configuration key (URL errors are already
/// redacted of tokens).
fn name_key(key: &str, e: Error) -> Error {
    match e {
        Error::Url { url, reason } => Error::invalid(key, url, format!("a valid URL ({reason})")),
        other => other,
    }
}

/// `takwire@HOSTNAME`, PyTAK's `APP@platform.node()` convention.
pub fn default_host_id() -> String {
    format!("takwire@{}", hostname())
}

/// This machine's host name, as well as std can tell it.
pub fn hostname() -> String {
    let from_file = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    from_file("/proc/sys/kernel/hostname")
        .or_else(|| from_file("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_string())
}

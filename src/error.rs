//! The one error type of the library.
//!
//! Every variant carries enough context to act on: which configuration key,
//! which file, which peer, which part of a message was wrong.

use std::io;
use std::path::PathBuf;

/// Result alias used throughout takwire.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in takwire.
///
/// ```
/// let err = takwire::Config::builder()
///     .set("TAK_PROTO", "7")
///     .build()
///     .unwrap_err();
/// assert!(err.to_string().contains("TAK_PROTO"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration key holds a value that cannot be used.
    #[error("configuration key {key}: invalid value {value:?}: expected {expected}")]
    InvalidValue {
        /// The key, as PyTAK spells it (for example `MAX_OUT_QUEUE`).
        key: String,
        /// The value that was given.
        value: String,
        /// What is accepted.
        expected: String,
    },

    /// A key that looks like one of ours (`PYTAK_*`, `TAKWIRE_*`, ...) but is not known,
    /// reported when strict key checking is on.
    #[error("unknown configuration key {key}{}", suggestion_text(.suggestion))]
    UnknownKey {
        /// The key as found.
        key: String,
        /// The closest known key, if one is close.
        suggestion: Option<String>,
    },

    /// An INI configuration file could not be read or parsed.
    #[error("configuration file {path}: {reason}")]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },

    /// The INI file has no section of the requested name.
    #[error("configuration file {path} has no section [{section}] (sections present: {present})")]
    MissingSection {
        /// The file.
        path: PathBuf,
        /// The section asked for.
        section: String,
        /// The sections the file does have, comma separated.
        present: String,
    },

    /// A `COT_URL` (or `TAK_URL`) that cannot be parsed or is not supported.
    #[error("invalid URL {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// Why it was rejected.
        reason: String,
    },

    /// A CoT event that could not be parsed or built.
    #[error("malformed CoT: {0}")]
    Cot(String),

    /// A TAK protocol (protobuf) message or frame that could not be decoded.
    #[error("malformed TAK protocol message: {0}")]
    Proto(String),

    /// A message larger than the configured bound.
    #[error("{what} of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What was too large (an event, a frame, an HTTP body, ...).
        what: &'static str,
        /// Its size, or the size seen so far.
        size: usize,
        /// The bound it crossed.
        limit: usize,
    },

    /// An I/O error, with what was being done and to what.
    #[error("{context}: {source}")]
    Io {
        /// What takwire was doing (for example `connecting to tcp://10.0.0.1:8087`).
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// TLS material or a TLS handshake problem.
    #[error("TLS: {0}")]
    Tls(String),

    /// A TAK data package that cannot be used.
    #[error("data package {path}: {reason}")]
    Package {
        /// The package file (or a name for an in-memory package).
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// Certificate enrollment with a TAK Server failed.
    #[error("enrollment with {host}: {reason}")]
    Enroll {
        /// The server.
        host: String,
        /// What went wrong.
        reason: String,
    },

    /// An HTTP exchange (Marti REST, enrollment) failed.
    #[error("HTTP {url}: {reason}")]
    Http {
        /// The request URL.
        url: String,
        /// What went wrong (status, body excerpt, transport error).
        reason: String,
    },

    /// The feature exists in the configuration surface but this build does not include it.
    #[error("{what} needs the `{feature}` feature, which this build of takwire does not include")]
    FeatureDisabled {
        /// What was asked for (for example `tls://`).
        what: String,
        /// The Cargo feature that provides it.
        feature: &'static str,
    },

    /// The client was shut down.
    #[error("the client is shut down")]
    Shutdown,

    /// The client stopped by itself, for the reason given (a fatal error).
    #[error("the client stopped: {0}")]
    Stopped(String),
}

fn suggestion_text(s: &Option<String>) -> String {
    match s {
        Some(k) => format!(" (did you mean {k}?)"),
        None => String::new(),
    }
}

impl Error {
    /// Wraps an [`io::Error`] with a description of what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Builds an [`Error::InvalidValue`].
    pub fn invalid(
        key: impl Into<String>,
        value: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        Error::InvalidValue {
            key: key.into(),
            value: value.into(),
            expected: expected.into(),
        }
    }

    /// Builds an [`Error::Url`].
    pub fn url(url: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Url {
            url: url.into(),
            reason: reason.into(),
        }
    }
}

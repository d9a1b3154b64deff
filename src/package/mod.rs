//! TAK data packages (feature `package`): importing the connection settings of one
//! ([`DataPackage`], `PREF_PACKAGE`, `takwire -p FILE`) and writing connection packages for
//! ATAK and iTAK ([`PackageBuilder`]).
//!
//! # Import
//!
//! When `PREF_PACKAGE` is set, [`ConfigBuilder::build`](crate::ConfigBuilder::build) reads
//! the package and takes from it
//!
//! | from the package | becomes |
//! |---|---|
//! | `connectString0` (`host:port:ssl`, `tcp`, `udp`) | `COT_URL` (`tls://host:port`, `tcp://`, `udp://`) |
//! | `certificateLocation` (a `.p12` in the package) | the client certificate, held in memory |
//! | `clientPassword` | `PYTAK_TLS_CLIENT_PASSWORD` |
//! | `caLocation` (a `.p12` truststore in the package) | the trust anchors, held in memory, opened with `caPassword` |
//!
//! These sit below the INI file and the environment: a `COT_URL`, `PYTAK_TLS_CLIENT_CERT`,
//! `PYTAK_TLS_CLIENT_CAFILE` or `PYTAK_TLS_CLIENT_PASSWORD` set anywhere else wins (PyTAK
//! lets the package override everything instead). What came from the package is logged at
//! debug level. Certificates are never unpacked to disk.
//!
//! # Limits
//!
//! A package is read into memory and checked before anything in it is used
//! ([`archive`]). It is refused, with an error that names the entry, when
//!
//! | check | bound |
//! |---|---|
//! | the package file's size | [`archive::MAX_PACKAGE_SIZE`] (64 MiB) |
//! | the number of entries | [`archive::MAX_ENTRIES`] (1 000) |
//! | all entries unpacked, by their declared sizes | [`archive::MAX_TOTAL_BYTES`] (256 MiB) |
//! | one file takwire reads (`.pref`, manifest, `.p12`) | [`archive::MAX_READ`] (1 MiB), and never more than it declares |
//! | compression ratio of an entry over 64 KiB | [`archive::MAX_RATIO`] (100 : 1) |
//! | entry paths | no `..`, no absolute path or drive letter, no NUL, no duplicates |
//! | entry types | no symbolic links, no encrypted entries |
//! | XML in `.pref` and manifest | no DTD, at most 100 000 nodes |
//!
//! # Export
//!
//! [`PackageBuilder`] writes the package a TAK Server hands out: see its docs.

pub mod archive;
mod export;
mod import;
mod manifest;
mod pref;

pub use export::{PREF_NAME, PackageBuilder, TRUSTSTORE_NAME};
pub use import::DataPackage;
pub use manifest::MANIFEST_PATH;
pub use pref::{StreamProtocol, connect_string_to_url};

/// The two layouts of connection packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// ATAK (and WinTAK): `MANIFEST/manifest.xml`, with the `.pref` and `.p12` files under
    /// `certs/`.
    Atak,
    /// iTAK: the `.pref` (`config.pref`) and the `.p12` files at the root, no manifest.
    Itak,
}

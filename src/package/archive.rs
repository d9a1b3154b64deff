//! Reading a zip file that came from somewhere else, safely: every entry name, type and
//! size is checked before anything is read, and nothing is ever written to disk.
//!
//! A package is refused, with an error naming the entry, when it has
//!
//! * an entry whose path leaves the archive (`..`, an absolute path, a drive letter, a
//!   NUL byte), a symbolic link, an encrypted entry, or two entries with the same path;
//! * more than [`MAX_ENTRIES`] entries, or a file larger than [`MAX_PACKAGE_SIZE`];
//! * more than [`MAX_TOTAL_BYTES`] once unpacked (by the sizes the entries declare);
//! * an entry larger than [`MAX_RATIO_FLOOR`] that unpacks to more than [`MAX_RATIO`] times
//!   its compressed size (the mark of a zip bomb);
//! * an entry that unpacks to more than it declares (read with a bound, never trusted).

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The largest package file read, in bytes (64 MiB). Connection packages are a few
/// kilobytes; mission packages with maps can be large, but takwire only reads their
/// `.pref` and certificates.
pub const MAX_PACKAGE_SIZE: u64 = 64 << 20;
/// The most entries a package may have.
pub const MAX_ENTRIES: usize = 1_000;
/// The most bytes all entries together may unpack to (256 MiB, by their declared sizes).
pub const MAX_TOTAL_BYTES: u64 = 256 << 20;
/// The largest entry takwire reads (a `.pref`, a manifest, a certificate), in bytes (1 MiB).
pub const MAX_READ: u64 = 1 << 20;
/// The highest compression ratio (unpacked size / packed size) an entry may have once it is
/// larger than [`MAX_RATIO_FLOOR`]. Text compresses 3 to 10 times; a zip bomb, thousands.
pub const MAX_RATIO: u64 = 100;
/// Entries up to this size (64 KiB) are not held to [`MAX_RATIO`]: a small file of
/// repeated bytes may compress well without harm.
pub const MAX_RATIO_FLOOR: u64 = 64 << 10;

/// One checked entry.
#[derive(Debug, Clone)]
struct Entry {
    index: usize,
    /// The path inside the archive, with `/` separators and no leading `./`.
    path: String,
    /// The declared unpacked size.
    size: u64,
}

/// A zip archive in memory whose entries have all passed the checks of the
/// [module docs](self).
pub struct Archive {
    source: PathBuf,
    zip: zip::ZipArchive<Cursor<Vec<u8>>>,
    entries: Vec<Entry>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("source", &self.source)
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// An [`Error::Package`] about `source`.
pub(crate) fn package_error(source: &Path, reason: impl Into<String>) -> Error {
    Error::Package {
        path: source.to_path_buf(),
        reason: reason.into(),
    }
}

impl Archive {
    /// Reads and checks a package file.
    pub fn open(path: &Path) -> Result<Archive> {
        let file = std::fs::File::open(path)
            .map_err(|e| package_error(path, format!("cannot open the file: {e}")))?;
        let mut data = Vec::new();
        file.take(MAX_PACKAGE_SIZE + 1)
            .read_to_end(&mut data)
            .map_err(|e| package_error(path, format!("cannot read the file: {e}")))?;
        Archive::from_bytes(path, data)
    }

    /// Checks a package held in memory; `source` names it in errors.
    pub fn from_bytes(source: &Path, data: Vec<u8>) -> Result<Archive> {
        let err = |why: String| package_error(source, why);
        if data.len() as u64 > MAX_PACKAGE_SIZE {
            return Err(err(format!(
                "is larger than {MAX_PACKAGE_SIZE} bytes, the most takwire reads"
            )));
        }
        if data.is_empty() {
            return Err(err("is empty, not a zip file".to_string()));
        }
        let mut zip = zip::ZipArchive::new(Cursor::new(data))
            .map_err(|e| err(format!("is not a readable zip file: {e}")))?;
        if zip.len() > MAX_ENTRIES {
            return Err(err(format!(
                "has {} entries, more than the {MAX_ENTRIES} takwire accepts",
                zip.len()
            )));
        }
        let mut entries: Vec<Entry> = Vec::with_capacity(zip.len());
        let mut total: u64 = 0;
        for index in 0..zip.len() {
            let file = zip
                .by_index_raw(index)
                .map_err(|e| err(format!("entry {index} is unreadable: {e}")))?;
            let raw = String::from_utf8_lossy(file.name_raw()).into_owned();
            let shown = raw.escape_debug().to_string();
            let path = check_name(&raw)
                .map_err(|why| err(format!("entry \"{shown}\" is refused: {why}")))?;
            if file.is_symlink() {
                return Err(err(format!(
                    "entry \"{shown}\" is a symbolic link, which packages may not contain"
                )));
            }
            if file.encrypted() {
                return Err(err(format!(
                    "entry \"{shown}\" is encrypted, which takwire does not read"
                )));
            }
            let (size, packed) = (file.size(), file.compressed_size());
            total = total.saturating_add(size);
            if total > MAX_TOTAL_BYTES {
                return Err(err(format!(
                    "unpacks to more than {MAX_TOTAL_BYTES} bytes (at entry \"{shown}\"), \
                     the most takwire accepts"
                )));
            }
            if size > MAX_RATIO_FLOOR && size / packed.max(1) > MAX_RATIO {
                return Err(err(format!(
                    "entry \"{shown}\" unpacks {packed} bytes to {size}, a ratio above \
                     {MAX_RATIO}: refused as a zip bomb"
                )));
            }
            if file.is_dir() {
                continue;
            }
            if entries.iter().any(|e| e.path == path) {
                return Err(err(format!("entry \"{shown}\" appears twice")));
            }
            entries.push(Entry { index, path, size });
        }
        Ok(Archive {
            source: source.to_path_buf(),
            zip,
            entries,
        })
    }

    /// The package file (or the name given to an in-memory package).
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The paths of the files in the archive (no directories), in archive order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.path.as_str())
    }

    /// Whether the archive has a file at `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.entries.iter().any(|e| e.path == path)
    }

    /// Reads the file at `path` (at most [`MAX_READ`] bytes).
    pub fn read(&mut self, path: &str) -> Result<Vec<u8>> {
        let source = self.source.clone();
        let err = |why: String| package_error(&source, format!("entry \"{path}\" {why}"));
        let Some(entry) = self.entries.iter().find(|e| e.path == path).cloned() else {
            return Err(err("is not in the package".to_string()));
        };
        if entry.size > MAX_READ {
            return Err(err(format!(
                "is {} bytes, more than the {MAX_READ} takwire reads for one file",
                entry.size
            )));
        }
        let file = self
            .zip
            .by_index(entry.index)
            .map_err(|e| err(format!("cannot be unpacked: {e}")))?;
        let mut data = Vec::new();
        file.take(entry.size + 1)
            .read_to_end(&mut data)
            .map_err(|e| err(format!("cannot be unpacked: {e}")))?;
        if data.len() as u64 != entry.size {
            return Err(err(format!(
                "unpacks to {} bytes or more but declares {}: refused",
                data.len(),
                entry.size
            )));
        }
        Ok(data)
    }
}

/// The normalised path of an entry name, or why it is refused.
fn check_name(raw: &str) -> std::result::Result<String, &'static str> {
    if raw.is_empty() {
        return Err("it has no name");
    }
    if raw.contains('\0') || raw.contains('\u{fffd}') {
        return Err("its name has a NUL byte or is not UTF-8");
    }
    let unified = raw.replace('\\', "/");
    if unified.starts_with('/') {
        return Err("it is an absolute path");
    }
    let bytes = unified.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Err("it starts with a drive letter");
    }
    let mut parts = Vec::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("its path goes up out of the archive (\"..\")"),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err("it has no name");
    }
    let mut path = parts.join("/");
    if unified.ends_with('/') {
        path.push('/');
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_or_refused() {
        assert_eq!(check_name("certs/a.p12").unwrap(), "certs/a.p12");
        assert_eq!(check_name("./certs//a.p12").unwrap(), "certs/a.p12");
        assert_eq!(check_name("certs\\a.p12").unwrap(), "certs/a.p12");
        for bad in [
            "../a",
            "certs/../../a",
            "a/..",
            "/etc/passwd",
            "\\evil",
            "C:/x",
            "c:x",
            "",
            ".",
            "a\0b",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}

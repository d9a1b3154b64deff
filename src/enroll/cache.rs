//! The enrolled-certificate cache, shared with PyTAK: `~/.pytak/certs/` by default
//! (`TAKWIRE_CERT_CACHE_DIR` overrides it).
//!
//! PyTAK's layout: for a server `host`, port `port` (the port of the `tak://` link's
//! `host=`, else 8089) and user `user`, `KEY` is the first 32 hex digits of
//! SHA-256(`host:port:user`), and the cache holds
//!
//! * `KEY.p12`: the client key, certificate and CA chain (PKCS#12, mode 0600);
//! * `KEY.pass`: the PKCS#12 passphrase, without a newline (mode 0600);
//! * `KEY.server`: the SHA-256 of the server's TLS certificate (DER), in hex (mode 0600).
//!
//! Files from PyTAK before 7.3.13 (`KEY` = 16 hex digits of SHA-256(`host:user`)) are read
//! when the new name is missing, as PyTAK does.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The largest cache file read.
const MAX_FILE: u64 = 1 << 20;

/// The default cache directory, `~/.pytak/certs` (from `HOME`, or `USERPROFILE` on Windows).
pub fn default_dir() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var_os("USERPROFILE").filter(|h| !h.is_empty()))?;
    Some(PathBuf::from(home).join(".pytak").join("certs"))
}

fn sha256_hex(data: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The SHA-256 fingerprint of a DER certificate as the cache stores it (lowercase hex).
pub fn fingerprint(der: &[u8]) -> String {
    sha256_hex(der)
}

/// The cache files of one server, port and user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// `KEY.p12`.
    pub p12: PathBuf,
    /// `KEY.pass`.
    pub pass: PathBuf,
    /// `KEY.server`: the server certificate's fingerprint.
    pub server: PathBuf,
    legacy_p12: PathBuf,
    legacy_pass: PathBuf,
}

/// What a cache entry holds.
#[derive(Clone)]
pub struct Cached {
    /// The PKCS#12 file's bytes.
    pub p12: Vec<u8>,
    /// Its passphrase.
    pub passphrase: String,
    /// The server certificate fingerprint recorded at enrollment, if any.
    pub server_fingerprint: Option<String>,
    /// Where the PKCS#12 was read from.
    pub path: PathBuf,
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("path", &self.path)
            .field("p12", &self.p12.len())
            .field("server_fingerprint", &self.server_fingerprint)
            .finish()
    }
}

fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut data = Vec::new();
    file.take(MAX_FILE + 1).read_to_end(&mut data).ok()?;
    (data.len() as u64 <= MAX_FILE).then_some(data)
}

fn read_text(path: &Path) -> Option<String> {
    let text = String::from_utf8(read_bounded(path)?).ok()?;
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// Writes `data` to `path` with mode 0600 (through a temporary file, so a reader never
/// sees half a file).
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| Error::Io {
        context: format!("certificate cache: cannot write {}", path.display()),
        source: e,
    };
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(io)?;
    file.write_all(data).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io)
}

impl CacheEntry {
    /// The entry for `host`, `port` and `user` in `dir`.
    pub fn new(dir: &Path, host: &str, port: u16, user: &str) -> CacheEntry {
        let key = sha256_hex(format!("{host}:{port}:{user}").as_bytes());
        let key = key.get(..32).unwrap_or(&key);
        let legacy = sha256_hex(format!("{host}:{user}").as_bytes());
        let legacy = legacy.get(..16).unwrap_or(&legacy);
        CacheEntry {
            p12: dir.join(format!("{key}.p12")),
            pass: dir.join(format!("{key}.pass")),
            server: dir.join(format!("{key}.server")),
            legacy_p12: dir.join(format!("{legacy}.p12")),
            legacy_pass: dir.join(format!("{legacy}.pass")),
        }
    }

    /// What the entry holds, if it has a PKCS#12 file and a passphrase (the legacy
    /// files when the current ones are missing).
    pub fn load(&self) -> Option<Cached> {
        let (p12, pass) = if self.p12.exists() {
            (&self.p12, &self.pass)
        } else if self.legacy_p12.exists() {
            (&self.legacy_p12, &self.legacy_pass)
        } else {
            return None;
        };
        Some(Cached {
            p12: read_bounded(p12)?,
            passphrase: read_text(pass)?,
            server_fingerprint: read_text(&p12.with_extension("server")),
            path: p12.clone(),
        })
    }

    /// Stores a PKCS#12 file, its passphrase and the server fingerprint (creating the
    /// directory with mode 0700 if needed).
    pub fn store(&self, p12: &[u8], passphrase: &str, server: Option<&str>) -> Result<()> {
        if let Some(dir) = self.p12.parent() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder.create(dir).map_err(|e| Error::Io {
                context: format!("certificate cache: cannot create {}", dir.display()),
                source: e,
            })?;
        }
        write_private(&self.p12, p12)?;
        write_private(&self.pass, passphrase.as_bytes())?;
        match server {
            Some(fp) => write_private(&self.server, fp.as_bytes())?,
            None => {
                let _ = std::fs::remove_file(&self.server);
            }
        }
        Ok(())
    }

    /// Records the server fingerprint of an entry that has none yet.
    pub fn store_fingerprint(&self, fp: &str) -> Result<()> {
        write_private(&self.server, fp.as_bytes())
    }

    /// Deletes the entry (its certificate, passphrase and fingerprint), so the next
    /// connection enrolls again.
    pub fn remove(&self) {
        for p in [&self.p12, &self.pass, &self.server] {
            let _ = std::fs::remove_file(p);
        }
    }
}

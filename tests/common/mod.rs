//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python interpreter of the peer virtualenv (pytak, takproto, taky), set by
/// `tests/all.sh` through `TAKWIRE_PEER_PYTHON`.
///
/// Without it the calling test is skipped with a message, unless `TAKWIRE_REQUIRE_PEERS=1`
/// (which `tests/all.sh`, and so CI, sets): then a missing peer is a failure.
pub fn peer_python() -> Option<PathBuf> {
    match std::env::var_os("TAKWIRE_PEER_PYTHON") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            if std::env::var("TAKWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
                panic!("TAKWIRE_REQUIRE_PEERS=1 but TAKWIRE_PEER_PYTHON is not set");
            }
            eprintln!("SKIP: no peer virtualenv (run `bash tests/all.sh` to create it)");
            None
        }
    }
}

/// The directory of the peer scripts (`tests/peers`).
pub fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// A child process that is killed when dropped, so no test leaves one behind.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `python script args..` from `tests/peers` with piped stdio.
pub fn spawn_peer(python: &PathBuf, script: &str, args: &[&str]) -> KillOnDrop {
    let child = Command::new(python)
        .arg(peers_dir().join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {script}: {e}"));
    KillOnDrop(child)
}

/// Polls `f` until it returns `Some`, for at most `limit`.
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A fresh private temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "takwire-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

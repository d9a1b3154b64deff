//! Helpers for the tests that run the `takwire` binary: a clean command, bounded runs,
//! and loopback TCP servers that record what arrives and when.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test, with a clean environment (no COT_URL or other keys from the
/// caller) and a neutral working directory.
pub fn takwire() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_takwire"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PYTAK_RECONNECT_INITIAL", "0.1")
        .current_dir(std::env::temp_dir());
    c
}

/// Runs `cmd` with `stdin` as input; kills it and fails after `limit`.
pub fn run_with(mut cmd: Command, stdin: Vec<u8>, limit: Duration) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("starting takwire");
    let mut input = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let out = child.wait_with_output().expect("waiting for takwire");
        let _ = tx.send(());
        out
    });
    if rx.recv_timeout(limit).is_err() {
        signal(pid, "KILL");
        panic!("takwire did not exit within {limit:?}");
    }
    let _ = writer.join();
    waiter.join().expect("waiter thread")
}

/// [`run_with`] with a 60 s limit.
pub fn run(cmd: Command, stdin: &[u8]) -> Output {
    run_with(cmd, stdin.to_vec(), Duration::from_secs(60))
}

/// Sends a signal (`TERM`, `USR1`, `KILL`) to a process.
pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "kill -{sig} {pid} failed");
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A running takwire whose stdout and stderr lines are collected by threads.
pub struct Running {
    pub child: Child,
    pub stdout: crossbeam_channel::Receiver<String>,
    pub stderr: crossbeam_channel::Receiver<String>,
}

impl Running {
    /// Starts `cmd` with stdin closed.
    pub fn start(mut cmd: Command) -> Running {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("starting takwire");
        let stdout = lines(child.stdout.take().expect("stdout"));
        let stderr = lines(child.stderr.take().expect("stderr"));
        Running {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits for `n` stdout lines, for at most `limit`.
    pub fn stdout_lines(&self, n: usize, limit: Duration) -> Vec<String> {
        take_lines(&self.stdout, n, limit)
    }

    /// Waits for a stderr line containing `needle`, for at most `limit`.
    pub fn stderr_line(&self, needle: &str, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(l) if l.contains(needle) => return Some(l),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// Sends SIGTERM and waits (bounded) for the exit; returns the status and the rest of
    /// stderr.
    pub fn stop(mut self) -> (ExitStatus, String) {
        signal(self.child.id(), "TERM");
        let status = wait_exit(&mut self.child, Duration::from_secs(15));
        let mut err = String::new();
        while let Ok(l) = self.stderr.recv_timeout(Duration::from_secs(2)) {
            err.push_str(&l);
            err.push('\n');
        }
        (status, err)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for a child to exit, killing it (and failing) after `limit`.
pub fn wait_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return s;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("takwire did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn lines(r: impl Read + Send + 'static) -> crossbeam_channel::Receiver<String> {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        for l in BufReader::new(r).lines() {
            match l {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
    rx
}

/// Takes up to `n` lines from `rx`, waiting at most `limit` in all.
pub fn take_lines(
    rx: &crossbeam_channel::Receiver<String>,
    n: usize,
    limit: Duration,
) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => got.push(l),
            Err(_) => break,
        }
    }
    got
}

/// A line received by a [`Sink`] server, with when it arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub at: Instant,
    pub line: String,
}

/// A loopback TCP server that records every line that arrives on any connection.
pub struct Sink {
    pub port: u16,
    lines: crossbeam_channel::Receiver<Arrival>,
}

impl Sink {
    pub fn start() -> Sink {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(s) = s else { return };
                let tx = tx.clone();
                std::thread::spawn(move || {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(60)));
                    for line in BufReader::new(s).lines() {
                        let Ok(line) = line else { return };
                        if line.trim().is_empty() {
                            continue;
                        }
                        let a = Arrival {
                            at: Instant::now(),
                            line,
                        };
                        if tx.send(a).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Sink { port, lines: rx }
    }

    pub fn url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// Waits for `n` lines, for at most `limit`.
    pub fn take(&self, n: usize, limit: Duration) -> Vec<Arrival> {
        let deadline = Instant::now() + limit;
        let mut got = Vec::new();
        while got.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(a) => got.push(a),
                Err(_) => break,
            }
        }
        got
    }

    /// Lines that arrive within `wait` (to check that nothing more came).
    pub fn more(&self, wait: Duration) -> Vec<Arrival> {
        let mut got = Vec::new();
        while let Ok(a) = self.lines.recv_timeout(wait) {
            got.push(a);
        }
        got
    }
}

/// A loopback TCP server that writes `data` to every connection, then keeps it open
/// (reading and discarding) until the peer goes away.
pub struct Source {
    pub port: u16,
    pub connections: Arc<Mutex<u32>>,
}

impl Source {
    pub fn start(data: Vec<u8>) -> Source {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let connections = Arc::new(Mutex::new(0));
        let count = connections.clone();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { return };
                *count.lock().expect("lock") += 1;
                let data = data.clone();
                std::thread::spawn(move || {
                    if s.write_all(&data).is_err() {
                        return;
                    }
                    drain(s);
                });
            }
        });
        Source { port, connections }
    }

    pub fn url(&self) -> String {
        format!("tcp+ro://127.0.0.1:{}", self.port)
    }
}

fn drain(mut s: TcpStream) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(120)));
    let mut buf = [0u8; 4096];
    while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
}

/// The XML corpus (`tests/corpus/xml`), as (file name, raw bytes), sorted by name.
pub fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/xml");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("corpus file"))
        })
        .collect()
}

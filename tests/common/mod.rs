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

/// The events of the XML corpus (`tests/corpus/xml`), with fresh times (now, stale in an
/// hour) so that servers do not drop them as stale.
pub fn fresh_corpus() -> Vec<takwire::Event> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/xml");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    let now = takwire::CotTime::now();
    files
        .iter()
        .map(|p| {
            let mut e = takwire::Event::from_xml(&std::fs::read(p).unwrap()).unwrap();
            // A prefix keeps corpus uids apart from live traffic (the corpus has a takPing).
            e.uid = format!("corpus.{}", e.uid);
            e.time = now;
            e.start = now;
            e.stale = now.plus(Duration::from_secs(3600));
            e
        })
        .collect()
}

/// An element in a canonical text form: name, sorted attributes, trimmed text, children.
/// Two elements that differ only in formatting (attribute order, quotes, escapes,
/// indentation) have the same canonical form.
pub fn canonical_element(xml: &str) -> String {
    fn walk(n: roxmltree::Node<'_, '_>, out: &mut String) {
        out.push('<');
        out.push_str(n.tag_name().name());
        let mut attrs: Vec<(String, String)> = n
            .attributes()
            .map(|a| (a.name().to_string(), a.value().to_string()))
            .collect();
        attrs.sort();
        for (k, v) in attrs {
            out.push_str(&format!(" {k}={v:?}"));
        }
        out.push('>');
        for c in n.children() {
            if c.is_element() {
                walk(c, out);
            } else if c.is_text() {
                let t = c.text().unwrap_or("").trim();
                if !t.is_empty() {
                    out.push_str(&format!("{t:?}"));
                }
            }
        }
        out.push_str("</>");
    }
    match roxmltree::Document::parse(xml) {
        Ok(doc) => {
            let mut s = String::new();
            walk(doc.root_element(), &mut s);
            s
        }
        Err(e) => format!("unparseable: {e}: {xml}"),
    }
}

/// How strictly two events are compared.
#[derive(Clone, Copy)]
pub struct Compare {
    /// Allowed difference of lat/lon (servers that round, as taky does to 6 decimals).
    pub latlon: f64,
    /// Allowed difference of hae/ce/le (taky rounds to 1 decimal).
    pub metres: f64,
    /// Whether the optional event attributes (access, qos, ...) must survive.
    pub event_attrs: bool,
}

impl Compare {
    /// Exact comparison (formatting aside).
    pub const EXACT: Compare = Compare {
        latlon: 0.0,
        metres: 0.0,
        event_attrs: true,
    };
    /// Through taky, which rounds points and keeps only the core event attributes.
    pub const TAKY: Compare = Compare {
        latlon: 1e-6,
        metres: 0.05,
        event_attrs: false,
    };
}

/// Whether `got` carries the same event as `sent`, formatting aside; `Err` says what differs.
pub fn same_event(sent: &takwire::Event, got: &takwire::Event, how: Compare) -> Result<(), String> {
    let mut diffs = Vec::new();
    let mut check = |what: &str, a: String, b: String| {
        if a != b {
            diffs.push(format!("{what}: sent {a} got {b}"));
        }
    };
    check("uid", sent.uid.clone(), got.uid.clone());
    check("type", sent.cot_type.clone(), got.cot_type.clone());
    check("how", sent.how.clone(), got.how.clone());
    check("time", sent.time.to_string(), got.time.to_string());
    check("start", sent.start.to_string(), got.start.to_string());
    check("stale", sent.stale.to_string(), got.stale.to_string());
    if how.event_attrs {
        check(
            "access",
            format!("{:?}", sent.access),
            format!("{:?}", got.access),
        );
        check("qos", format!("{:?}", sent.qos), format!("{:?}", got.qos));
        check(
            "opex",
            format!("{:?}", sent.opex),
            format!("{:?}", got.opex),
        );
        check(
            "caveat",
            format!("{:?}", sent.caveat),
            format!("{:?}", got.caveat),
        );
        check(
            "releasableTo",
            format!("{:?}", sent.releasable_to),
            format!("{:?}", got.releasable_to),
        );
    }
    let p = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol;
    let (s, g) = (&sent.point, &got.point);
    if !(p(s.lat, g.lat, how.latlon)
        && p(s.lon, g.lon, how.latlon)
        && p(s.hae, g.hae, how.metres)
        && p(s.ce, g.ce, how.metres)
        && p(s.le, g.le, how.metres))
    {
        diffs.push(format!("point: sent {s:?} got {g:?}"));
    }
    let canon = |e: &takwire::Event| {
        let mut v: Vec<String> = e
            .detail
            .iter()
            .filter(|d| !d.name().is_empty())
            .map(|d| canonical_element(d.xml()))
            .collect();
        v.sort();
        v
    };
    let (cs, cg) = (canon(sent), canon(got));
    if cs != cg {
        diffs.push(format!("detail: sent {cs:#?}\n got {cg:#?}"));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", sent.uid, diffs.join("; ")))
    }
}

/// Reads a child's stdout in a thread and sends every event found in it.
pub fn events_from(
    stdout: std::process::ChildStdout,
) -> crossbeam_channel::Receiver<takwire::Event> {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        let mut out = stdout;
        let mut d = takwire::framing::StreamDecoder::new(1 << 20);
        loop {
            match d.read_from(&mut out) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    while let Some(m) = d.next_message() {
                        if let Ok(msg) = m
                            && let Ok(ev) = takwire::wire::decode(msg)
                            && tx.send(ev).is_err()
                        {
                            return;
                        }
                    }
                }
            }
        }
    });
    rx
}

/// Collects events from `rx` until one of each uid in `want` arrived or `limit` passed.
pub fn collect_uids(
    rx: &crossbeam_channel::Receiver<takwire::Event>,
    want: &[String],
    limit: Duration,
) -> std::collections::HashMap<String, takwire::Event> {
    let deadline = Instant::now() + limit;
    let mut got = std::collections::HashMap::new();
    while got.len() < want.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(ev) => {
                if want.contains(&ev.uid) {
                    got.entry(ev.uid.clone()).or_insert(ev);
                }
            }
            Err(_) => break,
        }
    }
    got
}

/// A free TCP port on loopback.
pub fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `port` (127.0.0.1), for at most `limit`.
pub fn wait_listening(port: u16, limit: Duration) -> bool {
    wait_for(limit, || {
        std::net::TcpStream::connect(("127.0.0.1", port))
            .ok()
            .map(|_| ())
    })
    .is_some()
}

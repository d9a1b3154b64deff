//! `marti://` and `marti+http://` against a test Marti server on loopback (plain HTTP, and
//! HTTPS with mutual TLS): posts arrive intact, polls deliver each event once and in order
//! across overlapping windows, the keys set the interval and window, bad answers are
//! skipped while polling goes on, a rejected certificate stops the client, and pytak's own
//! Marti client makes the same requests.

mod common;
mod common_marti;

use std::net::TcpListener;
use std::time::Duration;

use common::{TempDir, wait_for};
use common_marti::{Answer, MartiServer, leaf, make_ca, mtls_server_config, now_ms};
use takwire::cot::Event;
use takwire::transport::marti::MartiConnector;
use takwire::{Client, Config};

const WAIT: Duration = Duration::from_secs(15);

fn config(url: &str, more: &[(&str, &str)]) -> Config {
    let mut b = Config::builder()
        .set("COT_URL", url)
        .set("PYTAK_RECONNECT_INITIAL", "0.05")
        .set("PYTAK_RECONNECT_MAX", "0.3")
        .set("MARTI_POLL_INTERVAL", "0.2")
        .set("PYTAK_NO_HELLO", "1");
    for (k, v) in more {
        b = b.set(k, v);
    }
    b.build().unwrap()
}

/// Receives events until `n` arrived or nothing came for a while.
fn receive(client: &Client, n: usize, limit: Duration) -> Vec<Event> {
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + limit;
    while got.len() < n && std::time::Instant::now() < deadline {
        if let Some(e) = client.recv_timeout(Duration::from_millis(100)).unwrap() {
            got.push(e);
        }
    }
    got
}

fn uids(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.uid.clone()).collect()
}

fn position(uid: &str) -> Event {
    let mut e = Event::position(uid, "a-f-G-U-C", 10.25, -20.5, Duration::from_secs(120));
    e.detail = takwire::cot::Detail::from_inner_xml(
        "<contact callsign=\"Alpha &amp; Omega\"/><remarks>ü &lt;x&gt; \"quoted\"</remarks>",
    )
    .unwrap();
    e
}

#[test]
fn posted_events_arrive_intact() {
    let server = MartiServer::http(Duration::ZERO);
    let url = format!("marti+http://127.0.0.1:{}", server.port);
    let client = Client::connect(config(&url, &[("MARTI_COT_UID", "takwire-test")])).unwrap();
    let sent: Vec<Event> = (0..3).map(|i| position(&format!("post-{i}"))).collect();
    for e in &sent {
        client.send(e.clone()).unwrap();
    }
    let posts = wait_for(WAIT, || {
        let p = server.posts();
        (p.len() >= 3).then_some(p)
    })
    .expect("three posts");
    for (post, sent) in posts.iter().zip(&sent) {
        assert_eq!(post.method, "POST");
        assert_eq!(post.header("content-type"), Some("application/json"));
        let json: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
        let obj = json.as_object().unwrap();
        assert_eq!(obj.keys().collect::<Vec<_>>(), ["uid", "toInject"]);
        assert_eq!(obj["uid"], "takwire-test");
        let got = Event::from_xml(obj["toInject"].as_str().unwrap().as_bytes()).unwrap();
        common::same_event(sent, &got, common::Compare::EXACT).unwrap();
    }
    // Connections are kept and reused: posts and polls share a few connections.
    wait_for(WAIT, || (server.polls().len() >= 4).then_some(())).expect("polls");
    let stats = client.shutdown();
    let st = server.state.lock().unwrap();
    assert!(
        st.connections <= 3 && st.requests.len() >= 7,
        "{} connections for {} requests",
        st.connections,
        st.requests.len()
    );
    assert_eq!(stats.sent, 3);
    assert_eq!(stats.failed, 0);
}

#[test]
fn refused_posts_are_counted_and_the_link_stays() {
    let server = MartiServer::http(Duration::ZERO);
    server.state.lock().unwrap().post_status = Some(403);
    let url = format!("marti+http://127.0.0.1:{}", server.port);
    let client = Client::connect(config(&url, &[])).unwrap();
    client.send(position("refused-1")).unwrap();
    client.send(position("refused-2")).unwrap();
    wait_for(WAIT, || (client.stats().failed >= 2).then_some(())).expect("two refusals");
    // The default uid is the host id.
    let post = &server.posts()[0];
    let json: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(json["uid"], client.config().host_id());
    assert!(client.is_running());
    let stats = client.shutdown();
    assert_eq!((stats.sent, stats.failed), (0, 2));
}

#[test]
fn polled_events_arrive_once_in_order_across_overlapping_windows() {
    // The server widens each window 30 s back, so every poll repeats earlier events.
    let server = MartiServer::http(Duration::from_secs(30));
    let now = now_ms();
    server.add_event("too-old", now - 200_000); // before MARTI_POLL_SECONDS_AGO
    server.add_event("early-1", now - 50_000);
    server.add_event("early-2", now - 40_000);
    let url = format!("marti+http://127.0.0.1:{}", server.port);
    let client = Client::connect(config(
        &url,
        &[
            ("MARTI_POLL_INTERVAL", "0.4"),
            ("MARTI_POLL_SECONDS_AGO", "60"),
        ],
    ))
    .unwrap();
    let first = receive(&client, 2, WAIT);
    assert_eq!(uids(&first), ["early-1", "early-2"]);
    for i in 0..3 {
        server.add_event(&format!("late-{i}"), now_ms());
        let got = receive(&client, 1, WAIT);
        assert_eq!(uids(&got), [format!("late-{i}")]);
    }
    // Several more polls repeat all of the above; none is delivered again.
    let polls_before = server.polls().len();
    wait_for(WAIT, || {
        (server.polls().len() >= polls_before + 3).then_some(())
    })
    .expect("more polls");
    assert!(receive(&client, 1, Duration::from_millis(500)).is_empty());
    let stats = client.shutdown();
    assert_eq!(stats.received, 5);

    let polls = server.polls();
    let ms = |r: &common_marti::Request, k: &str| {
        takwire::cot::CotTime::parse(r.param(k).unwrap())
            .unwrap()
            .as_millis()
    };
    // Time format as pytak writes it: microseconds and Z.
    for p in &polls {
        for k in ["start", "end"] {
            let v = p.param(k).unwrap();
            assert_eq!(v.len(), "2026-01-01T00:00:00.000000Z".len(), "{v}");
            assert!(v.ends_with('Z') && v.as_bytes()[19] == b'.', "{v}");
        }
    }
    // The first window reaches MARTI_POLL_SECONDS_AGO back; each next one starts where the
    // last ended, and they are at least MARTI_POLL_INTERVAL apart.
    assert_eq!(ms(&polls[0], "end") - ms(&polls[0], "start"), 60_000);
    for pair in polls.windows(2) {
        assert_eq!(pair[1].param("start"), pair[0].param("end"));
        assert!(ms(&pair[1], "end") - ms(&pair[0], "end") >= 390);
    }
}

#[test]
fn bad_answers_are_skipped_and_polling_goes_on() {
    let server = MartiServer::http(Duration::ZERO);
    server.script(vec![
        Answer::Status(500),
        Answer::Html,
        Answer::Huge(50 << 20),
        Answer::Slow(Duration::from_millis(100)),
    ]);
    server.add_event("after-the-storm", now_ms() - 1000);
    let url = format!("marti+http://127.0.0.1:{}", server.port);
    let connector = MartiConnector::new(&config(&url, &[]))
        .unwrap()
        .request_timeout(Duration::from_secs(1));
    let client = Client::with_connector(config(&url, &[]), Box::new(connector)).unwrap();
    let got = receive(&client, 1, Duration::from_secs(30));
    assert_eq!(uids(&got), ["after-the-storm"]);
    assert!(client.is_running());
    let stats = client.shutdown();
    // 500, HTML and the oversized body are counted; the slow body is a timeout (logged).
    assert_eq!(stats.malformed, 3, "{stats:?}");
    assert!(server.polls().len() >= 5);
}

#[test]
fn a_dead_server_is_polled_with_backoff_until_it_comes_up() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener); // nothing listens: connections are refused
    let url = format!("marti+http://127.0.0.1:{port}");
    let client = Client::connect(config(&url, &[])).unwrap();
    client.send(position("queued-while-down")).unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert!(client.is_running());
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let server = MartiServer::http_on(listener, Duration::ZERO);
    server.add_event("up-again", now_ms() - 1000);
    let got = receive(&client, 1, WAIT);
    assert_eq!(uids(&got), ["up-again"]);
    // The event sent while the server was down is posted once it is up.
    wait_for(WAIT, || (!server.posts().is_empty()).then_some(())).expect("the queued post");
    let stats = client.shutdown();
    assert_eq!(stats.sent, 1);
}

struct Pki {
    dir: TempDir,
    ca: common_marti::Ca,
    server: common_marti::Leaf,
}

fn pki() -> Pki {
    let ca = make_ca("marti test CA");
    let server = leaf(&ca, "marti server", &["127.0.0.1", "localhost"], false);
    let client = leaf(&ca, "marti client", &[], true);
    let stranger = make_ca("stranger CA");
    let stranger_client = leaf(&stranger, "stranger", &[], true);
    let dir = TempDir::new("marti");
    let w = |n: &str, d: &str| std::fs::write(dir.path().join(n), d).unwrap();
    w("ca.pem", &ca.pem);
    w(
        "client.pem",
        &format!("{}{}", client.pem, client.key.serialize_pem()),
    );
    w(
        "stranger.pem",
        &format!(
            "{}{}",
            stranger_client.pem,
            stranger_client.key.serialize_pem()
        ),
    );
    Pki { dir, ca, server }
}

impl Pki {
    fn keys(&self, cert: &str) -> Vec<(&'static str, String)> {
        vec![
            (
                "PYTAK_TLS_CLIENT_CERT",
                self.dir.path().join(cert).to_string_lossy().into_owned(),
            ),
            (
                "PYTAK_TLS_CLIENT_CAFILE",
                self.dir
                    .path()
                    .join("ca.pem")
                    .to_string_lossy()
                    .into_owned(),
            ),
        ]
    }
}

fn tls_config(url: &str, keys: &[(&'static str, String)]) -> Config {
    let more: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (*k, v.as_str())).collect();
    config(url, &more)
}

#[test]
fn https_with_mutual_tls_posts_and_polls() {
    let pki = pki();
    let server = MartiServer::https(mtls_server_config(&pki.server, &pki.ca), Duration::ZERO);
    server.add_event("over-tls", now_ms() - 1000);
    let url = format!("marti://127.0.0.1:{}", server.port);
    let client = Client::connect(tls_config(&url, &pki.keys("client.pem"))).unwrap();
    client.send(position("posted-over-tls")).unwrap();
    let got = receive(&client, 1, WAIT);
    assert_eq!(uids(&got), ["over-tls"]);
    let posts = wait_for(WAIT, || {
        let p = server.posts();
        (!p.is_empty()).then_some(p)
    })
    .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&posts[0].body).unwrap();
    let sent = Event::from_xml(json["toInject"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(sent.uid, "posted-over-tls");
    client.shutdown();
    assert!(server.state.lock().unwrap().tls_failures.is_empty());
}

#[test]
fn a_rejected_client_certificate_stops_the_client() {
    let pki = pki();
    let server = MartiServer::https(mtls_server_config(&pki.server, &pki.ca), Duration::ZERO);
    let url = format!("marti://127.0.0.1:{}", server.port);
    let client = Client::connect(tls_config(&url, &pki.keys("stranger.pem"))).unwrap();
    wait_for(WAIT, || (!client.is_running()).then_some(())).expect("the client stops");
    let err = client.error().unwrap();
    assert!(err.contains("certificate"), "{err}");
    assert!(!server.state.lock().unwrap().tls_failures.is_empty());
    // It gave up at once rather than hammering the server.
    assert!(server.polls().is_empty());
}

#[test]
fn plain_http_server_with_marti_tls_url_is_an_error_not_a_hang() {
    let server = MartiServer::http(Duration::ZERO);
    let url = format!("marti://127.0.0.1:{}", server.port);
    let connector = MartiConnector::new(&config(&url, &[("PYTAK_TLS_DONT_VERIFY", "1")]))
        .unwrap()
        .request_timeout(Duration::from_secs(2));
    let client = Client::with_connector(config(&url, &[]), Box::new(connector)).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    // TLS against plain HTTP fails each poll; the client keeps trying with backoff.
    assert!(client.is_running());
    assert!(client.try_recv().is_none());
    client.shutdown();
}

#[test]
fn direction_modifiers_are_refused() {
    for url in [
        "marti+wo://h:8443",
        "marti+ro://h:8443",
        "marti+http+ro://h:8080",
    ] {
        let err = Config::builder().set("COT_URL", url).build().unwrap_err();
        assert!(err.to_string().contains("+wo and +ro"), "{url}: {err}");
    }
}

// ---------------------------------------------------------------- pytak's Marti client

/// What one client's requests look like, for comparing two clients.
#[derive(Debug, PartialEq)]
struct Shape {
    /// (method, path, query keys) of each kind of request, sorted, without repeats.
    requests: Vec<(String, String, Vec<String>)>,
    /// The JSON keys of the posts and the uid they carry.
    post_keys: Vec<String>,
    post_uid: String,
    post_content_type: String,
    /// The shape of `start`/`end`: each digit replaced by `9`.
    time_shape: String,
    /// How far the first window reaches back, in ms.
    first_window_ms: i64,
    /// Whether each later window starts where the one before ended.
    windows_chain: bool,
}

fn shape(server: &MartiServer) -> Shape {
    let reqs = server.requests();
    let mut requests: Vec<(String, String, Vec<String>)> = reqs
        .iter()
        .map(|r| {
            let mut keys: Vec<String> = r.query.iter().map(|(k, _)| k.clone()).collect();
            keys.sort();
            (r.method.clone(), r.path.clone(), keys)
        })
        .collect();
    requests.sort();
    requests.dedup();
    let posts = server.posts();
    let post = posts.first().expect("a post");
    let json: serde_json::Value = serde_json::from_slice(&post.body).expect("a JSON post");
    let polls = server.polls();
    let first = polls.first().expect("a poll");
    let ms = |r: &common_marti::Request, k: &str| {
        takwire::cot::CotTime::parse(r.param(k).unwrap())
            .unwrap()
            .as_millis()
    };
    Shape {
        requests,
        post_keys: json.as_object().unwrap().keys().cloned().collect(),
        post_uid: json["uid"].as_str().unwrap_or("").to_string(),
        post_content_type: post.header("content-type").unwrap_or("").to_string(),
        time_shape: first
            .param("start")
            .unwrap()
            .chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect(),
        first_window_ms: ms(first, "end") - ms(first, "start"),
        windows_chain: polls
            .windows(2)
            .all(|p| p[1].param("start") == p[0].param("end")),
    }
}

const PEER_KEYS: &[(&str, &str)] = &[
    ("MARTI_COT_UID", "interop-uid"),
    ("MARTI_POLL_INTERVAL", "1"),
    ("MARTI_POLL_SECONDS_AGO", "30"),
];

/// Runs pytak's Marti client against `server` for `secs` seconds with one event to post;
/// returns what it received.
fn run_pytak(
    python: &std::path::Path,
    url: &str,
    extra: &[(&str, String)],
    secs: f64,
) -> Vec<String> {
    use std::io::Write;
    let mut cmd = std::process::Command::new(python);
    cmd.arg(common::peers_dir().join("pytak_marti_peer.py"))
        .arg(secs.to_string())
        .env("COT_URL", url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in PEER_KEYS {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = common::KillOnDrop(cmd.spawn().expect("starting pytak_marti_peer.py"));
    let mut stdin = child.0.stdin.take().unwrap();
    stdin
        .write_all(position("from-pytak").to_xml().as_bytes())
        .unwrap();
    stdin.write_all(b"\n").unwrap();
    drop(stdin);
    // Bounded: the script exits by itself after `secs`; give it a margin, then kill it.
    let deadline = std::time::Instant::now() + Duration::from_secs_f64(secs + 20.0);
    while child.0.try_wait().unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "pytak peer did not exit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut out = String::new();
    let mut err = String::new();
    use std::io::Read;
    child
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.0.wait().unwrap();
    assert!(status.success(), "pytak peer failed: {err}");
    out.lines().map(str::to_string).collect()
}

fn run_takwire(url: &str, extra: &[(&str, String)]) -> Vec<Event> {
    let mut keys: Vec<(&str, &str)> = PEER_KEYS.to_vec();
    keys.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
    let client = Client::connect(config(url, &keys)).unwrap();
    client.send(position("from-takwire")).unwrap();
    let got = receive(&client, 1, WAIT);
    // A second poll, so both clients show how windows follow each other.
    std::thread::sleep(Duration::from_millis(2500));
    client.shutdown();
    got
}

fn compare_with_pytak(
    server_for: impl Fn() -> MartiServer,
    scheme: &str,
    extra: &[(&str, String)],
) {
    let Some(python) = common::peer_python() else {
        return;
    };
    let theirs = server_for();
    theirs.add_event("served", now_ms() - 5000);
    let url = format!("{scheme}://127.0.0.1:{}", theirs.port);
    let received = run_pytak(&python, &url, extra, 3.5);
    assert!(
        received.iter().any(|l| l.contains("uid=\"served\"")),
        "pytak received {received:?}"
    );

    let ours = server_for();
    ours.add_event("served", now_ms() - 5000);
    let url = format!("{scheme}://127.0.0.1:{}", ours.port);
    let got = run_takwire(&url, extra);
    assert_eq!(uids(&got), ["served"]);

    let (a, b) = (shape(&theirs), shape(&ours));
    assert_eq!(
        a, b,
        "pytak's requests (left) differ from takwire's (right)"
    );
    assert_eq!(a.post_keys, ["uid", "toInject"]);
    assert_eq!(a.time_shape, "9999-99-99T99:99:99.999999Z");
    assert_eq!(a.first_window_ms, 30_000);
    // pytak posted its event as it was given.
    let post = &theirs.posts()[0];
    let json: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    let e = Event::from_xml(json["toInject"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(e.uid, "from-pytak");
}

#[test]
fn pytak_makes_the_same_requests_over_http() {
    compare_with_pytak(|| MartiServer::http(Duration::ZERO), "marti+http", &[]);
}

#[test]
fn pytak_makes_the_same_requests_over_https_with_mutual_tls() {
    let ca = make_ca("marti interop CA");
    let server_leaf = leaf(&ca, "marti server", &["127.0.0.1", "localhost"], false);
    let client = leaf(&ca, "marti client", &[], true);
    let dir = TempDir::new("marti-interop");
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    std::fs::write(p("c.crt"), &client.pem).unwrap();
    std::fs::write(p("c.key"), client.key.serialize_pem()).unwrap();
    std::fs::write(p("ca.pem"), &ca.pem).unwrap();
    let keys = vec![
        ("PYTAK_TLS_CLIENT_CERT", p("c.crt")),
        ("PYTAK_TLS_CLIENT_KEY", p("c.key")),
        ("PYTAK_TLS_CLIENT_CAFILE", p("ca.pem")),
    ];
    let cfg = mtls_server_config(&server_leaf, &ca);
    compare_with_pytak(
        || MartiServer::https(cfg.clone(), Duration::ZERO),
        "marti",
        &keys,
    );
}

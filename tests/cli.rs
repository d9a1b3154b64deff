//! The `takwire` command, run as a real process against loopback servers.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use takwire::Event;

fn takwire() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_takwire"));
    // A clean environment: no COT_URL or other keys from the caller.
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PYTAK_RECONNECT_INITIAL", "0.1")
        .current_dir(std::env::temp_dir());
    c
}

/// Runs with `stdin` as input, bounded by a timeout.
fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let out = child.wait_with_output().unwrap();
        let _ = tx.send(());
        out
    });
    if rx.recv_timeout(Duration::from_secs(60)).is_err() {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        panic!("takwire did not exit");
    }
    let _ = writer.join();
    waiter.join().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn events(n: usize) -> (Vec<Event>, Vec<u8>) {
    let evs: Vec<Event> = (0..n)
        .map(|i| {
            Event::position(
                format!("cli-{i}"),
                "a-f-G-U-C",
                i as f64 / 1000.0,
                1.0,
                Duration::from_secs(300),
            )
        })
        .collect();
    let mut bytes = Vec::new();
    for e in &evs {
        bytes.extend_from_slice(e.to_xml().as_bytes());
        bytes.push(b'\n');
    }
    (evs, bytes)
}

#[test]
fn log_stdout_prints_the_hello_and_exits() {
    let out = run(
        {
            let mut c = takwire();
            c.arg("log://stdout");
            c
        },
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line = text(&out.stdout);
    let hello = Event::from_xml(line.trim().as_bytes()).unwrap();
    assert_eq!(
        (hello.uid.as_str(), hello.cot_type.as_str()),
        ("takPing", "t-x-d-d")
    );
    assert!(
        text(&out.stderr).contains("sent=0"),
        "stats line: {}",
        text(&out.stderr)
    );
}

#[test]
fn stdin_events_all_arrive_at_a_tcp_server() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (sent, input) = events(5000);
    let server = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut got = Vec::new();
        let mut r = BufReader::new(s);
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            if let Ok(e) = Event::from_xml(line.trim().as_bytes()) {
                got.push(e);
            }
            line.clear();
        }
        got
    });
    let mut cmd = takwire();
    cmd.args(["--tx-only", "--no-hello"])
        .arg(format!("tcp://127.0.0.1:{port}"));
    let out = run(cmd, &input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = server.join().unwrap();
    assert_eq!(got.len(), sent.len(), "stderr: {}", text(&out.stderr));
    assert_eq!(got, sent);
    assert!(
        text(&out.stderr).contains("sent=5000"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn tx_file_is_sent() {
    let dir = common::TempDir::new("cli-txfile");
    let (sent, input) = events(20);
    let file = dir.path().join("events.xml");
    std::fs::write(&file, &input).unwrap();
    let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let port = rx.local_addr().unwrap().port();
    let mut cmd = takwire();
    cmd.arg("--tx-file")
        .arg(&file)
        .arg("--no-hello")
        .arg(format!("udp+wo://127.0.0.1:{port}"));
    let out = run(cmd, b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut buf = vec![0u8; 65536];
    for e in &sent {
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&Event::from_xml(&buf[..n]).unwrap(), e);
    }
}

#[test]
fn received_events_are_printed_one_per_line_until_sigterm() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut cmd = takwire();
    cmd.args(["--rx-only", &format!("tcp+ro://127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = common::KillOnDrop(cmd.spawn().unwrap());
    let (mut s, _) = l.accept().unwrap();
    let (sent, input) = events(3);
    s.write_all(&input).unwrap();
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    for e in &sent {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(&Event::from_xml(line.trim().as_bytes()).unwrap(), e);
    }
    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = common::wait_for(Duration::from_secs(10), || child.0.try_wait().unwrap())
        .expect("no exit after SIGTERM");
    assert!(status.success(), "exit {status:?}");
    let mut err = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("received=3"), "{err}");
}

#[test]
fn configuration_from_an_ini_section_and_environment() {
    let dir = common::TempDir::new("cli-ini");
    let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let port = rx.local_addr().unwrap().port();
    let ini = dir.path().join("tool.ini");
    std::fs::write(
        &ini,
        format!("[mytool]\nCOT_URL = udp+wo://127.0.0.1:{port}\nPYTAK_NO_HELLO = false\n"),
    )
    .unwrap();
    let mut cmd = takwire();
    cmd.arg("-c")
        .arg(&ini)
        .args(["--section", "mytool"])
        .env("COT_HOST_ID", "cli-test@host");
    let out = run(cmd, b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut buf = vec![0u8; 65536];
    let n = rx.recv(&mut buf).unwrap();
    let hello = Event::from_xml(&buf[..n]).unwrap();
    assert_eq!(
        hello.uid, "cli-test@host",
        "hello uid from the environment's COT_HOST_ID"
    );
    // A section that is not there.
    let mut cmd = takwire();
    cmd.arg("-c").arg(&ini).args(["--section", "other"]);
    let out = run(cmd, b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("[other]") && text(&out.stderr).contains("mytool"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_configuration_exits_2_and_names_the_key() {
    for (args, env, needle) in [
        (vec!["gopher://x:1"], vec![], "COT_URL"),
        (vec!["tcp+wo+ro://x:1"], vec![], "cannot be combined"),
        (
            vec!["log://stdout"],
            vec![("MAX_OUT_QUEUE", "lots")],
            "MAX_OUT_QUEUE",
        ),
        (
            vec!["log://stdout", "--tak-proto", "3"],
            vec![],
            "TAK_PROTO",
        ),
        (
            vec!["--tx-file", "/nonexistent/events.xml", "log://stdout"],
            vec![],
            "/nonexistent/events.xml",
        ),
    ] {
        let mut cmd = takwire();
        cmd.args(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = run(cmd, b"");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn refused_connection_exits_1() {
    let port = common::free_tcp_port();
    let mut cmd = takwire();
    cmd.arg(format!("tcp://127.0.0.1:{port}"))
        .env("PYTAK_RECONNECT", "0");
    let out = run(cmd, b"");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("refused"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn help_lists_the_schemes_and_exit_codes() {
    let out = run(
        {
            let mut c = takwire();
            c.arg("--help");
            c
        },
        b"",
    );
    assert!(out.status.success());
    let help = text(&out.stdout);
    for s in [
        "tcp://",
        "tls://",
        "udp://",
        "udp+broadcast://",
        "log://stdout",
        "marti://",
        "wss://",
        "tak://",
        "+wo",
        "+ro",
        "Exit codes",
    ] {
        assert!(help.contains(s), "--help lacks {s}");
    }
}

#[test]
#[cfg(feature = "completions")]
fn version_and_shell_completions() {
    let out = run(
        {
            let mut c = takwire();
            c.arg("--version");
            c
        },
        b"",
    );
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!("takwire {}", env!("CARGO_PKG_VERSION"))
    );
    for (shell, needle) in [
        ("bash", "_takwire()"),
        ("zsh", "#compdef takwire"),
        ("fish", "complete -c takwire"),
    ] {
        let mut c = takwire();
        c.args(["completions", shell]);
        let out = run(c, b"");
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains(needle), "{shell}");
        // Subcommands and their flags are completed.
        for word in ["send", "completions", "tx-file", "format", "every"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
        if shell == "bash" {
            // The script is valid bash.
            let check = std::process::Command::new("bash")
                .arg("-n")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .and_then(|mut p| {
                    p.stdin.take().unwrap().write_all(script.as_bytes())?;
                    p.wait_with_output()
                })
                .unwrap();
            assert!(check.status.success(), "{}", text(&check.stderr));
        }
    }
    let mut c = takwire();
    c.args(["completions", "tcsh"]);
    let out = run(c, b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bash"), "{}", text(&out.stderr));
}

#[test]
fn every_subcommand_has_examples_in_its_help() {
    for args in [
        vec!["--help"],
        vec!["send", "--help"],
        vec!["completions", "--help"],
    ] {
        let mut c = takwire();
        c.args(&args);
        let out = run(c, b"");
        assert!(out.status.success(), "{args:?}");
        let help = text(&out.stdout);
        let examples = help
            .split("Examples:")
            .nth(1)
            .unwrap_or_else(|| panic!("{args:?}: no examples"));
        let lines: Vec<&str> = examples
            .lines()
            .filter(|l| l.trim_start().starts_with("takwire ") || l.contains("| takwire "))
            .collect();
        assert!(lines.len() >= 3, "{args:?}: {examples}");
        // Every example's first word after `takwire` is a subcommand, a flag or a URL.
        for l in lines {
            let at = l.find("takwire ").unwrap() + "takwire ".len();
            let first = l[at..].split_whitespace().next().unwrap_or("");
            assert!(
                ["send", "completions"].contains(&first)
                    || first.starts_with('-')
                    || first.contains("://"),
                "{l}"
            );
        }
    }
}

#[test]
fn subcommands_and_urls_are_told_apart() {
    // A URL where a subcommand could be: the pipe mode.
    let out = run(
        {
            let mut c = takwire();
            c.args(["log://stdout", "--no-hello"]);
            c
        },
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Pipe-mode flags do not mix with a subcommand.
    let mut c = takwire();
    c.args([
        "--rx-only",
        "send",
        "--uid",
        "x",
        "--lat",
        "1",
        "--lon",
        "1",
    ]);
    let out = run(c, b"");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

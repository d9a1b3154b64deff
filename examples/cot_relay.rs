//! A minimal CoT router for tests and benchmarks: accepts TCP clients on 127.0.0.1 and copies
//! every byte one client sends to all the others (like a TAK server's fan-out, without
//! parsing anything, so it favours no client library).
//!
//! ```sh
//! cargo run --release --example cot_relay -- 8087      # then point two clients at tcp://127.0.0.1:8087
//! cargo run --release --example cot_relay -- 8087 --takp
//! ```
//!
//! With `--takp` it also offers TAK protocol version 1 to each client as TAK Server does
//! (a `t-x-takp-v` event on connect) and accepts a client's `t-x-takp-q` request with a
//! `t-x-takp-r` response, which it does not forward; everything else is copied as bytes.
//! So clients that negotiate (takwire with TAK_PROTO=1) switch to protobuf through it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

type Clients = Arc<Mutex<Vec<(u64, TcpStream)>>>;

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8087);
    let takp = std::env::args().any(|a| a == "--takp");
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    eprintln!(
        "cot_relay listening on 127.0.0.1:{}",
        listener.local_addr()?.port()
    );
    let clients: Clients = Arc::new(Mutex::new(Vec::new()));
    for (id, stream) in listener.incoming().enumerate() {
        let mut stream = stream?;
        let _ = stream.set_nodelay(true);
        if takp {
            stream.write_all(
                control_event("t-x-takp-v", "<TakProtocolSupport version=\"1\"/>").as_bytes(),
            )?;
        }
        let id = id as u64;
        if let Ok(mut list) = clients.lock() {
            list.push((id, stream.try_clone()?));
        }
        let clients = clients.clone();
        std::thread::spawn(move || pump(id, stream, &clients, takp));
    }
    Ok(())
}

/// Copies what `id` sends to every other client; drops clients whose writes fail. With
/// `takp`, events are copied whole until the client's TAK protocol request, which is
/// answered, not copied; then bytes are copied as they come.
fn pump(id: u64, mut stream: TcpStream, clients: &Clients, mut takp: bool) {
    let mut buf = vec![0u8; 256 * 1024];
    let mut pending = Vec::new();
    let mut negotiated = Vec::new();
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let out: &[u8] = if takp {
            pending.extend_from_slice(&buf[..n]);
            let mut done = 0;
            while let Some(e) = find(&pending[done..], b"</event>") {
                let end = done + e + b"</event>".len();
                if find(&pending[done..end], b"t-x-takp-q").is_some() {
                    let ok = control_event("t-x-takp-r", "<TakResponse status=\"true\"/>");
                    if stream.write_all(ok.as_bytes()).is_err() {
                        return;
                    }
                    pending.drain(done..end);
                    done = pending.len();
                    takp = false;
                    break;
                }
                done = end;
            }
            if pending.len() > 1 << 20 {
                done = pending.len();
                takp = false;
            }
            negotiated.clear();
            negotiated.extend(pending.drain(..done));
            &negotiated
        } else {
            &buf[..n]
        };
        if out.is_empty() {
            continue;
        }
        let Ok(mut list) = clients.lock() else { break };
        list.retain_mut(|(other, s)| *other == id || s.write_all(out).is_ok());
    }
    if let Ok(mut list) = clients.lock() {
        list.retain(|(other, _)| *other != id);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A TAK protocol control event as TAK Server sends it.
fn control_event(kind: &str, control: &str) -> String {
    let t = "2026-01-01T00:00:00.000Z";
    let stale = "2100-01-01T00:00:00.000Z";
    format!(
        "<event version=\"2.0\" uid=\"protouid\" type=\"{kind}\" time=\"{t}\" start=\"{t}\" \
         stale=\"{stale}\" how=\"m-g\"><point lat=\"0.0\" lon=\"0.0\" hae=\"0.0\" ce=\"999999\" \
         le=\"999999\"/><detail><TakControl>{control}</TakControl></detail></event>"
    )
}

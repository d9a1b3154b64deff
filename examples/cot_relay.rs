//! A minimal CoT router for tests and benchmarks: accepts TCP clients on 127.0.0.1 and copies
//! every byte one client sends to all the others (like a TAK server's fan-out, without
//! parsing anything, so it favours no client library).
//!
//! ```sh
//! cargo run --release --example cot_relay -- 8087      # then point two clients at tcp://127.0.0.1:8087
//! ```

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

type Clients = Arc<Mutex<Vec<(u64, TcpStream)>>>;

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8087);
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    eprintln!(
        "cot_relay listening on 127.0.0.1:{}",
        listener.local_addr()?.port()
    );
    let clients: Clients = Arc::new(Mutex::new(Vec::new()));
    for (id, stream) in listener.incoming().enumerate() {
        let stream = stream?;
        let _ = stream.set_nodelay(true);
        let id = id as u64;
        if let Ok(mut list) = clients.lock() {
            list.push((id, stream.try_clone()?));
        }
        let clients = clients.clone();
        std::thread::spawn(move || pump(id, stream, &clients));
    }
    Ok(())
}

/// Copies what `id` sends to every other client; drops clients whose writes fail.
fn pump(id: u64, mut stream: TcpStream, clients: &Clients) {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let Ok(mut list) = clients.lock() else { break };
        list.retain_mut(|(other, s)| *other == id || s.write_all(&buf[..n]).is_ok());
    }
    if let Ok(mut list) = clients.lock() {
        list.retain(|(other, _)| *other != id);
    }
}

//! Receives events and prints each as one line of XML, for a while.
//!
//! ```sh
//! cargo run --example receive_print                         # Mesh SA multicast on this machine
//! cargo run --example receive_print -- tcp://takserver:8087 60
//! ```

use std::time::{Duration, Instant};

use takwire::{Client, Config};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "udp+ro://239.2.3.1:6969".to_string());
    let seconds: u64 = args.next().map(|c| c.parse()).transpose()?.unwrap_or(20);
    let config = Config::builder()
        .env()
        .set("COT_URL", &url)
        .set(
            "PYTAK_MULTICAST_LOCAL_ADDR",
            std::env::var("PYTAK_MULTICAST_LOCAL_ADDR").unwrap_or_else(|_| "127.0.0.1".into()),
        )
        .build()?;
    let client = Client::connect(config)?;
    eprintln!("listening on {url} for {seconds} s");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if let Some(event) = client.recv_timeout(left)? {
            println!("{}", event.to_xml());
        }
    }
    eprintln!("{}", client.shutdown());
    Ok(())
}

//! Sends a position report every few seconds: a unit walking a small circle.
//!
//! ```sh
//! cargo run --example send_position                       # Mesh SA multicast, kept on this machine
//! cargo run --example send_position -- tcp://takserver:8087 10   # 10 reports to a TAK server
//! ```
//!
//! The default destination is ATAK's Mesh SA group 239.2.3.1:6969 on the loopback
//! interface, so `cargo run --example mesh_listener` in another terminal shows it.

use std::time::Duration;

use takwire::{Client, Config, Event};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "udp+wo://239.2.3.1:6969".to_string());
    let count: u64 = args.next().map(|c| c.parse()).transpose()?.unwrap_or(5);
    let config = Config::builder()
        .env()
        .set("COT_URL", &url)
        .set(
            "PYTAK_MULTICAST_LOCAL_ADDR",
            std::env::var("PYTAK_MULTICAST_LOCAL_ADDR").unwrap_or_else(|_| "127.0.0.1".into()),
        )
        .build()?;
    let stale = config.cot_stale;
    let client = Client::connect(config)?;
    for i in 0..count {
        let angle = i as f64 * 0.3;
        let event = Event::builder("takwire-example-walker", "a-f-G-U-C")
            .point(59.9139 + 0.001 * angle.cos(), 10.7522 + 0.002 * angle.sin())
            .callsign("WALKER")
            .remarks(&format!("report {} of {count}", i + 1))
            .stale_after(stale)
            .build();
        client.send(event)?;
        println!("sent report {} of {count} to {url}", i + 1);
        if i + 1 < count {
            std::thread::sleep(Duration::from_secs(3));
        }
    }
    println!("{}", client.shutdown());
    Ok(())
}

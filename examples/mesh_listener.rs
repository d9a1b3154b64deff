//! A Mesh SA listener: keeps a table of who is on the mesh (uid, callsign, position, age)
//! and prints it whenever it changes.
//!
//! ```sh
//! cargo run --example mesh_listener            # 239.2.3.1:6969 on the loopback interface
//! PYTAK_MULTICAST_LOCAL_ADDR=192.168.1.10 cargo run --example mesh_listener   # a real LAN
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use takwire::{Client, Config, Event};

struct Contact {
    callsign: String,
    cot_type: String,
    lat: f64,
    lon: f64,
    seen: Instant,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map(|c| c.parse())
        .transpose()?
        .unwrap_or(30);
    let config = Config::builder()
        .env()
        .set("COT_URL", "udp+ro://239.2.3.1:6969")
        .set(
            "PYTAK_MULTICAST_LOCAL_ADDR",
            std::env::var("PYTAK_MULTICAST_LOCAL_ADDR").unwrap_or_else(|_| "127.0.0.1".into()),
        )
        .build()?;
    let client = Client::connect(config)?;
    eprintln!("Mesh SA on 239.2.3.1:6969 for {seconds} s");
    let mut table: BTreeMap<String, Contact> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(event) = client.recv_timeout(left)? else {
            continue;
        };
        if event.cot_type.starts_with("t-x-") {
            continue; // pings and hellos
        }
        table.insert(event.uid.clone(), contact(&event));
        println!(
            "{:<36} {:<16} {:<12} {:>10} {:>11} {:>6}",
            "uid", "callsign", "type", "lat", "lon", "age s"
        );
        for (uid, c) in &table {
            println!(
                "{:<36} {:<16} {:<12} {:>10.5} {:>11.5} {:>6}",
                uid,
                c.callsign,
                c.cot_type,
                c.lat,
                c.lon,
                c.seen.elapsed().as_secs()
            );
        }
        println!();
    }
    eprintln!("{}", client.shutdown());
    Ok(())
}

fn contact(event: &Event) -> Contact {
    let callsign = event
        .detail
        .element("contact")
        .and_then(|c| c.attribute("callsign"))
        .unwrap_or_else(|| "-".to_string());
    Contact {
        callsign,
        cot_type: event.cot_type.clone(),
        lat: event.point.lat,
        lon: event.point.lon,
        seen: Instant::now(),
    }
}

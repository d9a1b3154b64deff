//! Small helpers with no better home.

use std::sync::atomic::{AtomicU64, Ordering};

/// A random number in [0, 1), from the system's random source (falling back to a
/// time-seeded generator if that fails). Used for jitter and FTS_COMPAT sleeps, not secrets.
pub fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    let bits = if getrandom::fill(&mut bytes).is_ok() {
        u64::from_le_bytes(bytes)
    } else {
        fallback_random()
    };
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

fn fallback_random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = STATE.fetch_add(nanos | 1, Ordering::Relaxed) ^ nanos;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// Logs a recurring problem at warn level the first few times and then only now and then,
/// so a hostile peer cannot flood the log. `count` is the running total of such problems.
pub fn log_sparingly(count: u64, args: std::fmt::Arguments<'_>) {
    if count <= 10 || count.is_power_of_two() {
        log::warn!("{args} ({count} so far)");
    } else {
        log::debug!("{args}");
    }
}

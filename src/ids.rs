//! Ids for transactions and queued messages.

use std::sync::atomic::{AtomicU64, Ordering};

static IDS: AtomicU64 = AtomicU64::new(0);

/// A short unique id for a transaction (time in µs, then a counter), as in logs and Received:.
pub fn new_id() -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("{:x}{:04x}", t.as_micros(), IDS.fetch_add(1, Ordering::Relaxed) & 0xffff)
}

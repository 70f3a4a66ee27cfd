//! Greylisting: the first message of a (client network, sender, recipient) triplet is deferred
//! with 451 4.7.1; a retry after `greylist_delay` passes, and so does every later message of
//! the triplet while it keeps coming (35 days after it was last seen). Real mail servers retry;
//! much spam software does not.

use std::net::IpAddr;
use std::time::Duration;

use crate::error::Result;
use crate::store::{Store, greylist, now};

/// How long a triplet that passed keeps passing after it was last seen.
pub const KEEP: i64 = 35 * 86400;

/// A passed triplet's last-seen time is written at most this often (not on every message).
const TOUCH_EVERY: i64 = 86400;

/// The verdict on a triplet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grey {
    Pass,
    /// Deferred: seconds until a retry passes.
    Defer(i64),
}

/// What to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Nothing,
    Insert,
    Restart,
    Passed,
}

/// The network a client address belongs to for greylisting: its /24 or /64.
pub fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
    }
}

/// The rule, on a triplet's record (first seen, passed at, last seen).
fn judge(record: Option<(i64, Option<i64>, i64)>, now: i64, delay: i64) -> (Grey, Write) {
    match record {
        None => (Grey::Defer(delay), Write::Insert),
        Some((_, _, last)) if now - last > KEEP => (Grey::Defer(delay), Write::Restart),
        Some((_, Some(_), last)) => {
            (Grey::Pass, if now - last >= TOUCH_EVERY { Write::Passed } else { Write::Nothing })
        }
        Some((first, None, _)) if now - first >= delay => (Grey::Pass, Write::Passed),
        Some((first, None, _)) => (Grey::Defer(delay - (now - first)), Write::Nothing),
    }
}

/// Check (and record) a triplet.
pub async fn check(store: &Store, ip: IpAddr, sender: &str, recipient: &str, delay: Duration) -> Result<Grey> {
    let (net, sender, recipient) = (network(ip), sender.to_ascii_lowercase(), recipient.to_ascii_lowercase());
    let now = now();
    let mut conn = store.pool.acquire().await?;
    let record = greylist::get(&mut conn, &net, &sender, &recipient).await?;
    let (grey, write) = judge(record, now, delay.as_secs() as i64);
    match write {
        Write::Nothing => {}
        Write::Insert => {
            greylist::expire(&mut conn, now - KEEP).await?;
            greylist::insert(&mut conn, &net, &sender, &recipient, now).await?;
        }
        Write::Restart => greylist::restart(&mut conn, &net, &sender, &recipient, now).await?,
        Write::Passed => greylist::passed(&mut conn, &net, &sender, &recipient, now).await?,
    }
    Ok(grey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_the_slash_24_or_slash_64() {
        assert_eq!(network("192.0.2.77".parse().unwrap()), "192.0.2.0/24");
        assert_eq!(network("2001:db8:1:2:3:4:5:6".parse().unwrap()), "2001:db8:1:2::/64");
    }

    #[test]
    fn a_triplet_passes_after_the_delay_and_then_for_35_days() {
        let d = 300;
        let rows = [
            ("new", None, 1000, (Grey::Defer(300), Write::Insert)),
            ("retry too soon", Some((1000, None, 1000)), 1100, (Grey::Defer(200), Write::Nothing)),
            ("retry after the delay", Some((1000, None, 1000)), 1300, (Grey::Pass, Write::Passed)),
            ("passed, seen today", Some((1000, Some(1300), 1300)), 5000, (Grey::Pass, Write::Nothing)),
            ("passed, seen yesterday", Some((1000, Some(1300), 1300)), 1300 + 86400, (Grey::Pass, Write::Passed)),
            (
                "passed, not seen for 35 days",
                Some((1000, Some(1300), 1300)),
                1301 + KEEP,
                (Grey::Defer(300), Write::Restart),
            ),
        ];
        for (name, record, now, want) in rows {
            assert_eq!(judge(record, now, d), want, "{name}");
        }
    }
}

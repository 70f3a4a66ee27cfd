//! Connection limits (total and per client address) and the failed-login limiter that SMTP
//! AUTH shares with IMAP and POP3.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The key a client is counted under: its IPv4 address, or its IPv6 /64 (one host usually
/// has a whole /64, so per-address limits on IPv6 would be no limit at all).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => IpAddr::V4(v6.to_ipv4_mapped().expect("checked")),
        v4 => v4,
    }
}

/// Counts open connections; a guard releases its slot when dropped.
pub struct Connections {
    total: usize,
    per_ip: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

pub struct Slot {
    owner: Arc<Connections>,
    ip: IpAddr,
}

impl Connections {
    pub fn new(total: usize, per_ip: usize) -> Arc<Connections> {
        Arc::new(Connections { total, per_ip, open: Mutex::new((0, HashMap::new())) })
    }

    /// A slot for a new connection from `ip`, or None when a limit is reached.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let ip = client_key(ip);
        let mut g = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let here = g.1.get(&ip).copied().unwrap_or(0);
        if g.0 >= self.total || here >= self.per_ip {
            return None;
        }
        g.0 += 1;
        g.1.insert(ip, here + 1);
        Some(Slot { owner: self.clone(), ip })
    }

    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).0
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut g = self.owner.open.lock().unwrap_or_else(|p| p.into_inner());
        g.0 = g.0.saturating_sub(1);
        if let Some(n) = g.1.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                g.1.remove(&self.ip);
            }
        }
    }
}

/// Memory for messages being received, shared by every session, so that many clients sending
/// large messages at once cannot exhaust the machine. Counted in KiB.
pub struct MemoryBudget {
    kib: Arc<tokio::sync::Semaphore>,
}

/// A session's share of the budget, given back when dropped.
pub struct Held {
    budget: Arc<tokio::sync::Semaphore>,
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    kib: u32,
}

impl MemoryBudget {
    pub fn new(bytes: u64) -> MemoryBudget {
        let kib = (bytes / 1024).clamp(64, u32::MAX as u64 / 2) as usize;
        MemoryBudget { kib: Arc::new(tokio::sync::Semaphore::new(kib)) }
    }

    pub fn hold(&self) -> Held {
        Held { budget: self.kib.clone(), permit: None, kib: 0 }
    }
}

impl Held {
    /// Cover `bytes` of message in memory; false when the budget is spent.
    pub fn cover(&mut self, bytes: usize) -> bool {
        let need = bytes.div_ceil(1024) as u32;
        if need <= self.kib {
            return true;
        }
        // Take at least 64 KiB at a time, so the semaphore is not touched per line.
        let more = (need - self.kib).max(64);
        match self.budget.clone().try_acquire_many_owned(more) {
            Ok(p) => {
                match &mut self.permit {
                    Some(held) => held.merge(p),
                    None => self.permit = Some(p),
                }
                self.kib += more;
                true
            }
            Err(_) => false,
        }
    }
}

/// Failed logins per client address in a sliding minute.
pub struct AuthLimiter {
    max: AtomicUsize,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl AuthLimiter {
    pub fn new(max_per_minute: usize) -> AuthLimiter {
        AuthLimiter {
            max: AtomicUsize::new(max_per_minute),
            window: Duration::from_secs(60),
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn prune(q: &mut VecDeque<Instant>, window: Duration) {
        while q.front().is_some_and(|t| t.elapsed() > window) {
            q.pop_front();
        }
    }

    /// Change the limit (config reload).
    pub fn set_max(&self, max_per_minute: usize) {
        self.max.store(max_per_minute, Ordering::Relaxed);
    }

    /// Is this address locked out now?
    pub fn locked(&self, ip: IpAddr) -> bool {
        let ip = client_key(ip);
        let max = self.max.load(Ordering::Relaxed);
        let mut g = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match g.get_mut(&ip) {
            Some(q) => {
                Self::prune(q, self.window);
                q.len() >= max
            }
            None => false,
        }
    }

    pub fn failed(&self, ip: IpAddr) {
        let ip = client_key(ip);
        let mut g = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if g.len() > 100_000 {
            // Bounded memory under a wide attack: forget the quiet addresses.
            let w = self.window;
            g.retain(|_, q| {
                Self::prune(q, w);
                !q.is_empty()
            });
        }
        let q = g.entry(ip).or_default();
        Self::prune(q, self.window);
        q.push_back(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_slots() {
        let c = Connections::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let s1 = c.admit(a).unwrap();
        let _s2 = c.admit(a).unwrap();
        assert!(c.admit(a).is_none(), "per-IP limit");
        let _s3 = c.admit(b).unwrap();
        assert!(c.admit(b).is_none(), "total limit");
        drop(s1);
        assert!(c.admit(b).is_some());
    }

    #[test]
    fn ipv6_counts_by_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(client_key("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn memory_budget() {
        let b = MemoryBudget::new(256 * 1024);
        let mut a = b.hold();
        assert!(a.cover(100 * 1024));
        let mut c = b.hold();
        assert!(c.cover(100 * 1024));
        assert!(!c.cover(200 * 1024), "over the budget");
        drop(a);
        assert!(c.cover(200 * 1024), "freed when a session lets go");
    }

    #[test]
    fn auth_lockout() {
        let l = AuthLimiter::new(3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(!l.locked(ip));
            l.failed(ip);
        }
        assert!(l.locked(ip));
        assert!(!l.locked("10.0.0.2".parse().unwrap()));
    }
}

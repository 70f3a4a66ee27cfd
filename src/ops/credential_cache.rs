//! The credential cache: logins verified lately, so that a client that reconnects all day
//! costs one keyed hash instead of an Argon2id run each time.
//!
//! An entry is HMAC-SHA256, under a random key made at start and never stored, of the
//! password together with the account row it was verified against: id, stored password hash,
//! tier and status. A lookup computes the same over the supplied password and the row as it is
//! *now*, so a new password hash (`account passwd`, from any process), a deleted and re-created
//! account, a suspension or a tier change no longer match, with no message between processes.
//! The password itself is never kept, and only successes are ever remembered.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ring::hmac;

use crate::store::Account;

/// Accounts remembered at most (about 100 bytes each); beyond it the oldest are forgotten.
pub const CAPACITY: usize = 100_000;

pub struct CredentialCache {
    key: hmac::Key,
    ttl_secs: AtomicU64,
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<i64, Entry>,
    /// Account ids in the order they were remembered, to forget the oldest first. An id
    /// remembered again leaves a stale record here, recognised by its time.
    order: VecDeque<(i64, Instant)>,
}

struct Entry {
    tag: hmac::Tag,
    at: Instant,
}

impl CredentialCache {
    pub fn new(ttl: Duration) -> CredentialCache {
        CredentialCache::with_capacity(ttl, CAPACITY)
    }

    pub fn with_capacity(ttl: Duration, capacity: usize) -> CredentialCache {
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &ring::rand::SystemRandom::new())
            .expect("the system's random number generator");
        CredentialCache { key, ttl_secs: AtomicU64::new(ttl.as_secs()), capacity, state: Default::default() }
    }

    /// A new lifetime (SIGHUP); it applies to entries already remembered, and zero forgets all.
    pub fn set_ttl(&self, ttl: Duration) {
        self.ttl_secs.store(ttl.as_secs(), Ordering::Relaxed);
        if ttl.is_zero() {
            *self.state() = State::default();
        }
    }

    /// Was `password` verified lately against this very row (same hash, tier and status)?
    pub fn verified(&self, account: &Account, password: &str) -> bool {
        self.verified_at(account, password, Instant::now())
    }

    /// Remember that `password` matched this row. Call only after a successful check.
    pub fn remember(&self, account: &Account, password: &str) {
        self.remember_at(account, password, Instant::now())
    }

    pub fn forget(&self, account_id: i64) {
        self.state().entries.remove(&account_id);
    }

    pub fn len(&self) -> usize {
        self.state().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn verified_at(&self, account: &Account, password: &str, now: Instant) -> bool {
        let Some(ttl) = self.ttl() else { return false };
        // The tag is copied out so that the hash runs outside the lock.
        let tag = match self.state().entries.get(&account.id) {
            Some(e) if now.saturating_duration_since(e.at) < ttl => e.tag,
            _ => return false,
        };
        // Compares in constant time (the key already makes timing useless, but it is free).
        hmac::verify(&self.key, &message(account, password), tag.as_ref()).is_ok()
    }

    fn remember_at(&self, account: &Account, password: &str, now: Instant) {
        let Some(ttl) = self.ttl() else { return };
        let tag = hmac::sign(&self.key, &message(account, password));
        let mut guard = self.state();
        let state = &mut *guard;
        // Expired entries first: the order queue is oldest first.
        while let Some(&(id, at)) = state.order.front() {
            if now.saturating_duration_since(at) < ttl {
                break;
            }
            state.order.pop_front();
            if state.entries.get(&id).is_some_and(|e| e.at == at) {
                state.entries.remove(&id);
            }
        }
        state.entries.insert(account.id, Entry { tag, at: now });
        state.order.push_back((account.id, now));
        // Stale records (ids remembered again) must not make the queue grow without bound.
        if state.order.len() > 2 * self.capacity.max(1) {
            let entries = &state.entries;
            state.order.retain(|(id, at)| entries.get(id).is_some_and(|e| e.at == *at));
        }
        while state.entries.len() > self.capacity {
            let Some((id, at)) = state.order.pop_front() else { break };
            if state.entries.get(&id).is_some_and(|e| e.at == at) {
                state.entries.remove(&id);
            }
        }
    }

    fn ttl(&self) -> Option<Duration> {
        match self.ttl_secs.load(Ordering::Relaxed) {
            0 => None,
            s => Some(Duration::from_secs(s)),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What an entry vouches for, each field length-prefixed so that no two rows can run together
/// into the same bytes.
fn message(account: &Account, password: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(password.len() + account.password_hash.len() + 64);
    m.extend_from_slice(&account.id.to_be_bytes());
    for field in [password, &account.password_hash, account.tier.as_str(), account.status.as_str()] {
        m.extend_from_slice(&(field.len() as u64).to_be_bytes());
        m.extend_from_slice(field.as_bytes());
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Status;
    use crate::tier::Tier;

    const HOUR: Duration = Duration::from_secs(3600);

    fn account(id: i64) -> Account {
        Account {
            id,
            address: format!("u{id}@example.com"),
            local_part: format!("u{id}"),
            domain: "example.com".into(),
            tier: Tier::Free,
            owner: None,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
            quota_bytes: None,
            quota_custom: false,
            used_bytes: 0,
            messages: 0,
            status: Status::Active,
            suspended_reason: None,
            admin_status: Status::Active,
            mailbox_tier: Tier::Vip,
            created_at: 0,
            updated_at: 0,
            last_login_at: None,
        }
    }

    #[test]
    fn a_remembered_password_is_verified_for_the_same_row() {
        let cache = CredentialCache::new(HOUR);
        let a = account(1);
        assert!(!cache.verified(&a, "password123"), "nothing before it is remembered");
        cache.remember(&a, "password123");
        assert!(cache.verified(&a, "password123"));
    }

    #[test]
    fn only_the_remembered_password_and_account_match() {
        let cache = CredentialCache::new(HOUR);
        cache.remember(&account(1), "password123");
        for (id, password) in [(1, "password124"), (1, ""), (1, "password123 "), (1, "PASSWORD123"), (2, "password123")]
        {
            assert!(!cache.verified(&account(id), password), "{id} {password:?}");
        }
    }

    #[test]
    fn a_changed_row_no_longer_matches() {
        type Change = fn(&mut Account);
        let changes: [(&str, Change); 4] = [
            ("new password hash", |a| a.password_hash.push('x')),
            ("suspended", |a| a.status = Status::Suspended),
            ("new tier", |a| a.tier = Tier::Vip),
            ("re-created with the same hash", |a| a.id = 7),
        ];
        for (what, change) in changes {
            let cache = CredentialCache::new(HOUR);
            let mut a = account(1);
            cache.remember(&a, "password123");
            change(&mut a);
            assert!(!cache.verified(&a, "password123"), "{what}");
        }
    }

    #[test]
    fn fields_cannot_run_together() {
        // Without length prefixes, "pass" + "word..." and "password" + "..." would be one message.
        let cache = CredentialCache::new(HOUR);
        let mut a = account(1);
        a.password_hash = "word$hash".into();
        cache.remember(&a, "pass");
        a.password_hash = "$hash".into();
        assert!(!cache.verified(&a, "password"));
    }

    #[test]
    fn an_entry_expires_after_the_ttl() {
        let cache = CredentialCache::new(HOUR);
        let (a, t0) = (account(1), Instant::now());
        cache.remember_at(&a, "password123", t0);
        assert!(cache.verified_at(&a, "password123", t0 + HOUR - Duration::from_secs(1)));
        assert!(!cache.verified_at(&a, "password123", t0 + HOUR));
    }

    #[test]
    fn a_shorter_ttl_applies_to_remembered_entries() {
        let cache = CredentialCache::new(HOUR);
        let (a, t0) = (account(1), Instant::now());
        cache.remember_at(&a, "password123", t0);
        cache.set_ttl(Duration::from_secs(60));
        assert!(!cache.verified_at(&a, "password123", t0 + Duration::from_secs(60)));
    }

    #[test]
    fn ttl_zero_remembers_nothing() {
        let cache = CredentialCache::new(Duration::ZERO);
        let a = account(1);
        cache.remember(&a, "password123");
        assert!(!cache.verified(&a, "password123"));
        assert!(cache.is_empty());
    }

    #[test]
    fn ttl_zero_on_reload_forgets_everything() {
        let cache = CredentialCache::new(HOUR);
        let a = account(1);
        cache.remember(&a, "password123");
        cache.set_ttl(Duration::ZERO);
        assert!(cache.is_empty());
        cache.set_ttl(HOUR);
        assert!(!cache.verified(&a, "password123"));
    }

    #[test]
    fn forget_drops_an_account() {
        let cache = CredentialCache::new(HOUR);
        let a = account(1);
        cache.remember(&a, "password123");
        cache.forget(1);
        assert!(!cache.verified(&a, "password123"));
    }

    #[test]
    fn the_cache_holds_at_most_its_capacity_forgetting_the_oldest() {
        let cache = CredentialCache::with_capacity(HOUR, 3);
        let t0 = Instant::now();
        for id in 1..=5 {
            cache.remember_at(&account(id), "password123", t0 + Duration::from_secs(id as u64));
        }
        assert_eq!(cache.len(), 3);
        let later = t0 + Duration::from_secs(10);
        let kept: Vec<i64> = (1..=5).filter(|&id| cache.verified_at(&account(id), "password123", later)).collect();
        assert_eq!(kept, [3, 4, 5]);
    }

    #[test]
    fn remembering_one_account_again_and_again_keeps_the_queue_bounded() {
        let cache = CredentialCache::with_capacity(HOUR, 3);
        let t0 = Instant::now();
        for i in 0..100u64 {
            cache.remember_at(&account(1), &format!("password{i}"), t0 + Duration::from_millis(i));
        }
        assert_eq!(cache.len(), 1);
        assert!(cache.state().order.len() <= 6);
        assert!(cache.verified_at(&account(1), "password99", t0 + Duration::from_secs(1)));
        assert!(!cache.verified_at(&account(1), "password98", t0 + Duration::from_secs(1)), "the last one counts");
    }

    #[test]
    fn expired_entries_are_dropped_when_new_ones_come() {
        let cache = CredentialCache::new(HOUR);
        let t0 = Instant::now();
        cache.remember_at(&account(1), "password123", t0);
        cache.remember_at(&account(2), "password123", t0 + HOUR);
        assert_eq!(cache.len(), 1);
    }
}

//! Quotas: show, set, recalc. Usage lives in the store; `recalc` measures the Maildir.

use serde::Serialize;

use crate::error::Result;
use crate::names::Address;
use crate::ops::require_account;
use crate::size::Limit;
use crate::store::{Account, Store, accounts, maildir, now};

pub async fn show(store: &Store, address: Option<&str>) -> Result<Vec<Account>> {
    match address {
        Some(a) => Ok(vec![crate::ops::account::get(store, a).await?]),
        None => {
            let mut conn = store.pool.acquire().await?;
            accounts::list(&mut conn, None, None).await
        }
    }
}

/// What `quota set` takes: a limit, or `default` to follow the tier again.
pub enum NewQuota {
    Limit(Limit),
    TierDefault,
}

impl NewQuota {
    pub fn parse(s: &str) -> Result<NewQuota> {
        if s.trim().eq_ignore_ascii_case("default") {
            Ok(NewQuota::TierDefault)
        } else {
            Limit::parse(s).map(NewQuota::Limit)
        }
    }
}

pub async fn set(store: &Store, address: &str, quota: NewQuota) -> Result<Account> {
    let addr = Address::parse(address)?;
    let mut tx = store.begin_admin().await?;
    let acct = require_account(&mut tx, &addr).await?;
    let (bytes, custom) = match quota {
        NewQuota::Limit(l) => (l.as_db(), true),
        // A lapsed account keeps its mailbox tier's quota for the way back.
        NewQuota::TierDefault => (acct.mailbox_tier.default_quota().map(|q| q as i64), false),
    };
    accounts::set_quota(&mut tx, acct.id, bytes, custom, now()).await?;
    let updated = require_account(&mut tx, &addr).await?;
    tx.commit().await?;
    Ok(updated)
}

#[derive(Debug, Serialize)]
pub struct Recalc {
    pub address: String,
    pub before_bytes: u64,
    pub before_messages: u64,
    pub used_bytes: u64,
    pub messages: u64,
    pub changed: bool,
}

/// Measure each account's Maildir and store the exact usage.
pub async fn recalc(store: &Store, address: Option<&str>) -> Result<Vec<Recalc>> {
    let targets = show(store, address).await?;
    let mut out = Vec::with_capacity(targets.len());
    for a in targets {
        let addr = Address { local: a.local_part.clone(), domain: a.domain.clone() };
        let dir = store.maildir_path(&addr);
        let (bytes, msgs) = crate::ops::blocking(move || maildir::usage(&dir)).await?;
        let changed = bytes != a.used_bytes || msgs != a.messages;
        if changed {
            let mut conn = store.pool.acquire().await?;
            accounts::set_usage(&mut conn, a.id, bytes as i64, msgs as i64).await?;
        }
        out.push(Recalc {
            address: a.address,
            before_bytes: a.used_bytes,
            before_messages: a.messages,
            used_bytes: bytes,
            messages: msgs,
            changed,
        });
    }
    Ok(out)
}

/// What the quotas promise beyond what is used now: the sum over accounts with a quota of
/// quota minus usage (`doctor` sets it against the free disk).
pub async fn promised(store: &Store) -> Result<u64> {
    let mut conn = store.pool.acquire().await?;
    let all = accounts::list(&mut conn, None, None).await?;
    Ok(all.iter().filter_map(|a| a.quota_bytes.map(|q| q.saturating_sub(a.used_bytes))).sum())
}

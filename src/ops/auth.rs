//! The password check that the server's SMTP AUTH, IMAP LOGIN and POP3 use.

use crate::error::Result;
use crate::names::Address;
use crate::ops::credential_cache::CredentialCache;
use crate::password;
use crate::store::{Account, Status, Store, accounts, now};

/// Why a login failed. Callers should answer all of them alike to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    NoSuchUser,
    BadPassword,
    Suspended,
}

/// Check a login. On success, record the login time and upgrade a legacy or outdated hash to
/// Argon2id at the current parameters. Every check runs the hash (the CLI's and the tests').
pub async fn check_password(store: &Store, user: &str, pass: &str) -> Result<std::result::Result<Account, Denied>> {
    Ok(check(store, None, user, pass).await?.map(|v| v.account))
}

/// A successful login.
pub struct Verified {
    pub account: Account,
    /// Answered from the credential cache, without hashing.
    pub cached: bool,
}

/// [`check_password`] for the server: a password verified lately against the account row as
/// it is now is answered from `cache` without hashing, and a success is remembered there.
pub async fn check_password_cached(
    store: &Store,
    cache: &CredentialCache,
    user: &str,
    pass: &str,
) -> Result<std::result::Result<Verified, Denied>> {
    check(store, Some(cache), user, pass).await
}

async fn check(
    store: &Store,
    cache: Option<&CredentialCache>,
    user: &str,
    pass: &str,
) -> Result<std::result::Result<Verified, Denied>> {
    let acct = match Address::parse(user) {
        Ok(addr) => {
            let mut conn = store.pool.acquire().await?;
            accounts::get(&mut conn, &addr.to_string()).await?
        }
        Err(_) => None,
    };
    let acct = match (cache, acct) {
        (Some(cache), Some(a)) if cache.verified(&a, pass) => return Ok(cached_login(store, cache, a)),
        (_, acct) => acct,
    };
    // Hash even for unknown users, so that timing does not reveal which addresses exist.
    let stored = acct.as_ref().map(|a| a.password_hash.clone()).unwrap_or_else(|| DUMMY.to_string());
    let pw = pass.to_string();
    // Each check costs 19 MiB and tens of milliseconds: only a few run at once, whatever the
    // number of clients trying.
    let _permit = hashing_permits().acquire().await.ok();
    let ok = crate::ops::hashing::run(move || password::verify(&pw, &stored)).await.unwrap_or(false);
    let Some(mut acct) = acct else { return Ok(Err(Denied::NoSuchUser)) };
    if !ok {
        return Ok(Err(Denied::BadPassword));
    }
    if acct.status == Status::Suspended {
        if let Some(cache) = cache {
            cache.forget(acct.id);
        }
        return Ok(Err(Denied::Suspended));
    }
    let rehash = match password::needs_rehash(&acct.password_hash) {
        true => Some(crate::ops::account::hash_blocking(pass.to_string()).await?),
        false => None,
    };
    let (id, t, new_hash) = (acct.id, now(), rehash.clone());
    store
        .writer
        .write(crate::store::maildir::write::Unsynced::default(), move |tx| {
            Box::pin(async move {
                if let Some(h) = &new_hash {
                    accounts::set_password(tx, id, h, t).await?;
                }
                accounts::record_login(tx, id, t).await
            })
        })
        .await?;
    if let Some(h) = rehash {
        acct.password_hash = h;
    }
    if let Some(cache) = cache {
        cache.remember(&acct, pass);
    }
    Ok(Ok(Verified { account: acct, cached: false }))
}

/// A login whose password the cache vouches for. The row was read just now, so this is the
/// account as it is; the status is part of what the cache vouches for, but a suspended account
/// must never get in, whatever the cache says.
fn cached_login(store: &Store, cache: &CredentialCache, acct: Account) -> std::result::Result<Verified, Denied> {
    if acct.status == Status::Suspended {
        cache.forget(acct.id);
        return Err(Denied::Suspended);
    }
    // The last login is for people to read: to the minute is enough, and writing it (an
    // fsync) at every reconnect would cost more than the rest of a cached login.
    if acct.last_login_at.is_none_or(|t| now() - t >= 60) {
        let (store, id) = (store.clone(), acct.id);
        tokio::spawn(async move {
            let t = now();
            let written = store.writer.write_relaxed(move |tx| Box::pin(accounts::record_login(tx, id, t)));
            if let Err(e) = written.await {
                tracing::warn!(error = %e.one_line(), "recording a login time");
            }
        });
    }
    Ok(Verified { account: acct, cached: true })
}

fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        tokio::sync::Semaphore::new(cpus * 2)
    })
}

// An Argon2id hash of a random string, at the current parameters.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$JqYGSP8JNQ1bJ8Kb2DkwCSFzWfYCVLj1LKGsNNk9sJE";

//! The password check that the server's SMTP AUTH, IMAP LOGIN and POP3 use.

use crate::error::Result;
use crate::names::Address;
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
/// Argon2id at the current parameters.
pub async fn check_password(store: &Store, user: &str, pass: &str) -> Result<std::result::Result<Account, Denied>> {
    let acct = match Address::parse(user) {
        Ok(addr) => {
            let mut conn = store.pool.acquire().await?;
            accounts::get(&mut conn, &addr.to_string()).await?
        }
        Err(_) => None,
    };
    // Hash even for unknown users, so that timing does not reveal which addresses exist.
    let stored = acct.as_ref().map(|a| a.password_hash.clone()).unwrap_or_else(|| DUMMY.to_string());
    let pw = pass.to_string();
    // Each check costs 19 MiB and tens of milliseconds: only a few run at once, whatever the
    // number of clients trying.
    let _permit = hashing_permits().acquire().await.ok();
    let ok = tokio::task::spawn_blocking(move || password::verify(&pw, &stored)).await.unwrap_or(false);
    let Some(acct) = acct else { return Ok(Err(Denied::NoSuchUser)) };
    if !ok {
        return Ok(Err(Denied::BadPassword));
    }
    if acct.status == Status::Suspended {
        return Ok(Err(Denied::Suspended));
    }
    let mut conn = store.pool.acquire().await?;
    if password::needs_rehash(&acct.password_hash) {
        let hash = crate::ops::account::hash_blocking(pass.to_string()).await?;
        accounts::set_password(&mut conn, acct.id, &hash, now()).await?;
    }
    accounts::record_login(&mut conn, acct.id, now()).await?;
    Ok(Ok(acct))
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

//! A member's webmail preferences: the display name and signature of each address they send
//! as, and the senders whose remote content they always show.

use crate::error::{Error, Result};
use crate::store::identities::{self, Identity};
use crate::store::{Account, Store, aliases, trusted_senders};

/// Longest display name and signature kept.
const MAX_NAME: usize = 100;
const MAX_SIGNATURE: usize = 4000;
/// Most senders a member may trust (each is a row read on a message's page).
const MAX_TRUSTED: usize = 1000;

/// The addresses the member may send as, the account's first and then the aliases that
/// point at it, each with the name and signature set for it (empty when none is).
pub async fn identities(store: &Store, account: &Account) -> Result<Vec<Identity>> {
    let mut conn = store.pool.acquire().await?;
    let mut addresses = vec![account.address.clone()];
    addresses.extend(aliases::pointing_at(&mut conn, &account.address).await?);
    addresses.dedup();
    let set = identities::of(&mut conn, account.id).await?;
    Ok(addresses
        .into_iter()
        .map(|address| {
            let lower = address.to_lowercase();
            let found = set.iter().find(|i| i.address == lower);
            Identity {
                display_name: found.map(|i| i.display_name.clone()).unwrap_or_default(),
                signature: found.map(|i| i.signature.clone()).unwrap_or_default(),
                address,
            }
        })
        .collect())
}

/// Set one identity's name and signature: the address must be one the member sends as.
pub async fn set_identity(store: &Store, account: &Account, identity: &Identity) -> Result<()> {
    if !identities(store, account).await?.iter().any(|i| i.address.eq_ignore_ascii_case(&identity.address)) {
        return Err(Error::permission(format!("{} is not an address you send as", identity.address)));
    }
    let name = identity.display_name.trim();
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(Error::invalid(format!("the name is one line of at most {MAX_NAME} characters")));
    }
    if identity.signature.chars().count() > MAX_SIGNATURE {
        return Err(Error::invalid(format!("the signature is at most {MAX_SIGNATURE} characters")));
    }
    let clean = Identity {
        address: identity.address.clone(),
        display_name: name.to_string(),
        signature: identity.signature.replace("\r\n", "\n").trim_end().to_string(),
    };
    let mut conn = store.pool.acquire().await?;
    identities::put(&mut conn, account.id, &clean).await
}

pub async fn trusted(store: &Store, account: &Account) -> Result<Vec<String>> {
    let mut conn = store.pool.acquire().await?;
    trusted_senders::of(&mut conn, account.id).await
}

pub async fn trusts(store: &Store, account: &Account, sender: &str) -> Result<bool> {
    let mut conn = store.pool.acquire().await?;
    trusted_senders::contains(&mut conn, account.id, sender).await
}

/// Always show remote content from `sender` (an address).
pub async fn trust(store: &Store, account: &Account, sender: &str) -> Result<()> {
    let sender = sender.trim();
    if sender.is_empty() || sender.len() > 320 || !sender.contains('@') || sender.chars().any(char::is_control) {
        return Err(Error::invalid(format!("{sender:?} is not a mail address")));
    }
    let mut conn = store.pool.acquire().await?;
    if trusted_senders::of(&mut conn, account.id).await?.len() >= MAX_TRUSTED {
        return Err(Error::invalid(format!("at most {MAX_TRUSTED} senders can be trusted; remove some first")));
    }
    trusted_senders::add(&mut conn, account.id, sender, crate::store::now()).await
}

pub async fn distrust(store: &Store, account: &Account, sender: &str) -> Result<()> {
    let mut conn = store.pool.acquire().await?;
    trusted_senders::remove(&mut conn, account.id, sender).await.map(|_| ())
}

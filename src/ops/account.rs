//! Accounts: create, list, show, passwd, set-tier, suspend, resume, delete.

use crate::store::conn::Conn;
use serde::Serialize;

use crate::error::{Context, Error, Result};
use crate::names::Address;
use crate::ops::{require_account, require_domain};
use crate::password;
use crate::size::Limit;
use crate::store::{Account, Status, Store, accounts, aliases, maildir, now};
use crate::tier::Tier;

/// Where a new account's password comes from.
pub enum NewPassword {
    Given(String),
    Generate,
    /// A stored hash (a restored account keeps its password).
    Hash(String),
}

pub struct NewAccount {
    pub address: String,
    pub tier: Tier,
    pub owner: Option<String>,
    pub quota: Option<Limit>,
    pub password: NewPassword,
}

#[derive(Debug, Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub account: Account,
    /// Only when generated; shown once, never stored in clear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

pub fn check_owner(owner: &str) -> Result<()> {
    if owner.is_empty() || owner.len() > 255 || owner.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(format!("invalid owner id {owner:?}: 1 to 255 printable characters")));
    }
    Ok(())
}

pub async fn create(store: &Store, new: NewAccount) -> Result<Created> {
    let addr = Address::parse(&new.address)?;
    let tier = new.tier.require_mailbox()?;
    if let Some(o) = &new.owner {
        check_owner(o)?;
    }
    let (quota, custom) = match new.quota {
        Some(l) => (l.as_db(), true),
        None => (tier.default_quota().map(|q| q as i64), false),
    };
    // The hash to store, and the password to show once when it was generated.
    let (hash, shown) = match new.password {
        NewPassword::Given(p) => {
            password::check_new(&p)?;
            (hash_blocking(p).await?, None)
        }
        NewPassword::Generate => {
            let p = password::generate();
            (hash_blocking(p.clone()).await?, Some(p))
        }
        NewPassword::Hash(h) => (h, None),
    };

    let mut tx = store.begin_admin().await?;
    require_domain(&mut tx, &addr.domain).await?;
    let address = addr.to_string();
    if accounts::get(&mut tx, &address).await?.is_some() {
        return Err(Error::exists(format!("account {address} already exists")));
    }
    if !aliases::destinations(&mut tx, &address).await?.is_empty() {
        return Err(Error::exists(format!("{address} is an alias"))
            .with_hint(format!("remove it first with `mailctl alias remove {address}`")));
    }
    let row = accounts::NewRow {
        address: &address,
        local_part: &addr.local,
        domain: &addr.domain,
        tier,
        owner: new.owner.as_deref(),
        password_hash: &hash,
        quota_bytes: quota,
        quota_custom: custom,
        now: now(),
    };
    accounts::insert(&mut tx, &row).await.context(format!("creating account {address}"))?;
    // Aliases made earlier (to an address that was remote, say) now lead here.
    crate::ops::alias::check_tier_rule(&mut tx, &address, tier).await?;
    let dir = store.maildir_path(&addr);
    let existed = dir.exists();
    if let Err(e) = maildir::create(&dir) {
        return Err(e.context(format!("creating the Maildir of {address}")));
    }
    // A Maildir kept from an earlier account (`delete --keep-mail`) is adopted with its usage.
    let mut account = accounts::get(&mut tx, &address).await?.expect("inserted");
    if existed {
        let (bytes, msgs) = maildir::usage(&dir)?;
        accounts::set_usage(&mut tx, account.id, bytes as i64, msgs as i64).await?;
        account.used_bytes = bytes;
        account.messages = msgs;
    }
    if let Err(e) = tx.commit().await {
        if !existed {
            let _ = maildir::remove(&dir);
        }
        return Err(Error::from(e).context(format!("creating account {address}")));
    }
    Ok(Created { account, password: shown })
}

/// Argon2id takes tens of milliseconds: keep it off the async threads.
pub async fn hash_blocking(pw: String) -> Result<String> {
    crate::ops::hashing::run(move || password::hash(&pw)).await?
}

pub async fn get(store: &Store, address: &str) -> Result<Account> {
    let addr = Address::parse(address)?;
    let mut conn = store.pool.acquire().await?;
    require_account(&mut conn, &addr).await
}

pub async fn list(store: &Store, domain: Option<&str>, tier: Option<Tier>) -> Result<Vec<Account>> {
    let domain = domain.map(crate::names::domain).transpose()?;
    let mut conn = store.pool.acquire().await?;
    if let Some(d) = &domain {
        require_domain(&mut conn, d).await?;
    }
    accounts::list(&mut conn, domain.as_deref(), tier).await
}

/// A page of accounts in address order after `after`, and the cursor of the next page.
pub async fn page(
    store: &Store,
    filter: &accounts::PageFilter<'_>,
    after: Option<&str>,
    limit: u32,
) -> Result<(Vec<Account>, Option<String>)> {
    if let Some(d) = filter.domain {
        crate::names::domain(d)?;
    }
    let limit = limit.clamp(1, 1000) as i64;
    // On the store's direct reader (SQLite): no pool check, no hop through sqlx's worker.
    let (domain, owner) = (filter.domain.map(str::to_string), filter.owner.map(str::to_string));
    let (tier, suspended, after) = (filter.tier, filter.suspended, after.unwrap_or("").to_string());
    let mut list = store
        .read(limit as usize + 1, move |c| {
            Box::pin(async move {
                let f = accounts::PageFilter { domain: domain.as_deref(), tier, suspended, owner: owner.as_deref() };
                accounts::page(c, &f, &after, limit + 1).await
            })
        })
        .await?;
    let next = (list.len() as i64 > limit).then(|| {
        list.truncate(limit as usize);
        list.last().map(|a| a.address.clone()).unwrap_or_default()
    });
    Ok((list, next))
}

pub async fn set_password(store: &Store, address: &str, new_password: String) -> Result<Account> {
    let addr = Address::parse(address)?;
    password::check_new(&new_password)?;
    let hash = hash_blocking(new_password).await?;
    let mut tx = store.begin_admin().await?;
    let acct = require_account(&mut tx, &addr).await?;
    accounts::set_password(&mut Conn::Any(&mut tx), acct.id, &hash, now()).await?;
    tx.commit().await?;
    Ok(acct)
}

/// Change the tier. The quota follows the tier unless it was set by hand. Moving below
/// business is refused while non-role aliases point at the account. Moving to guest or free
/// (the member lost the right to a mailbox) suspends the account and keeps its mail, tier-
/// bound quota and aliases for the way back; moving it to vip or higher again resumes it
/// (unless an administrator suspended it too).
pub async fn set_tier(store: &Store, address: &str, tier: Tier) -> Result<Account> {
    let addr = Address::parse(address)?;
    let mut tx = store.begin_admin().await?;
    let acct = require_account(&mut tx, &addr).await?;
    if tier.has_mailbox() {
        crate::ops::alias::check_tier_rule(&mut tx, &acct.address, tier).await?;
        let quota =
            if acct.quota_custom { acct.quota_bytes.map(|q| q as i64) } else { tier.default_quota().map(|q| q as i64) };
        accounts::set_tier(&mut tx, acct.id, tier, quota, now()).await?;
    } else {
        accounts::set_lapsed(&mut tx, acct.id, tier, now()).await?;
    }
    let updated = require_account(&mut tx, &addr).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Suspend or resume; returns the account and whether anything changed.
pub async fn set_status(store: &Store, address: &str, status: Status) -> Result<(Account, bool)> {
    let addr = Address::parse(address)?;
    let mut tx = store.begin_admin().await?;
    let acct = require_account(&mut tx, &addr).await?;
    // Lapsed (moved to guest or free), whether or not an administrator suspended it too.
    if status == Status::Active && acct.tier != acct.mailbox_tier {
        return Err(acct.tier.no_mailbox().with_hint(format!(
            "{} is suspended because its tier ({}) has no mailbox: move it to vip or higher \
             (mailctl account set-tier {} vip)",
            acct.address, acct.tier, acct.address
        )));
    }
    if acct.admin_status == status {
        return Ok((acct, false));
    }
    accounts::set_status(&mut tx, acct.id, status, now()).await?;
    let updated = require_account(&mut tx, &addr).await?;
    tx.commit().await?;
    Ok((updated, true))
}

#[derive(Debug, Serialize)]
pub struct Deleted {
    pub address: String,
    pub mail_kept: bool,
    pub alias_destinations_removed: Vec<String>,
}

/// Delete an account; its mail too unless `keep_mail`. Aliases that point at it are refused
/// unless `force`, which removes those destinations.
pub async fn delete(store: &Store, address: &str, keep_mail: bool, force: bool) -> Result<Deleted> {
    let addr = Address::parse(address)?;
    let mut tx = store.begin_admin().await?;
    let acct = require_account(&mut tx, &addr).await?;
    let pointing = aliases::pointing_at(&mut tx, &acct.address).await?;
    if !pointing.is_empty() && !force {
        return Err(Error::invalid(format!("aliases point at {}: {}", acct.address, pointing.join(", ")))
            .with_hint("remove them first, or pass --force to remove them with the account"));
    }
    let mut removed = Vec::new();
    for src in &pointing {
        aliases::delete(&mut tx, src, Some(&acct.address)).await?;
        removed.push(format!("{src} -> {}", acct.address));
    }
    accounts::delete(&mut tx, acct.id).await?;
    removed.extend(crate::ops::alias::prune_dangling(&mut tx).await?);
    let dir = store.maildir_path(&addr);
    let aside = if keep_mail { None } else { maildir::set_aside(&dir)? };
    if let Err(e) = tx.commit().await {
        if let Some(a) = &aside {
            maildir::restore(a, &dir);
        }
        return Err(Error::from(e).context(format!("deleting account {}", acct.address)));
    }
    if let Some(a) = aside {
        // The deletion is committed; a leftover directory is worth a warning, not a failure.
        if let Err(e) = maildir::remove(&a) {
            tracing::warn!(error = %e.one_line(), "the account is deleted but its mail could not be removed");
        }
    }
    Ok(Deleted { address: acct.address, mail_kept: keep_mail, alias_destinations_removed: removed })
}

//! A recipient resolved once: alias expansion to the accounts it reaches, each with what
//! delivery needs (ids, INBOX, Maildir path, quota), so that delivery reads no account row
//! again. SMTP resolves at RCPT and carries the result in its transaction; a DSN resolves
//! its sender the same way.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::error::Result;
use crate::names::Address;
use crate::ops::alias::{ExpandError, Expansion, expand, expand_local};
use crate::store::filter_rules::Rule;
use crate::store::{Store, aliases, domains, maildir, messages};

/// A local account a message goes to.
#[derive(Debug, Clone)]
pub struct Local {
    pub account_id: i64,
    pub address: String,
    /// Its INBOX (the mailbox id).
    pub inbox: i64,
    /// Its Maildir (the INBOX folder).
    pub maildir: PathBuf,
    pub quota_bytes: Option<u64>,
    /// Usage when resolved; the commit charges the quota again, exactly, in its transaction.
    pub used_bytes: u64,
    /// Its vacation reply is on: delivery is followed by `ops::vacation`.
    pub away: bool,
}

impl Local {
    /// Does `size` more bytes fit the quota (as of resolving)?
    pub fn fits(&self, size: u64) -> bool {
        fits(self.quota_bytes, self.used_bytes, size)
    }
}

/// Does `size` more bytes fit a quota with this usage?
pub fn fits(quota: Option<u64>, used: u64, size: u64) -> bool {
    quota.is_none_or(|q| used.saturating_add(size) <= q)
}

/// Where one address leads.
#[derive(Debug, Default)]
pub struct Resolved {
    pub local: Vec<Local>,
    pub remote: BTreeSet<String>,
}

/// Resolve an alias expansion ([`crate::ops::alias::expand`]) to what delivery needs.
pub async fn resolve(store: &Store, e: Expansion) -> Result<Resolved> {
    let mut local = Vec::with_capacity(e.targets.len());
    for t in e.targets {
        // Accounts get their INBOX at creation; one made by an older version gets it here,
        // once, outside any delivery's transaction.
        let inbox = match t.inbox {
            Some(id) => id,
            None => messages::ensure_mailbox(&mut *store.pool.acquire().await?, t.id, "INBOX").await?,
        };
        let maildir = store.maildir_path(&Address { local: t.local_part, domain: t.domain });
        local.push(Local {
            account_id: t.id,
            address: t.address,
            inbox,
            maildir,
            quota_bytes: t.quota_bytes,
            used_bytes: t.used_bytes,
            away: t.away,
        });
    }
    Ok(Resolved { local, remote: e.remote })
}

/// The same accounts, each delivering to its Junk folder instead of INBOX (made when missing:
/// accounts get it at creation, but a person may have deleted it).
pub async fn to_junk(store: &Store, local: Vec<Local>) -> Result<Vec<Local>> {
    let mut conn = store.pool.acquire().await?;
    let mut out = Vec::with_capacity(local.len());
    for mut l in local {
        let dir = maildir::folder_path(&l.maildir, maildir::JUNK);
        let d = dir.clone();
        crate::ops::blocking(move || maildir::create_folder(&d)).await?;
        l.inbox = messages::ensure_mailbox(&mut conn, l.account_id, maildir::JUNK).await?;
        l.maildir = dir;
        out.push(l);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_fits_up_to_the_last_byte_of_the_quota() {
        let cases = [
            (None, u64::MAX, u64::MAX, true),
            (Some(100), 0, 100, true),
            (Some(100), 40, 60, true),
            (Some(100), 40, 61, false),
            (Some(0), 0, 1, false),
            (Some(100), u64::MAX, 1, false),
        ];
        for (quota, used, size, want) in cases {
            assert_eq!(fits(quota, used, size), want, "{quota:?} {used} {size}");
        }
    }
}

/// Why a recipient is refused (each protocol words it its own way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not one of our domains, and the sender did not authenticate.
    RelayDenied,
    /// In one of our domains, but no account, alias or catch-all.
    NoSuchUser,
    AliasLoop,
    /// Every account it reaches has no mailbox now (its tier lapsed).
    Disabled,
    /// An account it reaches has no room for the message.
    MailboxFull,
}

/// What to do with one recipient.
#[derive(Debug)]
pub enum Route {
    /// Ours: the address as normalised, the accounts it reaches, and the outside addresses
    /// its aliases forward to.
    Local {
        address: String,
        local: Vec<Local>,
        remote: BTreeSet<String>,
    },
    /// Another domain's, for an authenticated sender.
    Relay(String),
    Refuse(Refusal),
}

/// What the store says about a recipient's address.
enum Found {
    Elsewhere,
    Malformed,
    Expanded(String, std::result::Result<Expansion, ExpandError>),
}

/// Decide what to do with a recipient `raw` of a message of `size` bytes. Only an
/// `authenticated` sender may send to other domains. With `rules_for` (a sender from outside),
/// the allow and block rules that apply to that sender are read in the same store read.
/// SMTP's RCPT and the webmail's sending both decide here.
pub async fn route(
    store: &Store,
    raw: &str,
    size: u64,
    authenticated: bool,
    rules_for: Option<String>,
) -> Result<(Route, Option<Vec<Rule>>)> {
    let domain_part = raw.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    let domain = crate::names::domain(domain_part).ok();
    let address = Address::parse(raw).ok().map(|a| a.to_string());
    let (found, rules) = {
        let domain = domain.clone();
        store
            .read(16, move |c| {
                Box::pin(async move {
                    let rules = match &rules_for {
                        Some(sender) => Some(crate::ops::filter_rules::for_sender(&mut *c, sender).await?),
                        None => None,
                    };
                    let local = match &domain {
                        Some(d) => domains::exists(&mut *c, d).await?,
                        None => false,
                    };
                    let found = match (local, address) {
                        (false, _) => Found::Elsewhere,
                        (true, None) => Found::Malformed,
                        (true, Some(a)) => {
                            let e = expand_local(&mut *c, &a).await;
                            Found::Expanded(a, e)
                        }
                    };
                    Ok((found, rules))
                })
            })
            .await?
    };
    let refuse = |r| Ok((Route::Refuse(r), rules.clone()));
    let (address, e) = match found {
        // Never relay for unauthenticated clients, whatever the address form.
        Found::Elsewhere if authenticated && domain.is_some() => return Ok((Route::Relay(raw.to_string()), rules)),
        Found::Elsewhere => return refuse(Refusal::RelayDenied),
        // Local domain: the address must name an account, alias or catch-all here.
        Found::Malformed => return refuse(Refusal::NoSuchUser),
        Found::Expanded(address, Ok(e)) => (address, e),
        Found::Expanded(_, Err(ExpandError::Loop(_) | ExpandError::TooDeep)) => return refuse(Refusal::AliasLoop),
        Found::Expanded(_, Err(ExpandError::Store(e))) => return Err(e),
    };
    let disabled = !e.disabled.is_empty();
    let r = resolve(store, e).await?;
    if r.local.is_empty() && r.remote.is_empty() {
        return refuse(if disabled { Refusal::Disabled } else { Refusal::NoSuchUser });
    }
    if r.local.iter().any(|l| !l.fits(size)) {
        return refuse(Refusal::MailboxFull);
    }
    Ok((Route::Local { address, local: r.local, remote: r.remote }, rules))
}

/// May `account` (its address) send as `from`: its own address, or an alias that leads to it.
pub async fn sender_owned(store: &Store, account: &str, from: &str) -> Result<bool> {
    let Ok(addr) = Address::parse(from) else { return Ok(false) };
    let addr = addr.to_string();
    if addr == account {
        return Ok(true);
    }
    let mut conn = store.pool.acquire().await?;
    if aliases::destinations(&mut conn, &addr).await?.is_empty() {
        return Ok(false);
    }
    Ok(matches!(expand(&mut conn, &addr).await, Ok(e) if e.accounts.contains(account)))
}

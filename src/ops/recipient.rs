//! A recipient resolved once: alias expansion to the accounts it reaches, each with what
//! delivery needs (ids, INBOX, Maildir path, quota), so that delivery reads no account row
//! again. SMTP resolves at RCPT and carries the result in its transaction; a DSN resolves
//! its sender the same way.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::error::Result;
use crate::names::Address;
use crate::ops::alias::Expansion;
use crate::store::{Store, maildir, messages};

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

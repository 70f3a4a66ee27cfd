//! `account import --dovecot-passwd FILE`: users from a Dovecot passwd-file
//! (`user:{SCHEME}hash:uid:gid:gecos:home:shell:extra`), hashes kept as they are.
//!
//! All or nothing by default: if any line is refused, nothing is imported. With
//! `skip_refused`, the acceptable lines are imported and the refused ones reported.

use std::collections::HashSet;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::names::Address;
use crate::password;
use crate::store::{Store, accounts, domains, maildir, now};
use crate::tier::Tier;

#[derive(Debug, Serialize)]
pub struct Line {
    pub line: usize,
    pub user: String,
    /// imported, would_import or refused
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub imported: usize,
    pub refused: usize,
    pub lines: Vec<Line>,
}

struct Candidate {
    line: usize,
    addr: Address,
    hash: String,
}

pub async fn dovecot_passwd(
    store: &Store,
    text: &str,
    tier: Tier,
    default_domain: Option<&str>,
    dry_run: bool,
    skip_refused: bool,
) -> Result<Report> {
    let tier = tier.require_mailbox()?;
    let default_domain = default_domain.map(crate::names::domain).transpose()?;
    let mut conn = store.pool.acquire().await?;
    let mut lines = Vec::new();
    let mut good = Vec::new();
    let mut seen = HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut fields = trimmed.splitn(3, ':');
        let user = fields.next().unwrap_or("").to_string();
        let pass = fields.next();
        let mut refuse = |user: &str, why: String| {
            lines.push(Line { line: n, user: user.to_string(), outcome: "refused", scheme: None, reason: Some(why) });
        };
        let Some(pass) = pass else {
            refuse(&user, "not a passwd-file line (no password field)".into());
            continue;
        };
        let full = match (&default_domain, user.contains('@')) {
            (_, true) => user.clone(),
            (Some(d), false) => format!("{user}@{d}"),
            (None, false) => {
                refuse(&user, "user has no domain; give --domain".into());
                continue;
            }
        };
        let addr = match Address::parse(&full) {
            Ok(a) => a,
            Err(e) => {
                refuse(&user, e.message);
                continue;
            }
        };
        let hash = match password::from_dovecot(pass) {
            Ok(h) => h,
            Err(why) => {
                refuse(&user, why);
                continue;
            }
        };
        if !seen.insert(addr.to_string()) {
            refuse(&user, "duplicate user in the file".into());
            continue;
        }
        if !domains::exists(&mut conn, &addr.domain).await? {
            refuse(&user, format!("domain {} does not exist", addr.domain));
            continue;
        }
        if accounts::get(&mut conn, &addr.to_string()).await?.is_some() {
            refuse(&user, "account already exists".into());
            continue;
        }
        if !crate::store::aliases::destinations(&mut conn, &addr.to_string()).await?.is_empty() {
            refuse(&user, "an alias has this address".into());
            continue;
        }
        lines.push(Line {
            line: n,
            user: addr.to_string(),
            outcome: if dry_run { "would_import" } else { "imported" },
            scheme: password::scheme(&hash),
            reason: None,
        });
        good.push(Candidate { line: n, addr, hash });
    }
    drop(conn);
    lines.sort_by_key(|l| l.line);
    let refused = lines.iter().filter(|l| l.outcome == "refused").count();
    let write = !dry_run && (refused == 0 || skip_refused);
    if !write {
        if !dry_run {
            for l in lines.iter_mut().filter(|l| l.outcome == "imported") {
                l.outcome = "would_import";
            }
        }
        return Ok(Report { dry_run, imported: 0, refused, lines });
    }
    let mut tx = store.begin_admin().await?;
    let mut created = Vec::new();
    let result: Result<()> = async {
        for c in &good {
            let address = c.addr.to_string();
            let row = accounts::NewRow {
                address: &address,
                local_part: &c.addr.local,
                domain: &c.addr.domain,
                tier,
                owner: None,
                password_hash: &c.hash,
                quota_bytes: tier.default_quota().map(|q| q as i64),
                quota_custom: false,
                now: now(),
            };
            let id =
                accounts::insert(&mut tx, &row).await.map_err(|e| e.context(format!("line {}: {address}", c.line)))?;
            crate::ops::alias::check_tier_rule(&mut tx, &address, tier)
                .await
                .map_err(|e| e.context(format!("line {}", c.line)))?;
            let dir = store.maildir_path(&c.addr);
            if dir.exists() {
                // A Maildir already there (say, copied from the old server) is adopted.
                maildir::create(&dir)?;
                let (bytes, msgs) = maildir::usage(&dir)?;
                accounts::set_usage(&mut tx, id, bytes as i64, msgs as i64).await?;
            } else {
                maildir::create(&dir)?;
                created.push(dir);
            }
        }
        Ok(())
    }
    .await;
    let result = match result {
        Ok(()) => tx.commit().await.map_err(Error::from),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        for d in created {
            let _ = maildir::remove(&d);
        }
        return Err(e.context("importing accounts"));
    }
    Ok(Report { dry_run, imported: good.len(), refused, lines })
}

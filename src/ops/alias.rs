//! Aliases and recipient resolution.
//!
//! Resolution order for `local@domain` in a local domain: an account, else an alias with that
//! exact address, else the domain's catch-all (`@domain`), else unknown. So a catch-all never
//! shadows an account or a more specific alias.

use std::collections::BTreeSet;

use sqlx::AnyConnection;

use crate::error::{Error, Result};
use crate::names::{Address, AliasSource};
use crate::ops::require_domain;
use crate::store::conn::Conn;
use crate::store::{Alias, Store, accounts, aliases, domains, now};

/// Role addresses (RFC 2142, and the DMARC and TLS report addresses the DNS records name) may
/// always be aliased, whatever the tier.
pub const ROLE_LOCAL_PARTS: [&str; 5] = ["postmaster", "abuse", "hostmaster", "dmarc", "tlsrpt"];

/// Aliases deeper than this are refused at creation and treated as a loop at delivery.
pub const MAX_DEPTH: usize = 16;

pub fn is_role(alias_address: &str) -> bool {
    alias_address.split_once('@').is_some_and(|(l, _)| ROLE_LOCAL_PARTS.contains(&l))
}

/// What one address finally delivers to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// Local accounts (addresses).
    pub accounts: BTreeSet<String>,
    /// Addresses in other domains (to be relayed).
    pub remote: BTreeSet<String>,
    /// Local addresses that lead nowhere.
    pub unknown: BTreeSet<String>,
    /// Accounts without a mailbox now (their tier moved to guest or free).
    pub disabled: BTreeSet<String>,
    /// The accounts' rows as delivery needs them, read on the way (so nobody reads them again).
    pub targets: Vec<accounts::Target>,
}

/// Why expansion failed.
#[derive(Debug)]
pub enum ExpandError {
    Loop(Vec<String>),
    TooDeep,
    Store(Error),
}

impl From<Error> for ExpandError {
    fn from(e: Error) -> Self {
        ExpandError::Store(e)
    }
}

/// For callers that only report it: a loop or too deep a chain is bad data.
impl From<ExpandError> for Error {
    fn from(e: ExpandError) -> Self {
        match e {
            ExpandError::Store(e) => e,
            ExpandError::Loop(path) => Error::invalid(format!("alias loop: {}", path.join(" -> "))),
            ExpandError::TooDeep => Error::invalid(format!("aliases nested deeper than {MAX_DEPTH}")),
        }
    }
}

/// Expand an address through accounts, aliases and catch-alls.
pub async fn expand<'c>(conn: impl Into<Conn<'c>>, address: &str) -> std::result::Result<Expansion, ExpandError> {
    expand_from(&mut conn.into(), address, false).await
}

/// [`expand`] for an address the caller has just found in a local domain (SMTP RCPT), so
/// the domain is not looked up twice.
pub async fn expand_local<'c>(conn: impl Into<Conn<'c>>, address: &str) -> std::result::Result<Expansion, ExpandError> {
    expand_from(&mut conn.into(), address, true).await
}

async fn expand_from(conn: &mut Conn<'_>, address: &str, local: bool) -> std::result::Result<Expansion, ExpandError> {
    let mut out = Expansion::default();
    let mut path = Vec::new();
    expand_into(conn, address.to_ascii_lowercase(), &mut path, &mut out, local).await?;
    Ok(out)
}

async fn expand_into(
    conn: &mut Conn<'_>,
    address: String,
    path: &mut Vec<String>,
    out: &mut Expansion,
    known_local: bool,
) -> std::result::Result<(), ExpandError> {
    if path.contains(&address) {
        let mut cycle = path.clone();
        cycle.push(address);
        return Err(ExpandError::Loop(cycle));
    }
    if path.len() >= MAX_DEPTH {
        return Err(ExpandError::TooDeep);
    }
    let domain = address.rsplit_once('@').map(|(_, d)| d.to_string()).unwrap_or_default();
    if !known_local && !domains::exists(&mut *conn, &domain).await? {
        out.remote.insert(address);
        return Ok(());
    }
    if let Some(t) = accounts::target(&mut *conn, &address).await? {
        if t.lapsed {
            out.disabled.insert(address);
        } else if out.accounts.insert(address) {
            out.targets.push(t);
        }
        return Ok(());
    }
    let mut dests = aliases::destinations(&mut *conn, &address).await?;
    let mut node = address.clone();
    if dests.is_empty() && !address.starts_with('@') {
        node = format!("@{domain}");
        if path.contains(&node) {
            // A catch-all destination that itself falls to the catch-all.
            out.unknown.insert(address);
            return Ok(());
        }
        dests = aliases::destinations(&mut *conn, &node).await?;
    }
    if dests.is_empty() {
        out.unknown.insert(address);
        return Ok(());
    }
    path.push(node);
    for d in dests {
        Box::pin(expand_into(conn, d, path, out, false)).await?;
    }
    path.pop();
    Ok(())
}

/// Every alias address whose expansion leads to `address` (through other aliases too).
pub async fn sources_reaching(conn: &mut AnyConnection, address: &str) -> Result<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut frontier = vec![address.to_string()];
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for a in &frontier {
            for src in aliases::pointing_at(conn, a).await? {
                if seen.insert(src.clone()) {
                    next.push(src);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    Ok(seen.into_iter().collect())
}

/// Refuse when non-role aliases lead to a `tier` account at `address` that cannot have them.
pub async fn check_tier_rule(conn: &mut AnyConnection, address: &str, tier: crate::tier::Tier) -> Result<()> {
    if tier.allows_aliases() {
        return Ok(());
    }
    let blocking: Vec<String> = sources_reaching(conn, address).await?.into_iter().filter(|a| !is_role(a)).collect();
    if blocking.is_empty() {
        return Ok(());
    }
    Err(Error::permission(format!(
        "aliases pointing at an account are a business-tier feature: {} ({tier}) is reached by {}",
        address,
        blocking.join(", ")
    ))
    .with_hint("remove those aliases, or use the business tier"))
}

/// Alias destinations in local domains that lead nowhere (or into a loop).
pub async fn dangling(conn: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let local_domains: BTreeSet<String> = domains::list(conn).await?.into_iter().map(|d| d.name).collect();
    for alias in aliases::list(conn, None).await? {
        for d in &alias.destinations {
            let local = d.rsplit_once('@').is_some_and(|(_, dom)| local_domains.contains(dom));
            if !local {
                continue;
            }
            match expand(&mut *conn, d).await {
                Ok(e) if e.unknown.is_empty() => {}
                Err(ExpandError::Store(e)) => return Err(e),
                _ => out.push((alias.address.clone(), d.clone())),
            }
        }
    }
    Ok(out)
}

/// Remove dangling destinations until none are left (aliases emptied disappear, which can
/// leave others dangling). Returns what was removed, as "alias -> destination".
pub async fn prune_dangling(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for _ in 0..=MAX_DEPTH {
        let d = dangling(conn).await?;
        if d.is_empty() {
            break;
        }
        for (alias, dest) in d {
            aliases::delete(conn, &alias, Some(&dest)).await?;
            removed.push(format!("{alias} -> {dest}"));
        }
    }
    Ok(removed)
}

/// Add destinations to an alias (creating it). Refuses shadowing an account, dangling
/// local destinations, loops, and aliases onto non-business accounts (except role addresses).
pub async fn add(store: &Store, source: &str, dests: &[String]) -> Result<Alias> {
    let src = AliasSource::parse(source)?;
    if dests.is_empty() {
        return Err(Error::usage("an alias needs at least one destination"));
    }
    let dests: Vec<Address> = dests.iter().map(|d| Address::parse(d)).collect::<Result<_>>()?;
    let src_text = src.to_string();
    let mut tx = store.begin_admin().await?;
    require_domain(&mut tx, src.domain()).await?;
    if let AliasSource::Address(a) = &src
        && accounts::get(&mut tx, &a.to_string()).await?.is_some()
    {
        return Err(Error::exists(format!("{a} is an account; an alias cannot shadow it")));
    }
    for d in &dests {
        let dt = d.to_string();
        if dt == src_text {
            return Err(Error::invalid(format!("alias loop: {src_text} -> {src_text}")));
        }
        if domains::exists(&mut tx, &d.domain).await? {
            match expand(&mut tx, &dt).await {
                Ok(e) if !e.unknown.is_empty() => {
                    return Err(Error::not_found(format!("destination {dt} does not exist"))
                        .with_hint("create the account or alias first; local destinations must exist"));
                }
                Ok(_) | Err(ExpandError::Loop(_)) | Err(ExpandError::TooDeep) => {}
                Err(ExpandError::Store(e)) => return Err(e),
            }
        }
        aliases::insert(&mut tx, &src_text, src.domain(), &dt, now()).await?;
    }
    // Check the alias as it now stands: loops, depth, and the tier rule.
    let expansion = match expand(&mut tx, &src_text).await {
        Ok(e) => e,
        Err(ExpandError::Loop(cycle)) => {
            return Err(Error::invalid(format!("alias loop: {}", cycle.join(" -> "))));
        }
        Err(ExpandError::TooDeep) => {
            return Err(Error::invalid(format!("alias {src_text} nests deeper than {MAX_DEPTH} levels")));
        }
        Err(ExpandError::Store(e)) => return Err(e),
    };
    if !is_role(&src_text) {
        for acct in &expansion.accounts {
            let a = accounts::get(&mut tx, acct).await?.expect("expanded");
            if !a.tier.allows_aliases() {
                return Err(Error::permission(format!(
                    "aliases pointing at an account are a business-tier feature: {} is {}",
                    a.address, a.tier
                ))
                .with_hint(format!("upgrade with `mailctl account set-tier {} business`", a.address)));
            }
        }
    }
    let alias = aliases::list(&mut tx, Some(src.domain()))
        .await?
        .into_iter()
        .find(|a| a.address == src_text)
        .expect("inserted");
    tx.commit().await?;
    Ok(alias)
}

pub async fn list(store: &Store, domain: Option<&str>) -> Result<Vec<Alias>> {
    let domain = domain.map(crate::names::domain).transpose()?;
    let mut conn = store.pool.acquire().await?;
    if let Some(d) = &domain {
        require_domain(&mut conn, d).await?;
    }
    aliases::list(&mut conn, domain.as_deref()).await
}

/// Remove an alias, or only the given destinations of it. Refuses if other aliases depend on
/// it and it would be gone, since they would dangle.
pub async fn remove(store: &Store, source: &str, dests: &[String]) -> Result<u64> {
    let src = AliasSource::parse(source)?;
    let src_text = src.to_string();
    let dests: Vec<String> = dests.iter().map(|d| Address::parse(d).map(|a| a.to_string())).collect::<Result<_>>()?;
    let mut tx = store.begin_admin().await?;
    let existing = aliases::destinations(&mut tx, &src_text).await?;
    if existing.is_empty() {
        return Err(Error::not_found(format!("no such alias {src_text}")));
    }
    let mut removed = 0;
    if dests.is_empty() {
        removed += aliases::delete(&mut tx, &src_text, None).await?;
    } else {
        for d in &dests {
            if !existing.contains(d) {
                return Err(Error::not_found(format!("alias {src_text} has no destination {d}")));
            }
            removed += aliases::delete(&mut tx, &src_text, Some(d)).await?;
        }
    }
    let broken = dangling(&mut tx).await?;
    if !broken.is_empty() {
        let list: Vec<String> = broken.iter().map(|(a, d)| format!("{a} -> {d}")).collect();
        return Err(Error::invalid(format!("removing {src_text} would leave aliases dangling: {}", list.join(", ")))
            .with_hint("remove or change those first"));
    }
    tx.commit().await?;
    Ok(removed)
}

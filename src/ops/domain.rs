//! Domains: add, list, show, remove.

use serde::Serialize;

use crate::error::{Context, Error, Result};
use crate::names;
use crate::store::{Domain, Store, accounts, aliases, domains, maildir, now};

pub async fn add(store: &Store, input: &str) -> Result<Domain> {
    let name = names::domain(input)?;
    let mut tx = store.begin_admin().await?;
    if domains::exists(&mut tx, &name).await? {
        return Err(Error::exists(format!("domain {name} already exists")));
    }
    domains::insert(&mut tx, &name, now()).await.context(format!("adding domain {name}"))?;
    let d = domains::get(&mut tx, &name).await?.expect("inserted");
    tx.commit().await?;
    Ok(d)
}

pub async fn list(store: &Store) -> Result<Vec<Domain>> {
    let mut conn = store.pool.acquire().await?;
    domains::list(&mut conn).await
}

pub async fn show(store: &Store, input: &str) -> Result<Domain> {
    let name = names::domain(input)?;
    let mut conn = store.pool.acquire().await?;
    domains::get(&mut conn, &name).await?.ok_or_else(|| Error::not_found(format!("domain {name} does not exist")))
}

#[derive(Debug, Serialize)]
pub struct Removed {
    pub domain: String,
    pub accounts_removed: Vec<String>,
    pub aliases_removed: u64,
    pub mail_kept: bool,
}

/// Remove a domain. With accounts or aliases in it, refuse unless `force`, which removes
/// them too (and their mail unless `keep_mail`).
pub async fn remove(store: &Store, input: &str, force: bool, keep_mail: bool) -> Result<Removed> {
    let name = names::domain(input)?;
    let mut tx = store.begin_admin().await?;
    let d =
        domains::get(&mut tx, &name).await?.ok_or_else(|| Error::not_found(format!("domain {name} does not exist")))?;
    if (d.accounts > 0 || d.aliases > 0) && !force {
        return Err(Error::invalid(format!(
            "domain {name} still has {} account(s) and {} alias(es)",
            d.accounts, d.aliases
        ))
        .with_hint("remove them first, or pass --force to remove them with the domain"));
    }
    let accts = accounts::list(&mut tx, Some(&name), None).await?;
    let mut aliases_removed = aliases::delete_in_domain(&mut tx, &name).await?;
    for a in &accts {
        // Aliases elsewhere that point into this domain would dangle.
        for src in aliases::pointing_at(&mut tx, &a.address).await? {
            aliases_removed += aliases::delete(&mut tx, &src, Some(&a.address)).await?;
        }
        accounts::delete(&mut tx, a.id).await?;
    }
    domains::delete(&mut tx, &name).await?;
    // Destinations inside the removed domain would now look remote: remove them, and what
    // that leaves dangling.
    aliases_removed += aliases::delete_destinations_in(&mut tx, &name).await?;
    aliases_removed += crate::ops::alias::prune_dangling(&mut tx).await?.len() as u64;
    let dir = store.mail_root().join(&name);
    let aside = if keep_mail { None } else { maildir::set_aside(&dir)? };
    if let Err(e) = tx.commit().await {
        if let Some(a) = &aside {
            maildir::restore(a, &dir);
        }
        return Err(Error::from(e).context(format!("removing domain {name}")));
    }
    if let Some(a) = aside
        && let Err(e) = maildir::remove(&a)
    {
        tracing::warn!(error = %e.one_line(), "the domain is removed but its mail could not be removed");
    }
    Ok(Removed {
        domain: name,
        accounts_removed: accts.into_iter().map(|a| a.address).collect(),
        aliases_removed,
        mail_kept: keep_mail,
    })
}

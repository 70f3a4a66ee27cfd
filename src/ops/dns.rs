//! `dns records|publish|check`: gather the inputs (config, domains, DKIM keys), compute the
//! desired records, plan against a provider's zone and apply.

use serde::Serialize;

use crate::config::Config;
use crate::dns::lookup::Resolver;
use crate::dns::plan::{self, Ownership, Plan};
use crate::dns::provider::Provider;
use crate::dns::records::{self, Inputs, Record};
use crate::error::Result;
use crate::store::dns::Owned;
use crate::store::{Store, dkim as keys, domains, now};

/// The desired records of one domain.
#[derive(Debug, Serialize)]
pub struct DomainRecords {
    pub domain: String,
    pub records: Vec<Record>,
    pub warnings: Vec<String>,
}

/// The domains a command works on: the one named, or every domain.
pub async fn domains(store: &Store, domain: Option<&str>) -> Result<Vec<String>> {
    let mut conn = store.pool.acquire().await?;
    match domain {
        Some(d) => {
            let d = crate::names::domain(d)?;
            crate::ops::require_domain(&mut conn, &d).await?;
            Ok(vec![d])
        }
        None => Ok(domains::list(&mut conn).await?.into_iter().map(|d| d.name).collect()),
    }
}

/// `dns records`: the desired record set of each domain.
pub async fn desired(cfg: &Config, store: &Store, domain: Option<&str>) -> Result<Vec<DomainRecords>> {
    let mut out = Vec::new();
    let t = now();
    for d in domains(store, domain).await? {
        let mut conn = store.pool.acquire().await?;
        let dkim = keys::list(&mut conn, Some(&d)).await?;
        let (records, mut warnings) =
            records::desired(&Inputs { domain: &d, host: &cfg.hostname, dns: &cfg.dns, dkim: &dkim, now: t });
        if !dkim.iter().any(|k| k.status == "active") {
            warnings.push(format!("{d} has no active DKIM key: mailctl dkim generate --domain {d}"));
        }
        out.push(DomainRecords { domain: d, records, warnings });
    }
    Ok(out)
}

/// The plan for one zone, and what applying it needs.
#[derive(Debug, Serialize)]
pub struct ZonePlan {
    pub zone: String,
    #[serde(flatten)]
    pub plan: Plan,
    pub warnings: Vec<String>,
    /// The records that go into the zone (for the published state and `--wait`).
    #[serde(skip)]
    pub desired: Vec<Record>,
    #[serde(skip)]
    owned_before: Owned,
    /// Replaced DKIM keys past their grace period: retired once the plan is applied.
    #[serde(skip)]
    retire: Vec<String>,
}

/// Read the zone from the provider and plan the changes.
pub async fn plan_zone(
    cfg: &Config,
    store: &Store,
    provider: &mut Provider,
    domain: &str,
    replace_spf: bool,
) -> Result<ZonePlan> {
    let t = now();
    let mut conn = store.pool.acquire().await?;
    let dkim = keys::list(&mut conn, Some(domain)).await?;
    let owned_before = crate::store::dns::published(&mut conn, domain).await?;
    drop(conn);
    let (records, mut warnings) =
        records::desired(&Inputs { domain, host: &cfg.hostname, dns: &cfg.dns, dkim: &dkim, now: t });
    let grace = cfg.dns.dkim_grace_days as i64 * 86400;
    let retire: Vec<String> = dkim
        .iter()
        .filter(|k| k.status == "inactive" && !records::dkim_published(k, grace, t))
        .map(|k| k.selector.clone())
        .collect();
    let retired_dkim = dkim
        .iter()
        .filter(|k| k.status == "retired" || retire.contains(&k.selector))
        .map(|k| format!("{}._domainkey.{domain}", k.selector))
        .collect();
    for r in records.iter().filter(|r| !r.publish) {
        warnings.push(format!(
            "not published: {} {} {}: {}",
            r.name,
            r.rtype,
            r.value,
            r.note.as_deref().unwrap_or("")
        ));
    }
    let current = provider.list(domain).await?;
    let own = Ownership { published: owned_before.clone(), retired_dkim, replace_spf };
    let desired: Vec<Record> = records.into_iter().filter(|r| r.publish).collect();
    let plan = plan::plan(&desired, &current, &own);
    Ok(ZonePlan { zone: domain.to_string(), plan, warnings, desired, owned_before, retire })
}

/// Apply a zone's plan, then record what mailctl now owns there and retire DKIM keys whose
/// grace period is over. After a failure part-way, what it owns is what it owned before plus
/// everything it meant to write, so a re-run can finish or undo it.
pub async fn apply_zone(store: &Store, provider: &mut Provider, zp: &ZonePlan) -> Result<usize> {
    let result = provider.apply(&zp.zone, &zp.plan.changes).await;
    let conflicted: Owned = zp
        .plan
        .conflicts
        .iter()
        .flat_map(|c| c.wanted.iter().map(|v| (c.name.clone(), c.rtype.clone(), v.clone())))
        .collect();
    let mut owned: Owned = zp
        .desired
        .iter()
        .map(|r| (r.name.clone(), r.rtype.to_string(), r.value.clone()))
        .filter(|k| !conflicted.contains(k))
        .collect();
    if result.is_err() {
        owned.extend(zp.owned_before.iter().cloned());
    }
    let mut conn = store.pool.acquire().await?;
    crate::store::dns::replace(&mut conn, &zp.zone, &owned, now()).await?;
    drop(conn);
    let n = result?;
    for selector in &zp.retire {
        crate::ops::dkim::retire(store, &zp.zone, selector).await?;
    }
    Ok(n)
}

/// What `--wait` still misses on one server.
#[derive(Debug, Serialize)]
pub struct Pending {
    pub server: String,
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
}

/// One look at every server: the desired records not (yet) answered as wanted.
pub async fn not_yet_visible(servers: &[std::net::SocketAddr], desired: &[Record]) -> Result<Vec<Pending>> {
    let mut missing = Vec::new();
    let mut want: std::collections::BTreeMap<(&str, &str), Vec<&str>> = std::collections::BTreeMap::new();
    for r in desired.iter().filter(|r| r.publish) {
        want.entry((r.name.as_str(), r.rtype)).or_default().push(r.value.as_str());
    }
    for s in servers {
        let resolver = Resolver::at(&[*s])?;
        for ((name, rtype), values) in &want {
            let found = resolver.rrset(name, rtype).await.ok().flatten().map(|(_, v)| v).unwrap_or_default();
            if !values.iter().all(|v| found.iter().any(|f| f == v)) {
                missing.push(Pending { server: s.to_string(), name: name.to_string(), rtype: rtype.to_string() });
            }
        }
    }
    Ok(missing)
}

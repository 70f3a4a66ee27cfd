//! `dns records|publish|check`: gather the inputs (config, domains, DKIM keys), compute the
//! desired records, plan against a provider's zone and apply.

use serde::Serialize;

use crate::config::Config;
use crate::dns::check::{Finding, Verdict, compare, dmarc_parses, soften, spf_lookups};
use crate::dns::lookup::{Resolver, Server, authoritative};
use crate::dns::plan::{self, Ownership, Plan};
use crate::dns::provider::Provider;
use crate::dns::records::{self, Inputs, Record};
use crate::dns::value::txt_kind;
use crate::error::{Error, Kind, Result};
use crate::netaddr::parse_server;
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

/// A domain's DKIM keys and the records computed from them (and the config) at `now`.
async fn computed(
    cfg: &Config,
    store: &Store,
    domain: &str,
    now: i64,
) -> Result<(Vec<keys::DkimKey>, Vec<Record>, Vec<String>)> {
    let mut conn = store.pool.acquire().await?;
    let dkim = keys::list(&mut conn, Some(domain)).await?;
    let (records, warnings) =
        records::desired(&Inputs { domain, host: &cfg.hostname, dns: &cfg.dns, dkim: &dkim, now });
    Ok((dkim, records, warnings))
}

/// `dns records`: the desired record set of each domain.
pub async fn desired(cfg: &Config, store: &Store, domain: Option<&str>) -> Result<Vec<DomainRecords>> {
    let mut out = Vec::new();
    let t = now();
    for d in domains(store, domain).await? {
        let (dkim, records, mut warnings) = computed(cfg, store, &d, t).await?;
        if !dkim.iter().any(|k| k.status == "active") {
            warnings.push(format!("{d} has no active DKIM key: mailctl dkim generate --domain {d}"));
        }
        out.push(DomainRecords { domain: d, records, warnings });
    }
    Ok(out)
}

/// The plan for one zone, and what applying it needs.
#[derive(Debug)]
pub struct ZonePlan {
    pub zone: String,
    pub plan: Plan,
    pub warnings: Vec<String>,
    /// The records that go into the zone (for the published state and `--wait`).
    pub desired: Vec<Record>,
    /// What mailctl owned in the zone before (`own.published`).
    own: Ownership,
    /// (name, type, value) in the zone when it was read.
    present: Owned,
    /// Replaced DKIM keys past their grace period: retired once the plan is applied.
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
    let (dkim, records, mut warnings) = computed(cfg, store, domain, t).await?;
    let owned_before = crate::store::dns::published(&mut *store.pool.acquire().await?, domain).await?;
    let retire: Vec<String> = dkim
        .iter()
        .filter(|k| k.status == "inactive" && !records::dkim_published(k, cfg.dns.dkim_grace(), t))
        .map(|k| k.selector.clone())
        .collect();
    let retired_dkim: std::collections::BTreeSet<String> = dkim
        .iter()
        .filter(|k| !records::dkim_published(k, cfg.dns.dkim_grace(), t))
        .map(|k| crate::dkim::record_name(domain, &k.selector))
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
    let own = Ownership { published: owned_before, retired_dkim, replace_spf };
    let desired: Vec<Record> = records.into_iter().filter(|r| r.publish).collect();
    // Every name mailctl manages here, for a provider that must read the zone by queries.
    let names: Vec<String> = own.managed(&desired).into_iter().map(str::to_string).collect();
    let current = provider.list(domain, &names).await?;
    let present: Owned =
        current.iter().flat_map(|s| s.values.iter().map(|v| (s.name.clone(), s.rtype.clone(), v.clone()))).collect();
    let plan = plan::plan(&desired, &current, &own);
    Ok(ZonePlan { zone: domain.to_string(), plan, warnings, desired, own, present, retire })
}

/// Apply a zone's plan, then record what mailctl now owns there and retire DKIM keys whose
/// grace period is over.
///
/// Owned afterwards: what it owned that is still there, minus what the changes removed, plus
/// what they added, plus desired values that were already in place (not those held back by a
/// conflict). After a failure part-way it cannot know which changes were made, so it keeps
/// what it owned and claims everything the plan meant to add: a re-run finishes the job.
pub async fn apply_zone(store: &Store, provider: &mut Provider, zp: &ZonePlan) -> Result<usize> {
    let result = provider.apply(&zp.zone, &zp.plan.changes).await;
    let key = |c: &plan::Change, v: &String| (c.name.clone(), c.rtype.clone(), v.clone());
    let conflicted = zp.plan.held_back();
    let added: Owned = zp.plan.changes.iter().flat_map(|c| c.added().map(move |v| key(c, v))).collect();
    let removed: Owned = zp.plan.changes.iter().flat_map(|c| c.removed().map(move |v| key(c, v))).collect();
    let already: Owned = zp
        .desired
        .iter()
        .map(|r| (r.name.clone(), r.rtype.to_string(), r.value.clone()))
        .filter(|k| zp.present.contains(k) && !conflicted.contains(k))
        .collect();
    let owned: Owned = if result.is_ok() {
        zp.own
            .published
            .iter()
            .filter(|k| zp.present.contains(*k) && !removed.contains(*k))
            .chain(&added)
            .chain(&already)
            .cloned()
            .collect()
    } else {
        zp.own.published.iter().chain(&added).chain(&already).cloned().collect()
    };
    crate::store::dns::replace(store, &zp.zone, &owned, now()).await?;
    let n = result?;
    for selector in &zp.retire {
        crate::ops::dkim::retire(store, &zp.zone, selector).await?;
    }
    Ok(n)
}

/// Apply the zone's plan at one name only (a DKIM selector's): returns the records wanted
/// there (none for a retired selector) and how many changes were applied.
pub async fn publish_name(
    cfg: &Config,
    store: &Store,
    provider: &mut Provider,
    domain: &str,
    name: &str,
) -> Result<(Vec<Record>, usize)> {
    let mut zp = plan_zone(cfg, store, provider, domain, false).await?;
    let wanted: Vec<Record> = zp.desired.iter().filter(|r| r.name == name).cloned().collect();
    zp.plan.changes.retain(|c| c.name == name);
    zp.plan.conflicts.clear();
    zp.retire.clear();
    let n = apply_zone(store, provider, &zp).await?;
    Ok((wanted, n))
}

/// What `--wait` still misses on one server.
#[derive(Debug)]
pub struct Pending {
    pub server: String,
    pub name: String,
    pub rtype: String,
}

/// Ask the servers until each answers every desired record as wanted, or `timeout` has
/// passed (a round that runs past it counts as not yet). Each server's resolver is made once;
/// rounds come soon at first, then every 2 s; `progress` hears how many are still missing.
/// Returns what is still missing: empty when everything is visible.
pub async fn wait_until_visible(
    servers: &[Server],
    desired: &[Record],
    timeout: std::time::Duration,
    mut progress: impl FnMut(usize),
) -> Result<Vec<Pending>> {
    use std::time::Duration;
    let mut want: std::collections::BTreeMap<(&str, &str), Vec<&str>> = std::collections::BTreeMap::new();
    for r in desired.iter().filter(|r| r.publish) {
        want.entry((r.name.as_str(), r.rtype)).or_default().push(r.value.as_str());
    }
    let resolvers: Vec<(&Server, Resolver)> =
        servers.iter().map(|s| Ok((s, Resolver::at(&s.addrs)?))).collect::<Result<_>>()?;
    let round = async || {
        let mut missing = Vec::new();
        for (s, resolver) in &resolvers {
            for ((name, rtype), values) in &want {
                let found = resolver.rrset(name, rtype).await.ok().flatten().map(|(_, v)| v).unwrap_or_default();
                if !values.iter().all(|v| found.iter().any(|f| f == v)) {
                    missing.push(Pending { server: s.name.clone(), name: name.to_string(), rtype: rtype.to_string() });
                }
            }
        }
        missing
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(100);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let missing = tokio::time::timeout(left, round()).await.unwrap_or_else(|_| {
            vec![Pending { server: "-".into(), name: "(lookups timed out)".into(), rtype: String::new() }]
        });
        if missing.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(missing);
        }
        progress(missing.len());
        tokio::time::sleep(pause.min(deadline.saturating_duration_since(tokio::time::Instant::now()))).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// The records `--wait` waits for: those the plan did not hold back for a conflict.
pub fn to_wait_for(zp: &ZonePlan) -> Vec<Record> {
    let held = zp.plan.held_back();
    zp.desired
        .iter()
        .filter(|r| !held.contains(&(r.name.clone(), r.rtype.to_string(), r.value.clone())))
        .cloned()
        .collect()
}

/// The servers `--wait` and `dns check` ask: `--resolver`, else the RFC 2136 primary, else
/// the zone's authoritative servers.
pub async fn servers_for(
    cfg: &Config,
    zone: &str,
    provider: Option<&Provider>,
    resolver: Option<&str>,
    via: Option<&Resolver>,
) -> Result<Vec<Server>> {
    if let Some(r) = resolver {
        return Ok(vec![Server::at(parse_server(r)?)]);
    }
    if let Some((name, addr)) = provider.and_then(Provider::primary) {
        let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host(addr)
            .await
            .map_err(|e| Error::new(Kind::Unavailable, format!("resolving {name}: {e}")))?
            .collect();
        return Ok(vec![Server { name: name.to_string(), addrs }]);
    }
    // NS records through `via` (a resolver the caller has already), else the configured one.
    match via {
        Some(v) => authoritative(zone, v).await,
        None => authoritative(zone, &Resolver::system(cfg.server.dns_resolver.as_deref())?).await,
    }
}

/// `dns check` for one domain.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub domain: String,
    pub ok: bool,
    pub servers: String,
    pub findings: Vec<Finding>,
}

/// Look every desired record up live and check SPF, DMARC, the DKIM keys and reverse DNS.
/// `zone_servers` answer for the zone's records (the authoritative servers or `--resolver`);
/// `general` for everything else (SPF includes, PTR).
pub async fn check(
    cfg: &Config,
    store: &Store,
    domain: &str,
    zone_servers: &Resolver,
    general: &Resolver,
) -> Result<CheckReport> {
    let t = now();
    let (dkim, records, _) = computed(cfg, store, domain, t).await?;
    let mut findings = Vec::new();
    // A finding about a desired record, or about a check of its own (name, purpose, required).
    let check_of = |name: String, purpose: &str, required: bool, expected: &str, found: Vec<String>, v| {
        let (verdict, detail) = soften(required, v);
        Finding {
            name,
            rtype: "TXT".into(),
            purpose: purpose.into(),
            required,
            expected: vec![expected.into()],
            found,
            verdict,
            detail,
        }
    };
    let finding = |r: &Record, expected: Vec<String>, found: Vec<String>, v: (Verdict, String)| Finding {
        rtype: r.rtype.to_string(),
        expected,
        ..check_of(r.name.clone(), r.purpose, r.required, "", found, v)
    };
    // One finding per record set, except TXT: one per value (each kind stands alone).
    let mut groups: Vec<(&Record, Vec<String>)> = Vec::new();
    for r in records.iter().filter(|r| r.publish) {
        match groups.iter_mut().find(|(g, _)| g.rtype != "TXT" && g.name == r.name && g.rtype == r.rtype) {
            Some((_, v)) => v.push(r.value.clone()),
            None => groups.push((r, vec![r.value.clone()])),
        }
    }
    let mut spf_found = None;
    let mut dmarc_found = None;
    let mut dkim_found: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let (mut asked, mut errors, mut failed) = (0, 0, None);
    for (r, expected) in groups {
        asked += 1;
        let found = match zone_servers.rrset(&r.name, r.rtype).await {
            Ok(f) => f.map(|(_, v)| v).unwrap_or_default(),
            Err(e) => {
                findings.push(finding(r, expected, vec![], (Verdict::Missing, e.message.clone())));
                errors += 1;
                failed.get_or_insert(e);
                continue;
            }
        };
        if r.purpose == "dkim" {
            dkim_found.insert(r.name.clone(), found.clone());
        }
        let shown: Vec<String> = if r.rtype == "TXT" {
            found.iter().filter(|f| txt_kind(f) == txt_kind(&expected[0])).cloned().collect()
        } else {
            found.clone()
        };
        if r.purpose == "spf" {
            spf_found = shown.first().cloned();
        }
        if r.purpose == "dmarc" {
            dmarc_found = shown.first().cloned();
        }
        let v = compare(r.rtype, &expected, &found);
        findings.push(finding(r, expected, shown, v));
    }

    // Nobody answered: that is a network fault (69), not a verdict on the records.
    if let Some(e) = failed
        && errors == asked
    {
        return Err(Error::new(Kind::Unavailable, format!("dns check {domain}: {}", e.message)));
    }

    // SPF: syntax and the 10-lookup limit (RFC 7208 §4.6.4), following includes.
    if let Some(spf) = spf_found {
        let v = match count_spf_lookups(&spf, general).await {
            Ok(n) if n <= 10 => (vec![format!("{n} DNS lookups")], (Verdict::Ok, String::new())),
            Ok(n) => (
                vec![format!("{n} DNS lookups")],
                (Verdict::Wrong, "over the limit of 10: receivers get permerror".into()),
            ),
            Err(SpfCount::Invalid(e)) => (vec![], (Verdict::Wrong, e)),
            // An include that cannot be looked up from here is not proof of a fault.
            Err(SpfCount::Lookup(e)) => (vec![], (Verdict::Warning, e)),
        };
        findings.push(check_of(domain.to_string(), "spf-limit", true, "at most 10 DNS lookups", v.0, v.1));
    }
    if let Some(d) = dmarc_found {
        let v = match dmarc_parses(&d) {
            Ok(()) => (Verdict::Ok, String::new()),
            Err(e) => (Verdict::Wrong, e),
        };
        findings.push(check_of(format!("_dmarc.{domain}"), "dmarc-syntax", true, "valid DMARC", vec![d], v));
    }

    // DKIM: the key on disk is the key in the published record.
    for k in dkim.iter().filter(|k| records::dkim_published(k, cfg.dns.dkim_grace(), t)) {
        let name = crate::dkim::record_name(domain, &k.selector);
        let published: Vec<String> =
            dkim_found.get(&name).into_iter().flatten().filter_map(|v| crate::dns::check::dkim_p(v)).collect();
        let v = match crate::ops::dkim::public_key_on_disk(store, k) {
            Ok(p) if published.contains(&p) => (vec!["matches".into()], (Verdict::Ok, String::new())),
            Ok(_) if published.is_empty() => (vec![], (Verdict::Missing, "no DKIM record published".into())),
            Ok(_) => {
                (vec!["differs".into()], (Verdict::Wrong, "the private key on disk does not match the record".into()))
            }
            Err(e) => (vec![], (Verdict::Missing, e.message)),
        };
        let required = k.status == "active";
        findings.push(check_of(name, "dkim-key", required, "private key on disk matches", v.0, v.1));
    }

    // Forward-confirmed reverse DNS for the mail host's addresses.
    for r in records.iter().filter(|r| r.purpose == "ptr") {
        let names = general.rrset(&r.name, "PTR").await.ok().flatten().map(|(_, v)| v).unwrap_or_default();
        let ip: Option<std::net::IpAddr> = cfg
            .dns
            .ipv4
            .map(std::net::IpAddr::V4)
            .into_iter()
            .chain(cfg.dns.ipv6.map(std::net::IpAddr::V6))
            .find(|ip| records::reverse_name(*ip) == r.name);
        let v = if names.is_empty() {
            (Verdict::Missing, "no PTR: set it at your hosting provider".to_string())
        } else if !names.contains(&r.value) {
            (Verdict::Wrong, format!("PTR names {}, not the mail host", names.join(", ")))
        } else {
            let back = general.addresses(&r.value).await.unwrap_or_default();
            if ip.is_some_and(|ip| back.contains(&ip)) {
                (Verdict::Ok, String::new())
            } else {
                (Verdict::Wrong, format!("{} does not resolve back to the address", r.value))
            }
        };
        findings.push(finding(r, vec![r.value.clone()], names, v));
    }
    let ok = !findings.iter().any(Finding::fails);
    Ok(CheckReport { domain: domain.to_string(), ok, servers: zone_servers.label.clone(), findings })
}

/// Why the SPF lookups could not be counted.
enum SpfCount {
    /// A record does not parse, or an include has no SPF: receivers get permerror.
    Invalid(String),
    /// A lookup failed from here.
    Lookup(String),
}

/// Lookups an SPF record costs, includes and redirects followed (each one counted, as
/// receivers count them; stops past the limit).
async fn count_spf_lookups(record: &str, resolver: &Resolver) -> std::result::Result<u32, SpfCount> {
    let (mut total, mut queue) = spf_lookups(record).map_err(SpfCount::Invalid)?;
    while let Some(d) = queue.pop() {
        if total > 10 {
            break;
        }
        let txt = resolver
            .rrset(&d, "TXT")
            .await
            .map_err(|e| SpfCount::Lookup(e.message))?
            .map(|(_, v)| v)
            .unwrap_or_default();
        match txt.iter().find(|v| txt_kind(v) == "spf") {
            Some(s) => {
                let (n, more) = spf_lookups(s).map_err(|e| SpfCount::Invalid(format!("{d}: {e}")))?;
                total += n;
                queue.extend(more);
            }
            None => return Err(SpfCount::Invalid(format!("include {d} has no SPF record"))),
        }
    }
    Ok(total)
}

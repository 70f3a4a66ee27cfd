//! `mailctl transport check DOMAIN`: what TLS mail to a domain would get, asked of the
//! network now, the way the delivery worker asks: the route and its pinned level, the
//! domain's MTA-STS record and policy (fetched fresh, with the fetch's refusal when it fails,
//! and the kept copy beside it), its MX hosts with whether the policy names them, and, with
//! `dnssec_trust = resolver`, whether DNSSEC validates the MX records and what DANE asks of
//! each host. A help-desk and debugging view; delivery itself never reads it.

use serde::Serialize;

use crate::config::Config;
use crate::error::Result;
use crate::proto::mta_sts::Policy;
use crate::store::Store;

#[derive(Debug, Serialize)]
pub struct Check {
    pub domain: String,
    /// The transport route's next hop, when one applies.
    pub route: Option<String>,
    /// The level the route pins.
    pub tls: Option<String>,
    pub mta_sts: Sts,
    /// Whether the MX records validated (None: `dnssec_trust` is not `resolver`).
    pub mx_dnssec: Option<bool>,
    pub mx: Vec<Mx>,
}

#[derive(Debug, Serialize)]
pub struct Sts {
    /// The `_mta-sts` record's id, when there is exactly one such record.
    pub record_id: Option<String>,
    /// The policy fetched now.
    pub policy: Option<Policy>,
    /// Why there is none: no record, or the fetch's refusal.
    pub error: Option<String>,
    /// The copy kept in the store from earlier deliveries, and until when (Unix time).
    pub kept: Option<Policy>,
    pub kept_until: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Mx {
    pub preference: u16,
    pub host: String,
    /// Whether the fetched policy names this host (None without a policy).
    pub policy_allows: Option<bool>,
    /// What DANE asks of the host at port 25: `tlsa`, `off`, `unusable` or why the TLSA
    /// lookup failed (None when DANE is not in use).
    pub dane: Option<String>,
}

pub async fn check(store: &Store, cfg: &Config, domain: &str) -> Result<Check> {
    let domain = crate::names::domain(domain)?;
    let routes = crate::ops::transport::list(store).await?;
    let route = crate::ops::transport::route(&routes, &domain);
    let resolver = crate::dns::lookup::Resolver::system(cfg.server.dns_resolver.as_deref())?;
    let extra = cfg.server.tls_extra_roots.as_deref();
    let record_id = crate::ops::mta_sts::record_id(resolver.hickory(), &domain).await;
    let (policy, error) = match &record_id {
        None => (None, Some(format!("no single v=STSv1 TXT record at _mta-sts.{domain}"))),
        Some(_) => match crate::ops::mta_sts::fetch(resolver.hickory(), extra, &domain).await {
            Ok(p) => (Some(p), None),
            Err(why) => (None, Some(why)),
        },
    };
    let kept = {
        let mut conn = store.pool.acquire().await?;
        crate::store::mta_sts::get(&mut conn, &domain).await?
    };
    let dane_at = crate::ops::dane::resolver(cfg);
    let mx_dnssec = match &dane_at {
        Some(r) => Some(crate::ops::dane::mx_secure(r, &domain).await),
        None => None,
    };
    let mut mx = Vec::new();
    for value in resolver.rrset(&domain, "MX").await?.map(|(_, v)| v).unwrap_or_default() {
        let Some((pref, host)) = value.split_once(' ') else { continue };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let dane = match (&dane_at, mx_dnssec) {
            (Some(r), Some(true)) => Some(match crate::ops::dane::for_host(r, &host, 25).await {
                crate::ops::dane::ForHost::Off => "off".to_string(),
                crate::ops::dane::ForHost::Tlsa(t) => format!("tlsa ({} usable records)", t.len()),
                crate::ops::dane::ForHost::Unusable => "unusable (TLS required, unauthenticated)".to_string(),
                crate::ops::dane::ForHost::LookupFailed(why) => format!("TLSA lookup failed: {why}"),
            }),
            (Some(_), _) => Some("off (MX not validated)".to_string()),
            _ => None,
        };
        mx.push(Mx {
            preference: pref.parse().unwrap_or(0),
            policy_allows: policy.as_ref().map(|p| p.allows(&host)),
            host,
            dane,
        });
    }
    mx.sort_by_key(|m| m.preference);
    Ok(Check {
        route: route.map(|t| t.nexthop.clone()),
        tls: route.and_then(|t| t.tls.clone()),
        mta_sts: Sts {
            record_id,
            policy,
            error,
            kept_until: kept.as_ref().map(|k| k.expires_at),
            kept: kept.map(|k| k.policy),
        },
        mx_dnssec,
        mx,
        domain,
    })
}

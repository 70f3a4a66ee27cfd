//! `dns records|publish|check`: gather the inputs (config, domains, DKIM keys), compute the
//! desired records, plan against a provider's zone and apply.

use serde::Serialize;

use crate::config::Config;
use crate::dns::records::{self, Inputs, Record};
use crate::error::Result;
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

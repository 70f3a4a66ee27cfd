//! `mailctl doctor`: the deployment checklist as checks of the live system. Each group
//! (`config`, `dns`, …) runs at once beside the others, bounded in time, and gives one or more
//! [`Check`]s: pass, warn, fail or unknown, the evidence, and the fix as a command or an
//! instruction. A group reuses what the commands it stands for do (`dns check`, `cert
//! status`, the inbound filter's DNSBL rule), so doctor cannot disagree with them.

mod blocklists;
mod certificates;
mod config;
mod dns;
mod filters;
mod firewall;
mod listening;
mod operations;
mod probe;
mod relay;
mod roundtrip;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// The check could not tell (a peer did not answer, a tool is missing).
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `group` or `group.what` (`dns.example.com.dkim`).
    pub id: String,
    pub status: Status,
    pub evidence: String,
    /// What to do about it (a command, or a concrete instruction); None when it passed.
    pub fix: Option<String>,
}

impl Check {
    pub fn pass(id: impl Into<String>, evidence: impl Into<String>) -> Check {
        Check { id: id.into(), status: Status::Pass, evidence: evidence.into(), fix: None }
    }
    pub fn fail(id: impl Into<String>, evidence: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { id: id.into(), status: Status::Fail, evidence: evidence.into(), fix: Some(fix.into()) }
    }
    pub fn warn(id: impl Into<String>, evidence: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { id: id.into(), status: Status::Warn, evidence: evidence.into(), fix: Some(fix.into()) }
    }
    pub fn unknown(id: impl Into<String>, evidence: impl Into<String>) -> Check {
        Check { id: id.into(), status: Status::Unknown, evidence: evidence.into(), fix: None }
    }
}

/// The groups, in the order they are shown.
pub const GROUPS: &[&str] = &[
    "config",
    "dns",
    "certificates",
    "listening",
    "firewall",
    "outbound25",
    "blocklists",
    "open-relay",
    "roundtrip",
    "filters",
    "operations",
];

/// How long one group may take.
const GROUP_LIMIT: Duration = Duration::from_secs(20);

/// What a group sees.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub cfg: &'a Config,
    /// The domains checked (`--domain`, else every domain).
    pub domains: Vec<String>,
}

type Group<'a> = Pin<Box<dyn Future<Output = Vec<Check>> + Send + 'a>>;

fn group<'a>(name: &str, ctx: &'a Ctx<'a>) -> Group<'a> {
    match name {
        "config" => Box::pin(config::run(ctx)),
        "dns" => Box::pin(dns::run(ctx)),
        "certificates" => Box::pin(certificates::run(ctx)),
        "listening" => Box::pin(listening::run(ctx)),
        "firewall" => Box::pin(firewall::run(ctx)),
        "outbound25" => Box::pin(probe::run(ctx)),
        "blocklists" => Box::pin(blocklists::run(ctx)),
        "open-relay" => Box::pin(relay::run(ctx)),
        "filters" => Box::pin(filters::run(ctx)),
        "roundtrip" => Box::pin(roundtrip::run(ctx)),
        _ => Box::pin(operations::run(ctx)),
    }
}

/// Run the groups `only` names (all when empty) but those `skip` names, at once, each within
/// its limit; the checks in group order.
pub async fn run(
    store: &Store,
    cfg: &Config,
    domain: Option<&str>,
    only: &[String],
    skip: &[String],
) -> Result<Vec<Check>> {
    for name in only.iter().chain(skip) {
        if !GROUPS.contains(&name.as_str()) {
            return Err(Error::usage(format!("no check named {name:?}: the checks are {}", GROUPS.join(", "))));
        }
    }
    let domains = crate::ops::dns::domains(store, domain).await?;
    let ctx = Ctx { store, cfg, domains };
    let chosen: Vec<&str> = GROUPS
        .iter()
        .copied()
        .filter(|g| (only.is_empty() || only.iter().any(|o| o == g)) && !skip.iter().any(|s| s == g))
        .collect();
    let runs = chosen.iter().map(|name| {
        let ctx = &ctx;
        async move {
            match tokio::time::timeout(GROUP_LIMIT, group(name, ctx)).await {
                Ok(checks) => checks,
                Err(_) => vec![Check::unknown(*name, format!("did not finish within {} s", GROUP_LIMIT.as_secs()))],
            }
        }
    });
    Ok(futures_util::future::join_all(runs).await.into_iter().flatten().collect())
}

//! `dns` and reverse DNS: `dns check` for each domain (the same records `dns records` gives,
//! SPF's lookup limit, DMARC's syntax, DKIM on disk against DKIM published, MTA-STS's id,
//! TLS-RPT, autoconfig and SRV, and forward-confirmed PTR), one check per finding that falls
//! short and one pass per domain that has none.

use super::{Check, Ctx};
use crate::dns::check::Verdict;
use crate::dns::lookup::Resolver;

pub async fn run(ctx: &Ctx<'_>) -> Vec<Check> {
    let cfg = ctx.cfg;
    let general = match Resolver::system(cfg.server.dns_resolver.as_deref()) {
        Ok(r) => r,
        Err(e) => return vec![Check::unknown("dns", e.one_line())],
    };
    // A configured RFC 2136 provider is the zone's primary: asked directly (as `dns check`
    // asks it after `dns publish`), not through the NS records.
    let provider = cfg.dns.provider.as_ref().filter(|p| !p.is_empty()).and_then(|_| {
        crate::dns::provider::Provider::new(&crate::dns::provider::Settings::default().or_config(cfg)).ok()
    });
    let mut out = Vec::new();
    for domain in &ctx.domains {
        let id = |what: &str| format!("dns.{domain}.{what}");
        let servers = match crate::ops::dns::servers_for(cfg, domain, provider.as_ref(), None, Some(&general)).await {
            Ok(s) => s,
            Err(e) => {
                out.push(Check::fail(
                    id("delegation"),
                    e.one_line(),
                    format!("delegate {domain} to name servers (NS records at the registrar), then mailctl dns publish --domain {domain}"),
                ));
                continue;
            }
        };
        let addrs: Vec<_> = servers.iter().flat_map(|s| s.addrs.iter().copied()).collect();
        let report = match Resolver::at(&addrs) {
            Ok(at) => crate::ops::dns::check(cfg, ctx.store, domain, &at, &general).await,
            Err(e) => Err(e),
        };
        let report = match report {
            Ok(r) => r,
            Err(e) => {
                out.push(Check::unknown(id("records"), e.one_line()));
                continue;
            }
        };
        let mut failing = 0;
        for f in &report.findings {
            if f.verdict == Verdict::Ok {
                continue;
            }
            // An optional record may be left out, but one that is published must be right: a
            // wrong one misleads (a stale MTA-STS id, a PTR that does not confirm).
            let fails = f.fails() || !f.found.is_empty();
            failing += usize::from(fails);
            let evidence = format!(
                "{} {} ({}): {}{}; expected {}, found {}",
                f.name,
                f.rtype,
                f.purpose,
                f.verdict.as_str(),
                if f.detail.is_empty() { String::new() } else { format!(": {}", f.detail) },
                if f.expected.is_empty() { "-".into() } else { f.expected.join(" | ") },
                if f.found.is_empty() { "nothing".into() } else { f.found.join(" | ") },
            );
            let fix = match f.purpose.as_str() {
                "ptr" => format!(
                    "ask the provider of the address to set its PTR to {} (reverse DNS is set where the address comes from)",
                    cfg.hostname
                ),
                "spf-limit" => format!(
                    "shorten the SPF of {domain}: fewer include:, a:, mx: terms (mailctl config set spf_record …), then mailctl dns publish --domain {domain}"
                ),
                "dkim-key" => format!(
                    "mailctl dns publish --domain {domain} (the record must carry the key in {})",
                    cfg.data_dir.join("dkim").display()
                ),
                _ => format!(
                    "mailctl dns publish --domain {domain} (or set {} {} {} at your DNS host)",
                    f.name,
                    f.rtype,
                    f.expected.first().map(String::as_str).unwrap_or("")
                ),
            };
            let what = f.purpose.clone();
            out.push(if fails { Check::fail(id(&what), evidence, fix) } else { Check::warn(id(&what), evidence, fix) });
        }
        if failing == 0 {
            let ok = report.findings.iter().filter(|f| f.verdict == Verdict::Ok).count();
            out.push(Check::pass(
                id("records"),
                format!(
                    "{ok} of {} records as `dns records` gives them, asked of {}",
                    report.findings.len(),
                    report.servers
                ),
            ));
        }
    }
    out
}

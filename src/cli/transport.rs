//! `mailctl transport add|list|remove`

use clap::Subcommand;

use super::Ctx;
use super::output::{table, time};
use crate::error::Result;
use crate::ops::transport as ops;

#[derive(Debug, Subcommand)]
pub enum TransportCmd {
    /// Route a domain's outbound mail (`.example.net`: its subdomains) to a next hop:
    /// `[host]:port` connects to the host, `host:port` uses the host's MX
    Add {
        domain: String,
        nexthop: String,
        /// TLS this route requires: none, may (when offered), encrypt (required, any
        /// certificate), verify (required, the certificate must verify for the host name) or
        /// dane (the hosts' DNSSEC-validated TLSA records, else may). Without it, DANE and the
        /// domain's MTA-STS policy decide, else may
        #[arg(long, value_parser = crate::netaddr::TlsLevel::NAMES.to_vec())]
        tls: Option<String>,
        /// Change an existing route
        #[arg(long)]
        replace: bool,
    },
    /// List routes
    List,
    /// Remove a route (mail for the domain goes to its MX again)
    Remove { domain: String },
    /// What TLS mail to a domain would get, asked now: its route, MTA-STS record and policy
    /// (fetched fresh; why a fetch is refused), MX hosts, and DANE when dnssec_trust is set
    Check { domain: String },
}

pub async fn run(cmd: TransportCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    match cmd {
        TransportCmd::Add { domain, nexthop, tls, replace } => {
            let t = ops::add(&store, &domain, &nexthop, tls.as_deref(), replace).await?;
            if ctx.out.json {
                ctx.out.json(&t)?;
            } else {
                match &t.tls {
                    Some(level) => ctx.note(format!("{} -> {} (TLS: {level})", t.domain, t.nexthop)),
                    None => ctx.note(format!("{} -> {}", t.domain, t.nexthop)),
                }
            }
        }
        TransportCmd::List => {
            let list = ops::list(&store).await?;
            if ctx.out.json {
                ctx.out.json_array(&list)?;
            } else {
                let mut t = table(&["domain", "next hop", "TLS", "created"]);
                for r in &list {
                    let tls = r.tls.clone().unwrap_or_else(|| "DANE or MTA-STS, else may".into());
                    t.add_row(vec![r.domain.clone(), r.nexthop.clone(), tls, time(Some(r.created_at))]);
                }
                ctx.out.table(t)?;
            }
        }
        TransportCmd::Remove { domain } => {
            ops::remove(&store, &domain).await?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "domain": domain, "removed": true }))?;
            } else {
                ctx.note(format!("removed the transport for {domain}"));
            }
        }
        TransportCmd::Check { domain } => {
            let c = crate::ops::tls_policy::check(&store, &ctx.config, &domain).await?;
            if ctx.out.json {
                return Ok(ctx.out.json(&c)?);
            }
            let o = &mut ctx.out;
            o.line(format!("domain:   {}", c.domain))?;
            if let Some(r) = &c.route {
                o.line(format!("route:    {r} (TLS: {})", c.tls.as_deref().unwrap_or("DANE or MTA-STS, else may")))?;
            }
            let sts = &c.mta_sts;
            match (&sts.policy, &sts.error) {
                (Some(p), _) => o.line(format!(
                    "MTA-STS:  id {}, mode {}, mx {}, max_age {}",
                    sts.record_id.as_deref().unwrap_or("?"),
                    p.mode.as_str(),
                    p.mx.join(" "),
                    p.max_age
                ))?,
                (None, Some(why)) => o.line(format!("MTA-STS:  none: {why}"))?,
                (None, None) => o.line("MTA-STS:  none")?,
            }
            if let (Some(k), Some(until)) = (&sts.kept, sts.kept_until) {
                o.line(format!(
                    "kept:     mode {}, mx {}, until {}",
                    k.mode.as_str(),
                    k.mx.join(" "),
                    time(Some(until))
                ))?;
            }
            if let Some(v) = c.mx_dnssec {
                o.line(format!("DNSSEC:   MX records {}", if v { "validated" } else { "not validated" }))?;
            }
            if c.mx.is_empty() {
                o.line("MX:       none")?;
            }
            for m in &c.mx {
                let mut l = format!("MX {:>3}:   {}", m.preference, m.host);
                if let Some(a) = m.policy_allows {
                    l.push_str(if a { ", named by the policy" } else { ", NOT named by the policy" });
                }
                if let Some(d) = &m.dane {
                    l.push_str(&format!(", DANE: {d}"));
                }
                o.line(l)?;
            }
        }
    }
    Ok(())
}

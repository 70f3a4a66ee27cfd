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
        /// certificate) or verify (required, the certificate must verify for the host name).
        /// Without it, the domain's MTA-STS policy decides, else may
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
                    let tls = r.tls.clone().unwrap_or_else(|| "MTA-STS, else may".into());
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
    }
    Ok(())
}

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
        TransportCmd::Add { domain, nexthop, replace } => {
            let t = ops::add(&store, &domain, &nexthop, replace).await?;
            if ctx.out.json {
                ctx.out.json(&t)?;
            } else {
                ctx.note(format!("{} -> {}", t.domain, t.nexthop));
            }
        }
        TransportCmd::List => {
            let list = ops::list(&store).await?;
            if ctx.out.json {
                ctx.out.json_array(&list)?;
            } else {
                let mut t = table(&["domain", "next hop", "created"]);
                for r in &list {
                    t.add_row(vec![r.domain.clone(), r.nexthop.clone(), time(Some(r.created_at))]);
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

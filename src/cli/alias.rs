//! `mailctl alias add|list|remove`

use clap::Subcommand;

use super::Ctx;
use super::output::table;
use crate::error::Result;
use crate::ops::alias as ops;

#[derive(Debug, Subcommand)]
pub enum AliasCmd {
    /// Add destinations to an alias (`@domain` is the catch-all)
    Add {
        alias: String,
        #[arg(required = true)]
        destinations: Vec<String>,
    },
    /// List aliases
    List {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Remove an alias, or only the given destinations
    Remove { alias: String, destinations: Vec<String> },
}

pub async fn run(cmd: AliasCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    match cmd {
        AliasCmd::Add { alias, destinations } => {
            let a = ops::add(&store, &alias, &destinations).await?;
            if ctx.out.json {
                ctx.out.json(&a)?;
            } else {
                ctx.note(format!("{} -> {}", a.address, a.destinations.join(", ")));
            }
        }
        AliasCmd::List { domain } => {
            let list = ops::list(&store, domain.as_deref()).await?;
            if ctx.out.json {
                ctx.out.json_array(&list)?;
            } else {
                let mut t = table(&["alias", "destinations"]);
                for a in &list {
                    t.add_row(vec![a.address.clone(), a.destinations.join(", ")]);
                }
                ctx.out.table(t)?;
            }
        }
        AliasCmd::Remove { alias, destinations } => {
            let n = ops::remove(&store, &alias, &destinations).await?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "alias": alias, "destinations_removed": n }))?;
            } else {
                ctx.note(format!("removed {n} destination(s) from {alias}"));
            }
        }
    }
    Ok(())
}

//! `mailctl domain add|list|show|remove`

use clap::Subcommand;

use super::Ctx;
use super::output::{kv_table, table, time};
use crate::error::Result;
use crate::ops::domain as ops;

#[derive(Debug, Subcommand)]
pub enum DomainCmd {
    /// Add a mail domain
    Add { name: String },
    /// List the domains
    List,
    /// Show one domain
    Show { name: String },
    /// Remove a domain (refused while it has accounts or aliases, unless --force)
    Remove {
        name: String,
        /// Also remove its accounts and aliases
        #[arg(long)]
        force: bool,
        /// With --force: keep the accounts' Maildirs on disk
        #[arg(long)]
        keep_mail: bool,
    },
}

pub async fn run(cmd: DomainCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    match cmd {
        DomainCmd::Add { name } => {
            let d = ops::add(&store, &name).await?;
            if ctx.out.json {
                ctx.out.json(&d)?;
            } else {
                ctx.note(format!("added domain {}", d.name));
            }
        }
        DomainCmd::List => {
            let list = ops::list(&store).await?;
            if ctx.out.json {
                ctx.out.json_array(&list)?;
            } else {
                let mut t = table(&["domain", "accounts", "aliases", "created"]);
                for d in &list {
                    let name = if d.unicode != d.name { format!("{} ({})", d.name, d.unicode) } else { d.name.clone() };
                    t.add_row(vec![name, d.accounts.to_string(), d.aliases.to_string(), time(Some(d.created_at))]);
                }
                ctx.out.table(t)?;
            }
        }
        DomainCmd::Show { name } => {
            let d = ops::show(&store, &name).await?;
            if ctx.out.json {
                ctx.out.json(&d)?;
            } else {
                ctx.out.table(kv_table(&[
                    ("domain", d.name.clone()),
                    ("unicode", d.unicode.clone()),
                    ("accounts", d.accounts.to_string()),
                    ("aliases", d.aliases.to_string()),
                    ("created", time(Some(d.created_at))),
                ]))?;
            }
        }
        DomainCmd::Remove { name, force, keep_mail } => {
            let r = ops::remove(&store, &name, force, keep_mail).await?;
            if ctx.out.json {
                ctx.out.json(&r)?;
            } else {
                ctx.note(format!(
                    "removed domain {} ({} account(s), {} alias destination(s){})",
                    r.domain,
                    r.accounts_removed.len(),
                    r.aliases_removed,
                    if r.mail_kept && !r.accounts_removed.is_empty() { "; mail kept on disk" } else { "" }
                ));
            }
        }
    }
    Ok(())
}

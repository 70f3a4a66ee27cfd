//! `mailctl audit list`: the writes made through the HTTP admin API.

use clap::Subcommand;

use super::Ctx;
use super::output::{table, time};
use crate::error::Result;

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// List the latest entries, oldest first
    List {
        /// Only entries newer than this, such as 7d or 12h
        #[arg(long, value_parser = super::span::parse)]
        since: Option<i64>,
        /// At most this many entries (the latest)
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

pub async fn run(cmd: AuditCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    let AuditCmd::List { since, limit } = cmd;
    let list = crate::ops::audit::list(&store, since, limit).await?;
    if ctx.out.json {
        ctx.out.json_array(&list)?;
    } else {
        let mut t = table(&["when", "actor", "action", "target", "result"]);
        for e in &list {
            t.add_row(vec![time(Some(e.at)), e.actor.clone(), e.action.clone(), e.target.clone(), e.result.clone()]);
        }
        ctx.out.table(t)?;
    }
    Ok(())
}

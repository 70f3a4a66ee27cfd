//! `mailctl quota show|set|recalc`

use clap::Subcommand;
use serde::Serialize;

use super::Ctx;
use super::output::table;
use crate::error::Result;
use crate::ops::quota::{self as ops, NewQuota};
use crate::size::human;
use crate::store::Account;

#[derive(Debug, Subcommand)]
pub enum QuotaCmd {
    /// Limit, usage, percent and messages (all accounts, or one)
    Show { address: Option<String> },
    /// Set a quota: 500M, 5GiB, unlimited, or default (follow the tier)
    Set { address: String, size: String },
    /// Recompute usage from the Maildir
    Recalc { address: Option<String> },
}

#[derive(Serialize)]
struct QuotaView<'a> {
    address: &'a str,
    tier: &'a str,
    limit_bytes: Option<u64>,
    used_bytes: u64,
    messages: u64,
    percent: Option<f64>,
    over_quota: bool,
    custom: bool,
}

fn view(a: &Account) -> QuotaView<'_> {
    QuotaView {
        address: &a.address,
        tier: a.tier.as_str(),
        limit_bytes: a.quota_bytes,
        used_bytes: a.used_bytes,
        messages: a.messages,
        percent: a.percent_used().map(|p| (p * 10.0).round() / 10.0),
        over_quota: a.over_quota(),
        custom: a.quota_custom,
    }
}

pub async fn run(cmd: QuotaCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    match cmd {
        QuotaCmd::Show { address } => {
            let list = ops::show(&store, address.as_deref()).await?;
            print(ctx, &list)?;
        }
        QuotaCmd::Set { address, size } => {
            let q = NewQuota::parse(&size)?;
            let a = ops::set(&store, &address, q).await?;
            if ctx.out.json {
                ctx.out.json(&view(&a))?;
            } else {
                ctx.note(format!("quota of {} is now {}", a.address, a.limit()));
                if a.over_quota() {
                    ctx.note(format!("warning: {} is over its quota", a.address));
                }
            }
        }
        QuotaCmd::Recalc { address } => {
            let list = ops::recalc(&store, address.as_deref()).await?;
            if ctx.out.json {
                ctx.out.json_array(&list)?;
            } else {
                let mut t = table(&["address", "before", "now", "messages", "changed"]);
                for r in &list {
                    t.add_row(vec![
                        r.address.clone(),
                        human(r.before_bytes),
                        human(r.used_bytes),
                        r.messages.to_string(),
                        if r.changed { "yes" } else { "no" }.into(),
                    ]);
                }
                ctx.out.table(t)?;
            }
        }
    }
    Ok(())
}

fn print(ctx: &mut Ctx, list: &[Account]) -> Result<()> {
    if ctx.out.json {
        let views: Vec<QuotaView> = list.iter().map(view).collect();
        ctx.out.json_array(&views)?;
        return Ok(());
    }
    let mut t = table(&["address", "limit", "used", "percent", "messages", ""]);
    for a in list {
        t.add_row(vec![
            a.address.clone(),
            a.limit().to_string(),
            human(a.used_bytes),
            a.percent_used().map(|p| format!("{p:.1}%")).unwrap_or_else(|| "-".into()),
            a.messages.to_string(),
            if a.over_quota() { "OVER QUOTA" } else { "" }.into(),
        ]);
    }
    ctx.out.table(t)?;
    Ok(())
}

//! `mailctl filter test`

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Subcommand;

use super::Ctx;
use super::output::{table, time};
use crate::error::Result;
use crate::ops::filter as ops;

#[derive(Debug, Subcommand)]
pub enum FilterCmd {
    /// Allow a sender (ADDRESS or @DOMAIN): no spam scoring (viruses are still scanned)
    Allow {
        sender: String,
        /// Only for mail to this account (default: every account)
        #[arg(long)]
        account: Option<String>,
    },
    /// Block a sender (ADDRESS or @DOMAIN): refused at RCPT with 550 5.7.1
    Block {
        sender: String,
        /// Only for mail to this account (default: every account)
        #[arg(long)]
        account: Option<String>,
    },
    /// List the allow and block rules
    List,
    /// Why a message received on port 25 went where it went (or was refused): its verdicts,
    /// by queue id (the `id` of its Received: header) or Message-ID
    Explain { id: String },
    /// Remove a sender's rule
    Remove {
        sender: String,
        /// The rule of this account (default: the rule for every account)
        #[arg(long)]
        account: Option<String>,
    },
    /// Run a message file through the inbound filters (blocklists, SPF/DKIM/DMARC/ARC, spam and
    /// virus scanners, the decision) as if a client had sent it on port 25; nothing is delivered
    Test {
        /// The message (RFC 5322; LF or CRLF line ends)
        file: PathBuf,
        /// The client's address
        #[arg(long, default_value = "127.0.0.1")]
        ip: IpAddr,
        /// The client's EHLO name
        #[arg(long, default_value = "localhost")]
        helo: String,
        /// The envelope sender (empty: the null sender)
        #[arg(long, default_value = "")]
        from: String,
        /// An envelope recipient (repeat for more)
        #[arg(long, required = true)]
        to: Vec<String>,
    },
}

pub async fn run(cmd: FilterCmd, ctx: &mut Ctx) -> Result<()> {
    use crate::ops::filter_rules::{self as rules, Kind};
    match cmd {
        FilterCmd::Allow { sender, account } => put(ctx, Kind::Allow, &sender, account.as_deref()).await,
        FilterCmd::Block { sender, account } => put(ctx, Kind::Block, &sender, account.as_deref()).await,
        FilterCmd::List => {
            let store = ctx.store().await?;
            let list = rules::list(&store).await?;
            if ctx.out.json {
                ctx.out.json_array(&list)?;
                return Ok(());
            }
            let mut t = table(&["sender", "account", "rule", "created"]);
            for r in &list {
                let account = if r.account.is_empty() { "(every account)".to_string() } else { r.account.clone() };
                t.add_row(vec![r.pattern.clone(), account, r.kind.clone(), time(Some(r.created_at))]);
            }
            ctx.out.table(t)?;
            Ok(())
        }
        FilterCmd::Explain { id } => {
            let store = ctx.store().await?;
            let found = crate::ops::filter::explain(&store, &id).await?;
            if ctx.out.json {
                ctx.out.json_array(&found)?;
                return Ok(());
            }
            for (n, v) in found.iter().enumerate() {
                if n > 0 {
                    ctx.out.line("")?;
                }
                ctx.out.line(format!("queue id:   {}", v.queue_id))?;
                ctx.out.line(format!("message id: {}", v.message_id))?;
                ctx.out.line(format!("received:   {}", time(Some(v.received_at))))?;
                ctx.out.line(format!("client:     {}", v.client))?;
                ctx.out.line(format!("from:       <{}>", v.sender))?;
                ctx.out.line(format!("to:         {}", v.recipients))?;
                ctx.out.line(format!("action:     {}", v.action))?;
                ctx.out.line(format!("reason:     {}", v.reason))?;
                ctx.out.line(v.details.trim_end().replace("\r\n", "\n"))?;
            }
            Ok(())
        }
        FilterCmd::Remove { sender, account } => {
            let store = ctx.store().await?;
            rules::remove(&store, &sender, account.as_deref()).await?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "sender": sender, "account": account, "removed": true }))?;
            } else {
                ctx.note(format!("removed the rule for {sender}"));
            }
            Ok(())
        }
        FilterCmd::Test { file, ip, helo, from, to } => {
            let env = ops::Envelope { ip, helo, from, to };
            let trial = ops::test(&ctx.config, &file, &env).await?;
            let j = ops::to_json(&trial);
            if ctx.out.json {
                ctx.out.json(&j)?;
                return Ok(());
            }
            let mut lines = vec![format!("action: {}", j["action"].as_str().unwrap_or(""))];
            if let Some(r) = j["reply"].as_str() {
                lines.push(format!("reply:  {r}"));
            }
            lines.push(format!("reason: {}", j["reason"].as_str().unwrap_or("")));
            if let Some(c) = &trial.checked {
                lines.push(String::new());
                lines.push(c.headers.trim_end().replace("\r\n", "\n"));
            }
            for l in lines {
                ctx.out.line(l)?;
            }
            Ok(())
        }
    }
}

async fn put(ctx: &mut Ctx, kind: crate::ops::filter_rules::Kind, sender: &str, account: Option<&str>) -> Result<()> {
    let store = ctx.store().await?;
    let r = crate::ops::filter_rules::put(&store, kind, sender, account).await?;
    if ctx.out.json {
        ctx.out.json(&r)?;
    } else {
        let scope = if r.account.is_empty() { "every account".to_string() } else { r.account.clone() };
        ctx.note(format!("{} {} for {scope}", r.kind, r.pattern));
    }
    Ok(())
}

//! `mailctl queue list|show|flush|hold|release|delete`: the outbound queue, like postqueue
//! and postsuper.

use clap::{Args, Subcommand};

use super::Ctx;
use super::output::{table, time};
use crate::error::{Error, Result};
use crate::ops::queue::{self as ops, Action, Filter, Select};

#[derive(Debug, Args)]
pub struct Which {
    /// Queue ids
    ids: Vec<String>,
    /// Every queued message
    #[arg(long, conflicts_with_all = ["ids", "from"])]
    all: bool,
    /// Messages whose sender matches (`*` wildcards, else a substring)
    #[arg(long, conflicts_with = "ids")]
    from: Option<String>,
}

impl Which {
    fn select(self, default_all: bool) -> Result<Select> {
        Ok(match (self.ids.is_empty(), self.all, self.from) {
            (_, true, _) => Select::All,
            (true, false, Some(p)) => Select::From(p),
            (false, false, None) => Select::Ids(self.ids),
            (true, false, None) if default_all => Select::All,
            _ => return Err(Error::usage("name queue ids, or use --all or --from PATTERN")),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum QueueCmd {
    /// List queued messages
    List {
        /// Only messages whose sender matches (`*` wildcards, else a substring)
        #[arg(long)]
        from: Option<String>,
        /// Only messages with a recipient that matches
        #[arg(long)]
        to: Option<String>,
        /// Only held messages
        #[arg(long)]
        held: bool,
        /// Only messages that have been tried and deferred
        #[arg(long)]
        deferred: bool,
    },
    /// Show one message: envelope, headers, per-recipient status, history
    Show { id: String },
    /// Try these messages (default: all) now
    Flush {
        #[command(flatten)]
        which: Which,
    },
    /// Keep messages from being delivered until released
    Hold {
        #[command(flatten)]
        which: Which,
    },
    /// Release held messages (they are tried at once)
    Release {
        #[command(flatten)]
        which: Which,
    },
    /// Delete messages from the queue without delivering them
    Delete {
        #[command(flatten)]
        which: Which,
    },
    /// Fail messages now: the sender gets a DSN for every recipient not yet delivered
    Bounce {
        #[command(flatten)]
        which: Which,
    },
}

fn age(t: i64) -> String {
    let s = (crate::store::now() - t).max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

pub async fn run(cmd: QueueCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    let (outcome, verb) = match cmd {
        QueueCmd::List { from, to, held, deferred } => {
            let list = ops::list(&store, &Filter { from, to, held, deferred }).await?;
            if ctx.out.json {
                ctx.out.json_array(&list)?;
            } else {
                let mut t =
                    table(&["id", "age", "size", "sender", "recipients", "attempts", "next attempt", "last error"]);
                for q in &list {
                    let pending: Vec<&str> = q
                        .recipients
                        .iter()
                        .filter(|r| r.status == "pending" || r.status == "deferred")
                        .map(|r| r.address.as_str())
                        .collect();
                    let state = if q.quarantined {
                        "quarantined".to_string()
                    } else if q.held {
                        "held".to_string()
                    } else {
                        time(Some(q.next_attempt))
                    };
                    t.add_row(vec![
                        q.id.clone(),
                        age(q.received_at),
                        q.size.to_string(),
                        if q.sender.is_empty() { "<>".into() } else { q.sender.clone() },
                        pending.join(", "),
                        q.attempts.to_string(),
                        state,
                        q.last_error.clone().unwrap_or_default(),
                    ]);
                }
                ctx.out.table(t)?;
                ctx.note(format!("{} message(s) queued", list.len()));
            }
            return Ok(());
        }
        QueueCmd::Show { id } => {
            let s = ops::show(&store, &id).await?;
            if ctx.out.json {
                ctx.out.json(&s)?;
            } else {
                let q = &s.queued;
                ctx.out.line(format!("id:          {}", q.id))?;
                ctx.out.line(format!("sender:      <{}>", q.sender))?;
                ctx.out.line(format!("received:    {} ({} ago)", time(Some(q.received_at)), age(q.received_at)))?;
                ctx.out.line(format!("size:        {}", q.size))?;
                ctx.out.line(format!(
                    "state:       {}{}, {} attempt(s), next {}",
                    if q.held { "held" } else { "queued" },
                    if q.quarantined { ", quarantined" } else { "" },
                    q.attempts,
                    time(Some(q.next_attempt))
                ))?;
                for r in &q.recipients {
                    ctx.out.line(format!(
                        "recipient:   {} {}{}",
                        r.address,
                        r.status,
                        r.last_error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
                    ))?;
                }
                ctx.out.line("history:")?;
                for e in &s.events {
                    ctx.out.line(format!("  {}  {}", time(Some(e.at)), e.event))?;
                }
                ctx.out.line("headers:")?;
                for l in s.headers.lines() {
                    ctx.out.line(format!("  {l}"))?;
                }
            }
            return Ok(());
        }
        QueueCmd::Flush { which } => (ops::act(&store, &which.select(true)?, Action::Flush).await?, "flushed"),
        QueueCmd::Hold { which } => (ops::act(&store, &which.select(false)?, Action::Hold).await?, "held"),
        QueueCmd::Release { which } => (ops::act(&store, &which.select(false)?, Action::Release).await?, "released"),
        QueueCmd::Delete { which } => (ops::act(&store, &which.select(false)?, Action::Delete).await?, "deleted"),
        QueueCmd::Bounce { which } => {
            let hostname = ctx.config.hostname.clone();
            (ops::bounce(&store, &which.select(false)?, &hostname).await?, "bounced")
        }
    };
    if ctx.out.json {
        ctx.out.json(&outcome)?;
    } else {
        ctx.note(format!("{verb} {} message(s)", outcome.done.len()));
    }
    match outcome.error() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

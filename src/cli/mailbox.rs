//! `mailctl mailbox reindex` and `verify`

use clap::Subcommand;

use super::Ctx;
use super::output::table;
use crate::error::Result;
use crate::ops::reindex::reindex;

#[derive(Debug, Subcommand)]
pub enum MailboxCmd {
    /// Rebuild an account's mail index from its Maildir (imports a Dovecot Maildir, flags
    /// kept); with --fts, the full-text index instead (of the account, or of every account
    /// with --all): here when no server runs, else the running server does it
    Reindex {
        #[arg(value_name = "ADDRESS", required_unless_present = "all", conflicts_with = "all")]
        address: Option<String>,
        /// Every account (with --fts)
        #[arg(long, requires = "fts")]
        all: bool,
        /// The full-text index (search), not the mail index
        #[arg(long)]
        fts: bool,
    },
    /// Check the index against the Maildir: every row has its file with its size, no file
    /// lacks a row, UIDNEXT above every UID, usage the sum of the messages; exit 65 when
    /// something is wrong
    Verify {
        /// The account (or --all)
        #[arg(value_name = "ADDRESS", required_unless_present = "all", conflicts_with = "all")]
        address: Option<String>,
        /// Every account
        #[arg(long)]
        all: bool,
        /// Repair what can be repaired (rows of lost files removed, stray files indexed, usage
        /// recomputed, UIDNEXT raised) and report the rest
        #[arg(long)]
        fix: bool,
    },
}

pub async fn run(cmd: MailboxCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    match cmd {
        MailboxCmd::Reindex { address, fts: true, .. } => {
            let r = crate::ops::fts::reindex(&store, address.as_deref()).await?;
            let whose = r.address.clone().unwrap_or_else(|| "every account".into());
            if ctx.out.json {
                ctx.out.json(&r)?;
            } else if r.by == "server" {
                ctx.note(format!(
                    "asked the running server to rebuild the full-text index of {whose}; \
                     it logs \"full-text index: up to date\" when done (searches stay complete meanwhile)"
                ));
            } else {
                let pct = if r.mail_bytes > 0 { r.index_bytes as f64 * 100.0 / r.mail_bytes as f64 } else { 0.0 };
                ctx.note(format!(
                    "full-text index of {whose} rebuilt: {} message(s) in {} folder(s), {} of mail; the index takes {} ({pct:.0}%)",
                    r.messages,
                    r.mailboxes,
                    crate::size::human(r.mail_bytes),
                    crate::size::human(r.index_bytes)
                ));
            }
        }
        MailboxCmd::Reindex { address, .. } => {
            let address = address.unwrap_or_default();
            let r = reindex(&store, &address).await?;
            if ctx.out.json {
                ctx.out.json(&r)?;
            } else {
                let mut t = table(&["folder", "kept", "added", "removed"]);
                for f in &r.folders {
                    t.add_row(vec![f.folder.clone(), f.kept.to_string(), f.added.to_string(), f.removed.to_string()]);
                }
                ctx.out.table(t)?;
                ctx.note(format!("{}: {} message(s), {} bytes", r.address, r.messages, r.used_bytes));
            }
        }
        MailboxCmd::Verify { address, all: _, fix } => {
            let verdicts = crate::ops::mailbox_verify::verify(&store, address.as_deref(), fix).await?;
            if ctx.out.json {
                ctx.out.json_array(&verdicts)?;
            } else {
                let mut t = table(&["account", "folders", "messages", "bytes", "problems", "fixed"]);
                for v in &verdicts {
                    t.add_row(vec![
                        v.address.clone(),
                        v.folders.to_string(),
                        v.messages.to_string(),
                        v.bytes.to_string(),
                        v.problems.len().to_string(),
                        v.fixed.len().to_string(),
                    ]);
                }
                ctx.out.table(t)?;
                for v in &verdicts {
                    for (what, list) in [("fixed", &v.fixed), ("problem", &v.problems)] {
                        for f in list {
                            let place = [f.folder.clone(), f.uid.map(|u| format!("uid {u}")), f.file.clone()];
                            let place: Vec<String> = place.into_iter().flatten().collect();
                            ctx.out.line(format!("{what}: {} {}: {}", v.address, place.join(" "), f.detail))?;
                        }
                    }
                }
            }
            crate::ops::mailbox_verify::outcome(&verdicts)?;
        }
    }
    Ok(())
}

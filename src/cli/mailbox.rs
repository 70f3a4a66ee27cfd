//! `mailctl mailbox reindex`

use clap::Subcommand;

use super::Ctx;
use super::output::table;
use crate::error::Result;
use crate::ops::reindex::reindex;

#[derive(Debug, Subcommand)]
pub enum MailboxCmd {
    /// Rebuild an account's mail index from its Maildir (imports a Dovecot Maildir, flags kept)
    Reindex { address: String },
}

pub async fn run(cmd: MailboxCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    match cmd {
        MailboxCmd::Reindex { address } => {
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
    }
    Ok(())
}

//! `mailctl store migrate`: move the store to another database.

use clap::Subcommand;

use super::Ctx;
use super::output::table;
use crate::config::Location;
use crate::error::{Error, Result};

#[derive(Debug, Subcommand)]
pub enum StoreCmd {
    /// Copy the whole store into a new, empty database (PostgreSQL or SQLite), check every
    /// table (rows and checksums), then switch the config's `database` to it. A running
    /// `serve` goes on during the copy, holds writes (4xx) for the final catch-up only, and
    /// switches; the old store refuses writes from then on. A failed migration leaves the
    /// old store in use
    Migrate {
        /// The new database: postgres://… or sqlite://…
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

pub async fn run(cmd: StoreCmd, ctx: &mut Ctx) -> Result<()> {
    match cmd {
        StoreCmd::Migrate { to } => {
            let Location::File(config_file) = ctx.location.clone() else {
                return Err(Error::usage("the dev instance has no config file to switch: run `mailctl init` first"));
            };
            let store = ctx.store().await?;
            let done = crate::ops::migrate::migrate(&store, &config_file, &to).await?;
            store.close().await;
            if ctx.out.json {
                return Ok(ctx.out.json(&done)?);
            }
            let mut t = table(&["table", "rows", "sha256"]);
            for c in &done.tables {
                t.add_row(vec![c.name.clone(), c.rows.to_string(), c.sha256[..16].to_string()]);
            }
            ctx.out.table(t)?;
            ctx.note(format!(
                "{} row(s) copied from {} to {} and checked in {:.1} s; {} now names the new store",
                done.rows,
                done.from,
                done.to,
                done.duration_ms as f64 / 1000.0,
                done.config.display()
            ));
            if done.online {
                ctx.note(format!(
                    "serve switched to it; writes were held for {} ms ({} row(s) caught up)",
                    done.pause_ms, done.caught_up
                ));
            }
            if done.resumed {
                ctx.note("an interrupted migration was finished: the copy was already made and checked");
            }
        }
    }
    Ok(())
}

//! `mailctl backup create|list|verify|restore|prune`: online, incremental, verified backups of the whole
//! instance (format: docs/BACKUP.md).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Ctx;
use super::output::{table, time};
use crate::backup::Listed;
use crate::backup::prune::Policy;
use crate::config::Location;
use crate::error::{Error, Kind, Result};
use crate::ops::backup::{self as ops, Progress};
use crate::size::human;

#[derive(Debug, Subcommand)]
pub enum BackupCmd {
    /// Take a backup now, while `serve` runs: one snapshot of the store, the message files it
    /// names, the outbound spool, DKIM keys, TLS files and the config; only what the
    /// repository does not hold yet is written
    Create(Repository),
    /// The backups in the repository: complete ones, and those that never finished
    List(Repository),
    /// Check backups: every object present with its hash, every snapshot chunk readable
    Verify(VerifyArgs),
    /// Restore a whole instance from a backup into a new data directory and an empty database
    /// of either backend (so also a way to move): UIDVALIDITY, UIDs, flags and modseqs come
    /// back as they were, so IMAP clients do not resynchronise
    Restore(RestoreArgs),
    /// Forget backups a retention policy does not keep (as restic and borg do it), then remove
    /// the objects no kept backup names; backups that never finished are removed too
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Keep the newest N backups
    #[arg(long, value_name = "N", default_value_t = 0)]
    keep_last: usize,
    /// Keep the newest backup of each of the last N days that have one (UTC)
    #[arg(long, value_name = "N", default_value_t = 0)]
    keep_daily: usize,
    /// Keep the newest backup of each of the last N ISO weeks that have one
    #[arg(long, value_name = "N", default_value_t = 0)]
    keep_weekly: usize,
    /// Keep the newest backup of each of the last N months that have one
    #[arg(long, value_name = "N", default_value_t = 0)]
    keep_monthly: usize,
    /// Say what would be removed, remove nothing
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    repo: Repository,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup (an id from `backup list`)
    #[arg(value_name = "ID")]
    id: String,
    /// The new instance's data directory (must be empty; its config is written there)
    #[arg(long, value_name = "DIR", required_unless_present = "account", conflicts_with = "account")]
    data_dir: Option<PathBuf>,
    /// The new instance's database, sqlite:// or postgres:// (must be empty; default: SQLite
    /// in the data directory)
    #[arg(long, value_name = "URL", conflicts_with = "account")]
    database: Option<String>,
    /// Restore into a data directory that is not empty
    #[arg(long, conflicts_with = "account")]
    force: bool,
    /// Bring one account's mail back into this (live) instance instead, beside what it holds
    /// now: messages still there (same content) are not restored twice; an account deleted
    /// since is created again as the backup has it
    #[arg(long, value_name = "ADDRESS")]
    account: Option<String>,
    /// With --account: put the messages under this folder (its subfolders named as in the
    /// backup) instead of back into their own folders
    #[arg(long, value_name = "NAME", requires = "account")]
    into_folder: Option<String>,
    #[command(flatten)]
    repo: Repository,
}

#[derive(Debug, Args)]
pub struct Repository {
    /// The repository (default: the config's backup_dir)
    #[arg(long = "to", visible_alias = "repo", value_name = "DIR")]
    to: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The backups to check (default with --all: every complete one)
    #[arg(value_name = "ID", required_unless_present = "all", conflicts_with = "all")]
    ids: Vec<String>,
    /// Check every complete backup
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    repo: Repository,
}

impl Repository {
    fn dir(&self, ctx: &Ctx) -> PathBuf {
        self.to.clone().unwrap_or_else(|| ctx.config.backup_dir.clone())
    }
}

pub async fn run(cmd: BackupCmd, ctx: &mut Ctx) -> Result<()> {
    match cmd {
        BackupCmd::Create(r) => create(ctx, r.dir(ctx)).await,
        BackupCmd::List(r) => list(ctx, &r.dir(ctx)),
        BackupCmd::Verify(v) => verify(ctx, &v),
        BackupCmd::Restore(r) => restore(ctx, &r).await,
        BackupCmd::Prune(p) => prune(ctx, &p),
    }
}

/// A progress bar on a terminal (not with -q), else nothing.
fn bar(ctx: &Ctx, what: &'static str) -> impl FnMut(Progress) {
    let bar = (!ctx.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        b.set_message(what);
        b
    });
    move |p| {
        if let Some(b) = &bar {
            match p {
                Progress::Files { total } => {
                    b.set_position(0);
                    b.set_length(total)
                }
                Progress::File => {
                    b.inc(1);
                    if b.position() >= b.length().unwrap_or(0) {
                        b.finish_and_clear();
                    }
                }
            }
        }
    }
}

async fn create(ctx: &mut Ctx, dir: PathBuf) -> Result<()> {
    let store = ctx.store().await?;
    let config_file = match &ctx.location {
        Location::File(p) => Some(p.clone()),
        Location::Dev => None,
    };
    let m = ops::create(&store, &ctx.config, config_file.as_deref(), &dir, bar(ctx, "copying messages")).await?;
    if ctx.out.json {
        ctx.out.json(&Summary::of(&m))?;
    } else {
        ctx.note(format!(
            "backup {} complete in {}: {} accounts, {} messages, {} in all, {} new ({} s)",
            m.id,
            dir.display(),
            m.stats.accounts,
            m.stats.messages,
            human(m.stats.bytes_total),
            human(m.stats.bytes_new),
            format_args!("{:.1}", m.duration_ms as f64 / 1000.0)
        ));
        if !m.vanished.is_empty() {
            ctx.note(format!("{} message(s) were expunged while the backup ran and are not in it", m.vanished.len()));
        }
    }
    Ok(())
}

/// One backup as `list` shows it.
#[derive(Debug, Default, Serialize)]
struct Summary {
    id: String,
    complete: bool,
    started_at: Option<i64>,
    accounts: Option<u64>,
    messages: Option<u64>,
    bytes_total: Option<u64>,
    bytes_new: Option<u64>,
    duration_ms: Option<u64>,
}

impl Summary {
    /// A complete backup, from its manifest.
    fn of(m: &crate::backup::Manifest) -> Summary {
        Summary {
            id: m.id.clone(),
            complete: true,
            started_at: Some(m.started_at),
            accounts: Some(m.stats.accounts),
            messages: Some(m.stats.messages),
            bytes_total: Some(m.stats.bytes_total),
            bytes_new: Some(m.stats.bytes_new),
            duration_ms: Some(m.duration_ms),
        }
    }
}

fn list(ctx: &mut Ctx, dir: &Path) -> Result<()> {
    let listed = ops::list(dir)?;
    let rows: Vec<Summary> = listed
        .iter()
        .map(|l| match l {
            Listed::Complete(m) => Summary::of(m),
            Listed::Incomplete { id } => Summary { id: id.clone(), ..Default::default() },
        })
        .collect();
    if ctx.out.json {
        return Ok(ctx.out.json_array(&rows)?);
    }
    if rows.is_empty() {
        ctx.note(format!("no backups in {}", dir.display()));
        return Ok(());
    }
    let mut t = table(&["id", "time", "complete", "accounts", "messages", "total", "new", "duration"]);
    let opt = |v: Option<u64>, f: fn(u64) -> String| v.map_or_else(|| "-".to_string(), f);
    for r in &rows {
        t.add_row(vec![
            r.id.clone(),
            time(r.started_at),
            if r.complete { "yes".into() } else { "NO (never finished)".into() },
            opt(r.accounts, |n| n.to_string()),
            opt(r.messages, |n| n.to_string()),
            opt(r.bytes_total, human),
            opt(r.bytes_new, human),
            opt(r.duration_ms, |ms| format!("{:.1} s", ms as f64 / 1000.0)),
        ]);
    }
    Ok(ctx.out.table(t)?)
}

fn verify(ctx: &mut Ctx, v: &VerifyArgs) -> Result<()> {
    let dir = v.repo.dir(ctx);
    let (damage, checked) = ops::verify(&dir, &v.ids, bar(ctx, "verifying"))?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "checked": checked, "damage": damage }))?;
    } else {
        for d in &damage {
            ctx.out.line(format!("backup {}: {}", d.backup, d.problem))?;
        }
    }
    if damage.is_empty() {
        ctx.note(format!("{checked} backup(s) verified: every object present and intact"));
        return Ok(());
    }
    let first = &damage[0];
    Err(Error::new(
        Kind::Invalid,
        format!(
            "{} problem(s) in the backups of {} (first: backup {}: {})",
            damage.len(),
            dir.display(),
            first.backup,
            first.problem
        ),
    ))
}

async fn restore(ctx: &mut Ctx, r: &RestoreArgs) -> Result<()> {
    let dir = r.repo.dir(ctx);
    let progress = bar(ctx, "restoring messages");
    let Some(data_dir) = &r.data_dir else {
        let address = r.account.as_deref().expect("clap: --data-dir or --account");
        let store = ctx.store().await?;
        let hostname = ctx.config.hostname.clone();
        let done = crate::ops::restore_account::restore_account(
            &store,
            &hostname,
            &dir,
            &r.id,
            address,
            r.into_folder.as_deref(),
            progress,
        )
        .await?;
        if ctx.out.json {
            return Ok(ctx.out.json(&done)?);
        }
        let mut t = table(&["folder", "into", "restored", "already there"]);
        for f in &done.folders {
            t.add_row(vec![f.folder.clone(), f.into.clone(), f.restored.to_string(), f.already_there.to_string()]);
        }
        ctx.out.table(t)?;
        ctx.note(format!(
            "{}: {} message(s) restored from backup {} ({}), {} already there",
            done.address,
            done.restored,
            done.backup,
            human(done.bytes),
            done.already_there
        ));
        return Ok(());
    };
    let done = crate::ops::restore::restore(&dir, &r.id, data_dir, r.database.as_deref(), r.force, progress).await?;
    if ctx.out.json {
        ctx.out.json(&done)?;
    } else {
        ctx.note(format!(
            "backup {} restored into {} ({} accounts, {} messages, {:.1} s); database {}",
            done.backup,
            done.data_dir.display(),
            done.accounts,
            done.messages,
            done.duration_ms as f64 / 1000.0,
            done.database
        ));
        ctx.note(format!("start it with: mailctl --config {} serve", done.config.display()));
    }
    Ok(())
}

fn prune(ctx: &mut Ctx, p: &PruneArgs) -> Result<()> {
    let dir = p.repo.dir(ctx);
    let policy = Policy { last: p.keep_last, daily: p.keep_daily, weekly: p.keep_weekly, monthly: p.keep_monthly };
    let done = ops::prune(&dir, policy, p.dry_run)?;
    if ctx.out.json {
        return Ok(ctx.out.json(&done)?);
    }
    let verb = if done.dry_run { "would remove" } else { "removed" };
    for id in &done.removed {
        ctx.out.line(format!("{verb} backup {id}"))?;
    }
    for id in &done.incomplete_removed {
        ctx.out.line(format!("{verb} backup {id} (never finished)"))?;
    }
    ctx.note(format!(
        "{} backup(s) kept, {} {verb}; {} object(s), {} {}",
        done.kept.len(),
        done.removed.len() + done.incomplete_removed.len(),
        done.objects_removed,
        human(done.bytes_freed),
        if done.dry_run { "would be freed" } else { "freed" }
    ));
    Ok(())
}

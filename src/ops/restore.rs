//! `mailctl backup restore ID --data-dir DIR [--database URL]`: a whole instance from a backup
//! (`ops::backup`, format in `docs/BACKUP.md`), into a fresh data directory and an empty
//! database of either backend. UIDVALIDITY, UIDs, flags, modseqs, folders, subscriptions,
//! aliases, quotas, DKIM keys and the queue come back as they were, so IMAP clients do not
//! resynchronise.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::backup::{Found, MessageRow, Progress, column, decode_rows, int, text};
use crate::backup::{ObjectRef, Repo};
use crate::config::{Config, Location};
use crate::error::{Error, Kind, Result};
use crate::store::Store;
use crate::store::maildir::{self, Flags, file};
use crate::store::snapshot;

/// What was restored, and where.
#[derive(Debug, serde::Serialize)]
pub struct Restored {
    pub backup: String,
    pub data_dir: PathBuf,
    pub config: PathBuf,
    pub database: String,
    pub accounts: u64,
    pub messages: u64,
    pub duration_ms: u64,
}

pub async fn restore(
    repo_dir: &Path,
    id: &str,
    data_dir: &Path,
    database: Option<&str>,
    force: bool,
    mut progress: impl FnMut(Progress),
) -> Result<Restored> {
    let started = std::time::Instant::now();
    let repo = Repo::open(repo_dir)?;
    let m = repo.manifest(id)?;
    let data_dir = crate::fsutil::absolute(data_dir);
    let occupied = std::fs::read_dir(&data_dir).map(|mut d| d.next().is_some()).unwrap_or(false);
    if occupied && !force {
        return Err(Error::new(
            Kind::Exists,
            format!(
                "{} is not empty: restore into a new directory (or --force to restore beside what is there)",
                data_dir.display()
            ),
        ));
    }
    crate::fsutil::create_private_dir(&data_dir)?;
    let filled = fill(&repo, id, m, &data_dir, database, &mut progress, started).await;
    if filled.is_err() && !occupied {
        // Nothing of a failed restore stays in a directory it had to itself: it can be run
        // again as it was.
        if let Ok(entries) = std::fs::read_dir(&data_dir) {
            for e in entries.flatten() {
                let p = e.path();
                let _ = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
            }
        }
    }
    filled
}

/// The restore proper, into `data_dir` (created, and empty unless --force).
async fn fill(
    repo: &Repo,
    id: &str,
    m: crate::backup::Manifest,
    data_dir: &Path,
    database: Option<&str>,
    progress: &mut impl FnMut(Progress),
    started: std::time::Instant,
) -> Result<Restored> {
    let data_dir = data_dir.to_path_buf();
    let read = |r: &ObjectRef, what: &str| repo.need(id, r, what);

    // The config: the backed-up file (or a new one), pointed at the new places.
    let database =
        database.map(str::to_string).unwrap_or_else(|| crate::config::sqlite_url(&data_dir.join("mailctl.db")));
    let mut config_text = match m.files.iter().find(|f| f.kind == "config") {
        Some(f) => String::from_utf8(read(&f.object, "the config file")?)
            .map_err(|_| Error::invalid(format!("backup {id}: the config file is not UTF-8")))?,
        // A dev instance's backup has no config file: a new one for its first domain.
        None => {
            let first = match m.tables.iter().find(|t| t.name == "domains").and_then(|t| t.chunks.first()) {
                Some(c) => decode_rows(&read(c, "table domains")?)?.first().and_then(|r| r.first()).map(text),
                None => None,
            };
            let domain = first.unwrap_or_else(|| "example.com".to_string());
            crate::config::template(&domain, &format!("mail.{domain}"), &data_dir, Some(&database))
        }
    };
    let tls = data_dir.join("tls");
    for (key, value) in [
        ("data_dir", data_dir.to_string_lossy().into_owned()),
        ("database", database.clone()),
        ("tls_cert", tls.join("cert.pem").to_string_lossy().into_owned()),
        ("tls_key", tls.join("key.pem").to_string_lossy().into_owned()),
    ] {
        config_text = crate::config::edit(&config_text, key, &value)?;
    }
    let config_path = data_dir.join("mailctl.toml");
    crate::fsutil::write_atomic(&config_path, config_text.as_bytes(), 0o600)?;
    let config = Config::load(&Location::File(config_path.clone()))?;
    let store = Store::open(&config).await?;
    if !snapshot::is_empty(&store).await? {
        return Err(Error::new(
            Kind::Exists,
            format!("the database {} is not empty: restore into an empty one", crate::config::redact_url(&database)),
        ));
    }
    if m.schema_version > crate::store::latest_schema(store.backend) {
        return Err(Error::new(
            Kind::Invalid,
            format!(
                "backup {id} comes from a newer mailctl (schema {}); restore it with that version",
                m.schema_version
            ),
        ));
    }

    // The rows, in one transaction; what vanished during the backup is left out.
    let vanished: HashSet<(i64, i64)> = m.vanished.iter().copied().collect();
    let vanished_queue: HashSet<String> = m.vanished_queue.iter().cloned().collect();
    let mut found = Found::default();
    let mut tx = store.pool.begin().await?;
    for t in &m.tables {
        for (i, chunk) in t.chunks.iter().enumerate() {
            let mut rows = decode_rows(&read(chunk, &format!("table {} chunk {}", t.name, i + 1))?)?;
            match t.name.as_str() {
                "messages" => {
                    let (mb, uid) = (column(&t.name, &t.columns, "mailbox_id")?, column(&t.name, &t.columns, "uid")?);
                    rows.retain(|r| !vanished.contains(&(int(&r[mb]), int(&r[uid]))));
                }
                "queue" | "queue_recipients" | "queue_events" => {
                    let c = column(&t.name, &t.columns, if t.name == "queue" { "id" } else { "queue_id" })?;
                    rows.retain(|r| !vanished_queue.contains(&text(&r[c])));
                }
                _ => {}
            }
            found.take(&t.name, &t.columns, &rows)?;
            snapshot::insert(&mut tx, &t.name, &t.columns, &rows).await?;
        }
    }
    snapshot::continue_sequences(&mut tx, store.backend).await?;
    // Usage follows the rows (those of messages that vanished during the backup are left out).
    crate::store::accounts::recount_usage(&mut tx, None).await?;

    // The files, before the commit: a restore that fails part-way leaves an empty database.
    for address in found.accounts.values() {
        maildir::create(&store.maildir_path(address))?;
    }
    for &id in found.mailboxes.keys() {
        if let Some(folder) = found.folder(&store, id) {
            maildir::create_folder(&folder)?;
        }
    }
    let places: HashMap<(i64, i64), &MessageRow> = found.messages.iter().map(|r| ((r.mailbox_id, r.uid), r)).collect();
    progress(Progress::Files { total: m.messages.len() as u64 });
    let mut restored = 0u64;
    for f in &m.messages {
        progress(Progress::File);
        let Some(row) = places.get(&(f.mailbox_id, f.uid)) else { continue };
        let Some(folder) = found.folder(&store, f.mailbox_id) else { continue };
        let path = file::cur_path(&folder, &row.filename, &Flags::from_index(&row.flags));
        let bytes = read(&f.object, &format!("message mailbox {} uid {}", f.mailbox_id, f.uid))?;
        write_private(&path, &bytes, 0o600)?;
        restored += 1;
    }
    for f in &m.files {
        let path = match f.kind.as_str() {
            "dkim" | "spool" => {
                let rel = Path::new(&f.path);
                if rel.is_absolute() || rel.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
                    return Err(Error::invalid(format!("backup {id}: a file outside the data directory: {}", f.path)));
                }
                data_dir.join(rel)
            }
            "tls_cert" => tls.join("cert.pem"),
            "tls_key" => tls.join("key.pem"),
            _ => continue,
        };
        write_private(&path, &read(&f.object, &f.path)?, f.mode & 0o700)?;
    }
    crate::fsutil::sync_filesystem(&data_dir)?;
    tx.commit().await?;
    let accounts_n = found.accounts.len() as u64;
    store.close().await;
    Ok(Restored {
        backup: m.id,
        data_dir,
        config: config_path,
        database: crate::config::redact_url(&database),
        accounts: accounts_n,
        messages: restored,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// Write a file (and its directories, 0700), not yet synced: `fsutil::sync_filesystem` makes every
/// restored file durable at once, instead of one fsync per message.
fn write_private(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        crate::fsutil::create_private_dir(dir)?;
    }
    let mode = if mode == 0 { 0o600 } else { mode };
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| Error::io("writing", path, e))
}

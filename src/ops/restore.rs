//! `mailctl backup restore ID --data-dir DIR [--database URL]`: a whole instance from a backup
//! (`ops::backup`, format in `docs/BACKUP.md`), into a fresh data directory and an empty
//! database of either backend. UIDVALIDITY, UIDs, flags, modseqs, folders, subscriptions,
//! aliases, quotas, DKIM keys and the queue come back as they were, so IMAP clients do not
//! resynchronise.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::backup::{Progress, decode_rows};
use crate::backup::{ObjectRef, Repo};
use crate::config::{Config, Location};
use crate::error::{Error, Kind, Result};
use crate::names::Address;
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

/// A message row's place: its folder and file name.
struct Place {
    account: i64,
    mailbox: String,
    filename: String,
    flags: String,
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
    let read = |r: &ObjectRef, what: &str| -> Result<Vec<u8>> {
        repo.get(r)?.ok_or_else(|| {
            Error::new(Kind::Invalid, format!("backup {id}: the object of {what} ({}) is missing", r.sha256))
        })
    };

    // The config: the backed-up file (or a new one), pointed at the new places.
    let database =
        database.map(str::to_string).unwrap_or_else(|| crate::config::sqlite_url(&data_dir.join("mailctl.db")));
    let domains = table_rows(&m, "domains", &read)?;
    let first_domain =
        domains.first().and_then(|r| r.first()).and_then(Value::as_str).unwrap_or("example.com").to_string();
    let mut text = match m.files.iter().find(|f| f.kind == "config") {
        Some(f) => String::from_utf8(read(&f.object, "the config file")?)
            .map_err(|_| Error::invalid(format!("backup {id}: the config file is not UTF-8")))?,
        None => crate::config::template(&first_domain, &format!("mail.{first_domain}"), &data_dir, Some(&database)),
    };
    let tls = data_dir.join("tls");
    for (key, value) in [
        ("data_dir", data_dir.to_string_lossy().into_owned()),
        ("database", database.clone()),
        ("tls_cert", tls.join("cert.pem").to_string_lossy().into_owned()),
        ("tls_key", tls.join("key.pem").to_string_lossy().into_owned()),
    ] {
        text = crate::config::edit(&text, key, &value)?;
    }
    let config_path = data_dir.join("mailctl.toml");
    crate::fsutil::write_atomic(&config_path, text.as_bytes(), 0o600)?;
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
    let vanished_queue: HashSet<&str> = m.vanished_queue.iter().map(String::as_str).collect();
    let mut accounts: HashMap<i64, Address> = HashMap::new();
    let mut mailboxes: HashMap<i64, (i64, String)> = HashMap::new();
    let mut places: HashMap<(i64, i64), Place> = HashMap::new();
    let mut tx = store.pool.begin().await?;
    for t in &m.tables {
        let col = |name: &str| t.columns.iter().position(|c| c == name);
        for (i, chunk) in t.chunks.iter().enumerate() {
            let mut rows = decode_rows(&read(chunk, &format!("table {} chunk {}", t.name, i + 1))?)?;
            let int =
                |r: &Vec<Value>, c: Option<usize>| c.and_then(|c| r.get(c)).and_then(Value::as_i64).unwrap_or_default();
            let text = |r: &Vec<Value>, c: Option<usize>| {
                c.and_then(|c| r.get(c)).and_then(Value::as_str).unwrap_or_default().to_string()
            };
            match t.name.as_str() {
                "messages" => {
                    let (mb, uid) = (col("mailbox_id"), col("uid"));
                    rows.retain(|r| !vanished.contains(&(int(r, mb), int(r, uid))));
                    for r in &rows {
                        let mailbox_id = int(r, mb);
                        let (account, mailbox) = mailboxes.get(&mailbox_id).cloned().unwrap_or_default();
                        places.insert(
                            (mailbox_id, int(r, uid)),
                            Place {
                                account,
                                mailbox,
                                filename: text(r, col("filename")),
                                flags: text(r, col("flags")),
                            },
                        );
                    }
                }
                "queue" | "queue_recipients" | "queue_events" => {
                    let c = col(if t.name == "queue" { "id" } else { "queue_id" });
                    rows.retain(|r| !vanished_queue.contains(text(r, c).as_str()));
                }
                "accounts" => {
                    for r in &rows {
                        let address = Address { local: text(r, col("local_part")), domain: text(r, col("domain")) };
                        accounts.insert(int(r, col("id")), address);
                    }
                }
                "mailboxes" => {
                    for r in &rows {
                        mailboxes.insert(int(r, col("id")), (int(r, col("account_id")), text(r, col("name"))));
                    }
                }
                _ => {}
            }
            snapshot::insert(&mut tx, &t.name, &t.columns, &rows).await?;
        }
    }
    snapshot::finish(&mut tx, store.backend).await?;

    // The files, before the commit: a restore that fails part-way leaves an empty database.
    for (account, name) in mailboxes.values() {
        if let Some(a) = accounts.get(account) {
            let root = store.maildir_path(a);
            maildir::create(&root)?;
            maildir::create_folder(&maildir::folder_path(&root, name))?;
        }
    }
    progress(Progress::Files { total: m.messages.len() as u64 });
    let mut restored = 0u64;
    for f in &m.messages {
        progress(Progress::File);
        let Some(p) = places.get(&(f.mailbox_id, f.uid)) else { continue };
        let Some(a) = accounts.get(&p.account) else { continue };
        let folder = maildir::folder_path(&store.maildir_path(a), &p.mailbox);
        let path = file::cur_path(&folder, &p.filename, &Flags::from_index(&p.flags));
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
    let accounts_n = accounts.len() as u64;
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

/// Every row of one table of the snapshot.
fn table_rows(
    m: &crate::backup::Manifest,
    name: &str,
    read: &impl Fn(&ObjectRef, &str) -> Result<Vec<u8>>,
) -> Result<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    for t in m.tables.iter().filter(|t| t.name == name) {
        for c in &t.chunks {
            out.extend(decode_rows(&read(c, name)?)?);
        }
    }
    Ok(out)
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

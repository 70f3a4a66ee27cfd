//! Durable delivery of an accepted message: to local Maildirs and to the outbound spool.
//!
//! Order (the 250 after DATA depends on it): write the Maildir file in tmp/, fsync it, hard-link
//! it into new/ of every recipient, fsync those directories, write the spool file for remote
//! recipients (same rule), then commit the index rows and the quota usage in one transaction.
//! Any failure before the commit removes what was linked, so the client's retry is the only
//! copy; a crash after the links but before the commit leaves the message in new/ (never lost;
//! `quota recalc` and reindexing pick it up).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Kind, Result};
use crate::names::Address;
use crate::store::spool::{self, Envelope};
use crate::store::{Account, Store, accounts, maildir, messages, now};
use tokio::sync::{mpsc, oneshot};

/// A message ready to deliver.
pub struct Message<'a> {
    pub id: &'a str,
    /// The reverse-path (`None` for `<>`).
    pub from: Option<&'a str>,
    /// Local accounts (addresses, deduplicated by the caller).
    pub local: &'a [String],
    /// Remote recipients, for the outbound spool.
    pub remote: &'a [String],
    /// The message as received, with our Received: header first.
    pub data: &'a [u8],
    pub submitted_by: Option<&'a str>,
}

/// Why delivery failed; the SMTP reply follows from it.
#[derive(Debug)]
pub enum Failure {
    /// This account cannot take the message (452 4.2.2).
    MailboxFull(String),
    /// The disk is full (452 4.3.1).
    NoSpace(Error),
    /// Anything else (451 4.3.0).
    Local(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let no_space = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| io.raw_os_error() == Some(libc::ENOSPC) || io.raw_os_error() == Some(libc::EDQUOT));
        if no_space { Failure::NoSpace(e) } else { Failure::Local(e) }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A Maildir file name, unique on this host (Dovecot's form: time.MusecPpidQn.host,S=size).
pub fn maildir_name(hostname: &str, size: usize) -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let host: String = hostname.chars().map(|c| if c == '/' || c == ':' { '_' } else { c }).collect();
    format!(
        "{}.M{}P{}Q{}.{host},S={size}",
        t.as_secs(),
        t.subsec_micros(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Does `size` more bytes fit the account's quota?
pub fn fits(a: &Account, size: u64) -> bool {
    match a.quota_bytes {
        Some(q) => a.used_bytes.saturating_add(size) <= q,
        None => true,
    }
}

/// Write `Return-Path` + data into the first Maildir's tmp/, link it into every new/, fsync.
/// Returns the files created in new/ (for rollback).
fn write_maildirs(dirs: &[PathBuf], name: &str, return_path: &str, data: &[u8]) -> Result<Vec<PathBuf>> {
    let tmp = dirs[0].join("tmp").join(name);
    let mut created = Vec::new();
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(format!("Return-Path: <{return_path}>\r\n").as_bytes())?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        for d in dirs {
            let target = d.join("new").join(name);
            if std::fs::hard_link(&tmp, &target).is_err() {
                // Another file system: copy instead.
                std::fs::copy(&tmp, &target)?;
                std::fs::File::open(&target)?.sync_all()?;
            }
            created.push(target);
        }
        for d in dirs {
            std::fs::File::open(d.join("new"))?.sync_all()?;
        }
        std::fs::remove_file(&tmp)?;
        Ok(())
    })();
    match result {
        Ok(()) => Ok(created),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            undo(&created);
            Err(Error::new(Kind::Io, format!("writing to Maildir {}", dirs[0].display())).with_source(e))
        }
    }
}

fn undo(files: &[PathBuf]) {
    for f in files {
        let _ = std::fs::remove_file(f);
    }
}

/// Deliver durably; on success every local recipient has it in INBOX (indexed and counted) and
/// every remote one is in the spool.
pub async fn deliver(
    store: &Store,
    committer: &Committer,
    hostname: &str,
    msg: &Message<'_>,
) -> std::result::Result<(), Failure> {
    let return_path = msg.from.unwrap_or("");
    let size = msg.data.len() as u64 + format!("Return-Path: <{return_path}>\r\n").len() as u64;
    let mut conn = store.pool.acquire().await.map_err(Error::from)?;
    let mut targets = Vec::new();
    for addr in msg.local {
        let a = accounts::get(&mut conn, addr)
            .await?
            .ok_or_else(|| Failure::Local(Error::not_found(format!("account {addr} vanished"))))?;
        if !fits(&a, size) {
            return Err(Failure::MailboxFull(a.address));
        }
        targets.push(a);
    }
    drop(conn);

    let name = maildir_name(hostname, size as usize);
    let dirs: Vec<PathBuf> = targets
        .iter()
        .map(|a| store.maildir_path(&Address { local: a.local_part.clone(), domain: a.domain.clone() }))
        .collect();
    let (data, rp, nm, dirs2) = (msg.data.to_vec(), return_path.to_string(), name.clone(), dirs.clone());
    let envelope = (!msg.remote.is_empty()).then(|| Envelope {
        id: msg.id.to_string(),
        from: return_path.to_string(),
        recipients: msg.remote.to_vec(),
        received_at: now(),
        size: msg.data.len() as u64,
        submitted_by: msg.submitted_by.map(String::from),
    });
    let data_dir = store.data_dir.clone();
    let written = tokio::task::spawn_blocking(move || -> Result<(Vec<PathBuf>, Option<PathBuf>)> {
        let created = if dirs2.is_empty() { vec![] } else { write_maildirs(&dirs2, &nm, &rp, &data)? };
        let spooled = match &envelope {
            Some(env) => match spool::write(&data_dir, env, &data) {
                Ok(p) => Some(p),
                Err(e) => {
                    undo(&created);
                    return Err(e);
                }
            },
            None => None,
        };
        Ok((created, spooled))
    })
    .await
    .map_err(|e| Failure::Local(Error::new(Kind::Internal, e.to_string())))??;
    let (created, spooled) = written;

    let ids: Vec<i64> = targets.iter().map(|a| a.id).collect();
    if let Err(e) = committer.commit(ids, name, size as i64).await {
        undo(&created);
        if let Some(p) = spooled {
            let _ = std::fs::remove_file(p);
        }
        return Err(Failure::Local(e.context("recording the delivery")));
    }
    Ok(())
}

/// One delivery's index rows and usage, waiting to be committed.
struct Job {
    accounts: Vec<i64>,
    name: String,
    size: i64,
    done: oneshot::Sender<Result<()>>,
}

/// Group commit: deliveries that finish while a commit is running are committed together in
/// the next transaction, so concurrent sessions share one fsync of the database instead of
/// queueing for one each. Each caller still waits for its own rows to be committed.
#[derive(Clone)]
pub struct Committer {
    tx: mpsc::Sender<Job>,
}

/// Most deliveries in one transaction.
const MAX_BATCH: usize = 256;

impl Committer {
    pub fn start(store: Store) -> Committer {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run_committer(store, rx));
        Committer { tx }
    }

    /// Index a delivered file for these accounts and add its size to their usage; returns
    /// once committed.
    pub async fn commit(&self, accounts: Vec<i64>, name: String, size: i64) -> Result<()> {
        if accounts.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        let gone = || Error::new(Kind::Unavailable, "the delivery committer has stopped");
        self.tx.send(Job { accounts, name, size, done }).await.map_err(|_| gone())?;
        wait.await.map_err(|_| gone())?
    }
}

async fn run_committer(store: Store, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        if batch.len() == 1 || commit_batch(&store, &batch).await.is_err() {
            // Alone, or one of the batch failed: commit each on its own so that one bad job
            // fails only itself.
            for j in batch {
                let r = commit_batch(&store, std::slice::from_ref(&j)).await;
                let _ = j.done.send(r);
            }
            continue;
        }
        for j in batch {
            let _ = j.done.send(Ok(()));
        }
    }
}

async fn commit_batch(store: &Store, jobs: &[Job]) -> Result<()> {
    let mut tx = store.begin_write().await?;
    let t = now();
    for j in jobs {
        for &id in &j.accounts {
            let mbox = messages::ensure_mailbox(&mut tx, id, "INBOX").await?;
            messages::append(&mut tx, mbox, &j.name, j.size, t, "").await?;
            accounts::add_usage(&mut tx, id, j.size, 1).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Remove Maildir tmp/ files left by a crash (older than `age`), as the Maildir spec asks.
pub fn clean_tmp(root: &Path, age: std::time::Duration) {
    let Ok(domains) = std::fs::read_dir(root) else { return };
    for d in domains.flatten() {
        let Ok(users) = std::fs::read_dir(d.path()) else { continue };
        for u in users.flatten() {
            let Ok(folders) = maildir::folders(&u.path()) else { continue };
            for f in folders {
                let Ok(files) = std::fs::read_dir(f.join("tmp")) else { continue };
                for file in files.flatten() {
                    let old = file.metadata().and_then(|m| m.modified()).ok().and_then(|m| m.elapsed().ok());
                    if old.is_some_and(|e| e > age) {
                        let _ = std::fs::remove_file(file.path());
                    }
                }
            }
        }
    }
}

//! `mailctl backup`: an online, incremental, verified copy of the whole instance into a
//! repository (`crate::backup`, format in `docs/BACKUP.md`).
//!
//! A backup is one snapshot of the store (`store::snapshot`) and exactly the message files
//! that snapshot's rows name, found by their Maildir base name even when a flag change renamed
//! them meanwhile; plus the outbound spool entries its queue names, the DKIM keys, the TLS
//! certificate and key, and the config file. Every piece is an object named by its SHA-256, so
//! what an earlier backup stored is not stored again. The manifest goes last.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::backup::manifest::{MANIFEST_FORMAT, MessageFile, NamedFile, Stats, Table};
use crate::backup::{Listed, Manifest, ObjectRef, Repo};
use crate::config::Config;
use crate::error::{Error, Kind, Result};
use crate::names::Address;
use crate::store::Store;
use crate::store::maildir::{self, Flags, file};
use crate::store::snapshot::{self, Part};

/// How far a backup has got, for a progress bar.
pub enum Progress {
    /// The snapshot is read; `total` message files to copy.
    Files { total: u64 },
    /// One more message file copied (or found gone).
    File,
}

/// What one message row says about its file.
pub(crate) struct MessageRow {
    pub mailbox_id: i64,
    pub uid: i64,
    pub filename: String,
    pub flags: String,
    pub internal_date: i64,
}

/// What a snapshot's rows say about where files are: filled chunk by chunk as a backup reads
/// the store, and again as a restore reads the backup.
#[derive(Default)]
pub(crate) struct Found {
    pub accounts: HashMap<i64, Address>,
    /// mailbox id -> (account id, name)
    pub mailboxes: HashMap<i64, (i64, String)>,
    pub messages: Vec<MessageRow>,
    pub queue: Vec<String>,
}

/// Where `name` is among a snapshot table's columns.
pub(crate) fn column(table: &str, columns: &[String], name: &str) -> Result<usize> {
    columns
        .iter()
        .position(|c| c == name)
        .ok_or_else(|| Error::new(Kind::Invalid, format!("the snapshot's {table} table has no column {name}")))
}

/// An integer column (a boolean one as 0 or 1: PostgreSQL may have them).
pub(crate) fn int(v: &Value) -> i64 {
    v.as_i64().or_else(|| v.as_bool().map(i64::from)).unwrap_or_default()
}

pub(crate) fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

impl Found {
    /// Take what is needed from a chunk of `table`'s rows.
    pub fn take(&mut self, table: &str, columns: &[String], rows: &[Vec<Value>]) -> Result<()> {
        let col = |name: &str| column(table, columns, name);
        match table {
            "accounts" => {
                let (id, local, domain) = (col("id")?, col("local_part")?, col("domain")?);
                for r in rows {
                    self.accounts.insert(int(&r[id]), Address { local: text(&r[local]), domain: text(&r[domain]) });
                }
            }
            "mailboxes" => {
                let (id, account, name) = (col("id")?, col("account_id")?, col("name")?);
                for r in rows {
                    self.mailboxes.insert(int(&r[id]), (int(&r[account]), text(&r[name])));
                }
            }
            "messages" => {
                let (mb, uid, filename, flags) = (col("mailbox_id")?, col("uid")?, col("filename")?, col("flags")?);
                let date = col("internal_date")?;
                for r in rows {
                    self.messages.push(MessageRow {
                        mailbox_id: int(&r[mb]),
                        uid: int(&r[uid]),
                        filename: text(&r[filename]),
                        flags: text(&r[flags]),
                        internal_date: int(&r[date]),
                    });
                }
            }
            "queue" => {
                let id = col("id")?;
                self.queue.extend(rows.iter().map(|r| text(&r[id])));
            }
            _ => {}
        }
        Ok(())
    }

    /// A mailbox's folder directory in the instance `store` serves (None for a mailbox whose
    /// account the snapshot does not hold).
    pub fn folder(&self, store: &Store, mailbox_id: i64) -> Option<PathBuf> {
        let (account, name) = self.mailboxes.get(&mailbox_id)?;
        Some(maildir::folder_path(&store.maildir_path(self.accounts.get(account)?), name))
    }
}

/// A table chunk as stored: gzip'ed JSON (an array of rows).
fn encode_rows(rows: &[Vec<Value>]) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(rows).map_err(|e| Error::new(Kind::Internal, "encoding rows").with_source(e))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&json)
        .and_then(|_| gz.finish())
        .map_err(|e| Error::new(Kind::Internal, "compressing rows").with_source(e))
}

/// A stored table chunk's rows.
pub fn decode_rows(bytes: &[u8]) -> Result<Vec<Vec<Value>>> {
    let mut json = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut json)
        .map_err(|e| Error::new(Kind::Invalid, "a snapshot chunk is not gzip data").with_source(e))?;
    serde_json::from_slice(&json).map_err(|e| Error::new(Kind::Invalid, "a snapshot chunk is not rows").with_source(e))
}

/// A new backup's id: the UTC time, with `-N` when that id is taken.
fn new_id(repo: &Repo) -> Result<String> {
    let base = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let taken: std::collections::HashSet<String> = repo.ids()?.into_iter().map(|(id, _)| id).collect();
    let mut id = base.clone();
    let mut n = 1;
    while taken.contains(&id) {
        n += 1;
        id = format!("{base}-{n}");
    }
    Ok(id)
}

/// Take a backup of the instance into the repository at `to` (created when missing).
pub async fn create(
    store: &Store,
    config: &Config,
    config_file: Option<&Path>,
    to: &Path,
    mut progress: impl FnMut(Progress),
) -> Result<Manifest> {
    let started = std::time::Instant::now();
    let started_at = crate::store::now();
    let repo = Arc::new(Repo::create_or_open(to)?);
    let _lock = repo.lock()?;
    let id = new_id(&repo)?;
    repo.begin(&id)?;
    let taken = take(&repo, id.clone(), store, config, config_file, &mut progress).await;
    match taken {
        Ok(mut m) => {
            m.started_at = started_at;
            m.duration_ms = started.elapsed().as_millis() as u64;
            if let Err(e) = repo.commit(&m) {
                repo.abandon(&id);
                return Err(e);
            }
            Ok(m)
        }
        Err(e) => {
            repo.abandon(&id);
            Err(e)
        }
    }
}

/// Copy the instance into the repository: everything but the manifest, which it returns.
async fn take(
    repo: &Arc<Repo>,
    id: String,
    store: &Store,
    config: &Config,
    config_file: Option<&Path>,
    progress: &mut impl FnMut(Progress),
) -> Result<Manifest> {
    let mut bytes_total = 0u64;

    // The store, in one snapshot; the message files its rows name are copied on other threads
    // as the rows arrive.
    let mut tables: Vec<Table> = Vec::new();
    let mut found = Found::default();
    let mut copier = Copier::start(repo);
    let schema_version = snapshot::read(store, |part| {
        match part {
            Part::Table { name, columns } => {
                tables.push(Table { name: name.to_string(), columns: columns.to_vec(), rows: 0, chunks: Vec::new() })
            }
            Part::Rows(rows) => {
                let t = tables.last_mut().expect("a table before its rows");
                let before = found.messages.len();
                found.take(&t.name, &t.columns, rows)?;
                copier.copy(store, &found, before);
                let r = repo.put(&encode_rows(rows)?)?;
                bytes_total += r.size;
                t.rows += rows.len() as u64;
                t.chunks.push(r);
            }
        }
        Ok(())
    })
    .await;
    progress(Progress::Files { total: found.messages.len() as u64 });
    let copied = copier.finish(progress);
    let schema_version = schema_version?;
    let (messages, vanished) = place(&found, copied?);
    bytes_total += messages.iter().map(|m| m.object.size).sum::<u64>();

    // The spool entries of the queued messages, and the files that are not mail.
    let mut files = Vec::new();
    let mut vanished_queue = Vec::new();
    for qid in &found.queue {
        let rel = format!("spool/outbound/{qid}");
        match named(repo, "spool", &store.data_dir.join(&rel), rel.clone())? {
            Some(f) => files.push(f),
            None => vanished_queue.push(qid.clone()),
        }
    }
    for path in walk(&store.data_dir.join("dkim"))? {
        let rel = path.strip_prefix(&store.data_dir).unwrap_or(&path).to_string_lossy().into_owned();
        files.extend(named(repo, "dkim", &path, rel)?);
    }
    for (kind, path) in [("tls_cert", &config.server.tls_cert), ("tls_key", &config.server.tls_key)] {
        files.extend(named(repo, kind, path, path.to_string_lossy().into_owned())?);
    }
    if let Some(path) = config_file {
        files.extend(named(repo, "config", path, path.to_string_lossy().into_owned())?);
    }
    bytes_total += files.iter().map(|f| f.object.size).sum::<u64>();

    let accounts = tables.iter().find(|t| t.name == "accounts").map_or(0, |t| t.rows);
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        id,
        // Set by `create`, which started the clock.
        started_at: 0,
        finished_at: crate::store::now(),
        duration_ms: 0,
        mailctl_version: env!("CARGO_PKG_VERSION").to_string(),
        backend: store.backend.name().to_string(),
        schema_version,
        tables,
        stats: Stats { accounts, messages: messages.len() as u64, bytes_total, bytes_new: repo.bytes_written() },
        messages,
        vanished,
        vanished_queue,
        files,
    };
    Ok(manifest)
}

/// Message rows whose file was expunged before it was copied: (mailbox id, UID).
type Vanished = Vec<(i64, i64)>;

/// What the copy threads hand back: each row's place and its object (None: the file was gone).
type Copied = Vec<(usize, Option<ObjectRef>)>;

/// One message file to copy: its row's place in `Found::messages`, its folder, base name and
/// flags.
struct Job {
    index: usize,
    folder: Option<Arc<Path>>,
    filename: String,
    flags: Flags,
}

/// Copies message files into the repository on one thread per CPU (reading, hashing and
/// writing 10,000 small files is work for the kernel and the CPU more than for the disk),
/// while the snapshot is still being read.
struct Copier {
    jobs: std::sync::mpsc::Sender<Vec<Job>>,
    results: std::sync::mpsc::Receiver<Result<Copied>>,
    workers: Vec<std::thread::JoinHandle<()>>,
    done: Arc<std::sync::atomic::AtomicU64>,
    /// Each mailbox's folder directory, worked out once.
    folders: HashMap<i64, Option<Arc<Path>>>,
}

impl Copier {
    fn start(repo: &Arc<Repo>) -> Copier {
        let (jobs, queue) = std::sync::mpsc::channel::<Vec<Job>>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        let (results_tx, results) = std::sync::mpsc::channel();
        let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
        let workers = (0..threads)
            .map(|_| {
                let (queue, results, repo, done) = (queue.clone(), results_tx.clone(), repo.clone(), done.clone());
                std::thread::spawn(move || {
                    loop {
                        let batch = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok(batch) = batch else { break };
                        let copied = batch
                            .into_iter()
                            .map(|j| {
                                let r = copy_one(&repo, &j).map(|o| (j.index, o));
                                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                r
                            })
                            .collect();
                        if results.send(copied).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        Copier { jobs, results, workers, done, folders: HashMap::new() }
    }

    /// Queue the files of the message rows from `from` on.
    fn copy(&mut self, store: &Store, found: &Found, from: usize) {
        let folders = &mut self.folders;
        let jobs: Vec<Job> = found.messages[from..]
            .iter()
            .enumerate()
            .map(|(i, m)| Job {
                index: from + i,
                folder: folders
                    .entry(m.mailbox_id)
                    .or_insert_with(|| found.folder(store, m.mailbox_id).map(Arc::from))
                    .clone(),
                filename: m.filename.clone(),
                flags: Flags::from_index(&m.flags),
            })
            .collect();
        if !jobs.is_empty() {
            let _ = self.jobs.send(jobs);
        }
    }

    /// Wait for every queued file, reporting progress; each row's object in row order (None:
    /// the file was expunged meanwhile).
    fn finish(self, progress: &mut impl FnMut(Progress)) -> Result<Copied> {
        let Copier { jobs, results, workers, done, .. } = self;
        drop(jobs);
        let mut all = Vec::new();
        let mut failed = None;
        let mut shown = 0;
        let mut tick = |shown: &mut u64| {
            let now = done.load(std::sync::atomic::Ordering::Relaxed);
            (*shown..now).for_each(|_| progress(Progress::File));
            *shown = now;
        };
        loop {
            match results.recv_timeout(std::time::Duration::from_millis(50)) {
                Ok(Ok(batch)) => all.extend(batch),
                Ok(Err(e)) => failed = failed.or(Some(e)),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
            tick(&mut shown);
        }
        tick(&mut shown);
        for w in workers {
            w.join().expect("a backup thread panicked");
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(all),
        }
    }
}

/// A message file into the repository; None when it is gone (expunged after the snapshot: the
/// backup is then as if the expunge came first).
fn copy_one(repo: &Repo, j: &Job) -> Result<Option<ObjectRef>> {
    let Some(folder) = j.folder.as_ref() else { return Ok(None) };
    match file::read(folder, &j.filename, &j.flags) {
        Ok(bytes) => Ok(Some(repo.put(&bytes)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        // Unreadable (permissions, I/O): the backup fails rather than leave it out.
        Err(e) => Err(Error::io("reading message file", &file::cur_path(folder, &j.filename, &j.flags), e)),
    }
}

/// The copied files in row order, and the rows whose file was gone.
fn place(found: &Found, mut copied: Copied) -> (Vec<MessageFile>, Vanished) {
    copied.sort_by_key(|(i, _)| *i);
    let mut messages = Vec::with_capacity(copied.len());
    let mut vanished = Vec::new();
    for (i, object) in copied {
        let m = &found.messages[i];
        match object {
            Some(object) => messages.push(MessageFile { mailbox_id: m.mailbox_id, uid: m.uid, object }),
            None => vanished.push((m.mailbox_id, m.uid)),
        }
    }
    (messages, vanished)
}

/// Store a file as an object: None when it does not exist.
fn named(repo: &Repo, kind: &str, path: &Path, name: String) -> Result<Option<NamedFile>> {
    use std::os::unix::fs::PermissionsExt;
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("reading", path, e)),
    };
    let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o7777).unwrap_or(0o600);
    let object = repo.put(&bytes)?;
    Ok(Some(NamedFile { kind: kind.to_string(), path: name, mode, object }))
}

/// Every file below `dir` (none when it does not exist), in name order.
fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io("reading", dir, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| Error::io("reading", dir, e))?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The backups in the repository at `dir`, oldest first.
pub fn list(dir: &Path) -> Result<Vec<Listed>> {
    Repo::open(dir)?.list()
}

/// Apply a retention policy to the repository at `dir` (`backup::prune`).
pub fn prune(dir: &Path, policy: crate::backup::prune::Policy, dry_run: bool) -> Result<crate::backup::prune::Pruned> {
    Repo::open(dir)?.prune(policy, dry_run)
}

/// What `verify` found wrong with one backup.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Damage {
    pub backup: String,
    /// The object (SHA-256), when one is concerned.
    pub object: Option<String>,
    pub problem: String,
}

/// Check complete backups: every object present with its hash and size, every snapshot chunk
/// readable with the rows the manifest counts, one file for each message row of the snapshot.
/// `ids` empty: every complete backup. Returns what is wrong (empty: all is well) and how many
/// backups were checked.
pub fn verify(dir: &Path, ids: &[String], mut progress: impl FnMut(Progress)) -> Result<(Vec<Damage>, usize)> {
    let repo = Repo::open(dir)?;
    let ids: Vec<String> = if ids.is_empty() {
        repo.ids()?.into_iter().filter(|(_, complete)| *complete).map(|(id, _)| id).collect()
    } else {
        ids.to_vec()
    };
    let manifests: Vec<Manifest> = ids.iter().map(|id| repo.manifest(id)).collect::<Result<_>>()?;
    let mut damage = Vec::new();
    // An object shared by several backups is read once; its verdict is remembered.
    let mut seen: HashMap<String, Option<String>> = HashMap::new();
    for m in &manifests {
        let total = m.tables.iter().map(|t| t.chunks.len()).sum::<usize>() + m.messages.len() + m.files.len();
        progress(Progress::Files { total: total as u64 });
        let mut check = |r: &ObjectRef, what: &str, rows: Option<u64>, damage: &mut Vec<Damage>| {
            progress(Progress::File);
            let verdict = seen.entry(r.sha256.clone()).or_insert_with(|| problem_of(&repo, r, rows)).clone();
            if let Some(problem) = verdict {
                damage.push(Damage {
                    backup: m.id.clone(),
                    object: Some(r.sha256.clone()),
                    problem: format!("{what}: {problem}"),
                });
            }
        };
        for t in &m.tables {
            let mut left = t.rows;
            for (i, c) in t.chunks.iter().enumerate() {
                let n = left.min(snapshot::CHUNK_ROWS as u64);
                left -= n;
                check(c, &format!("table {} chunk {}", t.name, i + 1), Some(n), &mut damage);
            }
        }
        for f in &m.messages {
            check(&f.object, &format!("message mailbox {} uid {}", f.mailbox_id, f.uid), None, &mut damage);
        }
        for f in &m.files {
            check(&f.object, &format!("{} file {}", f.kind, f.path), None, &mut damage);
        }
        let rows = m.tables.iter().find(|t| t.name == "messages").map_or(0, |t| t.rows);
        if rows != (m.messages.len() + m.vanished.len()) as u64 {
            damage.push(Damage {
                backup: m.id.clone(),
                object: None,
                problem: format!(
                    "the snapshot has {rows} message rows but the manifest names {} files and {} vanished",
                    m.messages.len(),
                    m.vanished.len()
                ),
            });
        }
    }
    Ok((damage, manifests.len()))
}

/// What is wrong with one object, if anything: missing, damaged, or (a snapshot chunk, when
/// `rows` is given) unreadable or holding another number of rows.
fn problem_of(repo: &Repo, r: &ObjectRef, rows: Option<u64>) -> Option<String> {
    let bytes = match repo.get(r) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Some("missing".to_string()),
        Err(e) if e.kind == Kind::Invalid => return Some("damaged (hash mismatch)".to_string()),
        Err(e) => return Some(e.to_string()),
    };
    let n = rows?;
    match decode_rows(&bytes) {
        Ok(r) if r.len() as u64 == n => None,
        Ok(r) => Some(format!("holds {} rows, the manifest says {n}", r.len())),
        Err(e) => Some(format!("unreadable: {e}")),
    }
}

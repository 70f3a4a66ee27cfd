//! `mailbox reindex`: rebuild an account's index from its Maildir. Files already indexed keep
//! their UIDs (so clients need not resync); files placed there by another server (an existing
//! Dovecot Maildir, say) get new UIDs, with their flags from the file names; rows whose files
//! are gone are removed; usage is recomputed. Files with a twin in `tmp/` are deliveries in
//! flight (or cut short by a crash, which the server's start-up recovery handles) and are left
//! alone.

use crate::store::conn::Conn;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Kind, Result};
use crate::names::Address;
use crate::ops::require_account;
use crate::store::maildir::{self, Flags, crlf, file};
use crate::store::{Store, accounts, messages};

#[derive(Debug, Serialize)]
pub struct FolderReport {
    pub folder: String,
    pub kept: usize,
    pub added: usize,
    pub removed: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub address: String,
    pub folders: Vec<FolderReport>,
    pub used_bytes: u64,
    pub messages: u64,
}

#[derive(Clone)]
struct OnDisk {
    path: PathBuf,
    base: String,
    size: i64,
    mtime: i64,
    flags: Flags,
}

fn scan(folder: &Path) -> Result<Vec<OnDisk>> {
    let in_flight: HashSet<String> = std::fs::read_dir(folder.join("tmp"))
        .map(|r| r.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let dir = folder.join(sub);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("reading", &dir, e)),
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let base = file::base(&name).to_string();
            if name.starts_with('.') || in_flight.contains(&base) {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let mtime = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            out.push(OnDisk {
                path: e.path(),
                size: wire_size(&name, &e.path(), meta.len()),
                base,
                mtime,
                flags: Flags::from_file_name(&name),
            });
        }
    }
    // Oldest first, so imported mail gets UIDs in arrival order.
    out.sort_by(|a, b| (a.mtime, &a.base).cmp(&(b.mtime, &b.base)));
    Ok(out)
}

/// The size of a message as IMAP sends it (CRLF line ends): Dovecot's `,W=` in the file name
/// when present, else counted (Dovecot stores mail with LF line ends by default).
fn wire_size(name: &str, path: &Path, file_size: u64) -> i64 {
    if let Some(w) = file::wire_size(name) {
        return w;
    }
    match std::fs::read(path) {
        Ok(data) => crlf::crlf_len(&data) as i64,
        Err(_) => file_size as i64,
    }
}

/// The ENVELOPE and BODYSTRUCTURE of a file, as FETCH sends them (CRLF line ends, whatever
/// the file has); `None` when it cannot be read (FETCH will say so).
fn derive_file(f: &OnDisk) -> Option<messages::Derived> {
    crlf::read(&f.path).ok().map(|data| crate::ops::mailbox::derive(&data))
}

/// ENVELOPE and BODYSTRUCTURE for every file whose row lacks them or that has no row yet, by
/// base name; computed before the write transaction, so deliveries do not wait on the parsing.
async fn derive_missing(
    store: &Store,
    account_id: i64,
    root: &Path,
    scanned: &[(PathBuf, Vec<OnDisk>)],
) -> Result<HashMap<PathBuf, HashMap<String, messages::Derived>>> {
    let mut conn = store.pool.acquire().await?;
    let mut jobs = Vec::new();
    for (folder, files) in scanned {
        let done: HashSet<String> = match messages::mailbox(&mut conn, account_id, &maildir::folder_name(root, folder))
            .await?
        {
            Some((mbox, _)) => {
                messages::list(&mut conn, mbox).await?.into_iter().filter(|m| m.derived).map(|m| m.filename).collect()
            }
            None => HashSet::new(),
        };
        let todo: Vec<OnDisk> = files.iter().filter(|f| !done.contains(&f.base)).cloned().collect();
        jobs.push((folder.clone(), todo));
    }
    drop(conn);
    crate::ops::blocking(move || {
        Ok(jobs
            .into_iter()
            .map(|(folder, files)| {
                (folder, files.iter().filter_map(|f| Some((f.base.clone(), derive_file(f)?))).collect())
            })
            .collect())
    })
    .await
}

pub async fn reindex(store: &Store, address: &str) -> Result<Report> {
    let addr = Address::parse(address)?;
    let mut conn = store.pool.acquire().await?;
    let account = require_account(&mut conn, &addr).await?;
    drop(conn);
    let root = store.maildir_path(&addr);
    if !root.is_dir() {
        return Err(Error::new(Kind::NoInput, format!("{} has no Maildir at {}", addr, root.display())));
    }
    let root2 = root.clone();
    let scanned: Vec<(PathBuf, Vec<OnDisk>)> = crate::ops::blocking(move || {
        maildir::folders(&root2)?.into_iter().map(|f| scan(&f).map(|s| (f, s))).collect::<Result<Vec<_>>>()
    })
    .await?;
    let mut derived = derive_missing(store, account.id, &root, &scanned).await?;

    let mut tx = store.begin_admin().await?;
    let mut folders = Vec::new();
    let (mut bytes, mut count) = (0u64, 0u64);
    for (folder, files) in scanned {
        let mut computed = derived.remove(&folder).unwrap_or_default();
        let name = maildir::folder_name(&root, &folder);
        let mbox = messages::ensure_mailbox(&mut tx, account.id, &name).await?;
        let indexed: HashMap<String, messages::Indexed> =
            messages::list(&mut tx, mbox).await?.into_iter().map(|m| (m.filename.clone(), m)).collect();
        let present: HashSet<&str> = files.iter().map(|f| f.base.as_str()).collect();
        let mut rep = FolderReport { folder: name, kept: 0, added: 0, removed: 0 };
        for (filename, m) in &indexed {
            if !present.contains(filename.as_str()) {
                messages::delete(&mut Conn::Any(&mut tx), mbox, m.uid).await?;
                rep.removed += 1;
            }
        }
        for f in &files {
            bytes += f.size as u64;
            count += 1;
            match indexed.get(&f.base) {
                Some(m) => {
                    if m.flags != f.flags && !f.flags.is_empty() {
                        messages::set_flags(&mut Conn::Any(&mut tx), mbox, m.uid, &f.flags).await?;
                    }
                    if !m.derived
                        && let Some(d) = computed.remove(&f.base)
                    {
                        messages::set_derived(&mut tx, mbox, m.uid, &d).await?;
                    }
                    rep.kept += 1;
                }
                None => {
                    // A file that could not be read has none: FETCH tries the file again.
                    let d = computed.remove(&f.base).unwrap_or_default();
                    messages::append(&mut Conn::Any(&mut tx), mbox, &f.base, f.size, f.mtime, &f.flags, &d).await?;
                    rep.added += 1;
                }
            }
        }
        folders.push(rep);
    }
    accounts::set_usage(&mut tx, account.id, bytes as i64, count as i64).await?;
    tx.commit().await?;
    Ok(Report { address: account.address, folders, used_bytes: bytes, messages: count })
}

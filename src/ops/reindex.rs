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
use crate::store::maildir::scan::{self, OnDisk};
use crate::store::maildir::{self, crlf};
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

/// A file and its size as IMAP sends it.
#[derive(Clone)]
struct Sized {
    f: OnDisk,
    size: i64,
}

/// A folder's files with their sizes (read here, before any transaction).
fn scan(folder: &Path) -> Result<Vec<Sized>> {
    Ok(scan::scan(folder)?.into_iter().map(|f| Sized { size: f.wire_size(), f }).collect())
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
    scanned: &[(PathBuf, Vec<Sized>)],
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
        let todo: Vec<OnDisk> = files.iter().filter(|s| !done.contains(&s.f.base)).map(|s| s.f.clone()).collect();
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
    let scanned: Vec<(PathBuf, Vec<Sized>)> = crate::ops::blocking(move || {
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
        let present: HashSet<&str> = files.iter().map(|s| s.f.base.as_str()).collect();
        let mut rep = FolderReport { folder: name, kept: 0, added: 0, removed: 0 };
        for (filename, m) in &indexed {
            if !present.contains(filename.as_str()) {
                messages::delete(&mut Conn::Any(&mut tx), mbox, m.uid).await?;
                rep.removed += 1;
            }
        }
        for Sized { f, size } in &files {
            bytes += *size as u64;
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
                    messages::append(&mut Conn::Any(&mut tx), mbox, &f.base, *size, f.mtime, &f.flags, &d).await?;
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

//! An account's INBOX as POP3 sees it: a snapshot of the indexed messages at login, their
//! files, and the deletions applied at QUIT (index, usage, then files).

use crate::store::conn::Conn;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Kind, Result};
use crate::names::Address;
use crate::store::maildir::{crlf, file};
use crate::store::{Account, Store, messages};

#[derive(Debug, Clone)]
pub struct Entry {
    pub uid: i64,
    pub size: u64,
    /// Where the file is now (new/ or cur/), if it exists.
    pub path: Option<PathBuf>,
    /// A unique id that never changes (RFC 1939 UIDL): UIDVALIDITY and UID, as Dovecot does.
    pub uidl: String,
}

pub struct Maildrop {
    pub account: Account,
    pub mailbox_id: i64,
    pub entries: Vec<Entry>,
}

/// Map each Maildir base name (before `:2,`) to its file in new/ or cur/.
fn files(root: &Path) -> HashMap<String, PathBuf> {
    let mut map = HashMap::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(root.join(sub)) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                map.insert(file::base(&name).to_string(), e.path());
            }
        }
    }
    map
}

pub async fn open(store: &Store, account: Account) -> Result<Maildrop> {
    let mut conn = store.pool.acquire().await?;
    let mailbox_id = messages::ensure_mailbox(&mut conn, account.id, "INBOX").await?;
    let (_, uidvalidity) = messages::mailbox(&mut conn, account.id, "INBOX").await?.unwrap_or((mailbox_id, 0));
    let list = messages::list(&mut conn, mailbox_id).await?;
    drop(conn);
    let root = store.maildir_path(&Address { local: account.local_part.clone(), domain: account.domain.clone() });
    let on_disk = crate::ops::blocking(move || Ok(files(&root))).await?;
    let entries = list
        .into_iter()
        .map(|m| Entry {
            uid: m.uid,
            size: m.size.max(0) as u64,
            path: on_disk.get(&m.filename).cloned(),
            uidl: format!("{:08x}{:08x}", uidvalidity as u32, m.uid as u32),
        })
        .collect();
    Ok(Maildrop { account, mailbox_id, entries })
}

/// Read one message's bytes (with CRLF line ends).
pub async fn read(entry: &Entry) -> Result<Vec<u8>> {
    let path = entry.path.clone().ok_or_else(|| Error::new(Kind::Io, "the message file is missing"))?;
    let p2 = path.clone();
    crate::ops::blocking(move || crlf::read(&p2).map_err(|e| Error::io("reading", &path, e))).await
}

/// Delete these messages (the shared expunge: index rows, tombstones and usage in one
/// transaction, then the files; IMAP sessions on the INBOX hear of it).
pub async fn expunge(store: &Store, drop: &Maildrop, remove: &[&Entry]) -> Result<()> {
    if remove.is_empty() {
        return Ok(());
    }
    let mut conn = store.pool.acquire().await?;
    let mailbox = crate::store::mailboxes::by_id(&mut Conn::Any(&mut conn), drop.mailbox_id)
        .await?
        .ok_or_else(|| Error::new(Kind::Io, "the INBOX vanished"))?;
    std::mem::drop(conn);
    let uids: Vec<i64> = remove.iter().map(|e| e.uid).collect();
    crate::ops::mailbox::expunge(store, &drop.account, &mailbox, &uids, false).await.map(|_| ())
}

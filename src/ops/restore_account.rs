//! `mailctl backup restore ID --account ADDR [--into-folder NAME]`: one account's mail from a
//! backup back into the live instance, beside what it holds now. A message still there (the
//! same bytes in the destination folder, matched by SHA-256) is not restored twice, so the
//! command can be run again after a failure (a full quota, say) and goes on where it stopped.
//! Messages come back through APPEND's path: new UIDs, their flags and internal dates, the
//! quota charged, sessions told.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::backup::{Found, Progress, column, decode_rows, int, text};
use crate::backup::manifest::MessageFile;
use crate::backup::{ObjectRef, Repo, hex};
use crate::error::{Error, Result};
use crate::names::Address;
use crate::ops::mailbox::{self, Appended};
use crate::store::conn::Conn;
use crate::store::maildir::{self, DELIM, Flags, scan};
use crate::store::{Store, mailboxes, messages};

/// Messages appended at once (each batch is one APPEND: all or none).
const BATCH_MESSAGES: usize = 200;
const BATCH_BYTES: usize = 32 << 20;

/// What came back into one folder.
#[derive(Debug, serde::Serialize)]
pub struct FolderRestored {
    /// The folder in the backup.
    pub folder: String,
    /// Where its messages went.
    pub into: String,
    pub restored: u64,
    /// Messages found there already (same content), not restored again.
    pub already_there: u64,
}

#[derive(Debug, serde::Serialize)]
pub struct AccountRestored {
    pub backup: String,
    pub address: String,
    /// The account had been deleted and was created again from the backup.
    pub recreated: bool,
    pub folders: Vec<FolderRestored>,
    pub restored: u64,
    pub already_there: u64,
    pub bytes: u64,
    pub duration_ms: u64,
}

/// An account's row in the backup: what it takes to create it again.
struct Settings {
    tier: String,
    owner: Option<String>,
    password_hash: String,
    quota_bytes: Option<i64>,
    quota_custom: bool,
    suspended: bool,
}

impl Settings {
    /// The row of `addr` among a chunk of the accounts table, if it is there.
    fn of(addr: &Address, columns: &[String], rows: &[Vec<serde_json::Value>]) -> Result<Option<Settings>> {
        let col = |name: &str| column("accounts", columns, name);
        let (local, domain) = (col("local_part")?, col("domain")?);
        let Some(r) = rows.iter().find(|r| text(&r[local]) == addr.local && text(&r[domain]) == addr.domain) else {
            return Ok(None);
        };
        Ok(Some(Settings {
            tier: text(&r[col("tier")?]),
            owner: r[col("owner")?].as_str().map(str::to_string),
            password_hash: text(&r[col("password_hash")?]),
            quota_bytes: r[col("quota_bytes")?].as_i64(),
            quota_custom: int(&r[col("quota_custom")?]) != 0,
            suspended: text(&r[col("status")?]) == "suspended",
        }))
    }

    async fn recreate(self, store: &Store, addr: &Address) -> Result<crate::store::Account> {
        use crate::ops::account::{self, NewAccount, NewPassword};
        let new = NewAccount {
            address: addr.to_string(),
            tier: crate::tier::Tier::parse(&self.tier)?,
            owner: self.owner,
            quota: self.quota_custom.then(|| crate::size::Limit::from_db(self.quota_bytes)),
            password: NewPassword::Hash(self.password_hash),
        };
        let created = account::create(store, new).await?;
        if self.suspended {
            return Ok(account::set_status(store, &created.account.address, crate::store::Status::Suspended).await?.0);
        }
        Ok(created.account)
    }
}

pub async fn restore_account(
    store: &Store,
    hostname: &str,
    repo_dir: &Path,
    id: &str,
    address: &str,
    into_folder: Option<&str>,
    mut progress: impl FnMut(Progress),
) -> Result<AccountRestored> {
    let started = std::time::Instant::now();
    let addr = Address::parse(address)?;
    if let Some(f) = into_folder {
        maildir::check_name(f.trim_end_matches(DELIM))?;
    }
    let repo = Repo::open(repo_dir)?;
    let m = repo.manifest(id)?;
    let read = |r: &ObjectRef, what: &str| repo.need(id, r, what);

    // The account's settings, folders and message rows in the backup.
    let mut found = Found::default();
    let mut settings = None;
    for t in m.tables.iter().filter(|t| matches!(t.name.as_str(), "accounts" | "mailboxes" | "messages")) {
        for (i, chunk) in t.chunks.iter().enumerate() {
            let rows = decode_rows(&read(chunk, &format!("table {} chunk {}", t.name, i + 1))?)?;
            found.take(&t.name, &t.columns, &rows)?;
            if t.name == "accounts" {
                settings = settings.or(Settings::of(&addr, &t.columns, &rows)?);
            }
        }
    }
    let Some(&backed_up) = found.accounts.iter().find(|(_, a)| **a == addr).map(|(id, _)| id) else {
        return Err(Error::not_found(format!("backup {id} holds no account {addr}")));
    };
    let mut conn = store.pool.acquire().await?;
    let live = crate::store::accounts::get(&mut conn, &addr.to_string()).await?;
    drop(conn);
    // Deleted since the backup: back as it was (tier, quota, owner, password, status).
    let recreated = live.is_none();
    let account = match live {
        Some(a) => a,
        None => settings.expect("the backup's row of the account").recreate(store, &addr).await?,
    };
    let files: HashMap<(i64, i64), &MessageFile> = m.messages.iter().map(|f| ((f.mailbox_id, f.uid), f)).collect();
    // Folder name -> (internal date, flags, object), in UID order.
    let mut folders: BTreeMap<String, Vec<(i64, Flags, &ObjectRef)>> = BTreeMap::new();
    for (owner, name) in found.mailboxes.values() {
        if *owner == backed_up {
            folders.entry(name.clone()).or_default();
        }
    }
    let mut rows: Vec<_> = found.messages.iter().collect();
    rows.sort_by_key(|r| (r.mailbox_id, r.uid));
    for r in rows {
        let Some((owner, name)) = found.mailboxes.get(&r.mailbox_id) else { continue };
        if *owner != backed_up {
            continue;
        }
        // A row whose file vanished during the backup has none: it is not restored.
        if let Some(f) = files.get(&(r.mailbox_id, r.uid)) {
            let entry = folders.entry(name.clone()).or_default();
            entry.push((r.internal_date, Flags::from_index(&r.flags), &f.object));
        }
    }

    progress(Progress::Files { total: folders.values().map(|v| v.len() as u64).sum() });
    let mut out = AccountRestored {
        backup: m.id.clone(),
        address: account.address.clone(),
        recreated,
        folders: Vec::new(),
        restored: 0,
        already_there: 0,
        bytes: 0,
        duration_ms: 0,
    };
    let root = mailbox::maildir_root(store, &account);
    for (folder, items) in folders {
        let into = match into_folder {
            Some(p) => format!("{}{DELIM}{folder}", p.trim_end_matches(DELIM)),
            None => folder.clone(),
        };
        let mut conn = store.pool.acquire().await?;
        let exists = into.eq_ignore_ascii_case("INBOX")
            || mailboxes::get(&mut Conn::Any(&mut conn), account.id, &into).await?.is_some();
        drop(conn);
        if !exists {
            mailbox::create(store, &account, &into).await?;
        }
        // What the destination holds now, by content: the files its index names (a file
        // without a row, left by a restore killed part-way, is not mail a client sees), and of
        // those only files of a size the backup has are read.
        let mut conn = store.pool.acquire().await?;
        let indexed: HashSet<String> = match messages::mailbox(&mut conn, account.id, &into).await? {
            Some((mbox, _)) => messages::list(&mut conn, mbox).await?.into_iter().map(|m| m.filename).collect(),
            None => HashSet::new(),
        };
        drop(conn);
        let sizes: HashSet<u64> = items.iter().map(|(_, _, o)| o.size).collect();
        let dir = maildir::folder_path(&root, &into);
        let mut there: HashMap<String, usize> = HashMap::new();
        for f in scan::scan(&dir)?.into_iter().filter(|f| sizes.contains(&f.len) && indexed.contains(&f.base)) {
            if let Ok(bytes) = std::fs::read(&f.path) {
                *there.entry(hex(&Sha256::digest(&bytes))).or_default() += 1;
            }
        }
        let mut rep = FolderRestored { folder: folder.clone(), into: into.clone(), restored: 0, already_there: 0 };
        let mut batch: Vec<Appended> = Vec::new();
        let mut batch_bytes = 0;
        let last = items.len();
        for (i, (date, flags, object)) in items.into_iter().enumerate() {
            progress(Progress::File);
            match there.get_mut(&object.sha256) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    rep.already_there += 1;
                }
                _ => {
                    let data = read(object, &format!("a message of {folder}"))?;
                    batch_bytes += data.len();
                    batch.push(Appended { data, flags, date });
                }
            }
            if !batch.is_empty() && (batch.len() >= BATCH_MESSAGES || batch_bytes >= BATCH_BYTES || i + 1 == last) {
                let n = batch.len() as u64;
                mailbox::append(store, &account, hostname, &into, std::mem::take(&mut batch)).await.map_err(|e| {
                    let done = out.restored + rep.restored;
                    Error::new(e.kind, format!("restoring into {into} stopped after {done} message(s): {e}"))
                        .with_hint("run the same command again to go on: what is back is not restored twice")
                })?;
                rep.restored += n;
                out.bytes += batch_bytes as u64;
                batch_bytes = 0;
            }
        }
        out.restored += rep.restored;
        out.already_there += rep.already_there;
        out.folders.push(rep);
    }
    out.duration_ms = started.elapsed().as_millis() as u64;
    Ok(out)
}

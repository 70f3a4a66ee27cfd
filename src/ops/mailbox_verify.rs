//! `mailbox verify`: an account's index held against its Maildir. Every row has its file with
//! the size the row says, no file lacks a row, every folder has a row and every row a folder,
//! UIDNEXT is above every UID, and the account's usage is the sum of its messages. `--fix`
//! repairs what can be repaired (through `mailbox reindex`: rows of lost files removed, stray
//! files indexed, folders indexed, usage recomputed; UIDNEXT raised; missing folder
//! directories created) and reports the rest: a file whose size differs from its row has
//! changed under the index, which no tool can undo.
//!
//! It runs beside `serve` (`--fix` does not: it holds the data directory's lock, since a
//! repair rewrites the index from the files). The rows are read in one snapshot, the files
//! after them; a delivery, expunge or move in between can look like damage, so whatever is
//! found is checked a second time and only what both readings show is reported.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::error::{Error, Kind, Result};
use crate::names::Address;
use crate::store::maildir::{self, scan};
use crate::store::models::Account;
use crate::store::{Store, accounts, mailboxes, messages};

/// One kind of damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// A row whose file is gone.
    MissingFile,
    /// A file whose size is not its row's.
    SizeMismatch,
    /// A message file no row names.
    StrayFile,
    /// A folder directory holding mail, with no mailbox row.
    UnindexedFolder,
    /// A mailbox row with no folder directory.
    MissingFolder,
    /// UIDNEXT at or below a UID in use.
    Uidnext,
    /// The account's usage is not the sum of its messages.
    Usage,
}

impl Problem {
    fn repairable(self) -> bool {
        self != Problem::SizeMismatch
    }
}

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Finding {
    pub problem: Problem,
    pub folder: Option<String>,
    pub uid: Option<i64>,
    pub file: Option<String>,
    pub detail: String,
}

/// One account's verdict.
#[derive(Debug, Serialize)]
pub struct Verdict {
    pub address: String,
    pub folders: usize,
    pub messages: u64,
    pub bytes: u64,
    /// What is wrong (after --fix: what is still wrong).
    pub problems: Vec<Finding>,
    /// What --fix repaired.
    pub fixed: Vec<Finding>,
}

/// Verify one account (`address`) or all of them, repairing with `fix`.
pub async fn verify(store: &Store, address: Option<&str>, fix: bool) -> Result<Vec<Verdict>> {
    // Repairs rewrite the index from the files (reindex): a delivery, MOVE or flag change of a
    // running `serve` in between would be undone. So --fix holds the data directory's lock.
    let _lock = if fix {
        Some(crate::running::lock(&store.data_dir).map_err(|e| {
            match e.kind {
                Kind::TempFail => {
                    Error::new(Kind::TempFail, "mailbox verify --fix needs `serve` stopped: it is running")
                        .with_hint("stop it, repair, start it again (verify without --fix runs beside it)")
                }
                _ => e,
            }
        })?)
    } else {
        None
    };
    let mut conn = store.pool.acquire().await?;
    let accounts = match address {
        Some(a) => vec![crate::ops::require_account(&mut conn, &Address::parse(a)?).await?],
        None => accounts::list(&mut conn, None, None).await?,
    };
    drop(conn);
    let mut out = Vec::new();
    for account in accounts {
        out.push(verify_account(store, &account, fix).await?);
    }
    Ok(out)
}

async fn verify_account(store: &Store, account: &Account, fix: bool) -> Result<Verdict> {
    let (mut verdict, first) = check(store, account).await?;
    if first.is_empty() {
        return Ok(verdict);
    }
    // Found twice, or a passing change.
    let (_, second) = check(store, account).await?;
    let mut found: Vec<Finding> = first.intersection(&second).cloned().collect();
    if fix && found.iter().any(|f| f.problem.repairable()) {
        repair(store, account, &found).await?;
        let (_, after) = check(store, account).await?;
        let (left, fixed): (Vec<Finding>, Vec<Finding>) = found.into_iter().partition(|f| after.contains(f));
        verdict.fixed = fixed;
        found = left;
    }
    verdict.problems = found;
    Ok(verdict)
}

/// One reading: the rows in one snapshot, then the files.
async fn check(store: &Store, account: &Account) -> Result<(Verdict, BTreeSet<Finding>)> {
    let addr = Address::parse(&account.address)?;
    let root = store.maildir_path(&addr);
    let mut tx = store.begin_snapshot().await?;
    let (used_bytes, used_messages): (i64, i64) =
        sqlx::query_as("SELECT used_bytes, used_messages FROM accounts WHERE id = $1")
            .bind(account.id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::not_found(format!("no such account {}", account.address)))?;
    let boxes = mailboxes::list(&mut tx, account.id).await?;
    let mut rows = HashMap::new();
    for b in &boxes {
        rows.insert(b.name.clone(), messages::list(&mut tx, b.id).await?);
    }
    tx.rollback().await?;

    let dirs: Vec<(String, std::path::PathBuf)> = if root.is_dir() {
        maildir::folders(&root)?.into_iter().map(|f| (maildir::folder_name(&root, &f), f)).collect()
    } else {
        Vec::new()
    };
    let on_disk: HashSet<&str> = dirs.iter().map(|(n, _)| n.as_str()).collect();
    let mut found = BTreeSet::new();
    let finding = |problem, folder: &str, uid, file: Option<&str>, detail: String| Finding {
        problem,
        folder: Some(folder.to_string()),
        uid,
        file: file.map(str::to_string),
        detail,
    };
    let (mut bytes, mut count) = (0i64, 0i64);
    for b in &boxes {
        let indexed = &rows[&b.name];
        bytes += indexed.iter().map(|m| m.size).sum::<i64>();
        count += indexed.len() as i64;
        if let Some(max) = indexed.iter().map(|m| m.uid).max()
            && b.uidnext <= max
        {
            found.insert(finding(
                Problem::Uidnext,
                &b.name,
                None,
                None,
                format!("UIDNEXT {} but UID {max} in use", b.uidnext),
            ));
        }
        if !on_disk.contains(b.name.as_str()) {
            found.insert(finding(
                Problem::MissingFolder,
                &b.name,
                None,
                None,
                "the mailbox has no folder directory".into(),
            ));
        }
    }
    for (name, dir) in &dirs {
        let files = scan::scan(dir)?;
        let Some(indexed) = rows.get(name) else {
            // A folder is indexed at the first login that finds it (`sync_folders`): only one
            // holding mail is a problem.
            if files.is_empty() {
                continue;
            }
            let detail = format!("a folder directory with {} message(s) and no mailbox row", files.len());
            found.insert(finding(Problem::UnindexedFolder, name, None, None, detail));
            continue;
        };
        let by_base: HashMap<&str, &scan::OnDisk> = files.iter().map(|f| (f.base.as_str(), f)).collect();
        let named: HashSet<&str> = indexed.iter().map(|m| m.filename.as_str()).collect();
        for m in indexed {
            match by_base.get(m.filename.as_str()) {
                None => {
                    found.insert(finding(Problem::MissingFile, name, Some(m.uid), Some(&m.filename), "no file".into()));
                }
                Some(f) if !f.has_wire_size(m.size) => {
                    let detail = format!("the row says {} bytes, the file has {}", m.size, f.len);
                    found.insert(finding(Problem::SizeMismatch, name, Some(m.uid), Some(&m.filename), detail));
                }
                Some(_) => {}
            }
        }
        for f in files.iter().filter(|f| !named.contains(f.base.as_str())) {
            found.insert(finding(Problem::StrayFile, name, None, Some(&f.base), format!("{} bytes, no row", f.len)));
        }
    }
    if (bytes, count) != (used_bytes, used_messages) {
        found.insert(Finding {
            problem: Problem::Usage,
            folder: None,
            uid: None,
            file: None,
            detail: format!(
                "usage says {used_bytes} bytes in {used_messages} message(s); the messages hold {bytes} in {count}"
            ),
        });
    }
    let verdict = Verdict {
        address: account.address.clone(),
        folders: boxes.len(),
        messages: count as u64,
        bytes: bytes as u64,
        problems: found.iter().cloned().collect(),
        fixed: Vec::new(),
    };
    Ok((verdict, found))
}

async fn repair(store: &Store, account: &Account, found: &[Finding]) -> Result<()> {
    let root = store.maildir_path(&Address::parse(&account.address)?);
    // A folder directory for each row without one, so that reindex sees it (and drops the rows
    // of its lost files).
    for f in found.iter().filter(|f| f.problem == Problem::MissingFolder) {
        if let Some(name) = &f.folder {
            maildir::create_folder(&maildir::folder_path(&root, name))?;
        }
    }
    // UIDNEXT above every UID first: reindex gives stray files the next UIDs.
    if found.iter().any(|f| f.problem == Problem::Uidnext) {
        let mut tx = store.begin_admin().await?;
        for b in mailboxes::list(&mut tx, account.id).await? {
            let max = messages::list(&mut tx, b.id).await?.iter().map(|m| m.uid).max().unwrap_or(0);
            mailboxes::raise_uidnext(&mut tx, b.id, max + 1).await?;
        }
        tx.commit().await?;
    }
    if found.iter().any(|f| !matches!(f.problem, Problem::Uidnext | Problem::SizeMismatch)) {
        if !root.is_dir() {
            maildir::create(&root)?;
        }
        crate::ops::reindex::reindex(store, &account.address).await?;
    }
    // Usage the sum of the rows (reindex counts the files, which differ from the rows where a
    // file changed under the index).
    let mut tx = store.begin_admin().await?;
    accounts::recount_usage(&mut tx, Some(account.id)).await?;
    tx.commit().await?;
    Ok(())
}

/// The exit: data error (65) when anything is still wrong.
pub fn outcome(verdicts: &[Verdict]) -> Result<()> {
    let left: usize = verdicts.iter().map(|v| v.problems.len()).sum();
    if left == 0 {
        return Ok(());
    }
    let (v, first) = verdicts.iter().find_map(|v| v.problems.first().map(|p| (v, p))).expect("one problem");
    Err(Error::new(
        Kind::Invalid,
        format!(
            "{left} problem(s) between the index and the Maildirs (first: {} {}: {})",
            v.address,
            first.folder.as_deref().unwrap_or(""),
            first.detail
        ),
    ))
}

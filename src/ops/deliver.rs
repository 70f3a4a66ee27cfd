//! Durable delivery of an accepted message: to local Maildirs and to the outbound spool.
//!
//! Order (the 250 after DATA depends on it):
//! 1. write the file in the first recipient's `tmp/`; hard-link it into every other
//!    recipient's `tmp/` (copy across file systems);
//! 2. hard-link each `tmp/` file into its `new/`;
//! 3. write the spool file for remote recipients (synced, with its directory);
//! 4. group commit, with other sessions' deliveries: the files' content and every `new/`
//!    directory the batch linked into are synced (once each, however many messages it holds)
//!    beside the transaction that writes the index rows and charges the quotas; a recipient
//!    whose quota would be exceeded fails it;
//! 5. only once both are on stable storage remove the `tmp/` links and answer 250.
//!
//! A failure removes what was linked, so the client's retry is the only copy; unless the rows
//! were committed and only a sync after it failed: they and their files stay, for the next
//! start to check. A crash between 2 and 4 leaves `tmp/` and `new/` links without an index
//! row: [`recover`], run when the server starts, removes such messages (they were never
//! acknowledged), so the index and the usage stay exact; and a power cut can leave a durable
//! row whose file never reached the disk, which [`rows_without_file`] removes.

use std::path::{Path, PathBuf};

use crate::error::{Error, Kind, Result};
use crate::ops::recipient::Local;
use crate::store::maildir::write::{self, Item, Placed, Source, Unsynced};
use crate::store::maildir::{self, Flags, file};
use crate::store::spool::{self, Envelope};
use crate::store::{Store, accounts, messages, now};

/// A message ready to deliver.
pub struct Message {
    pub id: String,
    /// The reverse-path (`None` for `<>`).
    pub from: Option<String>,
    /// Local accounts (resolved, deduplicated).
    pub local: Vec<Local>,
    /// Remote recipients, for the outbound spool.
    pub remote: Vec<String>,
    /// The message as received, with our Received: header first.
    pub data: Vec<u8>,
    pub submitted_by: Option<String>,
    /// What the inbound filters decided, kept (for `filter explain`) in the delivery's own
    /// commit.
    pub verdict: Option<crate::store::verdicts::Verdict>,
    /// REQUIRETLS was asked for (RFC 8689): kept with the spooled copy.
    pub require_tls: bool,
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

impl From<Failure> for Error {
    /// For callers other than SMTP (the webmail, the vacation reply). A full mailbox never
    /// names the account: behind an alias, that is not the sender's business.
    fn from(f: Failure) -> Error {
        match f {
            Failure::MailboxFull(_) => Error::new(Kind::OverQuota, "a recipient's mailbox is full"),
            Failure::NoSpace(e) | Failure::Local(e) => e,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let no_space = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| io.raw_os_error() == Some(libc::ENOSPC) || io.raw_os_error() == Some(libc::EDQUOT));
        if no_space { Failure::NoSpace(e) } else { Failure::Local(e) }
    }
}

/// Steps 1 to 3 (the Maildir part is [`maildir::write`]; its directories are synced at the
/// commit). On error everything created is removed.
fn stage(
    dirs: &[PathBuf],
    name: &str,
    head: &[u8],
    data: &[u8],
    spool_to: Option<(&Path, &Envelope)>,
) -> Result<(Placed, Option<PathBuf>)> {
    let dests = dirs.iter().map(|d| d.join("new").join(name)).collect();
    let placed = write::write(&[Item { source: Source::Bytes(&[head, data]), base: name, dests }])?;
    let spooled = match spool_to.map(|(data_dir, env)| spool::write(data_dir, env, data)).transpose() {
        Ok(p) => p,
        Err(e) => {
            placed.undo();
            return Err(e);
        }
    };
    Ok((placed, spooled))
}

/// What a successful delivery did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Local accounts that could not take the message (quota); the sender was sent a DSN.
    pub bounced: Vec<String>,
}

/// Deliver durably; on success every local recipient that could take it has it in INBOX
/// (indexed and counted), every remote one is in the spool, and the sender has a DSN for the
/// local recipients whose quota it did not fit. When none could take it, nothing is delivered
/// and the failure says why.
pub async fn deliver(store: &Store, hostname: &str, msg: Message) -> std::result::Result<Outcome, Failure> {
    let return_path = msg.from.clone().unwrap_or_default();
    let head = format!("Return-Path: <{return_path}>\r\n").into_bytes();
    let size = (msg.data.len() + head.len()) as u64;
    // Resolved at RCPT: no account row is read here. The quota is charged exactly at commit.
    let (targets, full): (Vec<Local>, Vec<Local>) = msg.local.into_iter().partition(|l| l.fits(size));
    let full: Vec<String> = full.into_iter().map(|l| l.address).collect();
    if targets.is_empty() && msg.remote.is_empty() {
        return Err(Failure::MailboxFull(full.first().cloned().unwrap_or_default()));
    }
    // The refused recipients are reported to the sender (never to the null sender).
    let bounce = match (&msg.from, full.is_empty()) {
        (Some(from), false) => Some((from.clone(), crate::dsn::headers(&msg.data).to_vec())),
        _ => None,
    };

    let name = file::unique_name(hostname, size as usize);
    let dirs: Vec<PathBuf> = targets.iter().map(|l| l.maildir.clone()).collect();
    let msg_id = msg.id.clone();
    let envelope = (!msg.remote.is_empty()).then(|| Envelope {
        id: msg.id.clone(),
        from: return_path.clone(),
        recipients: msg.remote.clone(),
        received_at: now(),
        size: msg.data.len() as u64,
        submitted_by: msg.submitted_by.clone(),
        require_tls: msg.require_tls,
    });
    let data_dir = store.data_dir.clone();
    let name2 = name.clone();
    let data = msg.data;
    let queued = envelope.clone();
    let local = !dirs.is_empty();
    // A small message for local mailboxes only is written here. The spool syncs its file and
    // directory itself, so a message with remote recipients goes to a blocking thread.
    let small = size <= crate::store::maildir::write::INLINE_WRITE && queued.is_none();
    let work = move || {
        let (placed, spooled) = stage(&dirs, &name2, &head, &data, envelope.as_ref().map(|e| (data_dir.as_path(), e)))?;
        let derived = match (local, small) {
            (false, _) => Derivation::Done(Box::default()),
            (true, true) => Derivation::InCommit(data),
            (true, false) => Derivation::Done(Box::new(crate::ops::mailbox::derive(&data))),
        };
        Ok((placed, spooled, derived))
    };
    let (mut placed, spooled, derived) = crate::ops::here_or_blocking(small, work).await?;

    let boxes: Vec<(i64, i64)> = targets.iter().map(|l| (l.account_id, l.inbox)).collect();
    let kept = Kept { derived, queued, verdict: msg.verdict };
    if let Err(e) = commit(store, boxes, placed.unsynced(), name, size as i64, kept).await {
        // Rows committed but not made durable keep the files they name (the next start
        // checks them), the queue entry its spool file.
        let undone = match &e {
            CommitError::Store(e) => placed.undo_unless_committed(e),
            CommitError::Full(_) => {
                placed.undo();
                true
            }
        };
        if let (true, Some(p)) = (undone, spooled) {
            let _ = std::fs::remove_file(p);
        }
        return Err(match e {
            CommitError::Full(id) => {
                let who = targets.iter().find(|l| l.account_id == id).map(|l| l.address.clone()).unwrap_or_default();
                Failure::MailboxFull(who)
            }
            CommitError::Store(e) => Failure::Local(e.context("recording the delivery")),
        });
    }
    placed.release_tmp();
    if let Some((sender, original)) = bounce {
        send_dsn(store, hostname, &msg_id, &sender, &full, &original).await;
    }
    Ok(Outcome { bounced: full })
}

/// Send the sender a DSN for recipients whose mailbox was full: delivered here when the sender
/// is local, else spooled from the null sender. Failures are logged; the message itself is
/// delivered already.
async fn send_dsn(store: &Store, hostname: &str, id: &str, sender: &str, full: &[String], original: &[u8]) {
    let failed: Vec<crate::dsn::Failed<'_>> = full
        .iter()
        .map(|r| crate::dsn::Failed { recipient: r, status: "5.2.2", diagnostic: "552 5.2.2 mailbox full" })
        .collect();
    if bounce(store, hostname, id, sender, now(), &failed, original).await {
        tracing::info!(id, sender, bounced = full.len(), "DSN sent for recipients whose mailbox was full");
    }
}

/// Send `sender` a DSN (RFC 3464) for these failed recipients, from the null sender:
/// delivered here when the sender is local, else queued. Never call it for a null-sender
/// message. Failures are logged; returns whether the DSN went out.
#[allow(clippy::too_many_arguments)]
pub async fn bounce(
    store: &Store,
    hostname: &str,
    id: &str,
    sender: &str,
    arrival: i64,
    failed: &[crate::dsn::Failed<'_>],
    original: &[u8],
) -> bool {
    let data = crate::dsn::build(hostname, id, sender, arrival, failed, original);
    let route = async {
        let mut conn = store.pool.acquire().await?;
        let e = crate::ops::alias::expand(&mut conn, sender).await.map_err(Error::from)?;
        drop(conn);
        crate::ops::recipient::resolve(store, e).await
    };
    let resolved = match route.await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(id, sender, error = %e.one_line(), "no DSN: cannot route the sender");
            return false;
        }
    };
    let dsn = Message {
        verdict: None,
        // Its own id: two DSNs for one message must never share a spool file.
        id: format!("{id}-dsn-{}", crate::ids::new_id()),
        from: None,
        local: resolved.local,
        remote: resolved.remote.into_iter().collect(),
        data,
        submitted_by: None,
        require_tls: false,
    };
    if dsn.local.is_empty() && dsn.remote.is_empty() {
        tracing::warn!(id, sender, "no DSN: the sender's address leads nowhere");
        return false;
    }
    match Box::pin(deliver(store, hostname, dsn)).await {
        Ok(_) => true,
        Err(f) => {
            tracing::warn!(id, sender, failure = ?f, "the DSN could not be delivered");
            false
        }
    }
}

/// Why a commit failed.
#[derive(Debug)]
enum CommitError {
    /// This account's quota would be exceeded (checked in the transaction, so concurrent
    /// deliveries cannot overrun it together).
    Full(i64),
    Store(Error),
}

/// What a delivery's commit writes besides the index rows: the derived header data, the queue
/// entry of its remote recipients, and the filters' verdict.
struct Kept {
    derived: Derivation,
    queued: Option<Envelope>,
    verdict: Option<crate::store::verdicts::Verdict>,
}

/// A delivery's ENVELOPE, BODYSTRUCTURE and sort fields, always from the bytes in memory
/// (Return-Path is no ENVELOPE field, and the body is the same).
enum Derivation {
    /// Computed with the write: a large message (on the blocking thread that wrote it, so a
    /// long parse never holds up the group commit), or none for a message with no local
    /// recipient.
    Done(Box<messages::Derived>),
    /// A small message's, computed in its commit job from these bytes: on SQLite that runs on
    /// the writer's thread, on the group commit's CPU, not on the session worker's, which is
    /// the busier one under load (SMTP at 20 sessions, two persistent servers alternating,
    /// 3,000 messages a run: medians 6,522 against 6,713 and 6,421 against 6,648 msg/s, faster
    /// in 12 of 16 pairs).
    InCommit(Vec<u8>),
}

impl Derivation {
    fn get(self) -> messages::Derived {
        match self {
            Derivation::Done(d) => *d,
            Derivation::InCommit(raw) => crate::ops::mailbox::derive(&raw),
        }
    }
}

/// Index a delivered file in these (account, INBOX) pairs, charge the accounts' quotas and
/// queue the spooled copy, in the store's group commit (which syncs the file and the
/// directories it was linked into beside it); returns once durable.
async fn commit(
    store: &Store,
    boxes: Vec<(i64, i64)>,
    unsynced: Unsynced,
    name: String,
    size: i64,
    kept: Kept,
) -> std::result::Result<(), CommitError> {
    let Kept { derived, queued, verdict } = kept;
    if boxes.is_empty() && queued.is_none() {
        return Ok(());
    }
    let single = boxes.len() == 1 && queued.is_none();
    let full = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let full_in = full.clone();
    let inboxes: Vec<i64> = boxes.iter().map(|b| b.1).collect();
    // One mailbox and nothing queued: the quota check is the first write and the only way to
    // fail, so no savepoint is needed (the common case, and the fast one).
    let r = store
        .writer
        .write_durable(unsynced, !single, move |tx| {
            Box::pin(async move {
                let derived = derived.get();
                let t = now();
                for &(id, inbox) in &boxes {
                    if !accounts::charge(tx, id, size).await? {
                        full_in.store(id, std::sync::atomic::Ordering::Relaxed);
                        return Err(Error::new(Kind::OverQuota, "mailbox full"));
                    }
                    messages::append(tx, inbox, &name, size, t, &Flags::new(), &derived).await?;
                }
                if let Some(env) = &queued {
                    crate::store::queue::insert(tx, env, t, None).await?;
                }
                // Cannot fail on its own (a second row for an id is ignored): no savepoint needed.
                if let Some(v) = &verdict {
                    crate::store::verdicts::insert(tx, v).await?;
                }
                Ok(())
            })
        })
        .await;
    match r {
        Ok(()) => {
            for m in inboxes {
                store.changed(m);
            }
            Ok(())
        }
        Err(e) => match full.load(std::sync::atomic::Ordering::Relaxed) {
            0 => Err(CommitError::Store(e)),
            id => Err(CommitError::Full(id)),
        },
    }
}

/// What [`recover`] did.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Unacknowledged messages removed from `new/` (their commit never happened).
    pub removed: usize,
    /// Leftover `tmp/` files removed.
    pub tmp_cleaned: usize,
    /// Spool files found without a queue entry, queued now.
    pub spool_queued: usize,
    /// Damaged spool files (or queue entries without a file), quarantined.
    pub spool_quarantined: usize,
    /// Mailbox DELETEs a crash cut short, finished or undone.
    pub deletes_finished: usize,
    /// Index rows whose file a power cut took (committed beside their file's sync, so never
    /// acknowledged), removed.
    pub rows_without_file: usize,
}

/// Run at server start (nothing else delivers then): finish or undo deliveries a crash cut
/// short. A `tmp/` file with a twin in `new/` but no index row was never acknowledged: both go.
/// With an index row, only the `tmp/` link is left over. Other `tmp/` files older than 36 hours
/// are removed, as the Maildir convention asks. Spool temp files are removed. Index rows above
/// the `files_synced` mark whose file is gone or empty are removed ([`rows_without_file`]).
pub async fn recover(store: &Store) -> Result<Recovered> {
    let mut rep = Recovered::default();
    let root = store.mail_root();
    let (leftovers, aside) = crate::ops::blocking(move || {
        // One walk over the accounts' Maildirs for both.
        let accounts = account_roots(&root);
        let aside: Vec<String> = accounts
            .iter()
            .filter(|(_, r)| !maildir::folders_set_aside(r).is_empty())
            .map(|(a, _)| a.clone())
            .collect();
        Ok((tmp_files(accounts), aside))
    })
    .await?;
    let mut conn = store.pool.acquire().await?;
    for address in aside {
        if let Some(a) = accounts::get(&mut conn, &address).await? {
            rep.deletes_finished += crate::ops::mailbox::recover_deletes(store, &mut conn, &a).await?;
        }
    }
    for (address, folder, file) in leftovers {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let twin = folder.join("new").join(&name);
        if twin.exists() {
            let indexed = match accounts::get(&mut conn, &address).await? {
                Some(a) => messages::has_file(&mut conn, a.id, &name).await?,
                None => false,
            };
            if !indexed {
                let _ = std::fs::remove_file(&twin);
                rep.removed += 1;
            }
            let _ = std::fs::remove_file(&file);
            rep.tmp_cleaned += 1;
        } else {
            let old = std::fs::metadata(&file).and_then(|m| m.modified()).ok().and_then(|m| m.elapsed().ok());
            if old.is_some_and(|e| e > std::time::Duration::from_secs(36 * 3600)) {
                let _ = std::fs::remove_file(&file);
                rep.tmp_cleaned += 1;
            }
        }
    }
    let spool_tmp = store.data_dir.join("spool/tmp");
    if let Ok(entries) = std::fs::read_dir(&spool_tmp) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
    drop(conn);
    // After the DELETEs cut short are finished or undone: a folder set aside is back.
    rep.rows_without_file = rows_without_file(store).await?;
    let (queued, quarantined) = crate::ops::queue::reconcile(store).await?;
    rep.spool_queued = queued;
    rep.spool_quarantined = quarantined;
    Ok(rep)
}

/// A row above the `files_synced` mark: (row id, account id, mailbox id, uid, file name, flags,
/// size, folder, account address).
type Unconfirmed = (i64, i64, i64, i64, String, String, i64, String, String);

/// Remove the index rows above the `files_synced` mark whose file is gone or empty: the group
/// commit syncs a batch's files beside its transaction, so a power cut can leave a durable row
/// whose file never reached the disk. Its write was never acknowledged; the row goes with a
/// tombstone (as an expunge), its usage is given back, and the mark moves to the last row
/// (unless a folder could not be listed: see [`lost_files`]). The first start with the mark
/// sets it: rows from before it were all committed after their file was synced. Returns how
/// many rows went.
pub async fn rows_without_file(store: &Store) -> Result<usize> {
    use crate::store::conn::Conn;
    use crate::store::files_synced;
    let mut tx = store.begin_admin().await?;
    let last = files_synced::last_message(&mut Conn::Any(&mut tx)).await?;
    let mark = files_synced::through(&mut Conn::Any(&mut tx)).await?;
    let rows: Vec<Unconfirmed> =
        match mark {
            Some(m) if m < last => Conn::Any(&mut tx)
                .fetch_all(
                    "SELECT m.id, b.account_id, m.mailbox_id, m.uid, m.filename, m.flags, m.size, b.name, a.address \
                     FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id JOIN accounts a ON a.id = b.account_id \
                     WHERE m.id > $1 ORDER BY m.id",
                    &[m.into()],
                )
                .await?,
            _ => Vec::new(),
        };
    // Where each row's folder is; a row whose address does not parse is left alone.
    let located: Vec<(Unconfirmed, PathBuf)> = rows
        .into_iter()
        .filter_map(|r| {
            let root = store.maildir_path(&crate::names::Address::parse(&r.8).ok()?);
            let folder = maildir::folder_path(&root, &r.7);
            Some((r, folder))
        })
        .collect();
    let (gone, unsure) = crate::ops::blocking(move || Ok(lost_files(located))).await?;
    for (_, account, mailbox, uid, file, _, size, folder, address) in &gone {
        tracing::warn!(address, folder, file, "an index row names a file a power cut took; removing the row");
        messages::delete(&mut Conn::Any(&mut tx), *mailbox, *uid).await?;
        accounts::add_usage(&mut Conn::Any(&mut tx), *account, -size, -1).await?;
    }
    // A row whose folder could not be listed is looked at again at the next start.
    if !unsure && mark.is_none_or(|m| m < last) {
        files_synced::advance(&mut Conn::Any(&mut tx), last).await?;
    }
    tx.commit().await?;
    Ok(gone.len())
}

/// The rows whose file is not in their folder, or empty when the row says it has content (the
/// power cut kept its name, not its data: the file is removed). Each folder is listed once.
/// A folder whose `new/` or `cur/` cannot be listed (renamed, the file system not mounted, an
/// I/O error) decides nothing: its rows stay, and `true` says so.
fn lost_files(located: Vec<(Unconfirmed, PathBuf)>) -> (Vec<Unconfirmed>, bool) {
    let mut listed: std::collections::HashMap<PathBuf, Option<Listed>> = std::collections::HashMap::new();
    let (mut gone, mut unsure) = (Vec::new(), false);
    for (row, folder) in located {
        let Some(files) = listed.entry(folder).or_insert_with_key(|f| list_folder(f)) else {
            unsure = true;
            continue;
        };
        match files.get(&row.4) {
            Some((len, _)) if *len > 0 || row.6 == 0 => {}
            Some((_, path)) => {
                let _ = std::fs::remove_file(path);
                gone.push(row);
            }
            None => gone.push(row),
        }
    }
    (gone, unsure)
}

/// A folder's message files by base name: (length, path).
type Listed = std::collections::HashMap<String, (u64, PathBuf)>;

/// [`Listed`] for one folder ([`maildir::scan`]); None when its `new/` or `cur/` is not there
/// or cannot be read (`scan` counts a missing one as empty).
fn list_folder(folder: &Path) -> Option<Listed> {
    if !(folder.join("new").is_dir() && folder.join("cur").is_dir()) {
        return None;
    }
    let files = maildir::scan::scan(folder).ok()?;
    Some(files.into_iter().map(|f| (f.base, (f.len, f.path))).collect())
}

/// Every account's Maildir under the mail root: (address, root).
fn account_roots(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(domains) = std::fs::read_dir(root) else { return out };
    for d in domains.flatten() {
        let domain = d.file_name().to_string_lossy().into_owned();
        let Ok(users) = std::fs::read_dir(d.path()) else { continue };
        for u in users.flatten() {
            out.push((format!("{}@{domain}", u.file_name().to_string_lossy()), u.path()));
        }
    }
    out
}

/// Every file (not directory) in a `tmp/` directory of these accounts' Maildirs: (account
/// address, folder, file).
fn tmp_files(accounts: Vec<(String, PathBuf)>) -> Vec<(String, PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for (address, account_root) in accounts {
        let Ok(folders) = maildir::folders(&account_root) else { continue };
        for f in folders {
            let Ok(files) = std::fs::read_dir(f.join("tmp")) else { continue };
            for file in files.flatten().filter(|e| e.file_type().is_ok_and(|t| !t.is_dir())) {
                out.push((address.clone(), f.clone(), file.path()));
            }
        }
    }
    out
}

//! Group commit for every write that changes a mailbox: delivery, APPEND, COPY, STORE,
//! EXPUNGE, SELECT's \Recent bookkeeping and the time of a login all go through one writer
//! (on SQLite a thread with a connection of its own, on PostgreSQL a task). Writes that
//! arrive while a transaction commits run together in the next one (each in a savepoint, so
//! one that fails is undone alone), and the batch shares one sync of the database; the content
//! of its new message files and the directories they were linked into are synced each once,
//! the files on one thread and the directories on another (`sync`), while the transaction
//! commits.
//!
//! Two kinds of write, as the IMAP issue asked ("a message body must be durable before OK, a
//! flag change may ride on the next group commit"):
//! - [`Writer::write`], durable: the caller hears back only once the change is on stable
//!   storage (delivery, APPEND, COPY, a new password hash): its files' content, the
//!   directories they were linked into, and its rows. The files are synced beside the
//!   transaction, so a power cut can make a row durable (another batch's sync of the WAL, the
//!   kernel's write-back) whose file never reached the disk. That write was never answered;
//!   the syncer moves the `files_synced` mark (`store::files_synced`) past a batch's rows once
//!   its files are synced, and the next start removes the rows above the mark whose file is
//!   gone or empty (`ops::deliver::recover`).
//! - [`Writer::write_relaxed`]: committed (every session sees it) before the caller hears
//!   back, durable with the next durable write or checkpoint, within a fraction of a second
//!   under load; a power cut in between can undo it, never corrupt anything. Flag changes,
//!   \Recent claims, login times and EXPUNGE (whose files are unlinked only once
//!   [`Writer::synced`] says the deletion is durable, so an undone expunge still finds its
//!   files): what Dovecot also writes without an fsync.
//!
//! On SQLite every transaction commits with `synchronous = NORMAL` (the WAL is written, not
//! synced) and a syncer thread beside the writer fsyncs the WAL for the durable writes, then
//! answers them: the next batch's transaction runs while the previous one's fsync is under way
//! (pipelined), and one fsync answers every durable write committed before it started. On
//! PostgreSQL a relaxed batch sets `synchronous_commit = off` for itself.
//!
//! Why one writer: SQLite has one write lock, and sessions that each took it (BEGIN IMMEDIATE)
//! queued behind one another's fsync, sleeping in the busy handler between tries, so the
//! machine was idle while commands waited (0.22-0.51x Dovecot's commands per second, issue
//! 13). Order is the order of arrival, so the writes of one session (and of one mailbox)
//! commit in the order they were made.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{mpsc, oneshot};

use super::Backend;
use super::conn::Conn;
use super::maildir::write::Unsynced;
use crate::error::{Error, Kind, Result};

mod sync;
use sync::{FileSync, FileSyncers, Pending, Syncer};

/// A boxed future that borrows the connection it runs on.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Most writes in one transaction.
const MAX_BATCH: usize = 256;

/// The handle to the writer; cheap to clone. The writer (and its syncing threads) ends when
/// every handle is gone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Box<dyn Job>>,
}

/// One write waiting for its batch.
trait Job: Send {
    /// The files this write wrote and the directories it linked them into (taken once): synced
    /// beside the transaction; the write is answered once both are durable.
    fn take_unsynced(&mut self) -> Unsynced;
    /// Whether it has files or directories to sync.
    fn has_unsynced(&self) -> bool;
    /// Whether the caller may hear back only once the change is on stable storage.
    fn durable(&self) -> bool;
    /// Whether the write may fail after it wrote (it then runs in a savepoint of its own).
    fn guarded(&self) -> bool;
    /// Run the write on the batch's connection; false when it failed (its savepoint is undone).
    fn run<'c>(&'c mut self, conn: &'c mut Conn<'c>) -> BoxFuture<'c, bool>;
    /// The batch committed (or not): answer the caller.
    fn finish(self: Box<Self>, committed: Committed);
}

/// How a batch ended, for each of its writes.
type Committed = std::result::Result<(), Failed>;

/// Why a write failed: the error's kind and message, and whether its rows were committed
/// (a sync after the commit failed).
#[derive(Clone)]
struct Failed {
    kind: Kind,
    message: String,
    committed: bool,
}

impl Failed {
    fn before_commit(e: &Error) -> Failed {
        Failed { kind: e.kind, message: e.one_line(), committed: false }
    }

    /// A sync after the commit failed (the rows stay: [`CommittedNotDurable`]).
    fn after_commit(e: &Error) -> Failed {
        Failed { committed: true, ..Failed::before_commit(e) }
    }
}

/// The source of a durable write's error when its rows were committed but could not be made
/// durable (a sync of its files or of the WAL failed after the commit): the rows stay, so the
/// caller keeps its files, and the next start checks those rows against their files
/// (`ops::deliver::recover`).
#[derive(Debug)]
pub struct CommittedNotDurable;

impl std::fmt::Display for CommittedNotDurable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the index rows were committed; the next start checks them against their files")
    }
}

impl std::error::Error for CommittedNotDurable {}

/// Whether a durable write failed after its rows were committed ([`CommittedNotDurable`]).
pub fn committed_not_durable(e: &Error) -> bool {
    std::error::Error::source(e).is_some_and(|s| s.is::<CommittedNotDurable>())
}

type Work<T> = Box<dyn for<'c> FnOnce(&'c mut Conn<'c>) -> BoxFuture<'c, Result<T>> + Send>;

struct Typed<T> {
    unsynced: Unsynced,
    durable: bool,
    guarded: bool,
    work: Option<Work<T>>,
    out: Option<Result<T>>,
    done: oneshot::Sender<Result<T>>,
}

impl<T: Send + 'static> Job for Typed<T> {
    fn take_unsynced(&mut self) -> Unsynced {
        std::mem::take(&mut self.unsynced)
    }

    fn has_unsynced(&self) -> bool {
        !self.unsynced.is_empty()
    }

    fn durable(&self) -> bool {
        self.durable
    }

    fn guarded(&self) -> bool {
        self.guarded
    }

    fn run<'c>(&'c mut self, conn: &'c mut Conn<'c>) -> BoxFuture<'c, bool> {
        Box::pin(async move {
            let Some(work) = self.work.take() else { return false };
            let r = work(conn).await;
            let ok = r.is_ok();
            self.out = Some(r);
            ok
        })
    }

    fn finish(self: Box<Self>, committed: Committed) {
        let r = match (self.out, committed) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (_, Err(f)) if f.committed => Err(Error::new(f.kind, f.message).with_source(CommittedNotDurable)),
            (_, Err(f)) => Err(Error::new(f.kind, f.message)),
            (None, Ok(())) => Err(Error::new(Kind::Unavailable, "the write was not run")),
        };
        let _ = self.done.send(r);
    }
}

impl Writer {
    /// `file`: SQLite's database file (None for PostgreSQL, or an in-memory database). Fails
    /// when a thread of the group commit cannot be started (a limit on the number of tasks):
    /// a store without its writer or syncer would refuse every write, or answer none.
    pub(super) fn start(pool: AnyPool, backend: Backend, file: Option<PathBuf>) -> Result<Writer> {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        let mark = std::sync::Arc::new(Mark::default());
        let c = Committer {
            syncer: Syncer::start(file.clone(), mark.clone())?,
            files: FileSyncers::start()?,
            mark,
            mark_written: None,
        };
        match (backend, file) {
            (Backend::Sqlite, Some(file)) => {
                sync::spawn("mailctl-writer", move || direct_loop(file, rx, c))?;
            }
            _ => {
                tokio::spawn(pooled_loop(pool, backend, rx, c));
            }
        }
        Ok(Writer { tx })
    }

    /// Run `work` in the next group commit, syncing `unsynced` beside it; returns its result once
    /// both are on stable storage. When `work` fails, its changes are undone and its error
    /// returned; the other writes of the batch are not affected. `work` runs while other
    /// writes wait for it: it should only talk to the database.
    pub async fn write<T, F>(&self, unsynced: Unsynced, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn<'c>) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.send(unsynced, true, true, work).await
    }

    /// [`Writer::write`], saying whether the write may fail after it wrote (`guarded`: it runs
    /// in a savepoint of its own). An unguarded write fails, if it fails, before its first
    /// write (a delivery to one mailbox: its quota check is its first statement), and costs
    /// the writer two statements fewer.
    pub async fn write_durable<T, F>(&self, unsynced: Unsynced, guarded: bool, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn<'c>) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.send(unsynced, true, guarded, work).await
    }

    /// As [`Writer::write`], but returns once committed (visible to every reader), before the
    /// change is synced: it becomes durable with the next durable write (see the module).
    /// `work` must fail, if it fails, before its first write: it runs without a savepoint.
    pub async fn write_relaxed<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn<'c>) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.send(Unsynced::default(), false, false, work).await
    }

    /// [`Writer::write_relaxed`] for a write that may fail after it wrote: it runs in a
    /// savepoint of its own.
    pub async fn write_relaxed_guarded<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn<'c>) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.send(Unsynced::default(), false, true, work).await
    }

    /// Returns once every write committed before it is durable (it joins the next sync).
    pub async fn synced(&self) -> Result<()> {
        self.send(Unsynced::default(), true, false, |_| Box::pin(async { Ok(()) })).await
    }

    async fn send<T, F>(&self, unsynced: Unsynced, durable: bool, guarded: bool, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn<'c>) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let (done, wait) = oneshot::channel();
        let job = Box::new(Typed { unsynced, durable, guarded, work: Some(Box::new(work)), out: None, done });
        let gone = || Error::new(Kind::Unavailable, "the store's writer has stopped");
        self.tx.send(job).await.map_err(|_| gone())?;
        wait.await.map_err(|_| gone())?
    }
}

/// The writer on SQLite's database file: its own connection (rusqlite, opened at the first
/// write, and again at the next batch if that failed) on a thread of its own, taking the writes
/// from the sessions directly (see `store::conn` for why). A batch's futures are ready at their
/// first poll on it (every query completes when called; a write that waits on anything else
/// fails).
///
/// After each of the syncer's checkpoints ([`Syncer::checkpointed`]), the writer checkpoints the frames
/// committed meanwhile before its next batch, so that batch's transaction finds the WAL wholly
/// copied into the database and writes it again from its start (SQLite resets a WAL only at
/// the start of a write transaction that follows a complete checkpoint). Without this, under
/// a steady load, the syncer's checkpoint never caught up with the writer and the WAL only
/// grew, by about 150 MB a second at 20 SMTP sessions (612-676 MB after 20,000 messages, on a
/// 6 MB database): disk taken for as long as the load lasts.
fn direct_loop(file: PathBuf, mut rx: mpsc::Receiver<Box<dyn Job>>, mut c: Committer) {
    let mut conn: Option<rusqlite::Connection> = None;
    while let Some(first) = rx.blocking_recv() {
        let mut batch = take_batch(first, &mut rx);
        let started = std::time::Instant::now();
        let conn = match &mut conn {
            Some(c) => c,
            empty => match super::direct::open(&file) {
                Ok(opened) => empty.insert(opened),
                Err(e) => {
                    // Nothing was committed: the writes fail (their callers remove their files)
                    // and the mark is left as it is.
                    tracing::warn!(error = %e.one_line(), "the store's writer cannot open the database");
                    c.end(batch, Err(e), None, Extra::default(), started);
                    continue;
                }
            },
        };
        if c.syncer.checkpointed() {
            sync::checkpoint(conn);
        }
        let (files, extra) = c.begin(&mut batch);
        let r = direct_transaction(conn, &mut batch, extra);
        c.end(batch, r, files, extra, started);
    }
}

/// The writer on PostgreSQL (or an in-memory SQLite database): a task committing on a
/// connection taken out of the pool.
async fn pooled_loop(pool: AnyPool, backend: Backend, mut rx: mpsc::Receiver<Box<dyn Job>>, mut c: Committer) {
    let mut own = None;
    while let Some(first) = rx.recv().await {
        let mut batch = take_batch(first, &mut rx);
        let started = std::time::Instant::now();
        let (files, extra) = c.begin(&mut batch);
        // PostgreSQL's commit syncs when a write is durable; SQLite in memory has nothing to sync.
        let synced = backend == Backend::Postgres && batch.iter().any(|j| j.durable());
        let r = commit(&mut own, &pool, backend, &mut batch, synced, extra).await;
        c.end(batch, r, files, extra, started);
    }
}

/// The first write and every write queued behind it, up to [`MAX_BATCH`].
fn take_batch(first: Box<dyn Job>, rx: &mut mpsc::Receiver<Box<dyn Job>>) -> Vec<Box<dyn Job>> {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(j) => batch.push(j),
            Err(_) => break,
        }
    }
    batch
}

/// The `files_synced` mark as the writer knows it: how far the syncer has seen the files
/// synced (every batch up to one whose last row is `synced`), and what the writer last wrote.
#[derive(Default)]
struct Mark {
    synced: std::sync::atomic::AtomicI64,
    /// Set when a file sync failed: the mark stays where it was until the next start, which
    /// looks at every row above it.
    stuck: std::sync::atomic::AtomicBool,
}

/// How often at most the writer writes the mark (one row; a start looks at the rows above it).
const MARK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// What every batch goes through, whichever the connection: its files' syncs, the mark, and
/// the answers (the relaxed writes at once, the durable ones by the syncer).
struct Committer {
    syncer: Syncer,
    files: FileSyncers,
    mark: std::sync::Arc<Mark>,
    /// When the mark was last written, and its value.
    mark_written: Option<(std::time::Instant, i64)>,
}

/// What a transaction does besides its writes: the mark to write, and whether to read the
/// last messages row (for a batch with files, so the syncer can move the mark past it).
#[derive(Clone, Copy, Default)]
struct Extra {
    mark: Option<i64>,
    last_row: bool,
}

impl Committer {
    /// Before a batch's transaction: start syncing its files and directories (beside the
    /// transaction: a lone message waits for the longer of the two, not for both in a row;
    /// SMTP at one session: 11-14% more messages a second) and say what else it writes.
    fn begin(&mut self, batch: &mut [Box<dyn Job>]) -> (Option<FileSync>, Extra) {
        let unsynced: Vec<Unsynced> =
            batch.iter_mut().filter(|j| j.has_unsynced()).map(|j| j.take_unsynced()).collect();
        let files = self.files.sync(unsynced);
        let extra = Extra { mark: self.mark_due(), last_row: files.is_some() };
        (files, extra)
    }

    /// After a batch's transaction (`committed`: its last messages row, None when rolled back):
    /// answer the relaxed writes now, and hand the durable ones to the syncer, which answers
    /// them once `files` and the transaction are on stable storage (its WAL sync on SQLite,
    /// PostgreSQL's commit).
    fn end(
        &mut self,
        batch: Vec<Box<dyn Job>>,
        committed: Result<Option<i64>>,
        files: Option<FileSync>,
        extra: Extra,
        started: std::time::Instant,
    ) {
        let durable = batch.iter().any(|j| j.durable());
        match (&committed, extra.mark) {
            (Ok(Some(_)), Some(m)) => self.mark_written = Some((std::time::Instant::now(), m)),
            // A commit that failed may have happened all the same (a connection lost during
            // COMMIT): its files are removed by the callers, so the mark stays below its rows.
            (Err(_), _) if files.is_some() => self.mark.stuck.store(true, std::sync::atomic::Ordering::Release),
            _ => {}
        }
        let committed = committed.map_err(|e| Failed::before_commit(&e));
        tracing::trace!(
            writes = batch.len(),
            durable,
            elapsed_us = started.elapsed().as_micros() as u64,
            "group commit"
        );
        match committed {
            Ok(last_row) if durable || files.is_some() => {
                let (later, now): (Vec<_>, Vec<_>) = batch.into_iter().partition(|j| j.durable());
                for job in now {
                    job.finish(Ok(()));
                }
                self.syncer.sync(Pending { jobs: later, files, last_row: last_row.unwrap_or(0) });
            }
            committed => {
                let committed = committed.map(|_| ());
                for job in batch {
                    job.finish(committed.clone());
                }
            }
        }
    }

    /// The mark to write with the next transaction: when the syncer moved it and the last
    /// write is [`MARK_EVERY`] old.
    fn mark_due(&self) -> Option<i64> {
        // `synced` first: the syncer never moves it once `stuck` is set.
        let synced = self.mark.synced.load(std::sync::atomic::Ordering::Acquire);
        if self.mark.stuck.load(std::sync::atomic::Ordering::Acquire) {
            return None;
        }
        match self.mark_written {
            Some((at, m)) if m >= synced || at.elapsed() < MARK_EVERY => None,
            _ if synced == 0 => None,
            _ => Some(synced),
        }
    }
}

/// The writer's own connection, taken out of the pool (so `Store::close` never waits for it);
/// on SQLite it commits with `synchronous = NORMAL`, the syncer doing the syncing. Dropped
/// after an error, and a new one taken for the next batch.
async fn connection(pool: &AnyPool, backend: Backend) -> Result<AnyConnection> {
    let mut conn = pool.acquire().await?.detach();
    if backend == Backend::Sqlite {
        sqlx::Executor::execute(&mut conn, "PRAGMA synchronous = NORMAL").await?;
    }
    Ok(conn)
}

/// One transaction for the batch on the writer's connection (taken when there is none).
/// `synced`: PostgreSQL waits for the WAL flush at commit (else `synchronous_commit = off`).
/// Returns the last messages row when `extra` asks for it (0 when not), None when the batch was
/// rolled back (its one write failed).
async fn commit(
    own: &mut Option<AnyConnection>,
    pool: &AnyPool,
    backend: Backend,
    batch: &mut [Box<dyn Job>],
    synced: bool,
    extra: Extra,
) -> Result<Option<i64>> {
    let mut conn = match own.take() {
        Some(c) => c,
        None => connection(pool, backend).await?,
    };
    let r = transaction(&mut conn, backend, batch, synced, extra).await;
    if r.is_ok() {
        *own = Some(conn);
    }
    r
}

async fn transaction(
    conn: &mut AnyConnection,
    backend: Backend,
    batch: &mut [Box<dyn Job>],
    synced: bool,
    extra: Extra,
) -> Result<Option<i64>> {
    let mut tx = match backend {
        Backend::Sqlite => sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?,
        Backend::Postgres => sqlx::Connection::begin(&mut *conn).await?,
    };
    if backend == Backend::Postgres && !synced {
        sqlx::Executor::execute(&mut *tx, "SET LOCAL synchronous_commit = off").await?;
    }
    // A durable batch gets a transaction id even if its writes change nothing (`Writer::synced`
    // alone): PostgreSQL writes no commit record, and flushes no WAL, for a transaction without
    // one, and the relaxed commits before it would not be flushed.
    if backend == Backend::Postgres && synced {
        sqlx::Executor::execute(&mut *tx, "SELECT txid_current()").await?;
    }
    let mut c = Conn::Any(&mut tx);
    let last = match run_jobs(&mut c, batch, extra).await? {
        Some(last) => last,
        None => {
            tx.rollback().await?;
            return Ok(None);
        }
    };
    tx.commit().await?;
    Ok(Some(last))
}

/// Run a batch's writes in the open transaction, then what `extra` asks: the mark written and
/// the last messages row read (0 when not asked); None when nothing is left to commit (its
/// one write failed). A relaxed or unguarded write fails, if at all, before it writes: it needs
/// no savepoint, which saves two statements of the writer's time.
async fn run_jobs(conn: &mut Conn<'_>, batch: &mut [Box<dyn Job>], extra: Extra) -> Result<Option<i64>> {
    if let [job] = batch {
        if !job.run(&mut conn.into()).await {
            return Ok(None);
        }
    } else {
        for job in batch.iter_mut() {
            if !job.guarded() {
                if !job.run(&mut conn.into()).await && !conn.in_transaction() {
                    return Err(ended());
                }
                continue;
            }
            conn.execute("SAVEPOINT job", &[]).await?;
            if !job.run(&mut conn.into()).await {
                conn.execute("ROLLBACK TO job", &[]).await?;
            }
            conn.execute("RELEASE job", &[]).await?;
        }
    }
    if let Some(m) = extra.mark {
        super::files_synced::advance(conn, m).await?;
    }
    Ok(Some(if extra.last_row { super::files_synced::last_message(conn).await? } else { 0 }))
}

fn ended() -> Error {
    Error::new(Kind::Unavailable, "the database ended the transaction")
}

/// [`transaction`] on the direct connection: every query completes when called, so the
/// batch's future is ready at the first poll (a write that waits on anything else fails it).
fn direct_transaction(
    conn: &mut rusqlite::Connection,
    batch: &mut [Box<dyn Job>],
    extra: Extra,
) -> Result<Option<i64>> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let r = super::direct::poll_once(run_jobs(&mut Conn::Sqlite(&mut *conn), batch, extra)).and_then(|r| r);
    let end = match r {
        Ok(Some(last)) => conn.execute_batch("COMMIT").map(|_| Some(last)).map_err(Error::from),
        Ok(None) => conn.execute_batch("ROLLBACK").map(|_| None).map_err(Error::from),
        Err(e) => Err(e),
    };
    if end.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    end
}

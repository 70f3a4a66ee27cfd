//! Group commit for every write that changes a mailbox: delivery, APPEND, COPY, STORE,
//! EXPUNGE, SELECT's \Recent bookkeeping and the time of a login all go through one writer
//! task. Writes that arrive while a transaction commits run together in the next one (each
//! in a savepoint, so one that fails is undone alone), and the batch shares one sync of the
//! database; the content of its new message files and the directories they were linked into
//! are synced each once, the files on one blocking thread and the directories on another,
//! while the transaction commits.
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
//! synced) and a syncer task beside the writer fsyncs the WAL for the durable writes, then
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

use super::conn::Conn;
use super::maildir::write::Unsynced;
use super::{Backend, blocking};
use crate::error::{Error, Kind, Result};

/// A boxed future that borrows the connection it runs on.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Most writes in one transaction.
const MAX_BATCH: usize = 256;

/// The handle to the writer task; cheap to clone. The task ends when every handle is gone.
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
    /// `file`: SQLite's database file (None for PostgreSQL, or an in-memory database).
    pub(super) fn start(pool: AnyPool, backend: Backend, file: Option<PathBuf>) -> Writer {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, backend, file, rx));
        Writer { tx }
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

async fn run(pool: AnyPool, backend: Backend, file: Option<PathBuf>, mut rx: mpsc::Receiver<Box<dyn Job>>) {
    let mark = std::sync::Arc::new(Mark::default());
    let syncer = Syncer::start(&pool, backend, file.as_deref(), mark.clone());
    let mut c = Committer { pool, backend, file, syncer, own: None, direct: None, mark, mark_written: None };
    // Each batch's files and directories are synced beside its transaction, not before it:
    // a lone message waits for the longer of the two, not for both in a row (SMTP at one
    // session: 11-14% more messages a second). Its durable writes are answered once both are
    // on stable storage; a row the transaction made durable before its file can only be one
    // that was never acknowledged, and `files_synced` tells the next start where to look.
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let unsynced: Vec<Unsynced> =
            batch.iter_mut().filter(|j| j.has_unsynced()).map(|j| j.take_unsynced()).collect();
        let files = (!unsynced.is_empty()).then(|| tokio::spawn(sync_unsynced(unsynced)));
        c.commit(batch, files).await;
    }
}

/// A batch's file and directory syncs, under way beside its transaction.
type FileSync = tokio::task::JoinHandle<Result<()>>;

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

/// The writer's connections and the syncer.
struct Committer {
    pool: AnyPool,
    backend: Backend,
    file: Option<PathBuf>,
    syncer: Syncer,
    own: Option<AnyConnection>,
    /// SQLite: the writer's own connection on a thread of its own, opened at the first write
    /// (`None` until then; `Some(None)` when it could not be, and sqlx's connection is used).
    direct: Option<Option<Direct>>,
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
    /// Commit a batch and answer its writes: the relaxed ones now, the durable ones once the
    /// files `files` syncs and the transaction are on stable storage (the syncer's WAL sync, or
    /// PostgreSQL's commit).
    async fn commit(&mut self, mut batch: Vec<Box<dyn Job>>, files: Option<FileSync>) {
        let started = std::time::Instant::now();
        let durable = batch.iter().any(|j| j.durable());
        if self.backend == Backend::Sqlite && self.direct.is_none() {
            self.direct = Some(Direct::open(self.file.clone()).await);
        }
        let extra = Extra { mark: self.mark_due(), last_row: files.is_some() };
        let committed = match &self.direct {
            Some(Some(d)) => {
                let (back, r) = d.commit(batch, extra).await;
                batch = back;
                r
            }
            // SQLite: the WAL is synced by the syncer; PostgreSQL: by the commit when durable.
            _ => {
                let synced = self.backend == Backend::Postgres && durable;
                commit(&mut self.own, &self.pool, self.backend, &mut batch, synced, extra).await
            }
        };
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

/// A batch for the direct connection's thread, and where to hand it back with its outcome.
type DirectBatch = (Vec<Box<dyn Job>>, Extra, oneshot::Sender<(Vec<Box<dyn Job>>, Result<Option<i64>>)>);

/// The writer's own SQLite connection, driven directly on a thread of its own (see
/// `store::conn` for why): a batch crosses to it once and comes back committed.
struct Direct {
    tx: std::sync::mpsc::Sender<DirectBatch>,
}

impl Direct {
    /// Open the database file the pool uses; None (with a warning) when that cannot be done,
    /// and the writer uses a connection of the pool instead.
    async fn open(file: Option<PathBuf>) -> Option<Direct> {
        let opened = async {
            let path = file.ok_or_else(|| Error::new(Kind::Internal, "the database has no file"))?;
            blocking(move || super::direct::open(&path)).await
        };
        let conn = match opened.await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e.one_line(), "the store's writer uses a pooled connection");
                return None;
            }
        };
        let (tx, rx) = std::sync::mpsc::channel::<DirectBatch>();
        let spawned = std::thread::Builder::new().name("mailctl-writer".into()).spawn(move || {
            let mut conn = conn;
            for (mut batch, extra, done) in rx {
                let r = direct_transaction(&mut conn, &mut batch, extra);
                let _ = done.send((batch, r));
            }
        });
        match spawned {
            Ok(_) => Some(Direct { tx }),
            Err(e) => {
                tracing::warn!(error = %e, "the store's writer uses a pooled connection");
                None
            }
        }
    }

    async fn commit(&self, batch: Vec<Box<dyn Job>>, extra: Extra) -> (Vec<Box<dyn Job>>, Result<Option<i64>>) {
        let (done, wait) = oneshot::channel();
        // A thread that is gone drops the batch: each caller hears that the writer stopped.
        if self.tx.send((batch, extra, done)).is_err() {
            return (Vec::new(), Err(Error::new(Kind::Unavailable, "the store's writer has stopped")));
        }
        wait.await
            .unwrap_or_else(|_| (Vec::new(), Err(Error::new(Kind::Unavailable, "the store's writer has stopped"))))
    }
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

/// A committed batch whose durable writes wait for the syncer.
struct Pending {
    jobs: Vec<Box<dyn Job>>,
    /// Its files' and directories' syncs, started before its transaction.
    files: Option<FileSync>,
    /// Its last messages row, read in its transaction (0 when it had no files).
    last_row: i64,
}

/// Beside the writer: answers the durable writes of committed batches once their files are
/// synced and, on SQLite, the WAL too (one sync of the WAL answers every write committed
/// before it started); moves the `files_synced` mark as batches' files are synced, in order.
struct Syncer {
    tx: mpsc::UnboundedSender<Pending>,
}

impl Syncer {
    fn start(pool: &AnyPool, backend: Backend, file: Option<&std::path::Path>, mark: std::sync::Arc<Mark>) -> Syncer {
        let (tx, rx) = mpsc::unbounded_channel();
        let wal = match backend {
            Backend::Sqlite => file.map(|f| PathBuf::from(format!("{}-wal", f.display()))),
            Backend::Postgres => None,
        };
        tokio::spawn(sync_loop(pool.clone(), wal, mark, rx));
        Syncer { tx }
    }

    fn sync(&self, pending: Pending) {
        if let Err(mpsc::error::SendError(p)) = self.tx.send(pending) {
            for job in p.jobs {
                job.finish(Err(Failed {
                    kind: Kind::Unavailable,
                    message: "the store's syncer has stopped".into(),
                    committed: true,
                }));
            }
        }
    }
}

/// `wal`: SQLite's WAL file; None for PostgreSQL (its commit synced) or an in-memory database.
async fn sync_loop(
    pool: AnyPool,
    wal: Option<PathBuf>,
    mark: std::sync::Arc<Mark>,
    mut rx: mpsc::UnboundedReceiver<Pending>,
) {
    let mut checkpointed = std::time::Instant::now();
    while let Some(first) = rx.recv().await {
        let mut pending = vec![first];
        while let Ok(more) = rx.try_recv() {
            pending.push(more);
        }
        let synced = match wal.clone() {
            Some(w) => blocking(move || sync_wal(Some(&w))).await,
            None => Ok(()),
        };
        // A failed sync after the commit: the rows stay (committed, maybe not durable), the
        // callers keep their files, and the mark stops, so the next start checks those rows.
        let failed = |e: &Error| {
            mark.stuck.store(true, std::sync::atomic::Ordering::Release);
            tracing::error!(
                error = %e.one_line(),
                "a sync after the commit failed: the writes are refused, their rows kept, and the next \
                 start checks them against their files"
            );
            Failed { kind: e.kind, message: e.one_line(), committed: true }
        };
        let synced = synced.map_err(|e| failed(&e));
        for p in pending {
            let files = match p.files {
                None => Ok(()),
                Some(f) => match f.await {
                    Ok(r) => r.map_err(|e| failed(&e)),
                    Err(e) => Err(failed(&Error::new(Kind::Internal, format!("syncing message files: {e}")))),
                },
            };
            let r = synced.clone().and(files);
            if r.is_ok() && !mark.stuck.load(std::sync::atomic::Ordering::Acquire) {
                mark.synced.fetch_max(p.last_row, std::sync::atomic::Ordering::AcqRel);
            }
            for job in p.jobs {
                job.finish(r.clone());
            }
        }
        if checkpointed.elapsed() >= CHECKPOINT_EVERY && wal_is_large(wal.as_deref()) {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::warn!(error = %e, "checkpointing the database's WAL");
            }
            checkpointed = std::time::Instant::now();
        }
    }
}

/// Whether the WAL has grown past [`CHECKPOINT_BYTES`], so the syncer copies it into the
/// database. The store's SQLite connections never checkpoint on their own
/// (`wal_autocheckpoint = 0`): one checkpoint at a time, off the writer's path. The WAL is cut
/// back (`super::SQLITE_SETTINGS`) when it is next reset; until then (readers still
/// on its old frames) it stays large, hence at most one PASSIVE checkpoint (it never waits for
/// readers) per [`CHECKPOINT_EVERY`]: it syncs the WAL and the database, two syncs the writes
/// behind it wait for.
fn wal_is_large(wal: Option<&std::path::Path>) -> bool {
    wal.is_some_and(|w| std::fs::metadata(w).map(|m| m.len()).unwrap_or(0) >= CHECKPOINT_BYTES)
}

/// The WAL size above which the syncer checkpoints.
const CHECKPOINT_BYTES: u64 = 16 << 20;

/// The least time between two checkpoints.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Sync the files' content and each directory once, on two blocking threads: one for the
/// directories, one for the files, whose writeback is started first for all of them
/// (`sync_file_range`), so their data goes to the disk together and each sync in turn is
/// mostly a wait for what is under way. Two hand-offs per batch, not one per file; the
/// directories are synced beside the files, not after them, so a lone message's write waits
/// for one sync, not two in a row.
async fn sync_unsynced(unsynced: Vec<Unsynced>) -> Result<()> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut files = Vec::new();
    for u in unsynced {
        dirs.extend(u.dirs);
        files.extend(u.files);
    }
    dirs.sort();
    dirs.dedup();
    let dirs = async move {
        if dirs.is_empty() {
            return Ok(());
        }
        blocking(move || dirs.iter().try_for_each(|d| crate::fsutil::sync_dir(d))).await
    };
    let files = async move {
        if files.is_empty() {
            return Ok(());
        }
        blocking(move || {
            if files.len() > 1 {
                for f in &files {
                    crate::fsutil::start_writeback(f);
                }
            }
            files.iter().try_for_each(|f| {
                f.sync_data().map_err(|e| Error::new(Kind::Io, "syncing a message file").with_source(e))
            })
        })
        .await
    };
    let (d, f) = tokio::join!(dirs, files);
    f.and(d)
}

/// fdatasync the WAL: every frame written before the call is then on stable storage. No WAL
/// file means the last connection checkpointed it into the database (synced) and removed it;
/// an in-memory database has nothing to sync.
fn sync_wal(wal: Option<&std::path::Path>) -> Result<()> {
    let Some(wal) = wal else { return Ok(()) };
    match std::fs::File::open(wal) {
        Ok(f) => f.sync_data().map_err(|e| Error::io("syncing", wal, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("opening", wal, e)),
    }
}

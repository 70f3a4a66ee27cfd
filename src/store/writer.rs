//! Group commit for every write that changes a mailbox: delivery, APPEND, COPY, STORE,
//! EXPUNGE, SELECT's \Recent bookkeeping and the time of a login all go through one writer
//! task. Writes that arrive while a transaction commits run together in the next one (each
//! in a savepoint, so one that fails is undone alone), and the batch shares one sync of the
//! database, and one fsync per directory its files were linked into.
//!
//! Two kinds of write, as the IMAP issue asked ("a message body must be durable before OK, a
//! flag change may ride on the next group commit"):
//! - [`Writer::write`], durable: the caller hears back only once the change is on stable
//!   storage (delivery, APPEND, COPY, EXPUNGE, a new password hash). The directories its files
//!   were linked into are synced before the transaction, so no row ever points at a name a
//!   crash could take away.
//! - [`Writer::write_relaxed`]: committed (every session sees it) before the caller hears
//!   back, durable with the next durable write or checkpoint, within a fraction of a second
//!   under load; a power cut in between can undo it, never corrupt anything. Flag changes,
//!   \Recent claims and login times: what Dovecot also writes without an fsync.
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
    /// Directories this write linked files into: synced before the transaction, so no row
    /// points at a name a crash could take away.
    fn dirs(&self) -> &[PathBuf];
    /// Whether the caller may hear back only once the change is on stable storage.
    fn durable(&self) -> bool;
    /// Whether the write may fail after it wrote (it then runs in a savepoint of its own).
    fn guarded(&self) -> bool;
    /// Run the write on the batch's connection; false when it failed (its savepoint is undone).
    fn run<'c>(&'c mut self, conn: &'c mut AnyConnection) -> BoxFuture<'c, bool>;
    /// The batch committed (or not): answer the caller.
    fn finish(self: Box<Self>, committed: Committed);
}

/// How a batch ended, for each of its writes: Ok, or the error's kind and message.
type Committed = std::result::Result<(), (Kind, String)>;

type Work<T> = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T>> + Send>;

struct Typed<T> {
    dirs: Vec<PathBuf>,
    durable: bool,
    guarded: bool,
    work: Option<Work<T>>,
    out: Option<Result<T>>,
    done: oneshot::Sender<Result<T>>,
}

impl<T: Send + 'static> Job for Typed<T> {
    fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    fn durable(&self) -> bool {
        self.durable
    }

    fn guarded(&self) -> bool {
        self.guarded
    }

    fn run<'c>(&'c mut self, conn: &'c mut AnyConnection) -> BoxFuture<'c, bool> {
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
            (_, Err((kind, msg))) => Err(Error::new(kind, msg)),
            (None, Ok(())) => Err(Error::new(Kind::Unavailable, "the write was not run")),
        };
        let _ = self.done.send(r);
    }
}

impl Writer {
    pub(super) fn start(pool: AnyPool, backend: Backend) -> Writer {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, backend, rx));
        Writer { tx }
    }

    /// Run `work` in the next group commit, after syncing `dirs`; returns its result once the
    /// change is on stable storage. When `work` fails, its changes are undone and its error
    /// returned; the other writes of the batch are not affected. `work` runs while other
    /// writes wait for it: it should only talk to the database.
    pub async fn write<T, F>(&self, dirs: Vec<PathBuf>, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.send(dirs, true, true, work).await
    }

    /// [`Writer::write`], saying whether the write may fail after it wrote (`guarded`: it runs
    /// in a savepoint of its own). An unguarded write fails, if it fails, before its first
    /// write (a delivery to one mailbox: its quota check is its first statement), and costs
    /// the writer two statements fewer.
    pub async fn write_durable<T, F>(&self, dirs: Vec<PathBuf>, guarded: bool, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.send(dirs, true, guarded, work).await
    }

    /// As [`Writer::write`], but returns once committed (visible to every reader), before the
    /// change is synced: it becomes durable with the next durable write (see the module).
    /// `work` must fail, if it fails, before its first write: it runs without a savepoint.
    pub async fn write_relaxed<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.send(vec![], false, false, work).await
    }

    async fn send<T, F>(&self, dirs: Vec<PathBuf>, durable: bool, guarded: bool, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let (done, wait) = oneshot::channel();
        let job = Box::new(Typed { dirs, durable, guarded, work: Some(Box::new(work)), out: None, done });
        let gone = || Error::new(Kind::Unavailable, "the store's writer has stopped");
        self.tx.send(job).await.map_err(|_| gone())?;
        wait.await.map_err(|_| gone())?
    }
}

async fn run(pool: AnyPool, backend: Backend, mut rx: mpsc::Receiver<Box<dyn Job>>) {
    let syncer = match backend {
        Backend::Sqlite => Some(Syncer::start(&pool)),
        Backend::Postgres => None,
    };
    let mut own: Option<AnyConnection> = None;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let durable = batch.iter().any(|j| j.durable());
        // SQLite: the syncer syncs the directories, before the WAL that makes the rows durable.
        let dirs: Vec<PathBuf> = match syncer {
            Some(_) => Vec::new(),
            None => batch.iter().flat_map(|j| j.dirs().iter().cloned()).collect(),
        };
        let synced = sync_dirs(dirs).await;
        let committed = match synced {
            // SQLite: the WAL is synced by the syncer; PostgreSQL: by the commit when durable.
            Ok(()) => commit(&mut own, &pool, backend, &mut batch, syncer.is_none() && durable).await,
            Err(e) => Err(e),
        };
        let committed = committed.map_err(|e| (e.kind, e.one_line()));
        tracing::trace!(
            writes = batch.len(),
            durable,
            elapsed_us = started.elapsed().as_micros() as u64,
            "group commit"
        );
        match (&syncer, &committed) {
            (Some(syncer), Ok(())) if durable => {
                let (later, now): (Vec<_>, Vec<_>) = batch.into_iter().partition(|j| j.durable());
                for job in now {
                    job.finish(Ok(()));
                }
                syncer.sync(later);
            }
            _ => {
                for job in batch {
                    job.finish(committed.clone());
                }
            }
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
async fn commit(
    own: &mut Option<AnyConnection>,
    pool: &AnyPool,
    backend: Backend,
    batch: &mut [Box<dyn Job>],
    synced: bool,
) -> Result<()> {
    let mut conn = match own.take() {
        Some(c) => c,
        None => connection(pool, backend).await?,
    };
    let r = transaction(&mut conn, backend, batch, synced).await;
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
) -> Result<()> {
    let mut tx = match backend {
        Backend::Sqlite => sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?,
        Backend::Postgres => sqlx::Connection::begin(&mut *conn).await?,
    };
    if backend == Backend::Postgres && !synced {
        sqlx::Executor::execute(&mut *tx, "SET LOCAL synchronous_commit = off").await?;
    }
    if let [job] = batch {
        if !job.run(&mut tx).await {
            tx.rollback().await?;
            return Ok(());
        }
    } else {
        for job in batch.iter_mut() {
            // A relaxed or unguarded write fails, if at all, before it writes: it needs no
            // savepoint, which saves two statements of the writer's time.
            if !job.guarded() {
                if !job.run(&mut tx).await && !sqlx::Connection::is_in_transaction(&*tx) {
                    return Err(Error::new(Kind::Unavailable, "the database ended the transaction"));
                }
                continue;
            }
            let mut sp = sqlx::Connection::begin(&mut *tx).await?;
            if job.run(&mut sp).await {
                sp.commit().await?;
            } else {
                sp.rollback().await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// SQLite's WAL sync, beside the writer: durable writes committed (not yet synced) wait here;
/// one sync of their directories and of the WAL answers every write committed before it
/// started.
struct Syncer {
    tx: mpsc::UnboundedSender<Vec<Box<dyn Job>>>,
}

impl Syncer {
    fn start(pool: &AnyPool) -> Syncer {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(sync_loop(pool.clone(), rx));
        Syncer { tx }
    }

    fn sync(&self, jobs: Vec<Box<dyn Job>>) {
        if let Err(mpsc::error::SendError(jobs)) = self.tx.send(jobs) {
            for job in jobs {
                job.finish(Err((Kind::Unavailable, "the store's syncer has stopped".into())));
            }
        }
    }
}

async fn sync_loop(pool: AnyPool, mut rx: mpsc::UnboundedReceiver<Vec<Box<dyn Job>>>) {
    // Found at the first sync (a CLI command that never writes a mailbox never asks); a
    // lookup that failed is tried again at the next, and fails its writes meanwhile.
    let mut wal: Option<Option<PathBuf>> = None;
    while let Some(mut jobs) = rx.recv().await {
        while let Ok(more) = rx.try_recv() {
            jobs.extend(more);
        }
        if wal.is_none() {
            wal = wal_path(&pool).await.ok();
        }
        let dirs: Vec<PathBuf> = jobs.iter().flat_map(|j| j.dirs().iter().cloned()).collect();
        let synced = match (sync_dirs(dirs).await, wal.clone()) {
            (Err(e), _) => Err(e),
            (Ok(()), None) => Err(Error::new(Kind::Unavailable, "the database's WAL file could not be found")),
            (Ok(()), Some(w)) => blocking(move || sync_wal(w.as_deref())).await,
        };
        let synced = synced.map_err(|e| (e.kind, e.one_line()));
        for job in jobs {
            job.finish(synced.clone());
        }
        if let Some(w) = &wal {
            checkpoint_if_large(&pool, w.as_deref()).await;
        }
    }
}

/// Copy the WAL into the database once it has grown past [`CHECKPOINT_BYTES`]. The store's
/// SQLite connections never checkpoint on their own (`wal_autocheckpoint = 0`): a checkpoint
/// syncs what it copies, and it must not make a row durable before the syncer has synced the
/// directory its file was linked into. PASSIVE: it never waits for readers or writers.
async fn checkpoint_if_large(pool: &AnyPool, wal: Option<&std::path::Path>) {
    let Some(wal) = wal else { return };
    if std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0) < CHECKPOINT_BYTES {
        return;
    }
    if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(pool).await {
        tracing::warn!(error = %e, "checkpointing the database's WAL");
    }
}

/// The WAL size above which the syncer checkpoints.
const CHECKPOINT_BYTES: u64 = 16 << 20;

/// fsync each directory once, all at once: writes to different mailboxes are in different
/// directories, and their syncs need not wait for one another (the file system joins them).
async fn sync_dirs(mut dirs: Vec<PathBuf>) -> Result<()> {
    dirs.sort();
    dirs.dedup();
    let syncs: Vec<_> =
        dirs.into_iter().map(|d| tokio::task::spawn_blocking(move || crate::fsutil::sync_dir(&d))).collect();
    let mut first = Ok(());
    for s in syncs {
        let r = s.await.unwrap_or_else(|e| Err(Error::new(Kind::Internal, format!("background task: {e}"))));
        if first.is_ok() {
            first = r;
        }
    }
    first
}

/// The main database's WAL: its file with "-wal" appended; None for an in-memory database.
async fn wal_path(pool: &AnyPool) -> Result<Option<PathBuf>> {
    let file: Option<String> =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'").fetch_optional(pool).await?;
    Ok(file.filter(|f| !f.is_empty()).map(|f| PathBuf::from(format!("{f}-wal"))))
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

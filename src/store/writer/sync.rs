//! The group commit's syncing, on threads of its own: the batches' message files and the
//! directories they were linked into (one thread each, started before the transaction and
//! running beside it), and the syncer, which syncs SQLite's WAL once for every batch committed
//! since its last sync, waits for those batches' files and answers their durable writes.
//!
//! Why threads of their own, not tokio's blocking pool: each hand-off to the pool wakes a
//! thread and its completion wakes the task that waits for it, and the syncer was a task
//! waiting for a third. With a batch per message or two at 20 SMTP sessions (messages arrive
//! more slowly than a sync takes), those wake-ups were most of the 13-14 context switches per
//! message. A thread here wakes once per round, takes every request queued meanwhile, and
//! answers from where it is.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::{Failed, Job, Mark};
use crate::error::{Error, Kind, Result};
use crate::store::maildir::write::Unsynced;

/// What one batch's file and directory syncs report: one result from each thread it was sent to.
pub(super) struct FileSync {
    done: mpsc::Receiver<Result<()>>,
    expected: usize,
}

impl FileSync {
    /// Wait until the batch's files and directories are synced (or one failed).
    fn wait(self) -> Result<()> {
        let mut r = Ok(());
        for _ in 0..self.expected {
            let one = self.done.recv().unwrap_or_else(|_| Err(stopped("file syncer")));
            r = r.and(one);
        }
        r
    }
}

fn stopped(what: &str) -> Error {
    Error::new(Kind::Unavailable, format!("the store's {what} has stopped"))
}

type Done = mpsc::SyncSender<Result<()>>;

/// The two threads that sync message files and directories.
pub(super) struct FileSyncers {
    files: mpsc::Sender<(Vec<(std::fs::File, PathBuf)>, Done)>,
    dirs: mpsc::Sender<(Vec<PathBuf>, Done)>,
}

impl FileSyncers {
    pub(super) fn start() -> Result<FileSyncers> {
        let (files, files_rx) = mpsc::channel();
        let (dirs, dirs_rx) = mpsc::channel();
        spawn("mailctl-fsync", move || sync_files(files_rx))?;
        spawn("mailctl-dirsync", move || sync_dirs(dirs_rx))?;
        Ok(FileSyncers { files, dirs })
    }

    /// Start syncing a batch's files and directories (nothing to sync: None).
    pub(super) fn sync(&self, unsynced: Vec<Unsynced>) -> Option<FileSync> {
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        for u in unsynced {
            files.extend(u.files);
            dirs.extend(u.dirs);
        }
        if files.is_empty() && dirs.is_empty() {
            return None;
        }
        // Directories named twice are synced once by the directories thread, for its round.
        let (done, rx) = mpsc::sync_channel(2);
        // A thread that is gone (it panicked) drops its request with its sender: `wait` then sees
        // the channel end once the other thread answered, and reports the syncer stopped.
        let mut expected = 0;
        if !files.is_empty() {
            expected += 1;
            let _ = self.files.send((files, done.clone()));
        }
        if !dirs.is_empty() {
            expected += 1;
            let _ = self.dirs.send((dirs, done));
        }
        Some(FileSync { done: rx, expected })
    }
}

/// Spawn a thread of the group commit.
pub(super) fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            crate::placement::group_commit();
            f()
        })
        .map(|_| ())
        .map_err(|e| Error::new(Kind::Unavailable, format!("cannot start the store's thread {name}")).with_source(e))
}

/// The files thread: takes every batch queued, starts the writeback of all their files
/// (`sync_file_range`, so their data goes to the disk together and each sync is mostly a wait
/// for what is under way), then syncs each batch's files and answers it.
fn sync_files(rx: mpsc::Receiver<(Vec<(std::fs::File, PathBuf)>, Done)>) {
    while let Ok(first) = rx.recv() {
        let mut round = vec![first];
        round.extend(rx.try_iter());
        if round.len() > 1 || round[0].0.len() > 1 {
            for (f, _) in round.iter().flat_map(|(files, _)| files) {
                crate::fsutil::start_writeback(f);
            }
        }
        for (files, done) in round {
            let r = files.iter().try_for_each(|(f, path)| f.sync_data().map_err(|e| Error::io("syncing", path, e)));
            let _ = done.send(r);
        }
    }
}

/// The directories thread: takes every batch queued and syncs each directory once for all of
/// them (deliveries to one mailbox share its `new/`).
fn sync_dirs(rx: mpsc::Receiver<(Vec<PathBuf>, Done)>) {
    while let Ok(first) = rx.recv() {
        let mut round = vec![first];
        round.extend(rx.try_iter());
        let mut all: Vec<&Path> = round.iter().flat_map(|(dirs, _)| dirs.iter().map(PathBuf::as_path)).collect();
        all.sort();
        all.dedup();
        let synced: Vec<(&Path, Result<()>)> = all.into_iter().map(|d| (d, crate::fsutil::sync_dir(d))).collect();
        for (dirs, done) in &round {
            let r = dirs.iter().try_for_each(|d| match synced.iter().find(|(s, _)| *s == d.as_path()) {
                Some((_, Err(e))) => Err(Error::new(e.kind, e.one_line())),
                _ => Ok(()),
            });
            let _ = done.send(r);
        }
    }
}

/// A committed batch whose durable writes wait for the syncer.
pub(super) struct Pending {
    pub jobs: Vec<Box<dyn Job>>,
    /// Its files' and directories' syncs, started before its transaction.
    pub files: Option<FileSync>,
    /// Its last messages row, read in its transaction (0 when it had no files).
    pub last_row: i64,
}

/// Beside the writer: answers the durable writes of committed batches once their files are
/// synced and, on SQLite, the WAL too (one sync of the WAL answers every write committed
/// before it started); moves the `files_synced` mark as batches' files are synced, in order.
pub(super) struct Syncer {
    tx: mpsc::Sender<Pending>,
    /// Set after each of its checkpoints, for the writer ([`Syncer::checkpointed`]).
    checkpointed: Arc<AtomicBool>,
}

impl Syncer {
    /// `db`: SQLite's database file (its WAL is synced and checkpointed here); None for
    /// PostgreSQL (its commit synced) or an in-memory database.
    pub(super) fn start(db: Option<PathBuf>, mark: Arc<Mark>) -> Result<Syncer> {
        let (tx, rx) = mpsc::channel();
        let checkpointed = Arc::new(AtomicBool::new(false));
        let flag = checkpointed.clone();
        spawn("mailctl-syncer", move || sync_loop(db, mark, rx, flag))?;
        Ok(Syncer { tx, checkpointed })
    }

    /// Whether the syncer checkpointed since the last call: the writer then copies the frames
    /// it committed meanwhile (`store::writer::direct_loop`).
    pub(super) fn checkpointed(&self) -> bool {
        self.checkpointed.swap(false, Ordering::AcqRel)
    }

    pub(super) fn sync(&self, pending: Pending) {
        if let Err(mpsc::SendError(p)) = self.tx.send(pending) {
            for job in p.jobs {
                job.finish(Err(Failed::after_commit(&stopped("syncer"))));
            }
        }
    }
}

fn sync_loop(db: Option<PathBuf>, mark: Arc<Mark>, rx: mpsc::Receiver<Pending>, checkpointed: Arc<AtomicBool>) {
    let wal = db.as_ref().map(|f| PathBuf::from(format!("{}-wal", f.display())));
    let mut checkpoint = Checkpoint { db, conn: None, at: std::time::Instant::now(), wrote: false, checkpointed };
    while let Ok(first) = rx.recv() {
        let mut pending = vec![first];
        pending.extend(rx.try_iter());
        // A failed sync after the commit: the rows stay (committed, maybe not durable), the
        // callers keep their files, and the mark stops, so the next start checks those rows.
        let failed = |e: &Error| {
            mark.stuck.store(true, Ordering::Release);
            tracing::error!(
                error = %e.one_line(),
                "a sync after the commit failed: the writes are refused, their rows kept, and the next \
                 start checks them against their files"
            );
            Failed::after_commit(e)
        };
        let synced = sync_wal(wal.as_deref()).map_err(|e| failed(&e));
        for p in pending {
            let files = match p.files {
                None => Ok(()),
                Some(f) => f.wait().map_err(|e| failed(&e)),
            };
            let r = synced.clone().and(files);
            if r.is_ok() && !mark.stuck.load(Ordering::Acquire) {
                mark.synced.fetch_max(p.last_row, Ordering::AcqRel);
            }
            for job in p.jobs {
                job.finish(r.clone());
            }
        }
        checkpoint.wrote = true;
        checkpoint.if_due();
    }
}

/// The syncer's checkpoints of SQLite's WAL, on a connection of its own opened at the first.
struct Checkpoint {
    db: Option<PathBuf>,
    conn: Option<rusqlite::Connection>,
    at: std::time::Instant,
    /// Whether a round was synced since the last checkpoint (frames to copy).
    wrote: bool,
    /// [`Syncer::checkpointed`]'s flag, set after each checkpoint: the writer then checkpoints
    /// what was committed meanwhile.
    checkpointed: Arc<AtomicBool>,
}

impl Checkpoint {
    /// Copy the WAL into the database when writes were synced since the last checkpoint and
    /// that is [`CHECKPOINT_EVERY`] old. The store's SQLite connections never checkpoint on
    /// their own (`wal_autocheckpoint = 0`): the bulk of the copying happens here, off the
    /// writer's path, PASSIVE (it never waits for readers); it syncs the WAL and the database,
    /// two syncs the writes behind it wait for, hence at most one per [`CHECKPOINT_EVERY`].
    /// The writer then copies the frames it committed meanwhile (`checkpointed`), so that its next
    /// transaction writes the WAL from its start again (`store::writer::direct_loop`).
    fn if_due(&mut self) {
        let Some(db) = &self.db else { return };
        if !self.wrote || self.at.elapsed() < CHECKPOINT_EVERY {
            return;
        }
        self.at = std::time::Instant::now();
        self.wrote = false;
        if self.conn.is_none() {
            match crate::store::direct::open(db) {
                Ok(c) => self.conn = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e.one_line(), "checkpointing the database's WAL");
                    return;
                }
            }
        }
        if let Some(c) = &self.conn {
            checkpoint(c);
            self.checkpointed.store(true, Ordering::Release);
        }
    }
}

/// A PASSIVE checkpoint on this connection (it copies what no reader still needs, never
/// waiting); a failure is logged: the frames stay in the WAL for the next.
pub(super) fn checkpoint(conn: &rusqlite::Connection) {
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "checkpointing the database's WAL");
    }
}

/// The least time between two checkpoints: often enough that the WAL written between two
/// starts over stays inside the part of the file that is kept (64 MiB, `journal_size_limit`
/// in `store::SQLITE_SETTINGS`), about 40 MB at 20 SMTP sessions (6,000 messages a second of
/// 33 KB of WAL each); rare enough that the checkpoints' syncs (the WAL's and the database's,
/// which the writes behind them wait for) stay a few a second. 100, 200 and 300 ms (with 128
/// MiB kept) gave the same rate within the noise: 6,100-6,250 msg/s, medians of four runs
/// each. On a thread of its own beside the syncer, the checkpoint gained nothing (medians
/// 6,100 and 6,110 msg/s, six runs each).
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// fdatasync the WAL: every frame written before the call is then on stable storage. No WAL
/// file means the last connection checkpointed it into the database (synced) and removed it;
/// an in-memory database has nothing to sync.
fn sync_wal(wal: Option<&Path>) -> Result<()> {
    let Some(wal) = wal else { return Ok(()) };
    match std::fs::File::open(wal) {
        Ok(f) => f.sync_data().map_err(|e| Error::io("syncing", wal, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("opening", wal, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database in WAL mode with a table, and the writer's and the syncer's connections.
    fn database(dir: &Path) -> (rusqlite::Connection, rusqlite::Connection, PathBuf) {
        let db = dir.join("t.db");
        let create = rusqlite::Connection::open(&db).unwrap();
        create.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())).unwrap();
        create.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)").unwrap();
        (crate::store::direct::open(&db).unwrap(), crate::store::direct::open(&db).unwrap(), db)
    }

    fn commit_rows(c: &rusqlite::Connection, n: usize) {
        for _ in 0..n {
            c.execute("INSERT INTO t (v) VALUES (zeroblob(3000))", []).unwrap();
        }
    }

    /// Frames in the WAL (asked last: the asking checkpoints too).
    fn wal_frames(db: &Path) -> i64 {
        let c = crate::store::direct::open(db).unwrap();
        c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1)).unwrap()
    }

    /// The syncer's checkpoint while the writer commits: a reader's snapshot stands in for
    /// the frames committed during the copy, which it cannot take.
    fn checkpoint_during_commits(writer: &rusqlite::Connection, syncer: &rusqlite::Connection, db: &Path) {
        commit_rows(writer, 50);
        let reader = crate::store::direct::open(db).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let _: i64 = reader.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        commit_rows(writer, 50);
        checkpoint(syncer);
        reader.execute_batch("COMMIT").unwrap();
    }

    #[test]
    fn the_writers_own_checkpoint_after_the_syncers_lets_its_next_commit_write_the_wal_from_its_start() {
        // The syncer's checkpoint alone: it never copied all, so the WAL only grows.
        let d = tempfile::tempdir().unwrap();
        let (writer, syncer, db) = database(d.path());
        checkpoint_during_commits(&writer, &syncer, &db);
        commit_rows(&writer, 1);
        let frames = wal_frames(&db);
        assert!(frames >= 100, "{frames} frames");

        // The writer copies what is left before its next transaction, which starts the WAL over.
        let d = tempfile::tempdir().unwrap();
        let (writer, syncer, db) = database(d.path());
        checkpoint_during_commits(&writer, &syncer, &db);
        checkpoint(&writer);
        commit_rows(&writer, 1);
        let frames = wal_frames(&db);
        assert!(frames <= 4, "the WAL was not started over: {frames} frames");
    }

    #[test]
    fn the_syncer_checkpoints_only_when_writes_were_synced_and_at_most_every_200_ms() {
        let d = tempfile::tempdir().unwrap();
        let (writer, _, db) = database(d.path());
        commit_rows(&writer, 3);
        let flag = Arc::new(AtomicBool::new(false));
        let long_ago = std::time::Instant::now().checked_sub(CHECKPOINT_EVERY).unwrap();
        let mut c = Checkpoint { db: Some(db), conn: None, at: long_ago, wrote: false, checkpointed: flag.clone() };
        let checkpointed = |c: &mut Checkpoint| {
            c.if_due();
            flag.swap(false, Ordering::AcqRel)
        };

        assert!(!checkpointed(&mut c), "nothing synced since the last: no checkpoint");
        c.wrote = true;
        assert!(checkpointed(&mut c), "writes synced and the last checkpoint old enough");
        assert!(!c.wrote);
        c.wrote = true;
        assert!(!checkpointed(&mut c), "a second checkpoint within CHECKPOINT_EVERY");
    }

    #[test]
    fn a_message_file_that_cannot_be_synced_is_named_in_the_error() {
        // fdatasync refuses a character device (EINVAL): a sync that fails, without a broken disk.
        let null = std::fs::OpenOptions::new().write(true).open("/dev/null").unwrap();
        let path = PathBuf::from("/var/mail/example.com/bench/new/1733.M1P2.host,S=5");
        let syncers = FileSyncers::start().unwrap();
        let pending = syncers.sync(vec![Unsynced { files: vec![(null, path)], dirs: Vec::new() }]).unwrap();
        let e = pending.wait().unwrap_err();
        assert!(
            e.one_line().contains("syncing /var/mail/example.com/bench/new/1733.M1P2.host,S=5"),
            "{}",
            e.one_line()
        );
    }
}

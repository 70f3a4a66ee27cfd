//! Direct SQLite connections (rusqlite), beside sqlx's pool: the group commit's own connection
//! and a few read connections for the reads that return many rows (FETCH's rows). Why they
//! exist is in `store::conn`: sqlx hands every SQLite statement and every row to a thread of
//! its own and back, and turns each row into a self-describing `AnyRow`; a read here crosses to
//! a blocking thread once and decodes its rows in place.
//!
//! A query runs through [`Conn::Sqlite`], whose futures complete at their first poll (every
//! call is synchronous underneath); [`poll_once`] runs them.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::conn::Conn;
use crate::error::{Error, Kind, Result};

/// Process-wide SQLite settings, made once before the first connection: no memory statistics
/// (SQLite would otherwise take one global mutex around every allocation of every connection,
/// which threads reading and writing at the same time contend for). Later calls, and a call
/// after SQLite started, change nothing.
pub fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config before sqlite3_initialize, from one thread (the Once); after
        // initialisation it only returns SQLITE_MISUSE.
        unsafe {
            rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int);
        }
    });
}

/// Open the database file with the store's settings (`SQLITE_SETTINGS`) and
/// `synchronous = NORMAL`: the writer commits on such a connection and its syncer syncs the
/// WAL (the syncer checkpoints on one too); the readers only read.
pub fn open(path: &Path) -> Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    for setting in super::SQLITE_SETTINGS.iter().chain(&["PRAGMA synchronous = NORMAL"]) {
        conn.execute_batch(setting)?;
    }
    Ok(conn)
}

/// Run a future that must not wait: a store query on a direct connection. One that waits on
/// anything else is an error (nothing would wake it).
pub fn poll_once<T>(fut: impl Future<Output = T>) -> Result<T> {
    let mut fut = std::pin::pin!(fut);
    match fut.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(v) => Ok(v),
        std::task::Poll::Pending => {
            Err(Error::new(Kind::Internal, "a query on a direct connection waited on something else"))
        }
    }
}

/// Read-only connections to one database file, opened when needed and kept for reuse.
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

/// Idle read connections kept open.
const IDLE: usize = 8;
/// Page cache of a read connection, in KiB (SQLite's default is 2 MiB): a FETCH of a large
/// mailbox's index reads its rows again from this instead of through the file (valid until the
/// next write to the database). It is only filled as far as reads use it.
const READER_CACHE_KIB: u32 = 16 * 1024;

impl Readers {
    pub fn new(path: PathBuf) -> Readers {
        Readers { path, idle: Mutex::new(Vec::new()) }
    }

    /// Run `read` on a read connection; call from a blocking thread.
    pub fn run<T>(
        &self,
        read: impl for<'c> FnOnce(&'c mut Conn<'c>) -> super::writer::BoxFuture<'c, Result<T>>,
    ) -> Result<T> {
        let idle = self.idle.lock().map(|mut v| v.pop()).unwrap_or(None);
        let mut conn = match idle {
            Some(c) => c,
            None => {
                let c = open(&self.path)?;
                c.execute_batch(&format!("PRAGMA query_only = 1; PRAGMA cache_size = -{READER_CACHE_KIB}"))?;
                c
            }
        };
        // One read transaction for all of `read`'s statements: they see one snapshot, and take
        // SQLite's WAL read lock once (each statement on its own took and released it: three
        // lock and unlock pairs of fcntl calls at SMTP's RCPT, and its pages read again when a
        // commit came in between).
        conn.execute_batch("BEGIN")?;
        let r = {
            let mut c = Conn::Sqlite(&mut conn);
            poll_once(read(&mut c))
        };
        if conn.execute_batch("COMMIT").is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        // A connection left inside a transaction (a read cut short) is not reused.
        if conn.is_autocommit()
            && let Ok(mut v) = self.idle.lock()
            && v.len() < IDLE
        {
            v.push(conn);
        }
        r?
    }
}

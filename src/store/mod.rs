//! The store: the SQL database (SQLite by default, PostgreSQL for larger sites) and the
//! data directory beside it. Both backends are driven through sqlx's `Any` driver with
//! `$N` placeholders, which SQLite and PostgreSQL both accept, so each query is written once;
//! the schema has one migration set per backend (`migrations/sqlite`, `migrations/postgres`).

pub mod accounts;
pub mod aliases;
pub mod api_tokens;
pub mod audit;
pub mod conn;
pub mod direct;
pub mod dkim;
pub mod dns;
pub mod domains;
pub mod files_synced;
pub mod filter_rules;
pub mod fts;
pub mod greylist;
pub mod idempotency;
pub mod identities;
pub mod mailboxes;
pub mod maildir;
pub mod messages;
pub mod models;
pub mod mta_sts;
pub mod queue;
pub mod retired;
pub mod snapshot;
pub mod spool;
pub mod tls_results;
pub mod transports;
pub mod trusted_senders;
pub mod vacations;
pub mod verdicts;
pub mod webmail_sessions;
pub mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

use crate::config::{Config, redact_url};
use crate::error::{Error, Kind, Result};
use crate::names::Address;

pub use models::*;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(Error::config(format!("unsupported database URL {}", redact_url(url)))
                .with_hint("use sqlite:///path/to/file.db or postgres://user@host/db"))
        }
    }
    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The database and the data directory, opened together.
#[derive(Clone)]
pub struct Store {
    pub pool: AnyPool,
    pub backend: Backend,
    /// The URL it was opened with (with its password, if any: never print it, see
    /// [`redact_url`]).
    pub url: String,
    pub data_dir: PathBuf,
    /// Mailboxes whose index changed in this process (new, flagged or expunged messages), as
    /// (mailbox id, the change's modseq or 0 when not known): IMAP sessions selected on them
    /// wake up and report the change; a session skips a change whose modseq is its own STORE.
    pub changes: tokio::sync::broadcast::Sender<(i64, i64)>,
    /// The group commit that every mailbox write goes through (`writer.rs`).
    pub writer: writer::Writer,
    /// SQLite: direct read connections for the reads that return many rows (`direct.rs`).
    readers: Option<std::sync::Arc<direct::Readers>>,
}

/// A read of at most this many rows runs on the caller's thread ([`Store::read`]); a longer
/// one on a blocking thread, so it never holds up the other sessions on the caller's thread.
/// 128 covers a page of the admin API's default 100 (about 60 µs from the page cache): at 64
/// that page went to a blocking thread and back, and the hand-off cost a tenth of its
/// throughput (4,500 -> 5,100-5,500 requests/s, bench/api.sh).
pub const FEW_ROWS: usize = 128;

/// The newest schema version this build knows.
pub fn latest_schema(backend: Backend) -> i64 {
    backend.migrator().iter().map(|m| m.version).max().unwrap_or(0)
}

/// What every SQLite connection of the store sets, sqlx's and the direct ones (`direct.rs`):
/// foreign keys; a busy timeout; no automatic checkpoints (the writer's syncer checkpoints,
/// `store/writer.rs`; the last connection to close checkpoints what is left); and a WAL cut
/// back to 64 MiB (`journal_size_limit`) when it is started over after a checkpoint. Up to
/// that size the WAL file is kept and written again from its start, over blocks it already
/// has: a sync of the WAL then writes its frames and nothing else, no new blocks to allocate
/// and no inode (its size) to write. The writer's syncer (`store/writer/sync.rs`) checkpoints
/// often enough, every 200 ms while writes come, that a busy server's WAL stays inside it: at
/// 20 SMTP sessions, about 40 MB between two starts over. With 4 MiB and a checkpoint a
/// second, every start over cut the file back and the next second of writes grew it again, to
/// 50-170 MB, each sync extending the file: 5,434 msg/s against 6,193 (medians of five
/// interleaved runs of 8,000 messages).
/// No memory-mapped reads (`mmap_size`): a read transaction that follows any write unmaps
/// the whole database and faults it back in (SQLite's `unixUnfetch`), about 360 times a
/// second under the mixed IMAP benchmark, each unmap a TLB shoot-down on every CPU; reads by
/// `pread` from the page cache were as fast on a still mailbox and faster under writes.
pub(crate) const SQLITE_SETTINGS: &[&str] = &[
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA wal_autocheckpoint = 0",
    "PRAGMA journal_size_limit = 67108864",
];

/// SQLite's database file; None for an in-memory database.
async fn main_file(pool: &AnyPool) -> Result<Option<PathBuf>> {
    let file: Option<String> =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'").fetch_optional(pool).await?;
    Ok(file.filter(|f| !f.is_empty()).map(PathBuf::from))
}

/// Does the store have a table of this name (in PostgreSQL's current schema)?
pub(crate) async fn has_table(conn: &mut sqlx::AnyConnection, backend: Backend, name: &str) -> Result<bool> {
    let sql = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let n: i64 = sqlx::query_scalar(sql).bind(name).fetch_one(&mut *conn).await?;
    Ok(n > 0)
}

/// The advisory lock that serialises admin changes on PostgreSQL ("mailctl" in ASCII).
const ADMIN_LOCK_KEY: i64 = 0x006d_6169_6c63_746c;

/// The first key of the per-account advisory locks on PostgreSQL ("mbox" in ASCII).
const ACCOUNT_LOCK_NAMESPACE: i32 = 0x6d62_6f78;

/// Run file-system or CPU-heavy work off the async threads. A panic in it is an internal
/// error, not a crash of the server.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::new(Kind::Internal, format!("background task: {e}")))?
}

/// Run file work on this thread when it is `small`, else on a blocking thread. Creating,
/// writing, linking, renaming or unlinking a few small files in the page cache (their syncs
/// are the group commit's) costs less than the hand-off to a blocking thread and back, which
/// wakes two threads; large or many files would hold a runtime thread too long.
pub async fn here_or_blocking<T: Send + 'static>(
    small: bool,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    if small { f() } else { blocking(f).await }
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl Store {
    /// Run a read of the store. On SQLite it runs on a direct read connection (rows decoded in
    /// place): on the calling thread when it reads at most [`FEW_ROWS`] rows (`rows`, the most
    /// it is expected to return: a handful of index lookups take some microseconds from the page
    /// cache, less than a hand-off to a blocking thread and back, which also wakes two
    /// threads), else on a blocking thread, once; its statements run in one read transaction
    /// (one snapshot). On PostgreSQL on a connection of the pool, each statement on its own.
    /// `read` should only query the store.
    pub async fn read<T, F>(&self, rows: usize, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut conn::Conn<'c>) -> writer::BoxFuture<'c, Result<T>> + Send + 'static,
    {
        match &self.readers {
            Some(r) if rows <= FEW_ROWS => r.run(read),
            Some(r) => {
                let r = r.clone();
                blocking(move || r.run(read)).await
            }
            None => self.read_pooled(read).await,
        }
    }

    async fn read_pooled<T, F>(&self, read: F) -> Result<T>
    where
        F: for<'c> FnOnce(&'c mut conn::Conn<'c>) -> writer::BoxFuture<'c, Result<T>>,
    {
        let mut c = self.pool.acquire().await?;
        let mut c = conn::Conn::Any(&mut c);
        read(&mut c).await
    }

    /// Open the store named by the config: check the data directory, connect, migrate.
    pub async fn open(cfg: &Config) -> Result<Store> {
        Self::open_with(cfg, 4).await
    }

    /// As `open`, with a pool of `max_connections` (the server wants more than a command).
    pub async fn open_with(cfg: &Config, max_connections: u32) -> Result<Store> {
        if !cfg.data_dir.is_dir() {
            if cfg.is_dev_instance() {
                crate::fsutil::create_private_dir(&cfg.data_dir)?;
            } else {
                return Err(Error::config(format!("data directory {} does not exist", cfg.data_dir.display()))
                    .with_hint("run `mailctl init` or fix data_dir in the config"));
            }
        }
        Self::connect(&cfg.database, &cfg.data_dir, max_connections).await
    }

    /// Connect to `url` and bring the schema up to date, refusing a newer schema.
    pub async fn connect(url: &str, data_dir: &Path, max_connections: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        direct::configure_sqlite();
        let backend = Backend::from_url(url)?;
        let opts: AnyConnectOptions = url.parse().map_err(|e: sqlx::Error| {
            Error::config(format!("invalid database URL {}", redact_url(url))).with_source(e)
        })?;
        // One direct connection first: its error names the real cause (refused, auth, no such
        // database) where the pool would only report a timeout.
        let probe = tokio::time::timeout(Duration::from_secs(10), sqlx::ConnectOptions::connect(&opts)).await;
        match probe {
            Ok(Ok(conn)) => {
                let _ = sqlx::Connection::close(conn).await;
            }
            Ok(Err(e)) => {
                let kind = match &e {
                    sqlx::Error::Configuration(_) => Kind::Config,
                    _ => Kind::Unavailable,
                };
                return Err(Error::new(kind, format!("cannot open the database {}", redact_url(url))).with_source(e));
            }
            Err(_) => {
                return Err(Error::new(
                    Kind::Unavailable,
                    format!("cannot open the database {}: timed out", redact_url(url)),
                ));
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL for concurrent readers; FULL sync so a commit survives power loss.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        for setting in SQLITE_SETTINGS {
                            conn.execute(*setting).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(|e| {
                let kind = match &e {
                    sqlx::Error::Configuration(_) => Kind::Config,
                    _ => Kind::Unavailable,
                };
                Error::new(kind, format!("cannot open the database {}", redact_url(url))).with_source(e)
            })?;
        let (changes, _) = tokio::sync::broadcast::channel(1024);
        let file = match backend {
            Backend::Sqlite => main_file(&pool).await?,
            Backend::Postgres => None,
        };
        let writer = writer::Writer::start(pool.clone(), backend, file.clone())?;
        let readers = file.map(|f| std::sync::Arc::new(direct::Readers::new(f)));
        let store =
            Store { pool, backend, url: url.to_string(), data_dir: data_dir.to_path_buf(), changes, writer, readers };
        store.migrate().await?;
        Ok(store)
    }

    /// The highest applied schema version, or None on an empty database.
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        let mut conn = self.pool.acquire().await?;
        if !has_table(&mut conn, self.backend, "_sqlx_migrations").await? {
            return Ok(None);
        }
        Ok(sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(&mut *conn).await?)
    }

    async fn migrate(&self) -> Result<()> {
        let latest = latest_schema(self.backend);
        if let Some(v) = self.schema_version().await?
            && v > latest
        {
            return Err(Error::new(
                Kind::Unavailable,
                format!("the database schema (version {v}) is newer than this mailctl supports (version {latest})"),
            )
            .with_hint("upgrade mailctl; this build will not touch a newer database"));
        }
        self.backend
            .migrator()
            .run(&self.pool)
            .await
            .map_err(|e| Error::new(Kind::Unavailable, "applying database migrations").with_source(e))
    }

    /// `<data>/mail/<domain>/<local>`
    pub fn maildir_path(&self, addr: &Address) -> PathBuf {
        self.mail_root().join(&addr.domain).join(&addr.local)
    }

    /// Tell IMAP sessions that a mailbox's index changed (after the commit).
    pub fn changed(&self, mailbox_id: i64) {
        let _ = self.changes.send((mailbox_id, 0));
    }

    /// [`Store::changed`] for a change made under one modseq (a flag change).
    pub fn changed_at(&self, mailbox_id: i64, modseq: i64) {
        let _ = self.changes.send((mailbox_id, modseq));
    }

    pub fn mail_root(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(self.pool.begin().await?)
    }

    /// A read-only transaction whose reads all see one state of the store, while writers go on:
    /// SQLite (WAL) fixes its snapshot at the first read; PostgreSQL runs REPEATABLE READ.
    pub async fn begin_snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    /// A transaction that reads and then writes (delivery). On SQLite it takes the write lock
    /// at BEGIN: a deferred transaction that reads first cannot wait for the lock when it
    /// later writes (SQLITE_BUSY at once, whatever the busy timeout).
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => Ok(self.pool.begin().await?),
        }
    }

    /// A write transaction that holds one account: changes to its mailbox tree (DELETE, and
    /// a login's sync of folders found on disk) run one at a time. SQLite takes the write
    /// lock at BEGIN; PostgreSQL a transaction-scoped advisory lock on the account (not a row
    /// lock, which inserts that reference the account would wait on: a deadlock).
    pub async fn begin_account(&self, account_id: i64) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            // Two int4 keys: a namespace, and the id folded into 32 bits (two accounts that
            // share a key only wait for each other).
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1, $2)) AS l")
                .bind(ACCOUNT_LOCK_NAMESPACE)
                .bind((account_id % i32::MAX as i64) as i32)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// A transaction for admin changes that check and then write (no alias loops, no account
    /// and alias at one address): such transactions run one at a time. SQLite takes the write
    /// lock at BEGIN; PostgreSQL takes a transaction-scoped advisory lock.
    pub async fn begin_admin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS l")
                    .bind(ADMIN_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Has `store migrate` retired this store, and to where?
    pub async fn moved_to(&self) -> Result<Option<retired::Moved>> {
        let mut conn = self.pool.acquire().await?;
        retired::moved_to(&mut conn, self.backend).await
    }

    /// The id of the `store migrate` that filled this store, if one did.
    pub async fn moved_in(&self) -> Result<Option<String>> {
        let mut conn = self.pool.acquire().await?;
        retired::moved_in(&mut conn, self.backend).await
    }
}

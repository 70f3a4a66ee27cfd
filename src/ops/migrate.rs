//! `mailctl store migrate --to URL`: the whole store copied into a new, empty database of
//! either backend, checked table by table (row counts and a SHA-256 of every row, read back
//! from the new database), and only then named in the config's `database`.
//!
//! With `serve` stopped, the data directory's lock is held throughout so it cannot start
//! half-way. With `serve` running, mail goes on during the bulk copy (one snapshot); then the
//! old store's write lock is taken, so writers wait (an SMTP delivery that waits too long
//! gets 451 and is retried by its sender), what changed since the snapshot is copied (rows
//! compared by key and content), the copy is checked, and the old store is retired in the
//! same transaction (`store::retired`: every later write to it fails instead of being lost).
//! Then the config names the new store and `serve` gets SIGHUP: it switches only to the store
//! the old one says it moved to, and records the switch in `serve.store`, which this command
//! waits for. The pause reported is from asking for the lock to the switch. Under the lock
//! only the old store is read in full: what the new one holds is known from the bulk copy
//! (each row's key and content hash, checked by reading the whole copy back before the lock),
//! and the rows the catch-up writes are read back one by one.
//!
//! Until the retirement commits nothing of the old store changed, so a failure before it
//! leaves the old store in use (and the new database emptied again); a failure to write the
//! config after it undoes the retirement. A migration killed between the two is finished by
//! running the same command again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::backup::hex;
use crate::config::redact_url;
use crate::error::{Context, Error, Kind, Result};
use crate::store::snapshot::{self, Snapshot, TABLES};
use crate::store::{Backend, Store};

/// One table as copied and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCopied {
    pub name: String,
    pub rows: u64,
    /// SHA-256 over the sorted SHA-256s of the rows (values in column-name order, booleans as
    /// integers), equal on both sides whatever order they were read in.
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct Migrated {
    pub from: String,
    pub to: String,
    pub config: PathBuf,
    pub tables: Vec<TableCopied>,
    pub rows: u64,
    pub duration_ms: u64,
    /// `serve` was running and switched to the new store.
    pub online: bool,
    /// How long writes were held: from taking the old store's write lock to the switch.
    pub pause_ms: u64,
    /// Rows written, rewritten or deleted while writes were held (what changed during the
    /// bulk copy).
    pub caught_up: u64,
    /// A migration that a kill interrupted after the retirement was finished.
    pub resumed: bool,
}

/// What the copy came to.
struct Outcome {
    tables: Vec<TableCopied>,
    /// When writes were first held; None when an interrupted migration was finished.
    held_since: Option<Instant>,
    caught_up: u64,
}

/// How long `serve` gets to switch after SIGHUP.
const SWITCH_WAIT: Duration = Duration::from_secs(30);

/// The columns of a row in name order, the same for both backends.
struct Shape {
    order: Vec<usize>,
    keys: Vec<usize>,
}

impl Shape {
    fn of(table: &str, columns: &[String]) -> Result<Shape> {
        let mut order: Vec<usize> = (0..columns.len()).collect();
        order.sort_by(|&a, &b| columns[a].cmp(&columns[b]));
        let keys = snapshot::key_of(table)
            .split(", ")
            .map(|k| columns.iter().position(|c| c == k))
            .collect::<Option<_>>()
            .ok_or_else(|| Error::invalid(format!("table {table} lacks a column of its key")))?;
        Ok(Shape { order, keys })
    }

    /// A row's SHA-256: its values in column-name order, booleans as integers (PostgreSQL has
    /// them, SQLite stores 0 and 1).
    fn hash(&self, row: &[Value]) -> [u8; 32] {
        let values: Vec<Value> = self.order.iter().map(|&i| neutral(&row[i])).collect();
        Sha256::digest(serde_json::to_vec(&values).unwrap_or_default()).into()
    }

    /// The row's key, as text to compare by.
    fn key(&self, row: &[Value]) -> String {
        serde_json::to_string(&self.key_values(row)).unwrap_or_default()
    }

    fn key_values(&self, row: &[Value]) -> Vec<Value> {
        self.keys.iter().map(|&i| neutral(&row[i])).collect()
    }
}

fn neutral(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::from(i64::from(*b)),
        v => v.clone(),
    }
}

/// A table's rows folded into a digest that does not depend on the backend: the rows'
/// SHA-256s sorted before they are hashed together, so the order the backends return rows in
/// (PostgreSQL sorts text by its collation, SQLite byte by byte) does not matter.
fn fold(table: &str, mut rows: Vec<[u8; 32]>) -> TableCopied {
    rows.sort_unstable();
    let mut sha = Sha256::new();
    rows.iter().for_each(|r| sha.update(r));
    TableCopied { name: table.to_string(), rows: rows.len() as u64, sha256: hex(&sha.finalize()) }
}

/// Every table of a store, counted and digested, in one snapshot.
async fn digests(store: &Store) -> Result<Vec<TableCopied>> {
    let mut snap = Snapshot::begin(store).await?;
    let mut out = Vec::new();
    for (table, _) in TABLES {
        let mut rows = snap.rows(table);
        let mut hashes = Vec::new();
        while let Some(chunk) = rows.next_chunk().await? {
            let shape = Shape::of(table, &rows.columns)?;
            hashes.extend(chunk.iter().map(|r| shape.hash(r)));
        }
        out.push(fold(table, hashes));
    }
    Ok(out)
}

pub async fn migrate(store: &Store, config_file: &Path, to: &str) -> Result<Migrated> {
    let started = Instant::now();
    let from = redact_url(&store.url);
    let dir = &store.data_dir;
    // A bad --to is a usage error, not one of the config.
    let backend = Backend::from_url(to).map_err(|e| Error { kind: Kind::Usage, ..e })?;
    let to_shown = redact_url(to);
    if to == store.url {
        // Killed after the config switch, before serve heard of it: tell it now.
        if let Some(serving) = crate::running::recorded_store(dir)
            && serving != to_shown
        {
            wait_for_switch(dir, &to_shown).await?;
            return Ok(Migrated {
                from: serving,
                to: to_shown,
                config: config_file.to_path_buf(),
                tables: Vec::new(),
                rows: 0,
                duration_ms: started.elapsed().as_millis() as u64,
                online: true,
                pause_ms: 0,
                caught_up: 0,
                resumed: true,
            });
        }
        return Err(Error::usage(format!("{to_shown} is the store in use already")));
    }
    if backend == Backend::Sqlite && !sqlite_path_is_absolute(to) {
        return Err(Error::usage(format!("{to_shown}: give the new SQLite database an absolute path"))
            .with_hint("sqlite:///var/lib/mailctl/new.db?mode=rwc (every process must find the same file)"));
    }
    let Some(_migrating) = crate::fsutil::try_lock(&dir.join("store-migrate.lock"))? else {
        return Err(Error::new(Kind::TempFail, format!("another store migrate is running on {}", dir.display())));
    };
    // With serve stopped, its lock keeps it from starting on the old store half-way.
    let serve_lock = match crate::running::lock(dir) {
        Ok(f) => Some(f),
        Err(e) if e.kind == Kind::TempFail && crate::running::running_pid(dir).is_some() => None,
        Err(e) if e.kind == Kind::TempFail => {
            return Err(Error::new(Kind::TempFail, format!("the data directory {} is locked", dir.display()))
                .with_hint("another mailctl holds it (mailbox verify --fix?); try again when it is done"));
        }
        Err(e) => return Err(e),
    };
    let online = serve_lock.is_none();
    if online && crate::running::recorded_store(dir).as_deref() != Some(from.as_str()) {
        // An older serve (it records nothing and cannot switch), or one on another store.
        return Err(Error::new(
            Kind::TempFail,
            format!("the running serve does not say it uses {from}, so it could not switch stores"),
        )
        .with_hint("restart serve with this mailctl and this config, then migrate"));
    }
    let failed = |e: Error| stays_in_use(&from, e);
    let target = Store::connect(to, dir, 2).await.map_err(failed)?;
    let copied = match store.moved_to().await {
        Ok(Some(m)) if m.to == to_shown => resume(store, &target, &m).await,
        Ok(Some(m)) => Err(Error::new(Kind::Unavailable, format!("{from} was moved to {} already", m.to))
            .with_hint("the config should name that store")),
        Ok(None) => fresh(store, &target, backend, &to_shown).await,
        Err(e) => Err(e),
    };
    let out = match copied {
        Ok(x) => x,
        Err(e) => {
            target.close().await;
            return Err(e);
        }
    };
    let resumed = out.held_since.is_none();

    // Only now does the config name the new store.
    if let Err(e) = switch_config(config_file, to) {
        if resumed {
            target.close().await;
            return Err(e);
        }
        crate::store::retired::unretire(&store.pool, store.backend).await.map_err(|u| {
            Error::new(
                Kind::Unavailable,
                format!(
                    "{from} was retired, but the config could not be switched ({e}) nor the retirement undone ({u})"
                ),
            )
            .with_hint("fix what kept the config from being written, and run the same command again to finish")
        })?;
        let _ = clear(&target).await;
        target.close().await;
        return Err(failed(e));
    }
    target.close().await;
    if online {
        wait_for_switch(dir, &to_shown).await?;
    }
    drop(serve_lock);
    Ok(Migrated {
        from,
        to: to_shown,
        config: config_file.to_path_buf(),
        rows: out.tables.iter().map(|t| t.rows).sum(),
        tables: out.tables,
        duration_ms: started.elapsed().as_millis() as u64,
        online,
        pause_ms: out.held_since.map_or(0, |t| t.elapsed().as_millis() as u64),
        caught_up: out.caught_up,
        resumed,
    })
}

/// `sqlite:///abs/path` (or `sqlite:/abs/path`), not a relative path or `:memory:`: the
/// server opens the URL too, from its own working directory.
fn sqlite_path_is_absolute(url: &str) -> bool {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    rest.starts_with('/')
}

/// A migration killed after the retirement: the new store must be the copy that migration
/// made (its id) and equal the frozen old store, table by table.
async fn resume(store: &Store, target: &Store, moved: &crate::store::retired::Moved) -> Result<Outcome> {
    if target.moved_in().await?.as_deref() != Some(moved.id.as_str()) {
        return Err(Error::new(Kind::Invalid, format!("{} is not the copy the interrupted migration made", moved.to))
            .with_hint("the old store is retired (see docs/BACKUP.md to use it again)"));
    }
    let (ours, theirs) = (digests(store).await?, digests(target).await?);
    if let Some((a, b)) = ours.iter().zip(&theirs).find(|(a, b)| a != b) {
        return Err(Error::new(
            Kind::Invalid,
            format!("table {} of {} differs from the old store ({} rows, {} there)", a.name, moved.to, a.rows, b.rows),
        ));
    }
    Ok(Outcome { tables: ours, held_since: None, caught_up: 0 })
}

fn switch_config(config_file: &Path, to: &str) -> Result<()> {
    let text = std::fs::read_to_string(config_file).map_err(|e| Error::io("reading", config_file, e))?;
    let edited = crate::config::edit(&text, "database", to)?;
    crate::fsutil::write_atomic(config_file, edited.as_bytes(), 0o600)
}

/// SIGHUP to the running server, then wait until it records the new store (or stops: it
/// starts on the new one).
async fn wait_for_switch(dir: &Path, to_shown: &str) -> Result<()> {
    let Some(pid) = crate::running::reload_server(dir) else { return Ok(()) };
    let deadline = Instant::now() + SWITCH_WAIT;
    while Instant::now() < deadline {
        if crate::running::running_pid(dir).is_none()
            || crate::running::recorded_store(dir).as_deref() == Some(to_shown)
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(Error::new(
        Kind::TempFail,
        format!(
            "the store moved to {to_shown} and the config names it, but serve (pid {pid}) did not switch within {} s: \
             mail is deferred (4xx) until it does",
            SWITCH_WAIT.as_secs()
        ),
    )
    .with_hint("see serve's log for why, then send it SIGHUP or restart it"))
}

/// What the new store holds, table by table (parallel to [`TABLES`]): each row's key and the
/// SHA-256 of its content. Kept from the bulk copy, so the catch-up under the lock reads only
/// the old store.
type Held = Vec<HashMap<String, [u8; 32]>>;

fn digest_of(table: &str, rows: &HashMap<String, [u8; 32]>) -> TableCopied {
    fold(table, rows.values().copied().collect())
}

/// A migration that failed with the old store untouched.
fn stays_in_use(from: &str, e: Error) -> Error {
    let mut out = Error::new(e.kind, format!("the migration failed and {from} stays in use: {}", e.one_line()));
    out.hint = e.hint;
    out
}

/// Into an empty target: the bulk copy of one snapshot while writers go on, checked by
/// reading the whole copy back; then, with writes held, the catch-up (only the old store
/// read in full; what changed written, and read back row by row), and the old store's
/// retirement. A failure before the retirement empties the target again; one after it (a
/// commit whose answer was lost) leaves it for the next run to finish.
async fn fresh(store: &Store, target: &Store, backend: Backend, to_shown: &str) -> Result<Outcome> {
    let from = redact_url(&store.url);
    if !snapshot::is_empty(target).await? {
        let e = Error::new(Kind::Exists, "the new database is not empty: migrate into an empty one");
        return Err(stays_in_use(&from, e));
    }
    let id = crate::backup::hex(&rand::random::<[u8; 16]>());
    let copied = async {
        let held = bulk_copy(store, target, backend, &id).await?;
        hold_and_retire(store, target, backend, held, to_shown, &id).await
    };
    match copied.await {
        Ok(out) => Ok(out),
        Err(e) if matches!(store.moved_to().await, Ok(Some(ref m)) if m.id == id) => {
            Err(Error::new(e.kind, format!("{from} was retired, but the migration did not finish: {e}"))
                .with_hint("run the same command again to finish it"))
        }
        Err(e) => match clear(target).await {
            Ok(()) => Err(stays_in_use(&from, e)),
            Err(c) => Err(stays_in_use(&from, e).with_hint(format!(
                "the new database keeps a partial copy ({}): empty it before trying again",
                c.one_line()
            ))),
        },
    }
}

/// The bulk copy, read back and checked; what the target then holds.
async fn bulk_copy(store: &Store, target: &Store, backend: Backend, id: &str) -> Result<Held> {
    let mut snap = Snapshot::begin(store).await?;
    let theirs = target.schema_version().await?.unwrap_or(0);
    if snap.version != theirs {
        return Err(Error::new(
            Kind::Internal,
            format!("the schemas differ (old store {}, new {theirs})", snap.version),
        ));
    }
    let mut held: Held = Vec::new();
    let mut tx = target.pool.begin().await?;
    for (table, _) in TABLES {
        let mut rows = snap.rows(table);
        let mut map = HashMap::new();
        while let Some(chunk) = rows.next_chunk().await? {
            let shape = Shape::of(table, &rows.columns)?;
            map.extend(chunk.iter().map(|r| (shape.key(r), shape.hash(r))));
            snapshot::insert(&mut tx, table, &rows.columns, &chunk).await?;
        }
        held.push(map);
    }
    drop(snap);
    snapshot::continue_sequences(&mut tx, backend).await?;
    crate::store::retired::mark_moved_in(&mut tx, id, &redact_url(&store.url)).await?;
    tx.commit().await?;
    let read_back = digests(target).await?;
    for ((table, _), (map, b)) in TABLES.iter().zip(held.iter().zip(&read_back)) {
        let a = digest_of(table, map);
        if a != *b {
            return Err(Error::new(
                Kind::Invalid,
                format!("table {table} differs after the copy ({} rows copied, {} read back)", a.rows, b.rows),
            ));
        }
    }
    Ok(held)
}

/// With the old store's writes held: the catch-up, then the retirement. Returns the tables
/// as checked, when writes were first held, and how many rows the catch-up changed.
async fn hold_and_retire(
    store: &Store,
    target: &Store,
    backend: Backend,
    mut held: Held,
    to_shown: &str,
    id: &str,
) -> Result<Outcome> {
    // A first pass without the lock takes what arrived during the bulk copy, so the pass
    // under it has only what arrives during this one.
    let mut snap = Snapshot::begin(store).await?;
    let mut tx = target.pool.begin().await?;
    catch_up(&mut snap, &mut tx, &mut held).await?;
    tx.commit().await?;
    drop(snap);
    // Writers wait from the moment the lock is asked for.
    let paused = Instant::now();
    let mut locked = lock_writes(store).await?;
    let mut tx = target.pool.begin().await?;
    let (tables, caught_up) = catch_up(&mut locked, &mut tx, &mut held).await?;
    snapshot::continue_sequences(&mut tx, backend).await?;
    tx.commit().await?;
    let moved = crate::store::retired::Moved { to: to_shown.to_string(), at: crate::store::now(), id: id.to_string() };
    crate::store::retired::retire(locked.conn(), store.backend, &moved).await?;
    locked.commit().await?;
    Ok(Outcome { tables, held_since: Some(paused), caught_up })
}

/// The old store with its writes held. Taking the table locks one by one while the server
/// writes can meet a writer that holds one and wants another: PostgreSQL then breaks the
/// deadlock by failing one side, or the lock times out. Both are temporary: nothing was
/// written yet, so the lock is asked for again, a few times, before the migration gives up.
async fn lock_writes(store: &Store) -> Result<Snapshot> {
    const ATTEMPTS: u32 = 5;
    let mut attempt = 1;
    loop {
        match Snapshot::begin_locked(store).await {
            Err(e) if e.kind == Kind::TempFail && attempt < ATTEMPTS => {
                tracing::info!("taking the old store's write lock (attempt {attempt}): {}", e.one_line());
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                attempt += 1;
            }
            taken => return taken.context("holding the old store's writes"),
        }
    }
}

/// The rows one table needs written after the bulk copy.
struct Upserts {
    /// The table's place in TABLES (and in `Held`).
    index: usize,
    table: &'static str,
    columns: Vec<String>,
    inserts: Vec<Vec<Value>>,
    updates: Vec<Vec<Value>>,
}

/// Make the target equal the locked source: each table's rows compared by key and content
/// with what the target holds (`held`, brought up to date). Deletions first, children before
/// parents (a new row may take a deleted one's unique name); then rewritten and new rows,
/// parents first; then every row written read back by its key, and every deleted key looked
/// for. Returns every table's digest, and how many rows changed.
async fn catch_up(
    locked: &mut Snapshot,
    tx: &mut sqlx::AnyConnection,
    held: &mut Held,
) -> Result<(Vec<TableCopied>, u64)> {
    let mut pending = Vec::new();
    let mut gone: Vec<(&str, Vec<Value>)> = Vec::new();
    for (i, (table, _)) in TABLES.iter().enumerate().rev() {
        let mut before = std::mem::take(&mut held[i]);
        let mut now = HashMap::with_capacity(before.len());
        let mut up = Upserts { index: i, table, columns: Vec::new(), inserts: Vec::new(), updates: Vec::new() };
        let mut rows = locked.rows(table);
        while let Some(chunk) = rows.next_chunk().await? {
            let shape = Shape::of(table, &rows.columns)?;
            for row in chunk {
                let (key, hash) = (shape.key(&row), shape.hash(&row));
                match before.remove(&key) {
                    None => up.inserts.push(row),
                    Some(h) if h != hash => up.updates.push(row),
                    Some(_) => {}
                }
                now.insert(key, hash);
            }
        }
        up.columns = rows.columns;
        for key in before.keys() {
            let values: Vec<Value> = serde_json::from_str(key).unwrap_or_default();
            snapshot::delete(tx, table, &values).await?;
            gone.push((table, values));
        }
        held[i] = now;
        pending.push(up);
    }
    let mut changed = gone.len() as u64;
    for up in pending.iter().rev() {
        for row in &up.updates {
            snapshot::update(tx, up.table, &up.columns, row).await?;
        }
        snapshot::insert(tx, up.table, &up.columns, &up.inserts).await?;
    }
    // Read back what was written, in the same transaction.
    for up in pending.iter().filter(|up| !up.updates.is_empty() || !up.inserts.is_empty()) {
        let shape = Shape::of(up.table, &up.columns)?;
        for row in up.updates.iter().chain(&up.inserts) {
            let found = snapshot::select_by_key(tx, up.table, &shape.key_values(row)).await?;
            let found = found.map(|(columns, r)| Shape::of(up.table, &columns).map(|s| s.hash(&r))).transpose()?;
            let key = shape.key(row);
            if found.as_ref() != held[up.index].get(&key) {
                return Err(Error::new(Kind::Invalid, format!("table {}: row {key} differs after the copy", up.table)));
            }
            changed += 1;
        }
    }
    for (table, values) in &gone {
        if snapshot::select_by_key(tx, table, values).await?.is_some() {
            return Err(Error::new(Kind::Invalid, format!("table {table}: a deleted row is still there")));
        }
    }
    let digests = TABLES.iter().zip(held.iter()).map(|((t, _), m)| digest_of(t, m)).collect();
    Ok((digests, changed))
}

/// Empty the new database again after a failed migration (children first).
async fn clear(target: &Store) -> Result<()> {
    let mut tx = target.pool.begin().await?;
    sqlx::query("DROP TABLE IF EXISTS mailctl_moved_in").execute(&mut *tx).await?;
    for (table, _) in TABLES.iter().rev() {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite(dir: &Path, name: &str) -> Store {
        let url = crate::config::sqlite_url(&dir.join(name));
        Store::connect(&url, dir, 2).await.unwrap()
    }

    async fn exec(store: &Store, sql: &'static str) {
        sqlx::query(sql).execute(&store.pool).await.unwrap();
    }

    #[tokio::test]
    async fn the_catch_up_brings_over_deletions_rewrites_and_a_deleted_rows_unique_name_taken_again() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (sqlite(dir.path(), "old.db").await, sqlite(dir.path(), "new.db").await);
        exec(&old, "INSERT INTO domains (name, created_at) VALUES ('a.example', 1), ('b.example', 1)").await;
        exec(
            &old,
            "INSERT INTO aliases (address, domain, destination, created_at) \
             VALUES ('x@a.example', 'a.example', 'y@a.example', 1), ('z@a.example', 'a.example', 'y@a.example', 1)",
        )
        .await;
        let held = bulk_copy(&old, &new, Backend::Sqlite, "m1").await.unwrap();
        // Meanwhile, with mail flowing: a deletion, a rewrite, a new row that takes the deleted
        // one's unique address, and a parent gone.
        exec(&old, "DELETE FROM aliases WHERE address = 'x@a.example'").await;
        exec(&old, "UPDATE aliases SET created_at = 2 WHERE address = 'z@a.example'").await;
        exec(
            &old,
            "INSERT INTO aliases (address, domain, destination, created_at) \
             VALUES ('x@a.example', 'a.example', 'y@a.example', 3)",
        )
        .await;
        exec(&old, "DELETE FROM domains WHERE name = 'b.example'").await;

        let mut held = held;
        let mut snap = Snapshot::begin(&old).await.unwrap();
        let mut tx = new.pool.begin().await.unwrap();
        let (_, changed) = catch_up(&mut snap, &mut tx, &mut held).await.unwrap();
        tx.commit().await.unwrap();
        drop(snap);
        assert_eq!(changed, 4, "an alias deleted, one rewritten, one new; a domain deleted");

        let Outcome { tables, caught_up: changed, .. } =
            hold_and_retire(&old, &new, Backend::Sqlite, held, "sqlite:///new.db", "m1").await.unwrap();
        assert_eq!(changed, 0, "nothing left for the pass under the lock");
        assert_eq!(digests(&new).await.unwrap(), tables, "the copy as the catch-up says");
        assert_eq!(digests(&old).await.unwrap(), tables, "equal to the old store");
        assert_eq!(old.moved_to().await.unwrap().map(|m| m.id), Some("m1".to_string()));
        assert_eq!(new.moved_in().await.unwrap(), Some("m1".to_string()));
        let refused = sqlx::query("DELETE FROM aliases").execute(&old.pool).await.map_err(Error::from).unwrap_err();
        assert_eq!(refused.kind, Kind::Unavailable, "{refused}");
    }
}

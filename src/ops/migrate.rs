//! `mailctl store migrate --to URL`: the whole store copied into a new, empty database of
//! either backend, checked table by table (row counts and a SHA-256 of every row, read back
//! from the new database), and only then named in the config's `database`. Nothing of the old
//! store changes, so a failed migration leaves it in use, and says so.
//!
//! It runs with `serve` stopped and holds the data directory's lock meanwhile, so `serve`
//! cannot start on the old store half-way. (Copying under a running `serve` would need it to
//! switch stores at the end; that is not built: the command exits 75 and says to stop it.)

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::backup::hex;
use crate::config::redact_url;
use crate::error::{Error, Kind, Result};
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
}

/// A table's rows folded into a digest that does not depend on the backend: each value in
/// the order of the sorted column names, booleans as integers (PostgreSQL has them, SQLite
/// stores 0 and 1).
struct TableDigest {
    /// Each row's SHA-256: sorted before they are hashed together, so the order the backends
    /// return rows in (PostgreSQL sorts text by its collation, SQLite byte by byte) does not
    /// matter.
    rows: Vec<[u8; 32]>,
}

impl TableDigest {
    fn new() -> Self {
        TableDigest { rows: Vec::new() }
    }

    fn add(&mut self, columns: &[String], rows: &[Vec<Value>]) {
        let mut order: Vec<usize> = (0..columns.len()).collect();
        order.sort_by(|&a, &b| columns[a].cmp(&columns[b]));
        for row in rows {
            let values: Vec<Value> = order
                .iter()
                .map(|&i| match &row[i] {
                    Value::Bool(b) => Value::from(i64::from(*b)),
                    v => v.clone(),
                })
                .collect();
            self.rows.push(Sha256::digest(serde_json::to_vec(&values).unwrap_or_default()).into());
        }
    }

    fn done(mut self, name: &str) -> TableCopied {
        self.rows.sort_unstable();
        let mut sha = Sha256::new();
        self.rows.iter().for_each(|r| sha.update(r));
        TableCopied { name: name.to_string(), rows: self.rows.len() as u64, sha256: hex(&sha.finalize()) }
    }
}

/// Every table of a store, counted and digested, in one snapshot.
async fn digests(store: &Store) -> Result<Vec<TableCopied>> {
    let mut snap = Snapshot::begin(store).await?;
    let mut out = Vec::new();
    for (table, _) in TABLES {
        let mut rows = snap.rows(table);
        let mut d = TableDigest::new();
        while let Some(chunk) = rows.next_chunk().await? {
            d.add(&rows.columns, &chunk);
        }
        out.push(d.done(table));
    }
    Ok(out)
}

pub async fn migrate(store: &Store, from_url: &str, config_file: &Path, to: &str) -> Result<Migrated> {
    let started = std::time::Instant::now();
    // A bad --to is a usage error, not one of the config.
    let backend = Backend::from_url(to).map_err(|e| Error { kind: Kind::Usage, ..e })?;
    if to == from_url {
        return Err(Error::usage(format!("{} is the store in use already", redact_url(to))));
    }
    let _lock = crate::running::lock(&store.data_dir).map_err(|e| match e.kind {
        Kind::TempFail => {
            let pid = crate::running::running_pid(&store.data_dir).map(|p| format!(" (pid {p})")).unwrap_or_default();
            Error::new(Kind::TempFail, format!("mailctl serve is running on {}{pid}", store.data_dir.display()))
                .with_hint("stop it, migrate, and start it again: it will use the new store")
        }
        _ => e,
    })?;
    let target = Store::connect(to, &store.data_dir, 2).await?;
    let result = copy(store, &target, backend).await;
    let tables = match result {
        Ok(t) => t,
        Err(e) => {
            target.close().await;
            return Err(Error::new(
                e.kind,
                format!("the migration failed and {} stays in use: {e}", redact_url(from_url)),
            ));
        }
    };
    target.close().await;

    // Only now does the config name the new store.
    let text = std::fs::read_to_string(config_file).map_err(|e| Error::io("reading", config_file, e))?;
    let edited = crate::config::edit(&text, "database", to)?;
    crate::fsutil::write_atomic(config_file, edited.as_bytes(), 0o600)?;
    Ok(Migrated {
        from: redact_url(from_url),
        to: redact_url(to),
        config: config_file.to_path_buf(),
        rows: tables.iter().map(|t| t.rows).sum(),
        tables,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// Copy every table in one snapshot into `target` in one transaction, then read the target
/// back and compare.
async fn copy(store: &Store, target: &Store, backend: Backend) -> Result<Vec<TableCopied>> {
    if !snapshot::is_empty(target).await? {
        return Err(Error::new(Kind::Exists, "the new database is not empty: migrate into an empty one"));
    }
    let mut snap = Snapshot::begin(store).await?;
    let theirs = target.schema_version().await?.unwrap_or(0);
    if snap.version != theirs {
        return Err(Error::new(
            Kind::Internal,
            format!("the schemas differ (old store {}, new {theirs})", snap.version),
        ));
    }
    let mut tx = target.pool.begin().await?;
    let mut copied = Vec::new();
    for (table, _) in TABLES {
        let mut rows = snap.rows(table);
        let mut d = TableDigest::new();
        while let Some(chunk) = rows.next_chunk().await? {
            d.add(&rows.columns, &chunk);
            snapshot::insert(&mut tx, table, &rows.columns, &chunk).await?;
        }
        copied.push(d.done(table));
    }
    drop(snap);
    snapshot::continue_sequences(&mut tx, backend).await?;
    tx.commit().await?;
    let read_back = digests(target).await?;
    if let Some((a, b)) = copied.iter().zip(&read_back).find(|(a, b)| a != b) {
        return Err(Error::new(
            Kind::Invalid,
            format!("table {} differs after the copy ({} rows copied, {} read back)", a.name, a.rows, b.rows),
        ));
    }
    Ok(copied)
}

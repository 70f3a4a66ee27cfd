//! One consistent read of every table of the store, in a form that does not depend on the
//! backend: rows as JSON arrays of values (integers, reals, text, `null`, and blobs as
//! `{"base64": "…"}`), table by table, parents first, each in primary-key order. SQLite reads
//! in one transaction (WAL: a snapshot as of its first read); PostgreSQL in one REPEATABLE
//! READ READ ONLY transaction. Writers go on meanwhile. Backups (`ops::backup`) use it.

use base64::Engine;
use futures_util::TryStreamExt;
use serde_json::Value;
use sqlx::{Column, Row};

use super::Store;
use crate::error::Result;

/// Every table of the store, in the order a restore inserts them (a table after those its
/// foreign keys name), with the columns that order its rows.
pub const TABLES: &[(&str, &str)] = &[
    ("domains", "name"),
    ("accounts", "id"),
    ("aliases", "id"),
    ("mailboxes", "id"),
    ("messages", "id"),
    ("files_synced", "id"),
    ("expunged", "mailbox_id, uid"),
    ("subscriptions", "account_id, name"),
    ("dkim_keys", "id"),
    ("transports", "domain"),
    ("mta_sts_policies", "domain"),
    ("tls_results", "day, domain, policy, mx_host, result"),
    ("tls_reports_sent", "day, domain"),
    ("queue", "id"),
    ("queue_recipients", "queue_id, recipient"),
    ("queue_events", "id"),
    ("verdicts", "queue_id"),
    ("dns_published", "zone, name, rtype, value"),
    ("filter_rules", "pattern, account"),
    ("greylist", "network, sender, recipient"),
    ("api_tokens", "id"),
    ("audit_log", "id"),
    ("idempotency_keys", "token_id, key"),
    ("webmail_sessions", "id_sha256"),
    ("vacations", "account_id"),
    ("vacation_replies", "account_id, sender"),
    ("webmail_identities", "account_id, address"),
    ("webmail_trusted_senders", "account_id, sender"),
];

/// The tables whose `id` PostgreSQL generates (an identity column with its sequence).
pub const IDENTITY: &[&str] =
    &["accounts", "aliases", "mailboxes", "messages", "dkim_keys", "queue_events", "api_tokens", "audit_log"];

/// Rows handed over at a time.
pub const CHUNK_ROWS: usize = 1000;

/// What the snapshot hands to its consumer.
pub enum Part<'a> {
    /// A table begins: its name and its columns (empty when the table has no rows).
    Table { name: &'a str, columns: &'a [String] },
    /// Up to [`CHUNK_ROWS`] rows of the current table.
    Rows(&'a [Vec<Value>]),
}

/// One consistent view of the store, read table by table.
pub struct Snapshot {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    /// The schema version the snapshot was read at.
    pub version: i64,
}

/// One table's rows, as they are read.
pub struct TableRows<'a> {
    stream: futures_util::stream::BoxStream<'a, std::result::Result<sqlx::any::AnyRow, sqlx::Error>>,
    /// Its columns, known from the first row (empty while no row was read, and for an empty
    /// table).
    pub columns: Vec<String>,
}

impl Snapshot {
    pub async fn begin(store: &Store) -> Result<Snapshot> {
        // The first read fixes SQLite's snapshot; the version is read inside it.
        Self::at_version(store.begin_snapshot().await?).await
    }

    async fn at_version(mut tx: sqlx::Transaction<'static, sqlx::Any>) -> Result<Snapshot> {
        let version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *tx)
            .await?;
        Ok(Snapshot { tx, version })
    }

    /// As [`Snapshot::begin`], holding the store's write lock until it ends: nobody else
    /// writes meanwhile (SQLite: BEGIN IMMEDIATE; PostgreSQL: every table locked in EXCLUSIVE
    /// mode, which lets reads go on). Writers wait for it, and fail if it outlasts their wait.
    pub async fn begin_locked(store: &Store) -> Result<Snapshot> {
        let mut tx = store.begin_write().await?;
        if store.backend == super::Backend::Postgres {
            // Not behind a long transaction for ever, holding the tables locked so far.
            sqlx::query("SET LOCAL lock_timeout = '10s'").execute(&mut *tx).await?;
            let names: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
            let sql = sqlx::AssertSqlSafe(format!("LOCK TABLE {} IN EXCLUSIVE MODE", names.join(", ")));
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        Self::at_version(tx).await
    }

    /// The rows of `table`, one of [`TABLES`], in its order.
    pub fn rows(&mut self, table: &str) -> TableRows<'_> {
        rows(&mut self.tx, table)
    }

    /// The snapshot's connection (a write inside [`Snapshot::begin_locked`]'s transaction).
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<()> {
        Ok(self.tx.commit().await?)
    }
}

/// The rows of `table`, one of [`TABLES`], in its order, as `conn` sees them.
pub fn rows<'c>(conn: &'c mut sqlx::AnyConnection, table: &str) -> TableRows<'c> {
    let order = key_of(table);
    // Both names come from TABLES, never from input.
    let sql = sqlx::AssertSqlSafe(format!("SELECT * FROM {table} ORDER BY {order}"));
    TableRows { stream: sqlx::query(sql).fetch(conn), columns: Vec::new() }
}

/// The columns that identify a row of `table` (its primary key), comma-separated.
pub fn key_of(table: &str) -> &'static str {
    TABLES.iter().find(|(t, _)| *t == table).map(|(_, o)| *o).expect("a table of TABLES")
}

impl TableRows<'_> {
    /// The next [`CHUNK_ROWS`] rows or fewer; None at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<Vec<Value>>>> {
        let mut chunk = Vec::with_capacity(CHUNK_ROWS);
        while chunk.len() < CHUNK_ROWS {
            let Some(row) = self.stream.try_next().await? else { break };
            if self.columns.is_empty() {
                self.columns = row.columns().iter().map(|c| c.name().to_string()).collect();
            }
            chunk.push((0..row.len()).map(|i| value(&row, i)).collect::<Result<_>>()?);
        }
        Ok((!chunk.is_empty()).then_some(chunk))
    }
}

/// Read every table in one snapshot and hand it to `sink` table by table, chunk by chunk.
/// Returns the schema version the snapshot was read at.
pub async fn read(store: &Store, mut sink: impl FnMut(Part<'_>) -> Result<()>) -> Result<i64> {
    let mut snap = Snapshot::begin(store).await?;
    for (table, _) in TABLES {
        let mut rows = snap.rows(table);
        let mut begun = false;
        while let Some(chunk) = rows.next_chunk().await? {
            if !begun {
                sink(Part::Table { name: table, columns: &rows.columns })?;
                begun = true;
            }
            sink(Part::Rows(&chunk))?;
        }
        if !begun {
            sink(Part::Table { name: table, columns: &[] })?;
        }
    }
    Ok(snap.version)
}

/// One column's value, whatever its type.
fn value(row: &sqlx::any::AnyRow, i: usize) -> Result<Value> {
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return Ok(v.map_or(Value::Null, Value::from));
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return Ok(v.map_or(Value::Null, Value::from));
    }
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return Ok(v.map_or(Value::Null, Value::from));
    }
    if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
        return Ok(v.map_or(Value::Null, Value::from));
    }
    let blob: Option<Vec<u8>> = row.try_get(i)?;
    Ok(blob
        .map_or(Value::Null, |b| serde_json::json!({ "base64": base64::engine::general_purpose::STANDARD.encode(b) })))
}

/// Restore: rows of one table, in the form [`read`] hands them (the columns a snapshot
/// names; a column this schema added later takes its default). Many rows per INSERT; a
/// `null` is written as NULL in the statement, not bound (PostgreSQL would type a bound NULL).
pub async fn insert(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    columns: &[String],
    rows: &[Vec<Value>],
) -> Result<()> {
    if !TABLES.iter().any(|(t, _)| *t == table) {
        return Err(crate::error::Error::invalid(format!(
            "the snapshot has a table {table:?} this mailctl does not know"
        )));
    }
    checked_names(table, columns)?;
    let names = columns.join(", ");
    if let Some(row) = rows.iter().find(|r| r.len() != columns.len()) {
        return Err(crate::error::Error::invalid(format!(
            "a row of table {table} has {} values for {} columns",
            row.len(),
            columns.len()
        )));
    }
    // Many rows per statement (one round trip, one parse), well under every backend's limit
    // on bound values.
    let per = (4000 / columns.len().max(1)).clamp(1, 200);
    for group in rows.chunks(per) {
        let mut n = 0;
        let tuples: Vec<String> = group
            .iter()
            .map(|row| {
                let slots: Vec<String> = row
                    .iter()
                    .map(|v| {
                        if v.is_null() {
                            "NULL".to_string()
                        } else {
                            n += 1;
                            format!("${n}")
                        }
                    })
                    .collect();
                format!("({})", slots.join(", "))
            })
            .collect();
        // The table is one of TABLES and every column name was checked above.
        let sql = sqlx::AssertSqlSafe(format!("INSERT INTO {table} ({names}) VALUES {}", tuples.join(", ")));
        let mut q = sqlx::query(sql);
        for v in group.iter().flatten() {
            q = bind(q, table, v)?;
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Bind one value in the snapshot's form (a `null` is never bound: the statement says NULL).
fn bind<'q>(q: Query<'q>, table: &str, v: &Value) -> Result<Query<'q>> {
    Ok(match v {
        Value::Null => q,
        Value::Bool(b) => q.bind(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => q.bind(i),
            None => q.bind(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => q.bind(s.clone()),
        Value::Object(o) => match o.get("base64").and_then(Value::as_str) {
            Some(b) => q.bind(base64::engine::general_purpose::STANDARD.decode(b).map_err(|e| {
                crate::error::Error::invalid(format!("a blob in table {table} is not base64")).with_source(e)
            })?),
            None => {
                return Err(crate::error::Error::invalid(format!("table {table}: a value of unknown form")));
            }
        },
        Value::Array(_) => {
            return Err(crate::error::Error::invalid(format!("table {table}: a value of unknown form")));
        }
    })
}

/// `column = $n` for each column, NULL written out (`IS NULL` in a condition), numbering on
/// from `n`; and the values that are bound, in order.
fn assignments<'v>(
    columns: &[&str],
    values: &'v [Value],
    n: &mut usize,
    condition: bool,
) -> (Vec<String>, Vec<&'v Value>) {
    let mut parts = Vec::new();
    let mut bound = Vec::new();
    for (c, v) in columns.iter().zip(values) {
        if v.is_null() {
            parts.push(if condition { format!("{c} IS NULL") } else { format!("{c} = NULL") });
        } else {
            *n += 1;
            parts.push(format!("{c} = ${n}"));
            bound.push(v);
        }
    }
    (parts, bound)
}

/// Rewrite one row of `table` (one of [`TABLES`]) in place: every column set to the row's
/// values, found by its key ([`key_of`]).
pub async fn update(conn: &mut sqlx::AnyConnection, table: &str, columns: &[String], row: &[Value]) -> Result<()> {
    let keys: Vec<&str> = key_of(table).split(", ").collect();
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    checked_names(table, columns)?;
    let key_values: Vec<Value> = keys
        .iter()
        .map(|k| names.iter().position(|c| c == k).map(|i| row[i].clone()))
        .collect::<Option<_>>()
        .ok_or_else(|| crate::error::Error::invalid(format!("a row of table {table} lacks its key")))?;
    let mut n = 0;
    let (set, mut bound) = assignments(&names, row, &mut n, false);
    let (cond, key_bound) = assignments(&keys, &key_values, &mut n, true);
    bound.extend(key_bound);
    let sql = sqlx::AssertSqlSafe(format!("UPDATE {table} SET {} WHERE {}", set.join(", "), cond.join(" AND ")));
    let mut q = sqlx::query(sql);
    for v in bound {
        q = bind(q, table, v)?;
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// `SELECT *` or `DELETE` of the row of `table` (one of [`TABLES`]) whose key ([`key_of`])
/// has these values, bound.
fn by_key<'q>(verb: &str, table: &str, key_values: &'q [Value]) -> Result<Query<'q>> {
    let keys: Vec<&str> = key_of(table).split(", ").collect();
    let mut n = 0;
    let (cond, bound) = assignments(&keys, key_values, &mut n, true);
    // The table is one of TABLES, the columns its key.
    let sql = sqlx::AssertSqlSafe(format!("{verb} FROM {table} WHERE {}", cond.join(" AND ")));
    let mut q = sqlx::query(sql);
    for v in bound {
        q = bind(q, table, v)?;
    }
    Ok(q)
}

/// The row of `table` (one of [`TABLES`]) whose key ([`key_of`]) has these values: its
/// columns and values, in the snapshot's form.
pub async fn select_by_key(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    key_values: &[Value],
) -> Result<Option<(Vec<String>, Vec<Value>)>> {
    let Some(row) = by_key("SELECT *", table, key_values)?.fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let columns = row.columns().iter().map(|c| c.name().to_string()).collect();
    let values = (0..row.len()).map(|i| value(&row, i)).collect::<Result<_>>()?;
    Ok(Some((columns, values)))
}

/// Delete the row of `table` (one of [`TABLES`]) whose key ([`key_of`]) has these values.
pub async fn delete(conn: &mut sqlx::AnyConnection, table: &str, key_values: &[Value]) -> Result<()> {
    by_key("DELETE", table, key_values)?.execute(&mut *conn).await?;
    Ok(())
}

/// Column names go into statements: letters, digits and `_` only.
fn checked_names(table: &str, columns: &[String]) -> Result<()> {
    if let Some(bad) =
        columns.iter().find(|c| c.is_empty() || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        return Err(crate::error::Error::invalid(format!(
            "the snapshot's table {table} has a bad column name {bad:?}"
        )));
    }
    Ok(())
}

/// After every table is in: PostgreSQL's identity sequences continue after the copied ids
/// (SQLite's AUTOINCREMENT follows explicit ids by itself).
pub async fn continue_sequences(conn: &mut sqlx::AnyConnection, backend: super::Backend) -> Result<()> {
    if backend == super::Backend::Postgres {
        for table in IDENTITY {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}"
            ));
            sqlx::query(sql).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Restore: is the store empty (no domain, no account)?
pub async fn is_empty(store: &Store) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM domains) + (SELECT COUNT(*) FROM accounts)")
        .fetch_one(&store.pool)
        .await?;
    Ok(n == 0)
}

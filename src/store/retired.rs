//! A store that `mailctl store migrate` moved away from: kept as it was at the switch, and
//! refusing every write from then on. Each table gets triggers that abort an INSERT, UPDATE
//! or DELETE (SQLite: one per table and statement; PostgreSQL: one statement-level trigger
//! calling one function), and the table `mailctl_retired` names the new store (its URL
//! without a password) and the time. A `serve` still writing to it gets an error, so the
//! write fails (SMTP 451, IMAP NO) instead of landing where nobody reads it; `serve`'s reload
//! switches to the new store only when the old one says it moved there.
//!
//! The triggers and the table are created inside the migration's final transaction on the
//! old store, which holds its write lock, so no write comes between the last rows copied and
//! the fence. The new store gets the table `mailctl_moved_in` with the same migration id in
//! the bulk copy's transaction: a server switches only to a store that carries the id its old
//! store names, never to a database that merely has the URL (a relative path, another
//! PGHOST). To use such a store again: drop the triggers named `mailctl_retired_*` (and on
//! PostgreSQL the function `mailctl_retired()`) and the table `mailctl_retired`.

use super::snapshot::TABLES;
use super::{Backend, has_table};
use crate::error::Result;

use crate::error::RETIRED;

/// Where a retired store moved to, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The new store's URL, without a password.
    pub to: String,
    pub at: i64,
    /// The migration's random id, which the new store carries too ([`moved_in`]).
    pub id: String,
}

/// The new store's side: the id of the migration that filled it (in its bulk copy).
pub async fn mark_moved_in(conn: &mut sqlx::AnyConnection, id: &str, from: &str) -> Result<()> {
    sqlx::query("CREATE TABLE mailctl_moved_in (id TEXT NOT NULL, moved_from TEXT NOT NULL, moved_at BIGINT NOT NULL)")
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO mailctl_moved_in (id, moved_from, moved_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(from)
        .bind(super::now())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The id of the migration that filled this store, if one did.
pub async fn moved_in(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<Option<String>> {
    if !has_table(conn, backend, "mailctl_moved_in").await? {
        return Ok(None);
    }
    Ok(sqlx::query_scalar("SELECT id FROM mailctl_moved_in").fetch_optional(&mut *conn).await?)
}

/// Has this store been retired, and to where?
pub async fn moved_to(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<Option<Moved>> {
    if !has_table(conn, backend, "mailctl_retired").await? {
        return Ok(None);
    }
    let row: Option<(String, i64, String)> =
        sqlx::query_as("SELECT moved_to, moved_at, id FROM mailctl_retired").fetch_optional(&mut *conn).await?;
    Ok(row.map(|(to, at, id)| Moved { to, at, id }))
}

/// Fence the store: from the commit of `conn`'s transaction on, every write fails.
pub async fn retire(conn: &mut sqlx::AnyConnection, backend: Backend, moved: &Moved) -> Result<()> {
    sqlx::query("CREATE TABLE mailctl_retired (moved_to TEXT NOT NULL, moved_at BIGINT NOT NULL, id TEXT NOT NULL)")
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO mailctl_retired (moved_to, moved_at, id) VALUES ($1, $2, $3)")
        .bind(&moved.to)
        .bind(moved.at)
        .bind(&moved.id)
        .execute(&mut *conn)
        .await?;
    if backend == Backend::Postgres {
        let function = format!(
            "CREATE FUNCTION mailctl_retired() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION '{RETIRED} (moved to {})' USING ERRCODE = '25006'; END $$",
            quoted_in_sql(&moved.to)
        );
        sqlx::query(sqlx::AssertSqlSafe(function)).execute(&mut *conn).await?;
    }
    for (table, _) in TABLES {
        for sql in triggers(backend, table, &moved.to) {
            // Table names come from TABLES; the URL is quoted.
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Undo [`retire`] (a migration that could not switch the config gives the store back), in
/// one transaction: all of it or nothing.
pub async fn unretire(pool: &sqlx::AnyPool, backend: Backend) -> Result<()> {
    let mut tx = pool.begin().await?;
    let conn: &mut sqlx::AnyConnection = &mut tx;
    for (table, _) in TABLES {
        let drops: Vec<String> = match backend {
            Backend::Sqlite => ["insert", "update", "delete"]
                .iter()
                .map(|op| format!("DROP TRIGGER IF EXISTS mailctl_retired_{table}_{op}"))
                .collect(),
            Backend::Postgres => vec![format!("DROP TRIGGER IF EXISTS mailctl_retired ON {table}")],
        };
        for sql in drops {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?;
        }
    }
    if backend == Backend::Postgres {
        sqlx::query("DROP FUNCTION IF EXISTS mailctl_retired()").execute(&mut *conn).await?;
    }
    sqlx::query("DROP TABLE IF EXISTS mailctl_retired").execute(&mut *conn).await?;
    tx.commit().await?;
    Ok(())
}

fn triggers(backend: Backend, table: &str, to: &str) -> Vec<String> {
    match backend {
        Backend::Sqlite => ["INSERT", "UPDATE", "DELETE"]
            .iter()
            .map(|op| {
                format!(
                    "CREATE TRIGGER mailctl_retired_{table}_{} BEFORE {op} ON {table} \
                     BEGIN SELECT RAISE(ABORT, '{RETIRED} (moved to {})'); END",
                    op.to_ascii_lowercase(),
                    quoted_in_sql(to)
                )
            })
            .collect(),
        Backend::Postgres => vec![format!(
            "CREATE TRIGGER mailctl_retired BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION mailctl_retired()"
        )],
    }
}

/// Text inside a single-quoted SQL string (and, on PostgreSQL, inside a dollar-quoted body
/// and RAISE's format, where `%` is special).
fn quoted_in_sql(text: &str) -> String {
    text.chars().filter(|c| !c.is_control() && *c != '$' && *c != '%').collect::<String>().replace('\'', "''")
}

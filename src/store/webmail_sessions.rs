//! Queries on `webmail_sessions`: who is signed in to the webmail, kept as a hash of the
//! session cookie, with the CSRF token of the session's pages.

use sqlx::AnyConnection;

use crate::error::Result;

#[derive(Debug, Clone)]
pub struct Session {
    pub id_sha256: String,
    pub account_id: i64,
    pub csrf: String,
    pub created_at: i64,
    pub seen_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, s: &Session, client: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO webmail_sessions (id_sha256, account_id, csrf, created_at, seen_at, client) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&s.id_sha256)
    .bind(s.account_id)
    .bind(&s.csrf)
    .bind(s.created_at)
    .bind(s.seen_at)
    .bind(client)
    .execute(conn)
    .await?;
    Ok(())
}

/// The session whose cookie hashes to `id_sha256`, if it was used after `idle_since`.
pub async fn live(conn: &mut AnyConnection, id_sha256: &str, idle_since: i64) -> Result<Option<Session>> {
    let row: Option<(String, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT id_sha256, account_id, csrf, created_at, seen_at FROM webmail_sessions \
         WHERE id_sha256 = $1 AND seen_at > $2",
    )
    .bind(id_sha256)
    .bind(idle_since)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id_sha256, account_id, csrf, created_at, seen_at)| Session {
        id_sha256,
        account_id,
        csrf,
        created_at,
        seen_at,
    }))
}

pub async fn touch(conn: &mut AnyConnection, id_sha256: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE webmail_sessions SET seen_at = $1 WHERE id_sha256 = $2")
        .bind(now)
        .bind(id_sha256)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id_sha256: &str) -> Result<()> {
    sqlx::query("DELETE FROM webmail_sessions WHERE id_sha256 = $1").bind(id_sha256).execute(conn).await?;
    Ok(())
}

/// Sign an account out everywhere; returns how many sessions ended.
pub async fn delete_for_account(conn: &mut AnyConnection, account_id: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM webmail_sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Every session of an account but one.
pub async fn delete_others(conn: &mut AnyConnection, account_id: i64, keep: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM webmail_sessions WHERE account_id = $1 AND id_sha256 <> $2")
        .bind(account_id)
        .bind(keep)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Sessions idle since before `idle_since` go.
pub async fn expire(conn: &mut AnyConnection, idle_since: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM webmail_sessions WHERE seen_at <= $1")
        .bind(idle_since)
        .execute(conn)
        .await?
        .rows_affected())
}

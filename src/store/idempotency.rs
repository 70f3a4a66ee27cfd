//! Queries on `idempotency_keys`: the first answer to a POST that carried an
//! `Idempotency-Key`, per token, kept a day.

use sqlx::AnyConnection;

use crate::error::Result;

/// How long an answer is kept.
pub const KEEP_SECS: i64 = 86_400;

pub struct Stored {
    pub request_sha256: String,
    pub status: u16,
    pub body: String,
}

pub async fn get(conn: &mut AnyConnection, token_id: i64, key: &str, now: i64) -> Result<Option<Stored>> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT request_sha256, status, body FROM idempotency_keys WHERE token_id = $1 AND key = $2 AND created_at > $3",
    )
    .bind(token_id)
    .bind(key)
    .bind(now - KEEP_SECS)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(request_sha256, status, body)| Stored { request_sha256, status: status as u16, body }))
}

/// Keep an answer (replacing an expired one under the same key); old answers are dropped.
pub async fn put(conn: &mut AnyConnection, token_id: i64, key: &str, s: &Stored, now: i64) -> Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE created_at <= $1 OR (token_id = $2 AND key = $3)")
        .bind(now - KEEP_SECS)
        .bind(token_id)
        .bind(key)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO idempotency_keys (token_id, key, request_sha256, status, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_id)
    .bind(key)
    .bind(&s.request_sha256)
    .bind(s.status as i64)
    .bind(&s.body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

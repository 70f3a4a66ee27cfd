//! Queries on `idempotency_keys`: the first answer to a POST that carried an
//! `Idempotency-Key`, per token, kept a day. A key is claimed before the request acts (a row
//! with status 0), so two copies of one request arriving together act once.

use sqlx::AnyConnection;

use crate::error::Result;

/// How long an answer is kept.
pub const KEEP_SECS: i64 = 86_400;
/// A claim this old whose request never finished (the server stopped under it) may be taken
/// over by a retry.
pub const ABANDONED_SECS: i64 = 300;

pub struct Stored {
    pub request_sha256: String,
    pub status: u16,
    pub body: String,
}

/// What claiming a key found.
pub enum Claim {
    /// Ours: act, then [`finish`] or [`release`].
    Claimed,
    /// A request under this key is still acting.
    InProgress { request_sha256: String },
    /// A request under this key finished: its answer.
    Done(Stored),
}

/// Claim `key` for a request, unless a live claim or a kept answer holds it. One statement
/// decides between two racing claims (the primary key), on both backends.
pub async fn claim(
    conn: &mut AnyConnection,
    token_id: i64,
    key: &str,
    request_sha256: &str,
    now: i64,
) -> Result<Claim> {
    // Expired answers and abandoned claims go first, so that their key can be claimed again.
    sqlx::query("DELETE FROM idempotency_keys WHERE created_at <= $1 OR (status = 0 AND created_at <= $2)")
        .bind(now - KEEP_SECS)
        .bind(now - ABANDONED_SECS)
        .execute(&mut *conn)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (token_id, key, request_sha256, status, body, created_at) \
         VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (token_id, key) DO NOTHING",
    )
    .bind(token_id)
    .bind(key)
    .bind(request_sha256)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::Claimed);
    }
    let row: Option<(String, i64, String)> =
        sqlx::query_as("SELECT request_sha256, status, body FROM idempotency_keys WHERE token_id = $1 AND key = $2")
            .bind(token_id)
            .bind(key)
            .fetch_optional(conn)
            .await?;
    Ok(match row {
        Some((request_sha256, 0, _)) => Claim::InProgress { request_sha256 },
        Some((request_sha256, status, body)) => Claim::Done(Stored { request_sha256, status: status as u16, body }),
        // Finished and released between the two statements: as if still acting; a retry decides.
        None => Claim::InProgress { request_sha256: request_sha256.to_string() },
    })
}

/// Keep the answer of the request that claimed `key`.
pub async fn finish(conn: &mut AnyConnection, token_id: i64, key: &str, s: &Stored) -> Result<()> {
    sqlx::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE token_id = $3 AND key = $4")
        .bind(s.status as i64)
        .bind(&s.body)
        .bind(token_id)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Give `key` up: the request failed, and a retry may act.
pub async fn release(conn: &mut AnyConnection, token_id: i64, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE token_id = $1 AND key = $2 AND status = 0")
        .bind(token_id)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

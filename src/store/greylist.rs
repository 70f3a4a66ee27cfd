//! Queries on `greylist`.

use sqlx::AnyConnection;

use crate::error::Result;

/// A triplet's record: when first seen, and when it passed (None: not yet).
pub async fn get(
    conn: &mut AnyConnection,
    network: &str,
    sender: &str,
    recipient: &str,
) -> Result<Option<(i64, Option<i64>, i64)>> {
    Ok(sqlx::query_as(
        "SELECT first_seen, passed_at, last_seen FROM greylist WHERE network = $1 AND sender = $2 AND recipient = $3",
    )
    .bind(network)
    .bind(sender)
    .bind(recipient)
    .fetch_optional(conn)
    .await?)
}

/// Record a new triplet (another session may have just done so: then nothing changes).
pub async fn insert(conn: &mut AnyConnection, network: &str, sender: &str, recipient: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO greylist (network, sender, recipient, first_seen, last_seen) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(network)
    .bind(sender)
    .bind(recipient)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The triplet passed now (or was seen again after passing).
pub async fn passed(conn: &mut AnyConnection, network: &str, sender: &str, recipient: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE greylist SET passed_at = COALESCE(passed_at, $4), last_seen = $4 \
         WHERE network = $1 AND sender = $2 AND recipient = $3",
    )
    .bind(network)
    .bind(sender)
    .bind(recipient)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forget triplets not seen since `before`.
pub async fn expire(conn: &mut AnyConnection, before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM greylist WHERE last_seen < $1").bind(before).execute(conn).await?;
    Ok(r.rows_affected())
}

/// Start a triplet again (it expired): first seen now, not passed.
pub async fn restart(conn: &mut AnyConnection, network: &str, sender: &str, recipient: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE greylist SET first_seen = $4, passed_at = NULL, last_seen = $4 \
         WHERE network = $1 AND sender = $2 AND recipient = $3",
    )
    .bind(network)
    .bind(sender)
    .bind(recipient)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

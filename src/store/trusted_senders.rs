//! Queries on `webmail_trusted_senders`: the senders whose remote content a member chose to
//! always show.

use sqlx::AnyConnection;

use crate::error::Result;

/// An account's trusted senders, in order.
pub async fn of(conn: &mut AnyConnection, account_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT sender FROM webmail_trusted_senders WHERE account_id = $1 ORDER BY sender")
        .bind(account_id)
        .fetch_all(conn)
        .await?)
}

pub async fn contains(conn: &mut AnyConnection, account_id: i64, sender: &str) -> Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webmail_trusted_senders WHERE account_id = $1 AND sender = $2")
            .bind(account_id)
            .bind(sender.to_lowercase())
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

pub async fn add(conn: &mut AnyConnection, account_id: i64, sender: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO webmail_trusted_senders (account_id, sender, added_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, sender) DO NOTHING",
    )
    .bind(account_id)
    .bind(sender.to_lowercase())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether one was removed.
pub async fn remove(conn: &mut AnyConnection, account_id: i64, sender: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM webmail_trusted_senders WHERE account_id = $1 AND sender = $2")
        .bind(account_id)
        .bind(sender.to_lowercase())
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

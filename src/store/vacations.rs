//! Queries on `vacations` and `vacation_replies`: each account's vacation responder, and
//! whom it last answered.

use sqlx::AnyConnection;

use crate::error::Result;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vacation {
    pub enabled: bool,
    pub start_at: Option<i64>,
    pub end_at: Option<i64>,
    pub subject: String,
    pub body: String,
    /// At most one reply per sender in this many days.
    pub days: i64,
}

/// A row: enabled, start_at, end_at, subject, body, days.
type Row = (i64, Option<i64>, Option<i64>, String, String, i64);

pub async fn get(conn: &mut AnyConnection, account_id: i64) -> Result<Option<Vacation>> {
    let row: Option<Row> =
        sqlx::query_as("SELECT enabled, start_at, end_at, subject, body, days FROM vacations WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(enabled, start_at, end_at, subject, body, days)| Vacation {
        enabled: enabled != 0,
        start_at,
        end_at,
        subject,
        body,
        days,
    }))
}

pub async fn put(conn: &mut AnyConnection, account_id: i64, v: &Vacation, now: i64) -> Result<()> {
    sqlx::query("DELETE FROM vacations WHERE account_id = $1").bind(account_id).execute(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO vacations (account_id, enabled, start_at, end_at, subject, body, days, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(account_id)
    .bind(i64::from(v.enabled))
    .bind(v.start_at)
    .bind(v.end_at)
    .bind(&v.subject)
    .bind(&v.body)
    .bind(v.days)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    // A new absence answers everyone again.
    sqlx::query("DELETE FROM vacation_replies WHERE account_id = $1").bind(account_id).execute(conn).await?;
    Ok(())
}

/// Claim the reply to `sender`: true when none was sent since `since` (and it is recorded as
/// sent now), false when one was. One statement decides between two deliveries at once.
pub async fn claim_reply(
    conn: &mut AnyConnection,
    account_id: i64,
    sender: &str,
    since: i64,
    now: i64,
) -> Result<bool> {
    sqlx::query("DELETE FROM vacation_replies WHERE account_id = $1 AND sender = $2 AND sent_at <= $3")
        .bind(account_id)
        .bind(sender)
        .bind(since)
        .execute(&mut *conn)
        .await?;
    let n = sqlx::query(
        "INSERT INTO vacation_replies (account_id, sender, sent_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, sender) DO NOTHING",
    )
    .bind(account_id)
    .bind(sender)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

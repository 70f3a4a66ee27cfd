//! Queries on the outbound queue: `queue`, `queue_recipients`, `queue_events`.

use serde::Serialize;
use sqlx::AnyConnection;

use super::conn::Conn;

use crate::error::Result;
use crate::store::spool::Envelope;

#[derive(Debug, Clone, Serialize)]
pub struct Queued {
    pub id: String,
    /// The reverse-path; empty for the null sender.
    pub sender: String,
    pub size: i64,
    pub received_at: i64,
    pub submitted_by: Option<String>,
    pub held: bool,
    pub quarantined: bool,
    pub attempts: i64,
    pub next_attempt: i64,
    pub last_error: Option<String>,
    pub recipients: Vec<Recipient>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    pub address: String,
    /// pending, deferred, delivered, failed
    pub status: String,
    pub last_error: Option<String>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: i64,
    pub event: String,
}

/// Queue a spooled message (in the transaction that acknowledges it).
pub async fn insert(conn: &mut Conn<'_>, env: &Envelope, now: i64, quarantined: Option<&str>) -> Result<()> {
    conn.execute(
        "INSERT INTO queue (id, sender, size, received_at, submitted_by, quarantined, next_attempt, last_error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            (&env.id).into(),
            (&env.from).into(),
            (env.size as i64).into(),
            env.received_at.into(),
            env.submitted_by.as_deref().into(),
            i64::from(quarantined.is_some()).into(),
            now.into(),
            quarantined.into(),
        ],
    )
    .await?;
    for r in &env.recipients {
        conn.execute(
            "INSERT INTO queue_recipients (queue_id, recipient, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (queue_id, recipient) DO NOTHING",
            &[(&env.id).into(), r.into(), now.into()],
        )
        .await?;
    }
    event(conn, &env.id, now, quarantined.map_or("queued".to_string(), |why| format!("quarantined: {why}"))).await
}

pub async fn event(conn: &mut Conn<'_>, id: &str, at: i64, what: String) -> Result<()> {
    conn.execute(
        "INSERT INTO queue_events (queue_id, at, event) VALUES ($1, $2, $3)",
        &[id.into(), at.into(), (&what).into()],
    )
    .await?;
    Ok(())
}

type Row = (String, String, i64, i64, Option<String>, i64, i64, i64, i64, Option<String>);
const COLUMNS: &str =
    "id, sender, size, received_at, submitted_by, held, quarantined, attempts, next_attempt, last_error";

fn queued(
    (id, sender, size, received_at, submitted_by, held, quarantined, attempts, next_attempt, last_error): Row,
    mut recipients: Vec<Recipient>,
) -> Queued {
    recipients.sort_by(|a, b| a.address.cmp(&b.address));
    Queued {
        id,
        sender,
        size,
        received_at,
        submitted_by,
        held: held != 0,
        quarantined: quarantined != 0,
        attempts,
        next_attempt,
        last_error,
        recipients,
    }
}

/// Every queued message with its recipients, oldest first. Two queries, however long the
/// queue (100,000 messages list in well under a second).
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Queued>> {
    let rows: Vec<Row> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM queue"))).fetch_all(&mut *conn).await?;
    let recips: Vec<(String, String, String, Option<String>, i64)> =
        sqlx::query_as("SELECT queue_id, recipient, status, last_error, updated_at FROM queue_recipients")
            .fetch_all(conn)
            .await?;
    let mut by_id: std::collections::HashMap<String, Vec<Recipient>> = std::collections::HashMap::new();
    for (qid, address, status, last_error, updated_at) in recips {
        by_id.entry(qid).or_default().push(Recipient { address, status, last_error, updated_at });
    }
    let mut out: Vec<Queued> = rows
        .into_iter()
        .map(|r| {
            let recipients = by_id.remove(&r.0).unwrap_or_default();
            queued(r, recipients)
        })
        .collect();
    out.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
    Ok(out)
}

pub async fn events(conn: &mut AnyConnection, id: &str) -> Result<Vec<Event>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT at, event FROM queue_events WHERE queue_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(at, event)| Event { at, event }).collect())
}

/// The ids of every queued message, in no order (for recovery).
pub async fn ids(conn: &mut AnyConnection) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT id FROM queue").fetch_all(conn).await?)
}

/// The ids of every queued message, oldest first (for commands over the whole queue).
pub async fn ids_by_age(conn: &mut AnyConnection) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT id FROM queue ORDER BY received_at, id").fetch_all(conn).await?)
}

/// Those of `ids` that are in the queue.
pub async fn existing(conn: &mut AnyConnection, ids: &[String]) -> Result<std::collections::HashSet<String>> {
    let mut out = std::collections::HashSet::new();
    for id in ids {
        let found: Option<String> =
            sqlx::query_scalar("SELECT id FROM queue WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
        out.extend(found);
    }
    Ok(out)
}

pub async fn set_held(conn: &mut AnyConnection, id: &str, held: bool, now: i64) -> Result<()> {
    sqlx::query("UPDATE queue SET held = $1, next_attempt = $2 WHERE id = $3")
        .bind(i64::from(held))
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    event(&mut Conn::Any(conn), id, now, if held { "held".into() } else { "released".into() }).await
}

pub async fn flush(conn: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE queue SET next_attempt = $1 WHERE id = $2").bind(now).bind(id).execute(&mut *conn).await?;
    event(&mut Conn::Any(conn), id, now, "flushed: retry now".into()).await
}

pub async fn quarantine(conn: &mut AnyConnection, id: &str, why: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE queue SET quarantined = 1, last_error = $1 WHERE id = $2")
        .bind(why)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    event(&mut Conn::Any(conn), id, now, format!("quarantined: {why}")).await
}

pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    sqlx::query("DELETE FROM queue_events WHERE queue_id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM queue_recipients WHERE queue_id = $1").bind(id).execute(&mut *conn).await?;
    let r = sqlx::query("DELETE FROM queue WHERE id = $1").bind(id).execute(conn).await?;
    Ok(r.rows_affected() > 0)
}

/// Messages due for an attempt (not held, not quarantined), soonest first.
pub async fn due(conn: &mut AnyConnection, now: i64, limit: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM queue WHERE held = 0 AND quarantined = 0 AND next_attempt <= $1 \
         ORDER BY next_attempt LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// One queued message, with its recipients.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Queued>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM queue WHERE id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let recips: Vec<(String, String, Option<String>, i64)> =
        sqlx::query_as("SELECT recipient, status, last_error, updated_at FROM queue_recipients WHERE queue_id = $1")
            .bind(id)
            .fetch_all(conn)
            .await?;
    let recipients = recips
        .into_iter()
        .map(|(address, status, last_error, updated_at)| Recipient { address, status, last_error, updated_at })
        .collect();
    Ok(Some(queued(row, recipients)))
}

/// End an attempt that left recipients to try: count it, say when to try again, and let go
/// of the message.
pub async fn finish_attempt(
    conn: &mut AnyConnection,
    id: &str,
    next_attempt: i64,
    last_error: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE queue SET attempts = attempts + 1, next_attempt = $1, last_error = $2, locked_until = 0 WHERE id = $3",
    )
    .bind(next_attempt)
    .bind(last_error)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Take a message for a delivery attempt (until `until`): false when it is held,
/// quarantined, not due, or another attempt has it.
pub async fn claim(conn: &mut AnyConnection, id: &str, now: i64, until: i64) -> Result<bool> {
    lock(conn, id, now, until, "AND held = 0 AND quarantined = 0 AND next_attempt <= $3").await
}

/// Take a message whatever its state (held, quarantined, not due) unless an attempt has it:
/// for `queue bounce`.
pub async fn take(conn: &mut AnyConnection, id: &str, now: i64, until: i64) -> Result<bool> {
    lock(conn, id, now, until, "").await
}

async fn lock(conn: &mut AnyConnection, id: &str, now: i64, until: i64, and: &'static str) -> Result<bool> {
    let sql = format!("UPDATE queue SET locked_until = $1 WHERE id = $2 {and} AND locked_until < $3");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(until).bind(id).bind(now).execute(conn).await?;
    Ok(r.rows_affected() == 1)
}

pub async fn unclaim(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("UPDATE queue SET locked_until = 0 WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

/// Is a delivery attempt holding the message?
pub async fn claimed(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM queue WHERE id = $1 AND locked_until >= $2")
        .bind(id)
        .bind(now)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// Try again later (an attempt that could not run or could not be recorded), and let go of
/// the message.
pub async fn postpone(conn: &mut AnyConnection, id: &str, next_attempt: i64, why: &str) -> Result<()> {
    sqlx::query("UPDATE queue SET next_attempt = $1, last_error = $2, locked_until = 0 WHERE id = $3")
        .bind(next_attempt)
        .bind(why)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Record recipients' outcomes (right after their domain's transaction).
pub async fn save_outcomes(
    conn: &mut AnyConnection,
    id: &str,
    results: &[(String, &str, Option<String>)],
    now: i64,
) -> Result<()> {
    for (rcpt, status, err) in results {
        sqlx::query(
            "UPDATE queue_recipients SET status = $1, last_error = $2, updated_at = $3 \
             WHERE queue_id = $4 AND recipient = $5",
        )
        .bind(*status)
        .bind(err.as_deref())
        .bind(now)
        .bind(id)
        .bind(rcpt)
        .execute(&mut *conn)
        .await?;
        let what = match err {
            Some(e) => format!("{rcpt}: {status}: {e}"),
            None => format!("{rcpt}: {status}"),
        };
        event(&mut Conn::Any(conn), id, now, what).await?;
    }
    Ok(())
}

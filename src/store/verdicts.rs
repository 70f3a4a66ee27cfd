//! Queries on `verdicts`: what the inbound filters decided, for `mailctl filter explain`.

use serde::Serialize;
use sqlx::AnyConnection;

use super::conn::Conn;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub queue_id: String,
    pub message_id: String,
    pub received_at: i64,
    pub client: String,
    pub sender: String,
    pub recipients: String,
    pub action: String,
    pub reason: String,
    pub details: String,
}

pub async fn insert(conn: &mut Conn<'_>, v: &Verdict) -> Result<()> {
    conn.execute(
        "INSERT INTO verdicts (queue_id, message_id, received_at, client, sender, recipients, action, reason, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        &[
            v.queue_id.as_str().into(),
            v.message_id.as_str().into(),
            v.received_at.into(),
            v.client.as_str().into(),
            v.sender.as_str().into(),
            v.recipients.as_str().into(),
            v.action.as_str().into(),
            v.reason.as_str().into(),
            v.details.as_str().into(),
        ],
    )
    .await?;
    Ok(())
}

/// Forget verdicts received before `before`.
pub async fn expire(conn: &mut Conn<'_>, before: i64) -> Result<u64> {
    conn.execute("DELETE FROM verdicts WHERE received_at < $1", &[before.into()]).await
}

/// The verdicts of a queue id or a Message-ID (angle brackets optional), newest first.
pub async fn find(conn: &mut AnyConnection, id: &str) -> Result<Vec<Verdict>> {
    type Tuple = (String, String, i64, String, String, String, String, String, String);
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let rows: Vec<Tuple> = sqlx::query_as(
        "SELECT queue_id, message_id, received_at, client, sender, recipients, action, reason, details \
         FROM verdicts WHERE queue_id = $1 OR message_id = $1 ORDER BY received_at DESC",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(queue_id, message_id, received_at, client, sender, recipients, action, reason, details)| Verdict {
            queue_id,
            message_id,
            received_at,
            client,
            sender,
            recipients,
            action,
            reason,
            details,
        })
        .collect())
}

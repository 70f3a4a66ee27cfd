//! Queries on `audit_log`: every write made through the admin API.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::error::Result;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub result: String,
    pub detail: String,
}

pub async fn insert(
    conn: &mut AnyConnection,
    at: i64,
    actor: &str,
    action: &str,
    target: &str,
    result: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (at, actor, action, target, result, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(result)
        .bind(detail)
        .execute(conn)
        .await?;
    Ok(())
}

/// The latest `limit` entries at or after `since`, oldest first.
pub async fn list(conn: &mut AnyConnection, since: i64, limit: i64) -> Result<Vec<Entry>> {
    let rows: Vec<(i64, i64, String, String, String, String, String)> = sqlx::query_as(
        "SELECT id, at, actor, action, target, result, detail FROM audit_log WHERE at >= $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let mut out: Vec<Entry> = rows
        .into_iter()
        .map(|(id, at, actor, action, target, result, detail)| Entry { id, at, actor, action, target, result, detail })
        .collect();
    out.reverse();
    Ok(out)
}

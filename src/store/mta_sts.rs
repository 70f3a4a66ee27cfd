//! Queries on `mta_sts_policies`: destination domains' MTA-STS policies, kept for their
//! max_age (RFC 8461 §3.3) so a restart or a failed refresh keeps them.

use sqlx::AnyConnection;

use crate::error::Result;
use crate::proto::mta_sts::Policy;

#[derive(Debug, Clone)]
pub struct Cached {
    /// The TXT record's id the policy was fetched under.
    pub id: String,
    pub policy: Policy,
    pub fetched_at: i64,
    pub expires_at: i64,
}

pub async fn get(conn: &mut AnyConnection, domain: &str) -> Result<Option<Cached>> {
    let row: Option<(String, String, i64, i64)> =
        sqlx::query_as("SELECT id, policy, fetched_at, expires_at FROM mta_sts_policies WHERE domain = $1")
            .bind(domain)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|(id, text, fetched_at, expires_at)| {
        serde_json::from_str(&text).ok().map(|policy| Cached { id, policy, fetched_at, expires_at })
    }))
}

pub async fn put(conn: &mut AnyConnection, domain: &str, c: &Cached) -> Result<()> {
    let text = serde_json::to_string(&c.policy).unwrap_or_default();
    sqlx::query(
        "INSERT INTO mta_sts_policies (domain, id, policy, fetched_at, expires_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (domain) DO UPDATE SET id = $2, policy = $3, fetched_at = $4, expires_at = $5",
    )
    .bind(domain)
    .bind(&c.id)
    .bind(text)
    .bind(c.fetched_at)
    .bind(c.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

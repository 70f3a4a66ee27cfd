//! Queries on `tls_results`: outbound TLS negotiations counted per UTC day, destination
//! domain, MX host and result (RFC 8460's aggregate).

use serde::Serialize;
use sqlx::AnyConnection;

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsResult {
    /// YYYY-MM-DD, UTC.
    pub day: String,
    pub domain: String,
    /// `tlsa`, `sts` or `no-policy-found`.
    pub policy: String,
    pub mx_host: String,
    /// `success`, or a failure type (RFC 8460 §4.3).
    pub result: String,
    pub sessions: i64,
}

/// Count one session (one statement: two deliveries at once both count).
pub async fn count(conn: &mut AnyConnection, r: &TlsResult) -> Result<()> {
    sqlx::query(
        "INSERT INTO tls_results (day, domain, policy, mx_host, result, sessions) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (day, domain, policy, mx_host, result) DO UPDATE SET sessions = tls_results.sessions + $6",
    )
    .bind(&r.day)
    .bind(&r.domain)
    .bind(&r.policy)
    .bind(&r.mx_host)
    .bind(&r.result)
    .bind(r.sessions)
    .execute(conn)
    .await?;
    Ok(())
}

/// The counts from `day` on (YYYY-MM-DD), for one domain or all, in order (one day: the
/// caller stops at the next).
pub async fn since(conn: &mut AnyConnection, day: &str, domain: Option<&str>) -> Result<Vec<TlsResult>> {
    let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT day, domain, policy, mx_host, result, sessions FROM tls_results \
         WHERE day >= $1 AND ($2 = '' OR domain = $2) ORDER BY day, domain, policy, mx_host, result",
    )
    .bind(day)
    .bind(domain.unwrap_or(""))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(day, domain, policy, mx_host, result, sessions)| TlsResult {
            day,
            domain,
            policy,
            mx_host,
            result,
            sessions,
        })
        .collect())
}

/// The (day, domain) pairs with results from `from` up to but not including `before`
/// (YYYY-MM-DD) that no report was sent for yet, oldest first.
pub async fn unreported(conn: &mut AnyConnection, from: &str, before: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT r.day, r.domain FROM tls_results r \
         WHERE r.day >= $1 AND r.day < $2 AND NOT EXISTS \
         (SELECT 1 FROM tls_reports_sent s WHERE s.day = r.day AND s.domain = r.domain) ORDER BY r.day, r.domain",
    )
    .bind(from)
    .bind(before)
    .fetch_all(conn)
    .await?)
}

/// Note a report as sent (again: the newest sending is kept).
pub async fn mark_reported(
    conn: &mut AnyConnection,
    day: &str,
    domain: &str,
    report_id: &str,
    sent_to: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO tls_reports_sent (day, domain, report_id, sent_to, sent_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (day, domain) DO UPDATE SET report_id = $3, sent_to = $4, sent_at = $5",
    )
    .bind(day)
    .bind(domain)
    .bind(report_id)
    .bind(sent_to)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

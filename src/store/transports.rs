//! Queries on `transports`.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::error::Result;

#[derive(Debug, Clone, Serialize)]
pub struct Transport {
    pub domain: String,
    pub nexthop: String,
    /// The TLS level pinned for this route (`none`, `may`, `encrypt`, `verify`); None: MTA-STS
    /// decides, else `may`.
    pub tls: Option<String>,
    pub created_at: i64,
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Transport>> {
    let rows: Vec<(String, String, Option<String>, i64)> =
        sqlx::query_as("SELECT domain, nexthop, tls, created_at FROM transports").fetch_all(conn).await?;
    let mut out: Vec<Transport> = rows
        .into_iter()
        .map(|(domain, nexthop, tls, created_at)| Transport { domain, nexthop, tls, created_at })
        .collect();
    out.sort_by(|a, b| a.domain.cmp(&b.domain));
    Ok(out)
}

pub async fn insert(conn: &mut AnyConnection, t: &Transport) -> Result<()> {
    sqlx::query("INSERT INTO transports (domain, nexthop, tls, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&t.domain)
        .bind(&t.nexthop)
        .bind(&t.tls)
        .bind(t.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn update(conn: &mut AnyConnection, domain: &str, nexthop: &str, tls: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE transports SET nexthop = $1, tls = $2 WHERE domain = $3")
        .bind(nexthop)
        .bind(tls)
        .bind(domain)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, domain: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM transports WHERE domain = $1").bind(domain).execute(conn).await?;
    Ok(r.rows_affected() > 0)
}

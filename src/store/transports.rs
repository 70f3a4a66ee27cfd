//! Queries on `transports`.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::error::Result;

#[derive(Debug, Clone, Serialize)]
pub struct Transport {
    pub domain: String,
    pub nexthop: String,
    pub created_at: i64,
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Transport>> {
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT domain, nexthop, created_at FROM transports").fetch_all(conn).await?;
    let mut out: Vec<Transport> =
        rows.into_iter().map(|(domain, nexthop, created_at)| Transport { domain, nexthop, created_at }).collect();
    out.sort_by(|a, b| a.domain.cmp(&b.domain));
    Ok(out)
}

pub async fn insert(conn: &mut AnyConnection, t: &Transport) -> Result<()> {
    sqlx::query("INSERT INTO transports (domain, nexthop, created_at) VALUES ($1, $2, $3)")
        .bind(&t.domain)
        .bind(&t.nexthop)
        .bind(t.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn update(conn: &mut AnyConnection, domain: &str, nexthop: &str) -> Result<()> {
    sqlx::query("UPDATE transports SET nexthop = $1 WHERE domain = $2")
        .bind(nexthop)
        .bind(domain)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, domain: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM transports WHERE domain = $1").bind(domain).execute(conn).await?;
    Ok(r.rows_affected() > 0)
}

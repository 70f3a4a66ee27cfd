//! Queries on `dkim_keys`.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::error::Result;

#[derive(Debug, Clone, Serialize)]
pub struct DkimKey {
    pub domain: String,
    pub selector: String,
    pub algorithm: String,
    pub status: String,
    pub public_key: String,
    pub created_at: i64,
    pub changed_at: i64,
}

type Tuple = (String, String, String, String, String, i64, i64);
const COLUMNS: &str = "domain, selector, algorithm, status, public_key, created_at, changed_at";

fn from((domain, selector, algorithm, status, public_key, created_at, changed_at): Tuple) -> DkimKey {
    DkimKey { domain, selector, algorithm, status, public_key, created_at, changed_at }
}

pub async fn insert(conn: &mut AnyConnection, k: &DkimKey) -> Result<()> {
    sqlx::query(
        "INSERT INTO dkim_keys (domain, selector, algorithm, status, public_key, created_at, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&k.domain)
    .bind(&k.selector)
    .bind(&k.algorithm)
    .bind(&k.status)
    .bind(&k.public_key)
    .bind(k.created_at)
    .bind(k.changed_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Keys of one domain (or all), by domain then creation.
pub async fn list(conn: &mut AnyConnection, domain: Option<&str>) -> Result<Vec<DkimKey>> {
    let rows: Vec<Tuple> = match domain {
        Some(d) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM dkim_keys WHERE domain = $1")))
                .bind(d)
                .fetch_all(conn)
                .await?
        }
        None => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM dkim_keys"))).fetch_all(conn).await?,
    };
    let mut out: Vec<DkimKey> = rows.into_iter().map(from).collect();
    out.sort_by(|a, b| (&a.domain, a.created_at, &a.selector).cmp(&(&b.domain, b.created_at, &b.selector)));
    Ok(out)
}

pub async fn set_status(conn: &mut AnyConnection, domain: &str, selector: &str, status: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE dkim_keys SET status = $1, changed_at = $2 WHERE domain = $3 AND selector = $4")
        .bind(status)
        .bind(now)
        .bind(domain)
        .bind(selector)
        .execute(conn)
        .await?;
    Ok(())
}

//! Queries on `domains`.

use sqlx::{AnyConnection, Row};

use super::conn::Conn;
use super::models::Domain;
use crate::error::Result;
use crate::names::domain_unicode;

const SELECT: &str = "SELECT d.name, d.created_at, \
    (SELECT COUNT(*) FROM accounts a WHERE a.domain = d.name) AS accounts, \
    (SELECT COUNT(DISTINCT al.address) FROM aliases al WHERE al.domain = d.name) AS aliases \
    FROM domains d";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Domain> {
    let name: String = row.try_get("name")?;
    Ok(Domain {
        unicode: domain_unicode(&name),
        name,
        accounts: row.try_get("accounts")?,
        aliases: row.try_get("aliases")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, name: &str, now: i64) -> Result<()> {
    sqlx::query("INSERT INTO domains (name, created_at) VALUES ($1, $2)").bind(name).bind(now).execute(conn).await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, name: &str) -> Result<Option<Domain>> {
    let row =
        sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE d.name = $1"))).bind(name).fetch_optional(conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// Is this one of our domains? On any connection: SMTP asks on its session's thread
/// ([`crate::store::Store::read`]).
pub async fn exists<'c>(conn: impl Into<Conn<'c>>, name: &str) -> Result<bool> {
    let n: Option<i64> = conn.into().scalar("SELECT COUNT(*) FROM domains WHERE name = $1", &[name.into()]).await?;
    Ok(n.unwrap_or(0) > 0)
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Domain>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY d.name"))).fetch_all(conn).await?;
    let mut out: Vec<Domain> = rows.iter().map(from_row).collect::<Result<_>>()?;
    out.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

pub async fn delete(conn: &mut AnyConnection, name: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM domains WHERE name = $1").bind(name).execute(conn).await?;
    Ok(r.rows_affected() > 0)
}

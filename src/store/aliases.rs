//! Queries on `aliases`: one row per (alias address, destination).

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};

use super::conn::Conn;
use super::models::Alias;
use crate::error::Result;

/// Destinations of one alias address (empty when it does not exist).
pub async fn destinations<'c>(conn: impl Into<Conn<'c>>, address: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = conn
        .into()
        .fetch_all("SELECT destination FROM aliases WHERE address = $1 ORDER BY destination", &[address.into()])
        .await?;
    Ok(rows.into_iter().map(|(d,)| d).collect())
}

pub async fn insert(conn: &mut AnyConnection, address: &str, domain: &str, dest: &str, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO aliases (address, domain, destination, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (address, destination) DO NOTHING",
    )
    .bind(address)
    .bind(domain)
    .bind(dest)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Remove an alias, or only some of its destinations. Returns the rows removed.
pub async fn delete(conn: &mut AnyConnection, address: &str, dest: Option<&str>) -> Result<u64> {
    let r = sqlx::query("DELETE FROM aliases WHERE address = $1 AND ($2 IS NULL OR destination = $2)")
        .bind(address)
        .bind(dest)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

pub async fn delete_in_domain(conn: &mut AnyConnection, domain: &str) -> Result<u64> {
    let r = sqlx::query("DELETE FROM aliases WHERE domain = $1").bind(domain).execute(conn).await?;
    Ok(r.rows_affected())
}

/// Remove every destination in `domain` (from aliases anywhere).
pub async fn delete_destinations_in(conn: &mut AnyConnection, domain: &str) -> Result<u64> {
    // Domains are LDH A-labels, so the only LIKE wildcard that can occur is none; '_' cannot.
    let r =
        sqlx::query("DELETE FROM aliases WHERE destination LIKE $1").bind(format!("%@{domain}")).execute(conn).await?;
    Ok(r.rows_affected())
}

/// Alias addresses that have `dest` among their destinations.
pub async fn pointing_at(conn: &mut AnyConnection, dest: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT DISTINCT address FROM aliases WHERE destination = $1 ORDER BY address")
        .bind(dest)
        .fetch_all(conn)
        .await?)
}

/// All aliases, grouped by address, optionally in one domain.
pub async fn list(conn: &mut AnyConnection, domain: Option<&str>) -> Result<Vec<Alias>> {
    let rows = sqlx::query(
        "SELECT address, domain, destination, created_at FROM aliases WHERE ($1 IS NULL OR domain = $1) \
         ORDER BY domain, address, destination",
    )
    .bind(domain)
    .fetch_all(conn)
    .await?;
    let mut by_addr: BTreeMap<(String, String), Alias> = BTreeMap::new();
    for row in rows {
        let address: String = row.try_get("address")?;
        let domain: String = row.try_get("domain")?;
        let dest: String = row.try_get("destination")?;
        let created: i64 = row.try_get("created_at")?;
        let entry = by_addr.entry((domain.clone(), address.clone())).or_insert_with(|| Alias {
            catch_all: address.starts_with('@'),
            address,
            domain,
            destinations: vec![],
            created_at: created,
        });
        entry.created_at = entry.created_at.min(created);
        entry.destinations.push(dest);
    }
    Ok(by_addr.into_values().collect())
}

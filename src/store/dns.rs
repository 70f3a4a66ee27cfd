//! Queries on `dns_published`: the records `dns publish` put into each zone.

use std::collections::BTreeSet;

use sqlx::AnyConnection;

use crate::error::Result;

pub type Owned = BTreeSet<(String, String, String)>;

pub async fn published(conn: &mut AnyConnection, zone: &str) -> Result<Owned> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT name, rtype, value FROM dns_published WHERE zone = $1")
            .bind(zone)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Replace what is recorded for a zone, in one transaction.
pub async fn replace(store: &super::Store, zone: &str, records: &Owned, now: i64) -> Result<()> {
    let mut tx = store.begin_admin().await?;
    let conn: &mut AnyConnection = &mut tx;
    sqlx::query("DELETE FROM dns_published WHERE zone = $1").bind(zone).execute(&mut *conn).await?;
    for (name, rtype, value) in records {
        sqlx::query("INSERT INTO dns_published (zone, name, rtype, value, published_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(zone)
            .bind(name)
            .bind(rtype)
            .bind(value)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

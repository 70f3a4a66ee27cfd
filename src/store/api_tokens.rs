//! Queries on `api_tokens`: the admin API's tokens, kept as a hash of their secret.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::conn::Conn;
use crate::error::Result;

#[derive(Debug, Clone, Serialize)]
pub struct Token {
    pub id: i64,
    pub name: String,
    /// The public part of the token (`mctl_<prefix>_…`): it finds the row, it grants nothing.
    pub prefix: String,
    #[serde(skip)]
    pub secret_sha256: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, name, prefix, secret_sha256, scopes, created_at, expires_at, last_used_at, revoked_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Token> {
    let scopes: String = r.try_get("scopes")?;
    Ok(Token {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        prefix: r.try_get("prefix")?,
        secret_sha256: r.try_get("secret_sha256")?,
        scopes: split_scopes(&scopes),
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

pub struct NewToken<'a> {
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_sha256: &'a str,
    pub scopes: &'a str,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

pub async fn insert(conn: &mut AnyConnection, t: &NewToken<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (name, prefix, secret_sha256, scopes, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(t.name)
    .bind(t.prefix)
    .bind(t.secret_sha256)
    .bind(t.scopes)
    .bind(t.created_at)
    .bind(t.expires_at)
    .fetch_one(conn)
    .await?)
}

pub async fn by_name(conn: &mut AnyConnection, name: &str) -> Result<Option<Token>> {
    let q = format!("SELECT {COLUMNS} FROM api_tokens WHERE name = $1");
    sqlx::query(sqlx::AssertSqlSafe(q)).bind(name).fetch_optional(conn).await?.as_ref().map(from_row).transpose()
}

/// The token whose public part is `prefix`, on either connection (the API asks at every call).
pub async fn by_prefix<'c>(conn: impl Into<Conn<'c>>, prefix: &str) -> Result<Option<Token>> {
    type Row = (i64, String, String, String, String, i64, Option<i64>, Option<i64>, Option<i64>);
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE prefix = $1");
    let row: Option<Row> = conn.into().fetch_optional(&sql, &[prefix.into()]).await?;
    Ok(row.map(|(id, name, prefix, secret_sha256, scopes, created_at, expires_at, last_used_at, revoked_at)| Token {
        id,
        name,
        prefix,
        secret_sha256,
        scopes: split_scopes(&scopes),
        created_at,
        expires_at,
        last_used_at,
        revoked_at,
    }))
}

fn split_scopes(s: &str) -> Vec<String> {
    s.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Token>> {
    let q = format!("SELECT {COLUMNS} FROM api_tokens ORDER BY name");
    sqlx::query(sqlx::AssertSqlSafe(q)).fetch_all(conn).await?.iter().map(from_row).collect()
}

/// Tokens that can still be used now.
pub async fn any_usable(conn: &mut AnyConnection, now: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)",
    )
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

pub async fn revoke(conn: &mut AnyConnection, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn touch(conn: &mut AnyConnection, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(id).execute(conn).await?;
    Ok(())
}

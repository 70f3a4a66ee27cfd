//! Queries on `filter_rules`: the allow and block lists of inbound mail.

use serde::Serialize;
use sqlx::AnyConnection;

use super::conn::Conn;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// `user@domain` or `@domain`, lowercase.
    pub pattern: String,
    /// The account it applies to; empty for every account.
    pub account: String,
    /// `allow` or `block`.
    pub kind: String,
    pub created_at: i64,
}

type Tuple = (String, String, String, i64);

fn from((pattern, account, kind, created_at): Tuple) -> Rule {
    Rule { pattern, account, kind, created_at }
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Rule>> {
    let rows: Vec<Tuple> =
        sqlx::query_as("SELECT pattern, account, kind, created_at FROM filter_rules ORDER BY account, pattern")
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(from).collect())
}

/// Insert or replace the rule for (pattern, account).
pub async fn put(conn: &mut AnyConnection, r: &Rule) -> Result<()> {
    sqlx::query("DELETE FROM filter_rules WHERE pattern = $1 AND account = $2")
        .bind(&r.pattern)
        .bind(&r.account)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO filter_rules (pattern, account, kind, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&r.pattern)
        .bind(&r.account)
        .bind(&r.kind)
        .bind(r.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, pattern: &str, account: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM filter_rules WHERE pattern = $1 AND account = $2")
        .bind(pattern)
        .bind(account)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// The rules that match a sender (its address or its @domain), for any account.
pub async fn matching(conn: &mut Conn<'_>, sender: &str, domain: &str) -> Result<Vec<Rule>> {
    let at_domain = format!("@{domain}");
    let rows: Vec<Tuple> = conn
        .fetch_all(
            "SELECT pattern, account, kind, created_at FROM filter_rules WHERE pattern = $1 OR pattern = $2",
            &[sender.into(), at_domain.as_str().into()],
        )
        .await?;
    Ok(rows.into_iter().map(from).collect())
}

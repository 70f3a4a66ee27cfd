//! Queries on `accounts`.

use sqlx::AnyConnection;

use super::conn::{Conn, FromRow, RowAt};

use super::models::{Account, Status};
use crate::error::Result;
use crate::tier::Tier;

const COLUMNS: &str = "id, address, local_part, domain, tier, owner, password_hash, quota_bytes, quota_custom, \
    used_bytes, used_messages, status, lapsed_tier, created_at, updated_at, last_login_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Account> {
    decode(row)
}

/// An account from a row of [`COLUMNS`], on either connection.
fn decode(r: &impl RowAt) -> Result<Account> {
    let tier: String = r.at(4)?;
    let quota: Option<i64> = r.at(7)?;
    let custom: i64 = r.at(8)?;
    let used: i64 = r.at(9)?;
    let msgs: i64 = r.at(10)?;
    let status: String = r.at(11)?;
    let mailbox_tier = Tier::parse(&tier)?;
    let lapsed = r.at::<Option<String>>(12)?.map(|t| Tier::parse(&t)).transpose()?;
    let admin_status = Status::parse(&status)?;
    let suspended_reason = match (admin_status, lapsed) {
        (Status::Suspended, _) => Some("admin"),
        (Status::Active, Some(_)) => Some("tier"),
        (Status::Active, None) => None,
    };
    Ok(Account {
        id: r.at(0)?,
        address: r.at(1)?,
        local_part: r.at(2)?,
        domain: r.at(3)?,
        tier: lapsed.unwrap_or(mailbox_tier),
        mailbox_tier,
        owner: r.at(5)?,
        password_hash: r.at(6)?,
        quota_bytes: quota.map(|q| q.max(0) as u64),
        quota_custom: custom != 0,
        used_bytes: used.max(0) as u64,
        messages: msgs.max(0) as u64,
        status: if suspended_reason.is_some() { Status::Suspended } else { Status::Active },
        suspended_reason,
        admin_status,
        created_at: r.at(13)?,
        updated_at: r.at(14)?,
        last_login_at: r.at(15)?,
    })
}

impl FromRow for Account {
    fn any(row: &sqlx::any::AnyRow) -> Result<Self> {
        decode(row)
    }
    fn sqlite(row: &rusqlite::Row<'_>) -> Result<Self> {
        decode(row)
    }
}

/// What `insert` needs.
pub struct NewRow<'a> {
    pub address: &'a str,
    pub local_part: &'a str,
    pub domain: &'a str,
    pub tier: Tier,
    pub owner: Option<&'a str>,
    pub password_hash: &'a str,
    pub quota_bytes: Option<i64>,
    pub quota_custom: bool,
    pub now: i64,
}

/// Insert an account with its INBOX, so delivery finds the INBOX and never has to make it.
pub async fn insert(conn: &mut AnyConnection, n: &NewRow<'_>) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (address, local_part, domain, tier, owner, password_hash, quota_bytes, quota_custom, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(n.address)
    .bind(n.local_part)
    .bind(n.domain)
    .bind(n.tier.as_str())
    .bind(n.owner)
    .bind(n.password_hash)
    .bind(n.quota_bytes)
    .bind(n.quota_custom as i64)
    .bind(n.now)
    .fetch_one(&mut *conn)
    .await?;
    super::messages::ensure_mailbox(conn, id, "INBOX").await?;
    Ok(id)
}

pub async fn get(conn: &mut AnyConnection, address: &str) -> Result<Option<Account>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM accounts WHERE address = $1")))
        .bind(address)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<Account>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM accounts WHERE id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// What delivery needs of an account, read once per recipient: ids, quota and usage, and
/// its INBOX (None only for accounts made before every account got one at creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub id: i64,
    pub address: String,
    pub local_part: String,
    pub domain: String,
    pub quota_bytes: Option<u64>,
    pub used_bytes: u64,
    pub inbox: Option<i64>,
    /// Moved to guest or free: no mailbox until it moves back up.
    pub lapsed: bool,
    /// Its vacation reply is turned on (its dates are checked when answering).
    pub away: bool,
}

pub async fn target<'c>(conn: impl Into<Conn<'c>>, address: &str) -> Result<Option<Target>> {
    type Tuple = (i64, String, String, String, Option<i64>, i64, Option<i64>, Option<String>, i64);
    let row: Option<Tuple> = conn
        .into()
        .fetch_optional(
            "SELECT id, address, local_part, domain, quota_bytes, used_bytes, \
             (SELECT m.id FROM mailboxes m WHERE m.account_id = accounts.id AND m.name = 'INBOX'), lapsed_tier, \
             (SELECT COUNT(*) FROM vacations v WHERE v.account_id = accounts.id AND v.enabled = 1) \
             FROM accounts WHERE address = $1",
            &[address.into()],
        )
        .await?;
    Ok(row.map(|(id, address, local_part, domain, quota, used, inbox, lapsed, away)| Target {
        id,
        address,
        local_part,
        domain,
        quota_bytes: quota.map(|q| q.max(0) as u64),
        used_bytes: used.max(0) as u64,
        inbox,
        lapsed: lapsed.is_some(),
        away: away > 0,
    }))
}

/// What a page of accounts is chosen by.
#[derive(Debug, Default)]
pub struct PageFilter<'a> {
    pub domain: Option<&'a str>,
    /// The tier in effect (a lapsed account counts as guest or free).
    pub tier: Option<Tier>,
    pub suspended: Option<bool>,
    pub owner: Option<&'a str>,
}

/// Up to `limit` accounts after `after` (an address) in address order: keyset pagination,
/// as fast on the last page as on the first.
pub async fn page<'c>(conn: impl Into<Conn<'c>>, f: &PageFilter<'_>, after: &str, limit: i64) -> Result<Vec<Account>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM accounts WHERE address > $1 AND ($2 IS NULL OR domain = $2) \
         AND ($3 IS NULL OR COALESCE(lapsed_tier, tier) = $3) AND ($4 IS NULL OR owner = $4) \
         AND ($5 IS NULL OR (CASE WHEN status = 'suspended' OR lapsed_tier IS NOT NULL THEN 1 ELSE 0 END) = $5) \
         ORDER BY address LIMIT $6"
    );
    let args = [
        after.into(),
        f.domain.into(),
        f.tier.map(|t| t.as_str()).into(),
        f.owner.into(),
        f.suspended.map(i64::from).into(),
        limit.into(),
    ];
    conn.into().fetch_all(&sql, &args).await
}

/// Accounts, optionally of one domain and/or tier, ordered by domain then address.
pub async fn list(conn: &mut AnyConnection, domain: Option<&str>, tier: Option<Tier>) -> Result<Vec<Account>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE ($1 IS NULL OR domain = $1) AND ($2 IS NULL OR COALESCE(lapsed_tier, tier) = $2) \
         ORDER BY domain, address"
    )))
    .bind(domain)
    .bind(tier.map(|t| t.as_str()))
    .fetch_all(conn)
    .await?;
    let mut out: Vec<Account> = rows.iter().map(from_row).collect::<Result<_>>()?;
    // Byte order, the same on both backends whatever PostgreSQL's collation.
    out.sort_unstable_by(|a, b| (&a.domain, &a.address).cmp(&(&b.domain, &b.address)));
    Ok(out)
}

pub async fn count_in_domain(conn: &mut AnyConnection, domain: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE domain = $1").bind(domain).fetch_one(conn).await?)
}

pub async fn set_password(conn: &mut Conn<'_>, id: i64, hash: &str, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3",
        &[hash.into(), now.into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Set a tier with a mailbox and its quota (a lapse to guest or free ends).
pub async fn set_tier(conn: &mut AnyConnection, id: i64, tier: Tier, quota: Option<i64>, now: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET tier = $1, lapsed_tier = NULL, quota_bytes = $2, updated_at = $3 WHERE id = $4")
        .bind(tier.as_str())
        .bind(quota)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Move to guest or free: `tier` and the quota stay as they were, for the way back.
pub async fn set_lapsed(conn: &mut AnyConnection, id: i64, tier: Tier, now: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET lapsed_tier = $1, updated_at = $2 WHERE id = $3")
        .bind(tier.as_str())
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_status(conn: &mut AnyConnection, id: i64, status: Status, now: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_quota(conn: &mut AnyConnection, id: i64, quota: Option<i64>, custom: bool, now: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET quota_bytes = $1, quota_custom = $2, updated_at = $3 WHERE id = $4")
        .bind(quota)
        .bind(custom as i64)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_usage(conn: &mut AnyConnection, id: i64, bytes: i64, messages: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET used_bytes = $1, used_messages = $2 WHERE id = $3")
        .bind(bytes)
        .bind(messages)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Add (or with negative values, remove) usage atomically, for delivery and expunge.
/// Set the usage of one account (or of all, `None`) to the sum of its messages' rows, in one
/// statement (so a delivery committing meanwhile is either counted or adds itself after).
pub async fn recount_usage(conn: &mut AnyConnection, only: Option<i64>) -> Result<()> {
    let of_account = "FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.account_id = accounts.id";
    let sql = format!(
        "UPDATE accounts SET used_bytes = (SELECT CAST(COALESCE(SUM(m.size), 0) AS BIGINT) {of_account}), \
         used_messages = (SELECT COUNT(*) {of_account}){}",
        if only.is_some() { " WHERE id = $1" } else { "" }
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql));
    match only {
        Some(id) => q.bind(id).execute(conn).await?,
        None => q.execute(conn).await?,
    };
    Ok(())
}

pub async fn add_usage(conn: &mut Conn<'_>, id: i64, bytes: i64, messages: i64) -> Result<()> {
    conn.execute(
        "UPDATE accounts SET \
         used_bytes = CASE WHEN used_bytes + $1 < 0 THEN 0 ELSE used_bytes + $1 END, \
         used_messages = CASE WHEN used_messages + $2 < 0 THEN 0 ELSE used_messages + $2 END \
         WHERE id = $3",
        &[bytes.into(), messages.into(), id.into()],
    )
    .await?;
    Ok(())
}

/// An account's quota (None: unlimited) and the bytes it uses; None when there is no such account.
pub async fn usage(conn: &mut Conn<'_>, id: i64) -> Result<Option<(Option<i64>, i64)>> {
    conn.fetch_optional("SELECT quota_bytes, used_bytes FROM accounts WHERE id = $1", &[id.into()]).await
}

/// Charge a delivery to an account's usage if it fits the quota; false when it does not.
pub async fn charge(conn: &mut Conn<'_>, id: i64, bytes: i64) -> Result<bool> {
    let changed = conn
        .execute(
            "UPDATE accounts SET used_bytes = used_bytes + $1, used_messages = used_messages + 1 \
             WHERE id = $2 AND (quota_bytes IS NULL OR used_bytes + $1 <= quota_bytes)",
            &[bytes.into(), id.into()],
        )
        .await?;
    Ok(changed == 1)
}

pub async fn record_login(conn: &mut Conn<'_>, id: i64, now: i64) -> Result<()> {
    conn.execute("UPDATE accounts SET last_login_at = $1 WHERE id = $2", &[now.into(), id.into()]).await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM accounts WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

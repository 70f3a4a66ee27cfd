//! Queries on an account's mailboxes (folders) and subscriptions, for IMAP.

use sqlx::AnyConnection;

use super::conn::Conn;

use crate::error::Result;

#[derive(Debug, Clone)]
pub struct Mailbox {
    pub id: i64,
    pub name: String,
    pub uidvalidity: i64,
    pub uidnext: i64,
    pub highestmodseq: i64,
    /// UIDs up to this one have been reported as \Recent to some session.
    pub recent_uid: i64,
}

type Tuple = (i64, String, i64, i64, i64, i64);
const COLUMNS: &str = "id, name, uidvalidity, uidnext, highestmodseq, recent_uid";

fn from((id, name, uidvalidity, uidnext, highestmodseq, recent_uid): Tuple) -> Mailbox {
    Mailbox { id, name, uidvalidity, uidnext, highestmodseq, recent_uid }
}

/// An account's mailboxes, by name (byte order).
pub async fn list(conn: &mut AnyConnection, account_id: i64) -> Result<Vec<Mailbox>> {
    let sql = format!("SELECT {COLUMNS} FROM mailboxes WHERE account_id = $1");
    let rows: Vec<Tuple> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).fetch_all(conn).await?;
    let mut out: Vec<Mailbox> = rows.into_iter().map(from).collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

pub async fn get(conn: &mut Conn<'_>, account_id: i64, name: &str) -> Result<Option<Mailbox>> {
    let sql = format!("SELECT {COLUMNS} FROM mailboxes WHERE account_id = $1 AND name = $2");
    let row: Option<Tuple> = conn.fetch_optional(&sql, &[account_id.into(), name.into()]).await?;
    Ok(row.map(from))
}

pub async fn by_id(conn: &mut Conn<'_>, id: i64) -> Result<Option<Mailbox>> {
    let sql = format!("SELECT {COLUMNS} FROM mailboxes WHERE id = $1");
    let row: Option<Tuple> = conn.fetch_optional(&sql, &[id.into()]).await?;
    Ok(row.map(from))
}

/// Remove a mailbox and its messages from the index; returns (bytes, messages) it held.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<(i64, i64)> {
    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast it back.
    let (bytes, count): (i64, i64) =
        sqlx::query_as("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT), COUNT(*) FROM messages WHERE mailbox_id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query("DELETE FROM messages WHERE mailbox_id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM expunged WHERE mailbox_id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM mailboxes WHERE id = $1").bind(id).execute(conn).await?;
    Ok((bytes, count))
}

/// Rename a mailbox (and, when `with_children`, the names below it). A renamed mailbox
/// gets a new UIDVALIDITY, as RFC 3501 asks of a name reused for different content.
pub async fn rename(conn: &mut AnyConnection, account_id: i64, from: &str, to: &str, delim: char) -> Result<()> {
    let all = list(conn, account_id).await?;
    let prefix = format!("{from}{delim}");
    for m in all {
        let new = if m.name == from {
            to.to_string()
        } else if let Some(rest) = m.name.strip_prefix(&prefix) {
            format!("{to}{delim}{rest}")
        } else {
            continue;
        };
        let validity = super::messages::next_uidvalidity(conn, account_id).await?;
        sqlx::query("UPDATE mailboxes SET name = $1, uidvalidity = $2 WHERE id = $3")
            .bind(new)
            .bind(validity)
            .bind(m.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Messages no session has claimed as \Recent yet (STATUS RECENT).
pub async fn unclaimed_recent(conn: &mut AnyConnection, m: &Mailbox) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE mailbox_id = $1 AND uid > $2")
        .bind(m.id)
        .bind(m.recent_uid)
        .fetch_one(conn)
        .await?)
}

/// Claim the messages up to `upto` as \Recent for the calling session: returns the UIDs it
/// is the first to claim, `(first, last)`, or None when other sessions hold them all. A
/// compare-and-set on `recent_uid`, first against `held` (its value as the caller last read
/// it, right unless another session claimed since: one statement), then against the value
/// read again, retried while other sessions claim at the same moment, so no two sessions ever
/// hold one message (RFC 3501 §2.3.2).
pub async fn claim_recent(conn: &mut Conn<'_>, id: i64, held: i64, upto: i64) -> Result<Option<(i64, i64)>> {
    let mut guess = Some(held);
    // Each failed attempt means another session advanced the counter; after a few, it is
    // theirs to report.
    for _ in 0..8 {
        let held = match guess.take() {
            Some(h) => Some(h),
            None => conn.scalar("SELECT recent_uid FROM mailboxes WHERE id = $1", &[id.into()]).await?,
        };
        let Some(held) = held.filter(|&h| h < upto) else { return Ok(None) };
        let claimed = conn
            .execute(
                "UPDATE mailboxes SET recent_uid = $1 WHERE id = $2 AND recent_uid = $3",
                &[upto.into(), id.into(), held.into()],
            )
            .await?;
        if claimed == 1 {
            return Ok(Some((held + 1, upto)));
        }
    }
    Ok(None)
}

/// A mailbox's counts: (messages, unseen, \Deleted, bytes), summed by the database per
/// distinct flag set (one index range, a few groups back, however large the mailbox; the
/// index `messages_mailbox_flags` covers it), then per flag here.
pub async fn counts(conn: &mut AnyConnection, id: i64) -> Result<(i64, i64, i64, i64)> {
    let groups: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT flags, COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM messages WHERE mailbox_id = $1 GROUP BY flags",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    let (mut n, mut unseen, mut deleted, mut bytes) = (0, 0, 0, 0);
    for (flags, count, size) in groups {
        let f = super::maildir::Flags::from_index(&flags);
        n += count;
        bytes += size;
        if !f.contains_atom("\\Seen") {
            unseen += count;
        }
        if f.contains_atom("\\Deleted") {
            deleted += count;
        }
    }
    Ok((n, unseen, deleted, bytes))
}

pub async fn subscriptions(conn: &mut AnyConnection, account_id: i64) -> Result<Vec<String>> {
    let mut v: Vec<String> = sqlx::query_scalar("SELECT name FROM subscriptions WHERE account_id = $1")
        .bind(account_id)
        .fetch_all(conn)
        .await?;
    v.sort();
    Ok(v)
}

pub async fn subscribe(conn: &mut AnyConnection, account_id: i64, name: &str, on: bool) -> Result<()> {
    let sql = if on {
        "INSERT INTO subscriptions (account_id, name) VALUES ($1, $2) ON CONFLICT (account_id, name) DO NOTHING"
    } else {
        "DELETE FROM subscriptions WHERE account_id = $1 AND name = $2"
    };
    sqlx::query(sql).bind(account_id).bind(name).execute(conn).await?;
    Ok(())
}

/// Raise a mailbox's UIDNEXT to `at_least` (never lower it: a UID once given is never given
/// again).
pub async fn raise_uidnext(conn: &mut AnyConnection, id: i64, at_least: i64) -> Result<()> {
    sqlx::query("UPDATE mailboxes SET uidnext = $2 WHERE id = $1 AND uidnext < $2")
        .bind(id)
        .bind(at_least)
        .execute(conn)
        .await?;
    Ok(())
}

/// A mailbox with where its files are: what the full-text indexer follows.
#[derive(Debug, Clone)]
pub struct Owned {
    pub mailbox: Mailbox,
    pub account_id: i64,
    pub local_part: String,
    pub domain: String,
}

type OwnedTuple = (i64, String, i64, i64, i64, i64, i64, String, String);

/// Every mailbox (`id` None) or one, with its account and address.
pub async fn owned(conn: &mut AnyConnection, id: Option<i64>) -> Result<Vec<Owned>> {
    let sql = "SELECT m.id, m.name, m.uidvalidity, m.uidnext, m.highestmodseq, m.recent_uid, \
               m.account_id, a.local_part, a.domain FROM mailboxes m JOIN accounts a ON a.id = m.account_id \
               WHERE $1 = 0 OR m.id = $1";
    let rows: Vec<OwnedTuple> = sqlx::query_as(sql).bind(id.unwrap_or(0)).fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, v, n, h, r, account_id, local_part, domain)| Owned {
            mailbox: from((id, name, v, n, h, r)),
            account_id,
            local_part,
            domain,
        })
        .collect())
}

//! Queries on the mail index: `mailboxes` and `messages`.

use sqlx::AnyConnection;

use super::conn::{Arg, Conn};

use crate::error::Result;
use crate::proto::imap::sort;
use crate::store::maildir::Flags;

/// The id of an account's mailbox, created on first use with a fresh UIDVALIDITY.
pub async fn ensure_mailbox(conn: &mut AnyConnection, account_id: i64, name: &str) -> Result<i64> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM mailboxes WHERE account_id = $1 AND name = $2")
        .bind(account_id)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    let validity = next_uidvalidity(conn, account_id).await?;
    sqlx::query(
        "INSERT INTO mailboxes (account_id, name, uidvalidity) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, name) DO NOTHING",
    )
    .bind(account_id)
    .bind(name)
    .bind(validity)
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_scalar("SELECT id FROM mailboxes WHERE account_id = $1 AND name = $2")
        .bind(account_id)
        .bind(name)
        .fetch_one(conn)
        .await?)
}

/// A UIDVALIDITY for a new (or renamed) mailbox: never one the account has given out
/// before, so a name deleted and created again cannot be confused with its past (RFC 3501
/// §2.3.1.1); the time when that is larger.
pub async fn next_uidvalidity(conn: &mut AnyConnection, account_id: i64) -> Result<i64> {
    let last: i64 = sqlx::query_scalar("SELECT last_uidvalidity FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(0);
    let highest: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(uidvalidity), 0) FROM mailboxes WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(&mut *conn)
        .await?;
    let v = super::now().max(last + 1).max(highest + 1);
    sqlx::query("UPDATE accounts SET last_uidvalidity = $1 WHERE id = $2")
        .bind(v)
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(v)
}

/// What FETCH, SORT and THREAD would otherwise compute from the file: the ENVELOPE and the
/// BODYSTRUCTURE (IMAP syntax) and the sort fields, computed from the bytes in memory at
/// delivery and APPEND and written with the row, and by `mailbox reindex` from the files.
/// Rows indexed before they were stored have none; readers compute those from the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Derived {
    pub envelope: Option<Vec<u8>>,
    pub bodystructure: Option<Vec<u8>>,
    pub sort: Option<sort::Fields>,
}

impl Derived {
    /// All of it is stored.
    pub fn complete(&self) -> bool {
        self.envelope.is_some() && self.bodystructure.is_some() && self.sort.is_some()
    }
}

fn sort_to_text(f: &Option<sort::Fields>) -> Option<String> {
    f.as_ref().and_then(|f| serde_json::to_string(f).ok())
}

/// A stored value that does not parse (written by a future version, or damaged) counts as
/// missing: the reader computes it from the file.
fn sort_from_text(t: Option<String>) -> Option<sort::Fields> {
    t.and_then(|t| serde_json::from_str(&t).ok())
}

/// Index a delivered message: take the next UID and modseq of the mailbox.
pub async fn append(
    conn: &mut Conn<'_>,
    mailbox_id: i64,
    filename: &str,
    size: i64,
    internal_date: i64,
    flags: &Flags,
    derived: &Derived,
) -> Result<i64> {
    let (uid, modseq): (i64, i64) = conn
        .fetch_one(
            "UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1 WHERE id = $1 \
             RETURNING uidnext - 1, highestmodseq",
            &[mailbox_id.into()],
        )
        .await?;
    let (flags, sort) = (flags.to_index(), sort_to_text(&derived.sort));
    conn.execute(
        "INSERT INTO messages (mailbox_id, uid, filename, size, internal_date, flags, modseq, envelope, \
         bodystructure, sort_fields) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            mailbox_id.into(),
            uid.into(),
            filename.into(),
            size.into(),
            internal_date.into(),
            (&flags).into(),
            modseq.into(),
            derived.envelope.as_deref().into(),
            derived.bodystructure.as_deref().into(),
            sort.as_deref().into(),
        ],
    )
    .await?;
    Ok(uid)
}

/// Messages indexed in an account's mailbox (for tests and tools).
pub async fn count(conn: &mut AnyConnection, account_id: i64, name: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id \
         WHERE b.account_id = $1 AND b.name = $2",
    )
    .bind(account_id)
    .bind(name)
    .fetch_one(conn)
    .await?)
}

/// Is a Maildir file (by base name) indexed for this account?
pub async fn has_file(conn: &mut AnyConnection, account_id: i64, filename: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id \
         WHERE b.account_id = $1 AND m.filename = $2",
    )
    .bind(account_id)
    .bind(filename)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// A mailbox's id and UIDVALIDITY.
pub async fn mailbox(conn: &mut AnyConnection, account_id: i64, name: &str) -> Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT id, uidvalidity FROM mailboxes WHERE account_id = $1 AND name = $2")
        .bind(account_id)
        .bind(name)
        .fetch_optional(conn)
        .await?)
}

/// An indexed message, as listings need it.
#[derive(Debug, Clone)]
pub struct Indexed {
    pub uid: i64,
    pub filename: String,
    pub size: i64,
    pub flags: Flags,
    /// Its ENVELOPE, BODYSTRUCTURE and sort fields are stored.
    pub derived: bool,
}

/// A mailbox's messages in UID order.
pub async fn list(conn: &mut AnyConnection, mailbox_id: i64) -> Result<Vec<Indexed>> {
    received_since(conn, mailbox_id, i64::MIN).await
}

/// A mailbox's messages received (internal date) at or after `since`, Unix time, in UID order.
pub async fn received_since(conn: &mut AnyConnection, mailbox_id: i64, since: i64) -> Result<Vec<Indexed>> {
    let rows: Vec<(i64, String, i64, String, i64)> = sqlx::query_as(
        "SELECT uid, filename, size, flags, \
         CASE WHEN envelope IS NULL OR bodystructure IS NULL OR sort_fields IS NULL THEN 0 ELSE 1 END \
         FROM messages WHERE mailbox_id = $1 AND internal_date >= $2 ORDER BY uid",
    )
    .bind(mailbox_id)
    .bind(since)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(uid, filename, size, flags, derived)| Indexed {
            uid,
            filename,
            size,
            flags: Flags::from_index(&flags),
            derived: derived != 0,
        })
        .collect())
}

/// A page of a mailbox's messages, newest (highest UID) first: those below `before` (a UID),
/// at most `limit`. One index range read, however large the mailbox.
pub async fn newest(conn: &mut AnyConnection, mailbox_id: i64, before: i64, limit: i64) -> Result<Vec<Indexed>> {
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT uid, filename, size, flags FROM messages WHERE mailbox_id = $1 AND uid < $2 \
         ORDER BY uid DESC LIMIT $3",
    )
    .bind(mailbox_id)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(uid, filename, size, flags)| Indexed {
            uid,
            filename,
            size,
            flags: Flags::from_index(&flags),
            derived: true,
        })
        .collect())
}

/// Store a message's ENVELOPE, BODYSTRUCTURE and sort fields (reindexing mail that has
/// none). Derived data changes nothing a client sees, so no modseq is taken.
pub async fn set_derived(conn: &mut AnyConnection, mailbox_id: i64, uid: i64, derived: &Derived) -> Result<()> {
    sqlx::query(
        "UPDATE messages SET envelope = $1, bodystructure = $2, sort_fields = $3 WHERE mailbox_id = $4 AND uid = $5",
    )
    .bind(derived.envelope.as_deref())
    .bind(derived.bodystructure.as_deref())
    .bind(sort_to_text(&derived.sort))
    .bind(mailbox_id)
    .bind(uid)
    .execute(conn)
    .await?;
    Ok(())
}

/// Remove one message from the index (with a tombstone for IMAP); the caller removes the file
/// and fixes usage.
pub async fn delete(conn: &mut Conn<'_>, mailbox_id: i64, uid: i64) -> Result<bool> {
    let modseq = next_modseq(conn, mailbox_id).await?;
    Ok(delete_with(conn, mailbox_id, &[uid], modseq).await? > 0)
}

/// Hold a mailbox until the transaction ends (PostgreSQL locks its row; SQLite's write lock is
/// held already): a read-then-write of its messages cannot lose a concurrent change. Takes no
/// modseq.
pub async fn hold_mailbox(conn: &mut Conn<'_>, mailbox_id: i64) -> Result<()> {
    match conn {
        Conn::Any(c) if c.backend_name() != "SQLite" => {
            conn.execute("UPDATE mailboxes SET highestmodseq = highestmodseq WHERE id = $1", &[mailbox_id.into()])
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Take the next modseq of a mailbox (one per transaction that changes it).
pub async fn next_modseq(conn: &mut Conn<'_>, mailbox_id: i64) -> Result<i64> {
    conn.fetch_one(
        "UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = $1 RETURNING highestmodseq",
        &[mailbox_id.into()],
    )
    .await
    .map(|(m,)| m)
}

/// [`next_modseq`], with the mailbox's name; None when the mailbox is gone.
pub async fn next_modseq_named(conn: &mut Conn<'_>, mailbox_id: i64) -> Result<Option<(i64, String)>> {
    conn.fetch_optional(
        "UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = $1 RETURNING highestmodseq, name",
        &[mailbox_id.into()],
    )
    .await
}

/// Remove messages from the index under a modseq the caller took (see [`next_modseq`]),
/// leaving tombstones (QRESYNC VANISHED, EXPUNGE to other sessions); a few hundred rows per
/// statement. Returns how many rows went.
pub async fn delete_with(conn: &mut Conn<'_>, mailbox_id: i64, uids: &[i64], modseq: i64) -> Result<u64> {
    let mut n = 0;
    for part in uids.chunks(500) {
        let list: Vec<String> = part.iter().map(|u| u.to_string()).collect();
        let list = list.join(",");
        n += conn
            .execute(&format!("DELETE FROM messages WHERE mailbox_id = $1 AND uid IN ({list})"), &[mailbox_id.into()])
            .await?;
        let values: Vec<String> = part.iter().map(|u| format!("($1, {u}, $2)")).collect();
        conn.execute(
            &format!(
                "INSERT INTO expunged (mailbox_id, uid, modseq) VALUES {} \
                 ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq",
                values.join(",")
            ),
            &[mailbox_id.into(), modseq.into()],
        )
        .await?;
    }
    Ok(n)
}

/// Write flags under a modseq the caller took.
pub async fn write_flags(conn: &mut Conn<'_>, mailbox_id: i64, changes: &[(i64, Flags)], modseq: i64) -> Result<()> {
    for (uid, flags) in changes {
        let flags = flags.to_index();
        conn.execute(
            "UPDATE messages SET flags = $1, modseq = $2 WHERE mailbox_id = $3 AND uid = $4",
            &[(&flags).into(), modseq.into(), mailbox_id.into(), (*uid).into()],
        )
        .await?;
    }
    Ok(())
}

/// A message's index row, as IMAP needs it.
#[derive(Debug, Clone)]
pub struct Row {
    pub uid: i64,
    pub filename: String,
    pub size: i64,
    pub internal_date: i64,
    pub flags: Flags,
    pub modseq: i64,
    /// ENVELOPE, BODYSTRUCTURE and sort fields, when asked for and stored.
    pub derived: Derived,
}

type RowTuple = (i64, String, i64, i64, String, i64, Option<Vec<u8>>, Option<Vec<u8>>, Option<String>);

fn row((uid, filename, size, internal_date, flags, modseq, envelope, bodystructure, sort): RowTuple) -> Row {
    let flags = Flags::from_index(&flags);
    let derived = Derived { envelope, bodystructure, sort: sort_from_text(sort) };
    Row { uid, filename, size, internal_date, flags, modseq, derived }
}

/// The sort fields of these UIDs (ascending), in UID order, for SORT and THREAD; None where
/// not stored. Only these UIDs' fields are parsed: a range query also returns the rows
/// between them (see [`uid_filter`]), which are left out.
pub async fn sort_fields(
    conn: &mut Conn<'_>,
    mailbox_id: i64,
    uids: &[i64],
) -> Result<Vec<(i64, Option<sort::Fields>)>> {
    let Some((filter, range)) = uid_filter(uids) else { return Ok(vec![]) };
    let sql = format!("SELECT uid, sort_fields FROM messages WHERE mailbox_id = $1 AND {filter} ORDER BY uid");
    let rows: Vec<(i64, Option<String>)> = conn.fetch_all(&sql, &mailbox_args(mailbox_id, range)).await?;
    Ok(rows
        .into_iter()
        .filter(|(uid, _)| uids.binary_search(uid).is_ok())
        .map(|(uid, t)| (uid, sort_from_text(t)))
        .collect())
}

/// Every message of a mailbox as (UID, flags), in UID order: the least a listing of all
/// needs.
pub async fn uid_flags(conn: &mut AnyConnection, mailbox_id: i64) -> Result<Vec<(i64, Flags)>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT uid, flags FROM messages WHERE mailbox_id = $1 ORDER BY uid")
        .bind(mailbox_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(uid, f)| (uid, Flags::from_index(&f))).collect())
}

/// The stored ENVELOPEs of a mailbox's newest `limit` messages (rows without one left out).
pub async fn envelopes(conn: &mut AnyConnection, mailbox_id: i64, limit: i64) -> Result<Vec<Vec<u8>>> {
    Ok(sqlx::query_scalar(
        "SELECT envelope FROM messages WHERE mailbox_id = $1 AND envelope IS NOT NULL ORDER BY uid DESC LIMIT $2",
    )
    .bind(mailbox_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Which of a row's stored derivations a read brings (each costs: the sort fields are JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cols {
    /// None of them.
    Light,
    /// ENVELOPE, BODYSTRUCTURE and the sort fields (COPY, which keeps them all).
    All,
}

/// Rows for these UIDs (ascending), in UID order, with the derivations `cols` names.
pub async fn rows_for(conn: &mut Conn<'_>, mailbox_id: i64, uids: &[i64], cols: Cols) -> Result<Vec<Row>> {
    let Some((filter, range)) = uid_filter(uids) else { return Ok(vec![]) };
    select(conn, mailbox_id, &filter, range, cols, None).await
}

/// The condition that picks these UIDs (ascending), with `$2`/`$3` bound to the range when
/// one is given; None for no UIDs. A few UIDs are looked up by value, many by their range: a
/// range query's text never changes, so its prepared statement is reused; an IN list is only
/// worth its prepare for a few UIDs spread over a wide range.
fn uid_filter(uids: &[i64]) -> Option<(String, Option<(i64, i64)>)> {
    let (&lo, &hi) = (uids.first()?, uids.last()?);
    if uids.len() <= 64 && (hi - lo) as usize >= uids.len() * 64 {
        let list: Vec<String> = uids.iter().map(|u| u.to_string()).collect();
        return Some((format!("uid IN ({})", list.join(",")), None));
    }
    Some(("uid >= $2 AND uid <= $3".to_string(), Some((lo, hi))))
}

/// Arguments of a one-mailbox query: the mailbox, and the UID range when there is one.
fn mailbox_args(mailbox_id: i64, range: Option<(i64, i64)>) -> Vec<Arg<'static>> {
    match range {
        Some((lo, hi)) => vec![mailbox_id.into(), lo.into(), hi.into()],
        None => vec![mailbox_id.into()],
    }
}

/// The stored ENVELOPE and BODYSTRUCTURE (each only when asked for) of these UIDs
/// (ascending), in UID order: what FETCH adds to the session's own copy of the index, so the
/// rest of each row is neither read nor parsed again.
pub async fn shown_for(
    conn: &mut Conn<'_>,
    mailbox_id: i64,
    uids: &[i64],
    envelope: bool,
    bodystructure: bool,
) -> Result<Vec<(i64, Option<Vec<u8>>, Option<Vec<u8>>)>> {
    let Some((filter, range)) = uid_filter(uids) else { return Ok(vec![]) };
    let sql = format!(
        "SELECT uid, {}, {} FROM messages WHERE mailbox_id = $1 AND {filter} ORDER BY uid",
        if envelope { "envelope" } else { "NULL" },
        if bodystructure { "bodystructure" } else { "NULL" }
    );
    conn.fetch_all(&sql, &mailbox_args(mailbox_id, range)).await
}

/// Rows with UIDs in `lo..=hi` without the ENVELOPE, in UID order.
pub async fn rows_light(conn: &mut Conn<'_>, mailbox_id: i64, lo: i64, hi: i64) -> Result<Vec<Row>> {
    select(conn, mailbox_id, "uid >= $2 AND uid <= $3", Some((lo, hi)), Cols::Light, None).await
}

/// The first `n` rows with UIDs from `lo` up, without the ENVELOPE, in UID order: one step of a
/// walk through a mailbox reads that step's rows, not every row after it.
pub async fn rows_light_from(conn: &mut Conn<'_>, mailbox_id: i64, lo: i64, n: usize) -> Result<Vec<Row>> {
    select(conn, mailbox_id, "uid >= $2 AND uid <= $3", Some((lo, i64::MAX)), Cols::Light, Some(n)).await
}

/// The one row query: `filter` over one mailbox, with `$2`/`$3` bound to `range` when given,
/// the first `limit` rows when given.
async fn select(
    conn: &mut Conn<'_>,
    mailbox_id: i64,
    filter: &str,
    range: Option<(i64, i64)>,
    cols: Cols,
    limit: Option<usize>,
) -> Result<Vec<Row>> {
    let with_derived = cols != Cols::Light;
    let cols = match cols {
        Cols::Light => "",
        Cols::All => ", envelope, bodystructure, sort_fields",
    };
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    let sql = format!(
        "SELECT uid, filename, size, internal_date, flags, modseq{cols} FROM messages \
         WHERE mailbox_id = $1 AND {filter} ORDER BY uid{limit}"
    );
    let args = mailbox_args(mailbox_id, range);
    if with_derived {
        return Ok(conn.fetch_all::<RowTuple>(&sql, &args).await?.into_iter().map(row).collect());
    }
    Ok(conn
        .fetch_all::<(i64, String, i64, i64, String, i64)>(&sql, &args)
        .await?
        .into_iter()
        .map(|(a, b, c, d, e, f)| row((a, b, c, d, e, f, None, None, None)))
        .collect())
}

/// UIDs, flags and modseqs of the messages changed (or added) after `modseq`, in UID order.
pub async fn changed_since(conn: &mut Conn<'_>, mailbox_id: i64, modseq: i64) -> Result<Vec<(i64, Flags, i64)>> {
    let rows: Vec<(i64, String, i64)> = conn
        .fetch_all(
            "SELECT uid, flags, modseq FROM messages WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
            &[mailbox_id.into(), modseq.into()],
        )
        .await?;
    Ok(rows.into_iter().map(|(uid, flags, modseq)| (uid, Flags::from_index(&flags), modseq)).collect())
}

/// UIDs expunged after `modseq`, ascending.
pub async fn expunged_since(conn: &mut Conn<'_>, mailbox_id: i64, modseq: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = conn
        .fetch_all(
            "SELECT uid FROM expunged WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
            &[mailbox_id.into(), modseq.into()],
        )
        .await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

pub async fn set_flags(conn: &mut Conn<'_>, mailbox_id: i64, uid: i64, flags: &Flags) -> Result<()> {
    let modseq = next_modseq(conn, mailbox_id).await?;
    write_flags(conn, mailbox_id, &[(uid, flags.clone())], modseq).await
}

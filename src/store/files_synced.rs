//! How far the message files are known to be on stable storage (`files_synced`): every
//! messages row whose id is at most the mark names a file that was synced, with the directory
//! entries that name it. The group commit (`store/writer.rs`) syncs a batch's files beside
//! its transaction rather than before it, so a power cut can leave a row above the mark that
//! names a file which never reached the disk; its delivery was never acknowledged, and the
//! server's start (`ops::deliver::recover`) removes such rows. Rows at or below the mark are
//! not looked at.

use super::conn::Conn;
use crate::error::Result;

/// The mark; None before the first start that set it (a store from before the mark existed,
/// whose every row was committed after its file was synced).
pub async fn through(conn: &mut Conn<'_>) -> Result<Option<i64>> {
    Ok(conn.fetch_optional("SELECT through_id FROM files_synced WHERE id = 1", &[]).await?.map(|(t,)| t))
}

/// Move the mark to `id` (never back: a lower value is ignored).
pub async fn advance(conn: &mut Conn<'_>, id: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO files_synced (id, through_id) VALUES (1, $1) \
         ON CONFLICT (id) DO UPDATE SET through_id = excluded.through_id \
         WHERE files_synced.through_id < excluded.through_id",
        &[id.into()],
    )
    .await?;
    Ok(())
}

/// The highest messages row id (0 when there is none).
pub async fn last_message(conn: &mut Conn<'_>) -> Result<i64> {
    conn.fetch_one("SELECT COALESCE(MAX(id), 0) FROM messages", &[]).await.map(|(m,)| m)
}

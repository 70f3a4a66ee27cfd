//! The sort fields of messages (`proto::imap::sort::Fields`: dates, subjects, addresses and
//! message ids), read from the index and kept in memory for every session of this process.
//! They never change for a message (mailbox id, UIDVALIDITY, UID), so IMAP SORT and THREAD and
//! the webmail's conversations and address suggestions read each row once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::error::Result;
use crate::proto::imap::sort::Fields;
use crate::store::{Store, messages};

/// (mailbox id, UIDVALIDITY, UID) -> the message's sort fields.
type FieldCache = HashMap<(i64, i64, i64), Arc<Fields>>;

/// Most messages whose sort fields are kept in memory (a few hundred bytes each); past it the
/// cache starts over.
const CACHE_CAP: usize = 200_000;

fn cache() -> MutexGuard<'static, FieldCache> {
    static CACHE: OnceLock<Mutex<FieldCache>> = OnceLock::new();
    CACHE.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner())
}

/// The sort fields of these UIDs of a mailbox, from memory, else from the index (the rows
/// not in memory, in one read). UIDs whose row has no fields stored (indexed before they
/// were) come back apart, for the caller to read from the file and [`remember`].
pub async fn of(
    store: &Store,
    mailbox_id: i64,
    uidvalidity: i64,
    uids: &[i64],
) -> Result<(HashMap<i64, Arc<Fields>>, Vec<i64>)> {
    let key = |uid: i64| (mailbox_id, uidvalidity, uid);
    let mut out = HashMap::with_capacity(uids.len());
    let mut wanted = Vec::new();
    {
        let cache = cache();
        for &uid in uids {
            match cache.get(&key(uid)) {
                Some(f) => {
                    out.insert(uid, f.clone());
                }
                None => wanted.push(uid),
            }
        }
    }
    wanted.sort_unstable();
    wanted.dedup();
    let (Some(&lo), Some(&hi)) = (wanted.first(), wanted.last()) else { return Ok((out, Vec::new())) };
    // Only the rows not in memory yet (after new mail, a few at the top); many are decoded and
    // parsed on a blocking thread (on SQLite), not the session's.
    let n = wanted.len();
    let rows = (hi - lo + 1) as usize;
    let stored =
        store.read(rows, move |c| Box::pin(async move { messages::sort_fields(c, mailbox_id, &wanted).await })).await?;
    let mut found = Vec::with_capacity(n);
    let mut missing = Vec::new();
    for (uid, f) in stored {
        match f {
            Some(f) => found.push((uid, f)),
            None => missing.push(uid),
        }
    }
    out.extend(remember(mailbox_id, uidvalidity, found));
    Ok((out, missing))
}

/// Keep these fields in memory; they come back shared.
pub fn remember(mailbox_id: i64, uidvalidity: i64, found: Vec<(i64, Fields)>) -> Vec<(i64, Arc<Fields>)> {
    let mut cache = cache();
    // A mailbox larger than the cache is answered without it (it would evict everyone's).
    let keep = found.len() <= CACHE_CAP;
    if keep && cache.len() + found.len() > CACHE_CAP {
        cache.clear();
    }
    found
        .into_iter()
        .map(|(uid, f)| {
            let f = Arc::new(f);
            if keep {
                cache.insert((mailbox_id, uidvalidity, uid), f.clone());
            }
            (uid, f)
        })
        .collect()
}

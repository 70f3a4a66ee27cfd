//! Conversations: a folder's messages grouped as RFC 5256's REFERENCES algorithm threads
//! them (Message-ID, In-Reply-To, References, then replies by subject), the same threading as
//! IMAP THREAD, over the sort fields kept in memory (`ops::sort_fields`). The newest activity
//! first.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Result;
use crate::proto::imap::sort::Fields;
use crate::proto::imap::thread::{self, Algorithm, Node};
use crate::store::mailboxes::Mailbox;
use crate::store::maildir::{Flag, Flags};
use crate::store::{Account, Store, messages};

use super::{Summary, mailbox, summaries};

/// A conversation as the list shows it: its newest message, and what the others add.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub newest: Summary,
    /// Its messages in this folder, oldest first.
    pub uids: Vec<i64>,
    pub unseen: usize,
    pub flagged: bool,
}

/// Every message of a thread, depth first.
fn flatten(n: &Node, out: &mut Vec<i64>) {
    out.extend(n.num.map(i64::from));
    for c in &n.children {
        flatten(c, out);
    }
}

/// A folder's conversations (each as its UIDs, ascending; the newest activity first) and
/// every message's flags, as of one HIGHESTMODSEQ.
struct Threaded {
    threads: Vec<Vec<i64>>,
    flags: HashMap<i64, Flags>,
}

/// Folders threaded lately, by (mailbox id, UIDVALIDITY, HIGHESTMODSEQ): any change to a
/// folder (a message in or out, a flag) moves its HIGHESTMODSEQ on, so an entry is never stale.
type Recent = Vec<((i64, i64, i64), Arc<Threaded>)>;
/// Folders kept (each costs about 100 bytes per message).
const KEEP: usize = 8;

fn recent() -> std::sync::MutexGuard<'static, Recent> {
    static RECENT: std::sync::OnceLock<std::sync::Mutex<Recent>> = std::sync::OnceLock::new();
    RECENT.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner())
}

/// The folder's conversations, threaded now or taken from [`recent`].
async fn threads(store: &Store, mailbox: &Mailbox) -> Result<Arc<Threaded>> {
    let key = (mailbox.id, mailbox.uidvalidity, mailbox.highestmodseq);
    if let Some((_, t)) = recent().iter().find(|(k, _)| *k == key) {
        return Ok(t.clone());
    }
    let rows = {
        let mut conn = store.pool.acquire().await?;
        messages::uid_flags(&mut conn, mailbox.id).await?
    };
    let uids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let (fields, _) = crate::ops::sort_fields::of(store, mailbox.id, mailbox.uidvalidity, &uids).await?;
    let threaded = crate::store::blocking(move || {
        let none = Arc::new(Fields::default());
        let msgs: Vec<thread::Msg<'_>> = uids
            .iter()
            .map(|&uid| {
                let f = fields.get(&uid).unwrap_or(&none);
                thread::Msg { num: uid as u32, date: f.date.unwrap_or(0), fields: f }
            })
            .collect();
        let mut threads: Vec<Vec<i64>> = thread::thread(Algorithm::References, &msgs)
            .iter()
            .map(|n| {
                let mut uids = Vec::new();
                flatten(n, &mut uids);
                uids.sort_unstable();
                uids
            })
            .filter(|u| !u.is_empty())
            .collect();
        threads.sort_by_key(|u| std::cmp::Reverse(u.last().copied()));
        Ok(Threaded { threads, flags: rows.into_iter().collect() })
    })
    .await?;
    let threaded = Arc::new(threaded);
    let mut r = recent();
    r.retain(|(k, _)| k.0 != mailbox.id);
    if r.len() >= KEEP {
        r.remove(0);
    }
    r.push((key, threaded.clone()));
    Ok(threaded)
}

/// These messages' index rows, in the order given, as listings read them.
async fn rows(store: &Store, mailbox: &Mailbox, uids: &[i64]) -> Result<Vec<messages::Indexed>> {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    let found = {
        let mut conn = store.pool.acquire().await?;
        let mut c = crate::store::conn::Conn::Any(&mut conn);
        messages::rows_for(&mut c, mailbox.id, &sorted, messages::Cols::Light).await?
    };
    let mut by_uid: HashMap<i64, messages::Row> = found.into_iter().map(|r| (r.uid, r)).collect();
    Ok(uids
        .iter()
        .filter_map(|u| by_uid.remove(u))
        .map(|r| messages::Indexed { uid: r.uid, filename: r.filename, size: r.size, flags: r.flags, derived: false })
        .collect())
}

/// A page of a folder's conversations: at most `limit` whose newest message is below UID
/// `before`; and where the next page starts, when there is one.
pub async fn page(
    store: &Store,
    account: &Account,
    folder: &str,
    before: Option<i64>,
    limit: usize,
) -> Result<(Vec<Conversation>, Option<i64>)> {
    let mailbox = mailbox(store, account, folder).await?;
    let t = threads(store, &mailbox).await?;
    let before = before.unwrap_or(i64::MAX);
    let mut shown: Vec<&Vec<i64>> =
        t.threads.iter().filter(|u| u.last().is_some_and(|&n| n < before)).take(limit + 1).collect();
    let next = (shown.len() > limit).then(|| shown[limit - 1].last().copied()).flatten();
    shown.truncate(limit);
    let newest: Vec<i64> = shown.iter().filter_map(|u| u.last().copied()).collect();
    let heads = summaries(store, account, folder, rows(store, &mailbox, &newest).await?).await?;
    let list = heads
        .into_iter()
        .filter_map(|newest| {
            let uids = shown.iter().find(|u| u.last() == Some(&newest.uid))?.to_vec();
            let of = |flag| uids.iter().filter(|u| t.flags.get(u).is_some_and(|f| f.has(flag))).count();
            let (unseen, flagged) = (uids.len() - of(Flag::SEEN), of(Flag::FLAGGED) > 0);
            Some(Conversation { newest, uids, unseen, flagged })
        })
        .collect();
    Ok((list, next))
}

/// The messages of the conversation `uid` belongs to in this folder, oldest first.
pub async fn of(store: &Store, account: &Account, folder: &str, uid: i64) -> Result<Vec<Summary>> {
    let mailbox = mailbox(store, account, folder).await?;
    let t = threads(store, &mailbox).await?;
    let Some(uids) = t.threads.iter().find(|u| u.contains(&uid)) else {
        return Err(crate::error::Error::not_found(format!("no message {uid} in {folder}")));
    };
    summaries(store, account, folder, rows(store, &mailbox, uids).await?).await
}

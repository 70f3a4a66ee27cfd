//! Conversations: a folder's messages grouped as RFC 5256's REFERENCES algorithm threads
//! them (Message-ID, In-Reply-To, References, then replies by subject), the same threading as
//! IMAP THREAD, over the sort fields kept in memory (`ops::sort_fields`). The newest activity
//! first.

use std::sync::Arc;

use crate::error::Result;
use crate::proto::imap::sort::Fields;
use crate::proto::imap::thread::{self, Algorithm, Node};
use crate::store::mailboxes::Mailbox;
use crate::store::maildir::Flag;
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

/// The folder's conversations (each as its UIDs, ascending), the newest activity first.
async fn threads(store: &Store, mailbox: &Mailbox) -> Result<(Vec<Vec<i64>>, Vec<messages::Indexed>)> {
    let rows = {
        let mut conn = store.pool.acquire().await?;
        messages::list(&mut conn, mailbox.id).await?
    };
    let uids: Vec<i64> = rows.iter().map(|r| r.uid).collect();
    let (fields, _) = crate::ops::sort_fields::of(store, mailbox.id, mailbox.uidvalidity, &uids).await?;
    let threads = crate::store::blocking(move || {
        let none = Arc::new(Fields::default());
        let msgs: Vec<thread::Msg<'_>> = uids
            .iter()
            .map(|&uid| {
                let f = fields.get(&uid).unwrap_or(&none);
                thread::Msg { num: uid as u32, date: f.date.unwrap_or(0), fields: f }
            })
            .collect();
        let mut out: Vec<Vec<i64>> = thread::thread(Algorithm::References, &msgs)
            .iter()
            .map(|n| {
                let mut uids = Vec::new();
                flatten(n, &mut uids);
                uids.sort_unstable();
                uids
            })
            .filter(|u| !u.is_empty())
            .collect();
        out.sort_by_key(|u| std::cmp::Reverse(u.last().copied()));
        Ok(out)
    })
    .await?;
    Ok((threads, rows))
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
    let (threads, rows) = threads(store, &mailbox).await?;
    let before = before.unwrap_or(i64::MAX);
    let mut shown: Vec<Vec<i64>> =
        threads.into_iter().filter(|u| u.last().is_some_and(|&n| n < before)).take(limit + 1).collect();
    let next = (shown.len() > limit).then(|| shown[limit - 1].last().copied()).flatten();
    shown.truncate(limit);
    let by_uid: std::collections::HashMap<i64, &messages::Indexed> = rows.iter().map(|r| (r.uid, r)).collect();
    let mut newest = Vec::with_capacity(shown.len());
    let mut rest = Vec::with_capacity(shown.len());
    for uids in shown {
        let Some(row) = uids.last().and_then(|u| by_uid.get(u)) else { continue };
        let of = |flag| uids.iter().filter(|u| by_uid.get(u).is_some_and(|r| r.flags.has(flag))).count();
        let (unseen, flagged) = (uids.len() - of(Flag::SEEN), of(Flag::FLAGGED) > 0);
        newest.push((*row).clone());
        rest.push((uids, unseen, flagged));
    }
    let heads = summaries(store, account, folder, newest).await?;
    let list = heads
        .into_iter()
        .zip(rest)
        .map(|(newest, (uids, unseen, flagged))| Conversation { newest, uids, unseen, flagged })
        .collect();
    Ok((list, next))
}

/// The messages of the conversation `uid` belongs to in this folder, oldest first.
pub async fn of(store: &Store, account: &Account, folder: &str, uid: i64) -> Result<Vec<Summary>> {
    let mailbox = mailbox(store, account, folder).await?;
    let (threads, rows) = threads(store, &mailbox).await?;
    let Some(uids) = threads.into_iter().find(|u| u.contains(&uid)) else {
        return Err(crate::error::Error::not_found(format!("no message {uid} in {folder}")));
    };
    let picked: Vec<messages::Indexed> = rows.into_iter().filter(|r| uids.binary_search(&r.uid).is_ok()).collect();
    summaries(store, account, folder, picked).await
}

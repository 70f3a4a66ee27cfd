//! Keeping the full-text index (`store::fts`) up with the mailboxes: a message's document,
//! catching a mailbox up (new messages in, expunged ones out), finding mailboxes that moved
//! on, and rebuilding on request. `serve`'s indexer (`server/fts.rs`) drives these; nothing
//! else writes the index.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::Result;
use crate::names::Address;
use crate::proto::imap::body::index_pieces;
use crate::store::conn::Conn;
use crate::store::fts::{Batch, Doc, Fts, Mark, Rebuild, terms};
use crate::store::mailboxes::{self, Owned};
use crate::store::maildir::{file, folder_path};
use crate::store::{Store, messages};

/// Messages read and indexed per commit: a large mailbox is indexed in steps, so a new
/// message elsewhere waits for one step, not for the whole mailbox.
pub const STEP: usize = 2000;

/// A message's document: the terms of everything SEARCH looks in.
pub fn document(raw: &[u8], mailbox: i64, account: i64, uid: i64) -> Doc {
    let mut set = HashSet::new();
    let mut long = false;
    index_pieces(raw, &mut |piece| {
        long |= terms::terms(piece, &mut set);
        false
    });
    let mut text = String::with_capacity(set.iter().map(|t| t.len() + 1).sum());
    for t in set {
        text.push_str(&t);
        text.push(' ');
    }
    Doc { mailbox, account, uid, terms: text, long }
}

/// The mailboxes whose index is behind (new messages, expunges, a new UIDVALIDITY), and the
/// marks of mailboxes that no longer exist.
pub async fn behind(store: &Store, fts: &Fts) -> Result<(Vec<i64>, Vec<i64>)> {
    let mut conn = store.pool.acquire().await?;
    let all = mailboxes::owned(&mut conn, None).await?;
    let mut marks = fts.marks();
    let mut late = Vec::new();
    for o in &all {
        let m = &o.mailbox;
        match marks.remove(&m.id) {
            Some(k) if k.uidvalidity == m.uidvalidity && k.uid >= m.uidnext - 1 && k.modseq >= m.highestmodseq => {}
            _ => late.push(m.id),
        }
    }
    Ok((late, marks.into_keys().collect()))
}

/// Forget the documents and marks of mailboxes that are gone.
pub async fn forget(fts: &Arc<Fts>, gone: &[i64]) -> Result<()> {
    let batch =
        Batch { forget_mailboxes: gone.to_vec(), marks: gone.iter().map(|m| (*m, None)).collect(), ..Batch::default() };
    fts.write(batch).await
}

/// Bring one mailbox's index up to date, at most `STEP` new messages at a time; true when
/// more remain. Files are read, documents built and the batch committed on the index's own
/// low-priority thread.
pub async fn catch_up(store: &Store, fts: &Arc<Fts>, mailbox_id: i64) -> Result<bool> {
    let mut conn = store.pool.acquire().await?;
    let Some(o) = mailboxes::owned(&mut conn, Some(mailbox_id)).await?.pop() else {
        forget(fts, &[mailbox_id]).await?;
        return Ok(false);
    };
    let m = &o.mailbox;
    let mut batch = Batch::default();
    let mut mark = match fts.mark(m.id) {
        // A mailbox that went back (restored over) is indexed again from the start.
        Some(k) if k.uidvalidity == m.uidvalidity && k.uid < m.uidnext => k,
        _ => {
            batch.forget_mailboxes.push(m.id);
            Mark { uidvalidity: m.uidvalidity, uid: 0, modseq: 0 }
        }
    };
    let modseq = m.highestmodseq;
    let mut c = Conn::Any(&mut conn);
    if mark.modseq > 0 {
        for uid in messages::expunged_since(&mut c, m.id, mark.modseq).await? {
            batch.forget.push((m.id, uid));
        }
    }
    // One more than a step: whether more follow.
    let mut rows = messages::rows_light_from(&mut c, m.id, mark.uid + 1, STEP + 1).await?;
    drop(conn);
    let more = rows.len() > STEP;
    rows.truncate(STEP);
    if let Some(last) = rows.last() {
        mark.uid = last.uid;
    } else {
        mark.uid = mark.uid.max(m.uidnext - 1);
    }
    if !more {
        mark.modseq = modseq;
    }
    let folder = folder_path(&store.maildir_path(&address(&o)), &m.name);
    let (id, account) = (m.id, o.account_id);
    batch.marks.push((id, Some(mark)));
    fts.background(move |f| {
        batch.add = rows
            .iter()
            .filter_map(|r| {
                // A file gone since (expunged meanwhile) has nothing to find.
                let raw = file::read(&folder, &r.filename, &r.flags).ok()?;
                Some(document(&raw, id, account, r.uid))
            })
            .collect();
        f.apply(batch)
    })
    .await??;
    Ok(more)
}

fn address(o: &Owned) -> Address {
    Address { local: o.local_part.clone(), domain: o.domain.clone() }
}

/// Take a rebuild request: the documents and marks of the mailboxes it names go, so that
/// they are indexed again from their files. The mailboxes to catch up.
pub async fn rebuild(store: &Store, fts: &Arc<Fts>, what: &Rebuild) -> Result<Vec<i64>> {
    let mut conn = store.pool.acquire().await?;
    let all = mailboxes::owned(&mut conn, None).await?;
    let chosen: Vec<i64> = all
        .iter()
        .filter(|o| match what {
            Rebuild::All => true,
            Rebuild::Accounts(a) => a.contains(&o.account_id),
        })
        .map(|o| o.mailbox.id)
        .collect();
    let mut forget_mailboxes = chosen.clone();
    if *what == Rebuild::All {
        // Marks of mailboxes gone too.
        forget_mailboxes.extend(fts.marks().into_keys());
    }
    let marks = forget_mailboxes.iter().map(|m| (*m, None)).collect();
    let batch = Batch { forget_mailboxes, marks, ..Batch::default() };
    fts.write(batch).await?;
    Ok(chosen)
}

/// What `mailbox reindex --fts` did.
#[derive(Debug, serde::Serialize)]
pub struct Rebuilt {
    /// The account, or None for every account.
    pub address: Option<String>,
    /// "here" when this command rebuilt it; "server" when the running server holds the index
    /// and was asked to.
    pub by: &'static str,
    pub mailboxes: usize,
    pub messages: u64,
    /// Bytes of the mail indexed, and of the whole index after.
    pub mail_bytes: u64,
    pub index_bytes: u64,
}

/// Rebuild the full-text index of one account or all: here when no server holds it, else by
/// asking the server. An unknown account is refused before anything changes.
pub async fn reindex(store: &Store, address: Option<&str>) -> Result<Rebuilt> {
    let account = match address {
        Some(a) => {
            let addr = Address::parse(a)?;
            let mut conn = store.pool.acquire().await?;
            Some((addr.to_string(), super::require_account(&mut conn, &addr).await?.id))
        }
        None => None,
    };
    let what = match &account {
        Some((_, id)) => Rebuild::Accounts(vec![*id]),
        None => Rebuild::All,
    };
    let address = account.map(|(a, _)| a);
    let Some(fts) = Fts::open(&store.data_dir)? else {
        crate::store::fts::request_rebuild(&store.data_dir, &what)?;
        return Ok(Rebuilt { address, by: "server", mailboxes: 0, messages: 0, mail_bytes: 0, index_bytes: 0 });
    };
    let ids = rebuild(store, &fts, &what).await?;
    let (mut messages, mut mail_bytes) = (0, 0);
    for id in &ids {
        while catch_up(store, &fts, *id).await? {}
        let mut conn = store.pool.acquire().await?;
        let (n, _, _, bytes) = mailboxes::counts(&mut conn, *id).await?;
        messages += n as u64;
        mail_bytes += bytes as u64;
    }
    Ok(Rebuilt { address, by: "here", mailboxes: ids.len(), messages, mail_bytes, index_bytes: fts.size() })
}

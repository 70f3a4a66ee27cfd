//! SEARCH and UID SEARCH: index keys (flags, UIDs, sizes, dates, modseq) on the rows; header
//! and body keys on the files, read in parallel on blocking threads.

use std::sync::Arc;

use super::session::{Next, Session};
use crate::ops::mailbox as ops;
use crate::ops::search::{Ctx, candidates, matches, needs_file};
use crate::proto::imap::response::{Code, Untagged};
use crate::proto::imap::search::{Key, Return};
use crate::store::maildir::{self, file};

fn uses_modseq(k: &Key) -> bool {
    match k {
        Key::Modseq(_) => true,
        Key::Not(k) => uses_modseq(k),
        Key::Or(a, b) => uses_modseq(a) || uses_modseq(b),
        Key::And(v) => v.iter().any(uses_modseq),
        _ => false,
    }
}

/// A message that matched: (sequence number, UID, modseq).
pub type Hit = (u32, u32, i64);

impl Session {
    pub async fn search(&mut self, tag: &str, uid: bool, ret: Option<Return>, key: &Key) -> Next {
        match self.matching(tag, key).await {
            Ok(hits) => self.search_reply(tag, uid, ret, key, &hits),
            Err(next) => next,
        }
    }

    /// The messages of the selected mailbox that match `key`, in sequence order; or the
    /// reply already made when it cannot be answered.
    pub async fn matching(&mut self, tag: &str, key: &Key) -> Result<Vec<Hit>, Next> {
        let Some(sel) = self.selected.as_ref() else { return Err(self.bad(tag, "no mailbox selected")) };
        let recent = sel.recent.clone();
        if !needs_file(key) {
            // Index keys only: straight from the session's rows, no copies, no threads.
            let mut hits = Vec::new();
            for (i, row) in sel.meta.iter().enumerate() {
                let c =
                    Ctx { seq: i as u32 + 1, row, recent: recent.contains(row.uid as u32), uids: &sel.uids, raw: None };
                if matches(key, &c) {
                    hits.push((i as u32 + 1, row.uid as u32, row.modseq));
                }
            }
            return Ok(hits);
        }
        let uids = Arc::new(sel.uids.clone());
        let mailbox = sel.mailbox.name.clone();
        let account = self.account.as_deref().cloned().expect("logged in");
        let folder = maildir::folder_path(&ops::maildir_root(&self.shared.store(), &account), &mailbox);
        let key = Arc::new(key.clone());
        // Only the messages the full-text index names (and those it has not reached) are read.
        let cands = match self.shared.fts.clone() {
            Some(fts) => {
                let (id, validity, k) = (sel.mailbox.id, sel.mailbox.uidvalidity, key.clone());
                tokio::task::spawn_blocking(move || candidates(&fts, id, validity, &k))
                    .await
                    .ok()
                    .flatten()
                    .map(Arc::new)
            }
            None => None,
        };
        let Some(sel) = self.selected.as_ref() else { return Err(self.bad(tag, "no mailbox selected")) };
        let width = super::width();
        let per = sel.meta.len().div_ceil(width).max(64);
        // Every message, from the session's rows, to the threads that read the files; a chunk
        // starts at sequence number first + 1.
        let mut handles = Vec::new();
        for (first, chunk) in sel.meta.chunks(per).map(|c| c.to_vec()).enumerate().map(|(k, c)| (k * per, c)) {
            let (key, uids, folder, recent) = (key.clone(), uids.clone(), folder.clone(), recent.clone());
            let cands = cands.clone();
            handles.push(tokio::task::spawn_blocking(move || {
                let mut hits = Vec::new();
                for (i, row) in chunk.iter().enumerate() {
                    let seq = (first + i) as u32 + 1;
                    if cands.as_ref().is_some_and(|c| !c.may_match(row.uid as u32)) {
                        continue;
                    }
                    let raw = file::read(&folder, &row.filename, &row.flags).ok();
                    if raw.is_none() {
                        tracing::warn!(uid = row.uid, file = %row.filename, "SEARCH: cannot read a message file");
                    }
                    let c = Ctx { seq, row, recent: recent.contains(row.uid as u32), uids: &uids, raw: raw.as_deref() };
                    if matches(&key, &c) {
                        hits.push((seq, row.uid as u32, row.modseq));
                    }
                }
                hits
            }));
        }
        let mut hits = Vec::new();
        for h in handles {
            match h.await {
                Ok(v) => hits.extend(v),
                Err(_) => return Err(self.no(tag, Code::ServerBug, "search failed")),
            }
        }
        Ok(hits)
    }

    fn search_reply(&mut self, tag: &str, uid: bool, ret: Option<Return>, key: &Key, hits: &[Hit]) -> Next {
        let nums: Vec<u32> = hits.iter().map(|&(seq, u, _)| if uid { u } else { seq }).collect();
        let modseq = hits.iter().map(|h| h.2).max().filter(|_| uses_modseq(key)).map(|m| m as u64);
        // IMAP4rev2 has no `* SEARCH`: a plain SEARCH is RETURN (ALL) (RFC 9051 §6.4.4).
        let ret = ret.or_else(|| self.rev2.then_some(Return { all: true, ..Return::default() }));
        match ret {
            None => self.say(Untagged::Search { nums: &nums, modseq }),
            // Hits come in sequence order, which is UID order too.
            Some(r) => self.say(Untagged::ESearch {
                tag,
                uid,
                min: nums.first().copied().filter(|_| r.min),
                max: nums.last().copied().filter(|_| r.max),
                count: r.count.then_some(nums.len() as u32),
                all: r.all.then_some(&nums[..]),
                modseq,
            }),
        }
        self.ok(tag, if uid { "UID SEARCH completed" } else { "SEARCH completed" })
    }
}

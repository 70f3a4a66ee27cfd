//! SORT and THREAD, with their UID forms (RFC 5256, RFC 5957 DISPLAYFROM/DISPLAYTO): the
//! messages SEARCH would find, ordered or threaded by the sort fields stored with their rows.
//! Rows indexed before the fields were stored get them from their file (read here, never
//! written back; `mailbox reindex` stores them).

use std::collections::HashMap;
use std::sync::Arc;

use super::search::Hit;
use super::session::{Next, Session};
use crate::ops::mailbox as ops;
use crate::ops::sort_fields;
use crate::proto::imap::response::Untagged;
use crate::proto::imap::search::Key;
use crate::proto::imap::sort::{self, Criterion, Fields, Sortable};
use crate::proto::imap::thread;
use crate::store::maildir::{self, file};

impl Session {
    /// SEARCH's matches with their sort fields; or the reply already made.
    async fn matching_fields(&mut self, tag: &str, key: &Key) -> Result<(Vec<Hit>, HashMap<i64, Arc<Fields>>), Next> {
        let hits = self.matching(tag, key).await?;
        match self.fields_of(&hits).await {
            Ok(f) => Ok((hits, f)),
            Err(e) => Err(self.fault(tag, &e)),
        }
    }

    pub async fn sort(&mut self, tag: &str, uid: bool, criteria: &[Criterion], key: &Key) -> Next {
        let (hits, fields) = match self.matching_fields(tag, key).await {
            Ok(x) => x,
            Err(next) => return next,
        };
        let Some(sel) = self.selected.as_ref() else { return self.bad(tag, "no mailbox selected") };
        let empty = Fields::default();
        let mut items: Vec<(Hit, Sortable<'_>)> = hits
            .iter()
            .filter_map(|&h| {
                let row = sel.meta.get(h.0 as usize - 1)?;
                let fields = fields.get(&(h.1 as i64)).map_or(&empty, |f| &**f);
                Some((h, Sortable { seq: h.0, size: row.size, arrival: row.internal_date, fields }))
            })
            .collect();
        items.sort_by(|a, b| sort::compare(criteria, &a.1, &b.1));
        let nums: Vec<u32> = items.iter().map(|(h, _)| if uid { h.1 } else { h.0 }).collect();
        self.say(Untagged::Sort(&nums));
        self.ok(tag, if uid { "UID SORT completed" } else { "SORT completed" })
    }

    pub async fn thread(&mut self, tag: &str, uid: bool, algorithm: thread::Algorithm, key: &Key) -> Next {
        let (hits, fields) = match self.matching_fields(tag, key).await {
            Ok(x) => x,
            Err(next) => return next,
        };
        let Some(sel) = self.selected.as_ref() else { return self.bad(tag, "no mailbox selected") };
        let empty = Fields::default();
        let msgs: Vec<thread::Msg<'_>> = hits
            .iter()
            .filter_map(|&(seq, u, _)| {
                let row = sel.meta.get(seq as usize - 1)?;
                let fields = fields.get(&(u as i64)).map_or(&empty, |f| &**f);
                let num = if uid { u } else { seq };
                Some(thread::Msg { num, date: fields.date.unwrap_or(row.internal_date), fields })
            })
            .collect();
        let threads = thread::thread(algorithm, &msgs);
        self.say(Untagged::Thread(&threads));
        self.ok(tag, if uid { "UID THREAD completed" } else { "THREAD completed" })
    }

    /// The sort fields of these messages by UID: from memory, else the index, else the file.
    async fn fields_of(&self, hits: &[Hit]) -> crate::error::Result<HashMap<i64, Arc<Fields>>> {
        let Some(sel) = self.selected.as_ref() else { return Ok(HashMap::new()) };
        let (id, validity) = (sel.mailbox.id, sel.mailbox.uidvalidity);
        let uids: Vec<i64> = hits.iter().map(|h| h.1 as i64).collect();
        let (mut out, missing) = sort_fields::of(&self.shared.store(), id, validity, &uids).await?;
        if !missing.is_empty() {
            let account = self.account.as_deref().cloned().expect("logged in");
            let folder = maildir::folder_path(&ops::maildir_root(&self.shared.store(), &account), &sel.mailbox.name);
            let rows: Vec<(i64, String, maildir::Flags)> = missing
                .iter()
                .filter_map(|&uid| {
                    let seq = sel.seq_of(uid as u32)?;
                    let m = &sel.meta[seq as usize - 1];
                    Some((uid, m.filename.clone(), m.flags.clone()))
                })
                .collect();
            let read = crate::ops::blocking(move || {
                Ok(rows
                    .into_iter()
                    .map(|(uid, name, flags)| {
                        let raw = file::read(&folder, &name, &flags).ok();
                        (uid, raw.map(|r| Fields::of(&r)).unwrap_or_default())
                    })
                    .collect::<Vec<_>>())
            })
            .await?;
            out.extend(sort_fields::remember(id, validity, read));
        }
        Ok(out)
    }
}

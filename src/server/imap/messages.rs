//! Commands that change messages: STORE, COPY, MOVE, EXPUNGE (and UID EXPUNGE), APPEND.

use super::fetch::resolve;
use super::session::{Next, Session};
use crate::error::Kind;
use crate::ops::mailbox as ops;
use crate::proto::imap::command::{AppendMessage, StoreMode};
use crate::proto::imap::response::{Code, Fetch, FetchAttr, Untagged};
use crate::proto::imap::sequence::SequenceSet;
use crate::store::maildir::Flags;

/// Most keywords a message may carry.
const MAX_KEYWORDS: usize = 64;

/// Apply a STORE to a message's flags.
fn apply(current: &Flags, mode: StoreMode, flags: &Flags) -> Flags {
    match mode {
        StoreMode::Replace => flags.clone(),
        StoreMode::Add => {
            let mut out = current.clone();
            out.add(flags);
            out
        }
        StoreMode::Remove => {
            let mut out = current.clone();
            out.remove(flags);
            out
        }
    }
}

impl Session {
    fn mailbox_state(&self) -> Option<(crate::store::mailboxes::Mailbox, bool)> {
        self.selected.as_ref().map(|s| (s.mailbox.clone(), s.read_only))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn store(
        &mut self,
        tag: &str,
        uid: bool,
        set: &SequenceSet,
        mode: StoreMode,
        silent: bool,
        flags: &[String],
        unchanged_since: Option<u64>,
    ) -> Next {
        let Some((mailbox, read_only)) = self.mailbox_state() else { return self.bad(tag, "no mailbox selected") };
        if read_only {
            return self.no(tag, Code::ReadOnly, "the mailbox is read-only");
        }
        let clean = match Flags::from_atoms(flags) {
            Ok(f) => f,
            Err(f) => return self.bad(tag, &format!("flag {f} cannot be stored")),
        };
        if unchanged_since.is_some() {
            self.condstore = true;
        }
        let sel = self.selected.as_ref().expect("selected");
        let Some(targets) = resolve(&sel.uids, set, uid) else {
            return self.bad(tag, "invalid message sequence number");
        };
        let recent = sel.recent.clone();
        let seqs: std::collections::HashMap<u32, u32> = targets.iter().map(|&(seq, u)| (u, seq)).collect();
        let uids: Vec<i64> = targets.iter().map(|t| t.1 as i64).collect();
        // Too many keywords is refused before anything is written.
        let too_many = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flagged = too_many.clone();
        let change = move |current: &Flags| {
            let new = apply(current, mode, &clean);
            if new.keywords().count() > MAX_KEYWORDS {
                flagged.store(true, std::sync::atomic::Ordering::Relaxed);
                return current.clone();
            }
            new
        };
        let account = self.account.as_deref().cloned().expect("logged in");
        let since = unchanged_since.map(|u| u as i64);
        let (stored, stale) =
            match ops::store_flags(&self.shared.store(), &account, &mailbox, &uids, change, since).await {
                Ok(x) => x,
                Err(e) => return self.fault(tag, &e),
            };
        let mut modified: Vec<u32> =
            stale.iter().map(|&u| if uid { u as u32 } else { seqs.get(&(u as u32)).copied().unwrap_or(0) }).collect();
        if let Some(s) = self.selected.as_mut() {
            for st in stored.iter().filter(|st| st.changed) {
                s.own.push(st.modseq);
                s.set_flags(st.uid as u32, &st.flags, st.modseq);
            }
            s.own.dedup();
        }
        let mut out = Vec::new();
        if let Some(s) = self.selected.as_mut() {
            s.announce(stored.iter().map(|st| &st.flags), &mut out);
        }
        for st in &stored {
            let (u, changed) = (st.uid as u32, st.changed);
            let Some(&seq) = seqs.get(&u) else { continue };
            // .SILENT still reports the new MODSEQ under CONDSTORE (RFC 7162 §3.1.3).
            if silent && !(self.condstore && changed) {
                continue;
            }
            let mut f = Fetch::start(&mut out, seq);
            if uid || self.condstore {
                f.attr(&FetchAttr::Uid(u));
            }
            if !silent {
                f.attr(&FetchAttr::Flags { flags: &st.flags.to_index(), recent: recent.contains(u) });
            }
            if self.condstore {
                f.attr(&FetchAttr::Modseq(st.modseq as u64));
            }
            f.finish();
        }
        if too_many.load(std::sync::atomic::Ordering::Relaxed) {
            self.conn.queue_bytes(&out);
            return self.no(tag, Code::Limit, "too many keywords on one message");
        }
        modified.retain(|&m| m > 0);
        self.conn.queue_bytes(&out);
        if !modified.is_empty() {
            modified.sort_unstable();
            return self.ok_code(tag, Code::Modified(&modified), "conditional STORE failed for some");
        }
        self.ok(tag, if uid { "UID STORE completed" } else { "STORE completed" })
    }

    pub async fn copy(&mut self, tag: &str, uid: bool, set: &SequenceSet, dest: &str, is_move: bool) -> Next {
        let Some((mailbox, read_only)) = self.mailbox_state() else { return self.bad(tag, "no mailbox selected") };
        if is_move && read_only {
            return self.no(tag, Code::ReadOnly, "the mailbox is read-only");
        }
        let sel = self.selected.as_ref().expect("selected");
        let Some(targets) = resolve(&sel.uids, set, uid) else {
            return self.bad(tag, "invalid message sequence number");
        };
        let uids: Vec<i64> = targets.iter().map(|&(_, uid)| uid as i64).collect();
        let account = self.account.as_deref().cloned().expect("logged in");
        let (validity, pairs) = match ops::copy(&self.shared.store(), &account, &mailbox, &uids, dest).await {
            Ok(x) => x,
            Err(e) if e.kind == Kind::NotFound => return self.no(tag, Code::TryCreate, "no such mailbox"),
            Err(e) => return self.fault(tag, &e),
        };
        let src: Vec<u32> = pairs.iter().map(|p| p.0 as u32).collect();
        let dst: Vec<u32> = pairs.iter().map(|p| p.1 as u32).collect();
        let code = (!pairs.is_empty()).then_some(Code::CopyUid { validity: validity as u64, source: &src, dest: &dst });
        self.learn_later(Some(&mailbox.name), dest, pairs.iter().map(|p| p.1).collect());
        if !is_move {
            return match code {
                Some(code) => self.ok_code(tag, code, "COPY completed"),
                None => self.ok(tag, "COPY completed"),
            };
        }
        if code.is_some() {
            self.say(Untagged::Ok { code, text: "moved" });
        }
        // Only what was copied leaves the source.
        let copied: Vec<i64> = pairs.iter().map(|p| p.0).collect();
        let gone = match ops::expunge(&self.shared.store(), &account, &mailbox, &copied, false).await {
            Ok(g) => g,
            Err(e) => return self.fault(tag, &e),
        };
        self.report_expunged(&gone.iter().map(|&u| u as u32).collect::<Vec<_>>());
        self.ok(tag, "MOVE completed")
    }

    /// After a COPY, MOVE or APPEND into Junk (spam), or out of it into a folder other than
    /// Trash (ham): teach the spam filter, on a task of its own, so the reply never waits.
    fn learn_later(&self, from: Option<&str>, to: &str, uids: Vec<i64>) {
        let Some(spam) = crate::ops::filter::training(from, to) else { return };
        let filters = self.shared.filters();
        if uids.is_empty() || !filters.learns() {
            return;
        }
        let Some(account) = self.account.as_deref().cloned() else { return };
        let (shared, to) = (self.shared.clone(), to.to_string());
        tokio::spawn(async move {
            crate::ops::filter::learn(&shared.store(), &filters, &account, &to, uids, spam).await;
        });
    }

    /// Tell the client about messages this session expunged, and forget them.
    fn report_expunged(&mut self, gone: &[u32]) {
        let qresync = self.qresync;
        if let Some(sel) = self.selected.as_mut() {
            let out = sel.forget(gone, qresync);
            self.conn.queue_bytes(&out);
        }
    }

    pub async fn expunge(&mut self, tag: &str, uids: Option<&SequenceSet>) -> Next {
        let Some((mailbox, read_only)) = self.mailbox_state() else { return self.bad(tag, "no mailbox selected") };
        if read_only {
            return self.no(tag, Code::ReadOnly, "the mailbox is read-only");
        }
        let sel = self.selected.as_ref().expect("selected");
        let wanted: Vec<i64> = match uids {
            Some(set) => resolve(&sel.uids, set, true).unwrap_or_default().iter().map(|t| t.1 as i64).collect(),
            None => sel.uids.iter().map(|&u| u as i64).collect(),
        };
        let account = self.account.as_deref().cloned().expect("logged in");
        // \Deleted is checked on the stored flags, in the expunge's own transaction.
        let gone = match ops::expunge(&self.shared.store(), &account, &mailbox, &wanted, true).await {
            Ok(g) => g,
            Err(e) => return self.fault(tag, &e),
        };
        self.report_expunged(&gone.iter().map(|&u| u as u32).collect::<Vec<_>>());
        // Anything others changed meanwhile, too.
        if let Err(e) = self.sync(true).await {
            return self.fault(tag, &e);
        }
        self.ok(tag, "EXPUNGE completed")
    }

    pub async fn append(&mut self, tag: &str, mailbox: &str, msgs: &[AppendMessage], raw: &[u8]) -> Next {
        let account = self.account.as_deref().cloned().expect("logged in");
        let hostname = self.shared.config().hostname.clone();
        // Every message is checked before any is written: MULTIAPPEND is all or nothing.
        let mut appended = Vec::with_capacity(msgs.len());
        for m in msgs {
            let data = raw[m.data.clone()].to_vec();
            if data.is_empty() {
                return self.bad(tag, "an empty message cannot be appended");
            }
            let flags = match Flags::from_atoms(&m.flags) {
                Ok(f) => f,
                Err(f) => return self.bad(tag, &format!("flag {f} cannot be stored")),
            };
            appended.push(ops::Appended { data, flags, date: m.date.unwrap_or_else(crate::store::now) });
        }
        let (validity, uids) = match ops::append(&self.shared.store(), &account, &hostname, mailbox, appended).await {
            Ok(x) => x,
            Err(e) if e.kind == Kind::NotFound => return self.no(tag, Code::TryCreate, "no such mailbox"),
            Err(e) => return self.fault(tag, &e),
        };
        let codes: Vec<u32> = uids.iter().map(|&u| u as u32).collect();
        self.learn_later(None, mailbox, uids);
        if self.selected.as_ref().is_some_and(|s| s.mailbox.name == mailbox)
            && let Err(e) = self.sync(false).await
        {
            return self.fault(tag, &e);
        }
        self.ok_code(tag, Code::AppendUid { validity: validity as u64, uids: &codes }, "APPEND completed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_modes_add_remove_and_replace() {
        let f = Flags::from_index;
        let cases = [
            ("\\Seen", StoreMode::Add, "\\Flagged \\Seen", "\\Flagged \\Seen"),
            ("\\Seen \\Flagged", StoreMode::Remove, "\\Seen", "\\Flagged"),
            ("\\Seen", StoreMode::Replace, "$Junk", "$Junk"),
            ("", StoreMode::Remove, "\\Seen", ""),
            ("$Work", StoreMode::Add, "$work $Home", "$Work $Home"),
        ];
        for (current, mode, given, want) in cases {
            assert_eq!(apply(&f(current), mode, &f(given)).to_index(), want, "{current} {mode:?} {given}");
        }
    }
}

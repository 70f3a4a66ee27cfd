//! Commands that change messages: STORE, COPY, MOVE, EXPUNGE (and UID EXPUNGE), APPEND.

use super::fetch::resolve;
use super::folders::canonical_flag;
use super::session::{Next, Session, write_flags};
use crate::error::Kind;
use crate::ops::mailbox as ops;
use crate::proto::imap::command::{AppendMessage, StoreMode};
use crate::proto::imap::sequence::{SequenceSet, compact};
use crate::store::messages::Row;

/// Most keywords a message may carry.
const MAX_KEYWORDS: usize = 64;

/// Apply a STORE to a message's flags.
fn apply(current: &str, mode: StoreMode, flags: &[String]) -> String {
    let mut out: Vec<String> = match mode {
        StoreMode::Replace => Vec::new(),
        _ => current.split(' ').filter(|f| !f.is_empty()).map(str::to_string).collect(),
    };
    for f in flags {
        let present = out.iter().position(|x| x.eq_ignore_ascii_case(f));
        match (mode, present) {
            (StoreMode::Remove, Some(i)) => {
                out.remove(i);
            }
            (StoreMode::Add | StoreMode::Replace, None) => out.push(f.clone()),
            _ => {}
        }
    }
    out.join(" ")
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
            return self.no(tag, "[READ-ONLY] the mailbox is read-only");
        }
        let mut clean = Vec::new();
        for f in flags {
            if f.eq_ignore_ascii_case("\\Recent") {
                continue;
            }
            match canonical_flag(f) {
                Some(c) => clean.push(c),
                None => return self.bad(tag, &format!("flag {f} cannot be stored")),
            }
        }
        if unchanged_since.is_some() {
            self.condstore = true;
        }
        let sel = self.selected.as_ref().expect("selected");
        let Some(targets) = resolve(&sel.uids, set, uid) else {
            return self.bad(tag, "invalid message sequence number");
        };
        let recent_from = sel.recent_from;
        let rows = match self.rows_for(&targets, false).await {
            Ok(r) => r,
            Err(e) => return self.fault(tag, &e),
        };
        let mut modified = Vec::new();
        let mut changes: Vec<(Row, String)> = Vec::new();
        let mut report = Vec::new();
        for (seq, row) in rows {
            if let Some(u) = unchanged_since
                && row.modseq as u64 > u
            {
                modified.push(if uid { row.uid as u32 } else { seq });
                continue;
            }
            let new = apply(&row.flags, mode, &clean);
            if new.split(' ').filter(|f| !f.starts_with('\\')).count() > MAX_KEYWORDS {
                return self.no(tag, "[LIMIT] too many keywords on one message");
            }
            if new != row.flags {
                changes.push((row.clone(), new.clone()));
            }
            report.push((seq, row.uid as u32, new, row.modseq));
        }
        let account = self.account.as_deref().cloned().expect("logged in");
        let modseq = match ops::set_flags(&self.shared.store, &account, &mailbox, &changes).await {
            Ok(m) => m,
            Err(e) => return self.fault(tag, &e),
        };
        if modseq > 0
            && let Some(s) = self.selected.as_mut()
        {
            s.own.push(modseq);
            for (r, f) in &changes {
                s.set_flags(r.uid as u32, f, modseq);
            }
        }
        let mut out = Vec::new();
        for (seq, u, flags, old_modseq) in report {
            let changed = changes.iter().any(|(r, _)| r.uid as u32 == u);
            let this_modseq = if changed { modseq } else { old_modseq };
            // .SILENT still reports the new MODSEQ under CONDSTORE (RFC 7162 §3.1.3).
            if silent && !(self.condstore && changed) {
                continue;
            }
            out.extend_from_slice(format!("* {seq} FETCH (").as_bytes());
            if uid || self.qresync {
                out.extend_from_slice(format!("UID {u} ").as_bytes());
            }
            if !silent {
                out.extend_from_slice(b"FLAGS ");
                write_flags(&mut out, &flags, u >= recent_from);
            }
            if self.condstore {
                if !silent {
                    out.push(b' ');
                }
                out.extend_from_slice(format!("MODSEQ ({this_modseq})").as_bytes());
            }
            out.extend_from_slice(b")\r\n");
        }
        self.conn.queue_bytes(&out);
        if !modified.is_empty() {
            modified.sort_unstable();
            return self.ok(tag, &format!("[MODIFIED {}] conditional STORE failed for some", compact(&modified)));
        }
        self.ok(tag, if uid { "UID STORE completed" } else { "STORE completed" })
    }

    pub async fn copy(&mut self, tag: &str, uid: bool, set: &SequenceSet, dest: &str, is_move: bool) -> Next {
        let Some((mailbox, read_only)) = self.mailbox_state() else { return self.bad(tag, "no mailbox selected") };
        if is_move && read_only {
            return self.no(tag, "[READ-ONLY] the mailbox is read-only");
        }
        let sel = self.selected.as_ref().expect("selected");
        let Some(targets) = resolve(&sel.uids, set, uid) else {
            return self.bad(tag, "invalid message sequence number");
        };
        let rows: Vec<Row> = match self.rows_for(&targets, false).await {
            Ok(r) => r.into_iter().map(|(_, r)| r).collect(),
            Err(e) => return self.fault(tag, &e),
        };
        let account = self.account.as_deref().cloned().expect("logged in");
        let (validity, pairs) = match ops::copy(&self.shared.store, &account, &mailbox, &rows, dest).await {
            Ok(x) => x,
            Err(e) if e.kind == Kind::NotFound => return self.no(tag, "[TRYCREATE] no such mailbox"),
            Err(e) => return self.fault(tag, &e),
        };
        let src: Vec<u32> = pairs.iter().map(|p| p.0 as u32).collect();
        let dst: Vec<u32> = pairs.iter().map(|p| p.1 as u32).collect();
        // COPYUID lists both sets in the same order (RFC 4315 §3).
        let list = |v: &[u32]| v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(",");
        let code = if pairs.is_empty() {
            String::new()
        } else {
            format!("[COPYUID {validity} {} {}] ", list(&src), list(&dst))
        };
        if !is_move {
            return self.ok(tag, &format!("{code}COPY completed"));
        }
        if !code.is_empty() {
            self.untagged(&format!("OK {code}moved"));
        }
        let uids: Vec<i64> = rows.iter().map(|r| r.uid).collect();
        if let Err(e) = ops::expunge(&self.shared.store, &account, &mailbox, &uids).await {
            return self.fault(tag, &e);
        }
        self.report_expunged(&uids.iter().map(|&u| u as u32).collect::<Vec<_>>());
        self.ok(tag, "MOVE completed")
    }

    /// Tell the client about messages this session expunged, and forget them.
    fn report_expunged(&mut self, gone: &[u32]) {
        let qresync = self.qresync;
        let Some(sel) = self.selected.as_mut() else { return };
        let mut out = String::new();
        let mut vanished = Vec::new();
        // Highest sequence numbers first, so the numbers stay valid as we go.
        let mut seqs: Vec<(u32, u32)> = gone.iter().filter_map(|&u| sel.seq_of(u).map(|s| (s, u))).collect();
        seqs.sort_unstable_by(|a, b| b.cmp(a));
        for (seq, u) in seqs {
            sel.remove(seq);
            if qresync {
                vanished.push(u);
            } else {
                out.push_str(&format!("* {seq} EXPUNGE\r\n"));
            }
        }
        if !vanished.is_empty() {
            vanished.sort_unstable();
            out.push_str(&format!("* VANISHED {}\r\n", compact(&vanished)));
        }
        self.conn.queue(&out);
    }

    pub async fn expunge(&mut self, tag: &str, uids: Option<&SequenceSet>) -> Next {
        let Some((mailbox, read_only)) = self.mailbox_state() else { return self.bad(tag, "no mailbox selected") };
        if read_only {
            return self.no(tag, "[READ-ONLY] the mailbox is read-only");
        }
        let sel = self.selected.as_ref().expect("selected");
        let all = SequenceSet(vec![(
            crate::proto::imap::sequence::SeqNum::Value(1),
            crate::proto::imap::sequence::SeqNum::Star,
        )]);
        let targets = resolve(&sel.uids, uids.unwrap_or(&all), uids.is_some()).unwrap_or_default();
        let rows = match self.rows_for(&targets, false).await {
            Ok(r) => r,
            Err(e) => return self.fault(tag, &e),
        };
        let deleted: Vec<i64> =
            rows.iter().filter(|(_, r)| r.flags.split(' ').any(|f| f == "\\Deleted")).map(|(_, r)| r.uid).collect();
        let account = self.account.as_deref().cloned().expect("logged in");
        if let Err(e) = ops::expunge(&self.shared.store, &account, &mailbox, &deleted).await {
            return self.fault(tag, &e);
        }
        self.report_expunged(&deleted.iter().map(|&u| u as u32).collect::<Vec<_>>());
        // Anything others changed meanwhile, too.
        if let Err(e) = self.sync(true).await {
            return self.fault(tag, &e);
        }
        self.ok(tag, "EXPUNGE completed")
    }

    pub async fn append(&mut self, tag: &str, mailbox: &str, msgs: &[AppendMessage], raw: &[u8]) -> Next {
        let account = self.account.as_deref().cloned().expect("logged in");
        let hostname = self.shared.config().hostname.clone();
        let mut codes = Vec::new();
        let mut validity = 0;
        for m in msgs {
            let data = raw[m.data.clone()].to_vec();
            if data.is_empty() {
                return self.bad(tag, "an empty message cannot be appended");
            }
            let mut flags = Vec::new();
            for f in &m.flags {
                if f.eq_ignore_ascii_case("\\Recent") {
                    continue;
                }
                match canonical_flag(f) {
                    Some(c) if !flags.contains(&c) => flags.push(c),
                    Some(_) => {}
                    None => return self.bad(tag, &format!("flag {f} cannot be stored")),
                }
            }
            let date = m.date.unwrap_or_else(crate::store::now);
            match ops::append(&self.shared.store, &account, &hostname, mailbox, data, &flags.join(" "), date).await {
                Ok((v, u)) => {
                    validity = v;
                    codes.push(u as u32);
                }
                Err(e) if e.kind == Kind::NotFound => return self.no(tag, "[TRYCREATE] no such mailbox"),
                Err(e) => return self.fault(tag, &e),
            }
        }
        let uids = codes.iter().map(|u| u.to_string()).collect::<Vec<_>>().join(",");
        if self.selected.as_ref().is_some_and(|s| s.mailbox.name == mailbox)
            && let Err(e) = self.sync(false).await
        {
            return self.fault(tag, &e);
        }
        self.ok(tag, &format!("[APPENDUID {validity} {uids}] APPEND completed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applying_flags() {
        let f = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(apply("\\Seen", StoreMode::Add, &f(&["\\Flagged", "\\Seen"])), "\\Seen \\Flagged");
        assert_eq!(apply("\\Seen \\Flagged", StoreMode::Remove, &f(&["\\Seen"])), "\\Flagged");
        assert_eq!(apply("\\Seen", StoreMode::Replace, &f(&["$Junk"])), "$Junk");
        assert_eq!(apply("", StoreMode::Remove, &f(&["\\Seen"])), "");
    }
}

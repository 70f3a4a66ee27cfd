//! Mailbox-level commands: SELECT/EXAMINE (with CONDSTORE and QRESYNC), CLOSE/UNSELECT,
//! CREATE, DELETE, RENAME, SUBSCRIBE, LIST (LIST-EXTENDED, LIST-STATUS, SPECIAL-USE), LSUB,
//! STATUS and the QUOTA commands.

use std::collections::BTreeSet;

use super::session::{Next, Recent, Selected, Session, write_flags};
use crate::ops::mailbox as ops;
use crate::proto::imap::command::{ListOptions, Qresync};
use crate::proto::imap::response::{Code, FetchAttr, ListEntry, Untagged};
use crate::store::maildir::{DELIM, Flag, Flags};
use crate::store::{mailboxes, messages};

/// The parents of a mailbox name, outermost first ("a.b.c": "a", "a.b").
fn ancestors(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices(DELIM).map(move |(i, _)| &name[..i])
}

/// Does `name` match the LIST pattern (`*` anything, `%` anything but the delimiter)?
/// Dynamic programming, so hostile patterns cost O(n·m), not exponential time.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let mut row = vec![false; n.len() + 1];
    row[0] = true;
    for pc in &p {
        let mut next = vec![false; n.len() + 1];
        match pc {
            '*' | '%' => {
                for j in 0..=n.len() {
                    next[j] = row[j] || (j > 0 && next[j - 1] && (*pc == '*' || n[j - 1] != DELIM));
                }
            }
            c => {
                for j in 1..=n.len() {
                    next[j] = row[j - 1] && n[j - 1] == *c;
                }
            }
        }
        row = next;
    }
    row[n.len()]
}

/// A stored (modified UTF-7) name as a session speaking UTF-8 names is shown it; a stored name
/// that is not valid modified UTF-7 is shown as it is.
fn wire_name(utf8: bool, name: &str) -> std::borrow::Cow<'_, str> {
    match utf8.then(|| crate::proto::imap::mutf7::decode(name)).flatten() {
        Some(n) => std::borrow::Cow::Owned(n),
        None => std::borrow::Cow::Borrowed(name),
    }
}

impl Session {
    fn account(&self) -> &crate::store::Account {
        self.account.as_deref().expect("logged in")
    }

    pub async fn select(
        &mut self,
        tag: &str,
        name: &str,
        read_only: bool,
        condstore: bool,
        q: Option<Qresync>,
    ) -> Next {
        if q.is_some() && !self.qresync {
            return self.bad(tag, "QRESYNC must be enabled first");
        }
        if self.selected.take().is_some() {
            self.say(Untagged::Ok { code: Some(Code::Closed), text: "previous mailbox closed" });
        }
        if condstore {
            self.condstore = true;
        }
        let account = self.account().clone();
        // Listen for changes before reading the mailbox, so none falls in between.
        let changes = self.shared.store().changes.subscribe();
        // Every row of the mailbox: on SQLite decoded in place on a read connection (on a
        // blocking thread), whose page cache then serves the SORT or FETCH that follows.
        let (acct, wanted) = (account.clone(), name.to_string());
        let r = self
            .shared
            .store()
            .read(usize::MAX, move |c| {
                Box::pin(async move {
                    let mut m = ops::require(c, &acct, &wanted).await?;
                    let meta = messages::rows_light(c, m.id, 1, i64::MAX).await?;
                    // On PostgreSQL two reads, not one snapshot (SQLite's `Store::read` is one):
                    // mail that came in between is in the rows but not in the mailbox row.
                    // UIDNEXT and HIGHESTMODSEQ then follow the rows (RFC 3501: every UID shown
                    // is below UIDNEXT).
                    if let Some(last) = meta.last() {
                        m.uidnext = m.uidnext.max(last.uid + 1);
                    }
                    m.highestmodseq = meta.iter().map(|r| r.modseq).fold(m.highestmodseq, i64::max);
                    Ok((m, meta))
                })
            })
            .await;
        let (m, meta) = match r {
            Ok(x) => x,
            Err(e) => return self.fault(tag, &e),
        };
        let rows: Vec<(i64, Flags, i64)> = meta.iter().map(|r| (r.uid, r.flags.clone(), r.modseq)).collect();
        let uids: Vec<u32> = rows.iter().map(|r| r.0 as u32).collect();
        // \Recent goes to the first session told of a message: claimed here, atomically
        // against other sessions; EXAMINE claims nothing (it must not change the state), so
        // it shows none.
        let mut recent = Recent::default();
        // IMAP4rev2 has no \Recent (RFC 9051 appendix E): such a session claims none.
        if !read_only && !self.rev2 {
            match ops::claim_recent(&self.shared.store(), m.id, m.recent_uid, m.uidnext - 1).await {
                Ok(Some(c)) => recent.add(c),
                Ok(None) => {}
                Err(e) => return self.fault(tag, &e),
            }
        }
        let keywords: BTreeSet<String> = rows.iter().flat_map(|r| r.1.keywords()).map(str::to_string).collect();
        let mut out = Vec::new();
        write_flags(&keywords, &mut out);
        self.conn.queue_vec(out);
        self.say(Untagged::Exists(uids.len() as u32));
        if !self.rev2 {
            self.say(Untagged::Recent(recent.count(&uids) as u32));
        }
        if let Some(pos) = rows.iter().position(|r| !r.1.has(Flag::SEEN)) {
            self.say(Untagged::Ok { code: Some(Code::Unseen(pos as u32 + 1)), text: "first unseen" });
        }
        self.say(Untagged::Ok { code: Some(Code::UidValidity(m.uidvalidity as u64)), text: "UIDs valid" });
        self.say(Untagged::Ok { code: Some(Code::UidNext(m.uidnext as u64)), text: "predicted next UID" });
        self.say(Untagged::Ok { code: Some(Code::HighestModseq(m.highestmodseq as u64)), text: "highest" });
        let mut sel = Selected {
            read_only,
            modseq: m.highestmodseq,
            expunge_modseq: m.highestmodseq,
            recent,
            own: Vec::new(),
            keywords,
            uids,
            meta,
            checked: std::time::Instant::now(),
            mailbox: m,
        };
        if let Some(q) = q
            && q.uidvalidity as i64 == sel.mailbox.uidvalidity
        {
            let r = self.qresync_report(&mut sel, &q, &rows).await;
            if let Err(e) = r {
                return self.fault(tag, &e);
            }
        }
        self.selected = Some(sel);
        self.changes = Some(changes);
        match read_only {
            true => self.ok_code(tag, Code::ReadOnly, "EXAMINE completed"),
            false => self.ok_code(tag, Code::ReadWrite, "SELECT completed"),
        }
    }

    /// RFC 7162 §3.2.5.1: VANISHED (EARLIER) for what went since the client's modseq, FETCH
    /// for what changed.
    async fn qresync_report(
        &mut self,
        sel: &mut Selected,
        q: &Qresync,
        rows: &[(i64, Flags, i64)],
    ) -> crate::error::Result<()> {
        let mut conn = self.shared.store().pool.acquire().await?;
        let gone =
            messages::expunged_since(&mut crate::store::conn::Conn::Any(&mut conn), sel.mailbox.id, q.modseq as i64)
                .await?;
        let gone: Vec<u32> = gone
            .into_iter()
            .map(|u| u as u32)
            .filter(|u| q.known_uids.as_ref().is_none_or(|k| k.contains(*u, u32::MAX)))
            .collect();
        if !gone.is_empty() {
            self.say(Untagged::Vanished { earlier: true, uids: &gone });
        }
        let mut out = Vec::new();
        for (uid, flags, modseq) in rows {
            if *modseq > q.modseq as i64 {
                let uid = *uid as u32;
                let Some(seq) = sel.seq_of(uid) else { continue };
                let attrs = [
                    FetchAttr::Uid(uid),
                    FetchAttr::Flags { flags: &flags.to_index(), recent: sel.recent.contains(uid) },
                    FetchAttr::Modseq(*modseq as u64),
                ];
                Untagged::Fetch { seq, attrs: &attrs }.write(&mut out);
            }
        }
        self.conn.queue_bytes(&out);
        Ok(())
    }

    /// CLOSE (expunging \Deleted messages silently unless read-only) and UNSELECT.
    pub async fn close(&mut self, tag: &str, expunge: bool) -> Next {
        let Some(sel) = self.selected.take() else { return self.bad(tag, "no mailbox selected") };
        self.changes = None;
        if expunge && !sel.read_only {
            let account = self.account().clone();
            let all: Vec<i64> = sel.uids.iter().map(|&u| u as i64).collect();
            let r = ops::expunge(&self.shared.store(), &account, &sel.mailbox, &all, true).await;
            if let Err(e) = r {
                return self.fault(tag, &e);
            }
        }
        self.ok(tag, if expunge { "CLOSE completed" } else { "UNSELECT completed" })
    }

    pub async fn create(&mut self, tag: &str, name: &str) -> Next {
        let account = self.account().clone();
        match ops::create(&self.shared.store(), &account, name).await {
            Ok(()) => self.ok(tag, "CREATE completed"),
            Err(e) => self.fault(tag, &e),
        }
    }

    pub async fn delete(&mut self, tag: &str, name: &str) -> Next {
        let account = self.account().clone();
        match ops::delete(&self.shared.store(), &account, name).await {
            Ok(()) => {
                if self.selected.as_ref().is_some_and(|s| s.mailbox.name == name) {
                    self.selected = None;
                    self.changes = None;
                }
                self.ok(tag, "DELETE completed")
            }
            // The one refusal of that kind: children (RFC 5530).
            Err(e) if e.kind == crate::error::Kind::Exists => self.no(tag, Code::HasChildren, &e.message),
            Err(e) => self.fault(tag, &e),
        }
    }

    pub async fn rename(&mut self, tag: &str, from: &str, to: &str) -> Next {
        let account = self.account().clone();
        match ops::rename(&self.shared.store(), &account, from, to).await {
            Ok(()) => self.ok(tag, "RENAME completed"),
            Err(e) => self.fault(tag, &e),
        }
    }

    pub async fn subscribe(&mut self, tag: &str, name: &str, on: bool) -> Next {
        let account = self.account().clone();
        let r = async {
            let mut conn = self.shared.store().pool.acquire().await?;
            if on {
                ops::require(&mut crate::store::conn::Conn::Any(&mut conn), &account, name).await?;
            }
            mailboxes::subscribe(&mut conn, account.id, name, on).await
        }
        .await;
        match r {
            Ok(()) => self.ok(tag, if on { "SUBSCRIBE completed" } else { "UNSUBSCRIBE completed" }),
            Err(e) => self.fault(tag, &e),
        }
    }

    pub async fn list(&mut self, tag: &str, reference: &str, patterns: &[String], o: &ListOptions) -> Next {
        if patterns.len() == 1 && patterns[0].is_empty() && !o.extended {
            self.say(Untagged::List(ListEntry {
                attrs: &["\\Noselect"],
                delimiter: DELIM,
                name: "",
                child_subscribed: false,
            }));
            return self.ok(tag, "LIST completed");
        }
        let account = self.account().clone();
        let r = async {
            let mut conn = self.shared.store().pool.acquire().await?;
            let boxes = mailboxes::list(&mut conn, account.id).await?;
            let subs = mailboxes::subscriptions(&mut conn, account.id).await?;
            Ok::<_, crate::error::Error>((boxes, subs))
        }
        .await;
        let (boxes, subs) = match r {
            Ok(x) => x,
            Err(e) => return self.fault(tag, &e),
        };
        let names: BTreeSet<&str> = boxes.iter().map(|b| b.name.as_str()).collect();
        let subs: BTreeSet<&str> = subs.iter().map(String::as_str).collect();
        let matches = |name: &str| {
            patterns.iter().any(|p| {
                let full = format!("{reference}{p}");
                // INBOX matches case-insensitively (RFC 3501 §5.1), as a name: only a pattern
                // that starts with it (in any case), as Dovecot does; `*x` does not list it.
                let upper = full.to_ascii_uppercase();
                pattern_matches(&full, name)
                    || (name == "INBOX" && upper.starts_with("INBOX") && pattern_matches(&upper, name))
            })
        };
        // Candidates: the mailboxes; under SUBSCRIBED the subscribed names (some may no longer
        // exist) and, with RECURSIVEMATCH, their parents.
        let candidates: BTreeSet<&str> = match (o.subscribed_only, o.recursive_match) {
            (false, _) => names.clone(),
            (true, false) => subs.clone(),
            (true, true) => subs.iter().flat_map(|s| ancestors(s).chain([*s])).collect(),
        };
        let mut out = Vec::new();
        let mut status_for = Vec::new();
        for &name in candidates.iter().filter(|n| matches(n)) {
            let subscribed = subs.contains(name);
            let prefix = format!("{name}{DELIM}");
            // RFC 5258 §3.5: a subscribed descendant the pattern hides.
            let child_subscribed = o.recursive_match && subs.iter().any(|d| d.starts_with(&prefix) && !matches(d));
            if o.subscribed_only && !subscribed && !child_subscribed {
                continue;
            }
            let exists = names.contains(name);
            let special = ops::special_use(name);
            if o.special_use_only && special.is_none() {
                continue;
            }
            let children = names.iter().any(|n| n.starts_with(&prefix));
            let mut attrs = Vec::new();
            if !exists {
                attrs.push("\\NonExistent");
            }
            attrs.push(if children { "\\HasChildren" } else { "\\HasNoChildren" });
            if (o.subscribed_only || o.return_subscribed) && subscribed {
                attrs.push("\\Subscribed");
            }
            if let Some(s) = special {
                attrs.push(s);
            }
            let shown = wire_name(self.utf8, name);
            Untagged::List(ListEntry { attrs: &attrs, delimiter: DELIM, name: &shown, child_subscribed })
                .write(&mut out);
            if exists && !o.return_status.is_empty() {
                status_for.push(name.to_string());
            }
        }
        self.conn.queue_bytes(&out);
        for name in status_for {
            if let Err(e) = self.status_line(&name, &o.return_status).await {
                return self.fault(tag, &e);
            }
        }
        self.ok(tag, "LIST completed")
    }

    pub async fn lsub(&mut self, tag: &str, reference: &str, pattern: &str) -> Next {
        let account = self.account().clone();
        let r = async {
            let mut conn = self.shared.store().pool.acquire().await?;
            let names: Vec<String> =
                mailboxes::list(&mut conn, account.id).await?.into_iter().map(|m| m.name).collect();
            let subs = mailboxes::subscriptions(&mut conn, account.id).await?;
            Ok::<_, crate::error::Error>((names, subs))
        }
        .await;
        let (names, subs) = match r {
            Ok(x) => x,
            Err(e) => return self.fault(tag, &e),
        };
        let full = format!("{reference}{pattern}");
        // A subscribed name that `%` hides shows as its matching parent, \Noselect unless
        // that parent is subscribed itself (RFC 3501 §6.3.9).
        let subscribed: BTreeSet<&str> = subs.iter().map(String::as_str).collect();
        let mut shown: std::collections::BTreeMap<&str, bool> = std::collections::BTreeMap::new();
        for &s in &subscribed {
            if pattern_matches(&full, s) {
                shown.insert(s, true);
            } else if let Some(parent) = ancestors(s).filter(|a| pattern_matches(&full, a)).last() {
                shown.entry(parent).or_insert(subscribed.contains(parent));
            }
        }
        let mut out = Vec::new();
        for (name, is_subscribed) in shown {
            let attrs: &[&str] = if is_subscribed && names.iter().any(|n| n == name) { &[] } else { &["\\Noselect"] };
            let name = &wire_name(self.utf8, name);
            Untagged::Lsub(ListEntry { attrs, delimiter: DELIM, name, child_subscribed: false }).write(&mut out);
        }
        self.conn.queue_bytes(&out);
        self.ok(tag, "LSUB completed")
    }

    async fn status_line(&mut self, name: &str, items: &[String]) -> crate::error::Result<()> {
        let account = self.account().clone();
        let mut conn = self.shared.store().pool.acquire().await?;
        let m = ops::require(&mut crate::store::conn::Conn::Any(&mut conn), &account, name).await?;
        let (count, unseen, deleted, bytes) = mailboxes::counts(&mut conn, m.id).await?;
        let recent = mailboxes::unclaimed_recent(&mut conn, &m).await?;
        let mut parts: Vec<(&str, i64)> = Vec::with_capacity(items.len());
        for i in items {
            let v = match i.as_str() {
                "MESSAGES" => count,
                "RECENT" => recent,
                "UIDNEXT" => m.uidnext,
                "UIDVALIDITY" => m.uidvalidity,
                "UNSEEN" => unseen,
                "DELETED" => deleted,
                "SIZE" => bytes,
                "HIGHESTMODSEQ" => m.highestmodseq,
                other => return Err(crate::error::Error::invalid(format!("unknown STATUS item {other}"))),
            };
            parts.push((i, v));
        }
        let shown = wire_name(self.utf8, name);
        self.say(Untagged::Status { mailbox: &shown, items: &parts });
        Ok(())
    }

    pub async fn status(&mut self, tag: &str, name: &str, items: &[String]) -> Next {
        match self.status_line(name, items).await {
            Ok(()) => self.ok(tag, "STATUS completed"),
            Err(e) if e.kind == crate::error::Kind::Invalid => self.bad(tag, &e.message),
            Err(e) => self.fault(tag, &e),
        }
    }

    /// GETQUOTA "" and GETQUOTAROOT mailbox (RFC 9208): one root per account, STORAGE in KiB.
    pub async fn get_quota(&mut self, tag: &str, root: Option<&str>, mailbox: Option<&str>) -> Next {
        if root.is_some_and(|r| !r.is_empty()) {
            return self.no(tag, Code::Nonexistent, "no such quota root");
        }
        let account = self.account().clone();
        let r = async {
            let mut conn = self.shared.store().pool.acquire().await?;
            if let Some(m) = mailbox {
                ops::require(&mut crate::store::conn::Conn::Any(&mut conn), &account, m).await?;
            }
            crate::store::accounts::get(&mut conn, &account.address).await
        }
        .await;
        let a = match r {
            Ok(Some(a)) => a,
            Ok(None) => return self.no(tag, Code::Unavailable, "account vanished"),
            Err(e) => return self.fault(tag, &e),
        };
        if let Some(m) = mailbox {
            self.say(Untagged::QuotaRoot { mailbox: m, roots: &[""] });
        }
        let storage = a.quota_bytes.map(|q| (a.used_bytes.div_ceil(1024), q / 1024));
        self.say(Untagged::Quota { root: "", storage });
        self.ok(tag, "GETQUOTA completed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let cases = [
            ("*", "INBOX", true),
            ("*", "Work.2026", true),
            ("%", "Work.2026", false),
            ("%", "Work", true),
            ("Work.%", "Work.2026", true),
            ("Work.%", "Work.2026.Q1", false),
            ("Work*", "Work.2026.Q1", true),
            ("S%t", "Sent", true),
            ("S%t", "S.t", false),
            ("", "INBOX", false),
            ("INBOX", "INBOX", true),
        ];
        for (p, n, want) in cases {
            assert_eq!(pattern_matches(p, n), want, "{p} {n}");
        }
        let hostile = "*".repeat(500) + "x";
        assert!(!pattern_matches(&hostile, &"a".repeat(200)));
    }
}

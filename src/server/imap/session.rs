//! One IMAP session: framing commands off the connection, the state machine (not
//! authenticated, authenticated, selected), dispatch, and the untagged updates that tell a
//! client what other sessions and deliveries changed.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::broadcast;

use crate::proto::imap::command::{Body, Command, parse};
use crate::proto::imap::framer::{Frame, Framer, Limits};
use crate::proto::imap::mutf7;
use crate::proto::imap::response::{self, Code, Cond, FetchAttr, Untagged};
use crate::server::Shared;
use crate::server::conn::{Conn, Input, Stream};
use crate::store::mailboxes::Mailbox;
use crate::store::maildir::Flags;
use crate::store::maildir::flags::SYSTEM_ATOMS;
use crate::store::{Account, messages};

/// Before login a client gets a minute of silence (less if `imap_idle_timeout` is shorter);
/// after, `imap_idle_timeout` (30 minutes).
pub const PRE_AUTH_TIMEOUT: Duration = Duration::from_secs(60);
/// IMAP sessions may last (IDLE for days is normal); this only bounds a runaway one.
const SESSION_LIMIT: Duration = Duration::from_secs(7 * 24 * 3600);
const LINE_LIMIT: usize = 64 * 1024;
const LITERAL_LIMIT: usize = 64 * 1024;
/// What one read may add to a command being received.
const READ_AHEAD: usize = 64 * 1024;
const MAX_ERRORS: u32 = 20;

/// The capabilities once logged in (besides IMAP4rev1, IMAP4rev2, LITERAL+, SASL-IR, ID, ENABLE,
/// IDLE).
pub const CAPS: &str = "NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE LIST-EXTENDED LIST-STATUS \
     QUOTA QUOTA=RES-STORAGE CONDSTORE QRESYNC STATUS=SIZE ESEARCH SORT SORT=DISPLAY MULTIAPPEND BINARY \
     THREAD=ORDEREDSUBJECT THREAD=REFERENCES UTF8=ACCEPT";

/// The mailbox a session has selected, as the session knows it: the sequence-number map and
/// the modseqs up to which changes have been reported.
pub struct Selected {
    pub mailbox: Mailbox,
    pub read_only: bool,
    /// UIDs in sequence order (sequence number n is `uids[n - 1]`).
    pub uids: Vec<u32>,
    /// The index rows of those messages, in the same order (no ENVELOPE): FETCH, SEARCH and
    /// STORE read them here instead of asking the store for every command. About 120 bytes
    /// per message, for the selected mailbox only; kept current by [`Session::sync`] and by
    /// this session's own changes.
    pub meta: Vec<messages::Row>,
    /// When the store was last asked whether anything changed (for changes made by other
    /// processes, which the change channel does not carry).
    pub checked: std::time::Instant,
    /// Flag changes and new messages up to this modseq have been reported.
    pub modseq: i64,
    /// Expunges up to this modseq have been reported.
    pub expunge_modseq: i64,
    /// The messages that are \Recent in this session (and in no other).
    pub recent: Recent,
    /// Modseqs of this session's own STOREs, not to be echoed again by [`Session::sync`].
    pub own: Vec<i64>,
    /// The keywords this session's FLAGS response has announced.
    pub keywords: BTreeSet<String>,
}

/// The UIDs that are \Recent in one session: the ranges it claimed from the mailbox's
/// counter (at SELECT, and at each sync that found new messages), so that no two sessions
/// hold one message.
#[derive(Debug, Default, Clone)]
pub struct Recent(Vec<(u32, u32)>);

impl Recent {
    pub fn contains(&self, uid: u32) -> bool {
        self.0.iter().any(|&(a, b)| a <= uid && uid <= b)
    }

    /// Add a claimed range (claims grow upwards, so touching ranges merge).
    pub fn add(&mut self, (first, last): (i64, i64)) {
        let (first, last) = (first.clamp(0, u32::MAX as i64) as u32, last.clamp(0, u32::MAX as i64) as u32);
        if first > last {
            return;
        }
        match self.0.last_mut() {
            Some(prev) if prev.1.checked_add(1) == Some(first) => prev.1 = last,
            _ => self.0.push((first, last)),
        }
    }

    /// How many of these UIDs are \Recent here.
    pub fn count(&self, uids: &[u32]) -> usize {
        self.0.iter().map(|&(a, b)| uids.partition_point(|&u| u <= b) - uids.partition_point(|&u| u < a)).sum()
    }
}

/// FLAGS and PERMANENTFLAGS for a mailbox whose messages carry these keywords: the system
/// flags, the keywords, and (in PERMANENTFLAGS) `\*`, as any new keyword may be stored.
pub fn write_flags(keywords: &BTreeSet<String>, out: &mut Vec<u8>) {
    let mut flags: Vec<&str> = SYSTEM_ATOMS.iter().copied().chain(keywords.iter().map(String::as_str)).collect();
    Untagged::Flags(&flags).write(out);
    flags.push("\\*");
    Untagged::Ok { code: Some(Code::PermanentFlags(&flags)), text: "flags allowed" }.write(out);
}

impl Selected {
    pub fn seq_of(&self, uid: u32) -> Option<u32> {
        self.uids.binary_search(&uid).ok().map(|i| i as u32 + 1)
    }
    pub fn max_uid(&self) -> u32 {
        self.uids.last().copied().unwrap_or(0)
    }
    /// Forget expunged messages and say so: `* n EXPUNGE` from the highest sequence number
    /// down (so the numbers stay valid as the client applies them), or one `* VANISHED` set
    /// under QRESYNC. The messages go in one pass, however many there are.
    pub fn forget(&mut self, gone: &[u32], qresync: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut seqs: Vec<(u32, u32)> = gone.iter().filter_map(|&u| self.seq_of(u).map(|s| (s, u))).collect();
        seqs.sort_unstable_by(|a, b| b.cmp(a));
        seqs.dedup();
        if !qresync {
            for &(seq, _) in &seqs {
                Untagged::Expunge(seq).write(&mut out);
            }
        }
        let mut keep = vec![true; self.uids.len()];
        for &(seq, _) in &seqs {
            keep[seq as usize - 1] = false;
        }
        let (mut m, mut u) = (keep.iter(), keep.iter());
        self.meta.retain(|_| *m.next().unwrap_or(&true));
        self.uids.retain(|_| *u.next().unwrap_or(&true));
        if qresync && !seqs.is_empty() {
            let mut uids: Vec<u32> = seqs.iter().map(|&(_, u)| u).collect();
            uids.sort_unstable();
            Untagged::Vanished { earlier: false, uids: &uids }.write(&mut out);
        }
        out
    }

    /// Record new flags (this session's change, or one reported to it).
    /// Call before a FETCH shows these flags: when one carries a keyword not announced yet,
    /// FLAGS and PERMANENTFLAGS go out again first (RFC 3501 §7.2.6, RFC 9051 §7.3.5: a
    /// client never sees a keyword the FLAGS response did not name).
    pub fn announce<'a>(&mut self, flags: impl IntoIterator<Item = &'a Flags>, out: &mut Vec<u8>) {
        let mut grew = false;
        for k in flags.into_iter().flat_map(Flags::keywords) {
            if !self.keywords.contains(k) {
                self.keywords.insert(k.to_string());
                grew = true;
            }
        }
        if grew {
            write_flags(&self.keywords, out);
        }
    }

    pub fn set_flags(&mut self, uid: u32, flags: &Flags, modseq: i64) {
        if let Some(seq) = self.seq_of(uid) {
            let m = &mut self.meta[seq as usize - 1];
            m.flags = flags.clone();
            m.modseq = modseq;
        }
    }
}

pub struct Session {
    pub shared: Arc<Shared>,
    pub peer: SocketAddr,
    pub conn: Conn,
    pub framer: Framer,
    pub account: Option<Box<Account>>,
    pub selected: Option<Selected>,
    pub condstore: bool,
    pub qresync: bool,
    /// `ENABLE IMAP4rev2` (RFC 9051): no \Recent, no LSUB, ESEARCH replies, UTF-8 names.
    pub rev2: bool,
    /// Mailbox names are UTF-8 on the wire (IMAP4rev2, or `ENABLE UTF8=ACCEPT`, RFC 6855); the
    /// store keeps modified UTF-7 (`proto::imap::mutf7`).
    pub utf8: bool,
    pub changes: Option<broadcast::Receiver<(i64, i64)>>,
    errors: u32,
    /// The tag of the command running (for continuation prompts).
    pub tag: String,
    /// A change to the selected mailbox was announced and not fully reported yet.
    pub pending_change: bool,
    /// The session must end after this command (its mailbox was deleted under it).
    pub doomed: bool,
    /// Memory held for an APPEND literal being received.
    held: Option<crate::server::limits::Held>,
}

/// What a command handler tells the loop.
pub enum Next {
    Continue,
    Close,
}

impl Session {
    /// Queue an untagged response.
    pub fn say(&mut self, r: Untagged<'_>) {
        let mut out = Vec::new();
        r.write(&mut out);
        self.conn.queue_vec(out);
    }

    /// Queue a continuation request (`+ text`).
    pub fn go_on(&mut self, text: &str) {
        let mut out = Vec::new();
        response::continuation(&mut out, text);
        self.conn.queue_vec(out);
    }

    fn reply(&mut self, tag: &str, cond: Cond, code: Option<Code<'_>>, text: &str) {
        let mut out = Vec::new();
        response::tagged(&mut out, tag, cond, code.as_ref(), text);
        self.conn.queue_vec(out);
    }

    pub fn ok(&mut self, tag: &str, text: &str) -> Next {
        self.reply(tag, Cond::Ok, None, text);
        Next::Continue
    }

    pub fn ok_code(&mut self, tag: &str, code: Code<'_>, text: &str) -> Next {
        self.reply(tag, Cond::Ok, Some(code), text);
        Next::Continue
    }

    /// Every NO says why in a code a client can act on (RFC 5530).
    pub fn no(&mut self, tag: &str, code: Code<'_>, text: &str) -> Next {
        self.reply(tag, Cond::No, Some(code), text);
        Next::Continue
    }

    pub fn bad(&mut self, tag: &str, text: &str) -> Next {
        self.reply(tag, Cond::Bad, None, text);
        self.count_error(Next::Continue)
    }

    /// Count a protocol error or a failed login; too many end the session.
    pub fn count_error(&mut self, next: Next) -> Next {
        self.errors += 1;
        if matches!(next, Next::Continue) && self.errors >= MAX_ERRORS {
            self.say(Untagged::Bye { code: None, text: "too many errors" });
            return Next::Close;
        }
        next
    }

    /// A store failure: logged, and a NO [SERVERBUG]-free temporary answer to the client.
    pub fn fault(&mut self, tag: &str, e: &crate::error::Error) -> Next {
        use crate::error::Kind;
        match e.kind {
            Kind::NotFound => self.no(tag, Code::Nonexistent, &e.message),
            Kind::Exists => self.no(tag, Code::AlreadyExists, &e.message),
            Kind::Invalid => self.no(tag, Code::Cannot, &e.message),
            Kind::OverQuota => self.no(tag, Code::OverQuota, "the mailbox is over its quota"),
            _ => {
                tracing::error!(error = %e.one_line(), "imap command failed");
                self.no(tag, Code::Unavailable, "temporary failure, try again later")
            }
        }
    }

    /// Plaintext login only under TLS, or from loopback in dev mode.
    pub fn login_allowed(&self) -> bool {
        self.conn.is_tls() || (self.shared.config().dev_mode && self.peer.ip().is_loopback())
    }

    pub fn capabilities(&self) -> String {
        let mut c = String::from("IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ ID ENABLE IDLE");
        if self.account.is_none() {
            if !self.conn.is_tls() {
                c.push_str(" STARTTLS");
            }
            if self.login_allowed() {
                c.push_str(" AUTH=PLAIN");
            } else {
                c.push_str(" LOGINDISABLED");
            }
        } else {
            c.push(' ');
            c.push_str(CAPS);
            c.push_str(&format!(" APPENDLIMIT={}", self.shared.config().server.message_size_limit));
        }
        c
    }

    fn limits(&self) -> Limits {
        // Before login nothing may be appended: every literal is small.
        let append = if self.account.is_some() {
            self.shared.config().server.message_size_limit as usize
        } else {
            LITERAL_LIMIT
        };
        Limits { line: LINE_LIMIT, append_literal: append, literal: LITERAL_LIMIT }
    }

    /// Report what changed in the selected mailbox since the session last looked: new
    /// messages (EXISTS, RECENT), flag changes (FETCH), and, when `expunges` (not during
    /// FETCH, STORE or SEARCH, RFC 3501 §7.4.1), expunged messages (EXPUNGE or VANISHED).
    pub async fn sync(&mut self, expunges: bool) -> crate::error::Result<()> {
        self.sync_if(expunges, true).await
    }

    /// [`Session::sync`], but when `force` is false only if the change channel says this
    /// mailbox changed (every change made in this process is announced there; NOOP, CHECK
    /// and IDLE force a look, which catches changes made by `mailctl` commands).
    pub async fn sync_if(&mut self, expunges: bool, force: bool) -> crate::error::Result<()> {
        let mine = self.selected.as_ref().map(|s| s.mailbox.id);
        // This session's own flag changes need no look at the store: it knows them already
        // (a bounded list: past it, a look clears it).
        let own: &[i64] = self.selected.as_ref().map(|s| s.own.as_slice()).filter(|o| o.len() < 256).unwrap_or(&[]);
        let mut pending = self.pending_change;
        if let Some(rx) = self.changes.as_mut() {
            loop {
                match rx.try_recv() {
                    Ok((id, modseq)) => pending |= Some(id) == mine && !(modseq != 0 && own.contains(&modseq)),
                    Err(broadcast::error::TryRecvError::Lagged(_)) => pending = true,
                    Err(_) => break,
                }
            }
        }
        // Changes made in this process are announced; others are looked for at most once a
        // second when the client asks (NOOP, CHECK, IDLE).
        let stale = self.selected.as_ref().is_some_and(|s| s.checked.elapsed() >= std::time::Duration::from_secs(1));
        if !(pending || force && stale) {
            return Ok(());
        }
        // Expunges not yet reportable keep the mailbox marked as changed.
        self.pending_change = !expunges && pending;
        let Some(sel) = self.selected.as_mut() else { return Ok(()) };
        sel.checked = std::time::Instant::now();
        // Every change takes a new modseq: nothing above what we have seen, nothing to say.
        // The mailbox is read first, so an expunge committed while we look is reported next
        // time. All of it in one read (one crossing to a SQLite read connection).
        let (id, seen, seen_expunged, max_known) = (sel.mailbox.id, sel.modseq, sel.expunge_modseq, sel.max_uid());
        let look = self
            .shared
            .store()
            // Mostly nothing, or a few rows: what changed since the last look.
            .read(1, move |c| {
                Box::pin(async move {
                    let Some(now) = crate::store::mailboxes::by_id(c, id).await? else { return Ok(None) };
                    let hi = now.highestmodseq;
                    if hi <= seen && (hi <= seen_expunged || !expunges) {
                        return Ok(Some((now, None)));
                    }
                    let gone =
                        if expunges { messages::expunged_since(c, id, seen_expunged).await? } else { Vec::new() };
                    let changed = messages::changed_since(c, id, seen).await?;
                    let new: Vec<i64> = changed.iter().map(|r| r.0).filter(|&u| u > max_known as i64).collect();
                    let new_rows = if new.is_empty() {
                        Vec::new()
                    } else {
                        messages::rows_for(c, id, &new, messages::Cols::Light).await?
                    };
                    Ok(Some((now, Some((gone, changed, new_rows)))))
                })
            })
            .await?;
        let Some((now, changes)) = look else {
            // Deleted by another session: nothing sensible is left to show (RFC 3501 §7.1.5).
            self.selected = None;
            self.changes = None;
            self.say(Untagged::Bye { code: None, text: "the selected mailbox was deleted" });
            self.doomed = true;
            return Ok(());
        };
        // Renamed meanwhile: the files are under the new name now.
        sel.mailbox.name = now.name;
        let hi = now.highestmodseq;
        let Some((gone, changed, new_rows)) = changes else { return Ok(()) };
        let mut out = Vec::new();
        if expunges {
            let gone: Vec<u32> = gone.into_iter().map(|u| u as u32).collect();
            out = sel.forget(&gone, self.qresync);
            sel.expunge_modseq = hi;
        }
        let before = sel.uids.len();
        let mut flag_updates = Vec::new();
        for (uid, flags, modseq) in &changed {
            let uid = *uid as u32;
            // A new message's row came with the look.
            if uid <= max_known
                && let Some(seq) = sel.seq_of(uid)
            {
                let m = &mut sel.meta[seq as usize - 1];
                if m.flags != *flags || m.modseq != *modseq {
                    m.flags = flags.clone();
                    m.modseq = *modseq;
                    if !sel.own.contains(modseq) {
                        flag_updates.push((seq, uid, flags.clone(), *modseq));
                    }
                }
            }
            sel.modseq = sel.modseq.max(*modseq);
        }
        sel.announce(new_rows.iter().map(|r| &r.flags).chain(flag_updates.iter().map(|u| &u.2)), &mut out);
        for row in new_rows {
            sel.uids.push(row.uid as u32);
            sel.meta.push(row);
        }
        sel.own.clear();
        // Every change up to `hi` was committed before we read it, and has been seen above.
        sel.modseq = sel.modseq.max(hi);
        if sel.uids.len() != before {
            if !sel.read_only
                && !self.rev2
                && let Some(claimed) = crate::ops::mailbox::claim_recent(
                    &self.shared.store(),
                    sel.mailbox.id,
                    now.recent_uid,
                    sel.max_uid() as i64,
                )
                .await?
            {
                sel.recent.add(claimed);
            }
            Untagged::Exists(sel.uids.len() as u32).write(&mut out);
            if !self.rev2 {
                Untagged::Recent(sel.recent.count(&sel.uids) as u32).write(&mut out);
            }
        }
        for (seq, uid, flags, modseq) in flag_updates {
            let attrs = [
                FetchAttr::Uid(uid),
                FetchAttr::Flags { flags: &flags.to_index(), recent: sel.recent.contains(uid) },
                FetchAttr::Modseq(modseq as u64),
            ];
            let n = if self.condstore { 3 } else { 2 };
            Untagged::Fetch { seq, attrs: &attrs[..n] }.write(&mut out);
        }
        self.conn.queue_bytes(&out);
        Ok(())
    }

    async fn command(&mut self, cmd: Command, raw: &[u8]) -> Next {
        let tag = cmd.tag.clone();
        self.tag = tag.clone();
        let authed = self.account.is_some();
        let selected = self.selected.is_some();
        // Commands valid in every state.
        match &cmd.body {
            Body::Capability => {
                let caps = self.capabilities();
                self.say(Untagged::Capability(&caps));
                return self.ok(&tag, "CAPABILITY completed");
            }
            Body::Noop | Body::Check => {
                if let Err(e) = self.sync(true).await {
                    return self.fault(&tag, &e);
                }
                return self.ok(&tag, "NOOP completed");
            }
            Body::Logout => {
                self.say(Untagged::Bye { code: None, text: "logging out" });
                self.ok(&tag, "LOGOUT completed");
                return Next::Close;
            }
            Body::Id => {
                self.say(Untagged::Id(&[("name", "mailctl"), ("version", env!("CARGO_PKG_VERSION"))]));
                return self.ok(&tag, "ID completed");
            }
            _ => {}
        }
        if !authed {
            return match cmd.body {
                Body::StartTls => self.starttls(&tag).await,
                Body::Login { user, pass } => self.login(&tag, &user, &pass).await,
                Body::Authenticate { mechanism, initial } => self.authenticate(&tag, &mechanism, initial).await,
                _ => self.bad(&tag, "log in first"),
            };
        }
        // Catch up on announced changes first (flags and new mail, never expunges here), so a
        // command works on, and answers with, the current state.
        if selected
            && matches!(
                cmd.body,
                Body::Fetch { .. }
                    | Body::Search { .. }
                    | Body::Sort { .. }
                    | Body::Thread { .. }
                    | Body::Store { .. }
                    | Body::Copy { .. }
                    | Body::Move { .. }
            )
            && let Err(e) = self.sync_if(false, false).await
        {
            return self.fault(&tag, &e);
        }
        let mut cmd = cmd;
        if self.utf8 {
            for name in cmd.body.mailbox_names_mut() {
                *name = mutf7::encode(name);
            }
        }
        match cmd.body {
            Body::StartTls | Body::Login { .. } | Body::Authenticate { .. } => self.bad(&tag, "already logged in"),
            Body::Lsub { .. } if self.rev2 => self.bad(&tag, "LSUB is not part of IMAP4rev2; use LIST (SUBSCRIBED)"),
            Body::Enable(caps) => self.enable(&tag, &caps),
            Body::Namespace => {
                self.say(Untagged::Namespace { prefix: "", delimiter: crate::store::maildir::DELIM });
                self.ok(&tag, "NAMESPACE completed")
            }
            Body::Select { mailbox, read_only, condstore, qresync } => {
                self.select(&tag, &mailbox, read_only, condstore, qresync).await
            }
            Body::Create(m) => self.create(&tag, &m).await,
            Body::Delete(m) => self.delete(&tag, &m).await,
            Body::Rename(a, b) => self.rename(&tag, &a, &b).await,
            Body::Subscribe(m) => self.subscribe(&tag, &m, true).await,
            Body::Unsubscribe(m) => self.subscribe(&tag, &m, false).await,
            Body::List { reference, patterns, options } => self.list(&tag, &reference, &patterns, &options).await,
            Body::Lsub { reference, pattern } => self.lsub(&tag, &reference, &pattern).await,
            Body::Status { mailbox, items } => self.status(&tag, &mailbox, &items).await,
            Body::Append { mailbox, messages } => self.append(&tag, &mailbox, &messages, raw).await,
            Body::GetQuota(root) => self.get_quota(&tag, Some(&root), None).await,
            Body::GetQuotaRoot(m) => self.get_quota(&tag, None, Some(&m)).await,
            Body::SetQuota => self.no(&tag, Code::NoPerm, "quotas follow the account's tier; ask the administrator"),
            Body::Idle => self.idle(&tag).await,
            body if !selected => {
                let _ = body;
                self.bad(&tag, "no mailbox selected")
            }
            Body::Close => self.close(&tag, true).await,
            Body::Unselect => self.close(&tag, false).await,
            Body::Expunge { uids } => self.expunge(&tag, uids.as_ref()).await,
            Body::Search { uid, ret, key } => self.search(&tag, uid, ret, &key).await,
            Body::Sort { uid, criteria, key } => self.sort(&tag, uid, &criteria, &key).await,
            Body::Thread { uid, algorithm, key } => self.thread(&tag, uid, algorithm, &key).await,
            Body::Fetch { uid, set, items, modifiers } => self.fetch(&tag, uid, &set, &items, &modifiers).await,
            Body::Store { uid, set, mode, silent, flags, unchanged_since } => {
                self.store(&tag, uid, &set, mode, silent, &flags, unchanged_since).await
            }
            Body::Copy { uid, set, mailbox } => self.copy(&tag, uid, &set, &mailbox, false).await,
            Body::Move { uid, set, mailbox } => self.copy(&tag, uid, &set, &mailbox, true).await,
            // Answered above, in every state.
            Body::Capability | Body::Noop | Body::Check | Body::Logout | Body::Id => Next::Continue,
        }
    }

    fn enable(&mut self, tag: &str, caps: &[String]) -> Next {
        let mut on = Vec::new();
        for c in caps {
            match c.as_str() {
                "CONDSTORE" => {
                    self.condstore = true;
                    on.push("CONDSTORE");
                }
                "QRESYNC" => {
                    self.condstore = true;
                    self.qresync = true;
                    on.push("QRESYNC");
                }
                "IMAP4REV2" => {
                    self.rev2 = true;
                    self.utf8 = true;
                    on.push("IMAP4rev2");
                }
                "UTF8=ACCEPT" => {
                    self.utf8 = true;
                    on.push("UTF8=ACCEPT");
                }
                _ => {}
            }
        }
        self.say(Untagged::Enabled(&on));
        self.ok(tag, "ENABLE completed")
    }
}

pub async fn run(shared: Arc<Shared>, implicit_tls: bool, tcp: TcpStream, peer: SocketAddr) {
    let _ = tcp.set_nodelay(true);
    let _open = crate::metrics::Session::open("imap");
    let pre_auth = PRE_AUTH_TIMEOUT.min(shared.config().server.imap_idle_timeout);
    let mut conn = Conn::new(Stream::Plain(tcp), pre_auth, SESSION_LIMIT);
    if implicit_tls {
        let acceptor = shared.tls.acceptor();
        if conn.start_tls(&acceptor).await.is_err() {
            return;
        }
    }
    let mut s = Session {
        shared,
        peer,
        conn,
        framer: Framer::default(),
        account: None,
        selected: None,
        condstore: false,
        qresync: false,
        rev2: false,
        utf8: false,
        changes: None,
        errors: 0,
        tag: String::new(),
        pending_change: false,
        doomed: false,
        held: None,
    };
    let caps = s.capabilities();
    s.say(Untagged::Ok { code: Some(Code::Capability(&caps)), text: "mailctl IMAP ready" });
    let mut shutdown = s.shared.shutdown.clone();
    loop {
        if s.doomed {
            break;
        }
        if *shutdown.borrow() && s.conn.input.is_empty() {
            s.say(Untagged::Bye { code: None, text: "server shutting down" });
            break;
        }
        let limits = s.limits();
        match s.framer.next(&s.conn.input, &limits) {
            Frame::Complete(len) => {
                let raw: Vec<u8> = s.conn.input.drain(..len).collect();
                let next = match parse(&raw) {
                    Ok(cmd) => {
                        let name = raw.split(|&b| b == b' ').nth(1).unwrap_or_default();
                        let label = crate::metrics::imap_command(std::str::from_utf8(name).unwrap_or(""));
                        let _timer = crate::metrics::METRICS.imap_commands.with_label_values(&[label]).start_timer();
                        s.command(cmd, &raw).await
                    }
                    Err(e) => {
                        let tag = e.tag.unwrap_or_else(|| "*".into());
                        s.bad(&tag, &e.reason)
                    }
                };
                s.held = None;
                if let Next::Close = next {
                    break;
                }
                // Between commands, tell the client about changes (flags, new mail).
                if s.selected.is_some() && s.conn.input.is_empty() {
                    let _ = s.sync_if(false, false).await;
                }
                continue;
            }
            Frame::Continue(n) => {
                // Large literals (APPEND) count against the shared memory budget.
                if n > LITERAL_LIMIT {
                    let held = s.held.get_or_insert_with(|| s.shared.memory.hold());
                    if !held.cover(s.conn.input.len() + n) {
                        let tag = s.conn.input.split(|&b| b == b' ').next().unwrap_or_default().to_vec();
                        s.conn.input.clear();
                        s.held = None;
                        s.framer = Framer::default();
                        s.no(
                            &String::from_utf8_lossy(&tag),
                            Code::Limit,
                            "the server is busy receiving mail, try again later",
                        );
                        continue;
                    }
                }
                s.go_on("go ahead");
                s.framer.acknowledge();
                continue;
            }
            Frame::TooBig { tag, discard } => {
                s.conn.input.drain(..discard.min(s.conn.input.len()));
                if let Next::Close = s.no(&tag, Code::TooBig, "literal too big") {
                    break;
                }
                continue;
            }
            Frame::Fatal(why) => {
                s.conn.input.clear();
                s.say(Untagged::Bye { code: None, text: why });
                break;
            }
            Frame::Incomplete => {}
        }
        // Only an incomplete command gets here.
        // A command being received beyond a small size holds shared memory (whatever the kind
        // of literal), as SMTP's messages do.
        if s.conn.input.len() > LITERAL_LIMIT {
            let held = s.held.get_or_insert_with(|| s.shared.memory.hold());
            if !held.cover(s.conn.input.len() + READ_AHEAD) {
                s.say(Untagged::Bye {
                    code: Some(Code::Limit),
                    text: "the server is busy receiving mail, try again later",
                });
                break;
            }
        }
        match s.conn.wait_for_input(&mut shutdown).await {
            Input::Data | Input::Shutdown => {}
            Input::TimedOut => {
                s.say(Untagged::Bye { code: None, text: "autologout timer expired" });
                break;
            }
            Input::Closed => break,
        }
    }
    s.conn.close().await;
}

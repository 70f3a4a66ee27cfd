//! FETCH and UID FETCH: index data from the store, message data from the Maildir files, read
//! and rendered on blocking threads in chunks that run in parallel, written out in order and
//! flushed chunk by chunk so memory stays bounded. ENVELOPE and BODYSTRUCTURE come from the
//! index when it has them (written at delivery and APPEND); else they are computed from the
//! file, and FETCH never writes the index.

use crate::store::conn::Conn;
use std::path::Path;
use std::sync::Arc;

use super::session::{Next, Recent, Session};
use crate::ops::mailbox as ops;
use crate::proto::imap::body::{self, SectionText};
use crate::proto::imap::fetch::{FetchItem, Modifiers};
use crate::proto::imap::response::{Code, Fetch, FetchAttr, Untagged};
use crate::proto::imap::sequence::{SeqNum, SequenceSet};
use crate::store::maildir::{self, Flag, Flags, crlf, file};
use crate::store::messages::{self, Row};

/// Messages rendered per blocking task.
const CHUNK: usize = 128;
/// Message bytes per chunk (at least one message).
const CHUNK_BYTES: usize = 2 * 1024 * 1024;
/// Queued output beyond this is flushed while a FETCH goes on.
const FLUSH_AT: usize = 256 * 1024;

/// One message to answer for.
pub struct Job<'a> {
    pub seq: u32,
    pub row: Row,
    pub recent: bool,
    /// The mailbox's directory, where the message's file is read when the answer needs it.
    pub folder: &'a Path,
}

/// The stored derivations a FETCH shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shown {
    pub envelope: bool,
    pub bodystructure: bool,
}

pub struct Opts {
    pub items: Vec<FetchItem>,
}

impl Opts {
    /// Does answering for this message need its file? Only for what the index cannot answer.
    fn needs_file(&self, row: &Row) -> bool {
        self.items.iter().any(|i| match i {
            FetchItem::Envelope => row.derived.envelope.is_none(),
            FetchItem::BodyStructure => row.derived.bodystructure.is_none(),
            i => i.needs_file(),
        })
    }

    /// Which stored derivations the items show (so the rows are read with them).
    fn shown(&self) -> Shown {
        Shown {
            envelope: self.items.contains(&FetchItem::Envelope),
            bodystructure: self.items.contains(&FetchItem::BodyStructure),
        }
    }
}

/// Render messages into `out`: their FETCH responses in order. Returns those that could not
/// be answered (a file expunged meanwhile or missing; a part BINARY cannot decode).
fn render_all(
    rows: Vec<(u32, Row)>,
    opts: &Opts,
    folder: &Path,
    recent: &Recent,
    out: &mut Vec<u8>,
) -> Vec<(i64, Unanswerable)> {
    let mut unanswered = Vec::new();
    for (seq, row) in rows {
        let job = Job { seq, recent: recent.contains(row.uid as u32), row, folder };
        if let Err(why) = render(&job, opts, out) {
            unanswered.push((job.row.uid, why));
        }
    }
    unanswered
}

/// Why a message's FETCH response could not be written (nothing of it was).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unanswerable {
    /// Its file is needed and cannot be read.
    Unreadable,
    /// BINARY asked for a part whose transfer encoding cannot be undone.
    UnknownEncoding,
}

/// Render one message's FETCH response onto `out` (nothing when it cannot be answered).
pub fn render(job: &Job, opts: &Opts, out: &mut Vec<u8>) -> Result<(), Unanswerable> {
    let needs_file = opts.needs_file(&job.row);
    let raw: Option<Vec<u8>> = if needs_file {
        match file::read(job.folder, &job.row.filename, &job.row.flags) {
            // Files whose size is the index's wire size need no line-end conversion; only
            // imported LF files (Dovecot's default) are converted.
            Ok(data) => Some(if data.len() as i64 == job.row.size { data } else { crlf::to_crlf(data) }),
            // Expunged by another session meanwhile, or lost: the caller tells which.
            Err(_) => return Err(Unanswerable::Unreadable),
        }
    } else {
        None
    };
    let raw_ref: &[u8] = raw.as_deref().unwrap_or(b"");
    // BINARY parts decoded first: one that cannot be decoded fails the message before any of
    // its response is written.
    let mut decoded: Vec<Vec<u8>> = Vec::new();
    for item in &opts.items {
        let part = match item {
            FetchItem::Section(s) if s.binary => &s.part,
            FetchItem::BinarySize(part) => part,
            _ => continue,
        };
        match body::binary(raw_ref, part) {
            Ok(d) => decoded.push(d),
            Err(body::Binary::NoPart) => decoded.push(Vec::new()),
            Err(body::Binary::UnknownEncoding) => return Err(Unanswerable::UnknownEncoding),
        }
    }
    let mut decoded = decoded.into_iter();
    let mut f = Fetch::start(out, job.seq);
    for item in &opts.items {
        match item {
            FetchItem::Uid => f.attr(&FetchAttr::Uid(job.row.uid as u32)),
            FetchItem::Flags => f.attr(&FetchAttr::Flags { flags: &job.row.flags.to_index(), recent: job.recent }),
            FetchItem::InternalDate => f.attr(&FetchAttr::InternalDate(job.row.internal_date)),
            FetchItem::Rfc822Size => f.attr(&FetchAttr::Rfc822Size(job.row.size as u64)),
            FetchItem::Modseq => f.attr(&FetchAttr::Modseq(job.row.modseq as u64)),
            FetchItem::Envelope => match &job.row.derived.envelope {
                Some(e) => f.attr(&FetchAttr::Envelope(e)),
                None => {
                    let mut e = Vec::new();
                    body::envelope(raw_ref, &mut e);
                    f.attr(&FetchAttr::Envelope(&e));
                }
            },
            FetchItem::Body => f.attr(&FetchAttr::BodyStructure { message: raw_ref, extended: false }),
            FetchItem::BodyStructure => match &job.row.derived.bodystructure {
                Some(b) => f.attr(&FetchAttr::StoredBodyStructure(b)),
                None => f.attr(&FetchAttr::BodyStructure { message: raw_ref, extended: true }),
            },
            FetchItem::Rfc822 => f.attr(&FetchAttr::Rfc822(raw_ref)),
            FetchItem::Rfc822Header => {
                let h = body::section(raw_ref, &[], &SectionText::Header).unwrap_or_default();
                f.attr(&FetchAttr::Rfc822Header(&h));
            }
            FetchItem::Rfc822Text => {
                let t = body::section(raw_ref, &[], &SectionText::Text).unwrap_or_default();
                f.attr(&FetchAttr::Rfc822Text(&t));
            }
            FetchItem::Section(s) => {
                let data = if s.binary {
                    std::borrow::Cow::Owned(decoded.next().unwrap_or_default())
                } else if s.part.is_empty() && s.text == SectionText::Full {
                    std::borrow::Cow::Borrowed(raw_ref)
                } else {
                    std::borrow::Cow::Owned(body::section(raw_ref, &s.part, &s.text).unwrap_or_default())
                };
                let (origin, data) = match s.partial {
                    Some((off, n)) => {
                        let start = (off as usize).min(data.len());
                        let end = start.saturating_add(n as usize).min(data.len());
                        (Some(off), &data[start..end])
                    }
                    None => (None, &data[..]),
                };
                f.attr(&FetchAttr::BodySection { section: s, origin, data });
            }
            FetchItem::BinarySize(part) => {
                let size = decoded.next().map_or(0, |d| d.len() as u64);
                f.attr(&FetchAttr::BinarySize { part, size });
            }
        }
    }
    f.finish();
    Ok(())
}

/// The (sequence number, UID) pairs a set names. Sequence numbers beyond the mailbox are an
/// error (None); UIDs that do not exist are skipped.
pub fn resolve(uids: &[u32], set: &SequenceSet, by_uid: bool) -> Option<Vec<(u32, u32)>> {
    let n = uids.len() as u32;
    // Each range maps to a slice of the sequence (binary search for UIDs).
    let mut spans: Vec<(usize, usize)> = Vec::new();
    if by_uid {
        let largest = uids.last().copied().unwrap_or(0);
        for (a, b) in set.ranges(largest) {
            spans.push((uids.partition_point(|&u| u < a), uids.partition_point(|&u| u <= b)));
        }
    } else {
        if n == 0 && set.0.iter().any(|&(a, b)| a == SeqNum::Star || b == SeqNum::Star) {
            // `1:*` in an empty mailbox names nothing; clients send it.
            return Some(Vec::new());
        }
        for (a, b) in set.ranges(n) {
            if a == 0 || b > n {
                return None;
            }
            spans.push((a as usize - 1, b as usize));
        }
    }
    spans.sort_unstable();
    let mut out = Vec::new();
    let mut next = 0;
    for (start, end) in spans {
        let from = start.max(next);
        out.extend(uids[from..end.max(from)].iter().enumerate().map(|(k, &u)| ((from + k) as u32 + 1, u)));
        next = next.max(end);
    }
    Some(out)
}

impl Session {
    /// The index rows for these (seq, uid) pairs, in order, as this session knows them;
    /// messages expunged meanwhile are left out. With `shown`, each carries the stored
    /// ENVELOPE and/or BODYSTRUCTURE: only those columns are read from the store. Flags are the
    /// session's: a change another session committed since the last sync (a keyword not
    /// announced here yet) is reported by the next sync, FLAGS first, never slipped into this
    /// FETCH (RFC 3501 §7.2.6).
    pub async fn rows_for(&self, targets: &[(u32, u32)], shown: Shown) -> crate::error::Result<Vec<(u32, Row)>> {
        let Some(sel) = self.selected.as_ref() else { return Ok(vec![]) };
        let known = |seq: u32, uid: u32| sel.meta.get(seq as usize - 1).filter(|m| m.uid as u32 == uid);
        if !shown.envelope && !shown.bodystructure {
            return Ok(targets.iter().filter_map(|&(seq, uid)| Some((seq, known(seq, uid)?.clone()))).collect());
        }
        let uids: Vec<i64> = targets.iter().map(|t| t.1 as i64).collect();
        let id = sel.mailbox.id;
        let stored = self
            .shared
            .store()
            .read(uids.len(), move |c| {
                Box::pin(async move { messages::shown_for(c, id, &uids, shown.envelope, shown.bodystructure).await })
            })
            .await?;
        let mut out = Vec::with_capacity(targets.len());
        let mut it = stored.into_iter().peekable();
        for &(seq, uid) in targets {
            while it.peek().is_some_and(|r| (r.0 as u32) < uid) {
                it.next();
            }
            if it.peek().is_some_and(|r| r.0 as u32 == uid)
                && let Some(m) = known(seq, uid)
            {
                let (_, envelope, bodystructure) = it.next().expect("peeked");
                let mut r = m.clone();
                r.derived.envelope = envelope;
                r.derived.bodystructure = bodystructure;
                out.push((seq, r));
            }
        }
        Ok(out)
    }

    pub async fn fetch(&mut self, tag: &str, uid: bool, set: &SequenceSet, items: &[FetchItem], m: &Modifiers) -> Next {
        let Some(sel) = self.selected.as_ref() else { return self.bad(tag, "no mailbox selected") };
        let Some(targets) = resolve(&sel.uids, set, uid) else {
            return self.bad(tag, "invalid message sequence number");
        };
        let mut items = items.to_vec();
        if uid && !items.contains(&FetchItem::Uid) {
            items.insert(0, FetchItem::Uid);
        }
        // Under CONDSTORE, FETCH responses with FLAGS carry MODSEQ (RFC 7162 §3.1.4.1).
        let wants_modseq = m.changed_since.is_some() || (self.condstore && items.contains(&FetchItem::Flags));
        if wants_modseq && !items.contains(&FetchItem::Modseq) {
            items.push(FetchItem::Modseq);
        }
        if m.changed_since.is_some() {
            self.condstore = true;
        }
        let set_seen = !sel.read_only && items.iter().any(FetchItem::sets_seen);
        if set_seen && !items.contains(&FetchItem::Flags) {
            items.push(FetchItem::Flags);
        }
        let (recent, mailbox) = (sel.recent.clone(), sel.mailbox.clone());
        if m.vanished
            && let Some(since) = m.changed_since
        {
            let r = async {
                let mut conn = self.shared.store().pool.acquire().await?;
                messages::expunged_since(&mut Conn::Any(&mut conn), mailbox.id, since as i64).await
            }
            .await;
            match r {
                Ok(gone) => {
                    let largest = gone.iter().copied().max().unwrap_or(0).max(mailbox.uidnext - 1) as u32;
                    let gone: Vec<u32> =
                        gone.into_iter().map(|u| u as u32).filter(|u| set.contains(*u, largest)).collect();
                    if !gone.is_empty() {
                        self.say(Untagged::Vanished { earlier: true, uids: &gone });
                    }
                }
                Err(e) => return self.fault(tag, &e),
            }
        }
        let opts = Opts { items };
        let mut rows = match self.rows_for(&targets, opts.shown()).await {
            Ok(r) => r,
            Err(e) => return self.fault(tag, &e),
        };
        if let Some(since) = m.changed_since {
            rows.retain(|(_, r)| r.modseq > since as i64);
        }
        // Implicit \Seen first, so the FLAGS we send are the new ones.
        if set_seen {
            let unseen: Vec<i64> = rows.iter().filter(|(_, r)| !r.flags.has(Flag::SEEN)).map(|(_, r)| r.uid).collect();
            if !unseen.is_empty() {
                let account = self.account.as_deref().cloned().expect("logged in");
                let add_seen = |f: &Flags| f.clone().with(Flag::SEEN);
                match ops::store_flags(&self.shared.store(), &account, &mailbox, &unseen, add_seen, None).await {
                    Ok((stored, _)) => {
                        let now: std::collections::HashMap<i64, &ops::Stored> =
                            stored.iter().filter(|s| s.changed).map(|s| (s.uid, s)).collect();
                        if let Some(s) = self.selected.as_mut() {
                            for st in now.values() {
                                s.own.push(st.modseq);
                                s.set_flags(st.uid as u32, &st.flags, st.modseq);
                            }
                            s.own.dedup();
                        }
                        for (_, r) in rows.iter_mut() {
                            if let Some(st) = now.get(&r.uid) {
                                r.flags = st.flags.clone();
                                r.modseq = st.modseq;
                            }
                        }
                    }
                    Err(e) => return self.fault(tag, &e),
                }
            }
        }
        let account = self.account.as_deref().cloned().expect("logged in");
        let folder = maildir::folder_path(&ops::maildir_root(&self.shared.store(), &account), &mailbox.name);
        let opts = Arc::new(opts);
        let needs_path = rows.iter().any(|(_, r)| opts.needs_file(r));
        let width = super::width();
        let mut handles = std::collections::VecDeque::new();
        let mut unreadable = Vec::new();
        let whole_bodies = opts.items.iter().any(|i| {
            matches!(i, FetchItem::Rfc822 | FetchItem::Rfc822Text)
                || matches!(i, FetchItem::Section(s) if s.partial.is_none() && s.text != SectionText::Header && !matches!(s.text, SectionText::HeaderFields { .. }))
        });
        let inline = (!needs_path && rows.len() <= CHUNK)
            || (rows.len() <= 8 && rows.iter().map(|(_, r)| r.size).sum::<i64>() <= 1 << 20);
        // A few messages without file reads: formatting only, no hand-off to another thread.
        // So are a few small files: reading them here costs less than the hand-off.
        let mut chunks = if inline {
            let mut out = Vec::new();
            unreadable = render_all(rows, &opts, &folder, &recent, &mut out);
            self.conn.queue_vec(out);
            Vec::new().into_iter()
        } else {
            split(rows, needs_path).into_iter()
        };
        loop {
            // Keep `width` chunks in flight on blocking threads; write them out in order.
            while handles.len() < width {
                let Some(chunk) = chunks.next() else { break };
                let (opts, folder, recent) = (opts.clone(), folder.clone(), recent.clone());
                handles.push_back(tokio::task::spawn_blocking(move || {
                    let guess: usize = if whole_bodies {
                        chunk.iter().map(|(_, r)| r.size.max(0) as usize + 128).sum()
                    } else {
                        chunk.len() * 256
                    };
                    let mut out = Vec::with_capacity(guess.min(CHUNK_BYTES * 2));
                    let unreadable = render_all(chunk, &opts, &folder, &recent, &mut out);
                    (out, unreadable)
                }));
            }
            let Some(h) = handles.pop_front() else { break };
            match h.await {
                Ok((out, bad)) => {
                    unreadable.extend(bad);
                    self.conn.queue_vec(out);
                    // Large answers go out as they are made; small ones with the tagged reply.
                    if self.conn.pending() > FLUSH_AT && self.conn.flush().await.is_err() {
                        return Next::Close;
                    }
                }
                Err(_) => return self.no(tag, Code::ServerBug, "fetch failed"),
            }
        }
        if unreadable.iter().any(|u| u.1 == Unanswerable::UnknownEncoding) {
            return self.no(tag, Code::UnknownCte, "a part's transfer encoding cannot be decoded");
        }
        let unreadable: Vec<i64> = unreadable.into_iter().map(|u| u.0).collect();
        if !unreadable.is_empty() {
            // Never an empty body that a client would cache as the message. A message another
            // session expunged meanwhile is left out (RFC 2180 §4.1.3) and said so (RFC 5530);
            // one still indexed whose file is gone is an error the client may retry.
            let still = async {
                let mut conn = self.shared.store().pool.acquire().await?;
                messages::rows_for(&mut Conn::Any(&mut conn), mailbox.id, &unreadable, messages::Cols::Light).await
            };
            let missing = match still.await {
                Ok(rows) => rows,
                Err(e) => return self.fault(tag, &e),
            };
            if !missing.is_empty() {
                for r in &missing {
                    tracing::warn!(uid = r.uid, file = %r.filename, "a message file cannot be read");
                }
                let text = format!("{} message(s) could not be read; try again later", missing.len());
                return self.no(tag, Code::Unavailable, &text);
            }
            return self.ok_code(tag, Code::ExpungeIssued, "some messages were expunged by another session");
        }
        self.ok(tag, if uid { "UID FETCH completed" } else { "FETCH completed" })
    }
}

/// Chunks end at CHUNK messages or, when files are read, CHUNK_BYTES of them, so the work in
/// flight stays bounded however large the messages are. Without file reads a chunk is pure
/// formatting: bigger chunks, fewer hand-offs.
fn split(rows: Vec<(u32, Row)>, needs_path: bool) -> Vec<Vec<(u32, Row)>> {
    let chunk_size = if needs_path { CHUNK } else { CHUNK * 16 };
    let mut chunks: Vec<Vec<(u32, Row)>> = Vec::new();
    let mut bytes = 0usize;
    for r in rows {
        let size = if needs_path { r.1.size.max(0) as usize } else { 0 };
        if chunks.last().is_none_or(|c| c.len() >= chunk_size || bytes + size > CHUNK_BYTES) {
            chunks.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        chunks.last_mut().expect("pushed").push(r);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use SeqNum::{Star, Value};

    #[test]
    fn resolving() {
        let uids = [3, 5, 9, 10];
        let s = |v: Vec<(crate::proto::imap::sequence::SeqNum, crate::proto::imap::sequence::SeqNum)>| SequenceSet(v);
        assert_eq!(resolve(&uids, &s(vec![(Value(2), Star)]), false), Some(vec![(2, 5), (3, 9), (4, 10)]));
        assert_eq!(resolve(&uids, &s(vec![(Value(5), Value(5))]), false), None);
        assert_eq!(resolve(&uids, &s(vec![(Value(4), Value(9))]), true), Some(vec![(2, 5), (3, 9)]));
        assert_eq!(resolve(&uids, &s(vec![(Value(100), Star)]), true), Some(vec![(4, 10)]));
        assert_eq!(resolve(&[], &s(vec![(Value(1), Star)]), true), Some(vec![]));
        assert_eq!(resolve(&[], &s(vec![(Star, Star)]), false), Some(vec![]));
        assert_eq!(
            resolve(&uids, &s(vec![(Value(3), Value(4)), (Value(1), Value(3))]), false).map(|v| v.len()),
            Some(4)
        );
        assert_eq!(
            resolve(&uids, &s(vec![(Value(9), Value(9)), (Value(3), Value(3))]), true),
            Some(vec![(1, 3), (3, 9)])
        );
    }
}

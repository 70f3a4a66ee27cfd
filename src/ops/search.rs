//! What SEARCH means, for IMAP and the webmail alike: whether a message matches a search
//! key (RFC 3501 §6.4.4 / RFC 9051 §6.4.4), and which messages of a mailbox can match at all
//! by the full-text index, so that only those files are read.

use std::collections::HashSet;

use crate::proto::imap::body;
use crate::proto::imap::search::Key;
use crate::store::fts::{Fts, Scope};
use crate::store::messages::Row;

/// What a key needs beyond the index row.
pub fn needs_file(k: &Key) -> bool {
    match k {
        Key::Header(..) | Key::Body(_) | Key::Text(_) | Key::SentBefore(_) | Key::SentOn(_) | Key::SentSince(_) => true,
        Key::Not(k) => needs_file(k),
        Key::Or(a, b) => needs_file(a) || needs_file(b),
        Key::And(v) => v.iter().any(needs_file),
        _ => false,
    }
}

pub struct Ctx<'a> {
    pub seq: u32,
    pub row: &'a Row,
    pub recent: bool,
    /// Sequence numbers and UIDs of the whole mailbox (for sequence-set keys).
    pub uids: &'a [u32],
    pub raw: Option<&'a [u8]>,
}

const DAY: i64 = 86400;

/// The Date: header as unix seconds of its day (in its own zone), if it parses.
fn sent_day(raw: &[u8]) -> Option<i64> {
    let msg = mail_parser::MessageParser::new().parse_headers(raw)?;
    let d = msg.date()?;
    let day = chrono::NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32)?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

pub fn matches(k: &Key, c: &Ctx) -> bool {
    let has = |f: &str| c.row.flags.contains_atom(f);
    let raw = c.raw.unwrap_or(b"");
    let day = |t: i64| t - t.rem_euclid(DAY);
    match k {
        Key::All => true,
        Key::Flag(f) if f == "\\Recent" => c.recent,
        Key::Flag(f) => has(f),
        Key::NotFlag(f) => !has(f),
        Key::New => c.recent && !has("\\Seen"),
        Key::Old => !c.recent,
        Key::Recent => c.recent,
        Key::Header(name, needle) => body::header_contains(raw, name, needle),
        Key::Body(s) => body::text_contains(raw, s, false),
        Key::Text(s) => body::text_contains(raw, s, true),
        Key::Before(d) => day(c.row.internal_date) < *d,
        Key::On(d) => day(c.row.internal_date) == *d,
        Key::Since(d) => day(c.row.internal_date) >= *d,
        Key::SentBefore(d) => sent_day(raw).is_some_and(|s| s < *d),
        Key::SentOn(d) => sent_day(raw).is_some_and(|s| s == *d),
        Key::SentSince(d) => sent_day(raw).is_some_and(|s| s >= *d),
        Key::Larger(n) => c.row.size as u64 > *n,
        Key::Smaller(n) => (c.row.size as u64) < *n,
        Key::Uid(set) => set.contains(c.row.uid as u32, c.uids.last().copied().unwrap_or(0)),
        Key::Seq(set) => set.contains(c.seq, c.uids.len() as u32),
        Key::Modseq(m) => c.row.modseq as u64 >= *m,
        Key::Not(k) => !matches(k, c),
        Key::Or(a, b) => matches(a, c) || matches(b, c),
        Key::And(v) => v.iter().all(|k| matches(k, c)),
    }
}

/// The strings a message must contain for `key` to match it: each `Vec` is a conjunction,
/// the outer `Vec` a disjunction; None when some way of matching needs no string (NOT, dates,
/// flags), so every message is a candidate.
fn needles(k: &Key) -> Option<Vec<Vec<String>>> {
    match k {
        Key::Text(s) | Key::Body(s) | Key::Header(_, s) if !s.is_empty() => Some(vec![vec![s.clone()]]),
        Key::And(v) => {
            // The children that narrow, combined; the others only narrow further.
            let mut out: Vec<Vec<String>> = vec![Vec::new()];
            for alt in v.iter().filter_map(needles) {
                if out.len() * alt.len() > 16 {
                    continue;
                }
                out = out.iter().flat_map(|a| alt.iter().map(move |b| [a.clone(), b.clone()].concat())).collect();
            }
            out.iter().all(|c| !c.is_empty()).then_some(out)
        }
        Key::Or(a, b) => {
            let (mut a, b) = (needles(a)?, needles(b)?);
            a.extend(b);
            Some(a)
        }
        _ => None,
    }
}

/// The UIDs of the mailbox that may match `key`, by the full-text index; None when any
/// message may (the key needs no string, or the mailbox is not indexed under this
/// UIDVALIDITY). Messages above the mailbox's mark (not indexed yet) are always included, so
/// the answer never depends on how far the indexer has come.
pub fn candidates(fts: &Fts, mailbox: i64, uidvalidity: i64, key: &Key) -> Option<Candidates> {
    let alternatives = needles(key)?;
    let mark = fts.mark(mailbox).filter(|m| m.uidvalidity == uidvalidity)?;
    let mut out = HashSet::new();
    for all_of in alternatives {
        let strs: Vec<&str> = all_of.iter().map(String::as_str).collect();
        match fts.candidates(Scope::Mailbox(mailbox), &strs) {
            Ok(Some(hits)) => out.extend(hits.into_iter().map(|(_, uid)| uid as u32)),
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(error = %e.one_line(), "full-text index: search failed; reading every message");
                return None;
            }
        }
    }
    Some(Candidates { uids: out, above: mark.uid as u32 })
}

/// The messages of a mailbox that may match: those the index found, and every one above
/// what it covers.
pub struct Candidates {
    uids: HashSet<u32>,
    above: u32,
}

impl Candidates {
    pub fn may_match(&self, uid: u32) -> bool {
        uid > self.above || self.uids.contains(&uid)
    }

    /// The UIDs the index named, ascending.
    pub fn named(&self) -> Vec<i64> {
        let mut v: Vec<i64> = self.uids.iter().map(|&u| i64::from(u)).collect();
        v.sort_unstable();
        v
    }

    /// The highest UID the index covers: every message above it is a candidate.
    pub fn covered(&self) -> i64 {
        i64::from(self.above)
    }
}

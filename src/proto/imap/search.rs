//! SEARCH keys (RFC 3501 §6.4.4, RFC 7162 MODSEQ).

use super::lexer::{Cursor, PResult, bad};
use super::sequence::SequenceSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    All,
    /// A system flag or keyword is set (`\Seen`, `$Junk`, ...).
    Flag(String),
    /// ... or is not set.
    NotFlag(String),
    New,
    Old,
    Recent,
    /// A header contains a string (FROM, TO, CC, BCC, SUBJECT, HEADER name).
    Header(String, String),
    Body(String),
    Text(String),
    /// INTERNALDATE before/on/since a day (unix seconds of UTC midnight).
    Before(i64),
    On(i64),
    Since(i64),
    /// Date: header.
    SentBefore(i64),
    SentOn(i64),
    SentSince(i64),
    Larger(u64),
    Smaller(u64),
    Uid(SequenceSet),
    Seq(SequenceSet),
    Modseq(u64),
    Not(Box<Key>),
    Or(Box<Key>, Box<Key>),
    And(Vec<Key>),
}

/// Longest search string: matching costs grow with it.
const MAX_NEEDLE: usize = 1024;

fn astr(c: &mut Cursor) -> PResult<String> {
    c.sp()?;
    let s = c.astring()?;
    if s.len() > MAX_NEEDLE {
        return bad("search string too long");
    }
    Ok(String::from_utf8_lossy(&s).into_owned())
}

fn one(c: &mut Cursor, depth: usize) -> PResult<Key> {
    if depth > 50 {
        return bad("search too deeply nested");
    }
    if c.eat(b'(') {
        let keys = keys_until(c, depth + 1, Some(b')'))?;
        return Ok(Key::And(keys));
    }
    if matches!(c.peek(), Some(b'0'..=b'9' | b'*')) {
        return Ok(Key::Seq(c.sequence_set()?));
    }
    let a = c.atom()?.to_ascii_uppercase();
    let flag = |f: &str| Key::Flag(f.to_string());
    let not_flag = |f: &str| Key::NotFlag(f.to_string());
    Ok(match a.as_str() {
        "ALL" => Key::All,
        "ANSWERED" => flag("\\Answered"),
        "DELETED" => flag("\\Deleted"),
        "DRAFT" => flag("\\Draft"),
        "FLAGGED" => flag("\\Flagged"),
        "SEEN" => flag("\\Seen"),
        "UNANSWERED" => not_flag("\\Answered"),
        "UNDELETED" => not_flag("\\Deleted"),
        "UNDRAFT" => not_flag("\\Draft"),
        "UNFLAGGED" => not_flag("\\Flagged"),
        "UNSEEN" => not_flag("\\Seen"),
        "NEW" => Key::New,
        "OLD" => Key::Old,
        "RECENT" => Key::Recent,
        "KEYWORD" => {
            c.sp()?;
            Key::Flag(c.atom()?.to_string())
        }
        "UNKEYWORD" => {
            c.sp()?;
            Key::NotFlag(c.atom()?.to_string())
        }
        "FROM" | "TO" | "CC" | "BCC" | "SUBJECT" => Key::Header(a.to_ascii_lowercase(), astr(c)?),
        "HEADER" => {
            let name = astr(c)?;
            Key::Header(name.to_ascii_lowercase(), astr(c)?)
        }
        "BODY" => Key::Body(astr(c)?),
        "TEXT" => Key::Text(astr(c)?),
        "BEFORE" | "ON" | "SINCE" | "SENTBEFORE" | "SENTON" | "SENTSINCE" => {
            c.sp()?;
            let d = c.date()?;
            match a.as_str() {
                "BEFORE" => Key::Before(d),
                "ON" => Key::On(d),
                "SINCE" => Key::Since(d),
                "SENTBEFORE" => Key::SentBefore(d),
                "SENTON" => Key::SentOn(d),
                _ => Key::SentSince(d),
            }
        }
        "LARGER" | "SMALLER" => {
            c.sp()?;
            let n = c.number()?;
            if a == "LARGER" { Key::Larger(n) } else { Key::Smaller(n) }
        }
        "UID" => {
            c.sp()?;
            Key::Uid(c.sequence_set()?)
        }
        "NOT" => {
            c.sp()?;
            Key::Not(Box::new(one(c, depth + 1)?))
        }
        "OR" => {
            c.sp()?;
            let x = one(c, depth + 1)?;
            c.sp()?;
            Key::Or(Box::new(x), Box::new(one(c, depth + 1)?))
        }
        "MODSEQ" => {
            c.sp()?;
            // Optional entry name and type (RFC 7162 §3.1.5): accepted and ignored.
            if c.peek() == Some(b'"') {
                c.string()?;
                c.sp()?;
                c.atom()?;
                c.sp()?;
            }
            Key::Modseq(c.number()?)
        }
        _ => return bad(format!("unknown SEARCH key {a}")),
    })
}

fn keys_until(c: &mut Cursor, depth: usize, close: Option<u8>) -> PResult<Vec<Key>> {
    let mut keys = Vec::new();
    loop {
        keys.push(one(c, depth)?);
        if keys.len() > 100 {
            return bad("too many search keys");
        }
        if let Some(close) = close
            && c.eat(close)
        {
            return Ok(keys);
        }
        if close.is_none() && matches!(c.peek(), None | Some(b'\r' | b'\n')) {
            return Ok(keys);
        }
        c.sp()?;
    }
}

/// What an extended SEARCH asks to get back (RFC 4731 `RETURN (…)`; empty means ALL).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Return {
    pub min: bool,
    pub max: bool,
    pub all: bool,
    pub count: bool,
}

/// `RETURN (option *(SP option)) SP`, when present.
pub fn return_options(c: &mut Cursor) -> PResult<Option<Return>> {
    if !c.eat_keyword("RETURN (") {
        return Ok(None);
    }
    let mut r = Return::default();
    let mut any = false;
    while !c.eat(b')') {
        if any {
            c.sp()?;
        }
        match c.atom()?.to_ascii_uppercase().as_str() {
            "MIN" => r.min = true,
            "MAX" => r.max = true,
            "ALL" => r.all = true,
            "COUNT" => r.count = true,
            _ => return bad("unknown SEARCH RETURN option"),
        }
        any = true;
    }
    if !any {
        r.all = true;
    }
    c.sp()?;
    Ok(Some(r))
}

/// `[CHARSET name SP] key *(SP key)`; the charset must be US-ASCII or UTF-8.
pub fn program(c: &mut Cursor) -> PResult<Key> {
    if c.eat_keyword("CHARSET ") {
        return charset_and_keys(c);
    }
    keys(c)
}

/// `charset SP key *(SP key)`: SORT's and THREAD's form, where the charset is required and
/// not introduced by CHARSET (RFC 5256 §3); SEARCH's after its CHARSET.
pub fn charset_and_keys(c: &mut Cursor) -> PResult<Key> {
    let cs = c.astring_utf8()?.to_ascii_uppercase();
    if cs != "UTF-8" && cs != "US-ASCII" {
        return bad("[BADCHARSET (UTF-8 US-ASCII)] unsupported charset");
    }
    c.sp()?;
    keys(c)
}

fn keys(c: &mut Cursor) -> PResult<Key> {
    let keys = keys_until(c, 0, None)?;
    Ok(if keys.len() == 1 { keys.into_iter().next().unwrap_or(Key::All) } else { Key::And(keys) })
}

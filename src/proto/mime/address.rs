//! Address lists (RFC 5322 §3.4, with the obsolete route syntax and groups), kept undecoded as
//! Dovecot sends them in ENVELOPE; broken addresses get Dovecot's placeholders.

use super::header::{is_wsp, trim};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddrItem {
    Mailbox { name: Option<Vec<u8>>, adl: Option<Vec<u8>>, mailbox: Vec<u8>, host: Vec<u8> },
    GroupStart(Vec<u8>),
    GroupEnd,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    /// An atom (dots included, so dot-atoms are one word).
    Word(&'a [u8]),
    /// A quoted string, unquoted.
    Quoted(Vec<u8>),
    /// A comment's content, unescaped.
    Comment(Vec<u8>),
    /// A domain literal, brackets included.
    Literal(&'a [u8]),
    /// One of `< > @ , ; :`.
    Special(u8),
}

fn tokenize(v: &[u8]) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b')' | b']' => i += 1,
            b'"' => {
                let mut s = Vec::new();
                super::params::quoted(v, &mut i, &mut s);
                toks.push(Tok::Quoted(s));
            }
            b'(' => {
                let mut s = Vec::new();
                let mut depth = 1usize;
                i += 1;
                while i < v.len() {
                    match v[i] {
                        b'\\' if i + 1 < v.len() => {
                            s.push(v[i + 1]);
                            i += 2;
                            continue;
                        }
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        b'\r' | b'\n' => {
                            i += 1;
                            continue;
                        }
                        _ => {}
                    }
                    s.push(v[i]);
                    i += 1;
                }
                toks.push(Tok::Comment(s));
            }
            b'[' => {
                let start = i;
                i = v[i..].iter().position(|&b| b == b']').map_or(v.len(), |p| i + p + 1);
                toks.push(Tok::Literal(&v[start..i]));
            }
            c @ (b'<' | b'>' | b'@' | b',' | b';' | b':') => {
                toks.push(Tok::Special(c));
                i += 1;
            }
            _ => {
                let start = i;
                while i < v.len()
                    && !is_wsp(v[i])
                    && !matches!(v[i], b'"' | b'(' | b')' | b'[' | b']' | b'<' | b'>' | b'@' | b',' | b';' | b':')
                {
                    i += 1;
                }
                toks.push(Tok::Word(&v[start..i]));
            }
        }
    }
    toks
}

/// A display name: the words of a phrase joined by one space; None when there are none.
fn phrase(toks: &[Tok<'_>]) -> Option<Vec<u8>> {
    let mut s = Vec::new();
    let mut any = false;
    for t in toks {
        let w: &[u8] = match t {
            Tok::Word(w) | Tok::Literal(w) => w,
            Tok::Quoted(q) => q,
            Tok::Special(c @ (b'@' | b':' | b'>' | b'<')) => std::slice::from_ref(c),
            _ => continue,
        };
        if any {
            s.push(b' ');
        }
        s.extend_from_slice(w);
        any = true;
    }
    (any && !s.is_empty()).then_some(s)
}

/// Local part (or domain) text from its tokens: words joined, with a space between two words
/// that are not joined by a dot (an obsolete or broken form), comments dropped.
fn addr_text(toks: &[Tok<'_>], spaces: bool) -> Vec<u8> {
    let mut s: Vec<u8> = Vec::new();
    for t in toks {
        let w: &[u8] = match t {
            Tok::Word(w) | Tok::Literal(w) => w,
            Tok::Quoted(q) => q,
            Tok::Special(c) => std::slice::from_ref(c),
            Tok::Comment(_) => continue,
        };
        if spaces && !s.is_empty() && !s.ends_with(b".") && !w.starts_with(b".") {
            s.push(b' ');
        }
        s.extend_from_slice(w);
    }
    s
}

/// `local@domain` from tokens; missing parts are filled in as Dovecot does.
fn addr_spec(toks: &[Tok<'_>]) -> (Vec<u8>, Vec<u8>) {
    let (local, domain) = match toks.iter().position(|t| *t == Tok::Special(b'@')) {
        Some(at) => (addr_text(&toks[..at], true), addr_text(&toks[at + 1..], false)),
        None => (addr_text(toks, true), Vec::new()),
    };
    let local = if local.is_empty() { b"MISSING_MAILBOX".to_vec() } else { local };
    let domain = if domain.is_empty() { b"MISSING_DOMAIN".to_vec() } else { domain };
    (local, domain)
}

/// One mailbox from the tokens between two commas.
fn parse_mailbox(seg: &[Tok<'_>]) -> Option<AddrItem> {
    if let Some(lt) = seg.iter().position(|t| *t == Tok::Special(b'<')) {
        let name = phrase(&seg[..lt]);
        let inner = &seg[lt + 1..];
        let inner = &inner[..inner.iter().position(|t| *t == Tok::Special(b'>')).unwrap_or(inner.len())];
        let (adl, spec) = match inner.iter().position(|t| *t == Tok::Special(b':')) {
            Some(colon) => (Some(addr_text(&inner[..colon], false)).filter(|a| !a.is_empty()), &inner[colon + 1..]),
            None => (None, inner),
        };
        if name.is_none() && !spec.iter().any(|t| !matches!(t, Tok::Comment(_))) {
            return None; // `<>`
        }
        let (mailbox, host) = addr_spec(spec);
        return Some(AddrItem::Mailbox { name, adl, mailbox, host });
    }
    if !seg.iter().any(|t| !matches!(t, Tok::Comment(_))) {
        return None;
    }
    // A bare addr-spec; a comment stands for the name (`user@host (Full Name)`).
    let name = seg
        .iter()
        .rev()
        .find_map(|t| match t {
            Tok::Comment(c) => Some(trim(c).to_vec()),
            _ => None,
        })
        .filter(|c| !c.is_empty());
    let (mailbox, host) = addr_spec(seg);
    Some(AddrItem::Mailbox { name, adl: None, mailbox, host })
}

pub fn parse_addresses(v: &[u8]) -> Vec<AddrItem> {
    let toks = tokenize(v);
    let mut items = Vec::new();
    let mut in_group = false;
    let mut i = 0;
    while i < toks.len() {
        match toks[i] {
            Tok::Special(b',') => {
                i += 1;
                continue;
            }
            Tok::Special(b';') => {
                if in_group {
                    items.push(AddrItem::GroupEnd);
                    in_group = false;
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        // The segment up to the next comma or semicolon outside <...>, or a group's colon.
        let mut j = i;
        let mut depth = 0usize;
        let mut addr_seen = false;
        let mut group_colon = None;
        while j < toks.len() {
            match toks[j] {
                Tok::Special(b'<') => {
                    depth += 1;
                    addr_seen = true;
                }
                Tok::Special(b'>') => depth = depth.saturating_sub(1),
                Tok::Special(b'@') => addr_seen = true,
                Tok::Special(b':') if depth == 0 && !in_group && !addr_seen => {
                    group_colon = Some(j);
                    break;
                }
                Tok::Special(b',' | b';') if depth == 0 => break,
                _ => {}
            }
            j += 1;
        }
        if let Some(colon) = group_colon {
            items.push(AddrItem::GroupStart(phrase(&toks[i..colon]).unwrap_or_default()));
            in_group = true;
            i = colon + 1;
            continue;
        }
        if let Some(m) = parse_mailbox(&toks[i..j]) {
            items.push(m);
        }
        i = j;
    }
    if in_group {
        items.push(AddrItem::GroupEnd);
    }
    items
}

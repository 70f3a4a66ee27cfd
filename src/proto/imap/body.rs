//! Message structure for FETCH and SEARCH (RFC 3501 §6.4.4, §6.4.5, §7.4.2; RFC 9051 §7.5.2):
//! ENVELOPE, BODY/BODYSTRUCTURE, `BODY[section]` extraction, and the header/text matching that
//! SEARCH needs. Sans-I/O: raw message bytes in, bytes out.
//!
//! The MIME tree is walked on the raw bytes (header/body split, boundary scanning) so that sizes,
//! line counts and sections are exact octets of the message as stored; mail-parser is used for
//! what it is good at: RFC 2047 decoding of header values and transfer-encoding/charset decoding
//! of text parts. Header values in ENVELOPE and BODYSTRUCTURE are sent as they are in the message
//! (unfolded, still RFC 2047-encoded), as Dovecot does; Content-Type parameters are merged per
//! RFC 2231 continuations but not decoded (an encoded parameter is sent as `name*`).
//!
//! Nothing here panics on malformed input; nesting is capped at [`MAX_DEPTH`] levels (deeper
//! parts are described as plain text and are not addressable by `BODY[section]`).

use std::borrow::Cow;

use mail_parser::HeaderValue;
use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::html::html_to_text;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::parsers::MessageStream;

use super::encode;

/// How deep multiparts and message/rfc822 parts are followed.
const MAX_DEPTH: usize = 50;

/// What Dovecot writes for a multipart without parts (the grammar needs at least one).
const EMPTY_BODY: &[u8] = b"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)";
const EMPTY_BODYSTRUCTURE: &[u8] =
    b"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";

// ---------------------------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------------------------

/// The ENVELOPE of a message (RFC 3501 §7.4.2 / RFC 9051 §7.5.2), appended to `out` as the
/// parenthesised list: (date subject from sender reply-to to cc bcc in-reply-to message-id).
/// sender and reply-to default to from when absent, as the RFC requires. Address lists are
/// ((name adl mailbox host) ...) or NIL; groups use the RFC 3501 group syntax (NIL NIL "group" NIL ... (NIL NIL NIL NIL)).
/// Header values that are strings are sent as their raw (unfolded, still RFC 2047-encoded) text, as Dovecot does.
pub fn envelope(raw: &[u8], out: &mut Vec<u8>) {
    let (header, _) = split_header(raw);
    let mut date = None;
    let mut subject = None;
    let mut from = None;
    let mut sender = None;
    let mut reply_to = None;
    let mut to = None;
    let mut cc = None;
    let mut bcc = None;
    let mut in_reply_to = None;
    let mut message_id = None;
    for f in Fields::new(header) {
        let slot = match f.name.len() {
            2 if f.name.eq_ignore_ascii_case(b"to") => &mut to,
            2 if f.name.eq_ignore_ascii_case(b"cc") => &mut cc,
            3 if f.name.eq_ignore_ascii_case(b"bcc") => &mut bcc,
            4 if f.name.eq_ignore_ascii_case(b"date") => &mut date,
            4 if f.name.eq_ignore_ascii_case(b"from") => &mut from,
            6 if f.name.eq_ignore_ascii_case(b"sender") => &mut sender,
            7 if f.name.eq_ignore_ascii_case(b"subject") => &mut subject,
            8 if f.name.eq_ignore_ascii_case(b"reply-to") => &mut reply_to,
            10 if f.name.eq_ignore_ascii_case(b"message-id") => &mut message_id,
            11 if f.name.eq_ignore_ascii_case(b"in-reply-to") => &mut in_reply_to,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(f.value);
        }
    }

    let from = from.map(parse_addresses).unwrap_or_default();
    let sender = sender.map(parse_addresses).unwrap_or_default();
    let reply_to = reply_to.map(parse_addresses).unwrap_or_default();

    out.push(b'(');
    nstring_unfolded(out, date);
    out.push(b' ');
    nstring_unfolded(out, subject);
    out.push(b' ');
    write_addresses(out, &from);
    out.push(b' ');
    write_addresses(out, if sender.is_empty() { &from } else { &sender });
    out.push(b' ');
    write_addresses(out, if reply_to.is_empty() { &from } else { &reply_to });
    for list in [to, cc, bcc] {
        out.push(b' ');
        write_addresses(out, &list.map(parse_addresses).unwrap_or_default());
    }
    out.push(b' ');
    nstring_unfolded(out, in_reply_to);
    out.push(b' ');
    nstring_unfolded(out, message_id);
    out.push(b')');
}

/// BODYSTRUCTURE (extended = true) or BODY (extended = false) of a message (RFC 3501 §7.4.2),
/// appended to `out`: type, subtype, params, id, description, encoding, size (octets of the
/// encoded body), lines for text/*, envelope+body+lines for message/rfc822, multipart nesting,
/// and for the extended form: md5 (NIL), disposition, language, location.
pub fn body_structure(raw: &[u8], extended: bool, out: &mut Vec<u8>) {
    write_structure(out, &Entity::new(raw, false), extended, 0);
}

/// What part of a section (RFC 3501 §6.4.5 BODY[section]) is wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionText {
    /// The whole part (BODY[] or BODY[1.2]): for the top level the full message; for a part
    /// its body (the content, without its MIME header); for a message/rfc822 part the whole
    /// embedded message.
    Full,
    /// HEADER: the header of the message (top level) or of the message/rfc822 part, including the blank line.
    Header,
    /// HEADER.FIELDS (names) or HEADER.FIELDS.NOT (names); names compared case-insensitively;
    /// the selected header lines (with their folded continuation lines) followed by the blank line CRLF.
    HeaderFields { names: Vec<String>, not: bool },
    /// TEXT: the body after the header (top level or message/rfc822 part).
    Text,
    /// MIME: the MIME header of a part (only valid with a part number).
    Mime,
}

/// The bytes of `BODY[part.text]` of a raw message; `part` is the 1-based part path (empty for
/// the top level). Per RFC 3501, part 1 of a non-multipart message is its body. None when the
/// part does not exist (the server then sends an empty string, as Dovecot does).
pub fn section(raw: &[u8], part: &[u32], text: &SectionText) -> Option<Vec<u8>> {
    if part.is_empty() {
        // The top level: raw bytes only, no MIME parsing.
        let (header, body) = split_header(raw);
        return match text {
            SectionText::Full => Some(raw.to_vec()),
            SectionText::Header => Some(header.to_vec()),
            SectionText::HeaderFields { names, not } => Some(header_fields(header, names, *not)),
            SectionText::Text => Some(body.to_vec()),
            SectionText::Mime => None,
        };
    }
    if part.len() > MAX_DEPTH {
        return None;
    }

    // `ent` is the entity reached so far; `is_message` when it is a message (the top level, or
    // the content of a message/rfc822 part) rather than a body part.
    let mut ent = Entity::new(raw, false);
    let mut is_message = true;
    for &n in part {
        if !is_message && ent.kind() == Kind::Message {
            ent = Entity::new(ent.body, false);
            is_message = true;
        }
        match ent.kind() {
            Kind::Multipart => {
                let digest = ent.ctype.sub.eq_ignore_ascii_case(b"digest");
                let child = *ent.children().get((n as usize).checked_sub(1)?)?;
                ent = Entity::new(child, digest);
                is_message = false;
            }
            // Part 1 of a non-multipart message is the message's body.
            _ if is_message && n == 1 => is_message = false,
            _ => return None,
        }
    }

    match text {
        SectionText::Full => Some(ent.body.to_vec()),
        SectionText::Mime => Some(ent.header.to_vec()),
        SectionText::Header | SectionText::HeaderFields { .. } | SectionText::Text => {
            if ent.kind() != Kind::Message {
                return None;
            }
            let (header, body) = split_header(ent.body);
            Some(match text {
                SectionText::Header => header.to_vec(),
                SectionText::HeaderFields { names, not } => header_fields(header, names, *not),
                _ => body.to_vec(),
            })
        }
    }
}

/// Helper used by SEARCH: does the message's header named `name` (case-insensitive) contain
/// `needle` (case-insensitive, after RFC 2047 decoding)? An empty needle matches when the header exists.
pub fn header_contains(raw: &[u8], name: &str, needle: &str) -> bool {
    let (header, _) = split_header(raw);
    let needle = Needle::new(needle);
    Fields::new(header)
        .filter(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
        .any(|f| needle.is_empty() || needle.found_in(&decode_header_value(f.value)))
}

/// Helper used by SEARCH BODY/TEXT: does the decoded text of any text part (or the header, when `with_header`) contain
/// `needle`, case-insensitively? Decode transfer encodings and charsets (mail-parser does).
pub fn text_contains(raw: &[u8], needle: &str, with_header: bool) -> bool {
    let needle = Needle::new(needle);
    if needle.is_empty() {
        return true;
    }
    let ent = Entity::new(raw, false);
    (with_header && header_text_contains(ent.header, &needle)) || entity_text_contains(&ent, &needle, 0)
}

// ---------------------------------------------------------------------------------------------
// Raw header handling
// ---------------------------------------------------------------------------------------------

/// Splits an entity into its header (including the blank line that ends it, when there is one)
/// and its body. Without a blank line the whole input is header.
fn split_header(raw: &[u8]) -> (&[u8], &[u8]) {
    let at = |n: usize| raw.split_at(n.min(raw.len()));
    if raw.starts_with(b"\n") {
        return at(1);
    }
    if raw.starts_with(b"\r\n") {
        return at(2);
    }
    let mut i = 0;
    while let Some(p) = raw[i..].iter().position(|&b| b == b'\n') {
        let next = i + p + 1;
        match raw.get(next) {
            Some(b'\n') => return at(next + 1),
            Some(b'\r') if raw.get(next + 1) == Some(&b'\n') => return at(next + 2),
            _ => i = next,
        }
    }
    (raw, &[])
}

/// The index just after the line starting at `from` (after its LF, or the end).
fn line_end(h: &[u8], from: usize) -> usize {
    match h.get(from..).and_then(|s| s.iter().position(|&b| b == b'\n')) {
        Some(p) => from + p + 1,
        None => h.len(),
    }
}

/// One header field: its name, its value (after the colon, with continuation lines and line
/// endings) and the whole field as it is in the message.
#[derive(Debug, Clone, Copy)]
struct Field<'a> {
    name: &'a [u8],
    value: &'a [u8],
    raw: &'a [u8],
}

/// The fields of a header block, up to the blank line. Lines that are not fields (no colon,
/// empty name, stray continuation lines) are skipped.
struct Fields<'a> {
    h: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn new(h: &'a [u8]) -> Self {
        Fields { h, pos: 0 }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let h = self.h;
        loop {
            let start = self.pos;
            if start >= h.len() {
                return None;
            }
            let first_end = line_end(h, start);
            let first = &h[start..first_end];
            if first == b"\n" || first == b"\r\n" {
                self.pos = h.len();
                return None;
            }
            let mut end = first_end;
            while end < h.len() && matches!(h[end], b' ' | b'\t') {
                end = line_end(h, end);
            }
            self.pos = end;
            if matches!(h[start], b' ' | b'\t') {
                continue;
            }
            let Some(colon) = first.iter().position(|&b| b == b':') else { continue };
            let name = trim(&first[..colon]);
            if name.is_empty() {
                continue;
            }
            let raw = &h[start..end];
            return Some(Field { name, value: &raw[colon + 1..], raw });
        }
    }
}

fn is_wsp(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_wsp(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_wsp(b)).map_or(start, |p| p + 1);
    &s[start..end.max(start)]
}

/// A header value with its line breaks removed (the folding whitespace stays) and trimmed.
fn unfold(v: &[u8]) -> Cow<'_, [u8]> {
    let v = trim(v);
    if v.iter().any(|&b| b == b'\r' || b == b'\n') {
        Cow::Owned(v.iter().copied().filter(|&b| b != b'\r' && b != b'\n').collect())
    } else {
        Cow::Borrowed(v)
    }
}

fn nstring_unfolded(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        Some(v) => encode::string(out, &unfold(v)),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// HEADER.FIELDS / HEADER.FIELDS.NOT: the selected fields as they are, then the blank line.
fn header_fields(header: &[u8], names: &[String], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for f in Fields::new(header) {
        let listed = names.iter().any(|n| f.name.eq_ignore_ascii_case(n.as_bytes()));
        if listed != not {
            out.extend_from_slice(f.raw);
            if !f.raw.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// RFC 2047-decoded text of a header value (mail-parser's unstructured parser).
fn decode_header_value(value: &[u8]) -> String {
    let owned;
    let v = if value.ends_with(b"\n") {
        value
    } else {
        owned = [value, b"\n"].concat();
        &owned
    };
    match MessageStream::new(v).parse_unstructured() {
        HeaderValue::Text(t) => t.into_owned(),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses (RFC 5322 §3.4, with the obsolete route syntax), kept undecoded as Dovecot does
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum AddrItem {
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
                i += 1;
                while i < v.len() {
                    match v[i] {
                        b'\\' if i + 1 < v.len() => {
                            s.push(v[i + 1]);
                            i += 2;
                        }
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\r' | b'\n' => i += 1,
                        c => {
                            s.push(c);
                            i += 1;
                        }
                    }
                }
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

fn parse_addresses(v: &[u8]) -> Vec<AddrItem> {
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

fn write_addresses(out: &mut Vec<u8>, items: &[AddrItem]) {
    if items.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for item in items {
        match item {
            AddrItem::Mailbox { name, adl, mailbox, host } => {
                out.push(b'(');
                encode::nstring(out, name.as_deref());
                out.push(b' ');
                encode::nstring(out, adl.as_deref());
                out.push(b' ');
                encode::string(out, mailbox);
                out.push(b' ');
                encode::string(out, host);
                out.push(b')');
            }
            AddrItem::GroupStart(name) => {
                out.extend_from_slice(b"(NIL NIL ");
                encode::string(out, name);
                out.extend_from_slice(b" NIL)");
            }
            AddrItem::GroupEnd => out.extend_from_slice(b"(NIL NIL NIL NIL)"),
        }
    }
    out.push(b')');
}

// ---------------------------------------------------------------------------------------------
// MIME header values (RFC 2045 Content-Type, RFC 2183 Content-Disposition, RFC 2231)
// ---------------------------------------------------------------------------------------------

type Params = Vec<(Vec<u8>, Vec<u8>)>;

fn skip_comment(v: &[u8], i: &mut usize) {
    let mut depth = 0usize;
    while *i < v.len() {
        match v[*i] {
            b'\\' => *i += 1,
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    *i += 1;
                    return;
                }
            }
            _ => {}
        }
        *i += 1;
    }
}

fn skip_cfws(v: &[u8], i: &mut usize) {
    while *i < v.len() {
        match v[*i] {
            b'(' => skip_comment(v, i),
            b if is_wsp(b) => *i += 1,
            _ => return,
        }
    }
}

fn quoted(v: &[u8], i: &mut usize, s: &mut Vec<u8>) {
    *i += 1;
    while *i < v.len() {
        match v[*i] {
            b'\\' if *i + 1 < v.len() => {
                s.push(v[*i + 1]);
                *i += 2;
                continue;
            }
            b'"' => {
                *i += 1;
                return;
            }
            b'\r' | b'\n' => {}
            c => s.push(c),
        }
        *i += 1;
    }
}

/// `value *(; name=value)`: the main value (comments and spaces dropped) and the parameters
/// with RFC 2231 continuations merged.
fn parse_mime_value(v: &[u8]) -> (Vec<u8>, Params) {
    let mut i = 0;
    let mut main = Vec::new();
    while i < v.len() && v[i] != b';' {
        match v[i] {
            b'(' => skip_comment(v, &mut i),
            b'"' => quoted(v, &mut i, &mut main),
            b if is_wsp(b) => i += 1,
            b => {
                main.push(b);
                i += 1;
            }
        }
    }
    let mut params = Vec::new();
    while i < v.len() {
        i += 1; // the ';'
        skip_cfws(v, &mut i);
        let start = i;
        while i < v.len() && !is_wsp(v[i]) && !matches!(v[i], b'=' | b';' | b'(' | b'"') {
            i += 1;
        }
        let name = &v[start..i];
        skip_cfws(v, &mut i);
        if i < v.len() && v[i] == b'=' && !name.is_empty() {
            i += 1;
            skip_cfws(v, &mut i);
            let mut value = Vec::new();
            if i < v.len() && v[i] == b'"' {
                quoted(v, &mut i, &mut value);
            } else {
                let start = i;
                while i < v.len() && !is_wsp(v[i]) && !matches!(v[i], b';' | b'(') {
                    i += 1;
                }
                value.extend_from_slice(&v[start..i]);
            }
            params.push((name.to_vec(), value));
        }
        while i < v.len() && v[i] != b';' {
            if v[i] == b'(' {
                skip_comment(v, &mut i);
            } else {
                i += 1;
            }
        }
    }
    (main, merge_rfc2231(params))
}

/// `name*3` -> ("name", 3, false); `name*0*` -> ("name", 0, true); None for other names.
fn rfc2231_section(name: &[u8]) -> Option<(&[u8], u32, bool)> {
    let star = name.iter().position(|&b| b == b'*')?;
    let (base, rest) = (&name[..star], &name[star + 1..]);
    let (digits, encoded) = match rest.strip_suffix(b"*") {
        Some(d) => (d, true),
        None => (rest, false),
    };
    if base.is_empty() || digits.is_empty() || digits.len() > 6 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((base, n, encoded))
}

/// Merges RFC 2231 continuations (`name*0`, `name*1`, ...) into one parameter. When the first
/// section is encoded the result is `name*` with the still-encoded value (`charset'lang'%xx`),
/// as Dovecot sends it.
fn merge_rfc2231(params: Params) -> Params {
    if !params.iter().any(|(k, _)| k.contains(&b'*')) {
        return params;
    }
    struct Merge {
        base: Vec<u8>,
        slot: usize,
        sections: Vec<(u32, bool, Vec<u8>)>,
    }
    let mut out: Params = Vec::with_capacity(params.len());
    let mut merges: Vec<Merge> = Vec::new();
    for (k, v) in params {
        let Some((base, n, encoded)) = rfc2231_section(&k) else {
            out.push((k, v));
            continue;
        };
        match merges.iter_mut().find(|m| m.base.eq_ignore_ascii_case(base)) {
            Some(m) => m.sections.push((n, encoded, v)),
            None => {
                merges.push(Merge { base: base.to_vec(), slot: out.len(), sections: vec![(n, encoded, v)] });
                out.push((Vec::new(), Vec::new()));
            }
        }
    }
    for mut m in merges {
        m.sections.sort_by_key(|s| s.0);
        let extended = m.sections.first().is_some_and(|s| s.1);
        let mut value = Vec::new();
        for (_, encoded, v) in &m.sections {
            if extended && !encoded {
                for &b in v {
                    if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                        value.push(b);
                    } else {
                        value.extend_from_slice(format!("%{b:02X}").as_bytes());
                    }
                }
            } else {
                value.extend_from_slice(v);
            }
        }
        let mut name = m.base;
        if extended {
            name.push(b'*');
        }
        out[m.slot] = (name, value);
    }
    out
}

fn param<'p>(params: &'p Params, name: &[u8]) -> Option<&'p [u8]> {
    params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Multipart,
    Message,
    Leaf,
}

#[derive(Debug, Clone)]
struct ContentType {
    ty: Vec<u8>,
    sub: Vec<u8>,
    params: Params,
}

impl ContentType {
    /// The type of a part without (or with an invalid) Content-Type: text/plain, or
    /// message/rfc822 in a multipart/digest (RFC 2046 §5.1.5).
    fn default(in_digest: bool) -> Self {
        let (ty, sub): (&[u8], &[u8]) = if in_digest { (b"message", b"rfc822") } else { (b"text", b"plain") };
        ContentType { ty: ty.to_vec(), sub: sub.to_vec(), params: Vec::new() }
    }

    fn parse(v: Option<&[u8]>, in_digest: bool) -> Self {
        let Some(v) = v else { return Self::default(in_digest) };
        let (main, params) = parse_mime_value(v);
        match main.iter().position(|&b| b == b'/') {
            Some(slash) if slash > 0 && slash + 1 < main.len() => {
                ContentType { ty: main[..slash].to_vec(), sub: main[slash + 1..].to_vec(), params }
            }
            _ => Self::default(in_digest),
        }
    }

    fn kind(&self) -> Kind {
        if self.ty.eq_ignore_ascii_case(b"multipart") {
            Kind::Multipart
        } else if self.ty.eq_ignore_ascii_case(b"message") && self.sub.eq_ignore_ascii_case(b"rfc822") {
            Kind::Message
        } else {
            Kind::Leaf
        }
    }

    fn is_text(&self) -> bool {
        self.ty.eq_ignore_ascii_case(b"text")
    }
}

/// The Content-* fields of an entity's header (the first of each).
#[derive(Debug, Default, Clone, Copy)]
struct MimeFields<'a> {
    ctype: Option<&'a [u8]>,
    encoding: Option<&'a [u8]>,
    id: Option<&'a [u8]>,
    description: Option<&'a [u8]>,
    disposition: Option<&'a [u8]>,
    language: Option<&'a [u8]>,
    location: Option<&'a [u8]>,
}

impl<'a> MimeFields<'a> {
    fn parse(header: &'a [u8]) -> Self {
        let mut m = MimeFields::default();
        for f in Fields::new(header) {
            if f.name.len() < 10 || !f.name[..8].eq_ignore_ascii_case(b"content-") {
                continue;
            }
            let rest = &f.name[8..];
            let slot = if rest.eq_ignore_ascii_case(b"type") {
                &mut m.ctype
            } else if rest.eq_ignore_ascii_case(b"transfer-encoding") {
                &mut m.encoding
            } else if rest.eq_ignore_ascii_case(b"id") {
                &mut m.id
            } else if rest.eq_ignore_ascii_case(b"description") {
                &mut m.description
            } else if rest.eq_ignore_ascii_case(b"disposition") {
                &mut m.disposition
            } else if rest.eq_ignore_ascii_case(b"language") {
                &mut m.language
            } else if rest.eq_ignore_ascii_case(b"location") {
                &mut m.location
            } else {
                continue;
            };
            if slot.is_none() {
                *slot = Some(f.value);
            }
        }
        m
    }

    /// The transfer encoding token, if any.
    fn encoding(&self) -> Option<Vec<u8>> {
        let (main, _) = parse_mime_value(self.encoding?);
        (!main.is_empty()).then_some(main)
    }
}

// ---------------------------------------------------------------------------------------------
// The MIME tree
// ---------------------------------------------------------------------------------------------

/// A message or a body part: its (MIME) header, its body, and its content type.
struct Entity<'a> {
    header: &'a [u8],
    body: &'a [u8],
    fields: MimeFields<'a>,
    ctype: ContentType,
}

impl<'a> Entity<'a> {
    fn new(raw: &'a [u8], in_digest: bool) -> Self {
        let (header, body) = split_header(raw);
        let fields = MimeFields::parse(header);
        let ctype = ContentType::parse(fields.ctype, in_digest);
        Entity { header, body, fields, ctype }
    }

    fn kind(&self) -> Kind {
        self.ctype.kind()
    }

    /// The raw parts of a multipart (empty when there is no boundary or no delimiter).
    fn children(&self) -> Vec<&'a [u8]> {
        match param(&self.ctype.params, b"boundary") {
            Some(b) if !b.is_empty() => split_multipart(self.body, b),
            _ => Vec::new(),
        }
    }
}

/// Is the line at `ls` a delimiter `--boundary` (Some(false)) or close delimiter
/// `--boundary--` (Some(true))? Only transport padding may follow the boundary.
fn delimiter_at(body: &[u8], ls: usize, boundary: &[u8]) -> Option<bool> {
    let line = &body[ls..line_end(body, ls)];
    let rest = line.strip_prefix(b"--")?.strip_prefix(boundary)?;
    if rest.starts_with(b"--") {
        return Some(true);
    }
    rest.iter().all(|&b| is_wsp(b)).then_some(false)
}

/// The parts of a multipart body (RFC 2046 §5.1.1). The line break before a delimiter belongs
/// to the delimiter. A missing close delimiter ends the last part at the end of the body.
fn split_multipart<'a>(body: &'a [u8], boundary: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut ls = 0;
    while ls < body.len() {
        let next = line_end(body, ls);
        if body[ls] == b'-'
            && let Some(close) = delimiter_at(body, ls, boundary)
        {
            if let Some(s) = start {
                let mut end = ls;
                if end > 0 && body[end - 1] == b'\n' {
                    end -= 1;
                    if end > 0 && body[end - 1] == b'\r' {
                        end -= 1;
                    }
                }
                parts.push(&body[s..end.max(s)]);
            }
            if close {
                return parts;
            }
            start = Some(next);
        }
        ls = next;
    }
    if let Some(s) = start {
        parts.push(&body[s.min(body.len())..]);
    }
    parts
}

/// Lines of a body: its line feeds, plus a last line without one.
fn count_lines(body: &[u8]) -> u64 {
    let lf = body.iter().filter(|&&b| b == b'\n').count() as u64;
    lf + u64::from(!body.is_empty() && !body.ends_with(b"\n"))
}

fn write_params(out: &mut Vec<u8>, params: &Params, default_charset: bool) {
    let add_charset = default_charset && param(params, b"charset").is_none();
    if params.is_empty() && !add_charset {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    let mut first = true;
    if add_charset {
        out.extend_from_slice(b"\"charset\" \"us-ascii\"");
        first = false;
    }
    for (k, v) in params {
        if !first {
            out.push(b' ');
        }
        first = false;
        encode::string(out, k);
        out.push(b' ');
        encode::string(out, v);
    }
    out.push(b')');
}

/// body-ext: disposition, language, location (the part after md5 / multipart params).
fn write_ext_tail(out: &mut Vec<u8>, fields: &MimeFields<'_>) {
    // Disposition.
    out.push(b' ');
    let disposition = fields.disposition.map(parse_mime_value).filter(|(main, _)| !main.is_empty());
    match disposition {
        Some((main, params)) => {
            out.push(b'(');
            encode::string(out, &main);
            out.push(b' ');
            write_params(out, &params, false);
            out.push(b')');
        }
        None => out.extend_from_slice(b"NIL"),
    }
    // Language.
    out.push(b' ');
    let mut langs: Vec<Vec<u8>> = Vec::new();
    if let Some(v) = fields.language {
        let mut i = 0;
        let mut cur = Vec::new();
        while i < v.len() {
            match v[i] {
                b'(' => skip_comment(v, &mut i),
                b',' => {
                    langs.push(std::mem::take(&mut cur));
                    i += 1;
                }
                b if is_wsp(b) => i += 1,
                b => {
                    cur.push(b);
                    i += 1;
                }
            }
        }
        langs.push(cur);
        langs.retain(|l| !l.is_empty());
    }
    if langs.is_empty() {
        out.extend_from_slice(b"NIL");
    } else {
        out.push(b'(');
        for (n, l) in langs.iter().enumerate() {
            if n > 0 {
                out.push(b' ');
            }
            encode::string(out, l);
        }
        out.push(b')');
    }
    // Location.
    out.push(b' ');
    nstring_unfolded(out, fields.location);
}

fn write_structure(out: &mut Vec<u8>, ent: &Entity<'_>, extended: bool, depth: usize) {
    let fields = &ent.fields;
    // Too deep: describe the rest as plain text.
    let capped;
    let ctype = if depth >= MAX_DEPTH && ent.kind() != Kind::Leaf {
        capped = ContentType::default(false);
        &capped
    } else {
        &ent.ctype
    };

    if ctype.kind() == Kind::Multipart {
        out.push(b'(');
        let digest = ctype.sub.eq_ignore_ascii_case(b"digest");
        let children = ent.children();
        if children.is_empty() {
            out.extend_from_slice(if extended { EMPTY_BODYSTRUCTURE } else { EMPTY_BODY });
        }
        for child in children {
            write_structure(out, &Entity::new(child, digest), extended, depth + 1);
        }
        out.push(b' ');
        encode::string(out, &ctype.sub);
        if extended {
            out.push(b' ');
            write_params(out, &ctype.params, false);
            write_ext_tail(out, fields);
        }
        out.push(b')');
        return;
    }

    out.push(b'(');
    encode::string(out, &ctype.ty);
    out.push(b' ');
    encode::string(out, &ctype.sub);
    out.push(b' ');
    write_params(out, &ctype.params, ctype.is_text());
    out.push(b' ');
    nstring_unfolded(out, fields.id);
    out.push(b' ');
    nstring_unfolded(out, fields.description);
    out.push(b' ');
    match fields.encoding() {
        Some(e) => encode::string(out, &e),
        None => out.extend_from_slice(b"\"7bit\""),
    }
    out.push(b' ');
    encode::number(out, ent.body.len() as u64);
    match ctype.kind() {
        Kind::Message => {
            out.push(b' ');
            envelope(ent.body, out);
            out.push(b' ');
            write_structure(out, &Entity::new(ent.body, false), extended, depth + 1);
            out.push(b' ');
            encode::number(out, count_lines(ent.body));
        }
        _ if ctype.is_text() => {
            out.push(b' ');
            encode::number(out, count_lines(ent.body));
        }
        _ => {}
    }
    if extended {
        out.extend_from_slice(b" NIL"); // md5
        write_ext_tail(out, fields);
    }
    out.push(b')');
}

// ---------------------------------------------------------------------------------------------
// SEARCH helpers
// ---------------------------------------------------------------------------------------------

/// A search string, lowercased once.
struct Needle {
    lower: String,
}

impl Needle {
    fn new(s: &str) -> Self {
        Needle { lower: s.to_lowercase() }
    }

    fn is_empty(&self) -> bool {
        self.lower.is_empty()
    }

    fn found_in(&self, hay: &str) -> bool {
        if self.lower.is_empty() {
            return true;
        }
        if self.lower.is_ascii() {
            let n = self.lower.as_bytes();
            return hay.len() >= n.len() && hay.as_bytes().windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
        }
        hay.to_lowercase().contains(&self.lower)
    }
}

fn header_text_contains(header: &[u8], needle: &Needle) -> bool {
    Fields::new(header).any(|f| {
        let mut line = String::from_utf8_lossy(f.name).into_owned();
        line.push_str(": ");
        line.push_str(&decode_header_value(f.value));
        needle.found_in(&line)
    })
}

/// The decoded text of a text part (transfer encoding, then charset).
fn decode_text(ent: &Entity<'_>) -> String {
    let encoding = ent.fields.encoding().map(|mut e| {
        e.make_ascii_lowercase();
        e
    });
    let bytes: Cow<'_, [u8]> = match encoding.as_deref() {
        Some(b"base64") => base64_decode(ent.body).map_or(Cow::Borrowed(ent.body), Cow::Owned),
        Some(b"quoted-printable") => quoted_printable_decode(ent.body).map_or(Cow::Borrowed(ent.body), Cow::Owned),
        _ => Cow::Borrowed(ent.body),
    };
    let text = match param(&ent.ctype.params, b"charset").and_then(charset_decoder) {
        Some(decode) => decode(&bytes),
        None => String::from_utf8_lossy(&bytes).into_owned(),
    };
    if ent.ctype.sub.eq_ignore_ascii_case(b"html") { html_to_text(&text) } else { text }
}

fn entity_text_contains(ent: &Entity<'_>, needle: &Needle, depth: usize) -> bool {
    if depth >= MAX_DEPTH {
        return false;
    }
    match ent.kind() {
        Kind::Multipart => {
            let digest = ent.ctype.sub.eq_ignore_ascii_case(b"digest");
            ent.children().into_iter().any(|child| entity_text_contains(&Entity::new(child, digest), needle, depth + 1))
        }
        Kind::Message => {
            // The embedded message's header is part of the body of the enclosing one.
            let inner = Entity::new(ent.body, false);
            header_text_contains(inner.header, needle) || entity_text_contains(&inner, needle, depth + 1)
        }
        Kind::Leaf => ent.ctype.is_text() && needle.found_in(&decode_text(ent)),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn env(raw: &str) -> String {
        let mut out = Vec::new();
        envelope(raw.as_bytes(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn bs(raw: &str, extended: bool) -> String {
        let mut out = Vec::new();
        body_structure(raw.as_bytes(), extended, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn sec(raw: &str, part: &[u32], text: SectionText) -> Option<String> {
        section(raw.as_bytes(), part, &text).map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    fn fields(names: &[&str], not: bool) -> SectionText {
        SectionText::HeaderFields { names: names.iter().map(|s| s.to_string()).collect(), not }
    }

    const SIMPLE: &str = "From: Alice <alice@example.com>\r\n\
        To: bob@example.org\r\n\
        Subject: Hello\r\n\
        Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\
        Message-ID: <1@example.com>\r\n\
        \r\n\
        Hello world\r\n";

    const ALTERNATIVE: &str = "From: a@example.com\r\n\
        Subject: alt\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/alternative; boundary=\"XX\"\r\n\
        \r\n\
        preamble\r\n\
        --XX\r\n\
        Content-Type: text/plain; charset=UTF-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\
        \r\n\
        caf=C3=A9\r\n\
        --XX\r\n\
        Content-Type: text/html; charset=\"utf-8\"\r\n\
        \r\n\
        <p>caf&eacute; au lait</p>\r\n\
        --XX--\r\n\
        epilogue\r\n";

    const MIXED: &str = "From: a@example.com\r\n\
        Subject: mixed\r\n\
        Content-Type: multipart/mixed; boundary=outer\r\n\
        \r\n\
        --outer\r\n\
        Content-Type: text/plain\r\n\
        \r\n\
        Body text\r\n\
        two\r\n\
        --outer\r\n\
        Content-Type: application/pdf; name=\"doc.pdf\"\r\n\
        Content-Transfer-Encoding: base64\r\n\
        Content-Disposition: attachment;\r\n\
        \tfilename=\"doc.pdf\"\r\n\
        Content-ID: <pdf@x>\r\n\
        Content-Description: A document\r\n\
        Content-Language: en, de\r\n\
        \r\n\
        JVBERi0xLjQK\r\n\
        --outer\r\n\
        Content-Type: message/rfc822\r\n\
        \r\n\
        From: Carol <carol@example.net>\r\n\
        Subject: inner\r\n\
        Content-Type: multipart/alternative; boundary=inner\r\n\
        \r\n\
        --inner\r\n\
        Content-Type: text/plain\r\n\
        \r\n\
        inner plain\r\n\
        --inner\r\n\
        Content-Type: text/html\r\n\
        \r\n\
        <b>inner html</b>\r\n\
        --inner--\r\n\
        \r\n\
        --outer--\r\n";

    #[test]
    fn envelopes() {
        let cases: &[(&str, &str)] = &[
            (
                SIMPLE,
                "(\"Mon, 7 Feb 1994 21:52:25 -0800\" \"Hello\" ((\"Alice\" NIL \"alice\" \"example.com\")) \
                 ((\"Alice\" NIL \"alice\" \"example.com\")) ((\"Alice\" NIL \"alice\" \"example.com\")) \
                 ((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL \"<1@example.com>\")",
            ),
            // Missing headers: all NIL.
            ("\r\nbody\r\n", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"),
            ("", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"),
            // Sender and Reply-To given; folded and encoded subject stays raw; empty subject.
            (
                "From: a@x\r\nSender: s@x\r\nReply-To: r@x\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n  folded\r\n\
                 In-Reply-To: <0@x>\r\n\r\n",
                "(NIL \"=?utf-8?q?caf=C3=A9?=  folded\" ((NIL NIL \"a\" \"x\")) ((NIL NIL \"s\" \"x\")) \
                 ((NIL NIL \"r\" \"x\")) NIL NIL NIL \"<0@x>\" NIL)",
            ),
            ("Subject:\r\n\r\n", "(NIL \"\" NIL NIL NIL NIL NIL NIL NIL NIL)"),
            // Groups, including an empty one.
            (
                "To: Friends: a@x, \"B\" <b@y>;, c@z\r\nCc: undisclosed-recipients:;\r\n\r\n",
                "(NIL NIL NIL NIL NIL ((NIL NIL \"Friends\" NIL)(NIL NIL \"a\" \"x\")(\"B\" NIL \"b\" \"y\")\
                 (NIL NIL NIL NIL)(NIL NIL \"c\" \"z\")) \
                 ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL)",
            ),
            // Names with quotes and backslashes, comments as names, routes, encoded words kept.
            (
                "From: \"John \\\"JJ\\\" Doe\" <j@x>, k@y (Kay K), <@r1,@r2:m@h>, =?utf-8?b?w6k=?= <e@x>\r\n\r\n",
                "(NIL NIL ((\"John \\\"JJ\\\" Doe\" NIL \"j\" \"x\")(\"Kay K\" NIL \"k\" \"y\")\
                 (NIL \"@r1,@r2\" \"m\" \"h\")(\"=?utf-8?b?w6k=?=\" NIL \"e\" \"x\")) \
                 ((\"John \\\"JJ\\\" Doe\" NIL \"j\" \"x\")(\"Kay K\" NIL \"k\" \"y\")\
                 (NIL \"@r1,@r2\" \"m\" \"h\")(\"=?utf-8?b?w6k=?=\" NIL \"e\" \"x\")) \
                 ((\"John \\\"JJ\\\" Doe\" NIL \"j\" \"x\")(\"Kay K\" NIL \"k\" \"y\")\
                 (NIL \"@r1,@r2\" \"m\" \"h\")(\"=?utf-8?b?w6k=?=\" NIL \"e\" \"x\")) NIL NIL NIL NIL NIL)",
            ),
            // Broken addresses get Dovecot's placeholders; quoted local part is unquoted.
            (
                "To: John Smith, \"a b\"@x, @nowhere\r\n\r\n",
                "(NIL NIL NIL NIL NIL ((NIL NIL \"John Smith\" \"MISSING_DOMAIN\")(NIL NIL \"a b\" \"x\")\
                 (NIL NIL \"MISSING_MAILBOX\" \"nowhere\")) NIL NIL NIL NIL)",
            ),
            // Case-insensitive names, first occurrence wins, LF-only line endings, 8-bit goes literal.
            (
                "SUBJECT: one\nsubject: two\nfrom: Ren\u{e9} <r@x>\n\n",
                "(NIL \"one\" (({5}\r\nRen\u{e9} NIL \"r\" \"x\")) (({5}\r\nRen\u{e9} NIL \"r\" \"x\")) \
                 (({5}\r\nRen\u{e9} NIL \"r\" \"x\")) NIL NIL NIL NIL NIL)",
            ),
        ];
        for (n, (raw, want)) in cases.iter().enumerate() {
            assert_eq!(env(raw), *want, "case {n}");
        }
    }

    #[test]
    fn body_structures() {
        let cases: &[(&str, bool, &str)] = &[
            (SIMPLE, true, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 13 1 NIL NIL NIL NIL)"),
            (SIMPLE, false, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 13 1)"),
            // Case as in the message; a body without a final line break still has a line.
            (
                "Content-Type: TEXT/Plain; CharSet=ISO-8859-1; format=flowed\r\nContent-Transfer-Encoding: 8BIT\r\n\r\nab\r\ncd",
                true,
                "(\"TEXT\" \"Plain\" (\"CharSet\" \"ISO-8859-1\" \"format\" \"flowed\") NIL NIL \"8BIT\" 6 2 NIL NIL NIL NIL)",
            ),
            (
                ALTERNATIVE,
                true,
                "((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL \"quoted-printable\" 9 1 NIL NIL NIL NIL)\
                 (\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 26 1 NIL NIL NIL NIL) \
                 \"alternative\" (\"boundary\" \"XX\") NIL NIL NIL)",
            ),
            (
                ALTERNATIVE,
                false,
                "((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL \"quoted-printable\" 9 1)\
                 (\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 26 1) \"alternative\")",
            ),
            (
                MIXED,
                true,
                "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 2 NIL NIL NIL NIL)\
                 (\"application\" \"pdf\" (\"name\" \"doc.pdf\") \"<pdf@x>\" \"A document\" \"base64\" 12 NIL \
                 (\"attachment\" (\"filename\" \"doc.pdf\")) (\"en\" \"de\") NIL)\
                 (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 220 \
                 (NIL \"inner\" ((\"Carol\" NIL \"carol\" \"example.net\")) ((\"Carol\" NIL \"carol\" \"example.net\")) \
                 ((\"Carol\" NIL \"carol\" \"example.net\")) NIL NIL NIL NIL NIL) \
                 ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 1 NIL NIL NIL NIL)\
                 (\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 17 1 NIL NIL NIL NIL) \
                 \"alternative\" (\"boundary\" \"inner\") NIL NIL NIL) 13 NIL NIL NIL NIL) \
                 \"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)",
            ),
            // A multipart without its boundary: one empty text/plain part, as Dovecot does.
            (
                "Content-Type: multipart/mixed\r\n\r\nno parts\r\n",
                true,
                "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)",
            ),
            // Invalid Content-Type: the default; digest children default to message/rfc822.
            (
                "Content-Type: garbage\r\n\r\nx",
                false,
                "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 1)",
            ),
            (
                "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: s\r\n\r\nhi\r\n--d--\r\n",
                false,
                "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 16 (NIL \"s\" NIL NIL NIL NIL NIL NIL NIL NIL) \
                 (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 2 1) 3) \"digest\")",
            ),
            // RFC 2231 continuations merged; an encoded one stays encoded as name*.
            (
                "Content-Type: application/x-y; a*0=\"one \"; a*1=two; b*0*=utf-8''%E2%82; b*1*=%AC; c*=us-ascii'en'x\r\n\
                 Content-Disposition: inline\r\n\r\nz",
                true,
                "(\"application\" \"x-y\" (\"a\" \"one two\" \"b*\" \"utf-8''%E2%82%AC\" \"c*\" \"us-ascii'en'x\") \
                 NIL NIL \"7bit\" 1 NIL (\"inline\" NIL) NIL NIL)",
            ),
        ];
        for (n, (raw, extended, want)) in cases.iter().enumerate() {
            assert_eq!(bs(raw, *extended), *want, "case {n}");
        }
    }

    #[test]
    fn sections() {
        use SectionText::*;
        let cases: Vec<(&str, Vec<u32>, SectionText, Option<&str>)> = vec![
            (SIMPLE, vec![], Full, Some(SIMPLE)),
            (SIMPLE, vec![], Text, Some("Hello world\r\n")),
            (SIMPLE, vec![], Header, Some(&SIMPLE[..SIMPLE.len() - 13])),
            (SIMPLE, vec![], Mime, None),
            // Part 1 of a non-multipart message is its body; its MIME header is the header.
            (SIMPLE, vec![1], Full, Some("Hello world\r\n")),
            (SIMPLE, vec![1], Mime, Some(&SIMPLE[..SIMPLE.len() - 13])),
            (SIMPLE, vec![2], Full, None),
            (SIMPLE, vec![0], Full, None),
            (SIMPLE, vec![1, 1], Full, None),
            (SIMPLE, vec![1], Header, None),
            (SIMPLE, vec![], fields(&["subject", "TO"], false), Some("To: bob@example.org\r\nSubject: Hello\r\n\r\n")),
            (
                SIMPLE,
                vec![],
                fields(&["from", "to", "date"], true),
                Some("Subject: Hello\r\nMessage-ID: <1@example.com>\r\n\r\n"),
            ),
            (SIMPLE, vec![], fields(&["x-none"], false), Some("\r\n")),
            // Folded lines come along.
            (
                "Subject: a\r\n b\r\nX-A: 1\r\nx-a: 2\r\n\tcont\r\n\r\nbody",
                vec![],
                fields(&["X-a"], false),
                Some("X-A: 1\r\nx-a: 2\r\n\tcont\r\n\r\n"),
            ),
            (ALTERNATIVE, vec![1], Full, Some("caf=C3=A9")),
            (ALTERNATIVE, vec![2], Full, Some("<p>caf&eacute; au lait</p>")),
            (
                ALTERNATIVE,
                vec![1],
                Mime,
                Some("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"),
            ),
            (ALTERNATIVE, vec![3], Full, None),
            (ALTERNATIVE, vec![1, 1], Full, None),
            (MIXED, vec![1], Full, Some("Body text\r\ntwo")),
            (MIXED, vec![2], Full, Some("JVBERi0xLjQK")),
            (
                MIXED,
                vec![3],
                Header,
                Some(
                    "From: Carol <carol@example.net>\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n",
                ),
            ),
            (MIXED, vec![3], fields(&["subject"], false), Some("Subject: inner\r\n\r\n")),
            (MIXED, vec![3], Mime, Some("Content-Type: message/rfc822\r\n\r\n")),
            (MIXED, vec![3, 1], Full, Some("inner plain")),
            (MIXED, vec![3, 2], Full, Some("<b>inner html</b>")),
            (MIXED, vec![3, 2], Mime, Some("Content-Type: text/html\r\n\r\n")),
            (MIXED, vec![3, 3], Full, None),
            (MIXED, vec![2], Text, None),
            (MIXED, vec![4], Full, None),
        ];
        for (n, (raw, part, text, want)) in cases.into_iter().enumerate() {
            assert_eq!(sec(raw, &part, text).as_deref(), want, "case {n}");
        }
        // The embedded message, whole, and its TEXT.
        let inner = sec(MIXED, &[3], Full).unwrap();
        assert!(inner.starts_with("From: Carol") && inner.ends_with("--inner--\r\n"));
        assert_eq!(sec(MIXED, &[3], Text).unwrap(), inner[inner.find("\r\n\r\n").unwrap() + 4..]);
        // Part 1 of a non-multipart embedded message is its body.
        let msg = "Content-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\ninner body\r\n";
        assert_eq!(sec(msg, &[1], Full).as_deref(), Some("Subject: x\r\n\r\ninner body\r\n"));
        assert_eq!(sec(msg, &[1, 1], Full).as_deref(), Some("inner body\r\n"));
        assert_eq!(sec(msg, &[1, 1], Mime).as_deref(), Some("Subject: x\r\n\r\n"));
        assert_eq!(sec(msg, &[1], Text).as_deref(), Some("inner body\r\n"));
    }

    #[test]
    fn multipart_splitting() {
        // Boundary prefix of a nested boundary, close delimiter missing, LF-only endings.
        let raw = "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/mixed; boundary=b-1\n\n\
                   --b-1\n\none\n--b-1--\n--b\n\ntwo\n";
        assert_eq!(sec(raw, &[1, 1], SectionText::Full).as_deref(), Some("one"));
        assert_eq!(sec(raw, &[2], SectionText::Full).as_deref(), Some("two\n"));
        assert_eq!(split_multipart(b"--b\r\n--b\r\n\r\nx\r\n--b--", b"b"), vec![&b""[..], b"\r\nx"]);
        assert_eq!(split_multipart(b"--bb\r\nx", b"b"), Vec::<&[u8]>::new());
    }

    #[test]
    fn searching() {
        assert!(header_contains(SIMPLE.as_bytes(), "subject", "ELL"));
        assert!(header_contains(SIMPLE.as_bytes(), "FROM", "alice@EXAMPLE"));
        assert!(header_contains(SIMPLE.as_bytes(), "Subject", ""));
        assert!(!header_contains(SIMPLE.as_bytes(), "Cc", ""));
        assert!(!header_contains(SIMPLE.as_bytes(), "subject", "world"));
        let enc = "Subject: =?utf-8?q?Caf=C3=A9_cr=C3=A8me?=\r\n\r\n";
        assert!(header_contains(enc.as_bytes(), "subject", "CAFÉ CRÈME"));

        assert!(text_contains(SIMPLE.as_bytes(), "WORLD", false));
        assert!(!text_contains(SIMPLE.as_bytes(), "alice", false));
        assert!(text_contains(SIMPLE.as_bytes(), "alice", true));
        assert!(text_contains(ALTERNATIVE.as_bytes(), "CAFÉ", false));
        assert!(text_contains(ALTERNATIVE.as_bytes(), "café au lait", false));
        assert!(!text_contains(ALTERNATIVE.as_bytes(), "preamble", false));
        assert!(text_contains(MIXED.as_bytes(), "inner HTML", false));
        assert!(text_contains(MIXED.as_bytes(), "carol@", false));
        assert!(!text_contains(MIXED.as_bytes(), "JVBER", false));
        let b64 =
            "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\nZ3LkdA==\r\n";
        assert!(text_contains(b64.as_bytes(), "GRÄT", false));
    }

    #[test]
    fn garbage_does_not_panic() {
        let mut inputs: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\r\n".to_vec(),
            b"\n\n\n".to_vec(),
            b"\r".to_vec(),
            b":".to_vec(),
            b" continuation first\r\n\r\n".to_vec(),
            b"From: <<<>>>,,;;::@@\"\\(((\r\nTo: \"unterminated\r\nCc: (comment\r\n\r\n".to_vec(),
            b"To: a:b:c;d;;e:\r\nBcc: [lit@x\r\n\r\n".to_vec(),
            b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n".to_vec(),
            b"Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x".to_vec(),
            b"Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: message/rfc822".to_vec(),
            b"Content-Type: ;;;===\"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!".to_vec(),
            b"Content-Type: text/plain; charset=\"no-such\"; a*99999999999=1; a*0*=%%; b*=\r\n\r\n\xff\xfe".to_vec(),
            b"Content-Type: message/rfc822\r\n\r\n".to_vec(),
            (0u8..=255).cycle().take(5000).collect(),
        ];
        // Deep nesting, beyond the cap.
        let mut deep = Vec::new();
        for n in 0..200 {
            deep.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=b{n}\r\n\r\n--b{n}\r\n").as_bytes(),
            );
        }
        deep.extend_from_slice(b"\r\nleaf\r\n");
        inputs.push(deep);
        inputs.push(b"Content-Type: message/rfc822\r\n\r\n".repeat(10_000));
        inputs.push(b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n".repeat(1000));

        for (n, raw) in inputs.iter().enumerate() {
            let mut out = Vec::new();
            envelope(raw, &mut out);
            assert!(out.starts_with(b"(") && out.ends_with(b")"), "case {n}");
            for extended in [false, true] {
                out.clear();
                body_structure(raw, extended, &mut out);
                assert!(out.starts_with(b"(") && out.ends_with(b")"), "case {n}");
                let depth = out.iter().fold((0i64, 0i64), |(d, m), &b| match b {
                    b'(' => (d + 1, m.max(d + 1)),
                    b')' => (d - 1, m),
                    _ => (d, m),
                });
                assert!(depth.1 < 400, "case {n}");
            }
            for part in [&[][..], &[1], &[2], &[1, 1], &[1, 1, 1, 1, 1], &[0], &[u32::MAX]] {
                for text in [
                    SectionText::Full,
                    SectionText::Header,
                    SectionText::Text,
                    SectionText::Mime,
                    fields(&["content-type"], false),
                    fields(&["content-type"], true),
                ] {
                    let _ = section(raw, part, &text);
                }
            }
            let _ = header_contains(raw, "content-type", "multi");
            let _ = text_contains(raw, "leaf", true);
            let _ = text_contains(raw, "ÿ", true);
        }
    }

    #[test]
    fn depth_is_capped() {
        let mut deep = Vec::new();
        for n in 0..100 {
            deep.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=b{n}\r\n\r\n--b{n}\r\n").as_bytes(),
            );
        }
        deep.extend_from_slice(b"\r\nleaf\r\n");
        let mut out = Vec::new();
        body_structure(&deep, false, &mut out);
        let opens = out.iter().filter(|&&b| b == b'(').count();
        assert!(opens <= MAX_DEPTH + 2, "{opens}");
        assert!(section(&deep, &[1; 49], &SectionText::Mime).is_some());
        assert!(section(&deep, &[1; 60], &SectionText::Full).is_none());
    }
}

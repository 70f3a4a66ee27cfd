//! FETCH data items (RFC 3501 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ).

use super::body::SectionText;
use super::lexer::{Cursor, PResult, bad};

/// `BODY[part.text]<offset.count>` and its variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub part: Vec<u32>,
    pub text: SectionText,
    /// `<offset.count>`; count is None for the `<offset>` echoed in responses only.
    pub partial: Option<(u32, u32)>,
    /// BODY.PEEK / BINARY.PEEK: do not set \Seen.
    pub peek: bool,
    /// BINARY[...]: content transfer decoding.
    pub binary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchItem {
    Uid,
    Flags,
    InternalDate,
    Rfc822Size,
    Envelope,
    /// BODY (non-extensible BODYSTRUCTURE).
    Body,
    BodyStructure,
    Modseq,
    /// RFC822 (= BODY[]), RFC822.HEADER (= BODY.PEEK[HEADER]), RFC822.TEXT (= BODY[TEXT]),
    /// answered under their own names.
    Rfc822,
    Rfc822Header,
    Rfc822Text,
    Section(Section),
    BinarySize(Vec<u32>),
}

impl FetchItem {
    /// Does fetching this set \Seen (RFC 3501 §6.4.5)?
    pub fn sets_seen(&self) -> bool {
        match self {
            FetchItem::Rfc822 | FetchItem::Rfc822Text => true,
            FetchItem::Section(s) => !s.peek,
            _ => false,
        }
    }

    /// Does answering it need the message file?
    pub fn needs_file(&self) -> bool {
        !matches!(
            self,
            FetchItem::Uid | FetchItem::Flags | FetchItem::InternalDate | FetchItem::Rfc822Size | FetchItem::Modseq
        )
    }
}

/// `part` ("1.2.3") and the text after it, inside the brackets.
fn section_spec(c: &mut Cursor) -> PResult<(Vec<u32>, SectionText)> {
    let mut part = Vec::new();
    while matches!(c.peek(), Some(b'1'..=b'9')) {
        part.push(c.nz_number()?);
        if part.len() > 100 {
            return bad("section part too deep");
        }
        if !c.eat(b'.') {
            return Ok((part, SectionText::Full));
        }
    }
    let text = if c.peek() == Some(b']') && part.is_empty() {
        SectionText::Full
    } else if c.eat_keyword("HEADER.FIELDS.NOT") {
        SectionText::HeaderFields { names: header_list(c)?, not: true }
    } else if c.eat_keyword("HEADER.FIELDS") {
        SectionText::HeaderFields { names: header_list(c)?, not: false }
    } else if c.eat_keyword("HEADER") {
        SectionText::Header
    } else if c.eat_keyword("TEXT") {
        SectionText::Text
    } else if !part.is_empty() && c.eat_keyword("MIME") {
        SectionText::Mime
    } else {
        return bad("bad section");
    };
    Ok((part, text))
}

fn header_list(c: &mut Cursor) -> PResult<Vec<String>> {
    c.sp()?;
    c.expect(b'(')?;
    let mut names = Vec::new();
    loop {
        names.push(c.astring_utf8()?);
        if c.eat(b')') {
            return Ok(names);
        }
        c.sp()?;
    }
}

fn partial(c: &mut Cursor) -> PResult<Option<(u32, u32)>> {
    if !c.eat(b'<') {
        return Ok(None);
    }
    let off = c.number32()?;
    c.expect(b'.')?;
    let n = c.nz_number()?;
    c.expect(b'>')?;
    Ok(Some((off, n)))
}

fn part_only(c: &mut Cursor) -> PResult<Vec<u32>> {
    c.expect(b'[')?;
    let mut part = Vec::new();
    while !c.eat(b']') {
        if !part.is_empty() {
            c.expect(b'.')?;
        }
        part.push(c.nz_number()?);
        if part.len() > 100 {
            return bad("section part too deep");
        }
    }
    Ok(part)
}

fn item(c: &mut Cursor) -> PResult<FetchItem> {
    for (kw, peek, binary) in
        [("BODY.PEEK[", true, false), ("BODY[", false, false), ("BINARY.PEEK[", true, true), ("BINARY[", false, true)]
    {
        if c.eat_keyword(kw) {
            let (part, text) = if binary {
                c.pos -= 1;
                (part_only(c)?, SectionText::Full)
            } else {
                let s = section_spec(c)?;
                c.expect(b']')?;
                s
            };
            let partial = partial(c)?;
            return Ok(FetchItem::Section(Section { part, text, partial, peek, binary }));
        }
    }
    if c.eat_keyword("BINARY.SIZE") {
        return Ok(FetchItem::BinarySize(part_only(c)?));
    }
    let a = c.atom()?.to_ascii_uppercase();
    Ok(match a.as_str() {
        "UID" => FetchItem::Uid,
        "FLAGS" => FetchItem::Flags,
        "INTERNALDATE" => FetchItem::InternalDate,
        "RFC822.SIZE" => FetchItem::Rfc822Size,
        "ENVELOPE" => FetchItem::Envelope,
        "BODY" => FetchItem::Body,
        "BODYSTRUCTURE" => FetchItem::BodyStructure,
        "MODSEQ" => FetchItem::Modseq,
        "RFC822" => FetchItem::Rfc822,
        "RFC822.HEADER" => FetchItem::Rfc822Header,
        "RFC822.TEXT" => FetchItem::Rfc822Text,
        _ => return bad(format!("unknown FETCH item {a}")),
    })
}

/// The items after the sequence set: a macro, one item, or a parenthesised list.
pub fn items(c: &mut Cursor) -> PResult<Vec<FetchItem>> {
    use FetchItem::*;
    for (kw, list) in [
        ("ALL", &[Flags, InternalDate, Rfc822Size, Envelope][..]),
        ("FAST", &[Flags, InternalDate, Rfc822Size][..]),
        ("FULL", &[Flags, InternalDate, Rfc822Size, Envelope, Body][..]),
    ] {
        let save = c.pos;
        if c.eat_keyword(kw) && matches!(c.peek(), None | Some(b' ' | b'\r' | b'\n')) {
            return Ok(list.to_vec());
        }
        c.pos = save;
    }
    if !c.eat(b'(') {
        return Ok(vec![item(c)?]);
    }
    let mut out = Vec::new();
    loop {
        out.push(item(c)?);
        if out.len() > 100 {
            return bad("too many FETCH items");
        }
        if c.eat(b')') {
            return Ok(out);
        }
        c.sp()?;
    }
}

/// FETCH modifiers (RFC 7162): `(CHANGEDSINCE n [VANISHED])`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Modifiers {
    pub changed_since: Option<u64>,
    pub vanished: bool,
}

pub fn modifiers(c: &mut Cursor) -> PResult<Modifiers> {
    let mut m = Modifiers::default();
    c.expect(b'(')?;
    loop {
        let a = c.atom()?.to_ascii_uppercase();
        match a.as_str() {
            "CHANGEDSINCE" => {
                c.sp()?;
                m.changed_since = Some(c.number()?);
            }
            "VANISHED" => m.vanished = true,
            _ => return bad(format!("unknown FETCH modifier {a}")),
        }
        if c.eat(b')') {
            return Ok(m);
        }
        c.sp()?;
    }
}

//! The MIME entity tree (RFC 2045, RFC 2046): an entity's header and body, its Content-*
//! fields and type, the parts of a multipart, and the decoded text of a text part.

use std::borrow::Cow;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::html::html_to_text;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;

use super::header::{Fields, is_wsp, line_end, split_header};
use super::params::{Params, param, parse_mime_value};

/// How deep multiparts and message/rfc822 parts are followed.
pub const MAX_DEPTH: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Multipart,
    Message,
    Leaf,
}

#[derive(Debug, Clone)]
pub struct ContentType {
    pub ty: Vec<u8>,
    pub sub: Vec<u8>,
    pub params: Params,
}

impl ContentType {
    /// The type of a part without (or with an invalid) Content-Type: text/plain, or
    /// message/rfc822 in a multipart/digest (RFC 2046 §5.1.5).
    pub fn default(in_digest: bool) -> Self {
        let (ty, sub): (&[u8], &[u8]) = if in_digest { (b"message", b"rfc822") } else { (b"text", b"plain") };
        ContentType { ty: ty.to_vec(), sub: sub.to_vec(), params: Vec::new() }
    }

    pub fn parse(v: Option<&[u8]>, in_digest: bool) -> Self {
        let Some(v) = v else { return Self::default(in_digest) };
        let (main, params) = parse_mime_value(v);
        match main.iter().position(|&b| b == b'/') {
            Some(slash) if slash > 0 && slash + 1 < main.len() => {
                ContentType { ty: main[..slash].to_vec(), sub: main[slash + 1..].to_vec(), params }
            }
            _ => Self::default(in_digest),
        }
    }

    pub fn kind(&self) -> Kind {
        if self.ty.eq_ignore_ascii_case(b"multipart") {
            Kind::Multipart
        } else if self.ty.eq_ignore_ascii_case(b"message") && self.sub.eq_ignore_ascii_case(b"rfc822") {
            Kind::Message
        } else {
            Kind::Leaf
        }
    }

    pub fn is_text(&self) -> bool {
        self.ty.eq_ignore_ascii_case(b"text")
    }
}

/// The Content-* fields of an entity's header (the first of each).
#[derive(Debug, Default, Clone, Copy)]
pub struct MimeFields<'a> {
    pub ctype: Option<&'a [u8]>,
    pub encoding: Option<&'a [u8]>,
    pub id: Option<&'a [u8]>,
    pub description: Option<&'a [u8]>,
    pub disposition: Option<&'a [u8]>,
    pub language: Option<&'a [u8]>,
    pub location: Option<&'a [u8]>,
}

impl<'a> MimeFields<'a> {
    pub fn parse(header: &'a [u8]) -> Self {
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
    pub fn encoding(&self) -> Option<Vec<u8>> {
        let (main, _) = parse_mime_value(self.encoding?);
        (!main.is_empty()).then_some(main)
    }
}

/// A message or a body part: its (MIME) header, its body, and its content type.
pub struct Entity<'a> {
    pub header: &'a [u8],
    pub body: &'a [u8],
    pub fields: MimeFields<'a>,
    pub ctype: ContentType,
}

impl<'a> Entity<'a> {
    pub fn new(raw: &'a [u8], in_digest: bool) -> Self {
        let (header, body) = split_header(raw);
        let fields = MimeFields::parse(header);
        let ctype = ContentType::parse(fields.ctype, in_digest);
        Entity { header, body, fields, ctype }
    }

    pub fn kind(&self) -> Kind {
        self.ctype.kind()
    }

    /// The raw parts of a multipart (empty when there is no boundary or no delimiter).
    pub fn children(&self) -> Vec<&'a [u8]> {
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
pub fn split_multipart<'a>(body: &'a [u8], boundary: &[u8]) -> Vec<&'a [u8]> {
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
pub fn count_lines(body: &[u8]) -> u64 {
    let lf = body.iter().filter(|&&b| b == b'\n').count() as u64;
    lf + u64::from(!body.is_empty() && !body.ends_with(b"\n"))
}

/// A part's body with its Content-Transfer-Encoding undone (RFC 2045 §6): base64 and
/// quoted-printable decoded (data that does not decode is given as it is), identity encodings
/// as they are; None for an encoding not known here.
pub fn decode_transfer<'a>(ent: &Entity<'a>) -> Option<Cow<'a, [u8]>> {
    let encoding = ent.fields.encoding().map(|mut e| {
        e.make_ascii_lowercase();
        e
    });
    match encoding.as_deref() {
        None | Some(b"7bit" | b"8bit" | b"binary") => Some(Cow::Borrowed(ent.body)),
        Some(b"base64") => Some(base64_decode(ent.body).map_or(Cow::Borrowed(ent.body), Cow::Owned)),
        Some(b"quoted-printable") => {
            Some(quoted_printable_decode(ent.body).map_or(Cow::Borrowed(ent.body), Cow::Owned))
        }
        Some(_) => None,
    }
}

/// The decoded text of a text part (transfer encoding, then charset).
pub fn decode_text(ent: &Entity<'_>) -> String {
    let bytes = decode_transfer(ent).unwrap_or(Cow::Borrowed(ent.body));
    let text = match param(&ent.ctype.params, b"charset").and_then(charset_decoder) {
        Some(decode) => decode(&bytes),
        None => String::from_utf8_lossy(&bytes).into_owned(),
    };
    if ent.ctype.sub.eq_ignore_ascii_case(b"html") { html_to_text(&text) } else { text }
}

//! `BODY[section]` extraction (RFC 3501 §6.4.5): the exact octets of a part, header or text.

use crate::proto::mime::entity::{Entity, Kind, MAX_DEPTH};
use crate::proto::mime::header::{Fields, split_header};

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
    let ent = locate(raw, part)?;
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

/// Why `BINARY[part]` has no answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Binary {
    /// No such part.
    NoPart,
    /// The part's Content-Transfer-Encoding is not one this server can undo (RFC 3516
    /// `[UNKNOWN-CTE]`).
    UnknownEncoding,
}

/// `BINARY[part]` (RFC 3516 §4.2): the part's content with its transfer encoding undone; the
/// whole message, as it is, for the top level.
pub fn binary(raw: &[u8], part: &[u32]) -> Result<Vec<u8>, Binary> {
    if part.is_empty() {
        return Ok(raw.to_vec());
    }
    let ent = locate(raw, part).ok_or(Binary::NoPart)?;
    crate::proto::mime::entity::decode_transfer(&ent).map(|b| b.into_owned()).ok_or(Binary::UnknownEncoding)
}

/// The entity a non-empty part path names (RFC 3501 §6.4.5).
fn locate<'a>(raw: &'a [u8], part: &[u32]) -> Option<Entity<'a>> {
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
    Some(ent)
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

#[cfg(test)]
mod tests {
    use super::super::samples::*;
    use super::*;
    use crate::proto::mime::entity::split_multipart;

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
}

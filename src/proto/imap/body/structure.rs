//! BODY and BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2).

use super::envelope::envelope;
use super::nstring_unfolded;
use crate::proto::imap::encode;
use crate::proto::mime::entity::{ContentType, Entity, Kind, MAX_DEPTH, MimeFields, count_lines};
use crate::proto::mime::params::{Params, language_list, param, parse_mime_value};

/// What Dovecot writes for a multipart without parts (the grammar needs at least one).
const EMPTY_BODY: &[u8] = b"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)";
const EMPTY_BODYSTRUCTURE: &[u8] =
    b"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";

/// BODYSTRUCTURE (extended = true) or BODY (extended = false) of a message (RFC 3501 §7.4.2),
/// appended to `out`: type, subtype, params, id, description, encoding, size (octets of the
/// encoded body), lines for text/*, envelope+body+lines for message/rfc822, multipart nesting,
/// and for the extended form: md5 (NIL), disposition, language, location.
pub fn body_structure(raw: &[u8], extended: bool, out: &mut Vec<u8>) {
    write_structure(out, &Entity::new(raw, false), extended, 0);
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
    let langs = fields.language.map(language_list).unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::super::samples::*;
    use super::*;

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

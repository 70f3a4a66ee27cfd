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
//! Nothing here panics on malformed input; nesting is capped at
//! [`MAX_DEPTH`](crate::proto::mime::entity::MAX_DEPTH) levels (deeper
//! parts are described as plain text and are not addressable by `BODY[section]`).

mod envelope;
mod search_text;
pub use search_text::contains_ascii_ci;
mod section;
mod structure;

pub use envelope::{Addresses, addresses as envelope_addresses, envelope};
pub use search_text::{each_piece, header_contains, index_pieces, text_contains};
pub use section::{Binary, SectionText, binary, section};
pub use structure::body_structure;

use crate::proto::imap::encode;
use crate::proto::mime::header::unfold;

/// A header value as ENVELOPE and BODYSTRUCTURE send it: unfolded, not decoded; NIL when absent.
fn nstring_unfolded(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        Some(v) => encode::string(out, &unfold(v)),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// Messages and helpers the tests of every file here share.
#[cfg(test)]
mod samples {
    pub use super::*;

    pub fn env(raw: &str) -> String {
        let mut out = Vec::new();
        envelope(raw.as_bytes(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    pub fn bs(raw: &str, extended: bool) -> String {
        let mut out = Vec::new();
        body_structure(raw.as_bytes(), extended, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    pub fn sec(raw: &str, part: &[u32], text: SectionText) -> Option<String> {
        section(raw.as_bytes(), part, &text).map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    pub fn fields(names: &[&str], not: bool) -> SectionText {
        SectionText::HeaderFields { names: names.iter().map(|s| s.to_string()).collect(), not }
    }

    pub const SIMPLE: &str = "From: Alice <alice@example.com>\r\n\
        To: bob@example.org\r\n\
        Subject: Hello\r\n\
        Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\
        Message-ID: <1@example.com>\r\n\
        \r\n\
        Hello world\r\n";

    pub const ALTERNATIVE: &str = "From: a@example.com\r\n\
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

    pub const MIXED: &str = "From: a@example.com\r\n\
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
}

#[cfg(test)]
mod tests {
    use super::samples::*;

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
}

//! The SEARCH matchers that read the message (RFC 3501 §6.4.4 HEADER, BODY, TEXT): on
//! decoded text (RFC 2047 words, transfer encodings, charsets), case-insensitively.

use crate::proto::mime::address::{AddrItem, parse_addresses};
use crate::proto::mime::entity::{Entity, Kind, MAX_DEPTH, decode_text};
use crate::proto::mime::header::{Fields, decode_header_value, split_header};

/// Helper used by SEARCH: does the message's header named `name` (case-insensitive) contain
/// `needle` (case-insensitive, after RFC 2047 decoding)? An empty needle matches when the header exists.
/// Address fields also match on their parsed addresses, `Name <user@host>`, so that an
/// address written with comments or odd spacing (`<user (c)@ (c) host>`) is found as it reads.
pub fn header_contains(raw: &[u8], name: &str, needle: &str) -> bool {
    let (header, _) = split_header(raw);
    let needle = Needle::new(needle);
    let is_address = ADDRESS_FIELDS.iter().any(|a| a.eq_ignore_ascii_case(name));
    Fields::new(header).filter(|f| f.name.eq_ignore_ascii_case(name.as_bytes())).any(|f| {
        needle.is_empty()
            || needle.found_in(&decode_header_value(f.value))
            || (is_address && addresses(f.value).iter().any(|a| needle.found_in(a)))
    })
}

/// The header fields that hold addresses (RFC 5322 §3.6.2, §3.6.3).
const ADDRESS_FIELDS: [&str; 6] = ["from", "sender", "reply-to", "to", "cc", "bcc"];

/// Each address of a field as `Name <mailbox@host>` (or `mailbox@host` without a name).
fn addresses(value: &[u8]) -> Vec<String> {
    parse_addresses(value)
        .into_iter()
        .filter_map(|item| match item {
            AddrItem::Mailbox { name, mailbox, host, .. } => {
                let spec = format!("{}@{}", String::from_utf8_lossy(&mailbox), String::from_utf8_lossy(&host));
                Some(match name {
                    Some(n) => format!("{} <{spec}>", decode_header_value(&n)),
                    None => spec,
                })
            }
            _ => None,
        })
        .collect()
}

/// Helper used by SEARCH BODY/TEXT: does any piece of the message's searchable text
/// ([`each_piece`]; without the message's own header for BODY) contain `needle`,
/// case-insensitively?
pub fn text_contains(raw: &[u8], needle: &str, with_header: bool) -> bool {
    let needle = Needle::new(needle);
    needle.is_empty() || each_piece(raw, with_header, &mut |piece| needle.found_in(piece))
}

/// The searchable text of a message, piece by piece: what SEARCH TEXT and BODY look in and
/// what the full-text index holds (one definition, so the index finds every message the scan
/// would). The pieces: the header as written and each field decoded (`Name: value`, RFC 2047
/// undone), when `with_header`; then every MIME part's header as written (attachment names,
/// content types), the header of every embedded message as written and decoded, and every
/// text part both decoded (transfer encoding, charset; HTML as its text) and as written unless
/// base64. Not searched: the encoded bytes of non-text parts and of base64 text, and the
/// preamble and epilogue of multiparts. `f` is given each piece and returns true to stop;
/// the result is whether it stopped.
pub fn each_piece(raw: &[u8], with_header: bool, f: &mut dyn FnMut(&str) -> bool) -> bool {
    let ent = Entity::new(raw, false);
    (with_header && header_pieces(ent.header, f)) || entity_pieces(&ent, f, 0)
}

/// What the full-text index holds of a message: every piece of [`each_piece`] with the
/// header, and each address of the address fields as HEADER matches it (`Name <box@host>`).
pub fn index_pieces(raw: &[u8], f: &mut dyn FnMut(&str) -> bool) -> bool {
    each_piece(raw, true, f)
        || Fields::new(split_header(raw).0)
            .filter(|field| ADDRESS_FIELDS.iter().any(|a| a.as_bytes().eq_ignore_ascii_case(field.name)))
            .any(|field| addresses(field.value).iter().any(|a| f(a)))
}

fn header_pieces(header: &[u8], f: &mut dyn FnMut(&str) -> bool) -> bool {
    f(&String::from_utf8_lossy(header))
        || Fields::new(header).any(|field| {
            let mut line = String::from_utf8_lossy(field.name).into_owned();
            line.push_str(": ");
            line.push_str(&decode_header_value(field.value));
            f(&line)
        })
}

fn entity_pieces(ent: &Entity<'_>, f: &mut dyn FnMut(&str) -> bool, depth: usize) -> bool {
    if depth >= MAX_DEPTH {
        return false;
    }
    match ent.kind() {
        Kind::Multipart => {
            let digest = ent.ctype.sub.eq_ignore_ascii_case(b"digest");
            ent.children().into_iter().any(|child| {
                let part = Entity::new(child, digest);
                f(&String::from_utf8_lossy(part.header)) || entity_pieces(&part, f, depth + 1)
            })
        }
        Kind::Message => {
            // The embedded message's header is part of the body of the enclosing one.
            let inner = Entity::new(ent.body, false);
            header_pieces(inner.header, f) || entity_pieces(&inner, f, depth + 1)
        }
        Kind::Leaf if ent.ctype.is_text() => {
            let base64 = ent.fields.encoding().is_some_and(|e| e.eq_ignore_ascii_case(b"base64"));
            (!base64 && f(&String::from_utf8_lossy(ent.body))) || f(&decode_text(ent))
        }
        Kind::Leaf => false,
    }
}

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
            return contains_ascii_ci(hay.as_bytes(), self.lower.as_bytes());
        }
        hay.to_lowercase().contains(&self.lower)
    }
}

/// Whether `hay` holds `lower` (lowercase ASCII) in any ASCII case. Linear whatever the
/// input (a lowercase copy, then memchr's Two-Way search, which never backtracks): comparing
/// at each place, as this did, is quadratic on a hostile message and needle.
pub fn contains_ascii_ci(hay: &[u8], lower: &[u8]) -> bool {
    if lower.is_empty() {
        return true;
    }
    hay.len() >= lower.len() && memchr::memmem::find(&hay.to_ascii_lowercase(), lower).is_some()
}

#[cfg(test)]
mod tests {
    use super::super::samples::*;
    use super::*;

    #[test]
    fn ascii_search_ignores_case_and_stays_linear_on_hostile_input() {
        let cases: &[(&[u8], &str, bool)] = &[
            (b"a Needle here", "needle", true),
            (b"NEEDLE", "needle", true),
            (b"needl", "needle", false),
            (b"", "needle", false),
            (b"anything", "", true),
            (b"nee dle", "needle", false),
        ];
        for &(hay, needle, want) in cases {
            assert_eq!(contains_ascii_ci(hay, needle.as_bytes()), want, "{:?} in {:?}", needle, hay);
        }
        // A long run of the needle's prefix: quadratic comparing would take minutes.
        let hay = vec![b'a'; 4 << 20];
        let needle = format!("{}b", "a".repeat(4096));
        let started = std::time::Instant::now();
        assert!(!contains_ascii_ci(&hay, needle.as_bytes()));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn searching() {
        assert!(header_contains(SIMPLE.as_bytes(), "subject", "ELL"));
        assert!(header_contains(SIMPLE.as_bytes(), "FROM", "alice@EXAMPLE"));
        // Comments inside an address do not hide it (RFC 5322 §3.4.1 allows CFWS there).
        let commented =
            b"From: <user-from (comment)@ (comment) domain.org>\r\nTo: Bob (the builder) <bob@x.example>\r\n\r\n";
        for (field, needle) in [
            ("FROM", "user-from@domain.org"),
            ("from", "USER-FROM@DOMAIN"),
            ("To", "bob@x.example"),
            ("To", "bob <bob@x"),
        ] {
            assert!(header_contains(commented, field, needle), "{field} {needle}");
        }
        assert!(!header_contains(commented, "FROM", "bob@x.example"));
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
}

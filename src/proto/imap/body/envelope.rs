//! ENVELOPE (RFC 3501 §7.4.2, RFC 9051 §7.5.2).

use super::nstring_unfolded;
use crate::proto::imap::encode;
use crate::proto::mime::address::{AddrItem, parse_addresses};
use crate::proto::mime::header::{Fields, split_header};

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

#[cfg(test)]
mod tests {
    use super::super::samples::*;

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
}

/// The addresses of an ENVELOPE as [`envelope`] wrote it: From, To and Cc as
/// (display name as written, `mailbox@host`), group markers left out. None when it is not
/// an ENVELOPE.
pub struct Addresses {
    pub from: Vec<(Option<String>, String)>,
    pub to: Vec<(Option<String>, String)>,
    pub cc: Vec<(Option<String>, String)>,
}

/// One item of an ENVELOPE: a string (quoted or literal), NIL, or a list.
#[derive(Debug)]
enum Item {
    Nil,
    Text(Vec<u8>),
    List(Vec<Item>),
}

/// Parse one item at `*at`; lists nest at most `depth` deep.
fn item(b: &[u8], at: &mut usize, depth: u8) -> Option<Item> {
    while b.get(*at) == Some(&b' ') {
        *at += 1;
    }
    match *b.get(*at)? {
        b'(' if depth > 0 => {
            *at += 1;
            let mut list = Vec::new();
            loop {
                while b.get(*at) == Some(&b' ') {
                    *at += 1;
                }
                if b.get(*at) == Some(&b')') {
                    *at += 1;
                    return Some(Item::List(list));
                }
                list.push(item(b, at, depth - 1)?);
            }
        }
        b'"' => {
            *at += 1;
            let mut s = Vec::new();
            loop {
                match *b.get(*at)? {
                    b'\\' => {
                        s.push(*b.get(*at + 1)?);
                        *at += 2;
                    }
                    b'"' => {
                        *at += 1;
                        return Some(Item::Text(s));
                    }
                    c => {
                        s.push(c);
                        *at += 1;
                    }
                }
            }
        }
        b'{' => {
            let close = *at + b[*at..].iter().position(|&c| c == b'}')?;
            let n: usize = std::str::from_utf8(&b[*at + 1..close]).ok()?.parse().ok()?;
            let start = close + 3; // "}\r\n"
            let s = b.get(start..start.checked_add(n)?)?.to_vec();
            *at = start + n;
            Some(Item::Text(s))
        }
        b'N' if b[*at..].starts_with(b"NIL") => {
            *at += 3;
            Some(Item::Nil)
        }
        _ => None,
    }
}

pub fn addresses(env: &[u8]) -> Option<Addresses> {
    let Item::List(items) = item(env, &mut 0, 4)? else { return None };
    if items.len() != 10 {
        return None;
    }
    let text = |i: &Item| match i {
        Item::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        _ => None,
    };
    let list = |i: &Item| -> Vec<(Option<String>, String)> {
        let Item::List(addrs) = i else { return Vec::new() };
        addrs
            .iter()
            .filter_map(|a| match a {
                Item::List(parts) if parts.len() == 4 => {
                    let (mailbox, host) = (text(&parts[2])?, text(&parts[3])?);
                    Some((text(&parts[0]), format!("{mailbox}@{host}")))
                }
                _ => None,
            })
            .collect()
    };
    Some(Addresses { from: list(&items[2]), to: list(&items[5]), cc: list(&items[6]) })
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn the_addresses_of_an_envelope_read_back_as_written_groups_left_out() {
        let raw =
            b"From: \"Ann \\\"A\\\" Example\" <ann@example.com>\r\nTo: bob@example.org, Team: carol@example.net;\r\n\
                    Cc: =?utf-8?q?J=C3=BCrgen?= <j@example.de>\r\nSubject: hi\r\n\r\nbody";
        let mut out = Vec::new();
        envelope(raw, &mut out);
        let a = addresses(&out).expect("an envelope");
        assert_eq!(a.from, vec![(Some("Ann \"A\" Example".to_string()), "ann@example.com".to_string())]);
        let to: Vec<&str> = a.to.iter().map(|(_, x)| x.as_str()).collect();
        assert_eq!(to, ["bob@example.org", "carol@example.net"]);
        assert_eq!(a.cc[0].1, "j@example.de");
        for bad in [&b""[..], b"NIL", b"(\"a\")", b"((((((((((", b"{99}\r\nab"] {
            assert!(addresses(bad).is_none(), "{bad:?}");
        }
    }
}

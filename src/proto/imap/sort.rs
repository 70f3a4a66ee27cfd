//! SORT (RFC 5256, with RFC 5957's DISPLAYFROM and DISPLAYTO): the criteria, the fields a
//! message is sorted on ([`Fields`], computed once from the header at delivery and APPEND and
//! kept in the index), the base subject, and the order itself. THREAD uses the same fields.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::lexer::{Cursor, PResult, bad};

/// A sort key (RFC 5256 §3, RFC 5957 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Arrival,
    Cc,
    Date,
    From,
    Size,
    Subject,
    To,
    DisplayFrom,
    DisplayTo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Criterion {
    pub key: SortKey,
    pub reverse: bool,
}

/// Most criteria in one SORT (every key once, each possibly reversed).
const MAX_CRITERIA: usize = 16;

/// `(sort-criterion *(SP sort-criterion))`.
pub fn criteria(c: &mut Cursor) -> PResult<Vec<Criterion>> {
    if !c.eat(b'(') {
        return bad("SORT criteria must be a parenthesised list");
    }
    let mut out = Vec::new();
    loop {
        let reverse = c.eat_keyword("REVERSE ");
        let word = c.atom()?.to_ascii_uppercase();
        let key = match word.as_str() {
            "ARRIVAL" => SortKey::Arrival,
            "CC" => SortKey::Cc,
            "DATE" => SortKey::Date,
            "FROM" => SortKey::From,
            "SIZE" => SortKey::Size,
            "SUBJECT" => SortKey::Subject,
            "TO" => SortKey::To,
            "DISPLAYFROM" => SortKey::DisplayFrom,
            "DISPLAYTO" => SortKey::DisplayTo,
            _ => return bad("unknown SORT criterion"),
        };
        out.push(Criterion { key, reverse });
        if out.len() > MAX_CRITERIA {
            return bad("too many SORT criteria");
        }
        if c.eat(b')') {
            return Ok(out);
        }
        c.sp()?;
    }
}

/// What SORT and THREAD need of a message's header, computed once and stored with its row.
/// Texts are bounded; comparisons that RFC 5256 makes with i;ascii-casemap are done on the
/// lowercased forms kept here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields {
    /// The Date: header in seconds since the epoch, UTC; None when missing or unparseable
    /// (DATE then sorts by arrival, RFC 5256 §3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<i64>,
    /// The base subject (RFC 5256 §2.1), lowercased.
    #[serde(default)]
    pub subject: String,
    /// The subject was a reply or forward (`Re:`, `Fwd:`, `(fwd)`, `[fwd: …]` removed), for
    /// THREAD's grouping by subject.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub subject_reply: bool,
    /// addr-mailbox of the first From, To and Cc address, lowercased.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub cc: String,
    /// RFC 5957: the display name of the first From and To address, else its address; lowercased.
    #[serde(default)]
    pub display_from: String,
    #[serde(default)]
    pub display_to: String,
    /// For THREAD: Message-ID, In-Reply-To and References, without angle brackets.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_reply_to: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// Longest text kept per field, and most message ids kept from References (the last ones).
const MAX_TEXT: usize = 256;
const MAX_REFERENCES: usize = 64;

fn bounded(s: &str) -> String {
    let mut end = s.len().min(MAX_TEXT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// A parser for the fields sorting uses; every other header field is kept raw, not parsed
/// (every delivery computes these fields, and parsing its Received: fields alone took 0.7% of
/// the server's CPU at 20 SMTP sessions).
fn parser() -> &'static mail_parser::MessageParser {
    use mail_parser::HeaderName as H;
    static PARSER: std::sync::LazyLock<mail_parser::MessageParser> = std::sync::LazyLock::new(|| {
        mail_parser::MessageParser::new()
            .header_date(H::Date)
            .header_text(H::Subject)
            .header_address(H::From)
            .header_address(H::To)
            .header_address(H::Cc)
            .header_id(H::MessageId)
            .header_id(H::InReplyTo)
            .header_id(H::References)
    });
    &PARSER
}

impl Fields {
    /// From a message (only the header is read).
    pub fn of(raw: &[u8]) -> Fields {
        let Some(msg) = parser().parse_headers(raw) else { return Fields::default() };
        let mailbox = |a: Option<&mail_parser::Addr<'_>>| {
            let address = a.and_then(|a| a.address.as_deref()).unwrap_or("");
            bounded(&address.rsplit_once('@').map_or(address, |(local, _)| local).to_lowercase())
        };
        let display = |a: Option<&mail_parser::Addr<'_>>| {
            let name = a.and_then(|a| a.name.as_deref()).map(str::trim).filter(|n| !n.is_empty());
            bounded(&name.or_else(|| a.and_then(|a| a.address.as_deref())).unwrap_or("").to_lowercase())
        };
        let (from, to, cc) =
            (msg.from().and_then(|a| a.first()), msg.to().and_then(|a| a.first()), msg.cc().and_then(|a| a.first()));
        let ids = |v: &mail_parser::HeaderValue<'_>| -> Vec<String> {
            v.as_text_list().map(|l| l.iter().map(|s| bounded(s)).collect()).unwrap_or_default()
        };
        let mut references = ids(msg.references());
        if references.len() > MAX_REFERENCES {
            references.drain(..references.len() - MAX_REFERENCES);
        }
        let (subject, subject_reply) = extract(msg.subject().unwrap_or(""));
        Fields {
            date: msg.date().map(|d| d.to_timestamp()),
            subject: bounded(&subject.to_lowercase()),
            subject_reply,
            from: mailbox(from),
            to: mailbox(to),
            cc: mailbox(cc),
            display_from: display(from),
            display_to: display(to),
            message_id: bounded(msg.message_id().unwrap_or("")),
            in_reply_to: ids(msg.in_reply_to()),
            references,
        }
    }
}

/// The base subject (RFC 5256 §2.1) of a decoded subject: whitespace collapsed, and the
/// `Re:`, `Fw:`, `Fwd:`, `[blob]` leaders, `(fwd)` trailers and `[fwd: …]` wrappers removed
/// until none is left.
pub fn base_subject(subject: &str) -> String {
    extract(subject).0
}

/// The base subject, and whether a reply or forward marker was removed on the way.
fn extract(subject: &str) -> (String, bool) {
    let mut reply = false;
    // (1) Runs of whitespace become one space.
    let mut s: String = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let before = s.clone();
        // (2) Trailers: "(fwd)" and whitespace, repeatedly.
        loop {
            let t = s.trim_end();
            let lower = t.to_ascii_lowercase();
            if lower.ends_with("(fwd)") {
                s = t[..t.len() - 5].to_string();
                reply = true;
            } else {
                s = t.to_string();
                break;
            }
        }
        // (3) Leaders: "re", "fw" or "fwd", an optional [blob], then ":"; and a [blob] when
        // something is left after it.
        loop {
            let t = s.trim_start();
            if let Some(rest) = strip_refwd(t) {
                s = rest.to_string();
                reply = true;
                continue;
            }
            if let Some(rest) = strip_blob(t)
                && !rest.trim().is_empty()
            {
                s = rest.to_string();
                continue;
            }
            s = t.to_string();
            break;
        }
        // (4) "[fwd:" subject "]".
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("[fwd:") && s.ends_with(']') {
            s = s[5..s.len() - 1].to_string();
            reply = true;
        }
        if s == before {
            return (s.trim().to_string(), reply);
        }
    }
}

/// `subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"`; the text after it.
fn strip_refwd(s: &str) -> Option<&str> {
    let lower = s.to_ascii_lowercase();
    let n = if lower.starts_with("fwd") {
        3
    } else if lower.starts_with("fw") || lower.starts_with("re") {
        2
    } else {
        return None;
    };
    let mut rest = s[n..].trim_start();
    if let Some(after) = strip_blob(rest) {
        rest = after;
    }
    rest.strip_prefix(':')
}

/// `subj-blob = "[" *BLOBCHAR "]" *WSP`; the text after it.
fn strip_blob(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('[')?;
    let end = inner.find(['[', ']'])?;
    inner[end..].strip_prefix(']').map(str::trim_start)
}

/// What one message is sorted by: its fields, and what the index knows.
pub struct Sortable<'a> {
    pub seq: u32,
    pub size: i64,
    pub arrival: i64,
    pub fields: &'a Fields,
}

/// The order of two messages under these criteria; ties go by sequence number (RFC 5256 §3).
pub fn compare(criteria: &[Criterion], a: &Sortable<'_>, b: &Sortable<'_>) -> Ordering {
    for c in criteria {
        let o = match c.key {
            SortKey::Arrival => a.arrival.cmp(&b.arrival),
            SortKey::Cc => a.fields.cc.cmp(&b.fields.cc),
            SortKey::Date => a.fields.date.unwrap_or(a.arrival).cmp(&b.fields.date.unwrap_or(b.arrival)),
            SortKey::From => a.fields.from.cmp(&b.fields.from),
            SortKey::Size => a.size.cmp(&b.size),
            SortKey::Subject => a.fields.subject.cmp(&b.fields.subject),
            SortKey::To => a.fields.to.cmp(&b.fields.to),
            SortKey::DisplayFrom => a.fields.display_from.cmp(&b.fields.display_from),
            SortKey::DisplayTo => a.fields.display_to.cmp(&b.fields.display_to),
        };
        let o = if c.reverse { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.seq.cmp(&b.seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_subjects_follow_rfc_5256() {
        let cases = [
            ("Hello", "Hello"),
            ("Re: Hello", "Hello"),
            ("RE: re: Fwd:   Hello   world", "Hello world"),
            ("Re [list]: Hello", "Hello"),
            ("[list] Re: Hello", "Hello"),
            ("[list]", "[list]"),
            ("Hello (fwd)", "Hello"),
            ("Hello (FWD) (fwd)  ", "Hello"),
            ("[Fwd: Re: Hello]", "Hello"),
            ("Fw: [Fwd: Hello (fwd)]", "Hello"),
            ("Reply: not a leader", "Reply: not a leader"),
            ("", ""),
            ("Re:", ""),
        ];
        for (subject, want) in cases {
            assert_eq!(base_subject(subject), want, "{subject:?}");
        }
    }

    #[test]
    fn fields_come_from_the_header() {
        let raw = b"From: \"Zed Q\" <Zed@Example.com>\r\nTo: amy@example.com\r\nCc: <Bob (x)@example.com>\r\n\
Subject: =?UTF-8?B?UmU6IEjDqWxsbw==?=\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\n\
Message-ID: <a@b>\r\nIn-Reply-To: <p@b>\r\nReferences: <r1@b> <p@b>\r\n\r\nbody\r\n";
        let f = Fields::of(raw);
        assert_eq!((f.subject.as_str(), f.subject_reply), ("héllo", true));
        assert_eq!((f.from.as_str(), f.to.as_str(), f.cc.as_str()), ("zed", "amy", "bob"));
        assert_eq!((f.display_from.as_str(), f.display_to.as_str()), ("zed q", "amy@example.com"));
        assert_eq!(f.date, Some(1_795_510_800), "10:00 +0100 is 09:00 UTC");
        assert_eq!(f.message_id, "a@b");
        assert_eq!(f.in_reply_to, vec!["p@b"]);
        assert_eq!(f.references, vec!["r1@b", "p@b"]);
        assert_eq!(Fields::of(b"no header at all"), Fields { ..Fields::of(b"\r\n\r\n") });
    }

    #[test]
    fn criteria_parse_and_refuse() {
        let parse = |s: &str| criteria(&mut Cursor::new(s.as_bytes()));
        assert_eq!(
            parse("(REVERSE DATE subject)").unwrap(),
            vec![Criterion { key: SortKey::Date, reverse: true }, Criterion { key: SortKey::Subject, reverse: false }]
        );
        for bad in ["DATE", "()", "(DATE", "(COLOUR)", "(REVERSE)", &format!("({})", ["SIZE"; 17].join(" "))] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ties_go_by_sequence_number_and_missing_dates_by_arrival() {
        let (dated, undated) = (Fields { date: Some(100), ..Default::default() }, Fields::default());
        let a = Sortable { seq: 1, size: 10, arrival: 50, fields: &dated };
        let b = Sortable { seq: 2, size: 10, arrival: 200, fields: &undated };
        let by = |key, reverse| [Criterion { key, reverse }];
        assert_eq!(compare(&by(SortKey::Date, false), &a, &b), Ordering::Less);
        assert_eq!(compare(&by(SortKey::Size, false), &a, &b), Ordering::Less, "tie: sequence order");
        assert_eq!(compare(&by(SortKey::Size, true), &a, &b), Ordering::Less, "REVERSE does not reverse ties");
        assert_eq!(compare(&by(SortKey::Arrival, true), &a, &b), Ordering::Greater);
    }
}

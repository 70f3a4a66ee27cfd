//! The response writers take names, header field names and message bytes that clients and
//! senders chose: they must never panic, every response must frame as exactly one response
//! (no string can end a line or hide a literal), and a written name must read back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailctl::proto::imap::body::{SectionText, envelope};
use mailctl::proto::imap::fetch::Section;
use mailctl::proto::imap::framer::{Frame, Framer, Limits};
use mailctl::proto::imap::lexer::Cursor;
use mailctl::proto::imap::response::{Code, Cond, FetchAttr, ListEntry, Untagged, tagged};

const LIMITS: Limits = Limits { line: 1 << 20, append_literal: 1 << 24, literal: 1 << 24 };

fn one_response(out: &[u8]) {
    assert_eq!(Framer::default().next(out, &LIMITS), Frame::Complete(out.len()), "{:?}", String::from_utf8_lossy(out));
}

/// `prefix`, then an astring that reads back as `name`, then `suffix`.
fn reads_back(out: &[u8], prefix: &str, name: &[u8], suffix: &[u8]) {
    let mut c = Cursor::new(out);
    assert!(c.eat_keyword(prefix));
    assert_eq!(c.astring().ok().as_deref(), Some(name));
    assert_eq!(c.rest(), suffix);
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |&b| b == 0xff);
    let name = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let message = parts.next().unwrap_or_default();
    let nums: Vec<u32> = data.chunks(4).map(|c| c.iter().fold(0u32, |n, &b| n << 8 | u32::from(b))).take(64).collect();
    let num = nums.first().copied().unwrap_or(0);

    let mut out = Vec::new();
    Untagged::List(ListEntry { attrs: &["\\HasNoChildren"], delimiter: '.', name: &name, child_subscribed: num & 1 == 1 })
        .write(&mut out);
    one_response(&out);
    reads_back(&out, "* LIST (\\HasNoChildren) \".\" ", name.as_bytes(), b"\r\n");

    out.clear();
    Untagged::Status { mailbox: &name, items: &[("MESSAGES", i64::from(num))] }.write(&mut out);
    one_response(&out);
    reads_back(&out, "* STATUS ", name.as_bytes(), format!(" (MESSAGES {num})\r\n").as_bytes());

    out.clear();
    Untagged::QuotaRoot { mailbox: &name, roots: &[""] }.write(&mut out);
    one_response(&out);
    reads_back(&out, "* QUOTAROOT ", name.as_bytes(), b" \"\"\r\n");

    out.clear();
    Untagged::Id(&[("name", &name)]).write(&mut out);
    one_response(&out);
    reads_back(&out, "* ID (\"name\" ", name.as_bytes(), b")\r\n");

    for r in [
        Untagged::Search { nums: &nums, modseq: Some(u64::from(num)) },
        Untagged::Sort(&nums),
        Untagged::ESearch {
            tag: &name,
            uid: num & 1 == 1,
            min: nums.first().copied(),
            max: nums.last().copied(),
            count: Some(nums.len() as u32),
            all: Some(&nums),
            modseq: None,
        },
        Untagged::Vanished { earlier: num & 1 == 1, uids: &nums },
        Untagged::Ok { code: Some(Code::Modified(&nums)), text: "x" },
        Untagged::Ok { code: Some(Code::CopyUid { validity: 1, source: &nums, dest: &nums }), text: "x" },
        Untagged::Exists(num),
    ] {
        out.clear();
        r.write(&mut out);
        one_response(&out);
    }

    // A FETCH carrying the message and its parts in every form.
    let section = Section {
        part: nums.iter().take(3).map(|n| n % 5).collect(),
        text: SectionText::HeaderFields { names: vec![name.clone()], not: num & 2 == 2 },
        partial: None,
        peek: false,
        binary: false,
    };
    let mut env = Vec::new();
    envelope(message, &mut env);
    let attrs = [
        FetchAttr::Uid(num),
        FetchAttr::Flags { flags: "\\Seen $Junk", recent: true },
        FetchAttr::InternalDate(i64::from(num) * 1_000_003 - (1 << 40)),
        FetchAttr::Envelope(&env),
        FetchAttr::BodyStructure { message, extended: true },
        FetchAttr::BodyStructure { message, extended: false },
        FetchAttr::Rfc822(message),
        FetchAttr::BodySection { section: &section, origin: Some(num), data: message },
    ];
    out.clear();
    Untagged::Fetch { seq: num, attrs: &attrs }.write(&mut out);
    one_response(&out);

    // A tag as the framer reports it: anything up to a space or line end.
    let tag: String = name.chars().take_while(|&c| c != ' ' && c != '\r' && c != '\n').collect();
    if !tag.is_empty() {
        out.clear();
        tagged(&mut out, &tag, Cond::No, Some(&Code::TooBig), "literal too big");
        one_response(&out);
    }
});

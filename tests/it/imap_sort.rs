//! The IMAP extensions that answer in new shapes: SORT and THREAD (RFC 5256, RFC 5957), from
//! the header fields stored at delivery and APPEND, ESEARCH (RFC 4731), and BINARY (RFC 3516);
//! over raw sockets.

use crate::imap::{login, start};
use crate::server::{Client, Server};
use crate::util::Env;

/// The one line of a response that starts with `prefix` (empty when none).
fn line<'a>(response: &'a str, prefix: &str) -> &'a str {
    response.lines().find(|l| l.starts_with(prefix)).unwrap_or_default().trim_end()
}

/// Send one message with this header over SMTP.
fn deliver_header(srv: &Server, header: &str) {
    let mut s = Client::connect(srv.smtp);
    s.expect("EHLO x.example", 250);
    s.expect("MAIL FROM:<a@remote.example>", 250);
    s.expect("RCPT TO:<bob@example.com>", 250);
    s.expect("DATA", 354);
    s.send(format!("{header}\r\n\r\nbody\r\n.\r\n").as_bytes());
    assert_eq!(s.read().0, 250);
}

/// RFC 5256 SORT and RFC 5957 DISPLAYFROM, from the fields stored at delivery and APPEND.
fn imap_sort_orders_by_the_stored_header_fields(env: Env) {
    let srv = start(&env);
    // seq: from, subject, date
    for h in [
        "From: Carol <carol@x.example>\r\nSubject: Re: beta\r\nDate: Tue, 24 Nov 2026 12:00:00 +0000",
        "From: \"Alice Z\" <zed@x.example>\r\nSubject: alpha (fwd)\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000",
        "From: bob@x.example\r\nSubject: [list] Gamma\r\nDate: Tue, 24 Nov 2026 11:00:00 +0000",
    ] {
        deliver_header(&srv, h);
    }
    let mut c = login(&srv);
    c.send(b"ap APPEND INBOX {54}\r\n");
    assert!(c.line().starts_with('+'));
    c.send(b"From: Aaron <aaron@x.example>\r\nSubject: Fwd: delta\r\n\r\n\r\n");
    assert!(c.until("ap").contains("ap OK"));
    assert!(c.cmd("s", "SELECT INBOX").contains("s OK"));
    let caps = c.cmd("c", "CAPABILITY");
    assert!(caps.contains(" SORT ") && caps.contains("SORT=DISPLAY"), "{caps}");
    let cases = [
        ("SORT (SUBJECT) UTF-8 ALL", "* SORT 2 1 4 3"),
        ("SORT (REVERSE SUBJECT) US-ASCII ALL", "* SORT 3 4 1 2"),
        // Message 4 has no Date: it sorts by its arrival, after the others.
        ("SORT (DATE) UTF-8 ALL", "* SORT 2 3 1 4"),
        ("SORT (FROM) UTF-8 ALL", "* SORT 4 3 1 2"),
        ("SORT (DISPLAYFROM) UTF-8 ALL", "* SORT 4 2 3 1"),
        ("SORT (ARRIVAL) UTF-8 SUBJECT l", "* SORT 2 3 4"),
        ("UID SORT (REVERSE DATE) UTF-8 NOT FROM bob", "* SORT 4 1 2"),
    ];
    for (i, (cmd, want)) in cases.iter().enumerate() {
        let r = c.cmd(&format!("t{i}"), cmd);
        assert_eq!(line(&r, "* SORT"), *want, "{cmd}: {r}");
        assert!(r.contains(&format!("t{i} OK")), "{r}");
    }
    for (i, bad) in ["SORT DATE UTF-8 ALL", "SORT (DATE) KOI8-R ALL", "SORT (COLOUR) UTF-8 ALL"].iter().enumerate() {
        let r = c.cmd(&format!("b{i}"), bad);
        assert!(r.contains(&format!("b{i} BAD")) || r.contains(&format!("b{i} NO")), "{bad}: {r}");
    }
}

/// RFC 5256 THREAD: REFERENCES follows Message-ID, In-Reply-To and References (and groups
/// by subject), ORDEREDSUBJECT groups by base subject under the first message.
fn imap_thread_builds_conversations_from_the_stored_ids(env: Env) {
    let srv = start(&env);
    for h in [
        "Message-ID: <a@x>\r\nSubject: plans\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000",
        "Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nSubject: Re: plans\r\nDate: Tue, 24 Nov 2026 11:00:00 +0000",
        "Message-ID: <c@x>\r\nSubject: other\r\nDate: Tue, 24 Nov 2026 10:30:00 +0000",
        "Message-ID: <d@x>\r\nReferences: <a@x> <b@x>\r\nSubject: Re: plans\r\nDate: Tue, 24 Nov 2026 12:00:00 +0000",
        "Message-ID: <e@x>\r\nIn-Reply-To: <a@x>\r\nSubject: Re: plans\r\nDate: Tue, 24 Nov 2026 11:30:00 +0000",
    ] {
        deliver_header(&srv, h);
    }
    let mut c = login(&srv);
    assert!(c.cmd("s", "SELECT INBOX").contains("s OK"));
    let caps = c.cmd("c", "CAPABILITY");
    assert!(caps.contains("THREAD=REFERENCES") && caps.contains("THREAD=ORDEREDSUBJECT"), "{caps}");
    let cases = [
        ("THREAD REFERENCES UTF-8 ALL", "* THREAD (1 (2 4)(5))(3)"),
        ("UID THREAD REFERENCES UTF-8 NOT SUBJECT other", "* THREAD (1 (2 4)(5))"),
        ("THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD (1 (2)(5)(4))(3)"),
        ("THREAD REFERENCES UTF-8 SUBJECT nothing-matches", "* THREAD"),
    ];
    for (i, (cmd, want)) in cases.iter().enumerate() {
        let r = c.cmd(&format!("t{i}"), cmd);
        assert_eq!(line(&r, "* THREAD"), *want, "{cmd}: {r}");
        assert!(r.contains(&format!("t{i} OK")), "{r}");
    }
    let r = c.cmd("b", "THREAD COLOURS UTF-8 ALL");
    assert!(r.contains("b BAD"), "{r}");
}

/// RFC 4731: SEARCH RETURN answers with one ESEARCH line holding exactly what was asked.
fn imap_esearch_returns_what_was_asked(env: Env) {
    let srv = start(&env);
    crate::imap::deliver(&srv, 5, "es");
    let mut c = login(&srv);
    assert!(c.cmd("s", "SELECT INBOX").contains("s OK"));
    assert!(c.cmd("f", "STORE 2,4 +FLAGS.SILENT (\\Flagged)").contains("f OK"));
    let caps = c.cmd("c", "CAPABILITY");
    assert!(caps.contains(" ESEARCH "), "{caps}");
    let cases = [
        ("SEARCH RETURN (MIN MAX COUNT) FLAGGED", "* ESEARCH (TAG \"t0\") MIN 2 MAX 4 COUNT 2"),
        ("SEARCH RETURN () ALL", "* ESEARCH (TAG \"t1\") ALL 1:5"),
        ("UID SEARCH RETURN (ALL) NOT FLAGGED", "* ESEARCH (TAG \"t2\") UID ALL 1,3,5"),
        ("SEARCH RETURN (COUNT MIN) SUBJECT nothing", "* ESEARCH (TAG \"t3\") COUNT 0"),
    ];
    for (i, (cmd, want)) in cases.iter().enumerate() {
        let r = c.cmd(&format!("t{i}"), cmd);
        assert_eq!(line(&r, "* ESEARCH"), *want, "{cmd}: {r}");
        assert!(!r.contains("* SEARCH"), "{r}");
    }
    let r = c.cmd("b", "SEARCH RETURN (SAVE) ALL");
    assert!(r.contains("b BAD"), "{r}");
}

/// RFC 3516: BINARY[part] is the part with its transfer encoding undone, byte for byte, as a
/// literal8 when it holds NUL; BINARY.SIZE is its length; an unknown encoding is refused.
fn imap_binary_fetch_decodes_parts_byte_for_byte(env: Env) {
    use base64::Engine;
    let srv = start(&env);
    let payload: Vec<u8> = (0u8..128).chain(0u8..128).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&payload);
    let wrapped: Vec<&str> = b64.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
    let msg = format!(
        "Subject: bin\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
         caf=C3=A9\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {}\r\n--b\r\nContent-Type: application/x-odd\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n\
         begin 644 x\r\n--b--\r\n",
        wrapped.join("\r\n")
    );
    let mut c = login(&srv);
    c.send(format!("a APPEND INBOX {{{}+}}\r\n{msg}\r\n", msg.len()).as_bytes());
    assert!(c.until("a").contains("a OK"));
    assert!(c.cmd("s", "SELECT INBOX").contains("s OK"));
    let caps = c.cmd("c", "CAPABILITY");
    assert!(caps.contains(" BINARY "), "{caps}");
    let r = c.cmd("f", "FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2])");
    let want = format!("BINARY.SIZE[2] {} BINARY[2] ~{{{}}}\r\n", payload.len(), payload.len());
    let at = r.find(&want).unwrap_or_else(|| panic!("{r:?}"));
    let got = &r.as_bytes()[at + want.len()..at + want.len() + payload.len()];
    assert_eq!(got, &payload[..], "decoded byte for byte");
    let r = c.cmd("g", "FETCH 1 (BINARY.PEEK[1] BINARY.PEEK[2]<250.10>)");
    assert!(r.contains("BINARY[1] {5}\r\ncafé"), "{r}");
    assert!(r.contains("BINARY[2]<250> {6}\r\n"), "{r}");
    let r = c.cmd("h", "FETCH 1 BINARY.PEEK[3]");
    assert!(r.contains("h NO [UNKNOWN-CTE]"), "{r}");
    let flags = c.cmd("i", "FETCH 1 FLAGS");
    assert!(!flags.contains("\\Seen"), "PEEK sets nothing: {flags}");
}

crate::store_tests!(
    imap_binary_fetch_decodes_parts_byte_for_byte,
    imap_sort_orders_by_the_stored_header_fields,
    imap_thread_builds_conversations_from_the_stored_ids,
    imap_esearch_returns_what_was_asked,
);

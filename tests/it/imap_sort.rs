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

/// The Roundcube-style folder below: message i (0-based, as written) of 10,000 is the
/// (i % 4)th of conversation i / 4, each a reply to the one before; its Date is spread by a
/// permutation so that date order is neither write order nor conversation order.
const BIG: usize = 10_000;

fn big_date(i: usize) -> i64 {
    1_790_000_000 + ((i * 7919) % BIG) as i64 * 60
}

fn big_from(i: usize) -> String {
    format!("user{}@x.example", (i * 31) % 97)
}

fn big_message(i: usize) -> String {
    let (t, p) = (i / 4, i % 4);
    let date = chrono::DateTime::from_timestamp(big_date(i), 0).unwrap().to_rfc2822();
    let mut h = format!("From: {}\r\nDate: {date}\r\nMessage-ID: <m{i}@x>\r\n", big_from(i));
    if p == 0 {
        h.push_str(&format!("Subject: topic {t}\r\n"));
    } else {
        let refs: Vec<String> = (4 * t..i).map(|r| format!("<m{r}@x>")).collect();
        h.push_str(&format!(
            "Subject: Re: topic {t}\r\nIn-Reply-To: <m{}@x>\r\nReferences: {}\r\n",
            i - 1,
            refs.join(" ")
        ));
    }
    format!("{h}\r\n{}\r\n", "x".repeat(i % 50))
}

/// The numbers of a `* SORT` or `* THREAD` line, in order.
fn numbers(line: &str) -> Vec<u32> {
    line.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect()
}

/// Roundcube asks the server to sort and thread whole folders (`UID SORT (DATE) UTF-8 ALL
/// UNDELETED`, `THREAD REFERENCES UTF-8 ALL`, ...). On 10,000 messages every answer is the
/// one RFC 5256 gives, computed here from what was written; how fast is bench/imap.sh's part.
fn imap_sort_and_thread_answer_roundcube_on_a_10000_message_folder(env: Env) {
    env.create("bob@example.com", "vip");
    let new = env.maildir("bob@example.com").join("new");
    std::fs::create_dir_all(&new).unwrap();
    let written: Vec<String> = (0..BIG).map(big_message).collect();
    for (i, m) in written.iter().enumerate() {
        std::fs::write(new.join(format!("1790000000.M{i}P1.big")), m).unwrap();
    }
    env.ok(&["mailbox", "reindex", "bob@example.com"]);
    env.serve_config(&[("dev_mode", "true")]);
    let srv = env.start_server();
    let mut c = login(&srv);
    assert!(c.cmd("s", "SELECT INBOX").contains("s OK"));

    // Which sequence number and UID each written message got.
    let r = c.cmd("m", "FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
    let (mut seq, mut uid) = (vec![0u32; BIG], vec![0u32; BIG]);
    let mut at = None;
    for l in r.lines() {
        if let Some(rest) = l.strip_prefix("* ").filter(|r| r.contains(" FETCH ")) {
            let s: u32 = rest.split(' ').next().unwrap().parse().unwrap();
            let u: u32 = rest.split("UID ").nth(1).and_then(|x| x.split([' ', ')']).next()).unwrap().parse().unwrap();
            at = Some((s, u));
        } else if let Some(id) = l.strip_prefix("Message-ID: <m") {
            let i: usize = id.trim_end().trim_end_matches("@x>").parse().unwrap();
            (seq[i], uid[i]) = at.take().unwrap();
        }
    }
    assert!(seq.iter().all(|&s| s > 0), "every message fetched once");

    // Roundcube hides deleted messages with UNDELETED: mark every 7th.
    let deleted = |i: usize| i % 7 == 3;
    let set: Vec<String> = (0..BIG).filter(|&i| deleted(i)).map(|i| uid[i].to_string()).collect();
    assert!(c.cmd("d", &format!("UID STORE {} +FLAGS.SILENT (\\Deleted)", set.join(","))).contains("d OK"));

    let order = |key: &dyn Fn(usize) -> (String, i64), keep: &dyn Fn(usize) -> bool, nums: &[u32]| -> Vec<u32> {
        let mut is: Vec<usize> = (0..BIG).filter(|&i| keep(i)).collect();
        // Ties go by sequence number (RFC 5256 §3).
        is.sort_by_key(|&i| (key(i), seq[i]));
        is.into_iter().map(|i| nums[i]).collect()
    };
    let all = |_: usize| true;
    let subject = |i: usize| format!("topic {}", i / 4);
    let cases: [(&str, Vec<u32>); 6] = [
        ("SORT (DATE) UTF-8 ALL", order(&|i| (String::new(), big_date(i)), &all, &seq)),
        ("UID SORT (DATE) UTF-8 ALL UNDELETED", order(&|i| (String::new(), big_date(i)), &|i| !deleted(i), &uid)),
        ("UID SORT (REVERSE DATE) UTF-8 ALL", order(&|i| (String::new(), -big_date(i)), &all, &uid)),
        ("SORT (SUBJECT) UTF-8 ALL", order(&|i| (subject(i), 0), &all, &seq)),
        // FROM sorts by the first From address's local part (RFC 5256 §3).
        ("UID SORT (FROM) UTF-8 UNDELETED", order(&|i| (format!("user{}", (i * 31) % 97), 0), &|i| !deleted(i), &uid)),
        ("SORT (SIZE) UTF-8 ALL", order(&|i| (String::new(), written[i].len() as i64), &all, &seq)),
    ];
    for (i, (cmd, want)) in cases.iter().enumerate() {
        let r = c.cmd(&format!("t{i}"), cmd);
        assert!(r.contains(&format!("t{i} OK")), "{cmd}: {}", &r[r.len().saturating_sub(200)..]);
        assert!(numbers(line(&r, "* SORT")) == *want, "{cmd}: not in RFC 5256 order");
    }

    // REFERENCES: each conversation is one chain, root first; conversations in their root's
    // date order. ORDEREDSUBJECT: each subject's earliest message, the rest as its children
    // in date order; threads in that first message's date order.
    let conversations: Vec<usize> = {
        let mut t: Vec<usize> = (0..BIG / 4).collect();
        t.sort_by_key(|&t| big_date(4 * t));
        t
    };
    let references: String = conversations
        .iter()
        .map(|&t| format!("({})", (4 * t..4 * t + 4).map(|i| seq[i].to_string()).collect::<Vec<_>>().join(" ")))
        .collect();
    let mut by_subject: Vec<Vec<usize>> = (0..BIG / 4)
        .map(|t| {
            let mut m: Vec<usize> = (4 * t..4 * t + 4).collect();
            m.sort_by_key(|&i| big_date(i));
            m
        })
        .collect();
    by_subject.sort_by_key(|m| big_date(m[0]));
    let ordered: String = by_subject
        .iter()
        .map(|m| {
            let children: String = m[1..].iter().map(|&i| format!("({})", uid[i])).collect();
            format!("({} {children})", uid[m[0]])
        })
        .collect();
    for (tag, cmd, want) in [
        ("r", "THREAD REFERENCES UTF-8 ALL", format!("* THREAD {references}")),
        ("o", "UID THREAD ORDEREDSUBJECT UTF-8 ALL", format!("* THREAD {ordered}")),
    ] {
        let r = c.cmd(tag, cmd);
        assert!(r.contains(&format!("{tag} OK")), "{cmd}: {}", &r[r.len().saturating_sub(200)..]);
        assert!(line(&r, "* THREAD") == want, "{cmd}: not the RFC 5256 threads");
    }

    // A message that arrives later joins the answer (its fields read alone, the rest kept).
    let late = "Date: Fri, 01 Jan 2100 00:00:00 +0000\r\nSubject: late\r\n\r\nx\r\n";
    c.send(format!("a APPEND INBOX {{{}+}}\r\n{late}\r\n", late.len()).as_bytes());
    let appended = c.until("a");
    assert!(appended.contains("a OK"), "{appended}");
    assert!((appended + &c.cmd("n", "NOOP")).contains("* 10001 EXISTS"));
    let mut want = cases[0].1.clone();
    want.push(BIG as u32 + 1);
    let r = c.cmd("z", "SORT (DATE) UTF-8 ALL");
    assert!(numbers(line(&r, "* SORT")) == want, "SORT (DATE) after APPEND: not in date order");
}

crate::store_tests!(
    imap_binary_fetch_decodes_parts_byte_for_byte,
    imap_sort_orders_by_the_stored_header_fields,
    imap_thread_builds_conversations_from_the_stored_ids,
    imap_esearch_returns_what_was_asked,
    imap_sort_and_thread_answer_roundcube_on_a_10000_message_folder,
);

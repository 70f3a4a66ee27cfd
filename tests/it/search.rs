//! The full-text index against a running `serve`: IMAP SEARCH answers with it exactly what it
//! answers by reading every message (`search_index = false`), for hostile and encoded mail;
//! it reads only the candidates' files; it follows expunges; `mailbox reindex --fts` rebuilds
//! it, here or through the running server.

use crate::server::{Server, python};
use crate::util::{Env, eventually};

/// Mail that tests each piece of what SEARCH looks in; sent on port 25 by smtplib.
fn send_corpus(srv: &Server) {
    python(
        r#"
import smtplib, sys
from email.message import EmailMessage
from email.mime.text import MIMEText
from email.mime.multipart import MIMEMultipart
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email import encoders
host, port = sys.argv[1], int(sys.argv[2])
msgs = []
def simple(subject, body, frm="bob@example.org", **kw):
    m = EmailMessage(); m["From"] = frm; m["To"] = "ann@example.com"; m["Subject"] = subject
    m.set_content(body, **kw); return m
msgs.append(simple("The quarterly report", "Numbers for the quarter are in.\nRegards"))
msgs.append(simple("Lunch", "Shall we meet on Friday at noon?"))
msgs.append(simple("Café crème", "Une tasse de café, s'il vous plaît. ΟΔΟΣ σας", cte="quoted-printable"))
msgs.append(simple("Base64 body", "The secret handshake is banana-split.", cte="base64"))
msgs.append(simple("=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=", "plain body"))
msgs.append(simple("hash", "checksum " + "a1" * 60 + " end"))
m = simple("commented", "from a commented address", frm="<user-from (comment)@ (comment) domain.org>")
msgs.append(m)
mp = MIMEMultipart("mixed"); mp["From"] = "carol@example.net"; mp["To"] = "ann@example.com"; mp["Subject"] = "attachment"
mp.attach(MIMEText("see the attached minutes", "plain"))
att = MIMEBase("application", "octet-stream"); att.set_payload(b"zebra-in-binary " * 20); encoders.encode_base64(att)
att.add_header("Content-Disposition", "attachment", filename="minutes-2026.pdf"); mp.attach(att)
msgs.append(mp)
alt = MIMEMultipart("alternative"); alt["From"] = "dave@example.net"; alt["To"] = "ann@example.com"; alt["Subject"] = "html"
alt.attach(MIMEText("plain twin", "plain")); alt.attach(MIMEText("<p>Hello <b>HTML</b> world</p>", "html"))
msgs.append(alt)
inner = simple("inner subject", "the embedded words")
outer = MIMEMultipart("mixed"); outer["From"] = "erin@example.net"; outer["To"] = "ann@example.com"; outer["Subject"] = "forwarded"
outer.attach(MIMEText("see below", "plain")); outer.attach(MIMEMessage(inner))
msgs.append(outer)
with smtplib.SMTP(host, port, timeout=20) as s:
    for m in msgs:
        s.send_message(m, from_addr="bob@example.org", to_addrs=["ann@example.com"])
print(len(msgs))
"#,
        &[&srv.smtp.ip().to_string(), &srv.smtp.port().to_string()],
    );
}

/// The searches, each answered as `key => uids`.
const SEARCHES: &[&str] = &[
    "TEXT quarterly",
    "TEXT QUARTER",
    "TEXT \"arter\"",
    "BODY quarter",
    "SUBJECT report",
    "TEXT \"on Friday at\"",
    "TEXT café",
    "TEXT \"ΟΔΟΣ\"",
    "TEXT σας",
    "TEXT banana-split",
    "BODY handshake",
    "SUBJECT Grüße",
    "TEXT münchen",
    "TEXT a1a1a1a1",
    "FROM user-from@domain.org",
    "FROM \"USER-FROM@DOMAIN\"",
    "TEXT minutes-2026",
    "TEXT zebra",
    "BODY \"HTML world\"",
    "TEXT \"<b>HTML</b>\"",
    "TEXT \"embedded words\"",
    "TEXT \"inner subject\"",
    "OR TEXT lunch TEXT banana",
    "TEXT noon NOT TEXT quarterly",
    "TEXT e",
    "TEXT nothing-matches-this",
    "FROM example.net SUBJECT html",
];

/// Run every search over IMAP; each answer as "key => uids".
fn answers(srv: &Server) -> Vec<String> {
    let out = python(
        r#"
import imaplib, ssl, sys
port = int(sys.argv[1])
m = imaplib.IMAP4("127.0.0.1", port)
m.starttls(ssl_context=ssl._create_unverified_context())
m.login("ann@example.com", "password123")
m.select("INBOX")
for q in sys.argv[2:]:
    if q.isascii():
        typ, data = m.uid("SEARCH", q)
    else:
        # imaplib sends only ASCII: the string goes as a literal (KEY then the string).
        key, val = q.split(" ", 1)
        m.literal = val.strip('"').encode()
        typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", key)
    assert typ == "OK", (q, typ, data)
    print(q, "=>", data[0].decode())
m.logout()
"#,
        &[&[srv.imap.port().to_string().as_str()], SEARCHES].concat(),
    );
    out.lines().map(str::to_string).collect()
}

fn indexed(srv: &Server, documents: usize) {
    eventually(&format!("the full-text index to hold {documents} messages"), || {
        srv.log()
            .lines()
            .any(|l| l.contains("full-text index: up to date") && l.contains(&format!("documents={documents}")))
    });
}

fn imap_search_with_the_index_answers_what_reading_every_message_answers(env: Env) {
    env.create("ann@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    send_corpus(&srv);
    indexed(&srv, 10);
    let with_index = answers(&srv);
    let expect = |key: &str, uids: &str| {
        let line = with_index.iter().find(|l| l.starts_with(&format!("{key} =>"))).expect(key);
        assert_eq!(line, &format!("{key} => {uids}"), "{key}");
    };
    expect("TEXT quarterly", "1");
    expect("TEXT \"arter\"", "1");
    expect("TEXT banana-split", "4");
    expect("TEXT a1a1a1a1", "6");
    expect("FROM user-from@domain.org", "7");
    expect("TEXT minutes-2026", "8");
    // The encoded bytes of an attachment are not text.
    expect("TEXT zebra", "");
    expect("TEXT \"embedded words\"", "10");
    expect("TEXT nothing-matches-this", "");
    // Only the candidates' files are read: the file of message 2 goes, and a search that
    // cannot match it does not notice.
    let root = env.maildir("ann@example.com");
    let lunch = ["new", "cur"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap().flatten().map(|e| e.path()))
        .find(|p| std::fs::read_to_string(p).unwrap_or_default().contains("Subject: Lunch"))
        .expect("the Lunch message's file");
    let saved = std::fs::read(&lunch).unwrap();
    std::fs::remove_file(&lunch).unwrap();
    let before = srv.log().matches("cannot read a message file").count();
    answers(&srv);
    assert_eq!(
        srv.log().matches("cannot read a message file").count(),
        before + 4,
        "only the four searches it may match read it (on Friday at, lunch, noon, e)"
    );
    std::fs::write(&lunch, saved).unwrap();
    srv.stop();

    // The same searches by reading every message.
    env.serve_config(&[("search_index", "false")]);
    let srv = env.start_server();
    assert_eq!(answers(&srv), with_index);
    srv.stop();
}

fn the_index_follows_expunges_and_is_rebuilt_here_or_by_the_running_server(env: Env) {
    env.create("ann@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    send_corpus(&srv);
    indexed(&srv, 10);
    python(
        r#"
import imaplib, ssl, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.starttls(ssl_context=ssl._create_unverified_context())
m.login("ann@example.com", "password123")
m.select("INBOX")
m.uid("STORE", "1", "+FLAGS", "(\\Deleted)")
m.expunge()
m.logout()
"#,
        &[&srv.imap.port().to_string()],
    );
    indexed(&srv, 9);
    // With the server holding the index, the command asks it.
    let out = env.run(&["mailbox", "reindex", "--fts", "ann@example.com"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("asked the running server"), "{out:?}");
    eventually("the server to take the rebuild", || srv.log().contains("full-text index: rebuilding"));
    indexed(&srv, 9);
    assert!(answers(&srv).contains(&"TEXT quarterly => ".to_string()));
    srv.stop();
    // Without a server, the command rebuilds it itself, from nothing.
    std::fs::remove_dir_all(env.data_dir().join("fts")).unwrap();
    let json = env.ok(&["mailbox", "reindex", "--fts", "--all", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!((v["by"].as_str(), v["messages"].as_u64()), (Some("here"), Some(9)), "{v}");
    let (mail, index) = (v["mail_bytes"].as_u64().unwrap(), v["index_bytes"].as_u64().unwrap());
    assert!(mail > 0 && index > 0, "{v}");
    // An unknown account: exit 67, nothing asked.
    let out = env.run(&["mailbox", "reindex", "--fts", "nobody@example.com"], None);
    assert_eq!(out.status.code(), Some(67), "{out:?}");
    assert!(!env.data_dir().join("fts/rebuild").exists());
}

/// The index is built a step (`ops::fts::STEP` messages) at a time; a mailbox one message
/// larger than a step is indexed to its end, each message once.
fn a_mailbox_larger_than_one_indexing_step_is_indexed_whole(env: Env) {
    env.create("ann@example.com", "vip");
    let cur = env.maildir("ann@example.com").join("cur");
    let n = mailctl::ops::fts::STEP + 1;
    for i in 0..n {
        let body = format!("Subject: number {i}\r\n\r\nword{i}\r\n");
        std::fs::write(cur.join(format!("{}.M{i}P1.bench,S={}:2,S", 1_600_000_000 + i, body.len())), body).unwrap();
    }
    assert_eq!(env.json(&["mailbox", "reindex", "ann@example.com"])["messages"], n, "the index rows");
    let v = env.json(&["mailbox", "reindex", "--fts", "ann@example.com"]);
    assert_eq!((v["by"].as_str(), v["messages"].as_u64()), (Some("here"), Some(n as u64)), "{v}");
}

store_tests!(
    imap_search_with_the_index_answers_what_reading_every_message_answers,
    the_index_follows_expunges_and_is_rebuilt_here_or_by_the_running_server,
    a_mailbox_larger_than_one_indexing_step_is_indexed_whole,
);

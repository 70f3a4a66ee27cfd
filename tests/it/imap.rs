//! `mailctl serve`, IMAP: Python's imaplib (every command), curl, mbsync syncing both ways,
//! concurrent sessions and IDLE, quota, and raw sockets for bad input.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::server::{Client, Server, python, skip_without};
use crate::util::Env;

/// Deliver `n` numbered messages to bob over SMTP.
pub(crate) fn deliver(srv: &Server, n: usize, tag: &str) {
    let mut c = Client::connect(srv.smtp);
    c.expect("EHLO x.example", 250);
    for i in 1..=n {
        c.expect("MAIL FROM:<alice@remote.example>", 250);
        c.expect("RCPT TO:<bob@example.com>", 250);
        c.expect("DATA", 354);
        c.send(
            format!(
                "From: Alice <alice@remote.example>\r\nTo: bob@example.com\r\nSubject: {tag} {i}\r\n\
                 Message-ID: <{tag}-{i}@remote.example>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\n\
                 body of {tag} {i}\r\nneedle{i}\r\n.\r\n"
            )
            .as_bytes(),
        );
        assert_eq!(c.read().0, 250);
    }
}

const PRELUDE: &str = r#"
import imaplib, ssl, sys, re, time
for c in ['ID', 'UNSELECT', 'MOVE', 'ENABLE']:
    imaplib.Commands[c] = ('AUTH', 'SELECTED')
port = int(sys.argv[1])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def connect():
    m = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx, timeout=15)
    m.login('bob@example.com', 'password123')
    return m
def ok(r):
    assert r[0] == 'OK', r
    return r[1]
"#;

const EVERY_COMMAND: &str = r#"
m = connect()
caps = ok(m.capability())[0].decode().split()
for c in ['IDLE', 'UIDPLUS', 'MOVE', 'SPECIAL-USE', 'LIST-EXTENDED', 'LIST-STATUS', 'NAMESPACE', 'ID', 'ENABLE',
          'UNSELECT', 'LITERAL+', 'QUOTA', 'CONDSTORE', 'QRESYNC']:
    assert c in caps, (c, caps)
print('namespace', ok(m.namespace()))
print('id', ok(m._simple_command('ID', '("name" "imaplib")')) and m.response('ID'))
lst = ok(m.list())
print('list', sorted(x.decode() for x in lst))
print('special', ok(m._simple_command('LIST', '(SPECIAL-USE)', '""', '*')) and sorted(x.decode() for x in m.response('LIST')[1]))
print('select', ok(m.select('INBOX')))
print('uidvalidity', m.response('UIDVALIDITY')[1] != [None])
r = ok(m.fetch('1:*', '(UID FLAGS RFC822.SIZE ENVELOPE)'))
print('fetch-count', len(r))
assert b'"hello 1"' in r[0] and b'("Alice" NIL "alice" "remote.example")' in r[0], r[0]
r = ok(m.fetch('2', '(BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<0.4> INTERNALDATE)'))
print('fetch2', r[0][0].decode().split('BODY[HEADER')[0].strip(), r[0][1], r[1][1])
print('flags-unchanged', ok(m.fetch('2', 'FLAGS')))
r = ok(m.fetch('3', 'BODY[]'))
assert r[0][1].startswith(b'Return-Path:'), r
print('seen-set', ok(m.fetch('3', 'FLAGS')))
print('search', ok(m.search(None, 'BODY', 'needle2')), ok(m.search(None, 'SUBJECT', 'hello', 'UNSEEN')),
      ok(m.uid('SEARCH', None, 'OR', 'SEEN', 'FROM', 'nobody')), ok(m.search(None, 'LARGER', '10', 'NOT', 'DELETED', '2:*')))
print('store', ok(m.store('1', '+FLAGS', '(\\Flagged $Work)')))
print('uid-store', ok(m.uid('STORE', '2', '-FLAGS.SILENT', '(\\Seen)')))
print('create', ok(m.create('Projects.2026')), ok(m.create('Projects.2027')))
print('children', sorted(x.decode() for x in ok(m.list('""', 'Projects*'))))
# INBOX matches in any case, but only by a pattern that starts with it (as in Dovecot).
assert [x for x in ok(m.list('""', 'inbox')) if x and x.endswith(b'INBOX')], 'inbox lists INBOX'
assert not [x for x in ok(m.list('""', '*x')) if x and x.endswith(b'INBOX')], '*x does not list INBOX'
print('copy', ok(m.copy('1:2', 'Projects.2026')), m.response('COPYUID'))
print('status', ok(m.status('Projects.2026', '(MESSAGES UNSEEN UIDNEXT SIZE)')))
ok(m._simple_command('LIST', '""', 'Projects.%', 'RETURN', '(STATUS (MESSAGES))'))
print('list-status', m.response('LIST'), m.response('STATUS'))
print('move', ok(m._simple_command('UID', 'MOVE', '3', 'Trash')), m.response('COPYUID'))
print('after-move', ok(m.fetch('1:*', 'UID')))
print('subscribe', ok(m.subscribe('Projects.2026')), ok(m.lsub('""', '*')))
print('rename', ok(m.rename('Projects.2027', 'Archive')), sorted(x.decode() for x in ok(m.list('""', '%'))))
print('delete', ok(m.delete('Archive')))
print('delete-parent', m.delete('Projects'))
msg = b'From: bob@example.com\r\nSubject: draft\r\n\r\nunfinished\r\n'
print('append', ok(m.append('Drafts', '(\\Draft)', '"24-Nov-2026 12:00:00 +0100"', msg)), m.response('APPENDUID'))
print('append-missing', m.append('Nope', None, None, msg))
print('quota', ok(m.getquotaroot('INBOX')))
print('enable', ok(m._simple_command('ENABLE', 'CONDSTORE')), m.response('ENABLED'))
r = ok(m.fetch('1:*', '(FLAGS) (CHANGEDSINCE 1)'))
print('changedsince', len(r), all(b'MODSEQ' in x for x in r))
modseq = int(re.search(rb'MODSEQ \((\d+)\)', r[0]).group(1))
print('unchangedsince-ok', ok(m._simple_command('STORE', '1', '(UNCHANGEDSINCE %d)' % modseq, '+FLAGS', '(\\Answered)')))
print('unchangedsince-stale', m._simple_command('STORE', '1', '(UNCHANGEDSINCE %d)' % modseq, '+FLAGS', '(\\Seen)'))
print('delete-flag', ok(m.store('1', '+FLAGS', '\\Deleted')))
print('uid-expunge', ok(m._simple_command('UID', 'EXPUNGE', '999')))
print('expunge', ok(m.expunge()))
print('unselect', ok(m._simple_command('UNSELECT')))
print('examine', ok(m.select('Projects.2026', readonly=True)))
print('ro-store', m.store('1', '+FLAGS', '\\Seen'))
print('close', ok(m.close()))
print('select-bad', m.select('../../etc'))
print('create-bad', m.create('../x'), m.create('/etc'), m.create('a..b'))
print('logout', m.logout()[0])
"#;

fn imap_every_command(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    deliver(&srv, 3, "hello");
    let out = python(&format!("{PRELUDE}{EVERY_COMMAND}"), &[&srv.imaps.port().to_string()]);
    let get = |k: &str| -> String {
        out.lines().find(|l| l.starts_with(&format!("{k} "))).unwrap_or_else(|| panic!("no {k} in {out}")).to_string()
    };
    assert!(get("list").contains(r#"(\\HasNoChildren \\Sent) "." Sent"#), "{out}");
    assert!(get("list").contains(r#""." INBOX"#), "{out}");
    assert!(get("special").contains(r"\\Junk") && !get("special").contains("INBOX"), "{out}");
    assert_eq!(get("fetch-count"), "fetch-count 3");
    assert!(get("fetch2").contains(r#"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit""#), "{out}");
    assert!(get("fetch2").contains("b'Subject: hello 2\\r\\n\\r\\n'") && get("fetch2").contains("b'body'"), "{out}");
    assert!(!get("flags-unchanged").contains("Seen"), "PEEK must not set \\Seen: {out}");
    assert!(get("seen-set").contains(r"\\Seen"), "BODY[] sets \\Seen: {out}");
    assert_eq!(get("search"), "search [b'2'] [b'1 2'] [b'3'] [b'2 3']");
    assert!(get("store").contains(r"\\Flagged $Work"), "{out}");
    assert!(get("children").contains(r#"(\\HasChildren) "." Projects"#), "{out}");
    assert!(get("copy").contains("1,2 1,2"), "COPYUID: {out}");
    assert!(get("status").contains("MESSAGES 2 UNSEEN 2 UIDNEXT 3 SIZE"), "{out}");
    assert!(get("list-status").contains("Projects.2026 (MESSAGES 2)"), "{out}");
    assert!(get("move").contains("3 1"), "{out}");
    assert_eq!(get("after-move"), "after-move [b'1 (UID 1)', b'2 (UID 2)']");
    assert!(get("subscribe").contains(r#"() "." Projects.2026"#), "{out}");
    assert!(get("rename").contains("Archive") && !get("rename").contains("2027"), "{out}");
    assert!(get("delete-parent").contains("NO") && get("delete-parent").contains("child"), "{out}");
    assert!(get("append").contains("APPENDUID"), "{out}");
    assert!(get("append-missing").contains("TRYCREATE"), "{out}");
    // A few KiB: the messages, with the headers delivery added (Received:, X-Mailctl-Verdict:).
    assert!((1..=3).any(|k| get("quota").contains(&format!("STORAGE {k} 1048576"))), "{out}");
    assert_eq!(get("changedsince"), "changedsince 2 True");
    assert!(get("unchangedsince-stale").contains("MODIFIED 1"), "{out}");
    assert!(get("ro-store").contains("READ-ONLY"), "{out}");
    assert!(get("select-bad").contains("NO"), "{out}");
    assert_eq!(get("create-bad").matches("'NO'").count(), 3, "{out}");
    // EXPUNGE removed message 1 (its file and its quota share).
    assert_eq!(env.json(&["quota", "show", "bob@example.com"])[0]["messages"], 5, "{out}");
    let inbox_files = std::fs::read_dir(env.maildir("bob@example.com").join("cur")).unwrap().count()
        + std::fs::read_dir(env.maildir("bob@example.com").join("new")).unwrap().count();
    assert_eq!(inbox_files, 1, "{out}");
    assert!(env.maildir("bob@example.com").join(".Projects.2026/maildirfolder").exists());
    assert!(!env.maildir("bob@example.com").join(".Archive").exists());
    // Flags are mirrored in the Maildir file names, as Dovecot expects.
    let drafts: Vec<String> = std::fs::read_dir(env.maildir("bob@example.com").join(".Drafts/cur"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(drafts.len() == 1 && drafts[0].ends_with(":2,D"), "{drafts:?}");
    // The index agrees with a rebuild from the Maildir.
    let rebuilt = env.json(&["mailbox", "reindex", "bob@example.com"]);
    assert_eq!(rebuilt["messages"], 5, "{rebuilt}");
}

const SESSIONS: &str = r#"
import socket, select
a = connect(); b = connect()
ok(a.select('INBOX')); ok(b.select('INBOX'))
# b flags and expunges; a hears of it at NOOP.
ok(b.store('1', '+FLAGS', '\\Flagged'))
ok(a.noop())
print('a-sees-flags', a.untagged_responses.get('FETCH'))
ok(b.store('2', '+FLAGS', '\\Deleted')); ok(b.expunge())
ok(a.noop())
print('a-sees-expunge', a.untagged_responses.get('EXPUNGE'))
# IDLE: a raw command on a's socket, then a delivery from outside.
a.send(b'i1 IDLE\r\n')
line = a.readline()
assert line.startswith(b'+'), line
print('idling', flush=True)
sys.stdin.readline()
t0 = time.time()
a.sock.settimeout(5)
line = a.readline()
print('woke', line.strip().decode(), 'in %.2fs' % (time.time() - t0))
a.send(b'DONE\r\n')
while True:
    l = a.readline()
    if l.startswith(b'i1 '):
        print('idle-done', l.strip().decode()); break
"#;

fn imap_concurrent_sessions_and_idle(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    deliver(&srv, 3, "hello");
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(format!("{PRELUDE}{SESSIONS}"))
        .arg(srv.imaps.port().to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !seen.contains("idling") && Instant::now() < deadline {
        let mut l = String::new();
        if stdout.read_line(&mut l).unwrap() == 0 {
            break;
        }
        seen.push_str(&l);
    }
    assert!(seen.contains("idling"), "{seen}");
    deliver(&srv, 1, "late");
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{seen}{rest}");
    assert!(seen.contains(r"a-sees-flags [b'1 (UID 1 FLAGS (\\Flagged \\Recent))']"), "{seen}");
    assert!(seen.contains("a-sees-expunge [b'2']"), "{seen}");
    let woke = rest.lines().find(|l| l.starts_with("woke")).unwrap_or_default();
    assert!(woke.contains("* 3 EXISTS"), "{rest}");
    let secs: f64 = woke.split(" in ").nth(1).unwrap().trim_end_matches('s').parse().unwrap();
    assert!(secs < 1.0, "IDLE woke after {secs}s");
    assert!(rest.contains("idle-done i1 OK"), "{rest}");
}

const QUOTA: &str = r#"
m = connect()
big = b'Subject: big\r\n\r\n' + b'x' * 700 + b'\r\n'
print('append1', m.append('INBOX', None, None, big)[0])
r = m.append('INBOX', None, None, big)
print('append2', r)
ok(m.select('INBOX'))
print('copy', m.copy('1', 'Sent'))
ok(m.store('1', '+FLAGS', '\\Deleted')); ok(m.expunge())
print('append3', m.append('INBOX', None, None, big)[0])
"#;

fn imap_quota(env: Env) {
    env.create("bob@example.com", "vip");
    env.ok(&["quota", "set", "bob@example.com", "1000"]);
    env.serve_config(&[]);
    let srv = env.start_server();
    let out = python(&format!("{PRELUDE}{QUOTA}"), &[&srv.imaps.port().to_string()]);
    assert!(out.contains("append1 OK"), "{out}");
    assert!(out.contains("append2 ('NO', [b'[OVERQUOTA]"), "{out}");
    assert!(out.contains("copy ('NO', [b'[OVERQUOTA]"), "{out}");
    assert!(out.contains("append3 OK"), "EXPUNGE gives the space back: {out}");
    let q = env.json(&["quota", "show", "bob@example.com"]);
    assert_eq!(q[0]["messages"], 1, "{q}");
}

const STARTTLS: &str = r#"
m = imaplib.IMAP4('127.0.0.1', port, timeout=15)
print('caps-before', ' '.join(m.capabilities))
try:
    m.login('bob@example.com', 'password123')
    print('login-before OK')
except imaplib.IMAP4.error as e:
    print('login-before refused', e)
m.starttls(ssl_context=ctx)
print('caps-after', ' '.join(m.capabilities))
print('login-after', m.login('bob@example.com', 'password123')[0])
try:
    connect_wrong = imaplib.IMAP4_SSL('127.0.0.1', int(sys.argv[2]), ssl_context=ctx, timeout=15)
    connect_wrong.login('bob@example.com', 'wrong')
except imaplib.IMAP4.error as e:
    print('wrong-password', e)
"#;

fn imap_starttls_and_logindisabled(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    let out = python(&format!("{PRELUDE}{STARTTLS}"), &[&srv.imap.port().to_string(), &srv.imaps.port().to_string()]);
    assert!(out.contains("caps-before") && out.lines().next().unwrap().contains("LOGINDISABLED"), "{out}");
    assert!(out.contains("STARTTLS") && !out.lines().next().unwrap().contains("AUTH=PLAIN"), "{out}");
    assert!(out.contains("login-before refused") && out.contains("PRIVACYREQUIRED"), "{out}");
    let after = out.lines().find(|l| l.starts_with("caps-after")).unwrap();
    assert!(after.contains("AUTH=PLAIN") && !after.contains("LOGINDISABLED") && !after.contains("STARTTLS"), "{out}");
    assert!(out.contains("login-after OK"), "{out}");
    assert!(out.contains("AUTHENTICATIONFAILED"), "{out}");
}

/// A server for bob@example.com in dev mode (plain-text login from loopback).
pub(crate) fn start(env: &Env) -> Server {
    env.create("bob@example.com", "vip");
    env.serve_config(&[("dev_mode", "true")]);
    env.start_server()
}

/// A raw session logged in as bob.
pub(crate) fn login(srv: &Server) -> Raw {
    let mut c = Raw::connect(srv.imap);
    let r = c.cmd("l", "LOGIN bob@example.com password123");
    assert!(r.contains("l OK"), "{r}");
    c
}

/// A raw IMAP connection (plain text) for protocol abuse.
pub(crate) struct Raw {
    r: BufReader<TcpStream>,
}

impl Raw {
    pub(crate) fn connect(addr: SocketAddr) -> Raw {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut r = Raw { r: BufReader::new(s) };
        assert!(r.line().starts_with("* OK"));
        r
    }
    pub(crate) fn line(&mut self) -> String {
        let mut l = String::new();
        let _ = self.r.read_line(&mut l);
        l
    }
    pub(crate) fn send(&mut self, b: &[u8]) {
        let _ = self.r.get_mut().write_all(b);
    }
    /// Send a command; return every line up to the tagged reply.
    pub(crate) fn cmd(&mut self, tag: &str, line: &str) -> String {
        self.send(format!("{tag} {line}\r\n").as_bytes());
        self.until(tag)
    }
    pub(crate) fn until(&mut self, tag: &str) -> String {
        let mut out = String::new();
        loop {
            let l = self.line();
            if l.is_empty() {
                return out;
            }
            out.push_str(&l);
            if l.starts_with(&format!("{tag} ")) || l.starts_with("* BYE") {
                return out;
            }
        }
    }
}

fn imap_bad_input(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[("dev_mode", "true")]);
    let srv = env.start_server();
    let mut c = Raw::connect(srv.imap);
    // A huge synchronising literal is refused before anything is read or allocated.
    let t0 = Instant::now();
    let r = c.cmd("a1", "LOGIN {4000000000}");
    assert!(r.starts_with("a1 NO [TOOBIG]"), "{r}");
    // Before login not even APPEND may announce a big literal.
    let r = c.cmd("a2", "APPEND INBOX {1000000}");
    assert!(r.starts_with("a2 NO [TOOBIG]"), "{r}");
    assert!(t0.elapsed() < Duration::from_secs(2));
    // Bad commands get BAD and the session goes on.
    for (i, bad) in
        ["FROB", "SELECT", "FETCH 1:x FLAGS", "LOGIN \"unterminated", "UID NOOP", "SEARCH ((((ALL"].iter().enumerate()
    {
        let tag = format!("b{i}");
        let r = c.cmd(&tag, bad);
        assert!(r.starts_with(&format!("{tag} BAD")), "{bad}: {r}");
    }
    assert!(c.cmd("c1", "SELECT INBOX").starts_with("c1 BAD"), "not logged in");
    let r = c.cmd("c2", "LOGIN bob@example.com password123");
    assert!(r.starts_with("c2 OK"), "{r}");
    for name in ["../x", "/etc/passwd", "a/b", "x\u{7f}y", ".hidden", "a..b"] {
        let r = c.cmd("d", &format!("CREATE \"{name}\""));
        assert!(r.starts_with("d NO") || r.starts_with("d BAD"), "{name}: {r}");
    }
    let r = c.cmd("d2", "SELECT \"../../../etc\"");
    assert!(r.starts_with("d2 NO"), "{r}");
    // A literal too big for a non-APPEND command, synchronising: NO, and nothing read.
    let r = c.cmd("e1", "CREATE {100000}");
    assert!(r.starts_with("e1 NO [TOOBIG]"), "{r}");
    // A LITERAL+ literal's bytes are data, never commands.
    c.send(b"e2 CREATE {20+}\r\ne3 DELETE INBOX\r\nxx\r\n");
    let r = c.until("e2");
    assert!(!r.contains("e3"), "{r}");
    assert!(r.starts_with("e2 NO"), "{r}");
    // Sequence numbers beyond the mailbox.
    c.cmd("f0", "SELECT INBOX");
    let r = c.cmd("f1", "FETCH 5 FLAGS");
    assert!(r.starts_with("f1 BAD"), "{r}");
    // An over-limit non-synchronising literal ends the session (its bytes are never parsed).
    c.send(b"g1 CREATE {999999999+}\r\n");
    let r = c.until("g1");
    assert!(r.starts_with("* BYE"), "{r}");
    // A line without end: the session closes instead of buffering forever.
    let mut d = Raw::connect(srv.imap);
    d.send(&vec![b'a'; 200 * 1024]);
    let r = d.line();
    assert!(r.starts_with("* BYE"), "{r}");
    // Garbage of every byte value: no panic, the server still answers.
    let mut e = Raw::connect(srv.imap);
    let junk: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    e.send(&junk);
    e.send(b"\r\nz1 NOOP\r\n");
    let r = e.until("z1");
    assert!(r.contains("z1 OK") || r.contains("BYE"), "{r}");
    let mut f = Raw::connect(srv.imap);
    assert!(f.cmd("h1", "NOOP").starts_with("h1 OK"));
    assert!(!srv.log().contains("panicked"), "{}", srv.log());
}

fn imap_with_curl(env: Env) {
    if skip_without("curl", "imap_with_curl") {
        return;
    }
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    deliver(&srv, 2, "curl");
    let curl = |url: String, extra: &[&str]| -> String {
        let out = std::process::Command::new("curl")
            .args(["-s", "-S", "-k", "--max-time", "20", "-u", "bob@example.com:password123"])
            .args(extra)
            .arg(url)
            .output()
            .unwrap();
        assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let listing = curl(format!("imaps://127.0.0.1:{}/", srv.imaps.port()), &[]);
    assert!(listing.contains("INBOX") && listing.contains("Sent"), "{listing}");
    let msg = curl(format!("imaps://127.0.0.1:{}/INBOX;UID=2", srv.imaps.port()), &[]);
    assert!(msg.contains("Subject: curl 2"), "{msg}");
    // STARTTLS on the plain port.
    let msg = curl(format!("imap://127.0.0.1:{}/INBOX;UID=1", srv.imap.port()), &["--ssl-reqd"]);
    assert!(msg.contains("Subject: curl 1"), "{msg}");
    let search = curl(format!("imaps://127.0.0.1:{}/INBOX?SUBJECT%20curl", srv.imaps.port()), &[]);
    assert!(search.contains("SEARCH 1 2"), "{search}");
}

fn imap_with_mbsync(env: Env) {
    if skip_without("mbsync", "imap_with_mbsync") {
        return;
    }
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    deliver(&srv, 2, "server");
    let local = env.path().join("local");
    // A local Maildir++ with mail in INBOX and in a folder the server does not have yet.
    for dir in ["cur", "new", "tmp", ".Notes/cur", ".Notes/new", ".Notes/tmp"] {
        std::fs::create_dir_all(local.join(dir)).unwrap();
    }
    std::fs::write(local.join("cur/1700000000.local1.host:2,S"), b"Subject: from laptop\r\n\r\nlocal one\r\n").unwrap();
    std::fs::write(local.join(".Notes/cur/1700000001.local2.host:2,F"), b"Subject: a note\r\n\r\nnote\r\n").unwrap();
    let cert = env.data_dir().join("tls/cert.pem");
    let rc = env.path().join("mbsyncrc");
    std::fs::write(
        &rc,
        format!(
            "IMAPAccount server\nHost 127.0.0.1\nPort {}\nUser bob@example.com\nPass password123\nSSLType IMAPS\n\
             CertificateFile {}\nTimeout 20\n\nIMAPStore remote\nAccount server\n\n\
             MaildirStore local\nInbox {}\nSubFolders Maildir++\n\n\
             Channel sync\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\nExpunge Both\nSyncState *\n",
            srv.imaps.port(),
            cert.display(),
            local.display()
        ),
    )
    .unwrap();
    let run = || {
        let out = std::process::Command::new("mbsync").args(["-c", rc.to_str().unwrap(), "-a"]).output().unwrap();
        assert!(
            out.status.success(),
            "mbsync failed:\n{}\n{}\nserver log:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            srv.log()
        );
    };
    run();
    let count = |dir: &str| -> usize {
        ["cur", "new"].iter().map(|s| std::fs::read_dir(local.join(dir).join(s)).map(|r| r.count()).unwrap_or(0)).sum()
    };
    // Down: the two delivered messages; up: the laptop's message and the new folder.
    assert_eq!(count("."), 3);
    assert_eq!(count(".Sent"), 0);
    let q = env.json(&["quota", "show", "bob@example.com"]);
    assert_eq!(q[0]["messages"], 4, "server has 2 delivered + 2 uploaded: {q}");
    assert!(env.maildir("bob@example.com").join(".Notes/maildirfolder").exists());
    // Flag a message locally as deleted (T); sync expunges it on the server too.
    let victim = std::fs::read_dir(local.join("cur"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("local1"))
        .unwrap();
    std::fs::rename(&victim, format!("{}T", victim.display())).unwrap();
    deliver(&srv, 1, "later");
    run();
    assert_eq!(count("."), 3, "one expunged, one new");
    let q = env.json(&["quota", "show", "bob@example.com"]);
    assert_eq!(q[0]["messages"], 4, "{q}");
    // A second sync with nothing changed changes nothing.
    run();
    assert_eq!(count("."), 3);
}

const IMPORTED: &str = r#"
m = connect()
print('list', sorted(x.decode() for x in ok(m.list())))
ok(m.select('Archive'))
r = ok(m.fetch('1:*', '(FLAGS RFC822.SIZE BODY.PEEK[])'))
for item in r:
    if isinstance(item, tuple):
        size = int(re.search(rb'RFC822.SIZE (\d+)', item[0]).group(1))
        print('msg', item[0].split(b' (')[0].decode(), size == len(item[1]), b'\r\n' in item[1] and b'\n\n' not in item[1],
              re.search(rb'FLAGS \(([^)]*)\)', item[0]).group(1).decode())
"#;

/// A Maildir written by Dovecot (LF line ends, `,W=` sizes, flags in names) is served with
/// CRLF line ends and sizes that match what is sent.
fn imap_serves_an_imported_dovecot_maildir(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let dir = env.maildir("bob@example.com").join(".Archive");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let a = b"Subject: old one\nFrom: x@y.example\n\nfirst line\nsecond line\n";
    let name = format!("cur/1600000000.M1P1.oldhost,S={},W={}:2,FS", a.len(), a.len() + 5);
    std::fs::write(dir.join(name), a).unwrap();
    std::fs::write(dir.join("new/1600000001.M2P1.oldhost"), b"Subject: old two\n\nno W= here\n").unwrap();
    env.ok(&["mailbox", "reindex", "bob@example.com"]);
    let srv = env.start_server();
    let out = python(&format!("{PRELUDE}{IMPORTED}"), &[&srv.imaps.port().to_string()]);
    assert!(out.contains(r#""." Archive"#), "{out}");
    assert!(
        out.contains(r"msg 1 True True \\Flagged \\Seen") || out.contains(r"msg 1 True True \Flagged \Seen"),
        "{out}"
    );
    assert!(out.contains("msg 2 True True"), "{out}");
}

const RESYNC: &str = r#"
m = connect()
ok(m._simple_command('ENABLE', 'QRESYNC'))
ok(m.select('INBOX'))
validity = int(m.untagged_responses['UIDVALIDITY'][0])
modseq = int(m.untagged_responses['HIGHESTMODSEQ'][0])
ok(m.store('2', '+FLAGS', '\\Flagged'))
ok(m.store('3', '+FLAGS', '\\Deleted')); ok(m.expunge())
print('own-vanished', m.untagged_responses.pop('VANISHED', None))
ok(m.check())
ok(m._simple_command('UNSELECT'))
m.untagged_responses.clear()
ok(m._simple_command('SELECT', 'INBOX', '(QRESYNC (%d %d 1:4))' % (validity, modseq)))
print('vanished', m.untagged_responses.get('VANISHED'))
print('fetch', m.untagged_responses.get('FETCH'))
m.untagged_responses.clear()
ok(m._simple_command('UID', 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d VANISHED)' % modseq))
print('uid-fetch-vanished', m.untagged_responses.get('VANISHED'), m.untagged_responses.get('FETCH'))
m2 = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx, timeout=15)
typ, data = m2.authenticate('PLAIN', lambda _: b'\0bob@example.com\0password123')
print('authenticate', typ)
"#;

fn imap_qresync_and_authenticate(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    deliver(&srv, 4, "sync");
    let out = python(&format!("{PRELUDE}{RESYNC}"), &[&srv.imaps.port().to_string()]);
    assert!(out.contains("own-vanished [b'3']"), "{out}");
    assert!(out.contains("vanished [b'(EARLIER) 3']"), "{out}");
    assert!(out.contains(r"fetch [b'2 (UID 2 FLAGS (\\Flagged) MODSEQ"), "{out}");
    assert!(
        out.contains("uid-fetch-vanished [b'(EARLIER) 3'] [b'2 (UID 2 FLAGS (\\\\Flagged) MODSEQ")
            || out.contains("uid-fetch-vanished [b'(EARLIER) 3']"),
        "{out}"
    );
    assert!(out.contains("authenticate OK"), "{out}");
}

fn imap_login_timeout(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[("imap_idle_timeout", "1")]);
    let srv = env.start_server();
    let mut c = Raw::connect(srv.imap);
    let t0 = Instant::now();
    let l = c.line();
    assert!(l.starts_with("* BYE"), "{l}");
    assert!(t0.elapsed() < Duration::from_secs(5));
}

fn imap_with_fetchmail(env: Env) {
    if skip_without("fetchmail", "imap_with_fetchmail") {
        return;
    }
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    deliver(&srv, 2, "fm");
    let rc = env.path().join("fetchmailrc");
    std::fs::write(
        &rc,
        format!(
            "poll 127.0.0.1 service {} protocol IMAP user \"bob@example.com\" password \"password123\" ssl no sslcertck keep\n",
            srv.imaps.port()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mda = env.path().join("fetched.mbox");
    let out = std::process::Command::new("fetchmail")
        .args(["-f", rc.to_str().unwrap(), "--mda", &format!("cat >> {}", mda.display())])
        .args(["--nodetach", "--nosyslog", "-t", "15", "--pidfile"])
        .arg(env.path().join("fetchmail.pid"))
        .env("HOME", env.path())
        .env("FETCHMAILHOME", env.path())
        .output()
        .unwrap();
    let got = std::fs::read_to_string(&mda).unwrap_or_default();
    assert!(
        got.contains("Subject: fm 1") && got.contains("Subject: fm 2"),
        "{got}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A message file that vanished from the Maildir is an error, never an empty body that a
/// client would keep.
fn imap_missing_file_is_an_error(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    deliver(&srv, 2, "gone");
    for e in std::fs::read_dir(env.maildir("bob@example.com").join("new")).unwrap() {
        let p = e.unwrap().path();
        if std::fs::read_to_string(&p).unwrap().contains("Subject: gone 2") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let out = python(
        &format!(
            "{PRELUDE}m = connect(); ok(m.select('INBOX'))\nprint('one', m.fetch('1', 'BODY.PEEK[]')[0])\n\
             print('two', m.fetch('2', 'BODY.PEEK[]'))\nprint('flags', m.fetch('2', 'FLAGS')[0])\n"
        ),
        &[&srv.imaps.port().to_string()],
    );
    assert!(out.contains("one OK"), "{out}");
    assert!(out.contains("two ('NO', [b'[UNAVAILABLE]"), "{out}");
    assert!(out.contains("flags OK"), "{out}");
}

const RACES: &str = r#"
a = connect(); b = connect()
ok(a.select('INBOX')); ok(b.select('INBOX'))
# Lost update: b flags, a (not told yet) adds another flag; both stay.
ok(b.store('1', '+FLAGS', '\\Flagged'))
a.send(b'x1 STORE 1 +FLAGS (\\Seen)\r\n')
line = a.readline()
while not line.startswith(b'x1 '):
    line = a.readline()
print('both', ok(b.fetch('1', 'FLAGS')))
# Undelete wins over a stale EXPUNGE.
ok(a.store('2', '+FLAGS', '\\Deleted'))
ok(b.store('2', '-FLAGS', '\\Deleted'))
a.send(b'x2 EXPUNGE\r\n')
line = a.readline()
while not line.startswith(b'x2 '):
    line = a.readline()
print('kept', ok(b.fetch('1:*', 'UID')))
# A mailbox renamed by another session keeps working in the one that selected it.
ok(a.create('Work')); ok(a.copy('3', 'Work'))
ok(a.select('Work'))
ok(b.rename('Work', 'Archive'))
ok(a.noop())
r = a.fetch('1', 'BODY.PEEK[]')
print('renamed', r[0], b'Subject: race 3' in r[1][0][1])
# DELETE then CREATE: a new UIDVALIDITY.
ok(b.create('Tmp')); ok(b.select('Tmp')); v1 = b.untagged_responses['UIDVALIDITY'][0]
ok(b.close()); ok(b.delete('Tmp')); ok(b.create('Tmp')); ok(b.select('Tmp'))
print('uidvalidity-changed', v1 != b.untagged_responses['UIDVALIDITY'][0])
# The mailbox a session has selected is deleted under it: BYE.
ok(b.create('Doomed')); ok(a.select('Doomed')); ok(b.delete('Doomed'))
try:
    print('doomed', a.noop())
except Exception as e:
    print('doomed', type(e).__name__)
"#;

/// Concurrent sessions never lose each other's changes.
fn imap_concurrent_changes_are_not_lost(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    deliver(&srv, 3, "race");
    let out = python(&format!("{PRELUDE}{RACES}"), &[&srv.imaps.port().to_string()]);
    assert!(out.contains(r"\\Flagged \\Seen") || out.contains(r"\\Seen \\Flagged"), "{out}");
    assert!(out.contains("kept [b'1 (UID 1)', b'2 (UID 2)', b'3 (UID 3)']"), "{out}");
    assert!(out.contains("renamed OK True"), "{out}");
    assert!(out.contains("uidvalidity-changed True"), "{out}");
    assert!(out.contains("doomed abort") || out.contains("doomed BYE") || out.contains("doomed ('BYE'"), "{out}");
}

const CACHED: &str = r#"
m = connect()
ok(m.append('Sent', None, None, b'From: bob@example.com\r\nSubject: appended\r\n\r\nsent text\r\n'))
ok(m.select('INBOX'))
for line in ok(m.fetch('1:*', '(ENVELOPE BODYSTRUCTURE)')):
    print('fetched', line.decode() if isinstance(line, bytes) else line[0].decode())
m.logout()
"#;

/// The index rows of a mailbox with their ENVELOPE and BODYSTRUCTURE.
fn derived(env: &Env, folder: &str) -> Vec<mailctl::store::messages::Derived> {
    use mailctl::store::messages;
    let id = env.json(&["account", "show", "bob@example.com"])["id"].as_i64().unwrap();
    let store = env.store();
    crate::util::block_on(async {
        let mut c = store.pool.acquire().await.unwrap();
        let (mbox, _) = messages::mailbox(&mut c, id, folder).await.unwrap().expect("mailbox");
        let rows =
            messages::rows_for(&mut mailctl::store::conn::Conn::Any(&mut c), mbox, &[1, 2, 3], messages::Cols::All)
                .await
                .unwrap();
        rows.into_iter().map(|r| r.derived).collect()
    })
}

/// ENVELOPE and BODYSTRUCTURE are computed from the bytes at delivery, APPEND and reindex and
/// stored with the row; a row without them (indexed before they were stored) is answered from
/// the file, and FETCH writes nothing back.
fn imap_envelope_and_bodystructure_are_stored_at_delivery_and_never_by_fetch(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let old = b"From: Old <old@remote.example>\r\nSubject: from before\r\n\r\nold body\r\n";
    std::fs::write(env.maildir("bob@example.com").join("cur/1600000000.M1P1.old,S=60:2,S"), old).unwrap();
    env.ok(&["mailbox", "reindex", "bob@example.com"]);
    let reindexed = &derived(&env, "INBOX")[0];
    let envelope = String::from_utf8(reindexed.envelope.clone().expect("stored at reindex")).unwrap();
    assert!(envelope.contains(r#""from before""#), "{envelope}");
    assert!(reindexed.bodystructure.is_some(), "stored at reindex");
    assert_eq!(reindexed.sort.as_ref().expect("stored at reindex").subject, "from before");
    // As a row indexed before these were stored.
    crate::util::sql(&env.db_url(), "UPDATE messages SET envelope = NULL, bodystructure = NULL, sort_fields = NULL");
    let srv = env.start_server();
    deliver(&srv, 1, "hello");
    let out = python(&format!("{PRELUDE}{CACHED}"), &[&srv.imaps.port().to_string()]);
    let fetched: Vec<&str> = out.lines().filter(|l| l.starts_with("fetched ")).collect();
    assert_eq!(fetched.len(), 2, "{out}");
    assert!(fetched[0].contains(r#""from before" (("Old" NIL "old" "remote.example"))"#), "{out}");
    assert!(fetched[1].contains(r#""hello 1" (("Alice" NIL "alice" "remote.example"))"#), "{out}");
    for f in &fetched {
        assert!(f.contains(r#"BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit""#), "{out}");
    }

    let inbox = derived(&env, "INBOX");
    assert_eq!(inbox[0], Default::default(), "FETCH wrote nothing for the message without them");
    let stored = &inbox[1];
    let text = |b: &Option<Vec<u8>>| String::from_utf8(b.clone().expect("stored at delivery")).unwrap();
    assert!(fetched[1].contains(&text(&stored.envelope)), "{out}");
    assert!(fetched[1].contains(&text(&stored.bodystructure)), "{out}");
    assert_eq!(stored.sort.as_ref().expect("stored at delivery").from, "alice");
    let sent = derived(&env, "Sent");
    assert!(text(&sent[0].envelope).contains(r#""appended""#), "stored at APPEND");
    assert!(sent[0].bodystructure.is_some(), "stored at APPEND");
    assert_eq!(sent[0].sort.as_ref().expect("stored at APPEND").subject, "appended");
}

store_tests!(
    imap_envelope_and_bodystructure_are_stored_at_delivery_and_never_by_fetch,
    imap_concurrent_changes_are_not_lost,
    imap_missing_file_is_an_error,
    imap_qresync_and_authenticate,
    imap_login_timeout,
    imap_with_fetchmail,
    imap_serves_an_imported_dovecot_maildir,
    imap_every_command,
    imap_concurrent_sessions_and_idle,
    imap_quota,
    imap_starttls_and_logindisabled,
    imap_bad_input,
    imap_with_curl,
    imap_with_mbsync,
);

/// What an IMAP client sees of bob@'s mail: every folder with UIDVALIDITY and UIDNEXT, every
/// message with UID, flags (not \Recent) and a digest of its bytes.
const WHAT_A_CLIENT_SEES: &str = r#"
import hashlib
m = connect()
names = sorted(l.decode().split(' "." ', 1)[1].strip('"') for l in ok(m.list()))
for n in names:
    ok(m.select('"%s"' % n, readonly=True))
    print(n, m.untagged_responses['UIDVALIDITY'][0].decode(), m.untagged_responses['UIDNEXT'][0].decode())
    typ, data = m.uid('FETCH', '1:*', '(FLAGS RFC822)')
    for part in data:
        if isinstance(part, tuple):
            head = re.sub(r'\\Recent ?', '', part[0].decode()).split(' RFC822 ')[0]
            uid = re.search(r'UID (\d+)', head).group(1)
            flags = re.search(r'FLAGS \(([^)]*)\)', head).group(1).strip()
            print(' ', uid, '[%s]' % flags, hashlib.sha256(part[1]).hexdigest()[:16])
"#;

/// Start `serve` on the instance, read what a client sees of bob@'s mail, stop it.
pub(crate) fn what_a_client_sees(env: &Env) -> String {
    let srv = env.start_server();
    let out = python(&format!("{PRELUDE}{WHAT_A_CLIENT_SEES}"), &[&srv.imaps.port().to_string()]);
    assert_eq!(srv.stop(), Some(0));
    assert!(out.contains("INBOX"), "{out}");
    out
}

//! `mailctl serve`, POP3: Python's poplib, curl and fetchmail, and raw sockets for bad input.

use std::io::Write;

use crate::server::{Client, inbox, python, skip_without};
use crate::util::{Env, eventually};

/// Deliver `n` numbered messages to bob over SMTP.
fn deliver(srv: &crate::server::Server, n: usize) {
    let mut c = Client::connect(srv.smtp);
    c.expect("EHLO x.example", 250);
    for i in 1..=n {
        c.expect("MAIL FROM:<a@remote.example>", 250);
        c.expect("RCPT TO:<bob@example.com>", 250);
        c.expect("DATA", 354);
        c.send(
            format!("Subject: message {i}\r\n\r\nline one of {i}\r\n..dotted line\r\nline three\r\n.\r\n").as_bytes(),
        );
        assert_eq!(c.read().0, 250);
    }
}

/// A raw POP3 client (plain text).
fn pop(addr: std::net::SocketAddr) -> std::io::BufReader<std::net::TcpStream> {
    use std::io::BufRead;
    let s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut r = std::io::BufReader::new(s);
    let mut greeting = String::new();
    r.read_line(&mut greeting).unwrap();
    assert!(greeting.starts_with("+OK"), "{greeting}");
    r
}

fn say(r: &mut std::io::BufReader<std::net::TcpStream>, line: &str) -> String {
    use std::io::BufRead;
    r.get_mut().write_all(format!("{line}\r\n").as_bytes()).unwrap();
    let mut reply = String::new();
    r.read_line(&mut reply).unwrap();
    reply
}

const POPLIB: &str = r#"
import poplib, ssl, sys
port, mode = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
if mode == 'tls':
    p = poplib.POP3_SSL('127.0.0.1', port, context=ctx, timeout=15)
else:
    p = poplib.POP3('127.0.0.1', port, timeout=15)
    p.stls(context=ctx)
caps = p.capa()
assert 'UIDL' in caps and 'TOP' in caps and 'USER' in caps, caps
p.user('bob@example.com'); p.pass_('password123')
count, size = p.stat()
print('stat', count, size)
print('uidl', [u.decode() for u in p.uidl()[1]])
resp, lines, octets = p.retr(1)
print('retr', lines)
resp, lines, octets = p.top(2, 1)
print('top', lines)
p.dele(1)
try:
    p.retr(1)
except poplib.error_proto as e:
    print('deleted', e)
if mode == 'rset':
    p.rset()
p.quit()
"#;

fn pop3_with_poplib(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    deliver(&srv, 3);
    let used_before = env.json(&["quota", "show", "bob@example.com"])[0]["used_bytes"].as_u64().unwrap();
    let out = python(POPLIB, &[&srv.pop3s.port().to_string(), "tls"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("stat 3 "), "{out}");
    assert!(lines[2].contains("b'line one of 1'") && lines[2].contains("b'.dotted line'"), "dot-unstuffed: {out}");
    assert!(
        lines[3].contains("message 2") && lines[3].contains("line one of 2") && !lines[3].contains("line three"),
        "TOP 2 1: {out}"
    );
    assert!(lines[4].starts_with("deleted") && lines[4].contains("deleted"), "{out}");
    // Deleted at QUIT: index and usage at once, the file once that is durable.
    eventually("the deleted message's file goes", || inbox(&env, "bob@example.com").len() == 2);
    let q = env.json(&["quota", "show", "bob@example.com"]);
    assert_eq!(q[0]["messages"], 2);
    assert!(q[0]["used_bytes"].as_u64().unwrap() < used_before);
    // UIDs are stable across sessions; STLS works the same.
    let uid2 = lines[1].split('\'').find(|s| s.starts_with("2 ")).unwrap().split(' ').nth(1).unwrap().to_string();
    let out = python(POPLIB, &[&srv.pop3.port().to_string(), "rset"]);
    assert!(out.starts_with("stat 2 "), "{out}");
    assert!(out.contains(&format!("'1 {uid2}'")), "message 2's UIDL is unchanged (now number 1): {out}");
    assert_eq!(inbox(&env, "bob@example.com").len(), 2, "RSET undid the deletion");
    assert_eq!(srv.stop(), Some(0));
}

fn pop3_rules_and_bad_input(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[("auth_failures_per_minute", "3")]);
    let srv = env.start_server();
    deliver(&srv, 1);
    // No plaintext login before TLS (not dev mode); CAPA offers STLS, not USER.
    let mut r = pop(srv.pop3);
    r.get_mut().write_all(b"CAPA\r\n").unwrap();
    let mut capa = String::new();
    loop {
        let mut l = String::new();
        std::io::BufRead::read_line(&mut r, &mut l).unwrap();
        if l == ".\r\n" {
            break;
        }
        capa.push_str(&l);
    }
    assert!(capa.contains("STLS") && !capa.contains("USER"), "{capa}");
    assert!(say(&mut r, "USER bob@example.com").starts_with("-ERR [AUTH]"));
    assert!(say(&mut r, "PASS password123").starts_with("-ERR"));
    assert!(say(&mut r, "STAT").starts_with("-ERR"), "no transaction commands before login");
    assert!(say(&mut r, "FROB").starts_with("-ERR"));
    assert!(say(&mut r, "RETR x").starts_with("-ERR"));
    assert!(say(&mut r, "QUIT").starts_with("+OK"));
    // A second session on the same INBOX is refused while the first holds it.
    let holder = r#"
import poplib, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
a = poplib.POP3_SSL('127.0.0.1', int(sys.argv[1]), context=ctx, timeout=15)
a.user('bob@example.com'); a.pass_('password123')
b = poplib.POP3_SSL('127.0.0.1', int(sys.argv[1]), context=ctx, timeout=15)
b.user('bob@example.com')
try:
    b.pass_('password123'); print('second login allowed')
except poplib.error_proto as e:
    print(e)
a.quit()
b.user('bob@example.com'); b.pass_('password123'); print('after release', b.stat()); b.quit()
for pw in ['bad1', 'bad2', 'bad3', 'password123']:
    c = poplib.POP3_SSL('127.0.0.1', int(sys.argv[1]), context=ctx, timeout=15)
    try:
        c.user('bob@example.com'); c.pass_(pw); print('ok'); c.quit()
    except poplib.error_proto as e:
        print(e)
"#;
    let out = python(holder, &[&srv.pop3s.port().to_string()]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("[IN-USE]"), "{out}");
    assert!(lines[1].starts_with("after release (1,"), "{out}");
    assert!(lines[2].contains("[AUTH]") && lines[3].contains("[AUTH]") && lines[4].contains("[AUTH]"), "{out}");
    assert!(lines[5].contains("LOGIN-DELAY"), "locked out after 3 failures: {out}");
    // A huge line ends the session without harm.
    let mut r = pop(srv.pop3);
    // The server may hang up before it has read everything: a failed write is fine.
    let _ = r.get_mut().write_all(&vec![b'A'; 100_000]);
    let _ = r.get_mut().write_all(b"\r\n");
    let mut reply = String::new();
    let _ = std::io::BufRead::read_line(&mut r, &mut reply);
    assert!(reply.starts_with("-ERR"), "{reply}");
    assert_eq!(inbox(&env, "bob@example.com").len(), 1, "nothing deleted without QUIT");
    assert_eq!(srv.stop(), Some(0));
}

fn pop3_with_curl_and_fetchmail(env: Env) {
    if skip_without("curl", "pop3::curl_and_fetchmail") || skip_without("fetchmail", "pop3::curl_and_fetchmail") {
        return;
    }
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    deliver(&srv, 2);
    let out = std::process::Command::new("curl")
        .args(["--ssl-reqd", "-k", "-s", "-S", "--max-time", "15", "--user", "bob@example.com:password123"])
        .arg(format!("pop3s://127.0.0.1:{}/1", srv.pop3s.port()))
        .output()
        .unwrap();
    assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("line one of 1"));
    let out = std::process::Command::new("curl")
        .args(["--ssl-reqd", "-k", "-s", "-S", "--max-time", "15", "--user", "bob@example.com:password123"])
        .arg(format!("pop3://127.0.0.1:{}/", srv.pop3.port()))
        .output()
        .unwrap();
    assert!(out.status.success(), "curl STLS: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2, "LIST over STLS");
    // fetchmail downloads and deletes both into an mbox.
    let mbox = env.path().join("fetched.mbox");
    let rc = env.path().join("fetchmailrc");
    std::fs::write(
        &rc,
        format!(
            "poll 127.0.0.1 service {} protocol pop3 user \"bob@example.com\" password \"password123\" ssl no sslcertck mda \"cat >> {}\"\n",
            srv.pop3s.port(),
            mbox.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&rc, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let out = std::process::Command::new("fetchmail")
        .args(["-f"])
        .arg(&rc)
        .args(["--nodetach", "--nosyslog", "-t", "15", "--pidfile"])
        .arg(env.path().join("fetchmail.pid"))
        .env("HOME", env.path())
        .env("FETCHMAILHOME", env.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fetchmail: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let got = std::fs::read_to_string(&mbox).unwrap();
    assert!(got.contains("message 1") && got.contains("message 2"), "{got}");
    // Gone from the index at QUIT; their files go once that deletion is synced.
    eventually("fetchmail's deletions at QUIT leave the Maildir", || inbox(&env, "bob@example.com").is_empty());
    assert_eq!(env.json(&["quota", "show", "bob@example.com"])[0]["used_bytes"], 0);
    assert_eq!(srv.stop(), Some(0));
}

store_tests!(pop3_with_poplib, pop3_rules_and_bad_input, pop3_with_curl_and_fetchmail);

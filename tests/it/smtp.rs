//! `mailctl serve`, SMTP: real clients (Python's smtplib, swaks, curl) and raw sockets for the
//! attack cases. Each test runs on SQLite and PostgreSQL.

use crate::server::{Client, inbox, python, skip_without, spool_files};
use crate::util::Env;
use crate::util::eventually;

const SEND_MX: &str = r#"
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=15)
s.ehlo('client.example')
refused = s.sendmail(sys.argv[3], sys.argv[4].split(','), sys.argv[5].encode())
print(refused)
s.quit()
"#;

pub const SUBMIT: &str = r#"
import smtplib, ssl, sys
host, port, user, pw, frm, to, mode = sys.argv[1:8]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
if mode == 'tls':
    s = smtplib.SMTP_SSL(host, int(port), context=ctx, timeout=15)
else:
    s = smtplib.SMTP(host, int(port), timeout=15)
    s.starttls(context=ctx)
s.login(user, pw)
try:
    print(s.sendmail(frm, to.split(','), b'Subject: submitted\r\n\r\nhello from submission\r\n'))
except smtplib.SMTPException as e:
    print('ERR', e)
s.quit()
"#;

fn setup(env: &Env) {
    env.create("bob@example.com", "vip");
    env.create("boss@example.com", "business");
    env.ok(&["alias", "add", "sales@example.com", "boss@example.com", "partner@remote.example"]);
}

fn inbound_delivery(env: Env) {
    setup(&env);
    env.create("sus@example.com", "vip");
    env.ok(&["account", "suspend", "sus@example.com"]);
    env.serve_config(&[]);
    let srv = env.start_server();
    let port = srv.smtp.port().to_string();
    let out = python(
        SEND_MX,
        &[
            "127.0.0.1",
            &port,
            "alice@remote.example",
            "bob@example.com,BOSS@Example.com",
            "Subject: hi\r\n\r\nhello\r\n",
        ],
    );
    assert_eq!(out.trim(), "{}");
    let bob = inbox(&env, "bob@example.com");
    assert_eq!(bob.len(), 1);
    let text = String::from_utf8_lossy(&bob[0].1).to_string();
    assert!(
        text.starts_with("Return-Path: <alice@remote.example>\r\nReceived: from [127.0.0.1] (helo=client.example)"),
        "{text}"
    );
    assert!(text.contains("with ESMTP id "), "{text}");
    assert!(text.ends_with("Subject: hi\r\n\r\nhello\r\n"), "{text}");
    assert!(bob[0].0.contains(",S="), "Dovecot-style name: {}", bob[0].0);
    assert_eq!(inbox(&env, "boss@example.com").len(), 1, "recipient case does not matter");
    // Usage is exact, and the index has the row.
    let q = env.json(&["quota", "show", "bob@example.com"]);
    assert_eq!(q[0]["used_bytes"].as_u64().unwrap(), bob[0].1.len() as u64);
    assert_eq!(q[0]["messages"], 1);
    let store = env.store();
    let a = env.json(&["account", "show", "bob@example.com"]);
    let n = crate::util::block_on(async {
        let mut c = store.pool.acquire().await.unwrap();
        mailctl::store::messages::count(&mut c, a["id"].as_i64().unwrap(), "INBOX").await.unwrap()
    });
    assert_eq!(n, 1);

    // Alias: local account and a remote forward (spooled). Suspended accounts still receive.
    python(
        SEND_MX,
        &["127.0.0.1", &port, "alice@remote.example", "sales@example.com,sus@example.com", "Subject: s\r\n\r\nx\r\n"],
    );
    assert_eq!(inbox(&env, "boss@example.com").len(), 2);
    assert_eq!(inbox(&env, "sus@example.com").len(), 1);
    let spooled = spool_files(&env);
    assert_eq!(spooled.len(), 1);
    let (envl, _) = mailctl::store::spool::read(&spooled[0]).unwrap();
    assert_eq!(envl.recipients, vec!["partner@remote.example".to_string()]);

    // The log has one line per transaction.
    eventually("a transaction log line", || srv.log().contains("delivered"));
    let log = srv.log();
    assert!(log.contains("client=127.0.0.1") && log.contains("from=alice@remote.example"), "{log}");
    assert_eq!(srv.stop(), Some(0));
}

fn no_relay_and_unknown_users(env: Env) {
    setup(&env);
    env.serve_config(&[]);
    let srv = env.start_server();
    let mut c = Client::connect(srv.smtp);
    c.expect("EHLO attacker.example", 250);
    c.expect("MAIL FROM:<spam@attacker.example>", 250);
    let relay_forms = [
        ("RCPT TO:<victim@remote.example>", 550),
        ("RCPT TO:<victim%remote.example@example.com>", 550),
        ("RCPT TO:<\"victim@remote.example\"@example.com>", 550),
        ("RCPT TO:<victim@remote.example@example.com>", 501),
        ("RCPT TO:<@example.com:victim@remote.example>", 550),
        ("RCPT TO:<victim@[127.0.0.1]>", 550),
        ("RCPT TO:<victim@remote.example.>", 550),
        ("RCPT TO:<nosuchuser@example.com>", 550),
        ("RCPT TO:<postmaster@remote.example>", 550),
    ];
    for (line, code) in relay_forms {
        let (got, text) = c.cmd(line);
        assert_eq!(got, code, "{line}: {text}");
    }
    let (_, t) = c.cmd("RCPT TO:<victim@remote.example>");
    assert!(t.contains("5.7.1"), "{t}");
    let (_, t) = c.cmd("RCPT TO:<nosuchuser@example.com>");
    assert!(t.contains("5.1.1"), "{t}");
    c.expect("DATA", 503);
    c.expect("QUIT", 221);
    assert!(spool_files(&env).is_empty(), "nothing relayed");
    // AUTH is not offered on the MX port.
    let mut c = Client::connect(srv.smtp);
    let ehlo = c.expect("EHLO x.example", 250);
    assert!(!ehlo.contains("AUTH"), "{ehlo}");
    c.expect("AUTH PLAIN AGJvYkBleGFtcGxlLmNvbQBwYXNzd29yZDEyMw==", 502);
    assert_eq!(srv.stop(), Some(0));
}

fn submission_rules(env: Env) {
    setup(&env);
    env.create("sus@example.com", "vip");
    env.ok(&["account", "suspend", "sus@example.com"]);
    env.serve_config(&[("auth_failures_per_minute", "3")]);
    let srv = env.start_server();
    let (sub, subs) = (srv.submission.port().to_string(), srv.submissions.port().to_string());
    // STARTTLS + AUTH: local delivered at once, remote spooled.
    let out = python(
        SUBMIT,
        &[
            "127.0.0.1",
            &sub,
            "bob@example.com",
            "password123",
            "bob@example.com",
            "boss@example.com,far@remote.example",
            "starttls",
        ],
    );
    assert_eq!(out.trim(), "{}");
    assert_eq!(inbox(&env, "boss@example.com").len(), 1);
    let text = String::from_utf8_lossy(&inbox(&env, "boss@example.com")[0].1).to_string();
    assert!(text.contains("with ESMTPSA"), "{text}");
    let spooled = spool_files(&env);
    assert_eq!(spooled.len(), 1);
    let (e, msg) = mailctl::store::spool::read(&spooled[0]).unwrap();
    assert_eq!(
        (e.from.as_str(), e.recipients.clone(), e.submitted_by.as_deref()),
        ("bob@example.com", vec!["far@remote.example".to_string()], Some("bob@example.com"))
    );
    assert!(String::from_utf8_lossy(&msg).contains("hello from submission"));
    // Implicit TLS; sending as an alias that leads to the account is allowed.
    let out = python(
        SUBMIT,
        &["127.0.0.1", &subs, "boss@example.com", "password123", "sales@example.com", "bob@example.com", "tls"],
    );
    assert_eq!(out.trim(), "{}");
    // Spoofed sender.
    let out = python(
        SUBMIT,
        &["127.0.0.1", &subs, "bob@example.com", "password123", "boss@example.com", "bob@example.com", "tls"],
    );
    assert!(out.contains("553") && out.contains("5.7.1"), "{out}");
    // No AUTH and no mail before TLS on 587 (not dev mode).
    let mut c = Client::connect(srv.submission);
    let ehlo = c.expect("EHLO x.example", 250);
    assert!(ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"), "{ehlo}");
    c.expect("AUTH PLAIN AGJvYkBleGFtcGxlLmNvbQBwYXNzd29yZDEyMw==", 538);
    c.expect("MAIL FROM:<bob@example.com>", 530);
    // Suspended accounts cannot log in; wrong passwords are counted and lead to a lockout.
    let bad = r#"
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
codes = []
for user, pw in [('sus@example.com','password123'), ('bob@example.com','wrong1'), ('bob@example.com','wrong2'), ('bob@example.com','password123')]:
    try:
        s = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[1]), context=ctx, timeout=15)
        s.user, s.password = user, pw
        s.ehlo(); s.auth('PLAIN', s.auth_plain); codes.append(235); s.quit()
    except smtplib.SMTPAuthenticationError as e: codes.append(e.smtp_code)
    except smtplib.SMTPServerDisconnected: codes.append(421)
    except smtplib.SMTPResponseException as e: codes.append(e.smtp_code)
print(codes)
"#;
    let out = python(bad, &[&subs]);
    assert_eq!(out.trim(), "[535, 535, 535, 421]", "third failure locks the address out");
    assert_eq!(srv.stop(), Some(0));
}

fn swaks_and_curl(env: Env) {
    if skip_without("swaks", "smtp::swaks_and_curl") || skip_without("curl", "smtp::swaks_and_curl") {
        return;
    }
    setup(&env);
    env.serve_config(&[]);
    let srv = env.start_server();
    let sub = srv.submission.to_string();
    let out = std::process::Command::new("swaks")
        .args([
            "--server",
            &sub,
            "--tls",
            "--auth",
            "LOGIN",
            "--auth-user",
            "bob@example.com",
            "--auth-password",
            "password123",
        ])
        .args(["--from", "bob@example.com", "--to", "boss@example.com", "--body", "via swaks", "--timeout", "15"])
        .output()
        .unwrap();
    assert!(out.status.success(), "swaks: {}", String::from_utf8_lossy(&out.stdout));
    let mail = env.path().join("mail.eml");
    std::fs::write(&mail, "Subject: via curl\r\n\r\nhello\r\n").unwrap();
    let out = std::process::Command::new("curl")
        .args(["--ssl-reqd", "-k", "-s", "-S", "--max-time", "15"])
        .arg(format!("smtps://127.0.0.1:{}", srv.submissions.port()))
        .args([
            "--user",
            "bob@example.com:password123",
            "--mail-from",
            "bob@example.com",
            "--mail-rcpt",
            "boss@example.com",
        ])
        .arg("--upload-file")
        .arg(&mail)
        .output()
        .unwrap();
    assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
    let bodies: Vec<String> =
        inbox(&env, "boss@example.com").into_iter().map(|(_, b)| String::from_utf8_lossy(&b).into_owned()).collect();
    assert!(
        bodies.iter().any(|b| b.contains("via swaks")) && bodies.iter().any(|b| b.contains("via curl")),
        "{bodies:?}"
    );
    assert_eq!(srv.stop(), Some(0));
}

fn smuggling_is_impossible(env: Env) {
    setup(&env);
    env.serve_config(&[]);
    let srv = env.start_server();
    let variants: [&[u8]; 6] = [b"\n.\r\n", b"\n.\n", b"\r.\r\n", b"\r.\r", b"\r\n.\n", b"\r\n.\r"];
    for (i, end) in variants.iter().enumerate() {
        let mut c = Client::connect(srv.smtp);
        c.expect("EHLO attacker.example", 250);
        c.expect("MAIL FROM:<a@remote.example>", 250);
        c.expect("RCPT TO:<bob@example.com>", 250);
        c.expect("DATA", 354);
        let mut payload = b"Subject: first\r\n\r\nfirst".to_vec();
        payload.extend_from_slice(end);
        payload.extend_from_slice(b"MAIL FROM:<admin@example.com>\r\nRCPT TO:<boss@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n");
        c.send(&payload);
        // The only reply is for the whole thing: refused, since it has bare line endings.
        let (code, text) = c.read();
        assert_eq!(code, 550, "variant {i}: {text}");
        assert!(text.contains("5.6.0"), "variant {i}: {text}");
        c.expect("NOOP", 250);
    }
    assert!(inbox(&env, "boss@example.com").is_empty(), "nothing smuggled");
    assert!(inbox(&env, "bob@example.com").is_empty());
    assert_eq!(srv.stop(), Some(0));
}

fn starttls_injection_discarded(env: Env) {
    setup(&env);
    env.serve_config(&[]);
    let srv = env.start_server();
    let script = r#"
import socket, ssl, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=15)
f = s.makefile('rb')
def reply():
    lines = []
    while True:
        l = f.readline(); lines.append(l)
        if len(l) < 4 or l[3:4] != b'-': return b''.join(lines)
reply(); s.sendall(b'EHLO x\r\n'); reply()
s.sendall(b'STARTTLS\r\nRSET\r\nMAIL FROM:<injected@evil.example>\r\n')
print(reply().decode().strip())
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s)
tf = t.makefile('rb')
t.sendall(b'EHLO y\r\n')
lines = []
while True:
    l = tf.readline(); lines.append(l)
    if len(l) < 4 or l[3:4] != b'-': break
print(lines[0].decode().strip())
t.sendall(b'RCPT TO:<bob@example.com>\r\n')
print(tf.readline().decode().strip())
"#;
    let out = python(script, &[&srv.submission.port().to_string()]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("220"), "{out}");
    assert!(lines[1].starts_with("250-"), "first reply inside TLS answers EHLO, not injected commands: {out}");
    assert!(lines[2].starts_with("503"), "injected MAIL was never run: {out}");
    assert!(srv.log().contains("discarded"), "{}", srv.log());
    assert_eq!(srv.stop(), Some(0));
}

fn limits_and_bad_input(env: Env) {
    setup(&env);
    env.serve_config(&[("message_size_limit", "10K"), ("max_recipients", "3"), ("smtp_idle_timeout", "2")]);
    env.ok(&["quota", "set", "bob@example.com", "5K"]);
    let srv = env.start_server();
    let mut c = Client::connect(srv.smtp);
    let ehlo = c.expect("EHLO x.example", 250);
    assert!(ehlo.contains("SIZE 10240"), "{ehlo}");
    // Huge command line: refused, and the session goes on.
    let mut long = vec![b'A'; 100_000];
    long.extend_from_slice(b"\r\n");
    c.send(&long);
    let (code, t) = c.read();
    assert_eq!(code, 500, "{t}");
    c.expect("NOOP", 250);
    c.expect("MAIL FROM:<a@remote.example> SIZE=20000", 552);
    c.expect("MAIL FROM:<a@remote.example> SIZE=6000", 250);
    let (code, t) = c.cmd("RCPT TO:<bob@example.com>");
    assert_eq!(code, 452, "SIZE beyond the quota: {t}");
    assert!(t.contains("4.2.2"), "{t}");
    c.expect("RCPT TO:<boss@example.com>", 250);
    c.expect("RSET", 250);
    c.expect("MAIL FROM:<a@remote.example>", 250);
    for r in ["boss@example.com", "bob@example.com", "sales@example.com"] {
        c.expect(&format!("RCPT TO:<{r}>"), 250);
    }
    c.expect("RCPT TO:<boss@example.com>", 452);
    c.expect("RSET", 250);
    // A message over the size limit.
    c.expect("MAIL FROM:<a@remote.example>", 250);
    c.expect("RCPT TO:<boss@example.com>", 250);
    c.expect("DATA", 354);
    let mut big = Vec::new();
    for _ in 0..200 {
        big.extend_from_slice(&[b'x'; 100]);
        big.extend_from_slice(b"\r\n");
    }
    big.extend_from_slice(b".\r\n");
    c.send(&big);
    let (code, t) = c.read();
    assert_eq!(code, 552, "{t}");
    // A message that does not fit the quota at DATA (no SIZE given).
    c.expect("MAIL FROM:<a@remote.example>", 250);
    c.expect("RCPT TO:<bob@example.com>", 250);
    c.expect("DATA", 354);
    let mut body = Vec::new();
    for _ in 0..60 {
        body.extend_from_slice(&[b'y'; 98]);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b".\r\n");
    c.send(&body);
    let (code, t) = c.read();
    assert_eq!(code, 452, "{t}");
    assert!(inbox(&env, "bob@example.com").is_empty());
    assert_eq!(env.json(&["quota", "show", "bob@example.com"])[0]["used_bytes"], 0, "usage stays exact");
    // Garbage and bad sequences.
    for (line, code) in
        [("FROB", 500), ("MAIL FROM:<a@b.example> BOGUS=1", 555), ("BDAT x", 501), ("RCPT TO:<bob@example.com>", 503)]
    {
        c.expect(line, code);
    }
    // Idle timeout: the server says 421 and hangs up.
    let (code, _) = c.read();
    assert_eq!(code, 421, "idle timeout");
    assert_eq!(srv.stop(), Some(0));
}

fn bdat_chunking(env: Env) {
    setup(&env);
    env.serve_config(&[]);
    let srv = env.start_server();
    let mut c = Client::connect(srv.smtp);
    let ehlo = c.expect("EHLO x.example", 250);
    assert!(ehlo.contains("CHUNKING") && ehlo.contains("PIPELINING"), "{ehlo}");
    c.expect("MAIL FROM:<a@remote.example>", 250);
    c.expect("RCPT TO:<bob@example.com>", 250);
    let part1 = b"Subject: chunked\r\n\r\nfirst part, ";
    let part2 = b"second part\r\n";
    c.send(format!("BDAT {}\r\n", part1.len()).as_bytes());
    c.send(part1);
    assert_eq!(c.read().0, 250);
    c.send(format!("BDAT {} LAST\r\n", part2.len()).as_bytes());
    c.send(part2);
    let (code, t) = c.read();
    assert_eq!(code, 250, "{t}");
    let bob = inbox(&env, "bob@example.com");
    assert!(String::from_utf8_lossy(&bob[0].1).ends_with("first part, second part\r\n"));
    // BDAT without a transaction: its bytes are swallowed, not run as commands.
    c.send(b"BDAT 26\r\nRCPT TO:<boss@example.com>");
    assert_eq!(c.read().0, 503);
    c.expect("NOOP", 250);
    // Pipelined transaction in one write.
    c.send(b"MAIL FROM:<a@remote.example>\r\nRCPT TO:<boss@example.com>\r\nDATA\r\n");
    assert_eq!(c.read().0, 250);
    assert_eq!(c.read().0, 250);
    assert_eq!(c.read().0, 354);
    c.send(b"Subject: p\r\n\r\npipelined\r\n.\r\nQUIT\r\n");
    assert_eq!(c.read().0, 250);
    assert_eq!(c.read().0, 221);
    assert_eq!(inbox(&env, "boss@example.com").len(), 1);
    assert_eq!(srv.stop(), Some(0));
}

fn lifecycle(env: Env) {
    setup(&env);
    env.serve_config(&[]);
    let srv = env.start_server();
    // A second server on the same data dir refuses to start.
    let out = env.command(&["serve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(75), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another mailctl serve"));
    // SIGHUP with a new certificate: new connections get it, open ones keep working.
    let mut open = Client::connect(srv.smtp);
    open.expect("EHLO x.example", 250);
    let cert = env.data_dir().join("tls/cert.pem");
    let before = std::fs::read(&cert).unwrap();
    mailctl::tls_material::self_signed(&cert, &env.data_dir().join("tls/key.pem"), &["renewed.example".into()])
        .unwrap();
    assert_ne!(before, std::fs::read(&cert).unwrap());
    srv.reload();
    let script = r#"
import ssl, sys
pem = ssl.get_server_certificate(('127.0.0.1', int(sys.argv[1])))
print(pem.strip() == open(sys.argv[2]).read().strip())
"#;
    let same = python(script, &[&srv.submissions.port().to_string(), cert.to_str().unwrap()]);
    assert_eq!(same.trim(), "True", "new handshakes use the reloaded certificate");
    open.expect("NOOP", 250);
    // SIGTERM: idle sessions are told, and the server exits 0.
    assert_eq!(srv.stop(), Some(0));
    let (code, text) = open.read();
    assert_eq!(code, 421, "{text}");
}

fn connection_limits(env: Env) {
    setup(&env);
    env.serve_config(&[("max_connections_per_ip", "2")]);
    let srv = env.start_server();
    let mut a = Client::connect(srv.smtp);
    let _b = Client::connect(srv.smtp);
    // The third from the same address is turned away with 421 and closed.
    let s = std::net::TcpStream::connect(srv.smtp).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut third = Client { stream: std::io::BufReader::new(s) };
    let (code, text) = third.read();
    assert_eq!(code, 421, "{text}");
    assert_eq!(third.read().0, 0, "closed");
    a.expect("QUIT", 221);
    drop(a);
    eventually("a free slot", || {
        let s = std::net::TcpStream::connect(srv.smtp).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        Client { stream: std::io::BufReader::new(s) }.read().0 == 220
    });
    assert_eq!(srv.stop(), Some(0));
}

fn parallel_deliveries_all_succeed(env: Env) {
    setup(&env);
    env.serve_config(&[]);
    let srv = env.start_server();
    let threads: Vec<_> = (0..12)
        .map(|t| {
            let addr = srv.smtp;
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                c.expect("EHLO load.example", 250);
                for n in 0..15 {
                    c.expect("MAIL FROM:<load@remote.example>", 250);
                    c.expect("RCPT TO:<bob@example.com>", 250);
                    c.expect("RCPT TO:<sales@example.com>", 250);
                    c.expect("DATA", 354);
                    c.send(format!("Subject: t{t} n{n}\r\n\r\nbody\r\n.\r\n").as_bytes());
                    let (code, text) = c.read();
                    assert_eq!(code, 250, "t{t} n{n}: {text}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(inbox(&env, "bob@example.com").len(), 180);
    assert_eq!(inbox(&env, "boss@example.com").len(), 180);
    assert_eq!(env.json(&["quota", "show", "bob@example.com"])[0]["messages"], 180);
    assert_eq!(srv.stop(), Some(0));
}

fn disk_full_is_a_temporary_failure(env: Env) {
    setup(&env);
    // bob's Maildir on a 64 KiB file system.
    let dir = env.maildir("bob@example.com");
    let Some(_mount) = crate::util::small_tmpfs(&dir, "64k", "smtp::disk_full_is_a_temporary_failure") else { return };
    mailctl::store::maildir::create(&dir).unwrap();
    env.serve_config(&[]);
    let srv = env.start_server();
    let mut c = Client::connect(srv.smtp);
    c.expect("EHLO x.example", 250);
    c.expect("MAIL FROM:<a@remote.example>", 250);
    c.expect("RCPT TO:<bob@example.com>", 250);
    c.expect("DATA", 354);
    let mut body = b"Subject: big\r\n\r\n".to_vec();
    for _ in 0..2000 {
        body.extend_from_slice(&[b'z'; 78]);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b".\r\n");
    c.send(&body);
    let (code, text) = c.read();
    assert_eq!(code, 452, "{text}");
    assert!(text.contains("4.3.1"), "{text}");
    for sub in ["new", "tmp", "cur"] {
        assert_eq!(std::fs::read_dir(dir.join(sub)).unwrap().count(), 0, "no partial file in {sub}/");
    }
    assert_eq!(env.json(&["quota", "show", "bob@example.com"])[0]["used_bytes"], 0);
    // A small message still fits, and the session goes on.
    c.expect("MAIL FROM:<a@remote.example>", 250);
    c.expect("RCPT TO:<bob@example.com>", 250);
    c.expect("DATA", 354);
    c.send(b"Subject: small\r\n\r\nok\r\n.\r\n");
    assert_eq!(c.read().0, 250);
    assert_eq!(srv.stop(), Some(0));
}

fn quota_holds_under_concurrency(env: Env) {
    setup(&env);
    env.ok(&["quota", "set", "bob@example.com", "20K"]);
    env.serve_config(&[]);
    let srv = env.start_server();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let addr = srv.smtp;
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                c.expect("EHLO load.example", 250);
                c.expect("MAIL FROM:<load@remote.example>", 250);
                c.expect("RCPT TO:<bob@example.com>", 250);
                c.expect("DATA", 354);
                let mut body = format!("Subject: t{t}\r\n\r\n").into_bytes();
                for _ in 0..120 {
                    body.extend_from_slice(&[b'q'; 98]);
                    body.extend_from_slice(b"\r\n");
                }
                body.extend_from_slice(b".\r\n");
                c.send(&body);
                c.read().0
            })
        })
        .collect();
    let codes: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let accepted = codes.iter().filter(|&&c| c == 250).count();
    assert!(accepted >= 1 && codes.iter().all(|&c| c == 250 || c == 452), "{codes:?}");
    let files = inbox(&env, "bob@example.com");
    assert_eq!(files.len(), accepted, "every refused delivery was undone");
    let on_disk: u64 = files.iter().map(|(_, d)| d.len() as u64).sum();
    let q = env.json(&["quota", "show", "bob@example.com"]);
    assert_eq!(q[0]["used_bytes"].as_u64().unwrap(), on_disk, "usage is exact");
    assert!(on_disk <= 20 * 1024, "the quota held: {on_disk} bytes");
    assert_eq!(srv.stop(), Some(0));
}

fn protocol_edges(env: Env) {
    setup(&env);
    env.ok(&["alias", "add", "postmaster@example.com", "bob@example.com"]);
    env.serve_config(&[]);
    let srv = env.start_server();
    let mut c = Client::connect(srv.smtp);
    c.expect("EHLO x.example", 250);
    // A long line in a pipeline costs only itself.
    c.send(b"MAIL FROM:<a@remote.example>\r\nRCPT TO:<bob@example.com>\r\nNOOP ");
    c.send(&vec![b'X'; 5000]);
    c.send(b"\r\nDATA\r\n");
    assert_eq!(c.read().0, 250);
    assert_eq!(c.read().0, 250);
    assert_eq!(c.read().0, 500);
    assert_eq!(c.read().0, 354, "DATA after the long line is answered");
    c.send(b"Subject: ok\r\n\r\nok\r\n.\r\n");
    assert_eq!(c.read().0, 250);
    // <Postmaster> without a domain is accepted (RFC 5321 section 4.5.1).
    c.expect("MAIL FROM:<a@remote.example>", 250);
    c.expect("RCPT TO:<Postmaster>", 250);
    c.expect("RSET", 250);
    // Harvesting addresses ends the session.
    c.expect("MAIL FROM:<a@remote.example>", 250);
    let mut last = (0, String::new());
    for i in 0..30 {
        last = c.cmd(&format!("RCPT TO:<guess{i}@example.com>"));
        if last.0 == 421 {
            break;
        }
        assert_eq!(last.0, 550);
    }
    assert_eq!(last.0, 421, "{}", last.1);
    assert_eq!(srv.stop(), Some(0));
}

fn startup_undoes_unacknowledged_deliveries(env: Env) {
    setup(&env);
    // What a crash between linking and committing leaves: tmp/ and new/ twins, no index row.
    let dir = env.maildir("bob@example.com");
    let name = "1700000000.M1P1Q1.host,S=10";
    std::fs::write(dir.join("tmp").join(name), "crashed\r\n").unwrap();
    std::fs::hard_link(dir.join("tmp").join(name), dir.join("new").join(name)).unwrap();
    // And a message some other tool put in new/ (no twin in tmp/): left alone.
    std::fs::write(dir.join("new/1700000001.M2P2Q2.other"), "keep\r\n").unwrap();
    env.serve_config(&[]);
    let srv = env.start_server();
    eventually("recovery", || srv.log().contains("recovered"));
    assert!(!dir.join("new").join(name).exists(), "unacknowledged message removed");
    assert!(!dir.join("tmp").join(name).exists());
    assert!(dir.join("new/1700000001.M2P2Q2.other").exists());
    assert_eq!(srv.stop(), Some(0));
}

fn memory_budget_refuses_temporarily(env: Env) {
    setup(&env);
    env.serve_config(&[("message_memory_limit", "128K"), ("message_size_limit", "4M")]);
    let srv = env.start_server();
    let mut c = Client::connect(srv.smtp);
    c.expect("EHLO x.example", 250);
    c.expect("MAIL FROM:<a@remote.example>", 250);
    c.expect("RCPT TO:<boss@example.com>", 250);
    c.expect("DATA", 354);
    let mut big = Vec::new();
    for _ in 0..3000 {
        big.extend_from_slice(&[b'm'; 98]);
        big.extend_from_slice(b"\r\n");
    }
    let mut data = big.clone();
    data.extend_from_slice(b".\r\n");
    c.send(&data);
    let (code, text) = c.read();
    assert_eq!((code, text.contains("4.3.1")), (452, true), "{text}");
    // BDAT the same.
    c.expect("MAIL FROM:<a@remote.example>", 250);
    c.expect("RCPT TO:<boss@example.com>", 250);
    c.send(format!("BDAT {} LAST\r\n", big.len()).as_bytes());
    c.send(&big);
    let (code, text) = c.read();
    assert_eq!(code, 452, "{text}");
    // The budget is given back: a small message goes through.
    c.expect("MAIL FROM:<a@remote.example>", 250);
    c.expect("RCPT TO:<boss@example.com>", 250);
    c.expect("DATA", 354);
    c.send(b"Subject: small\r\n\r\nfits\r\n.\r\n");
    assert_eq!(c.read().0, 250);
    assert_eq!(inbox(&env, "boss@example.com").len(), 1);
    assert_eq!(srv.stop(), Some(0));
}

fn full_recipient_is_bounced_not_the_rest(env: Env) {
    setup(&env);
    env.create("sender@example.com", "vip");
    env.ok(&["quota", "set", "bob@example.com", "2K"]);
    env.serve_config(&[]);
    let srv = env.start_server();
    let mut body = b"Subject: for two\r\n\r\n".to_vec();
    for _ in 0..40 {
        body.extend_from_slice(&[b'w'; 98]);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b".\r\n");
    for (sender, local_sender) in [("sender@example.com", true), ("far@remote.example", false)] {
        let mut c = Client::connect(srv.smtp);
        c.expect("EHLO x.example", 250);
        c.expect(&format!("MAIL FROM:<{sender}>"), 250);
        c.expect("RCPT TO:<bob@example.com>", 250);
        c.expect("RCPT TO:<boss@example.com>", 250);
        c.expect("DATA", 354);
        c.send(&body);
        let (code, text) = c.read();
        assert_eq!(code, 250, "{text}");
        assert!(text.contains("1 recipient(s) bounced"), "{text}");
        if local_sender {
            let dsn = inbox(&env, "sender@example.com");
            assert_eq!(dsn.len(), 1, "the local sender got a DSN");
            let text = String::from_utf8_lossy(&dsn[0].1).to_string();
            assert!(text.starts_with("Return-Path: <>\r\n"), "from the null sender");
            assert!(text.contains("multipart/report; report-type=delivery-status"), "{text}");
            assert!(
                text.contains("Final-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.2.2"),
                "{text}"
            );
            assert!(text.contains("Subject: for two") && !text.contains("wwww"), "original headers only");
        } else {
            let spooled = spool_files(&env);
            let dsn = spooled
                .iter()
                .map(|p| mailctl::store::spool::read(p).unwrap())
                .find(|(e, _)| e.from.is_empty())
                .expect("a DSN in the spool");
            assert_eq!(dsn.0.recipients, vec!["far@remote.example".to_string()]);
        }
    }
    assert!(inbox(&env, "bob@example.com").is_empty());
    assert_eq!(inbox(&env, "boss@example.com").len(), 2, "the others got it");
    // A message from the null sender is never bounced.
    let mut c = Client::connect(srv.smtp);
    c.expect("EHLO x.example", 250);
    c.expect("MAIL FROM:<>", 250);
    c.expect("RCPT TO:<bob@example.com>", 250);
    c.expect("RCPT TO:<boss@example.com>", 250);
    c.expect("DATA", 354);
    c.send(&body);
    assert_eq!(c.read().0, 250);
    assert_eq!(spool_files(&env).len(), 1, "no DSN for a DSN");
    assert_eq!(srv.stop(), Some(0));
}

store_tests!(
    full_recipient_is_bounced_not_the_rest,
    memory_budget_refuses_temporarily,
    quota_holds_under_concurrency,
    protocol_edges,
    startup_undoes_unacknowledged_deliveries,
    disk_full_is_a_temporary_failure,
    parallel_deliveries_all_succeed,
    connection_limits,
    inbound_delivery,
    no_relay_and_unknown_users,
    submission_rules,
    swaks_and_curl,
    smuggling_is_impossible,
    starttls_injection_discarded,
    limits_and_bad_input,
    bdat_chunking,
    lifecycle
);

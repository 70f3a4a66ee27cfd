//! The delivery worker: two `mailctl serve` instances on loopback, joined by a transport
//! route. Delivery with DKIM, a bounce after 5xx, retries after connection failures, and
//! hold/release/flush while the server runs.

use crate::server::{Client, Server, inbox, python_helper};
use crate::util::{Backend, Env, eventually};

fn submit(srv: &Server, to: &str, subject: &str) {
    let mut c = Client::connect(srv.submission);
    c.expect("EHLO x.example", 250);
    c.expect("AUTH PLAIN AGJvYkBleGFtcGxlLmNvbQBwYXNzd29yZDEyMw==", 235);
    c.expect("MAIL FROM:<bob@example.com>", 250);
    c.expect(&format!("RCPT TO:<{to}>"), 250);
    c.expect("DATA", 354);
    c.send(
        format!("From: bob@example.com\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhello {subject}\r\n.\r\n").as_bytes(),
    );
    assert_eq!(c.read().0, 250);
}

fn queue_len(env: &Env) -> usize {
    env.json(&["queue", "list"]).as_array().unwrap().len()
}

fn outbound_delivery(env: Env) {
    // The receiving side: example.net with carol.
    let far = Env::new(Backend::Sqlite, "outbound_delivery_far").unwrap();
    far.init("example.net");
    far.create("carol@example.net", "vip");
    far.serve_config(&[]);
    let far_srv = far.start_server();

    env.create("bob@example.com", "vip");
    env.ok(&["dkim", "generate", "--domain", "example.com", "--selector", "s1"]);
    env.ok(&["transport", "add", "example.net", &format!("[127.0.0.1]:{}", far_srv.smtp.port())]);
    env.serve_config(&[("dev_mode", "true"), ("outbound_delivery", "true")]);
    let srv = env.start_server();

    // Delivered, signed, and gone from the queue.
    submit(&srv, "carol@example.net", "first");
    eventually("delivery to carol", || inbox(&far, "carol@example.net").len() == 1);
    let text = String::from_utf8_lossy(&inbox(&far, "carol@example.net")[0].1).to_string();
    assert!(text.contains("DKIM-Signature: v=1; a=rsa-sha256; s=s1; d=example.com"), "{text}");
    assert!(text.contains("Subject: first"), "{text}");
    // An independent verifier accepts the signature as it arrived.
    if std::process::Command::new("python3").args(["-c", "import dkim"]).status().is_ok_and(|s| s.success()) {
        let records = env.path().join("records.json");
        std::fs::write(&records, env.ok(&["--json", "dkim", "show", "--domain", "example.com"])).unwrap();
        let got = env.path().join("received.eml");
        std::fs::write(&got, &inbox(&far, "carol@example.net")[0].1).unwrap();
        let out = crate::server::python(
            "import dkim, json, sys\nrecs = {r['name'] + '.': r['value'].encode() for r in json.load(open(sys.argv[1]))}\n\
             print(dkim.verify(open(sys.argv[2], 'rb').read(), dnsfunc=lambda n, timeout=5: recs.get(n.decode())))",
            &[records.to_str().unwrap(), got.to_str().unwrap()],
        );
        assert_eq!(out.trim(), "True", "dkimpy verifies the delivered message");
    }
    eventually("an empty queue", || queue_len(&env) == 0);

    // 5xx: the recipient fails at once and bob gets a DSN.
    submit(&srv, "nobody@example.net", "second");
    eventually("the DSN", || inbox(&env, "bob@example.com").len() == 1);
    let dsn = String::from_utf8_lossy(&inbox(&env, "bob@example.com")[0].1).to_string();
    assert!(dsn.contains("multipart/report; report-type=delivery-status"), "{dsn}");
    assert!(dsn.contains("Final-Recipient: rfc822; nobody@example.net") && dsn.contains("550"), "{dsn}");
    assert!(dsn.contains("Subject: second"), "the original headers are attached: {dsn}");
    assert!(dsn.contains("Return-Path: <>"), "from the null sender: {dsn}");
    eventually("an empty queue", || queue_len(&env) == 0);

    // A null-sender message that fails is dropped, never bounced (no DSN loops).
    env.ok(&["alias", "add", "fwd@example.com", "nobody@example.net"]);
    let mut c = Client::connect(srv.smtp);
    c.expect("EHLO far.example", 250);
    c.expect("MAIL FROM:<>", 250);
    c.expect("RCPT TO:<fwd@example.com>", 250);
    c.expect("DATA", 354);
    c.send(b"From: MAILER-DAEMON@far.example\r\nSubject: a bounce\r\n\r\nbody\r\n.\r\n");
    assert_eq!(c.read().0, 250);
    eventually("the null-sender message to fail", || queue_len(&env) == 0);
    srv.queue_settled();
    assert_eq!(inbox(&env, "bob@example.com").len(), 1, "no DSN for a null-sender message");
    assert_eq!(srv.log().matches(r#"rcpt="nobody@example.net" status="failed""#).count(), 2, "{}", srv.log());

    // A next hop that refuses connections: deferred, retried later, nothing lost.
    env.ok(&["transport", "add", "example.net", "[127.0.0.1]:1", "--replace"]);
    submit(&srv, "carol@example.net", "third");
    eventually("a deferral", || {
        let q = env.json(&["queue", "list", "--deferred"]);
        q.as_array().unwrap().len() == 1 && q[0]["recipients"][0]["status"] == "deferred"
    });
    let q = env.json(&["queue", "list"]);
    let id = q[0]["id"].as_str().unwrap().to_string();
    assert!(q[0]["next_attempt"].as_i64().unwrap() >= q[0]["received_at"].as_i64().unwrap() + 290, "{q}");
    // Hold it, fix the route, flush: a held message stays.
    env.ok(&["queue", "hold", &id]);
    env.ok(&["transport", "add", "example.net", &format!("[127.0.0.1]:{}", far_srv.smtp.port()), "--replace"]);
    env.ok(&["queue", "flush"]);
    srv.queue_settled();
    assert_eq!(inbox(&far, "carol@example.net").len(), 1, "held mail is not delivered");
    // Released: delivered at once, exactly once.
    env.ok(&["queue", "release", &id]);
    eventually("the released delivery", || inbox(&far, "carol@example.net").len() == 2);
    eventually("an empty queue", || queue_len(&env) == 0);
    srv.queue_settled();
    assert_eq!(inbox(&far, "carol@example.net").len(), 2, "no duplicate");
    // A relayhost takes what no transport route claims (re-read on SIGHUP).
    env.ok(&["transport", "remove", "example.net"]);
    env.ok(&["config", "set", "relayhost", &format!("[127.0.0.1]:{}", far_srv.smtp.port())]);
    srv.reload();
    submit(&srv, "carol@example.net", "fourth");
    eventually("delivery through the relayhost", || inbox(&far, "carol@example.net").len() == 3);
    let shown = far_srv.log();
    assert!(!shown.contains("panicked"), "{shown}");
    assert!(!srv.log().contains("panicked"), "{}", srv.log());
}

store_tests!(outbound_delivery);

/// A scripted SMTP receiver on loopback (Python): prints its port, appends each message it
/// accepts to a file. Modes: `defer-once` (the first RCPT gets 451), `inject` (offers STARTTLS
/// and sends a forged reply right after its 220), `slow` (waits 3 s before answering DATA).
const RECEIVER: &str = r#"
import socket, sys, threading, time
mode, out = sys.argv[1], sys.argv[2]
state = {'rcpts': 0}
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(16)
print(srv.getsockname()[1], flush=True)
def handle(c):
    f = c.makefile('rb')
    def say(s): c.sendall(s.encode())
    with open(out + '.log', 'a') as l: l.write('CONNECT\n')
    say('220 receiver ESMTP\r\n')
    while True:
        line = f.readline()
        if not line: return
        cmd = line.decode(errors='replace').strip().upper()
        if cmd.startswith('EHLO'):
            say('250-receiver\r\n' + ('250-STARTTLS\r\n' if mode == 'inject' else '') + '250 8BITMIME\r\n')
        elif cmd == 'STARTTLS':
            say('220 go ahead\r\n250 forged reply\r\n')
            # Pacing, not a wait: the client meets the forged reply before the connection ends.
            time.sleep(1); f.close(); c.shutdown(socket.SHUT_RDWR); c.close(); return
        elif cmd.startswith('MAIL'):
            with open(out + '.log', 'a') as l: l.write('MAIL\n')
            say('250 ok\r\n')
        elif cmd.startswith('RCPT'):
            state['rcpts'] += 1
            say('451 4.3.0 try later\r\n' if mode == 'defer-once' and state['rcpts'] == 1 else '250 ok\r\n')
        elif cmd == 'DATA':
            say('354 go\r\n')
            data = b''
            while not data.endswith(b'\r\n.\r\n'):
                chunk = f.readline()
                if not chunk: return
                data += chunk
            if mode == 'slow':
                with open(out + '.log', 'a') as l: l.write('DATA\n')
                # Pacing, not a wait: the test stops the server while this delivery is under way.
                time.sleep(3)
            with open(out, 'ab') as o: o.write(data)
            say('250 queued\r\n')
        elif cmd == 'QUIT':
            say('221 bye\r\n'); return
        else:
            say('250 ok\r\n')
deadline = time.time() + 120
srv.settimeout(1)
while time.time() < deadline:
    try:
        c, _ = srv.accept()
    except socket.timeout:
        continue
    threading.Thread(target=handle, args=(c,), daemon=True).start()
"#;

struct Receiver {
    child: std::process::Child,
    port: u16,
    out: std::path::PathBuf,
}

impl Receiver {
    fn start(env: &Env, mode: &str) -> Receiver {
        use std::io::BufRead;
        let out = env.path().join(format!("received-{mode}"));
        let mut child = std::process::Command::new("python3")
            .args(["-c", RECEIVER, mode, out.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        Receiver { child, port: line.trim().parse().unwrap(), out }
    }
    fn messages(&self) -> usize {
        std::fs::read_to_string(&self.out).map(|s| s.matches("\r\n.\r\n").count()).unwrap_or(0)
    }
    fn log(&self) -> String {
        std::fs::read_to_string(self.out.with_extension("log")).unwrap_or_default()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn outbound_retries_and_faults(env: Env) {
    env.create("bob@example.com", "vip");
    let defer = Receiver::start(&env, "defer-once");
    let inject = Receiver::start(&env, "inject");
    let slow = Receiver::start(&env, "slow");
    env.ok(&["transport", "add", "defer.example", &format!("[127.0.0.1]:{}", defer.port)]);
    env.ok(&["transport", "add", "inject.example", &format!("[127.0.0.1]:{}", inject.port)]);
    env.ok(&["transport", "add", "slow.example", &format!("[127.0.0.1]:{}", slow.port)]);
    env.ok(&["transport", "add", "down.example", "[127.0.0.1]:1"]);
    env.serve_config(&[("dev_mode", "true"), ("outbound_delivery", "true"), ("queue_delay_warning", "2")]);
    let srv = env.start_server();

    // 451 at RCPT: deferred with the reply kept, delivered on the retry.
    submit(&srv, "x@defer.example", "defer");
    eventually("the 451 deferral", || {
        let q = env.json(&["queue", "list"]);
        q.as_array().unwrap().len() == 1 && q[0]["recipients"][0]["status"] == "deferred"
    });
    let q = env.json(&["queue", "list"]);
    assert!(q[0]["last_error"].as_str().unwrap().contains("451"), "{q}");
    env.ok(&["queue", "flush"]);
    eventually("the retry", || defer.messages() == 1 && queue_len(&env) == 0);
    // The next messages to the same destination reuse the open connection.
    for (i, subject) in ["again 1", "again 2"].iter().enumerate() {
        submit(&srv, "y@defer.example", subject);
        eventually("another delivery", || defer.messages() == i + 2);
    }
    assert_eq!(defer.log().matches("CONNECT").count(), 1, "one connection for four attempts: {}", defer.log());

    // A forged reply after STARTTLS: the TLS handshake fails, nothing is sent in clear text.
    submit(&srv, "x@inject.example", "inject");
    let tls_failed = || {
        let q = env.json(&["queue", "list", "--to", "inject.example"]);
        q.as_array().unwrap().len() == 1 && q[0]["attempts"].as_i64().unwrap() >= 1
    };
    eventually("the failed STARTTLS attempt to be recorded", tls_failed);
    assert_eq!(inject.messages(), 0);
    assert!(!inject.log().contains("MAIL"), "no envelope after the forged STARTTLS reply");
    env.ok(&["queue", "delete", "--all"]);

    // A late message: one delay DSN to the sender, and it stays queued.
    submit(&srv, "x@down.example", "late");
    eventually("the first deferral", || env.json(&["queue", "list", "--deferred"]).as_array().unwrap().len() == 1);
    let received = env.json(&["queue", "list"])[0]["received_at"].as_i64().unwrap();
    eventually("the message to be queue_delay_warning (2 s) old", || mailctl::store::now() >= received + 2);
    env.ok(&["queue", "flush"]);
    let late_dsns = || -> Vec<String> {
        inbox(&env, "bob@example.com")
            .into_iter()
            .map(|(_, m)| String::from_utf8_lossy(&m).into_owned())
            .filter(|m| m.contains("Subject: late"))
            .collect()
    };
    eventually("the delay DSN", || late_dsns().len() == 1);
    let dsn = late_dsns().remove(0);
    assert!(dsn.contains("Subject: Delayed Mail") && dsn.contains("Action: delayed"), "{dsn}");
    env.ok(&["queue", "flush"]);
    srv.queue_settled();
    assert_eq!(late_dsns().len(), 1, "only one delay warning");
    assert_eq!(queue_len(&env), 1);
    env.ok(&["queue", "delete", "--all"]);

    // SIGTERM in the middle of a delivery: the server waits for it and records it, so the
    // restarted server does not send it again.
    submit(&srv, "x@slow.example", "slow");
    eventually("DATA at the slow receiver", || slow.log().contains("DATA"));
    assert_eq!(srv.stop(), Some(0));
    assert_eq!(slow.messages(), 1);
    let srv2 = env.start_server();
    srv2.queue_settled();
    assert_eq!(queue_len(&env), 0);
    assert_eq!(slow.messages(), 1, "no duplicate after the restart");
    drop(srv2);
}

store_tests!(outbound_retries_and_faults);

/// A small authoritative DNS responder (dnspython) on a loopback UDP port: MX and A records
/// for mx-test.example, NXDOMAIN, a null MX and SERVFAIL.
const DNS: &str = r#"
import socket, sys, time
import dns.message, dns.rrset, dns.rcode, dns.rdatatype, dns.flags
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
s.settimeout(1)
deadline = time.time() + 120
while time.time() < deadline:
    try:
        data, peer = s.recvfrom(4096)
    except socket.timeout:
        continue
    q = dns.message.from_wire(data)
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    name = q.question[0].name.to_text().lower()
    t = dns.rdatatype.to_text(q.question[0].rdtype)
    if name == 'mx-test.example.' and t == 'MX':
        r.answer.append(dns.rrset.from_text(name, 60, 'IN', 'MX', '10 mail.mx-test.example.'))
    elif name == 'mail.mx-test.example.' and t == 'A':
        r.answer.append(dns.rrset.from_text(name, 60, 'IN', 'A', '127.0.0.1'))
    elif name == 'nullmx.example.' and t == 'MX':
        r.answer.append(dns.rrset.from_text(name, 60, 'IN', 'MX', '0 .'))
    elif name.endswith('servfail.example.'):
        r.set_rcode(dns.rcode.SERVFAIL)
    elif name in ('mx-test.example.', 'mail.mx-test.example.', 'nullmx.example.'):
        pass
    else:
        r.set_rcode(dns.rcode.NXDOMAIN)
    s.sendto(r.to_wire(), peer)
"#;

fn outbound_dns(env: Env) {
    if std::process::Command::new("python3")
        .args(["-c", "import dns.message"])
        .status()
        .map(|s| !s.success())
        .unwrap_or(true)
    {
        if crate::util::peers_required() {
            panic!("outbound_dns: Python's dnspython is required (MAILCTL_TEST_PEERS=required)");
        }
        crate::util::skip("outbound_dns", "Python's dnspython is not installed");
        return;
    }
    let (_dns, line) = python_helper(DNS, [""; 0]);
    let dns_port: u16 = line.parse().unwrap();

    let far = Env::new(Backend::Sqlite, "outbound_dns_far").unwrap();
    far.init("mx-test.example");
    far.create("carol@mx-test.example", "vip");
    far.serve_config(&[]);
    let far_srv = far.start_server();

    env.create("bob@example.com", "vip");
    // Unbracketed: the MX of the host, at this port.
    env.ok(&["transport", "add", "mx-test.example", &format!("mx-test.example:{}", far_srv.smtp.port())]);
    env.serve_config(&[
        ("dev_mode", "true"),
        ("outbound_delivery", "true"),
        ("dns_resolver", &format!("127.0.0.1:{dns_port}")),
        ("queue_delay_warning", "0"),
    ]);
    let srv = env.start_server();
    submit(&srv, "carol@mx-test.example", "via mx");
    eventually("delivery through the MX", || inbox(&far, "carol@mx-test.example").len() == 1);
    // NXDOMAIN and a null MX are permanent: bounced at once.
    submit(&srv, "x@nxdomain.example", "nx");
    submit(&srv, "x@nullmx.example", "null");
    eventually("two DSNs", || inbox(&env, "bob@example.com").len() == 2);
    let dsns: String =
        inbox(&env, "bob@example.com").into_iter().map(|(_, m)| String::from_utf8_lossy(&m).into_owned()).collect();
    assert!(dsns.contains("no such domain") && dsns.contains("null MX"), "{dsns}");
    // A DNS failure is temporary.
    submit(&srv, "x@servfail.example", "sf");
    eventually("a deferral", || {
        let q = env.json(&["queue", "list"]);
        q.as_array().unwrap().len() == 1 && q[0]["recipients"][0]["status"] == "deferred"
    });
}

store_tests!(outbound_dns);

/// DNS for the MTA-STS test: mx-test.example's MX, its host, `_mta-sts` TXT and the policy
/// host `mta-sts.mx-test.example` on the address given as argument.
const DNS_STS: &str = r#"
import socket, sys, time
import dns.message, dns.rrset, dns.rcode, dns.rdatatype, dns.flags
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
s.settimeout(1)
records = {
    ('mx-test.example.', 'MX'): '10 mail.mx-test.example.',
    ('mail.mx-test.example.', 'A'): '127.0.0.1',
    ('mta-sts.mx-test.example.', 'A'): sys.argv[1],
    ('_mta-sts.mx-test.example.', 'TXT'): '"v=STSv1; id=20261204"',
}
# argv[2], when given, is a file whose text, once it exists, is the record's id.
def policy_id():
    try:
        return '"v=STSv1; id=%s"' % open(sys.argv[2]).read().strip()
    except (IndexError, OSError):
        return records[('_mta-sts.mx-test.example.', 'TXT')]
deadline = time.time() + 300
while time.time() < deadline:
    try:
        data, peer = s.recvfrom(4096)
    except socket.timeout:
        continue
    q = dns.message.from_wire(data)
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    name = q.question[0].name.to_text().lower()
    t = dns.rdatatype.to_text(q.question[0].rdtype)
    if (name, t) == ('_mta-sts.mx-test.example.', 'TXT'):
        r.answer.append(dns.rrset.from_text(name, 60, 'IN', t, policy_id()))
    elif (name, t) in records:
        r.answer.append(dns.rrset.from_text(name, 60, 'IN', t, records[(name, t)]))
    elif not any(n == name for n, _ in records):
        r.set_rcode(dns.rcode.NXDOMAIN)
    s.sendto(r.to_wire(), peer)
"#;

/// Submit over STARTTLS with MAIL FROM … REQUIRETLS (Python's smtplib).
fn submit_requiring_tls(srv: &Server, to: &str, subject: &str) {
    crate::server::python(
        "import smtplib, ssl, sys\n\
         s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)\n\
         s.starttls(context=ssl._create_unverified_context())\n\
         s.login('bob@example.com', 'password123')\n\
         msg = f'From: bob@example.com\\r\\nTo: {sys.argv[2]}\\r\\nSubject: {sys.argv[3]}\\r\\n\\r\\nsecret\\r\\n'\n\
         s.sendmail('bob@example.com', [sys.argv[2]], msg.encode(), mail_options=['REQUIRETLS'])\n\
         s.quit()",
        &[&srv.submission.port().to_string(), to, subject],
    );
}

/// Whether the MTA-STS policy server may bind `ip`:443; else the test skips (or fails when
/// peers are required).
fn policy_port_free(test: &str, ip: &str) -> bool {
    if std::net::TcpListener::bind((ip, 443)).is_ok() {
        return true;
    }
    if crate::util::peers_required() {
        panic!("{test}: cannot bind {ip}:443 (run as root, or free the port)");
    }
    crate::util::skip(test, &format!("cannot bind {ip}:443 for the policy server"));
    false
}

/// The receiving mailctl of the MTA-STS tests: `domain` with the account `who`, mail host
/// `hostname`, publishing its policy in `mode` on `policy_ip`:443 under the certificate
/// `pki/leaf.pem` (made by [`test_ca`]).
fn mta_sts_receiver(
    name: &str,
    domain: &str,
    who: &str,
    hostname: &str,
    policy_ip: &str,
    mode: &str,
    pki: &std::path::Path,
) -> (Env, Server) {
    let far = Env::new(Backend::Sqlite, name).unwrap();
    far.init(domain);
    far.create(who, "vip");
    far.serve_config(&[
        ("hostname", hostname),
        ("https_listen", &format!("{policy_ip}:443")),
        ("mta_sts_mode", mode),
        ("tls_cert", pki.join("leaf.pem").to_str().unwrap()),
        ("tls_key", pki.join("leaf.key").to_str().unwrap()),
    ]);
    let srv = far.start_server();
    (far, srv)
}

/// A test CA (and, with `leaf`, a certificate it signs for these names) made by openssl.
fn test_ca(dir: &std::path::Path, name: &str, leaf: Option<&[&str]>) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl").args(args).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let (key, pem, subj) = (format!("{name}.key"), format!("{name}.pem"), format!("/CN={name} test CA"));
    let mut ca = vec!["req", "-x509", "-days", "2", "-subj", &subj, "-keyout", &key, "-out", &pem];
    ca.extend(ec);
    ca.extend(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
    run(&ca);
    if let Some(names) = leaf {
        let san: Vec<String> = names.iter().map(|n| format!("DNS:{n}")).collect();
        std::fs::write(dir.join("san.ext"), format!("subjectAltName={}\n", san.join(","))).unwrap();
        let subj = format!("/CN={}", names[0]);
        let mut req = vec!["req", "-subj", &subj, "-keyout", "leaf.key", "-out", "leaf.csr"];
        req.extend(ec);
        run(&req);
        run(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            &pem,
            "-CAkey",
            &key,
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "leaf.pem",
            "-extfile",
            "san.ext",
        ]);
    }
}

/// MTA-STS enforce (RFC 8461) on outbound mail: the receiving mailctl publishes an enforce
/// policy on https://mta-sts.mx-test.example (127.0.0.43:443, or .44 for PostgreSQL's run, so
/// the two can run at once) with a certificate from a test
/// CA the sender trusts through `tls_extra_roots`. Delivered over verified TLS; after a
/// restart that trusts another CA, the kept policy still applies and the message is deferred
/// with the reason, nothing sent; a route pinned to `--tls encrypt` overrides the policy.
fn outbound_mta_sts(env: Env) {
    let test = "outbound_mta_sts";
    if crate::server::skip_without("openssl", test) {
        return;
    }
    if std::process::Command::new("python3").args(["-c", "import dns.message"]).status().map_or(true, |s| !s.success())
    {
        if crate::util::peers_required() {
            panic!("{test}: Python's dnspython is required (MAILCTL_TEST_PEERS=required)");
        }
        crate::util::skip(test, "Python's dnspython is not installed");
        return;
    }
    // The policy is fetched from port 443: this test needs to bind it (on its own address).
    let policy_ip = if env.db_url().starts_with("postgres") { "127.0.0.44" } else { "127.0.0.43" };
    if !policy_port_free(test, policy_ip) {
        return;
    }
    let (_dns, line) = python_helper(DNS_STS, [std::path::Path::new(policy_ip), &env.path().join("sts-id")]);
    let dns_port: u16 = line.parse().unwrap();

    let pki = env.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    test_ca(&pki, "good", Some(&["mail.mx-test.example", "mta-sts.mx-test.example"]));
    test_ca(&pki, "other", None);

    let (far, far_srv) = mta_sts_receiver(
        "outbound_mta_sts_far",
        "mx-test.example",
        "carol@mx-test.example",
        "mail.mx-test.example",
        policy_ip,
        "enforce",
        &pki,
    );

    env.create("bob@example.com", "vip");
    // Unbracketed: the domain's own MX hosts (at this port), so its MTA-STS policy applies.
    let route = format!("mx-test.example:{}", far_srv.smtp.port());
    env.ok(&["transport", "add", "mx-test.example", &route]);
    let sender_config = |ca: &str| {
        env.serve_config(&[
            ("dev_mode", "true"),
            ("outbound_delivery", "true"),
            ("dns_resolver", &format!("127.0.0.1:{dns_port}")),
            ("tls_extra_roots", pki.join(ca).to_str().unwrap()),
            ("queue_delay_warning", "0"),
        ])
    };
    sender_config("good.pem");
    let srv = env.start_server();
    submit(&srv, "carol@mx-test.example", "over verified TLS");
    eventually("delivery under MTA-STS enforce", || inbox(&far, "carol@mx-test.example").len() == 1);
    // The TLS record is written just after the delivery: waited for, not raced.
    eventually("the TLS record", || srv.log().contains("certificate verified (policy: MTA-STS enforce)"));
    let log = srv.log();
    assert!(log.contains("MTA-STS policy fetched") && log.contains("mode=\"enforce\""), "{log}");
    // REQUIRETLS (RFC 8689): only over TLS; carried to a host that offers it over verified TLS.
    let mut c = Client::connect(srv.submission);
    c.expect("EHLO x.example", 250);
    c.expect("AUTH PLAIN AGJvYkBleGFtcGxlLmNvbQBwYXNzd29yZDEyMw==", 235);
    let text = c.expect("MAIL FROM:<bob@example.com> REQUIRETLS", 530);
    assert!(text.contains("5.7.10"), "{text}");
    submit_requiring_tls(&srv, "carol@mx-test.example", "sealed");
    eventually("the REQUIRETLS delivery", || inbox(&far, "carol@mx-test.example").len() == 2);
    eventually("the REQUIRETLS record", || srv.log().contains("certificate verified (policy: REQUIRETLS)"));
    assert_eq!(srv.stop(), Some(0));

    // Restarted trusting another CA, and the record's id changed: the fetch of the new policy
    // fails (its certificate is not trusted now), so the kept policy still enforces; the MX
    // host's certificate no longer verifies either, and nothing is sent in clear.
    std::fs::write(env.path().join("sts-id"), "20261205").unwrap();
    sender_config("other.pem");
    let srv = env.start_server();
    submit(&srv, "carol@mx-test.example", "must wait");
    eventually("a deferral", || {
        let q = env.json(&["queue", "list"]);
        q.as_array().unwrap().len() == 1 && q[0]["recipients"][0]["status"] == "deferred"
    });
    let q = env.json(&["queue", "list"]);
    let why = q[0]["recipients"][0]["last_error"].as_str().unwrap_or_default().to_string();
    assert!(why.contains("does not verify") && why.contains("MTA-STS enforce requires it"), "{why}");
    let log = srv.log();
    assert!(!log.contains("MTA-STS policy fetched"), "{log}");
    assert!(log.contains("MTA-STS policy fetch failed") && log.contains("kept=true"), "{log}");
    let id = q[0]["id"].as_str().unwrap().to_string();
    let shown = env.ok(&["queue", "show", &id]);
    assert!(shown.contains("mail.mx-test.example: the certificate does not verify"), "{shown}");
    assert_eq!(inbox(&far, "carol@mx-test.example").len(), 2);

    // REQUIRETLS to a host without STARTTLS: returned to the sender, nothing sent.
    let plain = Receiver::start(&env, "plain");
    env.ok(&["transport", "add", "plain.example", &format!("[127.0.0.1]:{}", plain.port)]);
    submit_requiring_tls(&srv, "x@plain.example", "sealed too");
    eventually("the REQUIRETLS bounce", || {
        inbox(&env, "bob@example.com")
            .iter()
            .any(|(_, m)| String::from_utf8_lossy(m).contains("REQUIRETLS could not be met"))
    });
    assert!(!plain.log().contains("MAIL"), "nothing was sent to the host without TLS");

    // STARTTLS stripped on the way (a scripted receiver answers at the policy's MX name):
    // deferred with the reason, nothing sent in clear.
    env.ok(&["transport", "add", "mx-test.example", &format!("mx-test.example:{}", plain.port), "--replace"]);
    submit(&srv, "carol@mx-test.example", "stripped");
    eventually("the deferral without STARTTLS", || {
        env.json(&["queue", "list"]).as_array().unwrap().iter().any(|m| {
            m["recipients"][0]["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("offers no STARTTLS; MTA-STS enforce requires TLS: nothing sent in clear"))
        })
    });
    assert!(!plain.log().contains("MAIL"), "nothing was sent in clear");

    // A route pinned to `encrypt` overrides the policy: TLS without verification.
    env.ok(&["transport", "add", "mx-test.example", &route, "--tls", "encrypt", "--replace"]);
    env.ok(&["queue", "flush"]);
    eventually("delivery under transport --tls encrypt", || inbox(&far, "carol@mx-test.example").len() == 4);
    eventually("the record of an unverified certificate", || srv.log().contains("certificate not verified"));
    // And `--tls none` never starts TLS.
    env.ok(&["transport", "add", "mx-test.example", &route, "--tls", "none", "--replace"]);
    submit(&srv, "carol@mx-test.example", "in clear, as pinned");
    eventually("delivery under transport --tls none", || inbox(&far, "carol@mx-test.example").len() == 5);
    eventually("the record of no TLS", || srv.log().contains("no TLS (policy: transport --tls none)"));
    let list = env.json(&["transport", "list"]);
    assert_eq!(list[0]["tls"], "none", "{list}");
    // The day's results per destination and MX host, as a TLS report would carry them.
    let rows = env.json(&["report", "tls", "--outbound"]);
    let has = |mx: &str, policy: &str, result: &str| {
        rows.as_array().unwrap().iter().any(|r| {
            r["mx_host"] == mx && r["policy"] == policy && r["result"] == result && r["sessions"].as_i64() >= Some(1)
        })
    };
    assert!(has("mail.mx-test.example", "sts", "success"), "{rows}");
    assert!(has("mail.mx-test.example", "sts", "certificate-not-trusted"), "{rows}");
    assert!(has("mail.mx-test.example", "sts", "starttls-not-supported"), "{rows}");
    assert!(has("127.0.0.1", "no-policy-found", "starttls-not-supported"), "{rows}");
    let one = env.json(&["report", "tls", "--outbound", "--domain", "plain.example"]);
    assert!(one.as_array().unwrap().iter().all(|r| r["domain"] == "plain.example"), "{one}");
    env.fails(&["transport", "add", "x.example", "[127.0.0.1]:25", "--tls", "sometimes"], 64);
    drop(far_srv);
}

store_tests!(outbound_mta_sts);

/// MTA-STS testing mode: the policy names another MX host than the one DNS gives; the message
/// is delivered anyway (over verified TLS here), and what enforce would have refused is
/// recorded. Policy on 127.0.0.45:443 (.46 for PostgreSQL's run).
fn outbound_mta_sts_testing_mode_delivers_and_records(env: Env) {
    let test = "outbound_mta_sts_testing_mode_delivers_and_records";
    if crate::server::skip_without("openssl", test) {
        return;
    }
    if std::process::Command::new("python3").args(["-c", "import dns.message"]).status().map_or(true, |s| !s.success())
    {
        if crate::util::peers_required() {
            panic!("{test}: Python's dnspython is required (MAILCTL_TEST_PEERS=required)");
        }
        crate::util::skip(test, "Python's dnspython is not installed");
        return;
    }
    let policy_ip = if env.db_url().starts_with("postgres") { "127.0.0.46" } else { "127.0.0.45" };
    if !policy_port_free(test, policy_ip) {
        return;
    }
    let (_dns, line) = python_helper(DNS_STS, [policy_ip]);
    let dns_port: u16 = line.parse().unwrap();
    let pki = env.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    test_ca(&pki, "good", Some(&["mail.mx-test.example", "mta-sts.mx-test.example"]));

    // Its policy names other.mx-test.example; DNS sends mail to mail.mx-test.example.
    let (far, far_srv) = mta_sts_receiver(
        "outbound_mta_sts_testing_far",
        "mx-test.example",
        "carol@mx-test.example",
        "other.mx-test.example",
        policy_ip,
        "testing",
        &pki,
    );

    env.create("bob@example.com", "vip");
    env.ok(&["transport", "add", "mx-test.example", &format!("mx-test.example:{}", far_srv.smtp.port())]);
    env.serve_config(&[
        ("dev_mode", "true"),
        ("outbound_delivery", "true"),
        ("dns_resolver", &format!("127.0.0.1:{dns_port}")),
        ("tls_extra_roots", pki.join("good.pem").to_str().unwrap()),
        ("queue_delay_warning", "0"),
    ]);
    let srv = env.start_server();
    submit(&srv, "carol@mx-test.example", "testing mode");
    eventually("delivery under MTA-STS testing", || inbox(&far, "carol@mx-test.example").len() == 1);
    eventually("the TLS record", || srv.log().contains("certificate verified (policy: MTA-STS testing)"));
    let log = srv.log();
    assert!(log.contains("MTA-STS policy fetched") && log.contains("mode=\"testing\""), "{log}");
    assert!(
        log.contains(
            "mail.mx-test.example: not among the MX hosts of mx-test.example's MTA-STS policy (other.mx-test.example)"
        ),
        "{log}"
    );
    assert!(!log.contains("policy (other.mx-test.example): skipped"), "testing mode skips no host: {log}");
    drop(far_srv);
}

store_tests!(outbound_mta_sts_testing_mode_delivers_and_records);

/// MTA-STS enforce with a certificate for another name: the receiving mailctl's certificate is
/// signed by the CA the sender trusts, and names its policy host but not its MX host. Deferred
/// with the reason (TLS-RPT's `certificate-host-mismatch`), nothing delivered. Then a policy
/// whose MX pattern names another host: the MX host is skipped under enforce, nothing sent.
/// Knot serves the MX, the hosts and the `_mta-sts` TXT record (zone sts1.test or sts2.test
/// of scripts/peer-dnssec.sh, unsigned), the receiver the policy on 127.0.0.48:443 (.49 for
/// PostgreSQL's run).
fn mta_sts_enforce_defers_a_misnamed_certificate_and_a_host_outside_the_policy(env: Env) {
    let test = "mta_sts_enforce_defers_a_misnamed_certificate_and_a_host_outside_the_policy";
    let Some(peer) = DnssecPeer::get(test) else { return };
    let (n, policy_ip) = if env.db_url().starts_with("postgres") { ("2", "127.0.0.49") } else { ("1", "127.0.0.48") };
    if !policy_port_free(test, policy_ip) {
        return;
    }
    let zone = format!("sts{n}.test");
    let domain = format!("misnamed.{zone}");
    let (mx, sts_host) = (format!("mail.{domain}"), format!("mta-sts.{domain}"));
    peer.set_records(
        &zone,
        &[
            (&format!("{domain}."), "MX", &format!("10 {mx}.")),
            (&format!("{mx}."), "A", "127.0.0.1"),
            (&format!("{sts_host}."), "A", policy_ip),
            (&format!("_mta-sts.{domain}."), "TXT", "\"v=STSv1; id=1\""),
        ],
    );
    let pki = env.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    // The right CA; the policy host, and a name that is not the MX host.
    let elsewhere = format!("elsewhere.{zone}");
    test_ca(&pki, "good", Some(&[sts_host.as_str(), elsewhere.as_str()]));

    let (far, far_srv) =
        mta_sts_receiver(&format!("{test}_far"), &domain, &format!("carol@{domain}"), &mx, policy_ip, "enforce", &pki);

    env.create("bob@example.com", "vip");
    env.ok(&["transport", "add", &domain, &format!("{domain}:{}", far_srv.smtp.port())]);
    env.serve_config(&[
        ("dev_mode", "true"),
        ("outbound_delivery", "true"),
        ("dns_resolver", &peer.resolver),
        ("tls_extra_roots", pki.join("good.pem").to_str().unwrap()),
        ("queue_delay_warning", "0"),
    ]);
    let srv = env.start_server();
    submit(&srv, &format!("carol@{domain}"), "to the wrong name");
    eventually("a deferral", || {
        let q = env.json(&["queue", "list"]);
        q.as_array().unwrap().len() == 1 && q[0]["recipients"][0]["status"] == "deferred"
    });
    let q = env.json(&["queue", "list"]);
    let why = q[0]["recipients"][0]["last_error"].as_str().unwrap_or_default().to_string();
    assert!(why.contains(&format!("{mx}: the certificate does not verify")), "{why}");
    assert!(why.contains("MTA-STS enforce requires it"), "{why}");
    let log = srv.log();
    assert!(log.contains("MTA-STS policy fetched") && log.contains("mode=\"enforce\""), "{log}");
    assert!(inbox(&far, &format!("carol@{domain}")).is_empty(), "nothing was delivered");
    let rows = env.json(&["report", "tls", "--outbound", "--domain", &domain]);
    let mismatch = rows
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["mx_host"] == mx.as_str() && r["policy"] == "sts" && r["result"] == "certificate-host-mismatch");
    assert!(mismatch, "{rows}");

    // A new policy (new id) whose only MX pattern is another host: under enforce the MX host
    // DNS gives is skipped, and the message waits, nothing sent.
    assert_eq!(far_srv.stop(), Some(0));
    far.ok(&["config", "set", "hostname", &elsewhere]);
    let far_srv = far.start_server();
    peer.set_records(&zone, &[(&format!("_mta-sts.{domain}."), "TXT", "\"v=STSv1; id=2\"")]);
    env.ok(&["transport", "add", &domain, &format!("{domain}:{}", far_srv.smtp.port()), "--replace"]);
    // The resolver keeps an answer for up to a second: the new id is seen before the retry.
    let (ip, port) = peer.resolver.rsplit_once(':').unwrap();
    eventually("the new policy id through the resolver", || {
        let out = std::process::Command::new("dig")
            .args([&format!("@{ip}"), "-p", port, "+short", "TXT", &format!("_mta-sts.{domain}")])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains("id=2")
    });
    env.ok(&["queue", "flush"]);
    eventually("a deferral for the host outside the policy", || {
        let q = env.json(&["queue", "list"]);
        q[0]["recipients"][0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains(&format!("MTA-STS: no MX host of {domain} is in its policy: nothing sent")))
    });
    let log = srv.log();
    let skipped = format!("{mx}: not among the MX hosts of {domain}'s MTA-STS policy ({elsewhere}): skipped");
    assert!(log.contains(&skipped), "{log}");
    assert!(inbox(&far, &format!("carol@{domain}")).is_empty(), "nothing was delivered");
    drop(far_srv);
}

store_tests!(mta_sts_enforce_defers_a_misnamed_certificate_and_a_host_outside_the_policy);

/// The test zones of scripts/peer-dnssec.sh: Unbound (validating) and the Knot that signs.
struct DnssecPeer {
    resolver: String,
    knot_conf: String,
}

impl DnssecPeer {
    /// The peer, or None when the test must skip (openssl or the peer missing).
    fn get(test: &str) -> Option<DnssecPeer> {
        if crate::server::skip_without("openssl", test) {
            return None;
        }
        let unavailable = "no validating resolver; run scripts/peer-dnssec.sh start and set MAILCTL_TEST_DNSSEC";
        let [peer] = crate::util::peer_env(test, "Unbound and Knot", ["MAILCTL_TEST_DNSSEC"], unavailable)?;
        let (resolver, knot_conf) = peer.split_once(' ').expect("MAILCTL_TEST_DNSSEC is 'IP:PORT KNOT_CONF'");
        Some(DnssecPeer { resolver: resolver.into(), knot_conf: knot_conf.into() })
    }

    /// Run knotc on the signing Knot: its standard output.
    fn knotc(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("knotc").arg("-c").arg(&self.knot_conf).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Replace these records (name, type, data) in `zone` ([`crate::dns::knot_replace`]), at
    /// a TTL of 1 s.
    fn set_records(&self, zone: &str, records: &[(&str, &str, &str)]) {
        let records: Vec<_> = records.iter().map(|&(name, t, data)| (name, t, Some(data))).collect();
        crate::dns::knot_replace(std::path::Path::new(&self.knot_conf), zone, "1", &records);
    }
}

/// DANE (RFC 7672) on outbound mail. Knot signs the test zone and Unbound validates it
/// (scripts/peer-dnssec.sh); the sender trusts Unbound's AD flag (`dnssec_trust = resolver`).
/// The receiving mailctl sends a chain its test CA signed. Its MX host's TLSA record names the
/// leaf's key (DANE-EE): delivered, verified by DANE, even for a REQUIRETLS message. Another
/// host's TLSA names the CA (DANE-TA): delivered. A host whose TLSA names another key: deferred
/// with the reason, nothing sent. The same wrong TLSA in an unsigned zone: ignored, delivered
/// opportunistically. The day's results carry the `tlsa` policy type.
fn outbound_dane(env: Env) {
    let Some(peer) = DnssecPeer::get("outbound_dane") else { return };
    let resolver = peer.resolver.as_str();
    let n = if env.db_url().starts_with("postgres") { "2" } else { "1" };
    let (zone, plain) = (format!("dane{n}.test"), format!("plain{n}.test"));
    let knotc = |args: &[&str]| peer.knotc(args);
    let pki = env.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    let names = [
        format!("mx.{zone}"),
        format!("mx-ta.ta.{zone}"),
        format!("mx-bad.bad.{zone}"),
        format!("mx.{plain}"),
        format!("rua.{zone}"),
    ];
    test_ca(&pki, "ca", Some(&names.iter().map(String::as_str).collect::<Vec<_>>()));
    let mut chain = std::fs::read(pki.join("leaf.pem")).unwrap();
    chain.extend(std::fs::read(pki.join("ca.pem")).unwrap());
    std::fs::write(pki.join("chain.pem"), chain).unwrap();
    let sha256 = |shell: &str| {
        let out = std::process::Command::new("sh").arg("-c").arg(shell).current_dir(&pki).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split_whitespace().next().unwrap().to_string()
    };
    let leaf_spki = sha256("openssl x509 -in leaf.pem -pubkey -noout | openssl pkey -pubin -outform der | sha256sum");
    let ca_cert = sha256("openssl x509 -in ca.pem -outform der | sha256sum");

    let far = Env::new(Backend::Sqlite, "outbound_dane_far").unwrap();
    far.init(&zone);
    for d in [format!("ta.{zone}"), plain.clone()] {
        far.ok(&["domain", "add", &d]);
    }
    for a in [format!("carol@{zone}"), format!("tim@ta.{zone}"), format!("dave@{plain}"), format!("tlsrpt@{zone}")] {
        far.create(&a, "vip");
    }
    far.serve_config(&[
        ("hostname", &format!("mx.{zone}")),
        ("tls_cert", pki.join("chain.pem").to_str().unwrap()),
        ("tls_key", pki.join("leaf.key").to_str().unwrap()),
    ]);
    let far_srv = far.start_server();
    let port = far_srv.smtp.port();

    // The zones: MX hosts at 127.0.0.1 and their TLSA records at the receiver's port.
    let tlsa = |host: &str, value: &str| (format!("_{port}._tcp.{host}"), "TLSA".to_string(), value.to_string());
    // Records of an earlier run at these names go first (each run's TLSA names its own key).
    let records = |z: &str, rows: Vec<(String, String, String)>| {
        knotc(&["zone-begin", z]);
        for (name, t, _) in &rows {
            knotc(&["zone-unset", z, &format!("{name}."), t]);
        }
        knotc(&["zone-commit", z]);
        knotc(&["zone-begin", z]);
        for (name, t, v) in rows {
            let out = knotc(&["zone-set", z, &format!("{name}."), "1", &t, &v]);
            assert!(out.contains("OK"), "knotc zone-set {name} {t} {v}: {out}");
        }
        let out = knotc(&["zone-commit", z]);
        assert!(out.contains("OK"), "knotc zone-commit {z}: {out}");
    };
    let mx = |domain: &str, host: &str| {
        vec![
            (domain.to_string(), "MX".to_string(), format!("10 {host}.")),
            (host.to_string(), "A".to_string(), "127.0.0.1".to_string()),
        ]
    };
    let wrong = "0000000000000000000000000000000000000000000000000000000000000001";
    let mut signed = mx(&zone, &format!("mx.{zone}"));
    signed.push(tlsa(&format!("mx.{zone}"), &format!("3 1 1 {leaf_spki}")));
    signed.extend(mx(&format!("ta.{zone}"), &format!("mx-ta.ta.{zone}")));
    signed.push(tlsa(&format!("mx-ta.ta.{zone}"), &format!("2 0 1 {ca_cert}")));
    signed.extend(mx(&format!("bad.{zone}"), &format!("mx-bad.bad.{zone}")));
    signed.push(tlsa(&format!("mx-bad.bad.{zone}"), &format!("3 1 1 {wrong}")));
    // TLS reports go to a mailbox of the receiver and to an https endpoint (Python, with the
    // test CA's certificate).
    let posted = env.path().join("posted.json.gz");
    let (_https, line) = python_helper(RUA_SERVER, [pki.join("leaf.pem"), pki.join("leaf.key"), posted.clone()]);
    let rua_port: u16 = line.parse().unwrap();
    let rua = format!("\"v=TLSRPTv1; rua=mailto:tlsrpt@{zone},https://rua.{zone}:{rua_port}/tlsrpt\"");
    signed.push((format!("_smtp._tls.{zone}"), "TXT".into(), rua));
    signed.push((format!("rua.{zone}"), "A".into(), "127.0.0.1".into()));
    records(&zone, signed);
    let mut unsigned = mx(&plain, &format!("mx.{plain}"));
    unsigned.push(tlsa(&format!("mx.{plain}"), &format!("3 1 1 {wrong}")));
    records(&plain, unsigned);

    env.create("bob@example.com", "vip");
    env.ok(&["dkim", "generate", "--domain", "example.com", "--selector", "s1"]);
    // Unbracketed: each domain's own MX hosts (at the receiver's port).
    for d in [zone.clone(), format!("ta.{zone}"), format!("bad.{zone}"), plain.clone()] {
        env.ok(&["transport", "add", &d, &format!("{d}:{port}")]);
    }
    env.serve_config(&[
        ("dev_mode", "true"),
        ("outbound_delivery", "true"),
        ("dns_resolver", resolver),
        ("dnssec_trust", "resolver"),
        ("queue_delay_warning", "0"),
        ("tls_extra_roots", pki.join("ca.pem").to_str().unwrap()),
    ]);
    let srv = env.start_server();

    submit(&srv, &format!("carol@{zone}"), "bound by DANE-EE");
    eventually("delivery under DANE-EE", || inbox(&far, &format!("carol@{zone}")).len() == 1);
    eventually("the DANE record", || srv.log().contains(&format!("mx.{zone}: TLSv1_3")));
    let log = srv.log();
    assert!(log.contains("certificate verified (policy: DANE)"), "{log}");
    // REQUIRETLS is met by a DNSSEC-validated MX with DANE, without any MTA-STS policy.
    submit_requiring_tls(&srv, &format!("carol@{zone}"), "sealed by DANE");
    eventually("the REQUIRETLS delivery", || inbox(&far, &format!("carol@{zone}")).len() == 2);

    submit(&srv, &format!("tim@ta.{zone}"), "bound by DANE-TA");
    eventually("delivery under DANE-TA", || inbox(&far, &format!("tim@ta.{zone}")).len() == 1);

    // Validated but unsigned: the wrong TLSA in the plain zone carries no weight.
    submit(&srv, &format!("dave@{plain}"), "no DNSSEC, no DANE");
    eventually("delivery without DNSSEC", || inbox(&far, &format!("dave@{plain}")).len() == 1);
    eventually("the opportunistic record", || srv.log().contains(&format!("mx.{plain}: TLSv1_3")));
    let log = srv.log();
    let line = log.lines().find(|l| l.contains(&format!("tls=mx.{plain}:"))).unwrap_or_default();
    assert!(line.contains("(policy: opportunistic)"), "{line}");

    // A validated TLSA naming another key: nothing is sent, the reason is kept.
    submit(&srv, &format!("x@bad.{zone}"), "must wait");
    eventually("the DANE deferral", || {
        env.json(&["queue", "list"]).as_array().unwrap().iter().any(|m| m["recipients"][0]["status"] == "deferred")
    });
    let q = env.json(&["queue", "list"]);
    let deferred = q.as_array().unwrap().iter().find(|m| m["recipients"][0]["status"] == "deferred").unwrap();
    let why = deferred["recipients"][0]["last_error"].as_str().unwrap_or_default().to_string();
    assert!(why.contains("matches none of the host's TLSA records") && why.contains("DANE requires it"), "{why}");
    assert!(!far_srv.log().contains(&format!("bad.{zone}")), "nothing reached the receiver for the bad host");

    let rows = env.json(&["report", "tls", "--outbound"]);
    let has = |mx: &str, policy: &str, result: &str| {
        rows.as_array().unwrap().iter().any(|r| r["mx_host"] == mx && r["policy"] == policy && r["result"] == result)
    };
    assert!(has(&format!("mx.{zone}"), "tlsa", "success"), "{rows}");
    assert!(has(&format!("mx-ta.ta.{zone}"), "tlsa", "success"), "{rows}");
    assert!(has(&format!("mx-bad.bad.{zone}"), "tlsa", "validation-failure"), "{rows}");
    assert!(has(&format!("mx.{plain}"), "no-policy-found", "success"), "{rows}");

    // The day's TLS report (RFC 8460), sent now rather than after midnight: mailed through the
    // queue, DKIM-signed, to the receiver's tlsrpt mailbox, and posted to the https rua.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let out = env.ok(&["report", "tls", "--outbound", "--send", "--day", &today, "--domain", &zone]);
    assert!(out.contains(&format!("sent to mailto:tlsrpt@{zone}")), "{out}");
    assert!(out.contains(&format!("sent to https://rua.{zone}:{rua_port}/tlsrpt")), "{out}");
    eventually("the mailed TLS report", || inbox(&far, &format!("tlsrpt@{zone}")).len() == 1);
    let (_, mail) = inbox(&far, &format!("tlsrpt@{zone}")).remove(0);
    let mail_file = env.path().join("report.eml");
    std::fs::write(&mail_file, &mail).unwrap();
    let keys = env.path().join("dkim.json");
    std::fs::write(&keys, env.ok(&["--json", "dkim", "show", "--domain", "example.com"])).unwrap();
    let checked = crate::server::python(
        CHECK_TLS_REPORT,
        &[mail_file.to_str().unwrap(), &zone, keys.to_str().unwrap(), posted.to_str().unwrap()],
    );
    assert_eq!(checked.trim(), "ok", "{checked}");
    let again = env.json(&["report", "tls", "--outbound", "--send", "--day", "2001-01-01"]);
    assert_eq!(again, serde_json::json!([]), "a day without results sends nothing");
    drop(far_srv);
}

/// An https endpoint for TLS reports: prints its port, writes the body of a POST with the
/// right content type to argv[3] and answers 200; anything else 400.
const RUA_SERVER: &str = r#"
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        ok = self.headers.get('Content-Type') == 'application/tlsrpt+gzip'
        if ok:
            open(sys.argv[3], 'wb').write(body)
        self.send_response(200 if ok else 400)
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

/// Checks a mailed TLS report the way a receiver would: multipart/report of type tlsrpt with
/// the report domain's header, DKIM verified by dkimpy, the gzipped JSON with RFC 8460 §4's
/// fields and the DANE sessions counted; the posted copy is the same report.
const CHECK_TLS_REPORT: &str = r#"
import email, email.policy, gzip, json, sys, dkim
raw = open(sys.argv[1], 'rb').read()
m = email.message_from_bytes(raw, policy=email.policy.default)
assert m.get_content_type() == 'multipart/report', m.get_content_type()
assert m.get_param('report-type') == 'tlsrpt'
assert m['TLS-Report-Domain'] == sys.argv[2], m['TLS-Report-Domain']
assert str(m['Subject']).startswith('Report Domain: ' + sys.argv[2]), m['Subject']
recs = {r['name'] + '.': r['value'].encode() for r in json.load(open(sys.argv[3]))}
assert dkim.verify(raw, dnsfunc=lambda n, timeout=5: recs.get(n.decode())), 'DKIM'
part = [p for p in m.walk() if p.get_content_type() == 'application/tlsrpt+gzip'][0]
assert part.get_filename().endswith('.json.gz'), part.get_filename()
r = json.loads(gzip.decompress(part.get_payload(decode=True)))
for k in ['organization-name', 'date-range', 'contact-info', 'report-id', 'policies']:
    assert k in r, k
assert r['date-range']['start-datetime'].endswith('T00:00:00Z'), r['date-range']
for p in r['policies']:
    assert p['policy']['policy-domain'] == sys.argv[2]
    assert p['policy']['policy-type'] in ('tlsa', 'sts', 'no-policy-found')
    for k in ['total-successful-session-count', 'total-failure-session-count']:
        assert isinstance(p['summary'][k], int)
tlsa = [p for p in r['policies'] if p['policy']['policy-type'] == 'tlsa'][0]
assert tlsa['summary']['total-successful-session-count'] >= 2, tlsa
posted = json.loads(gzip.decompress(open(sys.argv[4], 'rb').read()))
assert posted['report-id'] == r['report-id'], posted
print('ok')
"#;

store_tests!(outbound_dane);

/// RFC 8461 §3.3's rules for fetching a policy, one destination per case, asked through
/// `mailctl transport check` (the fetch the delivery worker uses): a policy is taken only from
/// a 200 answer of type text/plain within 64 KiB, never through a redirect, and only when it
/// says `version: STSv1`; `max_age` is bounded to a year; `*.domain` names one label more.
/// Names in the unsigned sts.test zone of scripts/peer-dnssec.sh, the policy server on
/// 127.0.0.47:443 answering by Host.
fn an_mta_sts_policy_is_taken_only_as_rfc_8461_serves_it(env: Env) {
    let test = "an_mta_sts_policy_is_taken_only_as_rfc_8461_serves_it";
    let Some(peer) = DnssecPeer::get(test) else { return };
    let resolver = peer.resolver.as_str();
    let ip = "127.0.0.47";
    if !policy_port_free(test, ip) {
        return;
    }
    let good = "version: STSv1\nmode: enforce\nmx: *.ok.sts.test\nmax_age: 86400\n";
    // (case, what the server answers, what `transport check` must say)
    let cases: &[(&str, &str, &str)] = &[
        ("ok", "200 text/plain good", "mode enforce, mx *.ok.sts.test, max_age 86400"),
        ("big", "200 text/plain big", "larger than 65536 bytes"),
        ("moved", "301 text/plain good", "HTTP 301 (redirects are not followed)"),
        ("html", "200 text/html good", "the content type is \"text/html\", not text/plain"),
        ("noversion", "200 text/plain noversion", "the policy has no version: STSv1"),
        ("forever", "200 text/plain forever", "max_age 31557600"),
        ("missing", "404 text/plain good", "HTTP 404"),
    ];
    let pki = env.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    let names: Vec<String> = cases.iter().map(|(c, _, _)| format!("mta-sts.{c}.sts.test")).collect();
    test_ca(&pki, "ca", Some(&names.iter().map(String::as_str).collect::<Vec<_>>()));
    let answers: Vec<String> = cases.iter().map(|(c, a, _)| format!("mta-sts.{c}.sts.test={a}")).collect();
    let mut args: Vec<String> = vec![ip.into(), pki.join("leaf.pem").display().to_string()];
    args.extend([pki.join("leaf.key").display().to_string(), good.into()]);
    args.extend(answers);
    let (_server, line) = python_helper(POLICY_SERVER, &args);
    assert_eq!(line, "ready");

    let knotc = |args: &[&str]| peer.knotc(args);
    knotc(&["zone-begin", "sts.test"]);
    for (c, _, _) in cases {
        for (name, t) in [
            (format!("_mta-sts.{c}.sts.test."), "TXT"),
            (format!("mta-sts.{c}.sts.test."), "A"),
            (format!("{c}.sts.test."), "MX"),
        ] {
            knotc(&["zone-unset", "sts.test", &name, t]);
        }
    }
    knotc(&["zone-commit", "sts.test"]);
    knotc(&["zone-begin", "sts.test"]);
    for (c, _, _) in cases {
        knotc(&["zone-set", "sts.test", &format!("_mta-sts.{c}.sts.test."), "1", "TXT", "\"v=STSv1; id=1\""]);
        knotc(&["zone-set", "sts.test", &format!("mta-sts.{c}.sts.test."), "1", "A", ip]);
        for mx in ["mx1", "deep.mx2"] {
            knotc(&["zone-set", "sts.test", &format!("{c}.sts.test."), "1", "MX", &format!("10 {mx}.{c}.sts.test.")]);
        }
    }
    let out = knotc(&["zone-commit", "sts.test"]);
    assert!(out.contains("OK"), "{out}");
    env.serve_config(&[("dns_resolver", resolver), ("tls_extra_roots", pki.join("ca.pem").to_str().unwrap())]);
    for (c, _, expected) in cases {
        let shown = env.ok(&["transport", "check", &format!("{c}.sts.test")]);
        assert!(shown.contains(expected), "{c}: {shown}");
        let json = env.json(&["transport", "check", &format!("{c}.sts.test")]);
        assert_eq!(json["mta_sts"]["policy"].is_null(), !matches!(*c, "ok" | "forever"), "{c}: {json}");
    }
    // The wildcard names one label more: mx1.ok.sts.test, not deep.mx2.ok.sts.test.
    let ok = env.json(&["transport", "check", "ok.sts.test"]);
    let allows =
        |host: &str| ok["mx"].as_array().unwrap().iter().find(|m| m["host"] == host).unwrap()["policy_allows"].clone();
    assert_eq!(allows("mx1.ok.sts.test"), true, "{ok}");
    assert_eq!(allows("deep.mx2.ok.sts.test"), false, "{ok}");
    let none = env.ok(&["transport", "check", "nowhere.sts.test"]);
    assert!(none.contains("no single v=STSv1 TXT record") && none.contains("MX:       none"), "{none}");
    env.fails(&["transport", "check", "not a domain"], 65);
}

#[test]
fn an_mta_sts_policy_is_taken_only_as_rfc_8461_serves_it_() {
    crate::util::run_on(
        Backend::Sqlite,
        "outbound::an_mta_sts_policy_is_taken_only_as_rfc_8461_serves_it",
        an_mta_sts_policy_is_taken_only_as_rfc_8461_serves_it,
    )
}

/// An HTTPS server for MTA-STS policies on argv[1]:443: each later argument `host=STATUS TYPE
/// BODY` says how to answer that Host (BODY: good = argv[4], big = over 64 KiB, noversion,
/// forever = max_age of 300 years); a 301 points elsewhere. Prints "ready".
const POLICY_SERVER: &str = r#"
import http.server, ssl, sys
good = sys.argv[4].replace('\\n', '\n')
bodies = {
    'good': good,
    'big': good + ('x-pad: ' + 'a' * 1000 + '\n') * 70,
    'noversion': 'mode: enforce\nmx: *.x.sts.test\nmax_age: 86400\n',
    'forever': good.replace('max_age: 86400', 'max_age: 9999999999'),
}
answers = dict(a.split('=', 1) for a in sys.argv[5:])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status, ctype, body = answers.get(self.headers.get('Host', '').split(':')[0], '404 text/plain good').split(' ')
        data = bodies[body].encode()
        self.send_response(int(status))
        self.send_header('Content-Type', ctype)
        if status == '301':
            self.send_header('Location', 'https://elsewhere.sts.test/.well-known/mta-sts.txt')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer((sys.argv[1], 443), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print('ready', flush=True)
s.serve_forever()
"#;

//! The delivery worker: two `mailctl serve` instances on loopback, joined by a transport
//! route. Delivery with DKIM, a bounce after 5xx, retries after connection failures, and
//! hold/release/flush while the server runs.

use std::time::{Duration, Instant};

use crate::server::{Client, Server, inbox};
use crate::util::{Backend, Env};

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

/// Wait (bounded) for `f`.
fn within(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
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
    within(15, "delivery to carol", || inbox(&far, "carol@example.net").len() == 1);
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
    within(5, "an empty queue", || queue_len(&env) == 0);

    // 5xx: the recipient fails at once and bob gets a DSN.
    submit(&srv, "nobody@example.net", "second");
    within(15, "the DSN", || inbox(&env, "bob@example.com").len() == 1);
    let dsn = String::from_utf8_lossy(&inbox(&env, "bob@example.com")[0].1).to_string();
    assert!(dsn.contains("multipart/report; report-type=delivery-status"), "{dsn}");
    assert!(dsn.contains("Final-Recipient: rfc822; nobody@example.net") && dsn.contains("550"), "{dsn}");
    assert!(dsn.contains("Subject: second"), "the original headers are attached: {dsn}");
    assert!(dsn.contains("Return-Path: <>"), "from the null sender: {dsn}");
    within(5, "an empty queue", || queue_len(&env) == 0);

    // A next hop that refuses connections: deferred, retried later, nothing lost.
    env.ok(&["transport", "add", "example.net", "[127.0.0.1]:1", "--replace"]);
    submit(&srv, "carol@example.net", "third");
    within(15, "a deferral", || {
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
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(inbox(&far, "carol@example.net").len(), 1, "held mail is not delivered");
    // Released: delivered at once, exactly once.
    env.ok(&["queue", "release", &id]);
    within(15, "the released delivery", || inbox(&far, "carol@example.net").len() == 2);
    within(5, "an empty queue", || queue_len(&env) == 0);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(inbox(&far, "carol@example.net").len(), 2, "no duplicate");
    // A relayhost takes what no transport route claims (re-read on SIGHUP).
    env.ok(&["transport", "remove", "example.net"]);
    env.ok(&["config", "set", "relayhost", &format!("[127.0.0.1]:{}", far_srv.smtp.port())]);
    srv.signal(libc::SIGHUP);
    std::thread::sleep(Duration::from_millis(500));
    submit(&srv, "carol@example.net", "fourth");
    within(15, "delivery through the relayhost", || inbox(&far, "carol@example.net").len() == 3);
    let shown = far_srv.log();
    assert!(!shown.contains("panicked"), "{shown}");
    assert!(!srv.log().contains("panicked"), "{}", srv.log());
}

store_tests!(outbound_delivery);

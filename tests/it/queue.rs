//! `mailctl queue`: what submission spools is queued, and the admin can see and steer it.

use crate::server::spool_files;
use crate::util::Env;

/// Submit `n` messages from bob to remote recipients (dev mode: AUTH on loopback).
fn submit(srv: &crate::server::Server, n: usize, from: &str, to: &str) {
    let mut c = crate::server::Client::connect(srv.submission);
    c.expect("EHLO x.example", 250);
    c.expect("AUTH PLAIN AGJvYkBleGFtcGxlLmNvbQBwYXNzd29yZDEyMw==", 235);
    for i in 0..n {
        c.expect(&format!("MAIL FROM:<{from}>"), 250);
        c.expect(&format!("RCPT TO:<{to}>"), 250);
        c.expect("DATA", 354);
        c.send(format!("From: {from}\r\nTo: {to}\r\nSubject: queued {i}\r\n\r\nbody {i}\r\n.\r\n").as_bytes());
        assert_eq!(c.read().0, 250);
    }
}

fn queue_commands(env: Env) {
    env.create("bob@example.com", "vip");
    env.ok(&["alias", "add", "postmaster@example.com", "bob@example.com"]);
    env.serve_config(&[("dev_mode", "true")]);
    let srv = env.start_server();
    submit(&srv, 2, "bob@example.com", "far@remote.example");
    submit(&srv, 1, "postmaster@example.com", "other@elsewhere.example");
    let list = env.json(&["queue", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    assert_eq!(list[0]["recipients"][0]["address"], "far@remote.example");
    assert_eq!(list[0]["recipients"][0]["status"], "pending");
    let ids: Vec<String> = list.as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(env.json(&["queue", "list", "--from", "postmaster*"]).as_array().unwrap().len(), 1);
    assert_eq!(env.json(&["queue", "list", "--to", "far@"]).as_array().unwrap().len(), 2);
    assert!(env.ok(&["queue", "list"]).contains("far@remote.example"));

    // Hold by sender, release by id, while the server runs.
    let held = env.json(&["queue", "hold", "--from", "postmaster@example.com"]);
    assert_eq!(held["done"].as_array().unwrap().len(), 1);
    assert_eq!(env.json(&["queue", "list", "--held"]).as_array().unwrap().len(), 1);
    env.ok(&["queue", "release", &ids[2]]);
    assert_eq!(env.json(&["queue", "list", "--held"]).as_array().unwrap().len(), 0);
    env.ok(&["queue", "flush"]);

    // show: envelope, headers, history.
    let shown = env.json(&["queue", "show", &ids[0]]);
    assert!(shown["headers"].as_str().unwrap().contains("Subject: queued 0"), "{shown}");
    let events: Vec<&str> = shown["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert!(events[0] == "queued" && events.contains(&"flushed: retry now"), "{events:?}");
    assert!(env.ok(&["queue", "show", &ids[0]]).contains("recipient:   far@remote.example pending"));

    // Unknown ids: named, exit 67, the others still done.
    let out = env.run(&["queue", "delete", &ids[0], "no-such-id"], None);
    assert_eq!(out.status.code(), Some(67));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-id") && !err.contains(&ids[0]), "{err}");
    assert_eq!(env.json(&["queue", "list"]).as_array().unwrap().len(), 2);
    assert_eq!(spool_files(&env).len(), 2, "the spool file went with it");
    env.fails(&["queue", "show", "no-such-id"], 67);
    env.fails(&["queue", "hold"], 64);

    // A torn spool file is quarantined at start and reported, never delivered.
    drop(srv);
    let victim = crate::server::spool_files(&env).into_iter().find(|p| p.ends_with(&ids[1])).unwrap();
    let data = std::fs::read(&victim).unwrap();
    std::fs::remove_file(&victim).unwrap();
    // As if it had been spooled without a queue entry (a crash before the commit), torn.
    env.ok(&["queue", "delete", &ids[1]]);
    std::fs::write(&victim, &data[..data.len() - 3]).unwrap();
    let _srv = env.start_server();
    let list = env.json(&["queue", "list"]);
    let q = list.as_array().unwrap().iter().find(|q| q["id"] == ids[1].as_str()).expect("listed");
    assert_eq!(q["quarantined"], true, "{q}");
    assert!(!victim.exists() && env.data_dir().join("spool/quarantine").join(&ids[1]).exists());
    assert!(env.ok(&["queue", "list"]).contains("quarantined"));
    // bounce: the sender (local) gets a DSN, the message leaves the queue.
    let before = crate::server::inbox(&env, "bob@example.com").len();
    let b = env.json(&["queue", "bounce", &ids[2]]);
    assert_eq!(b["done"][0], ids[2].as_str());
    let after = crate::server::inbox(&env, "bob@example.com");
    assert_eq!(after.len(), before + 1, "postmaster@ leads to bob, who gets the DSN");
    let dsn = String::from_utf8_lossy(&after.last().unwrap().1).to_string();
    assert!(dsn.contains("other@elsewhere.example") && dsn.contains("mail administrator"), "{dsn}");
    env.ok(&["queue", "delete", "--all"]);
    assert_eq!(env.json(&["queue", "list"]).as_array().unwrap().len(), 0);
}

store_tests!(queue_commands);

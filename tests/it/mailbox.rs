//! `mailctl mailbox reindex`: rebuild the index from the Maildir; import a Dovecot Maildir.

use mailctl::store::messages;

use crate::util::{Env, block_on};

fn index(env: &Env, address: &str, folder: &str) -> Vec<(i64, String, String)> {
    let id = env.json(&["account", "show", address])["id"].as_i64().unwrap();
    let store = env.store();
    block_on(async {
        let mut c = store.pool.acquire().await.unwrap();
        let Some((mbox, _)) = messages::mailbox(&mut c, id, folder).await.unwrap() else { return vec![] };
        messages::list(&mut c, mbox)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.uid, m.filename, m.flags.to_index()))
            .collect()
    })
}

fn reindex_imports_and_is_idempotent(env: Env) {
    env.create("bob@example.com", "vip");
    let dir = env.maildir("bob@example.com");
    // As Dovecot leaves them: flags in cur/ names, a subfolder, a new/ message.
    std::fs::write(dir.join("cur/1600000000.M1P1.old,S=12:2,RS"), "Subject: a\r\n\r\n").unwrap();
    std::fs::write(dir.join("new/1600000001.M2P1.old,S=12"), "Subject: b\r\n\r\n").unwrap();
    std::fs::write(dir.join(".Sent/cur/1600000002.M3P1.old,S=12:2,S"), "Subject: c\r\n\r\n").unwrap();
    // A delivery in flight (twin in tmp/) is left alone.
    std::fs::write(dir.join("tmp/1600000003.M4P1.old"), "x").unwrap();
    std::fs::hard_link(dir.join("tmp/1600000003.M4P1.old"), dir.join("new/1600000003.M4P1.old")).unwrap();

    let r = env.json(&["mailbox", "reindex", "bob@example.com"]);
    assert_eq!(r["messages"], 3, "{r}");
    let inbox = index(&env, "bob@example.com", "INBOX");
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[0].1, "1600000000.M1P1.old,S=12");
    assert_eq!(inbox[0].2, "\\Answered \\Seen");
    assert_eq!(inbox[1].2, "");
    assert_eq!(index(&env, "bob@example.com", "Sent")[0].2, "\\Seen");
    let q = env.json(&["quota", "show", "bob@example.com"]);
    assert_eq!((q[0]["messages"].as_u64(), q[0]["used_bytes"].as_u64()), (Some(3), Some(42)));

    // Again: nothing changes, UIDs stay.
    let r = env.json(&["mailbox", "reindex", "bob@example.com"]);
    assert!(r["folders"].as_array().unwrap().iter().all(|f| f["added"] == 0 && f["removed"] == 0), "{r}");
    assert_eq!(index(&env, "bob@example.com", "INBOX"), inbox);
    // A file removed behind our back loses its row; a flag change is picked up.
    std::fs::remove_file(dir.join("new/1600000001.M2P1.old,S=12")).unwrap();
    std::fs::rename(dir.join("cur/1600000000.M1P1.old,S=12:2,RS"), dir.join("cur/1600000000.M1P1.old,S=12:2,FRS"))
        .unwrap();
    let r = env.json(&["mailbox", "reindex", "bob@example.com"]);
    assert_eq!(r["folders"][0]["removed"], 1, "{r}");
    let after = index(&env, "bob@example.com", "INBOX");
    assert_eq!(after.len(), 1);
    assert_eq!((after[0].0, after[0].2.as_str()), (inbox[0].0, "\\Flagged \\Answered \\Seen"));
    assert_eq!(
        env.ok(&["mailbox", "reindex", "bob@example.com"]).lines().next().unwrap().split_whitespace().next(),
        Some("FOLDER")
    );

    env.fails(&["mailbox", "reindex", "nobody@example.com"], 67);
    env.fails(&["mailbox", "reindex", "not an address"], 65);
}

/// Every kind of damage `mailbox verify` names: (what is done to a healthy, indexed
/// mailbox, the problem it must report, and whether --fix repairs it).
fn mailbox_verify_names_each_kind_of_damage_and_fix_repairs_what_it_can(env: Env) {
    env.create("bob@example.com", "vip");
    let dir = env.maildir("bob@example.com");
    for i in 0..4 {
        std::fs::write(dir.join(format!("cur/160000000{i}.M{i}P1.h:2,S")), format!("Subject: {i}\r\n\r\nbody\r\n"))
            .unwrap();
    }
    env.ok(&["mailbox", "reindex", "bob@example.com"]);
    let healthy = env.json(&["mailbox", "verify", "bob@example.com"]);
    assert_eq!(healthy[0]["problems"], serde_json::json!([]), "{healthy}");
    assert_eq!(healthy[0]["messages"], 4);

    // The damage, each of its own kind.
    std::fs::remove_file(dir.join("cur/1600000000.M0P1.h:2,S")).unwrap();
    std::fs::write(dir.join("cur/1600000001.M1P1.h:2,S"), "Subject: 1\r\n\r\nchanged under the index\r\n").unwrap();
    std::fs::write(dir.join("new/1600000009.M9P1.h"), "Subject: stray\r\n\r\n").unwrap();
    std::fs::create_dir_all(dir.join(".Projects/cur")).unwrap();
    std::fs::write(dir.join(".Projects/cur/1600000010.M10P1.h:2,S"), "Subject: p\r\n\r\n").unwrap();
    let store = env.store();
    block_on(async {
        sqlx::query("UPDATE mailboxes SET uidnext = 2 WHERE name = 'INBOX'").execute(&store.pool).await.unwrap();
        sqlx::query("UPDATE accounts SET used_bytes = used_bytes + 7").execute(&store.pool).await.unwrap();
    });
    std::fs::remove_dir_all(dir.join(".Drafts")).unwrap();

    let out = env.run(&["mailbox", "verify", "bob@example.com", "--json"], None);
    assert_eq!(out.status.code(), Some(65), "{}", String::from_utf8_lossy(&out.stderr));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> =
            v.as_array().unwrap().iter().map(|p| p["problem"].as_str().unwrap().to_string()).collect();
        k.sort();
        k
    };
    let all = ["missing_file", "missing_folder", "size_mismatch", "stray_file", "uidnext", "unindexed_folder", "usage"];
    assert_eq!(kinds(&found[0]["problems"]), all, "{found}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("problem(s) between the index and the Maildirs"), "{stderr}");

    let fixed = env.run(&["mailbox", "verify", "bob@example.com", "--fix", "--json"], None);
    assert_eq!(
        fixed.status.code(),
        Some(65),
        "a changed file cannot be repaired: {}",
        String::from_utf8_lossy(&fixed.stderr)
    );
    let fixed: serde_json::Value = serde_json::from_slice(&fixed.stdout).unwrap();
    assert_eq!(kinds(&fixed[0]["problems"]), ["size_mismatch"], "{fixed}");
    assert_eq!(kinds(&fixed[0]["fixed"]).len(), all.len() - 1, "{fixed}");
    let again = env.run(&["mailbox", "verify", "--all", "--json"], None);
    assert_eq!(again.status.code(), Some(65));
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(kinds(&again[0]["problems"]), ["size_mismatch"], "{again}");
    env.fails(&["mailbox", "verify", "nobody@example.com"], 67);
    env.fails(&["mailbox", "verify"], 64);
}

fn mailbox_verify_runs_beside_serve_but_fix_waits_for_it_to_stop(env: Env) {
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    env.ok(&["mailbox", "verify", "bob@example.com"]);
    let err = env.fails(&["mailbox", "verify", "bob@example.com", "--fix"], 75);
    assert!(err.contains("needs `serve` stopped"), "{err}");
    assert_eq!(srv.stop(), Some(0));
    env.ok(&["mailbox", "verify", "bob@example.com", "--fix"]);
}

store_tests!(
    reindex_imports_and_is_idempotent,
    mailbox_verify_names_each_kind_of_damage_and_fix_repairs_what_it_can,
    mailbox_verify_runs_beside_serve_but_fix_waits_for_it_to_stop,
);

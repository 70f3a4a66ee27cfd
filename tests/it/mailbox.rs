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

store_tests!(reindex_imports_and_is_idempotent);

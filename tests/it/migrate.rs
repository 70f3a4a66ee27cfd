//! `mailctl store migrate --to URL`: the whole store into a new database, checked, then the
//! config switched (issue 15).

use crate::imap::what_a_client_sees;
use crate::server::Senders;
use crate::util::{Backend, Env, block_on, fresh_pg_db, pg_server, run_on, sql};

/// bob@ with mail in two folders, flags, an alias and a queued message's worth of rows.
fn populated(env: &Env) {
    // Names that sort differently byte by byte (SQLite) and by a locale's collation (PostgreSQL).
    for d in ["a-b.example", "a.example", "B.example"] {
        env.ok(&["domain", "add", d]);
    }
    env.create("bob@example.com", "vip");
    env.create("carol@example.com", "business");
    env.ok(&["alias", "add", "sales@example.com", "carol@example.com"]);
    let dir = env.maildir("bob@example.com");
    for i in 0..6 {
        let flags = if i % 2 == 0 { "S" } else { "FS" };
        std::fs::write(
            dir.join(format!("cur/170000000{i}.M{i}P1.h:2,{flags}")),
            format!("Subject: {i}\r\n\r\n{i}\r\n"),
        )
        .unwrap();
    }
    std::fs::write(dir.join(".Sent/cur/1700000099.M99P1.h:2,S"), "Subject: sent\r\n\r\nhi\r\n").unwrap();
    env.ok(&["mailbox", "reindex", "bob@example.com"]);
    env.serve_config(&[]);
}

fn sqlite_migrates_to_postgresql_and_serves_the_same_mailboxes(env: Env) {
    let Some(server) = pg_server("sqlite_migrates_to_postgresql_and_serves_the_same_mailboxes") else { return };
    populated(&env);
    let seen = what_a_client_sees(&env);
    let url = fresh_pg_db(&server);

    let done = env.json(&["store", "migrate", "--to", &url]);
    let tables = done["tables"].as_array().unwrap();
    let rows = |name: &str| tables.iter().find(|t| t["name"] == name).unwrap()["rows"].as_u64().unwrap();
    assert_eq!((rows("accounts"), rows("messages"), rows("aliases")), (2, 7, 1), "{done}");
    assert_eq!(env.ok(&["config", "get", "database"]).trim(), url, "the config names the new store");
    assert_eq!(what_a_client_sees(&env), seen, "served from PostgreSQL, the same mailboxes");
    // New mail gets the next ids on the new store (its sequences continue).
    env.create("dave@example.com", "vip");
    env.ok(&["mailbox", "verify", "--all"]);
}

fn a_migration_into_a_database_that_is_not_empty_changes_nothing(env: Env) {
    let Some(server) = pg_server("a_migration_into_a_database_that_is_not_empty_changes_nothing") else { return };
    populated(&env);
    let url = fresh_pg_db(&server);
    let other = Env { dir: tempfile::tempdir().unwrap(), backend: Backend::Postgres, pg_url: Some(url.clone()) };
    other.init("other.example");
    let before = env.ok(&["config", "get", "database"]);
    let err = env.fails(&["store", "migrate", "--to", &url], 73);
    assert!(err.contains("not empty") && err.contains("stays in use"), "{err}");
    assert_eq!(env.ok(&["config", "get", "database"]), before);
    sql(&url, "SELECT 1");
}

/// A database of the other backend, empty; None (the skip said) without a PostgreSQL server.
fn the_other_backend(env: &Env, test: &str) -> Option<String> {
    if env.db_url().starts_with("postgres") {
        Some(format!("sqlite://{}?mode=rwc", env.path().join("new.db").display()))
    } else {
        pg_server(test).map(|s| fresh_pg_db(&s))
    }
}

/// The subjects in bob@'s INBOX files.
fn subjects_on_disk(env: &Env) -> Vec<String> {
    let dir = env.maildir("bob@example.com");
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let text = String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).into_owned();
            out.extend(text.lines().find_map(|l| l.strip_prefix("Subject: ")).map(str::to_string));
        }
    }
    out
}

fn a_migration_under_a_running_serve_keeps_every_acknowledged_message(env: Env) {
    let Some(url) = the_other_backend(&env, "a_migration_under_a_running_serve") else { return };
    populated(&env);
    let old_url = env.db_url();
    let before = subjects_on_disk(&env).len();
    let srv = env.start_server();
    let senders = Senders::start(srv.smtp, 8);
    crate::util::eventually("50 messages acknowledged", || senders.count() >= 50);

    let done = env.json(&["store", "migrate", "--to", &url]);
    assert_eq!(done["online"], true, "{done}");
    assert!(done["pause_ms"].as_u64().is_some(), "{done}");
    let at_switch = senders.count();
    // Mail goes on, on the new store.
    crate::util::eventually("mail acknowledged after the switch", || senders.count() >= at_switch + 50);
    let (acked, _deferred) = senders.stop();
    assert_eq!(srv.stop(), Some(0));
    assert_eq!(env.ok(&["config", "get", "database"]).trim(), url, "the config names the new store");

    // Every acknowledged message once, nothing else; the new store's index agrees with the files.
    let mut on_disk = subjects_on_disk(&env);
    on_disk.sort();
    let unique: std::collections::BTreeSet<&String> = on_disk.iter().collect();
    assert_eq!(unique.len(), on_disk.len(), "no message twice");
    for (s, _) in &acked {
        assert!(unique.contains(s), "{s} was acknowledged and is missing");
    }
    assert_eq!(on_disk.len(), before + acked.len(), "no file of a deferred message stays behind");
    let verdict = env.json(&["mailbox", "verify", "bob@example.com"]);
    // The INBOX's and the one in Sent.
    assert_eq!(verdict[0]["messages"].as_u64(), Some((before + acked.len() + 1) as u64), "{verdict}");

    // The old store refuses every write now, saying where the store went.
    block_on(async {
        let old = mailctl::store::Store::connect(&old_url, &env.data_dir(), 1).await.unwrap();
        assert!(old.moved_to().await.unwrap().is_some());
        let err = sqlx::query("DELETE FROM aliases").execute(&old.pool).await.map_err(mailctl::error::Error::from);
        let err = err.unwrap_err();
        assert_eq!(err.kind, mailctl::error::Kind::Unavailable, "{err}");
        assert!(err.to_string().contains("retired"), "{err}");
    });
}

fn serve_will_not_start_on_a_retired_store(env: Env) {
    let target = env.path().join("new.db");
    let url = format!("sqlite://{}?mode=rwc", target.display());
    populated(&env);
    let old = std::fs::read_to_string(env.config_path()).unwrap();
    env.json(&["store", "migrate", "--to", &url]);
    std::fs::write(env.config_path(), old).unwrap();
    let out = env.run(&["serve"], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(err.contains("was moved to") && err.contains("new.db"), "{err}");
    // Running the migration again finishes it: the config names the new store.
    let done = env.json(&["store", "migrate", "--to", &url]);
    assert_eq!(done["resumed"], true, "{done}");
    assert_eq!(env.ok(&["config", "get", "database"]).trim(), url);
}

fn bad_targets_are_named(env: Env) {
    let cases: &[(&str, i32, &str)] = &[
        ("mysql://localhost/x", 64, "unsupported database URL"),
        ("postgres://nobody@127.0.0.1:1/none", 69, "cannot open the database"),
        ("sqlite://relative.db?mode=rwc", 64, "absolute path"),
        ("sqlite::memory:", 64, "absolute path"),
    ];
    for (url, code, says) in cases {
        let err = env.fails(&["store", "migrate", "--to", url], *code);
        assert!(err.contains(says), "{url}: {err}");
    }
    let current = env.ok(&["config", "get", "database"]);
    let err = env.fails(&["store", "migrate", "--to", current.trim()], 64);
    assert!(err.contains("in use already"), "{err}");
}

#[test]
fn sqlite_migrates_to_postgresql_and_serves_the_same_mailboxes_() {
    run_on(
        Backend::Sqlite,
        "migrate::sqlite_migrates_to_postgresql",
        sqlite_migrates_to_postgresql_and_serves_the_same_mailboxes,
    )
}

#[test]
fn a_migration_into_a_database_that_is_not_empty_changes_nothing_() {
    run_on(Backend::Sqlite, "migrate::not_empty", a_migration_into_a_database_that_is_not_empty_changes_nothing)
}

store_tests!(
    a_migration_under_a_running_serve_keeps_every_acknowledged_message,
    serve_will_not_start_on_a_retired_store,
    bad_targets_are_named
);

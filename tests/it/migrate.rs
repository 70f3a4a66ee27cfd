//! `mailctl store migrate --to URL`: the whole store into a new database, checked, then the
//! config switched (issue 15).

use crate::imap::what_a_client_sees;
use crate::util::{Backend, Env, fresh_pg_db, pg_server, run_on, sql};

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

fn a_migration_while_serve_runs_is_refused(env: Env) {
    populated(&env);
    let srv = env.start_server();
    let target = env.path().join("new.db");
    let url = format!("sqlite://{}?mode=rwc", target.display());
    let err = env.fails(&["store", "migrate", "--to", &url], 75);
    assert!(err.contains("serve is running"), "{err}");
    assert_eq!(srv.stop(), Some(0));
    // Stopped, it goes; and back to SQLite is a migration like any other.
    env.json(&["store", "migrate", "--to", &url]);
    assert_eq!(env.ok(&["config", "get", "database"]).trim(), url);
}

fn bad_targets_are_named(env: Env) {
    let cases: &[(&str, i32, &str)] = &[
        ("mysql://localhost/x", 64, "unsupported database URL"),
        ("postgres://nobody@127.0.0.1:1/none", 69, "cannot open the database"),
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

store_tests!(a_migration_while_serve_runs_is_refused, bad_targets_are_named);

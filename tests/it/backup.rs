//! `mailctl backup create|list|verify`: online, incremental, verified backups (issue 15).

use std::path::{Path, PathBuf};

use mailctl::store::snapshot::TABLES;

use crate::util::{Env, block_on, fresh_pg_db, pg_server};

/// bob@ with `n` messages in his INBOX (as a Maildir holds them) and one in Sent, indexed.
fn mailbox_with(env: &Env, n: usize) {
    env.create("bob@example.com", "vip");
    let dir = env.maildir("bob@example.com");
    for i in 0..n {
        let body = format!("Subject: message {i}\r\nMessage-ID: <{i}@example.com>\r\n\r\nbody {i}\r\n");
        std::fs::write(dir.join(format!("cur/17000000{i:02}.M{i}P1.host:2,S")), body).unwrap();
    }
    std::fs::write(dir.join(".Sent/cur/1700000999.M999P1.host:2,S"), "Subject: sent\r\n\r\nhi\r\n").unwrap();
    env.ok(&["mailbox", "reindex", "bob@example.com"]);
}

fn repo(env: &Env) -> PathBuf {
    env.path().join("backups")
}

fn create(env: &Env) -> serde_json::Value {
    env.json(&["backup", "create", "--to", repo(env).to_str().unwrap()])
}

/// Every object file of the repository.
fn objects(repo: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in std::fs::read_dir(repo.join("objects")).unwrap() {
        for f in std::fs::read_dir(d.unwrap().path()).unwrap() {
            out.push(f.unwrap().path());
        }
    }
    out
}

fn a_second_backup_of_an_unchanged_store_stores_nothing_new(env: Env) {
    mailbox_with(&env, 5);
    let first = create(&env);
    assert_eq!((first["complete"].as_bool(), first["messages"].as_u64()), (Some(true), Some(6)), "{first}");
    assert_eq!(first["accounts"], 1);
    assert!(first["bytes_new"].as_u64().unwrap() > 0);
    assert_eq!(first["bytes_new"], first["bytes_total"], "the first backup writes everything");
    let second = create(&env);
    assert_eq!(second["bytes_new"], 0, "nothing changed, nothing new: {second}");
    assert_ne!(first["id"], second["id"]);
    // Two new messages: only they (and the snapshot chunks that changed) are new.
    let dir = env.maildir("bob@example.com");
    for i in 50..52 {
        std::fs::write(dir.join(format!("cur/17000000{i}.M{i}P1.host:2,")), format!("Subject: new {i}\r\n\r\n{i}\r\n"))
            .unwrap();
    }
    env.ok(&["mailbox", "reindex", "bob@example.com"]);
    let third = create(&env);
    assert_eq!(third["messages"], 8);
    let new = third["bytes_new"].as_u64().unwrap();
    assert!(new > 0 && new < first["bytes_total"].as_u64().unwrap(), "{third}");

    let listed = env.json(&["backup", "list", "--to", repo(&env).to_str().unwrap()]);
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [&first["id"], &second["id"], &third["id"]].map(|v| v.as_str().unwrap()));
    assert!(listed.as_array().unwrap().iter().all(|b| b["complete"] == true));
    env.ok(&["backup", "verify", "--all", "--to", repo(&env).to_str().unwrap()]);
}

fn the_repository_is_private(env: Env) {
    use std::os::unix::fs::PermissionsExt;
    mailbox_with(&env, 1);
    create(&env);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&repo(&env)), 0o700);
    for f in objects(&repo(&env)) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
        assert_eq!(mode(f.parent().unwrap()), 0o700);
    }
    for f in std::fs::read_dir(repo(&env).join("backups")).unwrap() {
        assert_eq!(mode(&f.unwrap().path()), 0o600);
    }
}

fn verify_names_each_damaged_and_missing_object(env: Env) {
    mailbox_with(&env, 3);
    let id = create(&env)["id"].as_str().unwrap().to_string();
    let r = repo(&env);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.join("backups").join(format!("{id}.json"))).unwrap()).unwrap();
    let object = |sha: &str| r.join("objects").join(&sha[..2]).join(sha);
    let damaged = manifest["messages"][0]["sha256"].as_str().unwrap();
    let missing = manifest["messages"][1]["sha256"].as_str().unwrap();
    std::fs::write(object(damaged), "tampered").unwrap();
    std::fs::remove_file(object(missing)).unwrap();
    let err = env.fails(&["backup", "verify", &id, "--to", r.to_str().unwrap()], 65);
    assert!(err.contains("2 problem(s)"), "{err}");
    let out = env.run(&["backup", "verify", "--all", "--json", "--to", r.to_str().unwrap()], None);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems: Vec<(String, String)> = report["damage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["object"].as_str().unwrap().to_string(), d["problem"].as_str().unwrap().to_string()))
        .collect();
    assert!(problems.iter().any(|(o, p)| o == damaged && p.contains("damaged")), "{problems:?}");
    assert!(problems.iter().any(|(o, p)| o == missing && p.contains("missing")), "{problems:?}");
    // Unknown backups are named as such.
    let err = env.fails(&["backup", "verify", "20990101T000000Z", "--to", r.to_str().unwrap()], 67);
    assert!(err.contains("no complete backup 20990101T000000Z"), "{err}");
}

fn a_second_run_while_one_holds_the_lock_exits_75(env: Env) {
    mailbox_with(&env, 1);
    create(&env);
    let held = mailctl::fsutil::try_lock(&repo(&env).join("lock")).unwrap().expect("free");
    let err = env.fails(&["backup", "create", "--to", repo(&env).to_str().unwrap()], 75);
    assert!(err.contains("another backup or prune is running"), "{err}");
    drop(held);
    create(&env);
}

fn a_backup_that_never_finished_is_never_listed_complete(env: Env) {
    mailbox_with(&env, 1);
    let done = create(&env);
    // What a run killed part-way leaves: its marker, objects, no manifest.
    std::fs::write(repo(&env).join("backups/20990101T000000Z.partial"), "").unwrap();
    let listed = env.json(&["backup", "list", "--to", repo(&env).to_str().unwrap()]);
    let rows: Vec<(String, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_str().unwrap().to_string(), b["complete"].as_bool().unwrap()))
        .collect();
    assert_eq!(rows, [(done["id"].as_str().unwrap().to_string(), true), ("20990101T000000Z".to_string(), false)]);
    env.ok(&["backup", "verify", "--all", "--to", repo(&env).to_str().unwrap()]);
}

fn a_directory_that_is_not_a_repository_is_refused(env: Env) {
    let dir = env.path().join("elsewhere");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let err = env.fails(&["backup", "create", "--to", dir.to_str().unwrap()], 65);
    assert!(err.contains("not a mailctl backup repository"), "{err}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "nothing written");
    env.fails(&["backup", "list", "--to", env.path().join("none").to_str().unwrap()], 67);
}

fn the_snapshot_reads_every_table_of_the_store(env: Env) {
    let store = env.store();
    let tables: Vec<String> = block_on(async {
        let sql = match store.backend {
            mailctl::store::Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'"
            }
            mailctl::store::Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'"
            }
        };
        sqlx::query_scalar(sql).fetch_all(&store.pool).await.unwrap()
    });
    for t in &tables {
        assert!(TABLES.iter().any(|(name, _)| name == t), "table {t} is not in store::snapshot::TABLES");
    }
    assert_eq!(tables.len(), TABLES.len());
    if store.backend == mailctl::store::Backend::Postgres {
        let mut identity: Vec<String> = block_on(
            sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY 1",
            )
            .fetch_all(&store.pool),
        )
        .unwrap();
        let mut listed: Vec<String> = mailctl::store::snapshot::IDENTITY.iter().map(|t| t.to_string()).collect();
        listed.sort();
        identity.sort();
        assert_eq!(identity, listed, "store::snapshot::IDENTITY");
    }
}

/// What IMAP clients see of an instance, and the mail itself: every folder with UIDVALIDITY,
/// UIDNEXT and HIGHESTMODSEQ, every message with UID, flags, modseq and its file's bytes, every
/// account with its usage, the aliases and subscriptions.
fn visible_state(config: &Path) -> Vec<String> {
    let cfg = mailctl::config::Config::load(&mailctl::config::Location::File(config.to_path_buf())).unwrap();
    let store = block_on(mailctl::store::Store::open(&cfg)).unwrap();
    let q = |sql: &str| -> Vec<String> {
        block_on(async {
            let rows: Vec<(String,)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string())).fetch_all(&store.pool).await.unwrap();
            rows.into_iter().map(|r| r.0).collect()
        })
    };
    let mut out =
        q("SELECT a.address || ' ' || b.name || ' ' || b.uidvalidity || ' ' || b.uidnext || ' ' || b.highestmodseq \
                     FROM mailboxes b JOIN accounts a ON a.id = b.account_id ORDER BY a.address, b.name");
    out.extend(q("SELECT address || ' ' || tier || ' ' || used_bytes || ' ' || used_messages || ' ' || password_hash FROM accounts ORDER BY address"));
    out.extend(q("SELECT address || ' -> ' || destination FROM aliases ORDER BY address, destination"));
    out.extend(q("SELECT a.address || ' subscribed ' || s.name FROM subscriptions s JOIN accounts a ON a.id = s.account_id ORDER BY 1"));
    let messages: Vec<(String, String, i64, String, String, i64)> = block_on(async {
        sqlx::query_as(
            "SELECT a.address, b.name, m.uid, m.filename, m.flags, m.modseq FROM messages m \
             JOIN mailboxes b ON b.id = m.mailbox_id JOIN accounts a ON a.id = b.account_id ORDER BY 1, 2, 3",
        )
        .fetch_all(&store.pool)
        .await
        .unwrap()
    });
    for (address, folder, uid, filename, flags, modseq) in messages {
        let (local, domain) = address.split_once('@').unwrap();
        let root = cfg.data_dir.join("mail").join(domain).join(local);
        let folder_dir = mailctl::store::maildir::folder_path(&root, &folder);
        let flags_t = mailctl::store::maildir::Flags::from_index(&flags);
        let path = mailctl::store::maildir::file::locate(&folder_dir, &filename, &flags_t)
            .unwrap_or_else(|| panic!("no file for {address} {folder} uid {uid}"));
        let body = std::fs::read(path).unwrap();
        out.push(format!("{address} {folder} {uid} {filename} [{flags}] {modseq} {}", String::from_utf8_lossy(&body)));
    }
    out
}

fn a_restored_instance_is_the_one_backed_up(env: Env) {
    mailbox_with(&env, 4);
    env.create("carol@example.com", "business");
    env.ok(&["alias", "add", "sales@example.com", "carol@example.com"]);
    let id = create(&env)["id"].as_str().unwrap().to_string();
    let before = visible_state(&env.config_path());

    // Into a new directory, on the same backend (a fresh PostgreSQL database for postgres).
    let target = env.path().join("restored");
    let mut args = vec!["backup", "restore", &id, "--data-dir", target.to_str().unwrap(), "--to"];
    let r = repo(&env);
    args.push(r.to_str().unwrap());
    let pg = env.db_url().starts_with("postgres").then(|| fresh_pg_db(&pg_server("backup restore").unwrap()));
    if let Some(url) = &pg {
        args.extend(["--database", url]);
    }
    let done = env.json(&args);
    assert_eq!((done["accounts"].as_u64(), done["messages"].as_u64()), (Some(2), Some(5)), "{done}");
    assert_eq!(visible_state(&target.join("mailctl.toml")), before);

    // Not twice into the same place.
    let err = env.fails(&args, 73);
    assert!(err.contains("is not empty"), "{err}");
}

fn a_backup_of_sqlite_restores_into_postgresql(env: Env) {
    let Some(server) = pg_server("a_backup_of_sqlite_restores_into_postgresql") else { return };
    mailbox_with(&env, 3);
    let id = create(&env)["id"].as_str().unwrap().to_string();
    let before = visible_state(&env.config_path());
    let target = env.path().join("on-postgres");
    let url = fresh_pg_db(&server);
    let r = repo(&env);
    env.ok(&[
        "backup",
        "restore",
        &id,
        "--data-dir",
        target.to_str().unwrap(),
        "--database",
        &url,
        "--to",
        r.to_str().unwrap(),
    ]);
    assert_eq!(visible_state(&target.join("mailctl.toml")), before);
}

store_tests!(
    a_restored_instance_is_the_one_backed_up,
    a_second_backup_of_an_unchanged_store_stores_nothing_new,
    the_repository_is_private,
    verify_names_each_damaged_and_missing_object,
    a_second_run_while_one_holds_the_lock_exits_75,
    a_backup_that_never_finished_is_never_listed_complete,
    a_directory_that_is_not_a_repository_is_refused,
    the_snapshot_reads_every_table_of_the_store,
);

#[test]
fn a_backup_of_sqlite_restores_into_postgresql_() {
    crate::util::run_on(
        crate::util::Backend::Sqlite,
        "backup::a_backup_of_sqlite_restores_into_postgresql",
        a_backup_of_sqlite_restores_into_postgresql,
    )
}

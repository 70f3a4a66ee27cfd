//! `mailctl backup create|list|verify`: online, incremental, verified backups (issue 15).

use std::path::{Path, PathBuf};

use mailctl::store::snapshot::TABLES;

use crate::imap::what_a_client_sees;
use crate::server::Senders;
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

fn a_backup_after_100_new_messages_stores_about_those_100(env: Env) {
    mailbox_with(&env, 300);
    let first = create(&env);
    let before: std::collections::HashSet<PathBuf> = objects(&repo(&env)).into_iter().collect();
    let dir = env.maildir("bob@example.com");
    let mut new_bytes = 0u64;
    for i in 0..100 {
        let body = format!("Subject: new {i}\r\nMessage-ID: <new{i}@example.com>\r\n\r\n{}\r\n", "x".repeat(2000));
        new_bytes += body.len() as u64;
        std::fs::write(dir.join(format!("new/17100000{i:02}.M{i}P2.host")), body).unwrap();
    }
    env.ok(&["mailbox", "reindex", "bob@example.com"]);
    let second = create(&env);
    assert_eq!(second["messages"].as_u64(), first["messages"].as_u64().map(|n| n + 100), "{second}");
    let added: Vec<PathBuf> = objects(&repo(&env)).into_iter().filter(|o| !before.contains(o)).collect();
    // The 100 messages, and the snapshot chunks that changed (a handful of tables' worth).
    assert!((100..=120).contains(&added.len()), "{} new objects", added.len());
    let stored = second["bytes_new"].as_u64().unwrap();
    assert!(stored >= new_bytes, "{stored} < {new_bytes}");
    // Beyond the new messages, less than the whole first backup: only the changed chunks.
    assert!(stored - new_bytes < first["bytes_total"].as_u64().unwrap(), "{second}");
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

/// A second instance directory, for what a restore or migration makes: its config where
/// `Env` looks for it, its data directory `data`.
fn another_instance(test: &str) -> Env {
    Env::new(crate::util::Backend::Sqlite, test).unwrap()
}

fn a_restored_instance_is_the_one_backed_up(env: Env) {
    mailbox_with(&env, 4);
    env.create("carol@example.com", "business");
    env.ok(&["alias", "add", "sales@example.com", "carol@example.com"]);
    env.serve_config(&[]);
    let seen = what_a_client_sees(&env);
    let id = create(&env)["id"].as_str().unwrap().to_string();
    let before = visible_state(&env.config_path());

    // Into a new directory, on the same backend (a fresh PostgreSQL database for postgres).
    let other = another_instance("a_restored_instance_is_the_one_backed_up");
    let target = other.data_dir();
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

    // Served, it shows IMAP clients what they saw: no resynchronisation.
    std::fs::copy(target.join("mailctl.toml"), other.config_path()).unwrap();
    assert_eq!(what_a_client_sees(&other), seen);

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

fn prune_keeps_what_the_policy_says_and_removes_only_unreferenced_objects(env: Env) {
    mailbox_with(&env, 2);
    let r = repo(&env);
    let to = r.to_str().unwrap();
    let first = create(&env)["id"].as_str().unwrap().to_string();
    // A message only the first backup holds (expunged before the second).
    let only_first = env.maildir("bob@example.com").join("cur/1700000000.M0P1.host:2,S");
    let only_first_sha = sha256_hex(&std::fs::read(&only_first).unwrap());
    std::fs::remove_file(&only_first).unwrap();
    env.ok(&["mailbox", "reindex", "bob@example.com"]);
    let second = create(&env)["id"].as_str().unwrap().to_string();
    std::fs::write(r.join("backups/20990101T000000Z.partial"), "").unwrap();
    std::fs::write(r.join("objects").join(&only_first_sha[..2]).join(".dead.tmp1"), "x").unwrap();

    let err = env.fails(&["backup", "prune", "--to", to], 64);
    assert!(err.contains("at least one of --keep-last"), "{err}");
    let before = objects(&r).len();
    let dry = env.json(&["backup", "prune", "--keep-last", "1", "--dry-run", "--to", to]);
    assert_eq!(dry["removed"], serde_json::json!([first]), "{dry}");
    assert_eq!(objects(&r).len(), before, "a dry run removes nothing");

    let done = env.json(&["backup", "prune", "--keep-last", "1", "--to", to]);
    assert_eq!(done["kept"], serde_json::json!([second]), "{done}");
    assert_eq!(done["incomplete_removed"], serde_json::json!(["20990101T000000Z"]));
    let listed = env.json(&["backup", "list", "--to", to]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let left: Vec<String> = objects(&r).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert!(!left.contains(&only_first_sha), "the first backup's own message is gone");
    assert!(!left.iter().any(|n| n.starts_with('.')), "temporary files are gone: {left:?}");
    assert_eq!(done["objects_removed"].as_u64().unwrap() as usize, before - left.len());
    env.ok(&["backup", "verify", "--all", "--to", to]);
    env.ok(&["backup", "restore", &second, "--data-dir", env.path().join("r").to_str().unwrap(), "--to", to]);
}

/// `n` more messages of about 4 KiB each in bob@'s INBOX, indexed.
fn more_mail(env: &Env, from: usize, n: usize) {
    let dir = env.maildir("bob@example.com");
    for i in from..from + n {
        let body = format!("Subject: bulk {i}\r\n\r\n{}\r\n", format!("{i:08} ").repeat(450));
        std::fs::write(dir.join(format!("cur/1710{i:06}.M{i}P2.host:2,")), body).unwrap();
    }
    env.ok(&["mailbox", "reindex", "bob@example.com"]);
}

/// The backups `list` shows: (id, complete).
fn listed(env: &Env, repo: &Path) -> Vec<(String, bool)> {
    let v = env.json(&["backup", "list", "--to", repo.to_str().unwrap()]);
    v.as_array().unwrap().iter().map(|b| (b["id"].as_str().unwrap().to_string(), b["complete"] == true)).collect()
}

fn a_backup_killed_part_way_never_looks_complete(env: Env) {
    mailbox_with(&env, 2);
    let r = repo(&env);
    let to = r.to_str().unwrap();
    let first = create(&env)["id"].as_str().unwrap().to_string();
    more_mail(&env, 0, 1500);
    // Killed at two moments: as soon as it has begun, and while it writes objects. Each run
    // waits for a mark of its own: an earlier killed run's `.partial` or temporary object is
    // still there, and seeing it would kill the new run before it began.
    let partials = |r: &Path| -> std::collections::HashSet<String> {
        std::fs::read_dir(r.join("backups"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".partial"))
            .collect()
    };
    let temporaries = |r: &Path| -> std::collections::HashSet<PathBuf> {
        objects(r).into_iter().filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('.')).collect()
    };
    let mut killed_part_way = 0;
    for attempt in 0..6 {
        let (partials_before, temporaries_before) = (partials(&r), temporaries(&r));
        let incomplete_before: Vec<String> =
            listed(&env, &r).into_iter().filter(|(_, complete)| !complete).map(|(id, _)| id).collect();
        let mut child =
            env.command(&["backup", "create", "--to", to]).stdout(std::process::Stdio::null()).spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let hit = if attempt % 2 == 0 {
                !partials(&r).is_subset(&partials_before)
            } else {
                !temporaries(&r).is_subset(&temporaries_before)
            };
            if hit || child.try_wait().unwrap().is_some() || std::time::Instant::now() > deadline {
                break;
            }
            std::thread::yield_now();
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        let backups = listed(&env, &r);
        if status.code().is_none() && backups.iter().any(|(id, complete)| !complete && !incomplete_before.contains(id))
        {
            killed_part_way += 1;
        }
        // Whatever the moment: the first backup is there and whole, and nothing unfinished
        // is called complete (verify checks every complete one).
        assert_eq!(backups[0], (first.clone(), true));
        env.ok(&["backup", "verify", "--all", "--to", to]);
    }
    assert!(killed_part_way >= 2, "only {killed_part_way} of 6 runs were killed part-way");
    // A later run completes; prune clears every backup the killed ones left unfinished.
    let unfinished: Vec<String> =
        listed(&env, &r).into_iter().filter(|(_, complete)| !complete).map(|(id, _)| id).collect();
    assert!(unfinished.len() >= killed_part_way, "{unfinished:?}");
    let done = create(&env);
    assert_eq!(done["messages"], 1503);
    let pruned = env.json(&["backup", "prune", "--keep-last", "10", "--to", to]);
    let removed: Vec<String> =
        pruned["incomplete_removed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(removed.len(), unfinished.len(), "{pruned}");
    assert!(unfinished.iter().all(|id| removed.contains(id)), "{pruned}");
    assert!(listed(&env, &r).iter().all(|(_, complete)| *complete));
    assert!(temporaries(&r).is_empty(), "no temporary object is left");
    env.ok(&["backup", "verify", "--all", "--to", to]);
}

fn a_backup_that_fills_the_disk_fails_and_leaves_earlier_backups_whole(env: Env) {
    mailbox_with(&env, 2);
    let r = repo(&env);
    let to = r.to_str().unwrap();
    let test = "backup::a_backup_that_fills_the_disk_fails_and_leaves_earlier_backups_whole";
    let Some(_mount) = crate::util::small_tmpfs(&r, "256k", test) else { return };
    let first = create(&env)["id"].as_str().unwrap().to_string();
    more_mail(&env, 0, 200);
    let err = env.fails(&["backup", "create", "--to", to], 75);
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(listed(&env, &r), [(first.clone(), true)], "the failed run is not listed");
    assert!(
        !objects(&r).iter().any(|p| p.file_name().unwrap().to_string_lossy().starts_with('.')),
        "its temporary objects are removed"
    );
    env.ok(&["backup", "verify", "--all", "--to", to]);
}

/// The subjects of the messages in an instance's bob@ INBOX files.
fn subjects(maildir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        for e in std::fs::read_dir(maildir.join(sub)).unwrap() {
            let text = String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).into_owned();
            if let Some(s) = text.lines().find_map(|l| l.strip_prefix("Subject: ")) {
                out.push(s.to_string());
            }
        }
    }
    out
}

fn a_backup_taken_while_20_sessions_deliver_holds_every_acknowledged_message_once(env: Env) {
    mailbox_with(&env, 0);
    env.serve_config(&[]);
    let srv = env.start_server();
    let senders = Senders::start(srv.smtp, 20);
    crate::util::eventually("100 messages acknowledged", || senders.count() >= 100);
    let before_backup = std::time::Instant::now();
    let id = create(&env)["id"].as_str().unwrap().to_string();
    let (acked, deferred) = senders.stop();
    assert_eq!(deferred, 0, "no delivery deferred during a backup");
    assert_eq!(srv.stop(), Some(0));

    let other = another_instance("a_backup_taken_while_20_sessions_deliver");
    let (target, r) = (other.data_dir(), repo(&env));
    let mut args = vec!["backup", "restore", &id, "--data-dir", target.to_str().unwrap(), "--to", r.to_str().unwrap()];
    let pg = env.db_url().starts_with("postgres").then(|| fresh_pg_db(&pg_server("backup restore").unwrap()));
    if let Some(url) = &pg {
        args.extend(["--database", url]);
    }
    env.json(&args);
    let restored = subjects(&other.maildir("bob@example.com"));
    let unique: std::collections::HashSet<&String> = restored.iter().collect();
    assert_eq!(unique.len(), restored.len(), "no message twice");
    let must: Vec<&String> = acked.iter().filter(|(_, at)| *at < before_backup).map(|(s, _)| s).collect();
    assert!(must.len() >= 100);
    for s in &must {
        assert!(unique.contains(s), "{s} was acknowledged before the backup began and is not in it");
    }
    let all: std::collections::HashSet<&String> = acked.iter().map(|(s, _)| s).collect();
    assert!(restored.iter().all(|s| all.contains(s)), "nothing in the backup that was not sent");
    std::fs::copy(other.data_dir().join("mailctl.toml"), other.config_path()).unwrap();
    other.ok(&["mailbox", "verify", "--all"]);
}

/// Messages in one of bob@'s folders, by the index.
fn count(env: &Env, folder: &str) -> i64 {
    let id = env.json(&["account", "show", "bob@example.com"])["id"].as_i64().unwrap();
    let store = env.store();
    block_on(async {
        let mut c = store.pool.acquire().await.unwrap();
        mailctl::store::messages::count(&mut c, id, folder).await.unwrap()
    })
}

fn restoring_one_account_brings_back_only_what_is_gone(env: Env) {
    mailbox_with(&env, 4);
    let r = repo(&env);
    let to = r.to_str().unwrap();
    let id = create(&env)["id"].as_str().unwrap().to_string();
    // Two messages lost, one new one arrives.
    let dir = env.maildir("bob@example.com");
    std::fs::remove_file(dir.join("cur/1700000000.M0P1.host:2,S")).unwrap();
    std::fs::remove_file(dir.join("cur/1700000001.M1P1.host:2,S")).unwrap();
    std::fs::write(dir.join("cur/1700000077.M77P1.host:2,"), "Subject: after\r\n\r\nnew\r\n").unwrap();
    env.ok(&["mailbox", "reindex", "bob@example.com"]);
    assert_eq!(count(&env, "INBOX"), 3);

    let done = env.json(&["backup", "restore", &id, "--account", "bob@example.com", "--to", to]);
    assert_eq!((done["restored"].as_u64(), done["already_there"].as_u64()), (Some(2), Some(3)), "{done}");
    assert_eq!(count(&env, "INBOX"), 5);
    assert_eq!(count(&env, "Sent"), 1);
    let again = env.json(&["backup", "restore", &id, "--account", "bob@example.com", "--to", to]);
    assert_eq!(again["restored"], 0, "nothing twice: {again}");
    env.ok(&["mailbox", "verify", "bob@example.com"]);

    // Beside the live folders, under one of its own.
    let aside =
        env.json(&["backup", "restore", &id, "--account", "bob@example.com", "--into-folder", "Restored", "--to", to]);
    assert_eq!(aside["restored"], 5, "{aside}");
    assert_eq!((count(&env, "Restored.INBOX"), count(&env, "Restored.Sent")), (4, 1));
    // The flags come back with the messages.
    let flags: Vec<String> = std::fs::read_dir(dir.join(".Restored.INBOX/cur"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(flags.iter().all(|n| n.ends_with(":2,S")), "{flags:?}");

    let err = env.fails(&["backup", "restore", &id, "--account", "nobody@example.com", "--to", to], 67);
    assert!(err.contains("holds no account nobody@example.com"), "{err}");

    // Deleted since: back as it was, with its settings and its password.
    env.ok(&["quota", "set", "bob@example.com", "3G"]);
    let before = env.json(&["account", "show", "bob@example.com"]);
    let id2 = create(&env)["id"].as_str().unwrap().to_string();
    env.ok(&["account", "delete", "bob@example.com", "--force"]);
    let back = env.json(&["backup", "restore", &id2, "--account", "bob@example.com", "--to", to]);
    assert_eq!((back["recreated"].as_bool(), back["restored"].as_u64()), (Some(true), Some(11)), "{back}");
    let after = env.json(&["account", "show", "bob@example.com"]);
    for key in ["tier", "quota_bytes", "quota_custom", "status", "used_bytes", "messages"] {
        assert_eq!(after[key], before[key], "{key}");
    }
    assert_eq!((count(&env, "INBOX"), count(&env, "Restored.INBOX")), (5, 4));
    let hash = |env: &Env| {
        let store = env.store();
        block_on(
            sqlx::query_scalar::<_, String>("SELECT password_hash FROM accounts WHERE address = 'bob@example.com'")
                .fetch_one(&store.pool),
        )
        .unwrap()
    };
    assert!(hash(&env).starts_with("$argon2id$"), "the password hash came back, not a new one");
    env.fails(&["backup", "restore", &id, "--account", "bob@example.com", "--data-dir", "/tmp/x", "--to", to], 64);
}

fn a_restore_that_fails_leaves_its_directory_as_it_found_it(env: Env) {
    mailbox_with(&env, 3);
    let id = create(&env)["id"].as_str().unwrap().to_string();
    let r = repo(&env);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.join("backups").join(format!("{id}.json"))).unwrap()).unwrap();
    let sha = manifest["messages"][2]["sha256"].as_str().unwrap();
    std::fs::remove_file(r.join("objects").join(&sha[..2]).join(sha)).unwrap();
    let target = env.path().join("restored");
    let args = ["backup", "restore", &id, "--data-dir", target.to_str().unwrap(), "--to", r.to_str().unwrap()];
    let err = env.fails(&args, 65);
    assert!(err.contains("is missing"), "{err}");
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0, "nothing left behind");
    // So the same command runs again (and fails the same way) without --force.
    env.fails(&args, 65);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    mailctl::backup::hex(&sha2::Sha256::digest(bytes))
}

store_tests!(
    a_backup_after_100_new_messages_stores_about_those_100,
    a_restored_instance_is_the_one_backed_up,
    a_backup_taken_while_20_sessions_deliver_holds_every_acknowledged_message_once,
    a_backup_killed_part_way_never_looks_complete,
    a_backup_that_fills_the_disk_fails_and_leaves_earlier_backups_whole,
    restoring_one_account_brings_back_only_what_is_gone,
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

#[test]
fn prune_keeps_what_the_policy_says_and_removes_only_unreferenced_objects_() {
    crate::util::run_on(
        crate::util::Backend::Sqlite,
        "backup::prune_keeps_what_the_policy_says_and_removes_only_unreferenced_objects",
        prune_keeps_what_the_policy_says_and_removes_only_unreferenced_objects,
    )
}

#[test]
fn a_restore_that_fails_leaves_its_directory_as_it_found_it_() {
    crate::util::run_on(
        crate::util::Backend::Sqlite,
        "backup::a_restore_that_fails_leaves_its_directory_as_it_found_it",
        a_restore_that_fails_leaves_its_directory_as_it_found_it,
    )
}

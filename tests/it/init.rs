//! `mailctl init`, config lookup, schema versions.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::util::{BIN, Backend, Env, sql};

fn init_fresh(env: Env) {
    // run_on already ran init: check what it made.
    let cfg = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(cfg.contains("primary_domain = \"example.com\""), "{cfg}");
    assert!(cfg.contains("hostname = \"mail.example.com\""), "{cfg}");
    assert!(cfg.starts_with("# mailctl configuration"), "comments in the template");
    let mode = std::fs::metadata(env.data_dir()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "data dir must be private");
    let mode = std::fs::metadata(env.config_path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    if env.backend == Backend::Sqlite {
        let db = env.data_dir().join("mailctl.db");
        assert_eq!(std::fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let domains = env.json(&["domain", "list"]);
    assert_eq!(domains[0]["name"], "example.com");
}

fn init_refuses_existing(env: Env) {
    env.create("bob@example.com", "vip");
    let args = env.init_args("other.org");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let err = env.fails(&args, 73);
    assert!(err.contains("already exists"), "{err}");
    // --force keeps data and the file's comments, and adds the new domain.
    std::fs::write(env.config_path(), std::fs::read_to_string(env.config_path()).unwrap() + "# my note\n").unwrap();
    let mut forced = args.clone();
    forced.push("--force");
    env.ok(&forced);
    assert_eq!(env.json(&["account", "show", "bob@example.com"])["tier"], "vip");
    let cfg = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(cfg.contains("# my note"), "{cfg}");
    assert!(cfg.contains("primary_domain = \"other.org\""), "{cfg}");
    assert_eq!(env.json(&["domain", "list"]).as_array().unwrap().len(), 2);
}

fn newer_schema_refused(env: Env) {
    sql(
        &env.db_url(),
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
        VALUES (99990101000000, 'from the future', TRUE, X'00', 1)"
            .replace("X'00'", if env.backend == Backend::Postgres { "'\\x00'::bytea" } else { "X'00'" })
            .as_str(),
    );
    let out = env.run(&["account", "list"], None);
    assert_eq!(out.status.code(), Some(69));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("newer than this mailctl supports"), "{err}");
}

store_tests!(init_fresh, init_refuses_existing, newer_schema_refused);

#[test]
fn init_bad_input_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (args, code) in [
        (vec!["init", "--domain", "not a domain"], 65),
        (vec!["init", "--domain", "example.com", "--hostname", "bad_host!"], 65),
        (vec!["init", "--domain", "example.com", "--database", "mysql://x/y"], 64),
        (vec!["init", "--domain", "example.com", "--database", "postgres://nobody@127.0.0.1:1/x"], 69),
        (vec!["init"], 64),
    ] {
        let out = Command::new(BIN).current_dir(dir.path()).env_remove("MAILCTL_CONFIG").args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{args:?} left files behind");
    }
}

#[test]
fn dev_instance_without_config() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(BIN).current_dir(dir.path()).env_remove("MAILCTL_CONFIG").args(args).output().unwrap()
    };
    let out = run(&["domain", "add", "dev.test"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("mailctl-data/mailctl.db").exists());
    let out = run(&["domain", "list", "--json"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("dev.test"));
    assert_eq!(
        run(&["config", "get", "data_dir"]).stdout,
        format!("{}\n", dir.path().join("mailctl-data").display()).into_bytes()
    );
    assert_eq!(run(&["config", "get", "dev_mode"]).stdout, b"true\n");
    // Nothing to edit: a clear error.
    assert_eq!(run(&["config", "set", "dev_mode", "false"]).status.code(), Some(66));
}

#[test]
fn config_lookup_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = Env::new(Backend::Sqlite, "a").unwrap();
    a.init("a.example");
    let b = Env::new(Backend::Sqlite, "b").unwrap();
    b.init("b.example");
    let get = |envvar: Option<&std::path::Path>, flag: Option<&std::path::Path>| {
        let mut c = Command::new(BIN);
        c.current_dir(dir.path()).env_remove("MAILCTL_CONFIG");
        if let Some(p) = envvar {
            c.env("MAILCTL_CONFIG", p);
        }
        if let Some(p) = flag {
            c.arg("--config").arg(p);
        }
        let out = c.args(["config", "get", "primary_domain"]).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(get(Some(&a.config_path()), None), "a.example");
    assert_eq!(get(Some(&a.config_path()), Some(&b.config_path())), "b.example", "--config wins");
    std::fs::copy(b.config_path(), dir.path().join("mailctl.toml")).unwrap();
    assert_eq!(get(None, None), "b.example", "./mailctl.toml");
    assert_eq!(get(Some(&a.config_path()), None), "a.example", "env before ./mailctl.toml");
    // A named config that does not exist is an error, not a silent dev instance.
    let out = Command::new(BIN).args(["--config", "/nonexistent/m.toml", "domain", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(66));
}

fn init_force_keeps_store_and_refuses_foreign(env: Env) {
    env.create("bob@example.com", "vip");
    // Re-run with --force but without --data-dir/--database: the config keeps pointing at the
    // same store.
    env.ok(&["init", "--domain", "new.example", "--force"]);
    assert_eq!(env.json(&["account", "show", "bob@example.com"])["tier"], "vip");
    assert_eq!(env.json(&["domain", "show", "new.example"])["name"], "new.example");
    // A second instance pointed at this database without --force is refused.
    let other = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .current_dir(other.path())
        .env_remove("MAILCTL_CONFIG")
        .args(["init", "--domain", "x.example", "--database", &env.db_url(), "--data-dir", "d"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(73), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!other.path().join("mailctl.toml").exists());
}

fn config_set_repairs_a_broken_value(env: Env) {
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    std::fs::write(env.config_path(), text.replace("hostname = \"mail.example.com\"", "hostname = \"bad host\""))
        .unwrap();
    assert_eq!(env.run(&["domain", "list"], None).status.code(), Some(78));
    env.ok(&["config", "set", "hostname", "mail.example.com"]);
    env.ok(&["domain", "list"]);
}

store_tests!(init_force_keeps_store_and_refuses_foreign, config_set_repairs_a_broken_value);

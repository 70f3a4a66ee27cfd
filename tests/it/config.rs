//! `mailctl config show|get|set`

use crate::util::{Backend, Env, run_on};

fn config_show_get_set(env: Env) {
    let shown = env.json(&["config", "show"]);
    let keys: Vec<&str> = shown.as_array().unwrap().iter().map(|e| e["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"hostname") && keys.contains(&"database"), "{keys:?}");
    let human = env.ok(&["config", "show"]);
    assert!(human.contains("mail.example.com"), "{human}");
    let only_set = env.json(&["config", "show", "-n"]);
    assert!(only_set.as_array().unwrap().iter().all(|e| e["set"] == true));
    assert_eq!(env.ok(&["config", "get", "hostname"]), "mail.example.com\n");

    let before = std::fs::read_to_string(env.config_path()).unwrap();
    env.ok(&["config", "set", "hostname", "mx.example.com"]);
    env.ok(&["config", "set", "log_level", "debug"]);
    assert_eq!(env.ok(&["config", "get", "hostname"]), "mx.example.com\n");
    let after = std::fs::read_to_string(env.config_path()).unwrap();
    let comments = |t: &str| t.lines().filter(|l| l.starts_with('#')).map(String::from).collect::<Vec<_>>();
    assert_eq!(comments(&before), comments(&after), "comments kept");

    env.fails(&["config", "set", "hostname", "not a host"], 65);
    env.fails(&["config", "set", "dev_mode", "maybe"], 65);
    env.fails(&["config", "set", "database", "mysql://x"], 65);
    env.fails(&["config", "set", "no_such_key", "1"], 64);
    env.fails(&["config", "get", "no_such_key"], 64);
    if env.pg_url.is_some() {
        assert!(!env.ok(&["config", "show"]).contains("password="));
    }
}

fn config_file_errors(env: Env) {
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    std::fs::write(env.config_path(), format!("{text}\nbogus_key = 1\n")).unwrap();
    let out = env.run(&["domain", "list"], None);
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bogus_key"));
    std::fs::write(env.config_path(), "hostname = \n").unwrap();
    assert_eq!(env.run(&["domain", "list"], None).status.code(), Some(78));
}

store_tests!(config_show_get_set, config_file_errors);

/// Every key takes its declared sample (valid, not the default) through `config set`, and
/// `config get` and `config show` print it back.
#[test]
fn every_key_round_trips_through_set_get_and_show() {
    run_on(Backend::Sqlite, "config::every_key_round_trips_through_set_get_and_show", |env| {
        for key in mailctl::config::KEYS {
            let before = env.ok(&["config", "get", key.name]);
            assert_ne!(before.trim_end(), key.sample, "{}: the sample is the value it already has", key.name);
            env.ok(&["config", "set", key.name, key.sample]);
            assert_eq!(env.ok(&["config", "get", key.name]).trim_end(), key.sample, "config get {}", key.name);
        }
        let shown = env.json(&["config", "show"]);
        let shown = shown.as_array().unwrap();
        assert_eq!(shown.len(), mailctl::config::KEYS.len());
        for key in mailctl::config::KEYS {
            let entry = shown.iter().find(|e| e["key"] == key.name).unwrap_or_else(|| panic!("{} not shown", key.name));
            assert_eq!(entry["value"], key.sample, "config show: {}", key.name);
            assert_eq!(entry["set"], true, "config show: {} comes from the file", key.name);
        }
        assert_eq!(env.json(&["config", "show", "-n"]).as_array().unwrap().len(), mailctl::config::KEYS.len());
    });
}

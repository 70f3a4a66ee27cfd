//! CLI hygiene: exit codes for usage errors, closed pipes, help.

use std::process::{Command, Stdio};

use crate::util::{BIN, Env};

fn closed_pipe_is_not_an_error(env: Env) {
    for i in 0..30 {
        env.ok_in(
            &["account", "create", &format!("user{i:02}@example.com"), "--tier", "vip", "--password-stdin"],
            Some("password123"),
        );
    }
    // Like `mailctl account list | head -1`: the reader goes away early.
    let mut child = env.command(&["account", "list"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let sh = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{BIN}' --config '{}' account list --json | head -c 10 >/dev/null",
            env.config_path().display()
        ))
        .output()
        .unwrap();
    assert!(sh.status.success(), "pipeline failed: {}", String::from_utf8_lossy(&sh.stderr));
}

store_tests!(closed_pipe_is_not_an_error);

#[test]
fn usage_errors_exit_64() {
    for args in [vec!["frobnicate"], vec!["account"], vec!["account", "create"], vec!["--bogus-flag", "domain", "list"]]
    {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}");
    }
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("account"));
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("mailctl "));
}

fn closed_pipe_json_and_lost_password(env: Env) {
    for i in 0..300 {
        env.ok(&["domain", "add", &format!("d{i:03}.example")]);
    }
    let mut child =
        env.command(&["domain", "list", "--json"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "JSON to a closed pipe: exit {:?} {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    // A generated password that cannot be shown leaves no account behind.
    let full = std::fs::File::create("/dev/full").unwrap();
    let out = env.command(&["account", "create", "lost@example.com", "--tier", "vip"]).stdout(full).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("account not created"));
    env.fails(&["account", "show", "lost@example.com"], 67);
}

store_tests!(closed_pipe_json_and_lost_password);

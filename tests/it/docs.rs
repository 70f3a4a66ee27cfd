//! Completions and man pages are generated from the clap tree and must be current.

use std::path::Path;
use std::process::Command;

use crate::util::{BIN, tree};

#[test]
fn completions_and_man_pages_are_current() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(BIN).args(["generate-docs", "--out"]).arg(tmp.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for dir in ["completions", "man"] {
        let want = tree(&tmp.path().join(dir));
        let have = tree(&repo.join(dir));
        assert_eq!(have, want, "{dir}/ is stale: run `cargo run -- generate-docs --out .`");
        for line in want.lines().filter(|l| !l.ends_with('/')) {
            let rel = line.rsplit_once(' ').unwrap().0;
            let a = std::fs::read(tmp.path().join(dir).join(rel)).unwrap();
            let b = std::fs::read(repo.join(dir).join(rel)).unwrap();
            assert!(a == b, "{dir}/{rel} is stale: run `cargo run -- generate-docs --out .`");
        }
    }
    assert!(repo.join("man/mailctl-account-create.1").exists());
    assert!(repo.join("completions/_mailctl").exists());
}

#[test]
fn completions_command_prints_a_script() {
    let out = Command::new(BIN).args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("mailctl"));
}

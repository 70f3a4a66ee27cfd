//! Completions and man pages are generated from the clap tree, the config reference from the
//! key table; all must be current.

use std::path::Path;
use std::process::Command;

use crate::util::{BIN, tree};

/// What `generate-docs` writes, in a temporary directory.
fn generated() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(BIN).args(["generate-docs", "--out"]).arg(tmp.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    tmp
}

#[test]
fn completions_and_man_pages_are_current() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = generated();
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

#[test]
fn config_reference_is_current() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = generated();
    let want = std::fs::read_to_string(tmp.path().join("docs/CONFIG.md")).unwrap();
    let have = std::fs::read_to_string(repo.join("docs/CONFIG.md")).unwrap_or_default();
    assert!(have == want, "docs/CONFIG.md is stale: run `cargo run -- generate-docs --out .`");
}

#[test]
fn every_config_key_has_help_and_is_in_the_reference() {
    let reference = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/CONFIG.md")).unwrap();
    for key in mailctl::config::KEYS {
        assert!(!key.about.trim().is_empty(), "{} has no help", key.name);
        assert!(!key.section.is_empty(), "{} has no section", key.name);
        assert!(reference.contains(&format!("| `{}` |", key.name)), "{} is not in docs/CONFIG.md", key.name);
    }
}

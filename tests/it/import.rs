//! `mailctl account import --dovecot-passwd`

use mailctl::ops::auth::check_password;

use crate::util::{Env, block_on};

// Hashes of "secret123" made with Python's crypt (libxcrypt), independent of the verifying crates.
const SHA512: &str =
    "$6$saltsalt$4wxWeHqpAHNNJcQMSu6jvr3dQTQoGoqMQhPAP0o5Ygzna6vr4y0u6.EZzboAAqg6dXU4q/OfcYqdrvZixR76r0";
const SHA256: &str = "$5$saltsalt$pp3UtJp4GRPEjMVZpuim6hKkT1yP7B8qiYFzcac84T5";
const BLF: &str = "$2b$04$H2W0aMWXG80Rq.HZy0rlPO7onV57gd6xZpr/ELokjjb/fl0hXMHuy";
// argon2-cffi at Dovecot-like parameters (m=64 MiB, t=3, p=4): verifies, then is rehashed.
const ARGON: &str = "$argon2id$v=19$m=65536,t=3,p=4$k9FZg6iovC/cjpoxz8VWYg$coXnRwn6w7YCxAPzcJvgwyRXShvIBKU0f7LbTTjDuaQ";

fn passwd_file(env: &Env, good_only: bool) -> String {
    let mut text = format!(
        "# users\n\
         sha512@example.com:{{SHA512-CRYPT}}{SHA512}:1000:1000::/home/a::userdb_quota_rule=*:storage=1G\n\
         sha256@example.com:{{SHA256-CRYPT}}{SHA256}::::::\n\
         blf:{{BLF-CRYPT}}{BLF}\n\
         argon@example.com:{{ARGON2ID}}{ARGON}\n\
         \n"
    );
    if !good_only {
        text.push_str("plain@example.com:{PLAIN}secret123::::::\n");
        text.push_str("md5@example.com:{MD5-CRYPT}$1$abc$defghijklmnopqrstuvw::::::\n");
        text.push_str("garbage line without fields\n");
    }
    let path = env.path().join("passwd");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn import_dovecot(env: Env) {
    let bad = passwd_file(&env, false);
    // All or nothing: refused lines mean nothing is imported.
    let err =
        env.fails(&["account", "import", "--dovecot-passwd", &bad, "--tier", "vip", "--domain", "example.com"], 65);
    assert!(err.contains("3 line(s) refused"), "{err}");
    let out =
        env.run(&["account", "import", "--dovecot-passwd", &bad, "--tier", "vip", "--domain", "example.com"], None);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("PLAIN is too weak") && report.contains("MD5-CRYPT is too weak"), "{report}");

    let dry: serde_json::Value = serde_json::from_str(&env.ok(&[
        "account",
        "import",
        "--dovecot-passwd",
        &bad,
        "--tier",
        "vip",
        "--domain",
        "example.com",
        "--dry-run",
        "--json",
    ]))
    .unwrap();
    assert_eq!(dry["refused"], 3);
    assert_eq!(dry["imported"], 0);
    assert_eq!(env.json(&["account", "list"]).as_array().unwrap().len(), 0, "dry run writes nothing");
    env.fails(&["account", "import", "--dovecot-passwd", &bad, "--tier", "free"], 77);
    env.fails(&["account", "import", "--dovecot-passwd", "/nonexistent", "--tier", "vip"], 66);

    let r: serde_json::Value = serde_json::from_str(&env.ok(&[
        "account",
        "import",
        "--dovecot-passwd",
        &bad,
        "--tier",
        "paid",
        "--domain",
        "example.com",
        "--skip-refused",
        "--json",
    ]))
    .unwrap();
    assert_eq!((r["imported"].as_u64(), r["refused"].as_u64()), (Some(4), Some(3)));
    let accounts = env.json(&["account", "list"]);
    let names: Vec<&str> = accounts.as_array().unwrap().iter().map(|a| a["address"].as_str().unwrap()).collect();
    assert_eq!(names, ["argon@example.com", "blf@example.com", "sha256@example.com", "sha512@example.com"]);
    assert!(env.maildir("blf@example.com").join(".Sent/cur").is_dir());
    assert!(env.ok(&["account", "show", "sha512@example.com"]).contains("SHA512-CRYPT"));

    // Imported hashes verify as they are, and become Argon2id at the first login.
    let store = env.store();
    for user in names {
        assert!(block_on(check_password(&store, user, "wrong")).unwrap().is_err());
        assert!(block_on(check_password(&store, user, "secret123")).unwrap().is_ok(), "{user}");
        assert!(env.ok(&["account", "show", user]).contains("ARGON2ID"), "{user} rehashed");
        assert!(block_on(check_password(&store, user, "secret123")).unwrap().is_ok(), "{user} after rehash");
    }
    // Running it again refuses the now-existing users.
    let good = passwd_file(&env, true);
    let err =
        env.fails(&["account", "import", "--dovecot-passwd", &good, "--tier", "vip", "--domain", "example.com"], 65);
    assert!(err.contains("refused"), "{err}");
}

store_tests!(import_dovecot);

fn import_refuses_alias_addresses(env: Env) {
    env.create("boss@example.com", "business");
    env.ok(&["alias", "add", "sha512@example.com", "boss@example.com"]);
    let good = passwd_file(&env, true);
    let err =
        env.fails(&["account", "import", "--dovecot-passwd", &good, "--tier", "vip", "--domain", "example.com"], 65);
    assert!(err.contains("1 line(s) refused"), "{err}");
}

store_tests!(import_refuses_alias_addresses);

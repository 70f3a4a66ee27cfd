//! `mailctl account ...`

use mailctl::ops::auth::{Denied, check_password};

use crate::util::{Env, block_on};

const GIB: u64 = 1 << 30;

fn create_with_tier_defaults(env: Env) {
    for (addr, tier, quota) in
        [("v@example.com", "vip", GIB), ("p@example.com", "paid", 5 * GIB), ("b@example.com", "business", 50 * GIB)]
    {
        let a = {
            let out = env.ok_in(
                &["account", "create", addr, "--tier", tier, "--password-stdin", "--json"],
                Some("password123\n"),
            );
            serde_json::from_str::<serde_json::Value>(&out).unwrap()
        };
        assert_eq!(a["tier"], tier);
        assert_eq!(a["quota_bytes"], quota);
        assert_eq!(a["quota_custom"], false);
        assert!(a.get("password").is_none(), "a given password is never echoed");
        assert!(a.get("password_hash").is_none(), "hashes never leave the store");
        let dir = env.maildir(addr);
        for sub in ["cur", "new", "tmp", ".Sent/cur", ".Drafts/new", ".Trash/tmp", ".Junk/cur"] {
            assert!(dir.join(sub).is_dir(), "{addr}: {sub}");
        }
    }
    let a = env.json(&["account", "show", "P@Example.COM"]);
    assert_eq!(a["address"], "p@example.com", "case-insensitive");

    env.ok_in(
        &[
            "account",
            "create",
            "q@example.com",
            "--tier",
            "vip",
            "--quota",
            "500M",
            "--owner",
            "chat-42",
            "--password-stdin",
        ],
        Some("password123"),
    );
    let q = env.json(&["account", "show", "q@example.com"]);
    assert_eq!(q["quota_bytes"], 500u64 << 20);
    assert_eq!(q["quota_custom"], true);
    assert_eq!(q["owner"], "chat-42");
    let store = env.store();
    let ok = block_on(check_password(&store, "q@example.com", "password123")).unwrap();
    assert!(ok.is_ok());
    let login = env.json(&["account", "show", "q@example.com"]);
    assert!(login["last_login_at"].as_i64().is_some(), "login recorded");
}

/// Delivery finds the INBOX; it never makes one.
fn create_makes_the_inbox(env: Env) {
    env.create("bob@example.com", "vip");
    let id = env.json(&["account", "show", "bob@example.com"])["id"].as_i64().unwrap();
    let store = env.store();
    let inbox = crate::util::block_on(async {
        let mut c = store.pool.acquire().await.unwrap();
        mailctl::store::messages::mailbox(&mut c, id, "INBOX").await.unwrap()
    });
    assert!(inbox.is_some());
}

fn create_generates_password(env: Env) {
    let out = env.ok(&["account", "create", "gen@example.com", "--tier", "vip"]);
    let pw = out.trim().strip_prefix("password: ").expect(&out).to_string();
    assert_eq!(pw.len(), 20);
    let store = env.store();
    assert!(block_on(check_password(&store, "gen@example.com", &pw)).unwrap().is_ok());
    assert_eq!(block_on(check_password(&store, "gen@example.com", "nope")).unwrap().unwrap_err(), Denied::BadPassword);
    // JSON carries the generated password, once.
    let j: serde_json::Value =
        serde_json::from_str(&env.ok(&["account", "create", "gen2@example.com", "--tier", "vip", "--json"])).unwrap();
    assert_eq!(j["password"].as_str().unwrap().len(), 20);
    assert!(env.json(&["account", "show", "gen2@example.com"]).get("password").is_none());
    let dir = env.path().join("pw");
    std::fs::write(&dir, "fromfile123\nignored second line\n").unwrap();
    env.ok(&["account", "create", "file@example.com", "--tier", "vip", "--password-file", dir.to_str().unwrap()]);
    assert!(block_on(check_password(&store, "file@example.com", "fromfile123")).unwrap().is_ok());
}

fn create_bad_input(env: Env) {
    env.create("dup@example.com", "vip");
    for tier in ["free", "guest"] {
        let err = env.fails(&["account", "create", "x@example.com", "--tier", tier], 77);
        assert!(err.contains("email requires the vip tier or higher"), "{err}");
    }
    env.fails(&["account", "create", "x@example.com", "--tier", "gold"], 64);
    env.fails(&["account", "create", "x@example.com"], 64);
    env.fails_in(
        &["account", "create", "DUP@example.com", "--tier", "vip", "--password-stdin"],
        Some("password123"),
        73,
    );
    env.fails_in(
        &["account", "create", "x@nowhere.example", "--tier", "vip", "--password-stdin"],
        Some("password123"),
        67,
    );
    for bad in [
        "no-at-sign",
        "a..b@example.com",
        ".a@example.com",
        "a/b@example.com",
        "\"q\"@example.com",
        "ü@example.com",
        "a b@example.com",
    ] {
        env.fails_in(&["account", "create", bad, "--tier", "vip", "--password-stdin"], Some("password123"), 65);
    }
    let long = format!("{}@example.com", "a".repeat(65));
    env.fails_in(&["account", "create", &long, "--tier", "vip", "--password-stdin"], Some("password123"), 65);
    env.fails_in(&["account", "create", "x@example.com", "--tier", "vip", "--password-stdin"], Some("short\n"), 65);
    env.fails_in(&["account", "create", "x@example.com", "--tier", "vip", "--password-stdin"], Some("\n"), 65);
    env.fails(&["account", "create", "x@example.com", "--tier", "vip", "--password-file", "/nonexistent"], 66);
    env.fails(
        &["account", "create", "x@example.com", "--tier", "vip", "--password-stdin", "--password-file", "/x"],
        64,
    );
    env.fails_in(
        &["account", "create", "x@example.com", "--tier", "vip", "--quota", "lots", "--password-stdin"],
        Some("password123"),
        65,
    );
    env.fails_in(
        &["account", "create", "x@example.com", "--tier", "vip", "--owner", "", "--password-stdin"],
        Some("password123"),
        65,
    );
    env.ok(&["alias", "add", "postmaster@example.com", "dup@example.com"]);
    env.fails_in(
        &["account", "create", "postmaster@example.com", "--tier", "vip", "--password-stdin"],
        Some("password123"),
        73,
    );
}

fn list_and_show(env: Env) {
    env.ok(&["domain", "add", "other.org"]);
    env.create("b@example.com", "business");
    env.create("a@example.com", "vip");
    env.create("c@other.org", "vip");
    let all = env.json(&["account", "list"]);
    let addrs: Vec<&str> = all.as_array().unwrap().iter().map(|a| a["address"].as_str().unwrap()).collect();
    assert_eq!(addrs, ["a@example.com", "b@example.com", "c@other.org"]);
    for field in [
        "id",
        "address",
        "local_part",
        "domain",
        "tier",
        "owner",
        "quota_bytes",
        "quota_custom",
        "used_bytes",
        "messages",
        "status",
        "created_at",
        "updated_at",
        "last_login_at",
    ] {
        assert!(all[0].get(field).is_some(), "documented field {field}");
    }
    assert_eq!(env.json(&["account", "list", "--domain", "other.org"]).as_array().unwrap().len(), 1);
    assert_eq!(env.json(&["account", "list", "--tier", "vip"]).as_array().unwrap().len(), 2);
    assert_eq!(env.json(&["account", "list", "--tier", "paid"]).as_array().unwrap().len(), 0);
    env.fails(&["account", "list", "--domain", "nope.org"], 67);
    let table = env.ok(&["account", "list"]);
    assert!(table.lines().next().unwrap().contains("ADDRESS"), "{table}");
    assert!(env.ok(&["account", "show", "a@example.com"]).contains("ARGON2ID"));
    env.fails(&["account", "show", "zz@example.com"], 67);
}

fn passwd_tier_status(env: Env) {
    env.create("u@example.com", "vip");
    let store = env.store();
    env.ok_in(&["account", "passwd", "u@example.com", "--password-stdin"], Some("newpassword1\n"));
    assert!(block_on(check_password(&store, "u@example.com", "newpassword1")).unwrap().is_ok());
    assert!(block_on(check_password(&store, "u@example.com", "password123")).unwrap().is_err());
    env.fails_in(&["account", "passwd", "u@example.com", "--password-stdin"], Some("short"), 65);
    env.fails_in(&["account", "passwd", "nobody@example.com", "--password-stdin"], Some("longenough1"), 67);
    env.fails(&["account", "passwd", "u@example.com"], 64);

    env.ok(&["account", "set-tier", "u@example.com", "business"]);
    assert_eq!(env.json(&["account", "show", "u@example.com"])["quota_bytes"], 50 * GIB);
    // Moving to a tier without a mailbox suspends the account and keeps what it had.
    let lapsed = env.json(&["account", "set-tier", "u@example.com", "free"]);
    assert_eq!((lapsed["tier"].as_str(), lapsed["status"].as_str()), (Some("free"), Some("suspended")));
    assert_eq!(lapsed["suspended_reason"], "tier");
    assert_eq!(lapsed["quota_bytes"], 50 * GIB, "the quota is kept for the way back");
    assert_eq!(
        block_on(check_password(&store, "u@example.com", "newpassword1")).unwrap().unwrap_err(),
        Denied::Suspended
    );
    let err = env.fails(&["account", "resume", "u@example.com"], 77);
    assert!(err.contains("email requires the vip tier or higher"), "{err}");
    let free = env.json(&["account", "list", "--tier", "free"]);
    assert_eq!(free[0]["address"], "u@example.com", "listed by the tier in effect");
    // Suspended by an administrator too: resume still refuses while the tier has no mailbox.
    env.ok(&["account", "suspend", "u@example.com"]);
    env.fails(&["account", "resume", "u@example.com"], 77);
    env.ok(&["account", "set-tier", "u@example.com", "business"]);
    assert_eq!(env.json(&["account", "show", "u@example.com"])["suspended_reason"], "admin", "the admin's stays");
    env.ok(&["account", "resume", "u@example.com"]);
    env.ok(&["account", "set-tier", "u@example.com", "free"]);
    let back = env.json(&["account", "set-tier", "u@example.com", "business"]);
    assert_eq!((back["status"].as_str(), back.get("suspended_reason")), (Some("active"), None));
    assert!(block_on(check_password(&store, "u@example.com", "newpassword1")).unwrap().is_ok());
    env.ok(&["quota", "set", "u@example.com", "3G"]);
    env.ok(&["account", "set-tier", "u@example.com", "paid"]);
    assert_eq!(env.json(&["account", "show", "u@example.com"])["quota_bytes"], 3 * GIB, "custom quota kept");

    env.ok(&["account", "set-tier", "u@example.com", "business"]);
    env.ok(&["alias", "add", "sales@example.com", "u@example.com"]);
    let err = env.fails(&["account", "set-tier", "u@example.com", "vip"], 77);
    assert!(err.contains("sales@example.com"), "{err}");

    env.ok(&["account", "suspend", "u@example.com"]);
    assert_eq!(env.json(&["account", "show", "u@example.com"])["status"], "suspended");
    assert_eq!(
        block_on(check_password(&store, "u@example.com", "newpassword1")).unwrap().unwrap_err(),
        Denied::Suspended
    );
    let again = env.json(&["account", "suspend", "u@example.com"]);
    assert_eq!(again["changed"], false);
    env.ok(&["account", "resume", "u@example.com"]);
    assert!(block_on(check_password(&store, "u@example.com", "newpassword1")).unwrap().is_ok());
    env.fails(&["account", "suspend", "x@example.com"], 67);
    assert_eq!(
        block_on(check_password(&store, "x@example.com", "whatever1")).unwrap().unwrap_err(),
        Denied::NoSuchUser
    );
}

fn delete_account(env: Env) {
    env.create("gone@example.com", "business");
    env.create("kept@example.com", "vip");
    std::fs::write(env.maildir("kept@example.com").join("cur/1.msg:2,S"), "hello").unwrap();
    env.ok(&["alias", "add", "info@example.com", "gone@example.com"]);
    let err = env.fails(&["account", "delete", "gone@example.com"], 65);
    assert!(err.contains("info@example.com"), "{err}");
    env.ok(&["account", "delete", "gone@example.com", "--force"]);
    assert!(!env.maildir("gone@example.com").exists());
    assert_eq!(env.json(&["alias", "list"]).as_array().unwrap().len(), 0);
    env.ok(&["account", "delete", "kept@example.com", "--keep-mail"]);
    assert!(env.maildir("kept@example.com").join("cur/1.msg:2,S").exists());
    env.fails(&["account", "delete", "kept@example.com"], 67);
    // Re-creating adopts the kept Maildir and its usage.
    env.create("kept@example.com", "vip");
    let a = env.json(&["account", "show", "kept@example.com"]);
    assert_eq!((a["used_bytes"].as_u64(), a["messages"].as_u64()), (Some(5), Some(1)));
}

store_tests!(
    create_with_tier_defaults,
    create_makes_the_inbox,
    create_generates_password,
    create_bad_input,
    list_and_show,
    passwd_tier_status,
    delete_account
);

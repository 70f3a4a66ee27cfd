//! `mailctl alias ...` and recipient resolution.

use mailctl::ops::alias::expand;

use crate::util::{Env, block_on};

fn expansion(env: &Env, addr: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let store = env.store();
    let e = block_on(async {
        let mut conn = store.pool.acquire().await.unwrap();
        expand(&mut conn, addr).await.map_err(|e| format!("{e:?}")).unwrap()
    });
    (e.accounts.into_iter().collect(), e.remote.into_iter().collect(), e.unknown.into_iter().collect())
}

fn alias_lifecycle(env: Env) {
    env.create("boss@example.com", "business");
    env.create("bob@example.com", "vip");
    env.ok(&["alias", "add", "Sales@Example.com", "boss@example.com", "partner@remote.org"]);
    env.ok(&["alias", "add", "sales@example.com", "boss@example.com"]); // already there: no-op
    env.ok(&["alias", "add", "team@example.com", "sales@example.com"]);
    let list = env.json(&["alias", "list"]);
    assert_eq!(list[0]["address"], "sales@example.com");
    assert_eq!(list[0]["destinations"], serde_json::json!(["boss@example.com", "partner@remote.org"]));
    assert_eq!(list[0]["catch_all"], false);
    assert_eq!(
        expansion(&env, "team@example.com"),
        (vec!["boss@example.com".into()], vec!["partner@remote.org".into()], vec![])
    );

    // Role addresses may point at any tier; others need business.
    for role in ["postmaster", "abuse", "hostmaster", "dmarc"] {
        env.ok(&["alias", "add", &format!("{role}@example.com"), "bob@example.com"]);
    }
    let err = env.fails(&["alias", "add", "info@example.com", "bob@example.com"], 77);
    assert!(err.contains("business-tier feature"), "{err}");
    env.fails(&["alias", "add", "info@example.com", "postmaster@example.com"], 77);

    env.fails(&["alias", "add", "bob@example.com", "boss@example.com"], 73);
    env.fails(&["alias", "add", "x@example.com", "ghost@example.com"], 67);
    env.fails(&["alias", "add", "x@nowhere.org", "boss@example.com"], 67);
    env.fails(&["alias", "add", "x@example.com", "not-an-address"], 65);
    env.fails(&["alias", "add", "x@example.com"], 64);
    env.fails(&["alias", "add", "x@example.com", "x@example.com"], 65);
    let err = env.fails(&["alias", "add", "sales@example.com", "team@example.com"], 65);
    assert!(err.contains("loop"), "{err}");

    env.fails(&["alias", "remove", "sales@example.com"], 65); // team points at it
    env.ok(&["alias", "remove", "sales@example.com", "partner@remote.org"]);
    env.fails(&["alias", "remove", "sales@example.com", "partner@remote.org"], 67);
    env.fails(&["alias", "remove", "nothing@example.com"], 67);
    env.ok(&["alias", "remove", "team@example.com"]);
    env.ok(&["alias", "remove", "sales@example.com"]);
    assert_eq!(env.json(&["alias", "list", "--domain", "example.com"]).as_array().unwrap().len(), 4);
}

fn catch_all_never_shadows(env: Env) {
    env.create("boss@example.com", "business");
    env.create("other@example.com", "business");
    env.ok(&["alias", "add", "@example.com", "boss@example.com"]);
    env.ok(&["alias", "add", "sales@example.com", "other@example.com"]);
    let list = env.json(&["alias", "list"]);
    assert_eq!(list[0]["address"], "@example.com");
    assert_eq!(list[0]["catch_all"], true);
    assert_eq!(expansion(&env, "random@example.com").0, vec!["boss@example.com".to_string()]);
    assert_eq!(expansion(&env, "other@example.com").0, vec!["other@example.com".to_string()], "account wins");
    assert_eq!(expansion(&env, "sales@example.com").0, vec!["other@example.com".to_string()], "alias wins");
    assert_eq!(expansion(&env, "x@elsewhere.org").1, vec!["x@elsewhere.org".to_string()]);
    // A destination that exists only through the catch-all is not dangling.
    env.ok(&["alias", "add", "x@example.com", "whatever@example.com"]);
    // The catch-all pointing at a name that falls back to it is a loop, not a hang.
    env.ok(&["domain", "add", "loop.org"]);
    env.ok(&["alias", "add", "a@loop.org", "boss@example.com"]);
    env.ok(&["alias", "add", "@loop.org", "a@loop.org"]);
    assert_eq!(expansion(&env, "zzz@loop.org").0, vec!["boss@example.com".to_string()]);
}

store_tests!(alias_lifecycle, catch_all_never_shadows);

fn tier_rule_cannot_be_bypassed(env: Env) {
    // An alias to a then-remote address, whose domain later becomes local.
    env.ok(&["alias", "add", "fwd@example.com", "later@other.org"]);
    env.ok(&["domain", "add", "other.org"]);
    let err = env.fails_in(
        &["account", "create", "later@other.org", "--tier", "vip", "--password-stdin"],
        Some("password123"),
        77,
    );
    assert!(err.contains("fwd@example.com"), "{err}");
    env.create("later@other.org", "business");
    // Through a role alias: team -> postmaster -> b3; moving b3 to vip is refused.
    env.create("b3@example.com", "business");
    env.ok(&["alias", "add", "postmaster@example.com", "b3@example.com"]);
    env.ok(&["alias", "add", "team@example.com", "postmaster@example.com"]);
    env.fails(&["account", "set-tier", "b3@example.com", "vip"], 77);
}

fn nothing_is_left_dangling(env: Env) {
    env.create("b2@example.com", "business");
    env.ok(&["alias", "add", "mid@example.com", "b2@example.com"]);
    env.ok(&["alias", "add", "top@example.com", "mid@example.com"]);
    let d = env.json(&["account", "delete", "b2@example.com", "--force"]);
    assert_eq!(d["alias_destinations_removed"].as_array().unwrap().len(), 2, "{d}");
    assert_eq!(env.json(&["alias", "list"]).as_array().unwrap().len(), 0);
    // A catch-all that others rely on cannot be removed from under them.
    env.create("boss@example.com", "business");
    env.ok(&["alias", "add", "@example.com", "boss@example.com"]);
    env.ok(&["alias", "add", "x@example.com", "ghost@example.com"]);
    let err = env.fails(&["alias", "remove", "@example.com"], 65);
    assert!(err.contains("x@example.com -> ghost@example.com"), "{err}");
    // Removing a domain removes destinations inside it, wherever they are.
    env.ok(&["domain", "add", "other.org"]);
    env.create("in@other.org", "business");
    env.ok(&["alias", "add", "ext@other.org", "in@other.org"]);
    env.ok(&["alias", "add", "fwd@example.com", "ext@other.org", "boss@example.com"]);
    env.ok(&["domain", "remove", "other.org", "--force"]);
    let fwd = env
        .json(&["alias", "list"])
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["address"] == "fwd@example.com")
        .cloned()
        .unwrap();
    assert_eq!(fwd["destinations"], serde_json::json!(["boss@example.com"]));
}

fn concurrent_alias_adds_never_loop(env: Env) {
    env.create("t@example.com", "business");
    for i in 0..6 {
        let (a, b) = (format!("a{i}@example.com"), format!("b{i}@example.com"));
        env.ok(&["alias", "add", &a, "t@example.com"]);
        env.ok(&["alias", "add", &b, "t@example.com"]);
        let h1 = std::thread::spawn({
            let mut c = env.command(&["alias", "add", &a, &b]);
            move || c.output().unwrap()
        });
        let h2 = std::thread::spawn({
            let mut c = env.command(&["alias", "add", &b, &a]);
            move || c.output().unwrap()
        });
        let _ = (h1.join().unwrap(), h2.join().unwrap());
        let store = env.store();
        let looped = block_on(async {
            let mut conn = store.pool.acquire().await.unwrap();
            expand(&mut conn, &a).await.is_err() || expand(&mut conn, &b).await.is_err()
        });
        assert!(!looped, "round {i}: concurrent alias adds made a loop");
    }
}

store_tests!(tier_rule_cannot_be_bypassed, nothing_is_left_dangling, concurrent_alias_adds_never_loop);

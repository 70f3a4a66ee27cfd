//! `mailctl domain add|list|show|remove`

use crate::util::Env;

fn domain_lifecycle(env: Env) {
    env.ok(&["domain", "add", "Bücher.Example"]);
    let d = env.json(&["domain", "show", "bücher.example"]);
    assert_eq!(d["name"], "xn--bcher-kva.example");
    assert_eq!(d["unicode"], "bücher.example");
    let list = env.json(&["domain", "list"]);
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["example.com", "xn--bcher-kva.example"]);
    assert!(env.ok(&["domain", "list"]).contains("xn--bcher-kva.example (bücher.example)"));

    env.fails(&["domain", "add", "example.com"], 73);
    env.fails(&["domain", "add", "EXAMPLE.com."], 73);
    for bad in ["-bad.com", "a..b", "nodot", "sp ace.com", "x_y.com", "1.2.3.4", ""] {
        env.fails(&["domain", "add", "--", bad], 65);
    }
    env.fails(&["domain", "show", "nope.example"], 67);
    env.fails(&["domain", "remove", "nope.example"], 67);
    env.ok(&["domain", "remove", "xn--bcher-kva.example"]);
    assert_eq!(env.json(&["domain", "list"]).as_array().unwrap().len(), 1);
}

fn domain_remove_guarded(env: Env) {
    env.ok(&["domain", "add", "other.org"]);
    env.create("a@other.org", "business");
    env.create("keep@example.com", "business");
    env.ok(&["alias", "add", "x@other.org", "a@other.org"]);
    env.ok(&["alias", "add", "fwd@example.com", "a@other.org", "keep@example.com"]);
    std::fs::write(env.maildir("a@other.org").join("new/1.msg"), "hi").unwrap();
    let err = env.fails(&["domain", "remove", "other.org"], 65);
    assert!(err.contains("1 account(s) and 1 alias(es)"), "{err}");

    env.ok(&["domain", "remove", "other.org", "--force", "--keep-mail"]);
    assert!(env.maildir("a@other.org").join("new/1.msg").exists(), "--keep-mail keeps mail");
    // The alias elsewhere lost its now-dangling destination but kept the other.
    let aliases = env.json(&["alias", "list"]);
    assert_eq!(aliases[0]["address"], "fwd@example.com");
    assert_eq!(aliases[0]["destinations"], serde_json::json!(["keep@example.com"]));

    env.ok(&["domain", "add", "third.org"]);
    env.create("b@third.org", "vip");
    env.ok(&["domain", "remove", "third.org", "--force"]);
    assert!(!env.data_dir().join("mail/third.org").exists(), "mail removed");
    env.fails(&["account", "show", "b@third.org"], 67);
}

store_tests!(domain_lifecycle, domain_remove_guarded);

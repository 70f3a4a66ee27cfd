//! `mailctl quota show|set|recalc`

use crate::util::Env;

fn quota_set_show_recalc(env: Env) {
    env.create("q@example.com", "vip");
    env.create("r@example.com", "paid");
    let shown = env.json(&["quota", "show", "q@example.com"]);
    assert_eq!(shown[0]["limit_bytes"], 1u64 << 30);
    assert_eq!(shown[0]["percent"], 0.0);
    assert_eq!(env.json(&["quota", "show"]).as_array().unwrap().len(), 2);

    for (size, want) in [
        ("500M", Some(500u64 << 20)),
        ("5GiB", Some(5 << 30)),
        ("1.5G", Some(3 << 29)),
        ("2048", Some(2048)),
        ("unlimited", None),
    ] {
        env.ok(&["quota", "set", "q@example.com", size]);
        assert_eq!(env.json(&["quota", "show", "q@example.com"])[0]["limit_bytes"], serde_json::json!(want), "{size}");
    }
    env.ok(&["quota", "set", "q@example.com", "default"]);
    let q = env.json(&["quota", "show", "q@example.com"]);
    assert_eq!((q[0]["limit_bytes"].as_u64(), q[0]["custom"].as_bool()), (Some(1 << 30), Some(false)));
    for bad in ["lots", "-1G", "5X", ""] {
        env.fails(&["quota", "set", "q@example.com", "--", bad], 65);
    }
    env.fails(&["quota", "set", "none@example.com", "1G"], 67);
    env.fails(&["quota", "show", "none@example.com"], 67);

    // Mail placed by hand is counted by recalc, tmp/ is not.
    let dir = env.maildir("q@example.com");
    std::fs::write(dir.join("new/1.a"), vec![b'x'; 1000]).unwrap();
    std::fs::write(dir.join(".Sent/cur/2.b:2,S"), vec![b'x'; 2000]).unwrap();
    std::fs::write(dir.join("tmp/3.c"), vec![b'x'; 4000]).unwrap();
    let r = env.json(&["quota", "recalc", "q@example.com"]);
    assert_eq!(
        (r[0]["used_bytes"].as_u64(), r[0]["messages"].as_u64(), r[0]["changed"].as_bool()),
        (Some(3000), Some(2), Some(true))
    );
    let r = env.json(&["quota", "recalc"]);
    assert!(r.as_array().unwrap().iter().all(|x| x["changed"] == false), "second recalc changes nothing");
    env.ok(&["quota", "set", "q@example.com", "2K"]);
    let q = env.json(&["quota", "show", "q@example.com"]);
    assert_eq!(q[0]["over_quota"], true);
    assert_eq!(q[0]["percent"], 146.5);
    assert!(env.ok(&["quota", "show"]).contains("OVER QUOTA"));
}

store_tests!(quota_set_show_recalc);

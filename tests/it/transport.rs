//! `mailctl transport`: routes for outbound mail.

use crate::util::Env;

fn transport_routes(env: Env) {
    let t = env.json(&["transport", "add", "Example.NET", "[127.0.0.1]:2626"]);
    assert_eq!((t["domain"].as_str(), t["nexthop"].as_str()), (Some("example.net"), Some("[127.0.0.1]:2626")));
    env.ok(&["transport", "add", ".example.org", "relay.example.org:587"]);
    let list = env.json(&["transport", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["domain"], ".example.org");
    assert!(env.ok(&["transport", "list"]).contains("[127.0.0.1]:2626"));
    // Changing needs --replace; bad input changes nothing.
    env.fails(&["transport", "add", "example.net", "[127.0.0.2]:25"], 73);
    env.ok(&["transport", "add", "example.net", "[127.0.0.2]:25", "--replace"]);
    assert_eq!(env.json(&["transport", "list"])[1]["nexthop"], "[127.0.0.2]:25");
    for bad in ["[127.0.0.1", "host:0", "127.0.0.1:25", "bad host:25"] {
        env.fails(&["transport", "add", "example.com", bad], 65);
    }
    env.fails(&["transport", "add", "not a domain", "[127.0.0.1]:25"], 65);
    env.fails(&["transport", "remove", "nowhere.example"], 67);
    env.ok(&["transport", "remove", "example.net"]);
    assert_eq!(env.json(&["transport", "list"]).as_array().unwrap().len(), 1);
}

store_tests!(transport_routes);

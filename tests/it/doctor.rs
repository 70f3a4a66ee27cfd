//! `mailctl doctor` against a running `serve` and a zone in Knot: what is right passes, and
//! each fault made on purpose fails exactly its check, with a fix that names the problem.
//! `mailctl firewall` prints the rules for the enabled listeners.

use crate::dns::{knot, zone};
use crate::util::Env;

store_tests!(doctor_checks_the_live_system_and_names_each_fix);

/// The status of check `id` in a `doctor --json` run.
fn status(checks: &serde_json::Value, id: &str) -> String {
    let c = checks.as_array().unwrap().iter().find(|c| c["id"] == id);
    c.map(|c| c["status"].as_str().unwrap().to_string()).unwrap_or_else(|| panic!("no check {id} in {checks}"))
}

fn check<'a>(checks: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    checks.as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id} in {checks}"))
}

fn doctor(env: &Env, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["--json", "doctor"];
    args.extend(extra);
    let out = env.run(&args, None);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor --json: {e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), json)
}

fn doctor_checks_the_live_system_and_names_each_fix(env: Env) {
    let test = "doctor_checks_the_live_system_and_names_each_fix";
    let Some(k) = knot(test) else { return };
    let z = zone(&env, 7);
    k.reset(&z);
    env.ok(&["domain", "add", &z]);
    env.ok(&["config", "set", "hostname", &format!("mail.{z}")]);
    env.ok(&["config", "set", "ipv4", "192.0.2.10"]);
    env.ok(&["dkim", "generate", "--domain", &z, "--algorithm", "ed25519", "--selector", "k1"]);
    k.configure(&env);
    env.ok(&["dns", "publish", "--domain", &z, "--yes"]);
    // The blocklist: a zone in Knot listing the host's address.
    env.ok(&["config", "set", "dnsbl_zones", &format!("bl.{z}")]);
    k.set(&z, &format!("10.2.0.192.bl.{z}."), "A", "127.0.0.2", false);
    // The content scanners, with GTUBE and EICAR caught.
    let (Some(spamd), Some(clamd)) = (crate::filter::spamd(test), crate::filter::clamd(test)) else { return };
    env.serve_config(&[
        ("dns_resolver", &k.server),
        ("doctor_probe_mx", "127.0.0.1:1"),
        ("spam_filter", "spamd"),
        ("spam_filter_address", &spamd),
        ("virus_scanner", "clamd"),
        ("virus_scanner_address", &clamd),
    ]);
    let srv = env.start_server();

    let started = std::time::Instant::now();
    let (code, checks) = doctor(&env, &["--domain", &z]);
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "doctor took {:?}", started.elapsed());
    assert_eq!(code, 65, "something fails here (no backup, a listed address): {checks}");
    assert_eq!(status(&checks, &format!("dns.{z}.records")), "pass", "{checks}");
    for l in ["smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s", "http", "https", "metrics"] {
        assert_eq!(status(&checks, &format!("listening.{l}")), "pass", "{l}: {checks}");
    }
    assert_eq!(status(&checks, "open-relay"), "pass", "{checks}");
    assert_eq!(status(&checks, "config.dev-mode"), "pass");
    assert_eq!(status(&checks, "config.addresses"), "fail", "192.0.2.10 is a documentation address");
    assert_eq!(status(&checks, "operations.queue"), "pass");
    let backup = check(&checks, "operations.backup");
    assert_eq!(backup["status"], "fail");
    assert!(backup["fix"].as_str().unwrap().contains("mailctl backup create"), "{backup}");
    let listed = check(&checks, &format!("blocklists.bl.{z}"));
    assert_eq!(listed["status"], "fail", "{listed}");
    assert!(listed["evidence"].as_str().unwrap().contains("listed"), "{listed}");
    assert_eq!(status(&checks, "outbound25"), "warn", "port 1 refuses: {checks}");
    assert_eq!(status(&checks, "certificates.served"), "pass", "{checks}");
    assert_eq!(status(&checks, "roundtrip"), "pass", "{checks}");
    let accounts = env.ok(&["--json", "account", "list"]);
    assert!(!accounts.contains("doctor-"), "the throw-away account is gone: {accounts}");
    assert_eq!(status(&checks, "filters.spam"), "pass", "{checks}");
    assert_eq!(status(&checks, "filters.virus"), "pass", "{checks}");
    // The output follows the schema in docs/ (every failure and warning with a fix).
    let out = env.path().join("doctor.json");
    std::fs::write(&out, checks.to_string()).unwrap();
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/doctor.schema.json");
    let valid = crate::server::python(
        "import json, sys, jsonschema\n\
         jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))\n\
         print('valid')",
        &[out.to_str().unwrap(), schema],
    );
    assert_eq!(valid.trim(), "valid");

    // Each fault fails its own check: a list that refuses to answer is unknown, not listed; a
    // DKIM record with another key; a backup made passes.
    k.set(&z, &format!("10.2.0.192.bl.{z}."), "A", "127.255.255.254", true);
    let dkim = format!("k1._domainkey.{z}.");
    let other = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    k.set(&z, &dkim, "TXT", &format!("\"{other}\""), true);
    env.ok(&["backup", "create"]);
    env.ok(&["config", "set", "virus_scanner_address", "127.0.0.1:1"]);
    let (code, checks) = doctor(&env, &["--only", "dns,blocklists,operations,filters"]);
    assert_eq!(code, 65, "{checks}");
    assert_eq!(status(&checks, &format!("blocklists.bl.{z}")), "unknown", "{checks}");
    let key = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"].as_str().unwrap().starts_with(&format!("dns.{z}.dkim")) && c["status"] == "fail")
        .unwrap_or_else(|| panic!("no failing DKIM check: {checks}"));
    assert!(key["fix"].as_str().unwrap().contains(&format!("mailctl dns publish --domain {z}")), "{key}");
    assert_eq!(status(&checks, "operations.backup"), "pass", "{checks}");
    let clam = check(&checks, "filters.virus");
    assert_eq!(clam["status"], "fail", "a scanner that does not answer: {clam}");
    assert!(clam["fix"].as_str().unwrap().contains("127.0.0.1:1"), "{clam}");
    assert!(checks.as_array().unwrap().iter().all(|c| !c["id"].as_str().unwrap().starts_with("listening")));

    // A listener that stops answering fails its check; with the server down, listening says so.
    drop(srv);
    let (_, checks) = doctor(&env, &["--only", "listening"]);
    let down = check(&checks, "listening");
    assert_eq!(down["status"], "fail");
    assert!(down["fix"].as_str().unwrap().contains("mailctl serve"), "{down}");
    env.fails(&["doctor", "--only", "nonsense"], 64);

    // The firewall rules for exactly the enabled listeners (loopback ones are left out).
    env.ok(&["config", "set", "smtp_listen", "0.0.0.0:25"]);
    env.ok(&["config", "set", "imaps_listen", "0.0.0.0:993"]);
    let rules = env.ok(&["firewall", "--format", "nftables"]);
    assert!(rules.contains("tcp dport 25 accept") && rules.contains("tcp dport 993 accept"), "{rules}");
    assert!(!rules.contains("dport 0 "), "{rules}");
    let ufw = env.ok(&["firewall", "--format", "ufw"]);
    assert_eq!(ufw.lines().count(), 2, "{ufw}");
    env.fails(&["firewall", "--format", "ufw", "--apply"], 64);
}

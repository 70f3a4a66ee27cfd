//! `mailctl doctor` against a running `serve` and a zone in Knot: what is right passes, and
//! each fault made on purpose fails exactly its check, with a fix that names the problem.
//! `mailctl firewall` prints the rules for the enabled listeners.

use crate::dns::{knot, zone};
use crate::util::{Env, eventually};

store_tests!(doctor_checks_the_live_system_and_names_each_fix);

/// The failing check of domain `z`'s DKIM record.
fn failing_dkim<'a>(checks: &'a serde_json::Value, z: &str) -> &'a serde_json::Value {
    checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"].as_str().unwrap().starts_with(&format!("dns.{z}.dkim")) && c["status"] == "fail")
        .unwrap_or_else(|| panic!("no failing DKIM check: {checks}"))
}

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
    // An address of its own per backend (the two runs share Knot's reverse zone).
    let octet = if env.db_url().starts_with("postgres") { "11" } else { "10" };
    let ipv4 = format!("192.0.2.{octet}");
    env.ok(&["config", "set", "ipv4", &ipv4]);
    let reverse = format!("{octet}.2.0.192.in-addr.arpa.");
    k.replace("2.0.192.in-addr.arpa", &reverse, "PTR", None);
    env.ok(&["dkim", "generate", "--domain", &z, "--algorithm", "ed25519", "--selector", "k1"]);
    k.configure(&env);
    env.ok(&["dns", "publish", "--domain", &z, "--yes"]);
    // The blocklist: a zone in Knot listing the host's address.
    env.ok(&["config", "set", "dnsbl_zones", &format!("bl.{z}")]);
    k.set(&z, &format!("{octet}.2.0.192.bl.{z}."), "A", "127.0.0.2", false);
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
    assert_eq!(status(&checks, "config.addresses"), "fail", "{ipv4} is a documentation address");
    assert_eq!(status(&checks, "operations.queue"), "pass");
    assert_eq!(status(&checks, "operations.log"), "pass", "{checks}");
    let backup = check(&checks, "operations.backup");
    assert_eq!(backup["status"], "fail");
    assert!(backup["fix"].as_str().unwrap().contains("mailctl backup create"), "{backup}");
    let listed = check(&checks, &format!("blocklists.bl.{z}"));
    assert_eq!(listed["status"], "fail", "{listed}");
    assert!(listed["evidence"].as_str().unwrap().contains("listed"), "{listed}");
    assert_eq!(status(&checks, "outbound25"), "warn", "port 1 refuses: {checks}");
    assert_eq!(status(&checks, "certificates.served"), "pass", "{checks}");
    // The self-signed certificate names the mail host, not mta-sts.D or autoconfig.D.
    let names = check(&checks, "certificates.names");
    assert_eq!(names["status"], "fail", "{names}");
    assert!(names["evidence"].as_str().unwrap().contains(&format!("mta-sts.{z}")), "{names}");
    assert!(names["fix"].as_str().unwrap().contains("mailctl cert issue"), "{names}");
    // Nothing renews a self-signed certificate.
    let renewal = check(&checks, "certificates.renewal");
    assert_eq!(renewal["status"], "warn", "{renewal}");
    assert!(renewal["evidence"].as_str().unwrap().contains("self-signed: nothing renews it"), "{renewal}");
    // No PTR for the address (none in Knot's reverse zone yet): a warning naming the provider.
    let ptr = check(&checks, &format!("dns.{z}.ptr"));
    assert_eq!(ptr["status"], "warn", "{ptr}");
    assert!(ptr["fix"].as_str().unwrap().contains(&format!("PTR to mail.{z}")), "{ptr}");
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
    k.set(&z, &format!("{octet}.2.0.192.bl.{z}."), "A", "127.255.255.254", true);
    let dkim = format!("k1._domainkey.{z}.");
    let other = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    k.set(&z, &dkim, "TXT", &format!("\"{other}\""), true);
    env.ok(&["backup", "create"]);
    // A reload that finds the config broken: the server logs an error, and doctor shows it.
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    std::fs::write(env.config_path(), format!("{config}\nthis is = not toml =\n")).unwrap();
    srv.signal(libc::SIGHUP);
    eventually("the error kept for doctor", || {
        mailctl::recent_errors::since(&env.data_dir(), 0).is_ok_and(|r| !r.errors.is_empty())
    });
    std::fs::write(env.config_path(), &config).unwrap();
    env.ok(&["config", "set", "virus_scanner_address", "127.0.0.1:1"]);
    let (code, checks) = doctor(&env, &["--only", "dns,blocklists,operations,filters"]);
    assert_eq!(code, 65, "{checks}");
    assert_eq!(status(&checks, &format!("blocklists.bl.{z}")), "unknown", "{checks}");
    let key = failing_dkim(&checks, &z);
    assert!(key["fix"].as_str().unwrap().contains(&format!("mailctl dns publish --domain {z}")), "{key}");
    assert_eq!(status(&checks, "operations.backup"), "pass", "{checks}");
    let logged = check(&checks, "operations.log");
    assert_eq!(logged["status"], "warn", "{logged}");
    assert!(logged["evidence"].as_str().unwrap().contains("reload: config kept"), "{logged}");
    assert!(logged["fix"].as_str().unwrap().contains("serve.errors"), "{logged}");
    let clam = check(&checks, "filters.virus");
    assert_eq!(clam["status"], "fail", "a scanner that does not answer: {clam}");
    assert!(clam["fix"].as_str().unwrap().contains("127.0.0.1:1"), "{clam}");
    assert!(checks.as_array().unwrap().iter().all(|c| !c["id"].as_str().unwrap().starts_with("listening")));

    // SPF over the 10-lookup limit, and a stale MTA-STS id published behind mailctl's back.
    let spf: Vec<String> = (1..=11).map(|i| format!("a:h{i}.{z}")).collect();
    env.ok(&["config", "set", "spf_record", &format!("v=spf1 {} ~all", spf.join(" "))]);
    env.ok(&["dns", "publish", "--domain", &z, "--yes"]);
    k.set(&z, &format!("_mta-sts.{z}."), "TXT", "\"v=STSv1; id=stale1\"", true);
    let (_, checks) = doctor(&env, &["--only", "dns", "--domain", &z]);
    assert_eq!(status(&checks, &format!("dns.{z}.spf-limit")), "fail", "{checks}");
    let sts = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"].as_str().unwrap().contains("mta-sts") && c["evidence"].as_str().unwrap().contains("stale1"))
        .unwrap_or_else(|| panic!("no check of the stale MTA-STS id: {checks}"));
    assert_eq!(sts["status"], "fail", "{sts}");
    assert!(sts["fix"].as_str().unwrap().contains("mailctl dns publish"), "{sts}");

    // Reverse DNS: a PTR to the mail host that resolves back passes (only what falls short is
    // listed beside dns.D.records); once the host's address
    // changes behind mailctl's back, the PTR no longer confirms and fails. A missing DKIM
    // record fails.
    k.replace("2.0.192.in-addr.arpa", &reverse, "PTR", Some(&format!("mail.{z}.")));
    let (_, checks) = doctor(&env, &["--only", "dns", "--domain", &z]);
    let has = |checks: &serde_json::Value, id: &str| checks.as_array().unwrap().iter().any(|c| c["id"] == id);
    assert_eq!(status(&checks, &format!("dns.{z}.mta-sts")), "fail", "the dns group ran: {checks}");
    assert!(!has(&checks, &format!("dns.{z}.ptr")), "a confirmed PTR falls short of nothing: {checks}");
    k.set(&z, &format!("mail.{z}."), "A", "192.0.2.99", true);
    k.replace(&z, &dkim, "TXT", None);
    let (_, checks) = doctor(&env, &["--only", "dns", "--domain", &z]);
    let unconfirmed = check(&checks, &format!("dns.{z}.ptr"));
    assert_eq!(unconfirmed["status"], "fail", "{unconfirmed}");
    assert!(unconfirmed["evidence"].as_str().unwrap().contains("does not resolve back"), "{unconfirmed}");
    let missing = failing_dkim(&checks, &z);
    assert!(missing["fix"].as_str().unwrap().contains("mailctl dns publish"), "{missing}");
    k.replace("2.0.192.in-addr.arpa", &reverse, "PTR", None);
    env.ok(&["dns", "publish", "--domain", &z, "--yes"]);

    // A certificate that expires in 5 days.
    let pki = env.path().join("short");
    std::fs::create_dir_all(&pki).unwrap();
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "5"])
        .args(["-subj", &format!("/CN=mail.{z}"), "-addext", &format!("subjectAltName=DNS:mail.{z}")])
        .arg("-keyout")
        .arg(pki.join("key.pem"))
        .arg("-out")
        .arg(pki.join("cert.pem"))
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    env.ok(&["config", "set", "tls_cert", pki.join("cert.pem").to_str().unwrap()]);
    env.ok(&["config", "set", "tls_key", pki.join("key.pem").to_str().unwrap()]);
    let (_, checks) = doctor(&env, &["--only", "certificates"]);
    let expiry = check(&checks, "certificates.expiry");
    assert_eq!(expiry["status"], "fail", "{expiry}");
    assert!(expiry["fix"].as_str().unwrap().contains("mailctl cert renew"), "{expiry}");
    assert_eq!(status(&checks, "certificates.served"), "fail", "serve still presents the old one: {checks}");

    // A listener that stops answering fails its check; with the server down, listening says so.
    drop(srv);
    let (_, checks) = doctor(&env, &["--only", "listening"]);
    let down = check(&checks, "listening");
    assert_eq!(down["status"], "fail");
    assert!(down["fix"].as_str().unwrap().contains("mailctl serve"), "{down}");
    env.fails(&["doctor", "--only", "nonsense"], 64);

    // A message stuck in the queue for two days.
    let spool = env.data_dir().join("spool/outbound");
    std::fs::create_dir_all(&spool).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let old = now - 2 * 86_400;
    let message = b"Subject: stuck\r\n\r\nwaiting since the day before\r\n";
    let envelope = serde_json::json!({"id": "stuck0001", "from": format!("bob@{z}"), "recipients": ["x@elsewhere.example"],
        "received_at": old, "size": message.len(), "submitted_by": null});
    let mut file = format!("MAILCTL-SPOOL/1\n{envelope}\n\n").into_bytes();
    file.extend_from_slice(message);
    std::fs::write(spool.join("stuck0001"), file).unwrap();
    let srv = env.start_server();
    let (_, checks) = doctor(&env, &["--only", "operations"]);
    let queue = check(&checks, "operations.queue");
    assert_eq!(queue["status"], "fail", "{queue}");
    assert!(queue["fix"].as_str().unwrap().contains("mailctl queue show stuck0001"), "{queue}");
    drop(srv);

    // The firewall rules for exactly the enabled listeners (loopback ones are left out).
    env.ok(&["config", "set", "smtp_listen", "0.0.0.0:25"]);
    env.ok(&["config", "set", "imaps_listen", "0.0.0.0:993"]);
    let rules = env.ok(&["firewall", "--format", "nftables"]);
    assert!(rules.contains("tcp dport 25 accept") && rules.contains("tcp dport 993 accept"), "{rules}");
    assert!(!rules.contains("dport 0 "), "{rules}");
    let ufw = env.ok(&["firewall", "--format", "ufw"]);
    assert_eq!(ufw.lines().count(), 2, "{ufw}");
    env.fails(&["firewall", "--format", "ufw", "--apply"], 64);

    // An open relay where serve's SMTP listener is recorded: a misconfigured MTA answering in
    // its place, here a scripted server (named mailctl serve, as the lock file requires) that
    // accepts every recipient.
    // The interpreter itself (python3 may be a wrapper that starts it with another name).
    let python = crate::server::python("import sys; print(sys.executable)", &[]);
    let (_relay, pid, port) = crate::server::helper(std::process::Command::new("bash").args([
        "-c",
        "exec -a mailctl \"$1\" -c \"$0\" serve",
        OPEN_RELAY,
        python.trim(),
    ]));
    std::fs::write(env.data_dir().join("serve.lock"), pid.to_string()).unwrap();
    std::fs::write(env.data_dir().join("serve.listeners"), format!("smtp 127.0.0.1:{port}\n")).unwrap();
    let (code, checks) = doctor(&env, &["--only", "open-relay"]);
    assert_eq!(code, 65, "{checks}");
    let open = check(&checks, "open-relay");
    assert_eq!(open["status"], "fail", "{open}");
    assert!(open["evidence"].as_str().unwrap().contains("relays for anyone"), "{open}");
    assert!(open["fix"].as_str().unwrap().contains("stop serve now"), "{open}");
}

/// An SMTP server that accepts everything (an open relay), on a port it prints; it stops by
/// itself after a minute without a connection.
const OPEN_RELAY: &str = r#"
import socket, threading
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(5)
print(s.getsockname()[1], flush=True)
s.settimeout(60)
def serve(c):
    f = c.makefile('rwb')
    f.write(b'220 relay.invalid ESMTP\r\n'); f.flush()
    for line in f:
        if line[:4].upper() == b'QUIT':
            f.write(b'221 bye\r\n'); f.flush(); break
        f.write(b'250 ok\r\n'); f.flush()
    c.close()
while True:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

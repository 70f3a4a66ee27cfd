//! `/metrics` and `/healthz` on `metrics_listen`: a scrape after real traffic (SMTP, IMAP,
//! the admin API) passes `promtool check metrics` and counts what happened; the shipped alert
//! rules pass `promtool check rules`.

use std::process::{Command, Stdio};

use crate::server::{deliver_one, python, skip_without};
use crate::util::Env;

fn get(url: &str) -> (u16, String) {
    let out = Command::new("curl").args(["-s", "--max-time", "20", "-w", "\n%{http_code}", url]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.parse().unwrap(), body.to_string())
}

/// The value of one sample line `name{labels} value`.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

fn a_scrape_after_real_traffic_counts_it_and_passes_promtool(env: Env) {
    if skip_without("promtool", "a_scrape_after_real_traffic_counts_it_and_passes_promtool") {
        return;
    }
    env.create("ann@example.com", "vip");
    env.serve_config(&[("dev_mode", "true")]);
    let srv = env.start_server();
    let base = format!("http://{}", srv.metrics.expect("a metrics listener"));

    // Traffic: one message in, one refused recipient, an IMAP login that works and one that
    // does not.
    deliver_one(srv.smtp);
    python(
        r#"
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
m.login("ann@example.com", "password123")
m.select("INBOX")
m.fetch("1:*", "(FLAGS)")
m.logout()
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
try:
    m.login("ann@example.com", "wrong-password")
except imaplib.IMAP4.error:
    pass
"#,
        &[&srv.imap.ip().to_string(), &srv.imap.port().to_string()],
    );

    let (code, scrape) = get(&format!("{base}/metrics"));
    assert_eq!(code, 200);
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    check.stdin.take().unwrap().write_all(scrape.as_bytes()).unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{scrape}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for (series, at_least) in [
        (r#"mailctl_smtp_connections_total{listener="smtp"}"#, 1.0),
        (r#"mailctl_smtp_messages_total{listener="smtp",result="accepted"}"#, 1.0),
        (r#"mailctl_deliveries_total{kind="local",outcome="delivered"}"#, 1.0),
        (r#"mailctl_logins_total{protocol="imap",result="ok"}"#, 1.0),
        (r#"mailctl_logins_total{protocol="imap",result="denied"}"#, 1.0),
        (r#"mailctl_imap_command_duration_seconds_count{command="FETCH"}"#, 1.0),
        ("mailctl_queue_messages", 0.0),
        ("mailctl_store_up", 1.0),
        ("mailctl_certificate_expiry_seconds", 86_400.0),
        ("mailctl_start_time_seconds", 1.0),
    ] {
        let v = sample(&scrape, series).unwrap_or_else(|| panic!("{series} missing from\n{scrape}"));
        assert!(v >= at_least, "{series} = {v}");
    }
    // Labels never carry an address.
    assert!(!scrape.contains("ann@example.com") && !scrape.contains("example.org"));

    assert_eq!(get(&format!("{base}/healthz/live")), (200, "ok\n".to_string()));
    let (code, ready) = get(&format!("{base}/healthz/ready"));
    assert_eq!(code, 200, "{ready}");
    let ready: serde_json::Value = serde_json::from_str(&ready).unwrap();
    assert_eq!((ready["store"].as_bool(), ready["data_dir_writable"].as_bool()), (Some(true), Some(true)));
    assert_eq!(get(&format!("{base}/nothing")).0, 404);
    srv.stop();
}

store_tests!(a_scrape_after_real_traffic_counts_it_and_passes_promtool);

#[test]
fn the_shipped_alert_rules_pass_promtool() {
    if skip_without("promtool", "the_shipped_alert_rules_pass_promtool") {
        return;
    }
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/contrib/prometheus/mailctl-rules.yml");
    let out = Command::new("promtool").args(["check", "rules", rules]).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

fn serve_logs_one_json_object_per_line_with_log_format_json(env: Env) {
    env.create("ann@example.com", "vip");
    env.serve_config(&[("log_format", "json")]);
    let srv = env.start_server();
    let accepted = deliver_one(srv.smtp);
    let words: Vec<&str> = accepted.split_whitespace().collect();
    let id = words[words.iter().position(|w| *w == "message").expect("an id before 'message'") - 1].to_string();
    crate::util::eventually("the delivery's log line", || srv.log().contains(&id));
    let log = srv.log();
    let lines: Vec<serde_json::Value> =
        log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    // The transaction's line carries its queue id and its session's id and client (spans).
    let delivered = lines
        .iter()
        .find(|l| l["span"]["id"] == id.as_str() && l["fields"]["result"] == "delivered")
        .unwrap_or_else(|| panic!("no delivered line for {id}:\n{log}"));
    assert!(delivered["timestamp"].is_string() && delivered["level"] == "INFO");
    let session = &delivered["spans"][0];
    assert_eq!(session["name"], "session", "{delivered}");
    assert_eq!(session["sid"].as_str().map(str::len), Some(8), "{delivered}");
    assert!(session["client"].as_str().is_some_and(|c| c.starts_with("127.0.0.1:")), "{delivered}");
    assert_eq!(session["listener"], "smtp", "{delivered}");
    srv.stop();
}

store_tests!(serve_logs_one_json_object_per_line_with_log_format_json);

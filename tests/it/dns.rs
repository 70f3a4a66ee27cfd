//! `dns records|publish|check` against real peers: Knot (RFC 2136 with TSIG), moto's server
//! (Route53), and the Cloudflare fake (tests/peers/cloudflare_fake.py, no real peer exists).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::server::skip_without;
use crate::util::{Backend, Env, peer_env, peers_required, skip};

store_tests!(dns_records, dns_rfc2136, dns_spf_conflict, dns_rfc2136_update_only, dns_route53, dns_cloudflare);

/// A Knot zone of our own: z01..z24.knot.test, one per test and backend.
pub fn zone(env: &Env, n: usize) -> String {
    let i = n * 2 + usize::from(env.backend == Backend::Postgres) + 1;
    format!("z{i:02}.knot.test")
}

/// The domain set up for DNS: its own mail host name, addresses and a DKIM key.
fn setup(env: &Env, domain: &str) {
    env.ok(&["domain", "add", domain]);
    env.ok(&["config", "set", "hostname", &format!("mail.{domain}")]);
    env.ok(&["config", "set", "ipv4", "192.0.2.10"]);
    env.ok(&["config", "set", "ipv6", "2001:db8::10"]);
    env.ok(&["dkim", "generate", "--domain", domain, "--algorithm", "ed25519", "--selector", "k1"]);
}

fn dns_records(env: Env) {
    setup(&env, "example.org");
    let zone = env.ok(&["dns", "records", "--domain", "example.org"]);
    for line in [
        "example.org.",
        "IN MX    10 mail.example.org.",
        "mail.example.org.              3600 IN A     192.0.2.10",
        "IN AAAA  2001:db8::10",
        "\"v=spf1 mx a:mail.example.org ip4:192.0.2.10 ip6:2001:db8::10 ~all\"",
        "k1._domainkey.example.org.",
        "_dmarc.example.org.            3600 IN TXT   \"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org\"",
        "_submissions._tcp.example.org. 3600 IN SRV   0 1 465 mail.example.org.",
        "mail.example.org.              3600 IN CAA   0 issue \"letsencrypt.org\"",
        "; 10.2.0.192.in-addr.arpa. IN PTR mail.example.org.",
    ] {
        assert!(zone.contains(line), "missing {line:?} in\n{zone}");
    }
    // The zone form is valid zone-file syntax (dnspython's parser, a real one).
    let file = env.path().join("records.zone");
    std::fs::write(&file, &zone).unwrap();
    let parsed = Command::new("python3")
        .args(["-c", "import sys, dns.zone; z = dns.zone.from_text(open(sys.argv[1]).read(), origin='example.org.', check_origin=False); print(sum(len(r) for _, r in z.iterate_rdatasets()))"])
        .arg(&file)
        .output();
    match parsed {
        Ok(o) if o.status.success() => {
            let n: usize = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap();
            assert_eq!(n, 17, "records parsed from the zone form");
        }
        Ok(o) if peers_required() => panic!("dnspython rejects the zone: {}", String::from_utf8_lossy(&o.stderr)),
        _ => skip("dns_records", "dnspython is not installed: zone syntax not checked"),
    }
    let json = env.json(&["dns", "records", "--domain", "example.org"]);
    let records = json[0]["records"].as_array().unwrap();
    assert!(records.iter().any(|r| r["type"] == "PTR" && r["publish"] == false));
    assert!(
        records
            .iter()
            .any(|r| r["purpose"] == "dkim" && r["value"].as_str().unwrap().starts_with("v=DKIM1; k=ed25519; p="))
    );
    let table = env.ok(&["dns", "records", "--domain", "example.org", "--format", "table"]);
    assert!(table.contains("NAME") && table.contains("_dmarc.example.org"), "{table}");
    // Every domain without --domain; bad input.
    assert!(env.ok(&["dns", "records"]).contains("; mail records for example.com"));
    env.fails(&["dns", "records", "--domain", "nope.test"], 67);
    env.fails(&["dns", "records", "--format", "yaml"], 64);
    env.fails(&["config", "set", "ipv4", "300.1.1.1"], 65);
    // `init --ipv4/--ipv6` writes the addresses.
    let mut init = env.init_args("example.com");
    init.extend(["--force", "--ipv4", "203.0.113.7", "--ipv6", "2001:db8::7"].map(String::from));
    env.ok(&init.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(env.ok(&["config", "get", "ipv4"]).trim(), "203.0.113.7");
    assert_eq!(env.ok(&["config", "get", "ipv6"]).trim(), "2001:db8::7");
    env.fails(&["init", "--domain", "example.com", "--force", "--ipv4", "2001:db8::1"], 64);
}

pub struct Knot {
    pub server: String,
    pub key: PathBuf,
    conf: PathBuf,
}

/// On the Knot of config `conf`, make each (name, type) of `zone` just its data (None: no
/// record), whether or not any were there, in one transaction, at `ttl`. Knot keeps one
/// transaction per zone, so edits through here take their turns; a failed one is aborted,
/// never left open for the next test.
pub fn knot_replace(conf: &std::path::Path, zone: &str, ttl: &str, records: &[(&str, &str, Option<&str>)]) {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let run = |args: &[&str]| Command::new("knotc").arg("-c").arg(conf).args(args).output().unwrap();
    let begun = run(&["zone-begin", zone]);
    assert!(begun.status.success(), "knotc zone-begin {zone}: {}", String::from_utf8_lossy(&begun.stderr));
    for (name, rtype, _) in records {
        // Unsetting what is not there is an error knotc reports; the transaction stays open.
        run(&["zone-unset", zone, name, rtype]);
    }
    for (name, rtype, data) in records {
        let Some(data) = data else { continue };
        let out = run(&["zone-set", zone, name, ttl, rtype, data]);
        if !out.status.success() {
            run(&["zone-abort", zone]);
            panic!("knotc zone-set {zone} {name} {rtype}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let out = run(&["zone-commit", zone]);
    assert!(out.status.success(), "knotc zone-commit {zone}: {}", String::from_utf8_lossy(&out.stderr));
}

pub fn knot(test: &str) -> Option<Knot> {
    let unavailable = "Knot not available; run scripts/peer-knot.sh start and set MAILCTL_TEST_KNOT(_KEY)";
    let [server, key] = peer_env(test, "Knot", ["MAILCTL_TEST_KNOT", "MAILCTL_TEST_KNOT_KEY"], unavailable)?;
    let key = PathBuf::from(key);
    let conf = key.with_file_name("knot.conf");
    Some(Knot { server, key, conf })
}

impl Knot {
    pub fn knotc(&self, args: &[&str]) -> String {
        let out = Command::new("knotc").arg("-c").arg(&self.conf).args(args).output().unwrap();
        assert!(out.status.success(), "knotc {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Back to the zone the peer script made (SOA, NS, ns1's address), so a test can run
    /// again against a long-lived server: `scripts/peer-knot.sh reset`.
    pub fn reset(&self, zone: &str) {
        let state = self.conf.parent().and_then(|d| d.parent()).unwrap();
        let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/peer-knot.sh"))
            .args(["reset", zone])
            .env("MAILCTL_PEER_STATE", state)
            .output()
            .unwrap();
        assert!(out.status.success(), "peer-knot.sh reset {zone}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Change the zone behind mailctl's back.
    pub fn set(&self, zone: &str, name: &str, rtype: &str, data: &str, unset_first: bool) {
        let c = |args: &[&str]| {
            self.knotc(args);
        };
        c(&["zone-begin", zone]);
        if unset_first {
            c(&["zone-unset", zone, name, rtype]);
        }
        c(&["zone-set", zone, name, "300", rtype, data]);
        c(&["zone-commit", zone]);
    }

    /// Make `name`'s `rtype` records in `zone` just `data` (None: none), whether or not any
    /// were there ([`knot_replace`]).
    pub fn replace(&self, zone: &str, name: &str, rtype: &str, data: Option<&str>) {
        knot_replace(&self.conf, zone, "300", &[(name, rtype, data)]);
    }

    pub fn dig(&self, name: &str, rtype: &str) -> String {
        let (host, port) = self.server.rsplit_once(':').unwrap();
        let out = Command::new("dig")
            .args([&format!("@{host}"), "-p", port, "+short", "+norec", name, rtype])
            .output()
            .expect("dig (bind9-dnsutils)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The config names this server as the DNS provider.
    pub fn configure(&self, env: &Env) {
        env.ok(&["config", "set", "dns_provider", "rfc2136"]);
        env.ok(&["config", "set", "dns_server", &self.server]);
        env.ok(&["config", "set", "dns_tsig_key", self.key.to_str().unwrap()]);
    }

    /// `dkim rotate --publish` to an ed25519 key, waiting on this server.
    pub fn rotate(&self, env: &Env, zone: &str, selector: &str) {
        env.ok(&[
            "dkim",
            "rotate",
            "--domain",
            zone,
            "--selector",
            selector,
            "--algorithm",
            "ed25519",
            "--publish",
            "--resolver",
            &self.server,
        ]);
    }

    /// `dns publish --domain D` through this server, signed with `key`, then `extra`.
    fn publish<'a>(&'a self, domain: &'a str, key: &'a std::path::Path, extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec!["dns", "publish", "--domain", domain, "--provider", "rfc2136", "--server", &self.server];
        a.extend(["--tsig-key", key.to_str().unwrap()]);
        a.extend_from_slice(extra);
        a
    }
}

fn dns_rfc2136(env: Env) {
    let Some(k) = knot("dns_rfc2136") else { return };
    let z = zone(&env, 0);
    k.reset(&z);
    setup(&env, &z);
    let publish = |extra: &[&'static str]| k.publish(&z, &k.key, extra);
    // The plan, and nothing changed.
    let plan = env.ok(&publish(&["--dry-run"]));
    assert!(plan.contains(&format!("{z} (rfc2136): 17 to create, 0 to update, 0 to delete")), "{plan}");
    assert!(plan.contains(&format!("  + {z} 3600 MX 10 mail.{z}.")), "{plan}");
    assert_eq!(k.dig(&z, "MX"), "");
    // Without --yes and without a terminal: refused, nothing changed.
    let err = env.fails(&publish(&[]), 64);
    assert!(err.contains("pass --yes"), "{err}");
    assert_eq!(k.dig(&z, "MX"), "");

    let r = env.json(&publish(&["--yes", "--wait"]));
    assert_eq!(r["zones"][0]["applied"], 17, "{r}");
    assert_eq!(r["zones"][0]["visible"], true);
    assert_eq!(k.dig(&z, "MX").trim(), format!("10 mail.{z}."));
    assert!(k.dig(&format!("k1._domainkey.{z}"), "TXT").contains("v=DKIM1; k=ed25519; p="));
    let check = env.ok(&["dns", "check", "--domain", &z, "--resolver", &k.server]);
    assert!(check.contains(&format!("{z} (asked {}): ok", k.server)), "{check}");

    // A second run plans nothing and only reads (one AXFR).
    let r = env.json(&publish(&["--yes"]));
    assert_eq!(r["zones"][0]["changes"], Value::Array(vec![]), "{r}");
    assert_eq!(r["requests"]["writes"], 0);
    assert_eq!(r["requests"]["reads"], 1);

    // Changed behind mailctl's back: check names it; a foreign TXT at the apex is kept.
    k.set(&z, &format!("_dmarc.{z}."), "TXT", "\"v=DMARC1; p=none\"", true);
    k.set(&z, &format!("{z}."), "TXT", "\"site-verification=abc\"", false);
    let out = env.run(&["dns", "check", "--domain", &z, "--resolver", &k.server, "--json"], None);
    assert_eq!(out.status.code(), Some(65), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let bad: Vec<(String, String)> = report[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["verdict"] != "ok" && f["verdict"] != "warning")
        .map(|f| (f["name"].as_str().unwrap().to_string(), f["verdict"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(bad, [(format!("_dmarc.{z}"), "wrong".to_string())], "{report}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("required records missing or wrong"));
    let plan = env.ok(&publish(&["--yes"]));
    assert!(plan.contains("0 to create, 1 to update, 0 to delete"), "{plan}");
    let apex = k.dig(&z, "TXT");
    assert!(apex.contains("site-verification=abc") && apex.contains("v=spf1 mx"), "{apex}");
    env.ok(&["dns", "check", "--domain", &z, "--resolver", &k.server]);

    // A wrong TSIG key: the server refuses, one line, nothing changed.
    let bad_key = env.path().join("bad.key");
    std::fs::write(&bad_key, "key \"mailctl-test\" {\n\talgorithm hmac-sha256;\n\tsecret \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\";\n};\n")
        .unwrap();
    std::fs::set_permissions(&bad_key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let with_bad_key = k.publish(&z, &bad_key, &["--yes"]);
    let err = env.fails(&with_bad_key, 77);
    assert!(err.contains("BADSIG"), "{err}");
    assert!(!err.contains("AAAAAAAA"), "the secret is never printed: {err}");
    // A key file others can read is refused before anything is sent.
    std::fs::set_permissions(&bad_key, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    env.fails(&with_bad_key, 78);
    // No server, no key: usage errors.
    env.fails(&["dns", "publish", "--domain", &z, "--provider", "rfc2136", "--yes"], 64);
    env.fails(&["dns", "publish", "--domain", &z, "--yes"], 64);

    // DKIM rotation that waits for DNS, with the provider from the config.
    k.configure(&env);
    k.rotate(&env, &z, "k2");
    let keys = env.json(&["dkim", "list", "--domain", &z]);
    let status = |s: &str| keys.as_array().unwrap().iter().find(|k| k["selector"] == s).unwrap()["status"].clone();
    assert_eq!(status("k2"), "active");
    assert_eq!(status("k1"), "inactive");
    assert!(k.dig(&format!("k2._domainkey.{z}"), "TXT").contains("v=DKIM1"));
    // The old key stays published for the grace period; with none left, publish retires it.
    env.ok(&["dns", "check", "--domain", &z, "--resolver", &k.server]);
    env.ok(&["config", "set", "dkim_grace_days", "0"]);
    let plan = env.ok(&["dns", "publish", "--domain", &z, "--yes"]);
    assert!(plan.contains(&format!("  - k1._domainkey.{z}")), "{plan}");
    assert_eq!(k.dig(&format!("k1._domainkey.{z}"), "TXT"), "");
    assert_eq!(env.json(&["dkim", "list", "--domain", &z])[0]["status"], "retired");
    // `dkim retire --publish` takes its record away at once.
    k.rotate(&env, &z, "k3");
    assert!(k.dig(&format!("k2._domainkey.{z}"), "TXT").contains("v=DKIM1"), "k2 is in its grace period");
    env.ok(&["dkim", "retire", "--domain", &z, "--selector", "k2", "--publish"]);
    assert_eq!(k.dig(&format!("k2._domainkey.{z}"), "TXT"), "");
    assert!(k.dig(&format!("k3._domainkey.{z}"), "TXT").contains("v=DKIM1"));
    env.ok(&["dns", "check", "--domain", &z, "--resolver", &k.server]);
}

fn dns_spf_conflict(env: Env) {
    let Some(k) = knot("dns_spf_conflict") else { return };
    let z = zone(&env, 1);
    k.reset(&z);
    setup(&env, &z);
    // Stored as two strings: a removal must name it exactly as the zone has it.
    let foreign = "v=spf1 include:_spf.example.net ~all";
    k.set(&z, &format!("{z}."), "TXT", "\"v=spf1 include:_spf.example.net \" \"~all\"", false);
    let mut args = k.publish(&z, &k.key, &["--yes"]);
    let out = env.run(&args, None);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("conflict: {z} TXT")) && err.contains("--replace-spf"), "{err}");
    assert_eq!(k.dig(&z, "TXT").trim(), "\"v=spf1 include:_spf.example.net \" \"~all\"", "a foreign SPF is left alone");
    assert!(err.contains(foreign), "{err}");
    let out = env.run(&["dns", "check", "--domain", &z, "--resolver", &k.server], None);
    assert_eq!(out.status.code(), Some(65));
    args.push("--replace-spf");
    env.ok(&args);
    let txt = k.dig(&z, "TXT");
    assert!(txt.contains("v=spf1 mx a:mail.") && !txt.contains("_spf.example.net"), "{txt}");
    env.ok(&["dns", "check", "--domain", &z, "--resolver", &k.server]);

    // A mail domain below the zone's apex is published into the zone that holds it.
    let lists = format!("lists.{z}");
    env.ok(&["domain", "add", &lists]);
    env.ok(&k.publish(&lists, &k.key, &["--yes"]));
    assert_eq!(k.dig(&lists, "MX").trim(), format!("10 mail.{z}."));
    assert!(k.dig(&format!("_dmarc.{lists}"), "TXT").contains("v=DMARC1"));
    env.ok(&["dns", "check", "--domain", &lists, "--resolver", &k.server]);
    // Changing ownership of one name (a DKIM selector) keeps what else mailctl owns: a new
    // address then updates its own SPF without --replace-spf.
    k.configure(&env);
    k.rotate(&env, &z, "k2");
    env.ok(&["config", "set", "ipv4", "192.0.2.77"]);
    let out = env.run(&["dns", "publish", "--domain", &z, "--yes"], None);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("conflict"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(k.dig(&z, "TXT").contains("ip4:192.0.2.77"));
}

/// A key that may update but not transfer: the zone is read by queries.
fn dns_rfc2136_update_only(env: Env) {
    let Some(k) = knot("dns_rfc2136_update_only") else { return };
    let z = zone(&env, 5);
    k.reset(&z);
    setup(&env, &z);
    let key = k.key.with_file_name("update-only.key");
    let publish = |extra: &[&str]| -> Value {
        let mut a = k.publish(&z, &key, &["--yes"]);
        a.extend_from_slice(extra);
        env.json(&a)
    };
    let r = publish(&[]);
    assert_eq!(r["zones"][0]["applied"], 17, "{r}");
    assert_eq!(k.dig(&z, "MX").trim(), format!("10 mail.{z}."));
    // A foreign TXT at the apex is seen by the queries and kept.
    k.set(&z, &format!("{z}."), "TXT", "\"site-verification=q\"", false);
    env.ok(&["config", "set", "ipv4", "192.0.2.99"]);
    let r = publish(&[]);
    let changed: Vec<String> =
        r["zones"][0]["changes"].as_array().unwrap().iter().map(|c| format!("{} {}", c["name"], c["type"])).collect();
    assert_eq!(changed, [format!("\"mail.{z}\" \"A\""), format!("\"{z}\" \"TXT\"")], "{r}");
    let apex = k.dig(&z, "TXT");
    assert!(apex.contains("site-verification=q") && apex.contains("ip4:192.0.2.99"), "{apex}");
    // Nothing changed: queries only, no update.
    let r = publish(&[]);
    assert_eq!(r["zones"][0]["changes"], Value::Array(vec![]), "{r}");
    assert_eq!(r["requests"]["writes"], 0);
    env.ok(&["dns", "check", "--domain", &z, "--resolver", &k.server]);
}

/// Route53 through moto's server: a hosted zone made with its API.
struct Moto {
    url: String,
}

const R53_AUTH: &str = "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=00";

fn moto(test: &str) -> Option<Moto> {
    let unavailable = "moto not available; run scripts/peer-moto.sh start and set MAILCTL_TEST_MOTO_URL";
    peer_env(test, "moto", ["MAILCTL_TEST_MOTO_URL"], unavailable).map(|[url]| Moto { url })
}

impl Moto {
    fn call(&self, method: &str, path: &str, body: Option<&str>) -> String {
        let mut c = Command::new("curl");
        c.args(["-s", "-X", method, "-H", R53_AUTH, "-H", "Content-Type: text/xml"]);
        if let Some(b) = body {
            c.args(["--data-binary", b]);
        }
        let out = c.arg(format!("{}{path}", self.url)).output().expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn create_zone(&self, zone: &str) -> String {
        let body = format!(
            "<CreateHostedZoneRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Name>{zone}.</Name><CallerReference>{zone}</CallerReference></CreateHostedZoneRequest>"
        );
        let out = self.call("POST", "/2013-04-01/hostedzone", Some(&body));
        let start = out.find("<Id>/hostedzone/").expect(&out) + "<Id>/hostedzone/".len();
        out[start..].split('<').next().unwrap().to_string()
    }

    fn upsert(&self, id: &str, sets: &[(String, &str, String)]) {
        let mut body = String::from(
            "<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><ChangeBatch><Changes>",
        );
        for (name, rtype, value) in sets {
            body.push_str(&format!(
                "<Change><Action>UPSERT</Action><ResourceRecordSet><Name>{name}.</Name><Type>{rtype}</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>{value}</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"
            ));
        }
        body.push_str("</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>");
        let out = self.call("POST", &format!("/2013-04-01/hostedzone/{id}/rrset"), Some(&body));
        assert!(out.contains("ChangeInfo"), "{out}");
    }

    /// Every record set's "name type value", page by page.
    fn records(&self, id: &str) -> Vec<String> {
        let out = self.call("GET", &format!("/2013-04-01/hostedzone/{id}/rrset?maxitems=1000"), None);
        out.split("<ResourceRecordSet>")
            .skip(1)
            .map(|s| {
                let get = |tag: &str| {
                    s.split(&format!("<{tag}>"))
                        .nth(1)
                        .and_then(|r| r.split(&format!("</{tag}>")).next())
                        .unwrap_or("")
                        .to_string()
                };
                format!("{} {} {}", get("Name"), get("Type"), get("Value"))
            })
            .collect()
    }
}

fn dns_route53(env: Env) {
    let Some(m) = moto("dns_route53") else { return };
    // moto keeps its zones while it runs: a name of our own each time.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let z = format!("r53-{}-{nanos}.test", if env.backend == Backend::Postgres { "pg" } else { "lite" });
    setup(&env, &z);
    let id = m.create_zone(&z);
    // Foreign records: 150 names (pagination past 100), and a verification TXT at the apex.
    let mut foreign: Vec<(String, &str, String)> =
        (0..150).map(|i| (format!("host{i:03}.{z}"), "A", format!("198.51.100.{}", i % 250))).collect();
    foreign.push((z.clone(), "TXT", "\"site-verification=xyz\"".into()));
    m.upsert(&id, &foreign);
    let before = m.records(&id).len();

    let publish = |extra: &[&str]| {
        let mut a: Vec<String> = ["dns", "publish", "--domain", &z, "--provider", "route53", "--endpoint", &m.url]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |args: &[String], creds: bool| {
        let mut c = env.command(&args.iter().map(String::as_str).collect::<Vec<_>>());
        c.env_remove("AWS_ENDPOINT_URL").env_remove("AWS_ENDPOINT_URL_ROUTE_53").env_remove("AWS_SESSION_TOKEN");
        if creds {
            c.env("AWS_ACCESS_KEY_ID", "AKIDMAILCTLTEST").env("AWS_SECRET_ACCESS_KEY", "s3cr3t-never-printed");
        } else {
            c.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY");
        }
        c.output().unwrap()
    };
    let json = |args: &[String]| -> Value {
        let mut a = args.to_vec();
        a.push("--json".into());
        let out = run(&a, true);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };

    let dry = json(&publish(&["--dry-run"]));
    assert_eq!(dry["zones"][0]["changes"].as_array().unwrap().len(), 17, "{dry}");
    assert_eq!(m.records(&id).len(), before, "a dry run changes nothing");

    let r = json(&publish(&["--yes"]));
    assert_eq!(r["zones"][0]["applied"], 17, "{r}");
    // zone lookup, two pages of records, one change batch, one GetChange
    assert_eq!(r["requests"]["writes"], 1, "{r}");
    let after = m.records(&id);
    assert!(after.contains(&format!("{z}. MX 10 mail.{z}.")), "{after:?}");
    assert!(
        after.iter().any(|l| l.starts_with(&format!("k1._domainkey.{z}. TXT &quot;v=DKIM1"))
            || l.starts_with(&format!("k1._domainkey.{z}. TXT \"v=DKIM1"))),
        "{after:?}"
    );
    for i in [0, 77, 149] {
        assert!(after.iter().any(|l| l.starts_with(&format!("host{i:03}.{z}. A "))), "foreign host{i:03} kept");
    }
    let apex_txt = m.call("GET", &format!("/2013-04-01/hostedzone/{id}/rrset?name={z}.&type=TXT&maxitems=1"), None);
    assert!(apex_txt.contains("site-verification=xyz") && apex_txt.contains("v=spf1 mx"), "{apex_txt}");

    // Nothing changed: the re-run only reads (zone by name, two pages of 100).
    let r = json(&publish(&["--yes"]));
    assert_eq!(r["zones"][0]["changes"], Value::Array(vec![]), "{r}");
    assert_eq!(r["requests"], serde_json::json!({ "reads": 3, "writes": 0 }), "{r}");

    // The config's ipv4 changes: one UPSERT for A and for the SPF we own.
    env.ok(&["config", "set", "ipv4", "192.0.2.20"]);
    let r = json(&publish(&["--yes"]));
    let changed: Vec<String> = r["zones"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {} {}", c["action"], c["name"], c["type"]))
        .collect();
    assert_eq!(changed, [format!("\"update\" \"mail.{z}\" \"A\""), format!("\"update\" \"{z}\" \"TXT\"")], "{r}");

    // Errors: one line with the provider's own message, non-zero, nothing printed of the secret.
    let out = run(&publish(&["--yes", "--zone-id", "NOSUCHZONE"]), true);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(67), "{err}");
    assert!(err.starts_with("mailctl: route53: NoSuchHostedZone"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");
    let out = run(&publish(&["--yes"]), false);
    assert_eq!(out.status.code(), Some(78), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(
        &["dns", "publish", "--domain", &z, "--provider", "route53", "--endpoint", "http://127.0.0.1:1", "--yes"]
            .map(String::from),
        true,
    );
    assert_eq!(out.status.code(), Some(69), "{}", String::from_utf8_lossy(&out.stderr));
    // Credentials from a 0600 file named in the config.
    let creds = env.path().join("aws.env");
    std::fs::write(&creds, "AWS_ACCESS_KEY_ID=AKIDFILE\nAWS_SECRET_ACCESS_KEY=from-file\n").unwrap();
    std::fs::set_permissions(&creds, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    env.ok(&["config", "set", "dns_credentials_file", creds.to_str().unwrap()]);
    let out = run(&publish(&["--yes"]), false);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The Cloudflare fake, for one test.
struct Cloudflare {
    child: Child,
    port: u16,
}

impl Drop for Cloudflare {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Cloudflare {
    fn start(zone: &str) -> Cloudflare {
        Self::start_zones(&[zone])
    }

    fn start_zones(zones: &[&str]) -> Cloudflare {
        use std::io::BufRead;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/cloudflare_fake.py");
        let mut child = Command::new("python3")
            .args([script, "--port", "0", "--token", "cf-token-secret"])
            .args(zones.iter().flat_map(|z| ["--zone", z]))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("READY ").expect(&line).parse().unwrap();
        Cloudflare { child, port }
    }

    fn control(&self, method: &str, path: &str, body: Option<&str>) -> Value {
        let mut c = Command::new("curl");
        c.args(["-s", "-X", method]);
        if let Some(b) = body {
            c.args(["-H", "Content-Type: application/json", "--data-binary", b]);
        }
        let out = c.arg(format!("http://127.0.0.1:{}{path}", self.port)).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/client/v4", self.port)
    }
}

/// Run mailctl with a Cloudflare API token in its environment.
fn with_token(env: &Env, args: &[&str], token: &str) -> std::process::Output {
    let mut c = env.command(args);
    c.env("CLOUDFLARE_API_TOKEN", token);
    c.output().unwrap()
}

fn dns_cloudflare(env: Env) {
    if skip_without("python3", "dns_cloudflare") {
        return;
    }
    let z = format!("cf-{}.test", if env.backend == Backend::Postgres { "pg" } else { "lite" });
    setup(&env, &z);
    let cf = Cloudflare::start(&z);
    // 150 foreign A records (two pages of records) and a site-verification TXT, in one request.
    let mut seed: Vec<Value> = (0..150)
        .map(|i| {
            serde_json::json!({"type": "A", "name": format!("web{i}.{z}"), "content": format!("198.51.100.{}", i % 250), "ttl": 300})
        })
        .collect();
    seed.push(serde_json::json!({"type": "TXT", "name": z, "content": "\"site-verification=cf\"", "ttl": 300}));
    cf.control("POST", &format!("/_fake/records?zone={z}"), Some(&Value::Array(seed).to_string()));
    let endpoint = cf.endpoint();
    let run = |extra: &[&str], token: &str| {
        let mut a = vec!["dns", "publish", "--domain", &z, "--provider", "cloudflare", "--endpoint", &endpoint];
        a.extend_from_slice(extra);
        with_token(&env, &a, token)
    };
    let json = |extra: &[&str]| -> Value {
        let mut a = extra.to_vec();
        a.push("--json");
        let out = run(&a, "cf-token-secret");
        assert!(out.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let records = || cf.control("GET", &format!("/_fake/records?zone={z}"), None).as_array().unwrap().clone();
    let before = records().len();

    // A bad token: Cloudflare's own message, exit 77, the token never printed.
    let out = run(&["--yes"], "wrong-token");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(77), "{err}");
    assert!(err.contains("cloudflare: Invalid access token (code 9109)"), "{err}");
    assert!(!err.contains("wrong-token") && !err.contains("cf-token-secret"), "{err}");

    // A change rejected half-way: the third record created fails; the plan is reported
    // half-applied, and a re-run finishes it.
    cf.control("POST", "/_fake/fail", Some(r#"{"status": 400, "method": "POST", "path": "/dns_records", "skip": 2, "code": 1004, "message": "DNS Validation Error"}"#));
    let out = run(&["--yes"], "cf-token-secret");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(
        err.contains("DNS Validation Error (code 1004) (HTTP 400)") && err.contains("half-applied: 2 of 17"),
        "{err}"
    );
    assert_eq!(records().len(), before + 2);

    // Rate limited while listing: retried after Retry-After.
    cf.control(
        "POST",
        "/_fake/fail",
        Some(r#"{"status": 429, "method": "GET", "path": "/dns_records", "retry_after": 1}"#),
    );
    let r = json(&["--yes"]);
    assert_eq!(r["zones"][0]["applied"], 15, "{r}");
    let all = records();
    assert_eq!(all.len(), before + 17, "16 records and the SPF beside the foreign TXT");
    let has = |t: &str, name: &str, content: &str| {
        all.iter().any(|r| r["type"] == t && r["name"] == name && r["content"].as_str().unwrap().contains(content))
    };
    assert!(has("MX", &z, &format!("mail.{z}")));
    assert!(has("TXT", &z, "site-verification=cf") && has("TXT", &z, "v=spf1 mx"));
    assert!(has("SRV", &format!("_imaps._tcp.{z}"), &format!("993 mail.{z}")));
    assert!(has("CAA", &format!("mail.{z}"), "letsencrypt.org"));
    assert!(has("A", &format!("web149.{z}"), "198.51.100.149"));

    // Nothing to do: only reads (the zone by name, two pages of records).
    cf.control("POST", "/_fake/requests/reset", None);
    let r = json(&["--yes"]);
    assert_eq!(r["zones"][0]["changes"], Value::Array(vec![]), "{r}");
    assert_eq!(r["requests"], serde_json::json!({ "reads": 3, "writes": 0 }));
    let seen = cf.control("GET", "/_fake/requests", None);
    assert_eq!(seen["by_method"], serde_json::json!({ "GET": 3 }), "{seen}");
    // An unknown zone.
    let a = ["dns", "publish", "--domain", "example.com", "--provider", "cloudflare", "--endpoint", &endpoint, "--yes"];
    let out = with_token(&env, &a, "cf-token-secret");
    assert_eq!(out.status.code(), Some(67), "{}", String::from_utf8_lossy(&out.stderr));
    drop(cf);

    // Every domain in one run, each into its own zone: one with a zone of its own, one below
    // it (in its parent's zone), one in another zone.
    env.ok(&["domain", "remove", "example.com", "--force"]);
    let other = format!("other-{z}");
    let cf = Cloudflare::start_zones(&[&z, &other]);
    env.ok(&["domain", "add", &format!("lists.{z}")]);
    env.ok(&["domain", "add", &other]);
    let endpoint = cf.endpoint();
    let a = ["dns", "publish", "--provider", "cloudflare", "--endpoint", &endpoint, "--yes"];
    let out = with_token(&env, &a, "cf-token-secret");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let names = |zone: &str| -> Vec<String> {
        cf.control("GET", &format!("/_fake/records?zone={zone}"), None)
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] == "MX")
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    let mut in_z = names(&z);
    in_z.sort();
    assert_eq!(in_z, [z.clone(), format!("lists.{z}")]);
    assert_eq!(names(&other), vec![other.clone()]);
    // A zone id names one zone.
    let a = ["dns", "publish", "--provider", "cloudflare", "--endpoint", &endpoint, "--zone-id", "x", "--yes"];
    let out = with_token(&env, &a, "cf-token-secret");
    assert_eq!(out.status.code(), Some(64));
}

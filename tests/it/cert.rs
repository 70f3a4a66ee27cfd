//! `cert` against Pebble (Let's Encrypt's test CA, started by `.ci/run` with its default 5%
//! bad nonces and no authorization reuse), which resolves names through the Knot server of the
//! DNS tests: each test publishes its mail host's A record (127.0.0.1) there first.

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::dns::{Knot, knot, zone};
use crate::util::eventually;
use crate::util::{Env, peer_env};

store_tests!(cert_standalone_and_renewal, cert_answered_by_serve, cert_dns01, web_port_taken);

/// Pebble validates HTTP-01 on port 55080 and TLS-ALPN-01 on 55443 of whatever the name
/// resolves to: one test at a time may listen there.
static CHALLENGE_PORTS: Mutex<()> = Mutex::new(());
const HTTP: &str = "127.0.0.1:55080";
const TLS: &str = "127.0.0.1:55443";

struct Pebble {
    directory: String,
    ca: String,
}

fn pebble(test: &str) -> Option<Pebble> {
    let unavailable = "Pebble not available; run scripts/peer-pebble.sh start and set MAILCTL_TEST_PEBBLE_DIR/_CA";
    let vars = ["MAILCTL_TEST_PEBBLE_DIR", "MAILCTL_TEST_PEBBLE_CA"];
    peer_env(test, "Pebble", vars, unavailable).map(|[directory, ca]| Pebble { directory, ca })
}

/// A mail host in a Knot zone of its own, resolving to 127.0.0.1 for Pebble.
fn setup(env: &Env, k: &Knot, z: &str) {
    k.reset(z);
    env.ok(&["domain", "add", z]);
    env.ok(&["config", "set", "hostname", &format!("mail.{z}")]);
    env.ok(&["config", "set", "ipv4", "127.0.0.1"]);
    k.configure(env);
    env.ok(&["dns", "publish", "--domain", z, "--yes"]);
    assert_eq!(k.dig(&format!("mail.{z}"), "A").trim(), "127.0.0.1");
}

fn acme<'a>(p: &'a Pebble, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["cert", "issue", "--directory", &p.directory, "--ca-root", &p.ca];
    a.extend_from_slice(extra);
    a
}

fn status(env: &Env) -> Value {
    env.json(&["cert", "status"])
}

fn serial(env: &Env) -> String {
    mailctl::cert::info::read(&env.data_dir().join("tls/cert.pem")).unwrap().serial
}

/// doctor's `certificates.renewal` check.
fn renewal(env: &Env) -> Value {
    let out = env.run(&["--json", "doctor", "--only", "certificates"], None);
    let checks: Value = serde_json::from_slice(&out.stdout).unwrap();
    checks.as_array().unwrap().iter().find(|c| c["id"] == "certificates.renewal").cloned().unwrap()
}

fn cert_standalone_and_renewal(env: Env) {
    let (Some(k), Some(p)) = (knot("cert_standalone_and_renewal"), pebble("cert_standalone_and_renewal")) else {
        return;
    };
    let z = zone(&env, 2);
    setup(&env, &k, &z);
    let host = format!("mail.{z}");

    // Refused before any CA is contacted.
    let err = env.fails(&acme(&p, &["--host", "www.example.org"]), 65);
    assert!(err.contains("www.example.org is not a name of this mail system"), "{err}");
    env.fails(&acme(&p, &["--host", "bad host"]), 65);
    env.fails(&acme(&p, &["--challenge", "smoke-signals"]), 64);

    let _ports = CHALLENGE_PORTS.lock().unwrap_or_else(|e| e.into_inner());
    // HTTP-01 and TLS-ALPN-01 on listeners of its own (no server runs).
    let started = Instant::now();
    env.ok(&acme(&p, &["--http-listen", HTTP, "--resolver", &k.server]));
    let took = started.elapsed();
    let s = status(&env);
    assert_eq!(s["source"], "acme");
    // By default every name the server answers on that resolves where the CA looks: the mail
    // host, and the MTA-STS and autoconfig hosts of the published domain (the CNAMEs `dns
    // publish` made), not those of example.com, whose records are published nowhere.
    let mut hosts: Vec<&str> = s["hosts"].as_array().unwrap().iter().filter_map(|h| h.as_str()).collect();
    hosts.sort();
    assert_eq!(hosts, [format!("autoconfig.{z}"), host.clone(), format!("mta-sts.{z}")], "{s}");
    assert!(s["issuer"].as_str().unwrap().contains("Pebble"), "{s}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    use std::os::unix::fs::PermissionsExt;
    let key = env.data_dir().join("tls/key.pem");
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let first = serial(&env);
    env.ok(&acme(&p, &["--challenge", "tls-alpn-01", "--tls-listen", TLS]));
    assert_eq!(status(&env)["challenge"], "tls-alpn-01");
    let second = serial(&env);
    assert_ne!(first, second);
    // doctor, with no server running: a renewal would answer on a listener of its own at
    // https_listen, while that address is free.
    env.ok(&["config", "set", "https_listen", TLS]);
    let ready = renewal(&env);
    assert_eq!(ready["status"], "pass", "{ready}");
    assert!(ready["evidence"].as_str().unwrap().contains(&format!("a listener of its own on {TLS}")), "{ready}");
    let taken = std::net::TcpListener::bind(TLS).unwrap();
    let blocked = renewal(&env);
    assert_eq!(blocked["status"], "fail", "{blocked}");
    assert!(blocked["evidence"].as_str().unwrap().contains("cannot be bound"), "{blocked}");
    drop(taken);

    // A challenge that fails (nothing listens where Pebble looks): the CA's problem, one line,
    // and the certificate stays. Under a new ACME account, so that the CA has no authorization
    // the steps above validated to hand back (once, in CI, it did, and the order needed no
    // challenge at all).
    for e in std::fs::read_dir(env.data_dir().join("acme")).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("account-") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    let out = env.run(&acme(&p, &["--http-listen", "127.0.0.1:55081"]), None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(err.starts_with("mailctl: ACME urn:ietf:params:acme:error:connection"), "{err}");
    assert_eq!(serial(&env), second);

    // Renewal: not due, so nothing, and no network: a CA that cannot be reached does not matter.
    let meta_path = env.data_dir().join("tls/live/meta.json");
    let meta = std::fs::read_to_string(&meta_path).unwrap();
    let unreachable = meta.replace(&p.directory, "https://127.0.0.1:1/dir");
    std::fs::write(&meta_path, &unreachable).unwrap();
    let out = env.run(&["cert", "renew"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not due"));
    let r = env.json(&["cert", "renew", "--days", "30"]);
    assert_eq!(r["outcome"], "not-due", "{r}");
    // Forced against the unreachable CA: fails, one line, the old certificate stays.
    let out = env.run(&["cert", "renew", "--force", "--tls-listen", TLS], None);
    assert_eq!(out.status.code(), Some(69), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(serial(&env), second);
    std::fs::write(&meta_path, &meta).unwrap();
    // Due because the CA's renewal window (RFC 9773; Pebble 2.4 offers none, so it is written
    // here as a CA would have suggested it) has begun: renewed with what it was issued with,
    // then the hook.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let mut m: Value = serde_json::from_str(&meta).unwrap();
    m["renew_window"] = serde_json::json!([now - 60, now + 3600]);
    std::fs::write(&meta_path, m.to_string()).unwrap();
    assert_eq!(env.json(&["cert", "status"])["next_renewal"], now - 60);
    let hook = env.path().join("hooked");
    let cmd = format!("echo \"$MAILCTL_CERT\" > {}", hook.display());
    env.ok(&["cert", "renew", "--tls-listen", TLS, "--deploy-hook", &cmd]);
    assert_ne!(serial(&env), second);
    assert!(std::fs::read_to_string(&hook).unwrap().trim().ends_with("tls/cert.pem"));
    drop(_ports);

    // Monitoring.
    env.ok(&["cert", "status", "--check", "30"]);
    let out = env.run(&["cert", "status", "--check", "4000"], None);
    assert_eq!(out.status.code(), Some(75));
    // Self-signed again, by request.
    env.ok(&["cert", "self-signed"]);
    assert_eq!(status(&env)["source"], "self-signed");
    let r = env.json(&["cert", "renew"]);
    assert_eq!(r["outcome"], "not-acme");
}

/// The served certificate's SHA-256, from a TLS handshake.
fn served(addr: std::net::SocketAddr) -> String {
    let py = "import hashlib, socket, ssl, sys\n\
              c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE\n\
              s = c.wrap_socket(socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5))\n\
              print(hashlib.sha256(s.getpeercert(True)).hexdigest())";
    let out =
        Command::new("python3").args(["-c", py, &addr.ip().to_string(), &addr.port().to_string()]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The SHA-256 of the certificate on disk (DER), as `served` gives it.
fn on_disk(env: &Env) -> String {
    use sha2::Digest;
    let pem = std::fs::read(env.data_dir().join("tls/cert.pem")).unwrap();
    let (_, der) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
    sha2::Sha256::digest(&der.contents).iter().map(|b| format!("{b:02x}")).collect()
}

fn cert_answered_by_serve(env: Env) {
    let (Some(k), Some(p)) = (knot("cert_answered_by_serve"), pebble("cert_answered_by_serve")) else { return };
    let z = zone(&env, 3);
    setup(&env, &k, &z);
    let _ports = CHALLENGE_PORTS.lock().unwrap_or_else(|e| e.into_inner());
    env.serve_config(&[("http_listen", HTTP), ("https_listen", TLS)]);
    let srv = env.start_server();
    let self_signed = served(srv.imaps);
    assert_eq!(self_signed, on_disk(&env), "serve starts with the self-signed pair it made");

    // A session opened before the renewal.
    use std::io::{BufRead, BufReader, Write};
    let mut early = std::net::TcpStream::connect(srv.imap).unwrap();
    let mut early_r = BufReader::new(early.try_clone().unwrap());
    let mut line = String::new();
    early_r.read_line(&mut line).unwrap();

    // HTTP-01 answered by the running server (no --http-listen).
    env.ok(&acme(&p, &[]));
    assert!(srv.log().contains("answered an ACME HTTP-01 challenge"), "{}", srv.log());
    // The new certificate is served to new connections without a restart.
    eventually("the new certificate served to new connections", || served(srv.imaps) == on_disk(&env));
    assert_ne!(served(srv.imaps), self_signed);
    // The session from before still works.
    early.write_all(b"a1 NOOP\r\n").unwrap();
    line.clear();
    early_r.read_line(&mut line).unwrap();
    assert!(line.starts_with("a1 OK"), "{line}");

    // TLS-ALPN-01 answered by the running server's HTTPS listener.
    let before = on_disk(&env);
    env.ok(&acme(&p, &["--challenge", "tls-alpn-01"]));
    assert!(srv.log().contains("answered an ACME TLS-ALPN-01 challenge"), "{}", srv.log());
    assert_ne!(on_disk(&env), before);

    // The MTA-STS policy, over HTTPS, for a served domain only.
    let get = |host: &str| {
        let out = Command::new("curl")
            .args([
                "-sk",
                "--resolve",
                &format!("{host}:55443:127.0.0.1"),
                &format!("https://{host}:55443/.well-known/mta-sts.txt"),
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let policy = get(&format!("mta-sts.{z}"));
    assert!(policy.starts_with("version: STSv1\nmode: testing\nmx: mail."), "{policy}");
    assert!(get("mta-sts.not-ours.test").contains("not found"));

    // doctor: a renewal could run now (the server answers TLS-ALPN-01, the account is kept
    // and the CA answers); against a CA that does not answer, it fails and says so.
    let ready = renewal(&env);
    assert_eq!(ready["status"], "pass", "{ready}");
    let seen = ready["evidence"].as_str().unwrap();
    assert!(seen.contains("tls-alpn-01 by the running server's https listener"), "{ready}");
    assert!(seen.contains("answers; the account is kept"), "{ready}");
    // The kept account's CA moved out of reach: fails, naming it.
    let account = std::fs::read_dir(env.data_dir().join("acme"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("account-"))
        .unwrap();
    let kept = std::fs::read_to_string(&account).unwrap();
    std::fs::write(&account, kept.replace(&p.directory, "https://127.0.0.1:1/dir")).unwrap();
    let down = renewal(&env);
    assert_eq!(down["status"], "fail", "{down}");
    assert!(down["evidence"].as_str().unwrap().contains("127.0.0.1:1"), "{down}");
    // No account kept: the CA is not asked, and doctor says so.
    std::fs::remove_file(&account).unwrap();
    let unasked = renewal(&env);
    assert_eq!(unasked["status"], "warn", "{unasked}");
    assert!(unasked["evidence"].as_str().unwrap().contains("no account kept for"), "{unasked}");
    std::fs::write(&account, kept).unwrap();
    assert!(!srv.log().contains("panicked"));
    assert_eq!(srv.stop(), Some(0));
    // Only now are the challenge ports free for the next test.
    drop(_ports);
}

fn cert_dns01(env: Env) {
    let (Some(k), Some(p)) = (knot("cert_dns01"), pebble("cert_dns01")) else { return };
    let z = zone(&env, 4);
    setup(&env, &k, &z);
    let host = format!("mail.{z}");
    // The provider (RFC 2136 to Knot, from the config) publishes the TXT record; Pebble reads it
    // from Knot; it is removed afterwards.
    env.ok(&acme(&p, &["--challenge", "dns-01", "--resolver", &k.server]));
    assert_eq!(status(&env)["challenge"], "dns-01");
    assert_eq!(k.dig(&format!("_acme-challenge.{host}"), "TXT"), "");
    // A renewal by DNS-01 needs no listener at all.
    let before = serial(&env);
    env.ok(&["cert", "renew", "--force"]);
    assert_ne!(serial(&env), before);
    // Without a usable provider: refused before the CA is asked.
    env.ok(&["config", "set", "dns_provider", ""]);
    env.fails(&acme(&p, &["--challenge", "dns-01"]), 64);
}

/// A web server already on port 80: `serve` starts without its HTTP listener and says why.
fn web_port_taken(env: Env) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    env.serve_config(&[("http_listen", addr.as_str())]);
    let srv = env.start_server();
    eventually("the log line saying the http listener was not started", || {
        srv.log().contains("http listener not started")
    });
    assert_eq!(srv.stop(), Some(0));
}

/// A CA whose TLS certificate the trusted root did not sign: the one-line error names the
/// certificate problem from deep in the cause chain, not just "client error (Connect)".
#[test]
fn cert_issue_names_the_refused_ca_certificate() {
    let Some(p) = pebble("cert_issue_names_the_refused_ca_certificate") else { return };
    let env = Env::new(crate::util::Backend::Sqlite, "cert_issue_names_the_refused_ca_certificate").unwrap();
    env.init("example.com");
    let (wrong_root, key) = (env.path().join("other-ca.pem"), env.path().join("other-ca.key"));
    mailctl::tls_material::self_signed(&wrong_root, &key, &["other-ca.test".into()]).unwrap();
    let wrong = wrong_root.to_str().unwrap();
    let err = env.fails(&["cert", "issue", "--directory", &p.directory, "--ca-root", wrong], 69);
    assert!(err.contains("invalid peer certificate: UnknownIssuer"), "{err}");
}

//! The HTTP admin API (`/api/v1`) against a running `serve`, through curl (HTTP/1.1 and
//! HTTP/2) and Python's requests: tokens and scopes, the tier rule, problems, idempotency,
//! pagination, the audit log, and that a token never reaches a log.

use std::net::SocketAddr;
use std::process::Command;

use serde_json::{Value, json};

use crate::server::{Client, Server, python};
use crate::util::{Env, block_on, eventually};

/// One response: status, header block (lowercase names) and JSON body (Null when empty).
struct Resp {
    status: u16,
    headers: String,
    body: Value,
}

impl Resp {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    }
}

/// A request with curl: `method`, `url`, optional bearer token, optional JSON body, extra
/// headers.
fn curl(method: &str, url: &str, token: Option<&str>, body: Option<&Value>, extra: &[&str]) -> Resp {
    let dir = tempfile::tempdir().unwrap();
    let head = dir.path().join("head");
    let mut c = Command::new("curl");
    c.args(["-sk", "--max-time", "20", "-X", method, "-D"]).arg(&head).args(["-o", "-", url]);
    if let Some(t) = token {
        c.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    if let Some(b) = body {
        c.args(["-H", "Content-Type: application/json", "--data-binary", &b.to_string()]);
    }
    for h in extra {
        c.args(["-H", h]);
    }
    let out = c.output().expect("curl");
    assert!(out.status.success(), "curl {method} {url}: {}", String::from_utf8_lossy(&out.stderr));
    let headers = std::fs::read_to_string(&head).unwrap();
    let status = headers.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    Resp { status, headers, body }
}

struct Api {
    base: String,
}

impl Api {
    fn new(https: SocketAddr) -> Api {
        Api { base: format!("https://{https}") }
    }
    fn get(&self, path: &str, token: &str) -> Resp {
        curl("GET", &format!("{}{path}", self.base), Some(token), None, &[])
    }
    fn send(&self, method: &str, path: &str, token: &str, body: Value) -> Resp {
        curl(method, &format!("{}{path}", self.base), Some(token), Some(&body), &[])
    }
}

fn token(env: &Env, name: &str, scopes: &str, extra: &[&str]) -> String {
    let mut args = vec!["token", "create", "--name", name, "--scope", scopes];
    args.extend_from_slice(extra);
    env.ok(&args).trim().to_string()
}

fn problem(r: &Resp, status: u16) -> &Value {
    assert_eq!(r.status, status, "{} {}", r.headers, r.body);
    assert_eq!(r.header("content-type").as_deref(), Some("application/problem+json"), "{}", r.headers);
    assert_eq!(r.body["status"], status, "{}", r.body);
    &r.body
}

fn start(env: &Env) -> (Server, Api) {
    env.serve_config(&[]);
    let srv = env.start_server();
    let api = Api::new(srv.https.expect("an https listener"));
    (srv, api)
}

fn tokens_scopes_and_the_tier_rule_on_every_endpoint(env: Env) {
    let (srv, api) = start(&env);
    // Off until a token exists.
    let off = curl("GET", &format!("{}/api/v1/accounts", api.base), None, None, &[]);
    assert_eq!(problem(&off, 404)["title"], "The admin API is off");

    let admin = token(
        &env,
        "backend",
        "accounts:read,accounts:write,aliases:read,aliases:write,domains:read,queue:read,queue:write,dns:read",
        &[],
    );
    assert!(admin.starts_with("mctl_"), "{admin}");
    let reader = token(&env, "reader", "accounts:read", &["--expires", "90d"]);
    // Listed without their secrets.
    let listed = env.ok(&["token", "list", "--json"]);
    assert!(!listed.contains(&admin[18..]) && !listed.contains(&reader[18..]), "{listed}");
    let list: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    env.fails(&["token", "create", "--name", "backend", "--scope", "accounts:read"], 73);
    env.fails(&["token", "create", "--name", "x", "--scope", "accounts:delete"], 64);

    // No token, a wrong one, plain HTTP.
    let none = curl("GET", &format!("{}/api/v1/accounts", api.base), None, None, &[]);
    problem(&none, 401);
    assert!(none.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")), "{}", none.headers);
    problem(&api.get("/api/v1/accounts", "mctl_AAAAAAAAAAAA_nope"), 401);
    let plain = curl("GET", &format!("http://{}/api/v1/accounts", srv.http.unwrap()), Some(&admin), None, &[]);
    assert_eq!(problem(&plain, 403)["title"], "The admin API needs HTTPS");

    // Create: generated password once, 201; duplicate 409; bad address 422; bad JSON 400.
    let r = api.send("POST", "/api/v1/accounts", &admin, json!({"address": "ann@example.com", "tier": "vip"}));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["address"], "ann@example.com");
    assert_eq!(r.body["password"].as_str().map(str::len), Some(20));
    assert_eq!(api.get("/api/v1/accounts/ann@example.com", &reader).body.get("password"), None);
    let dup = api.send(
        "POST",
        "/api/v1/accounts",
        &admin,
        json!({"address": "ANN@example.com", "tier": "vip", "password": "longenough1"}),
    );
    problem(&dup, 409);
    for bad in ["no-at-sign", "a..b@example.com", "\"><script>@example.com"] {
        problem(&api.send("POST", "/api/v1/accounts", &admin, json!({"address": bad, "tier": "vip"})), 422);
    }
    problem(&api.send("POST", "/api/v1/accounts", &admin, json!({"tier": "vip"})), 422);
    let not_json = curl(
        "POST",
        &format!("{}/api/v1/accounts", api.base),
        Some(&admin),
        None,
        &["Content-Type: application/json", "--data-binary", "{nope"],
    );
    assert!(matches!(not_json.status, 400 | 422), "{}", not_json.headers);

    // The tier rule on create: nothing written.
    for tier in ["guest", "free"] {
        let r = api.send("POST", "/api/v1/accounts", &admin, json!({"address": "cheap@example.com", "tier": tier}));
        let p = problem(&r, 403);
        assert_eq!(p["title"], "Email requires VIP tier or higher");
        assert_eq!((p["required_tier"].as_str(), p["given_tier"].as_str()), (Some("vip"), Some(tier)));
        let r = api.send("POST", "/api/email/create", &admin, json!({"username": "cheap", "tier": tier}));
        assert_eq!(problem(&r, 403)["title"], "Email requires VIP tier or higher");
    }
    problem(&api.get("/api/v1/accounts/cheap@example.com", &admin), 404);

    // The product's call: the first domain, user_id as owner.
    let r = api.send(
        "POST",
        "/api/email/create",
        &admin,
        json!({"username": "bob", "tier": "paid", "user_id": 42, "password": "bobpassword1"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!((r.body["address"].as_str(), r.body["owner"].as_str()), (Some("bob@example.com"), Some("42")));
    assert_eq!(r.body.get("password"), None, "a given password is never echoed");

    // Scopes: the reader reads, and is refused a write with the scope named.
    assert_eq!(api.get("/api/v1/accounts?limit=10", &reader).status, 200);
    let refused = api.send("POST", "/api/v1/accounts", &reader, json!({"address": "r@example.com", "tier": "vip"}));
    assert_eq!(problem(&refused, 403)["required_scope"], "accounts:write");
    assert_eq!(problem(&api.get("/api/v1/domains", &reader), 403)["required_scope"], "domains:read");
    assert_eq!(problem(&api.get("/api/v1/queue", &reader), 403)["required_scope"], "queue:read");

    // A tier without a mailbox cannot be made active in the same change: refused, nothing done.
    let r = api.send("PATCH", "/api/v1/accounts/bob@example.com", &admin, json!({"tier": "free", "status": "active"}));
    problem(&r, 403);
    assert_eq!(api.get("/api/v1/accounts/bob@example.com", &admin).body["tier"], "paid");
    // Moving down to free: 403 with the rule, the account suspended, mail refused 5.2.1.
    let r = api.send("PATCH", "/api/v1/accounts/bob@example.com", &admin, json!({"tier": "free"}));
    let p = problem(&r, 403);
    assert_eq!(p["title"], "Email requires VIP tier or higher");
    assert_eq!(p["account"]["status"], "suspended");
    let mut c = Client::connect(srv.smtp);
    c.read();
    c.expect("EHLO client.example.org", 250);
    c.expect("MAIL FROM:<x@example.org>", 250);
    let (code, text) = c.cmd("RCPT TO:<bob@example.com>");
    assert!(code == 550 && text.contains("5.2.1"), "{code} {text}");
    let store = env.store();
    assert!(block_on(mailctl::ops::auth::check_password(&store, "bob@example.com", "bobpassword1")).unwrap().is_err());
    // And back up: resumed.
    let r = api.send("PATCH", "/api/v1/accounts/bob@example.com", &admin, json!({"tier": "vip"}));
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("active")), "{}", r.body);
    assert!(block_on(mailctl::ops::auth::check_password(&store, "bob@example.com", "bobpassword1")).unwrap().is_ok());
    let (code, text) = c.cmd("RCPT TO:<bob@example.com>");
    assert_eq!(code, 250, "{text}");

    // Suspend, resume, password, quota, delete.
    assert_eq!(
        api.send("POST", "/api/v1/accounts/ann@example.com/suspend", &admin, json!({})).body["status"],
        "suspended"
    );
    assert_eq!(api.send("POST", "/api/v1/accounts/ann@example.com/resume", &admin, json!({})).body["status"], "active");
    assert_eq!(
        api.send("PUT", "/api/v1/accounts/ann@example.com/password", &admin, json!({"password": "annpassword1"}))
            .status,
        204
    );
    problem(&api.send("PUT", "/api/v1/accounts/ann@example.com/password", &admin, json!({"password": "short"})), 422);
    let q = api.get("/api/v1/accounts/ann@example.com/quota", &admin);
    assert_eq!((q.status, q.body["quota_bytes"].as_u64()), (200, Some(1 << 30)));
    assert_eq!(
        api.send("PATCH", "/api/v1/accounts/ann@example.com", &admin, json!({"quota": "2G"})).body["quota_bytes"],
        2u64 << 30
    );

    // Aliases (business only), domains, DKIM and DNS, the queue.
    problem(
        &api.send(
            "POST",
            "/api/v1/aliases",
            &admin,
            json!({"address": "sales@example.com", "destinations": ["ann@example.com"]}),
        ),
        403,
    );
    api.send("PATCH", "/api/v1/accounts/ann@example.com", &admin, json!({"tier": "business"}));
    let r = api.send(
        "POST",
        "/api/v1/aliases",
        &admin,
        json!({"address": "sales@example.com", "destinations": ["ann@example.com"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(api.get("/api/v1/aliases?domain=example.com", &admin).body["items"][0]["address"], "sales@example.com");
    assert_eq!(api.send("DELETE", "/api/v1/aliases/sales@example.com", &admin, json!({})).status, 200);
    assert_eq!(api.get("/api/v1/domains", &admin).body["items"][0]["name"], "example.com");
    problem(&api.get("/api/v1/domains/nowhere.example", &admin), 404);
    assert_eq!(api.get("/api/v1/domains/example.com/dkim", &admin).status, 200);
    let dns = api.get("/api/v1/domains/example.com/dns", &admin);
    assert!(dns.body.to_string().contains("_dmarc"), "{}", dns.body);
    assert_eq!(api.get("/api/v1/queue", &admin).body["items"], json!([]));
    problem(&api.get("/api/v1/queue/nope", &admin), 404);
    problem(&api.send("POST", "/api/v1/queue/flush", &admin, json!({"ids": ["nope"]})), 404);
    assert_eq!(api.send("POST", "/api/v1/queue/flush", &admin, json!({"all": true})).status, 200);
    problem(&api.send("POST", "/api/v1/queue/hold", &admin, json!({})), 422);
    let d = api.send("DELETE", "/api/v1/accounts/bob@example.com", &admin, json!({}));
    assert_eq!(d.status, 200, "{}", d.body);
    problem(&api.get("/api/v1/accounts/bob@example.com", &admin), 404);
    problem(&api.get("/api/v1/nothing-here", &admin), 404);

    // HTTP/2 over TLS (ALPN h2) answers the same.
    let v = Command::new("curl")
        .args(["-sk", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {admin}"))
        .arg(format!("{}/api/v1/domains", api.base))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&v.stdout), "2 200");

    // The audit log: every write, with the token's name and never a secret.
    let audit = env.ok(&["audit", "list", "--json"]);
    let entries: Value = serde_json::from_str(&audit).unwrap();
    let actions: Vec<&str> = entries.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in ["account.create", "account.update", "account.suspend", "account.password", "alias.add", "account.delete"]
    {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(entries.as_array().unwrap().iter().all(|e| e["actor"].as_str().unwrap().starts_with("token:")));
    assert!(entries.as_array().unwrap().iter().any(|e| e["result"].as_str().unwrap().starts_with("403")));
    assert!(!audit.contains("annpassword1") && !audit.contains(&admin[18..]));

    // Revoked and expired tokens are refused.
    env.ok(&["token", "revoke", "reader"]);
    assert_eq!(problem(&api.get("/api/v1/accounts", &reader), 401)["detail"], "it was revoked");
    let short = token(&env, "short", "accounts:read", &["--expires", "1s"]);
    eventually("the 1-second token to expire", || api.get("/api/v1/accounts", &short).status == 401);
    assert_eq!(api.get("/api/v1/accounts", &short).body["detail"], "it has expired");

    // Failed attempts go through the login limiter: 429 with Retry-After.
    let mut last = 0;
    for _ in 0..10 {
        last = api.get("/api/v1/accounts", "mctl_BBBBBBBBBBBB_wrong").status;
        if last == 429 {
            break;
        }
    }
    assert_eq!(last, 429);
    let locked = api.get("/api/v1/accounts", &admin);
    assert!(problem(&locked, 429).is_object() && locked.header("retry-after").is_some());

    // No token in the server's log.
    let log = srv.log();
    for t in [&admin, &reader, &short] {
        assert!(!log.contains(&t[5..]), "a token in the log");
    }
    srv.stop();
}

fn a_retried_create_answers_with_the_first_result_and_pages_cover_every_account(env: Env) {
    let (srv, api) = start(&env);
    let admin = token(&env, "app", "accounts:read,accounts:write", &[]);
    let url = format!("{}/api/v1/accounts", api.base);
    let body = json!({"address": "idem@example.com", "tier": "vip"});
    let first = curl("POST", &url, Some(&admin), Some(&body), &["Idempotency-Key: k-1"]);
    let again = curl("POST", &url, Some(&admin), Some(&body), &["Idempotency-Key: k-1"]);
    assert_eq!((first.status, again.status), (201, 201), "{}", again.body);
    assert_eq!(first.body["id"], again.body["id"]);
    assert!(first.body["password"].is_string(), "{}", first.body);
    assert_eq!(again.body.get("password"), None, "a generated password is shown once");
    assert_eq!(again.body["password_shown"], true);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    let other = curl(
        "POST",
        &url,
        Some(&admin),
        Some(&json!({"address": "other@example.com", "tier": "vip"})),
        &["Idempotency-Key: k-1"],
    );
    problem(&other, 422);

    // Copies sent together act once: the others wait their turn (409 in progress, with
    // Retry-After) or replay the first answer; none is refused as a duplicate account.
    let race = json!({"address": "race@example.com", "tier": "vip"});
    let copies: Vec<Resp> = std::thread::scope(|s| {
        let body = &race;
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (url, admin) = (&url, &admin);
                s.spawn(move || curl("POST", url, Some(admin), Some(body), &["Idempotency-Key: k-2"]))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created: Vec<&Resp> = copies.iter().filter(|r| r.status == 201).collect();
    assert!(!created.is_empty());
    assert!(created.iter().all(|r| r.body["id"] == created[0].body["id"]));
    assert_eq!(created.iter().filter(|r| r.body["password"].is_string()).count(), 1, "the request acted once");
    for r in copies.iter().filter(|r| r.status != 201) {
        assert_eq!(problem(r, 409)["title"], "A request with this Idempotency-Key is in progress");
        assert!(r.header("retry-after").is_some());
    }
    // A failure is not kept: the same request, retried once it can succeed, acts.
    let dup = json!({"address": "idem@example.com", "tier": "vip"});
    problem(&curl("POST", &url, Some(&admin), Some(&dup), &["Idempotency-Key: k-3"]), 409);
    assert_eq!(curl("DELETE", &format!("{url}/idem@example.com"), Some(&admin), None, &[]).status, 200);
    let retried = curl("POST", &url, Some(&admin), Some(&dup), &["Idempotency-Key: k-3"]);
    assert_eq!(retried.status, 201, "{}", retried.body);
    assert_eq!(retried.header("idempotent-replayed"), None);

    // 1,000 accounts, read 100 at a time through the cursor with Python's requests.
    let store = env.store();
    block_on(async {
        let mut tx = store.begin_admin().await.unwrap();
        for i in 0..1000 {
            let address = format!("user{i:04}@example.com");
            let row = mailctl::store::accounts::NewRow {
                address: &address,
                local_part: &address[..8],
                domain: "example.com",
                tier: mailctl::tier::Tier::Vip,
                owner: None,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
                quota_bytes: None,
                quota_custom: false,
                now: 0,
            };
            mailctl::store::accounts::insert(&mut tx, &row).await.unwrap();
        }
        tx.commit().await.unwrap();
    });
    let out = python(
        r#"
import json, sys, requests, urllib3
urllib3.disable_warnings()
base, token = sys.argv[1], sys.argv[2]
s = requests.Session()
s.headers["Authorization"] = "Bearer " + token
seen, cursor, pages = [], None, 0
while True:
    params = {"limit": 100, "domain": "example.com"}
    if cursor:
        params["cursor"] = cursor
    r = s.get(base + "/api/v1/accounts", params=params, verify=False, timeout=20)
    r.raise_for_status()
    j = r.json()
    seen += [a["address"] for a in j["items"]]
    pages += 1
    cursor = j["next_cursor"]
    if not cursor:
        break
bad = s.get(base + "/api/v1/accounts", params={"cursor": "!!!"}, verify=False, timeout=20)
print(json.dumps({"seen": seen, "pages": pages, "bad": bad.status_code}))
"#,
        &[&api.base, &admin],
    );
    let j: Value = serde_json::from_str(&out).unwrap();
    let seen: Vec<&str> = j["seen"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(seen.len(), 1002, "1000 made here and 2 through the API");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in address order, none twice");
    assert_eq!(j["pages"], 11);
    assert_eq!(j["bad"], 422);
    srv.stop();
}

/// Every route the tests above call, as the OpenAPI document must list it.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/accounts"),
    ("post", "/api/v1/accounts"),
    ("get", "/api/v1/accounts/{address}"),
    ("patch", "/api/v1/accounts/{address}"),
    ("delete", "/api/v1/accounts/{address}"),
    ("post", "/api/v1/accounts/{address}/suspend"),
    ("post", "/api/v1/accounts/{address}/resume"),
    ("put", "/api/v1/accounts/{address}/password"),
    ("get", "/api/v1/accounts/{address}/quota"),
    ("post", "/api/email/create"),
    ("get", "/api/v1/aliases"),
    ("post", "/api/v1/aliases"),
    ("delete", "/api/v1/aliases/{address}"),
    ("get", "/api/v1/domains"),
    ("get", "/api/v1/domains/{name}"),
    ("get", "/api/v1/domains/{name}/dkim"),
    ("get", "/api/v1/domains/{name}/dns"),
    ("get", "/api/v1/queue"),
    ("get", "/api/v1/queue/{id}"),
    ("delete", "/api/v1/queue/{id}"),
    ("post", "/api/v1/queue/flush"),
    ("post", "/api/v1/queue/hold"),
    ("post", "/api/v1/queue/release"),
];

fn the_openapi_document_lists_every_route_and_passes_a_validator(env: Env) {
    let validator = Command::new("python3").args(["-c", "import openapi_spec_validator"]).status();
    if !validator.is_ok_and(|s| s.success()) {
        if crate::util::peers_required() {
            panic!("PyPI's openapi-spec-validator is required (MAILCTL_TEST_PEERS=required) but not installed");
        }
        crate::util::skip("openapi document", "PyPI's openapi-spec-validator is not installed");
        return;
    }
    let (srv, api) = start(&env);
    let r = curl("GET", &format!("{}/api/v1/openapi.json", api.base), None, None, &[]);
    assert_eq!(r.status, 200);
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3.1"), "{}", r.body["openapi"]);
    let paths = r.body["paths"].as_object().unwrap();
    let mut listed = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            assert!(ROUTES.contains(&(method.as_str(), path.as_str())), "{method} {path} is documented but not tested");
            let scopes = &op["security"][0]["bearer"];
            assert!(scopes.as_array().is_some_and(|s| s.len() == 1), "{method} {path} names its scope");
            listed += 1;
        }
    }
    for (method, path) in ROUTES {
        assert!(paths.get(*path).and_then(|p| p.get(*method)).is_some(), "{method} {path} missing from the document");
    }
    assert_eq!(listed, ROUTES.len());
    let doc = env.path().join("openapi.json");
    std::fs::write(&doc, r.body.to_string()).unwrap();
    python(
        "import sys, json\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))",
        &[doc.to_str().unwrap()],
    );
    srv.stop();
}

store_tests!(
    the_openapi_document_lists_every_route_and_passes_a_validator,
    tokens_scopes_and_the_tier_rule_on_every_endpoint,
    a_retried_create_answers_with_the_first_result_and_pages_cover_every_account
);

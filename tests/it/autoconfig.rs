//! Client auto-configuration over HTTPS from a running `serve` and from the CLI: Thunderbird's
//! autoconfig and Microsoft's Autodiscover parsed field by field (Python's ElementTree), the
//! Apple profile verified with `openssl cms -verify` against the server's certificate and
//! parsed with plistlib; hostile addresses refused or escaped.

use std::process::Command;

use crate::server::{python, skip_without};
use crate::util::Env;

/// `curl -k` with a Host header; status and body.
fn fetch(url: &str, host: &str, post: Option<&str>) -> (u16, Vec<u8>) {
    let mut c = Command::new("curl");
    c.args(["-sk", "--max-time", "20", "-H", &format!("Host: {host}"), "-w", "\n%{http_code}", url]);
    if let Some(b) = post {
        c.args(["-H", "Content-Type: text/xml", "--data-binary", b]);
    }
    let out = c.output().unwrap();
    let pos = out.stdout.iter().rposition(|&b| b == b'\n').unwrap();
    let code = String::from_utf8_lossy(&out.stdout[pos + 1..]).parse().unwrap();
    (code, out.stdout[..pos].to_vec())
}

const CHECK_XML: &str = r#"
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
out = []
if root.tag == "clientConfig":
    for s in root.iter():
        if s.tag in ("incomingServer", "outgoingServer"):
            out.append([s.get("type"), s.findtext("hostname"), int(s.findtext("port")), s.findtext("socketType"), s.findtext("username")])
else:
    ns = {"r": "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"}
    for p in root.iter("{%s}Protocol" % ns["r"]):
        f = lambda k: p.findtext("r:" + k, namespaces=ns)
        out.append([f("Type"), f("Server"), int(f("Port")), f("SSL"), f("LoginName")])
print(json.dumps(out))
"#;

fn parse_xml(doc: &[u8]) -> serde_json::Value {
    let mut child = Command::new("python3")
        .args(["-c", CHECK_XML])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(doc).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(doc));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn clients_configure_themselves_from_the_settings_dns_publishes(env: Env) {
    if skip_without("openssl", "clients_configure_themselves_from_the_settings_dns_publishes") {
        return;
    }
    env.create("ann@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    let host = env.ok(&["config", "get", "hostname"]).trim().to_string();
    let base = format!("https://{}", srv.https.unwrap());

    // Thunderbird, on autoconfig.<domain> and on the domain's well-known path.
    for (path, vhost) in [
        ("/mail/config-v1.1.xml?emailaddress=ann@example.com", "autoconfig.example.com"),
        ("/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=ann%40example.com", "example.com"),
    ] {
        let (code, doc) = fetch(&format!("{base}{path}"), vhost, None);
        assert_eq!(code, 200, "{path}: {}", String::from_utf8_lossy(&doc));
        let servers = parse_xml(&doc);
        assert_eq!(servers[0], serde_json::json!(["imap", host, 993, "SSL", "ann@example.com"]));
        assert_eq!(servers[1], serde_json::json!(["imap", host, 143, "STARTTLS", "ann@example.com"]));
        assert!(servers.as_array().unwrap().contains(&serde_json::json!([
            "smtp",
            host,
            465,
            "SSL",
            "ann@example.com"
        ])));
        assert!(servers.as_array().unwrap().contains(&serde_json::json!([
            "smtp",
            host,
            587,
            "STARTTLS",
            "ann@example.com"
        ])));
    }
    let (code, doc) = fetch(&format!("{base}/mail/config-v1.1.xml"), "autoconfig.example.com", None);
    assert_eq!(code, 200);
    assert_eq!(parse_xml(&doc)[0][4], "%EMAILADDRESS%");
    assert_eq!(fetch(&format!("{base}/mail/config-v1.1.xml"), "autoconfig.not-ours.example", None).0, 404);
    let hostile = "/mail/config-v1.1.xml?emailaddress=%22%3E%3Cscript%3E@example.com";
    assert_eq!(fetch(&format!("{base}{hostile}"), "autoconfig.example.com", None).0, 400);

    // Autodiscover (POX).
    let request = |addr: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>{addr}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>"#
        )
    };
    let (code, doc) = fetch(
        &format!("{base}/autodiscover/autodiscover.xml"),
        "autodiscover.example.com",
        Some(&request("ann@example.com")),
    );
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&doc));
    assert_eq!(
        parse_xml(&doc),
        serde_json::json!([["IMAP", host, 993, "on", "ann@example.com"], ["SMTP", host, 465, "on", "ann@example.com"]])
    );
    for bad in ["&quot;&gt;&lt;script&gt;@example.com", "ann@not-ours.example"] {
        let (code, doc) =
            fetch(&format!("{base}/autodiscover/autodiscover.xml"), "autodiscover.example.com", Some(&request(bad)));
        assert!(matches!(code, 400 | 404), "{bad}: {code}");
        assert!(!String::from_utf8_lossy(&doc).contains("<script>"));
    }
    let (code, doc) = fetch(
        &format!("{base}/autodiscover/autodiscover.json?Email=ann@example.com&Protocol=AutodiscoverV1"),
        "autodiscover.example.com",
        None,
    );
    assert_eq!(code, 200);
    let j: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    assert_eq!(j["Url"], format!("https://{host}/autodiscover/autodiscover.xml"), "the mail host, not the Host field");

    // The Apple profile: signed by the serving certificate, a plist with the right account.
    let (code, profile) =
        fetch(&format!("{base}/mail/profile.mobileconfig?emailaddress=ann@example.com"), "example.com", None);
    assert_eq!(code, 200);
    let cli = Command::new(env!("CARGO_BIN_EXE_mailctl"))
        .args([
            "--config",
            env.config_path().to_str().unwrap(),
            "client-config",
            "ann@example.com",
            "--format",
            "mobileconfig",
        ])
        .output()
        .unwrap();
    assert!(cli.status.success());
    for (what, der) in [("served", &profile), ("cli", &cli.stdout)] {
        let signed = env.path().join(format!("{what}.mobileconfig"));
        std::fs::write(&signed, der).unwrap();
        let cert = env.data_dir().join("tls/cert.pem");
        let plist = env.path().join(format!("{what}.plist"));
        let out = Command::new("openssl")
            .args(["cms", "-verify", "-inform", "DER", "-purpose", "any", "-in"])
            .arg(&signed)
            .arg("-CAfile")
            .arg(&cert)
            .arg("-out")
            .arg(&plist)
            .output()
            .unwrap();
        assert!(out.status.success(), "{what}: openssl cms -verify: {}", String::from_utf8_lossy(&out.stderr));
        let fields = python(
            r#"
import plistlib, sys, json
p = plistlib.loads(open(sys.argv[1], "rb").read())
a = p["PayloadContent"][0]
print(json.dumps([p["PayloadType"], a["PayloadType"], a["EmailAddress"], a["IncomingMailServerHostName"],
    a["IncomingMailServerPortNumber"], a["IncomingMailServerUseSSL"], a["OutgoingMailServerPortNumber"],
    a["OutgoingMailServerUseSSL"], a["IncomingMailServerUsername"]]))
"#,
            &[plist.to_str().unwrap()],
        );
        let fields: serde_json::Value = serde_json::from_str(&fields).unwrap();
        assert_eq!(
            fields,
            serde_json::json!([
                "Configuration",
                "com.apple.mail.managed",
                "ann@example.com",
                host,
                993,
                true,
                465,
                true,
                "ann@example.com"
            ]),
            "{what}"
        );
    }
    // The help desk's view: the same settings.
    let text = env.ok(&["client-config", "ann@example.com"]);
    assert!(text.contains(&format!("IMAP  {host}  port 993  SSL/TLS")), "{text}");
    let j = env.json(&["client-config", "ann@example.com"]);
    assert_eq!((j["username"].as_str(), j["services"].as_array().map(Vec::len)), (Some("ann@example.com"), Some(5)));
    let xml = env.ok(&["client-config", "ann@example.com", "--format", "thunderbird"]);
    assert_eq!(parse_xml(xml.as_bytes())[0][2], 993);
    env.fails(&["client-config", "nobody@example.com"], 67);
    env.fails(&["client-config", "not an address"], 65);
    srv.stop();
}

store_tests!(clients_configure_themselves_from_the_settings_dns_publishes);

//! `mailctl report dmarc|tls`: reports written the way Google and Yahoo send them (XML in gzip
//! and zip, TLS-RPT JSON in gzip, built by Python's email, gzip and zipfile), mailed to the
//! addresses the domain's DNS records name, then summarised. On SQLite and PostgreSQL.

use crate::server::python;
use crate::util::Env;

store_tests!(
    dmarc_reports_at_the_rua_address_are_summarised_by_source_ip_and_results,
    tls_reports_at_the_rua_address_are_summarised_by_reporter_with_their_failures,
    a_domain_whose_report_address_reaches_no_mailbox_is_an_error_naming_the_fix,
);

/// Mails the reports over SMTP (port 25) to `argv[2]`: argv[1] is the port, the rest are
/// report specs "kind:reporter:report_id:domain:packing", kinds dmarc or tls, packing gz, zip
/// or plain, plus "note" for an ordinary message.
const SEND_REPORTS: &str = r#"
import gzip, io, json, smtplib, sys, zipfile
from email.message import EmailMessage

def dmarc_xml(reporter, report_id, domain):
    rows = [("192.0.2.10", 12, "pass", "pass", "none"), ("198.51.100.7", 3, "fail", "fail", "reject")]
    if reporter != "google.com":
        rows = [("192.0.2.10", 5, "pass", "fail", "none")]
    records = "".join(f"""
  <record>
    <row><source_ip>{ip}</source_ip><count>{n}</count>
      <policy_evaluated><disposition>{disp}</disposition><dkim>{dkim}</dkim><spf>{spf}</spf></policy_evaluated>
    </row>
    <identifiers><header_from>{domain}</header_from></identifiers>
    <auth_results><spf><domain>{domain}</domain><result>{spf}</result></spf></auth_results>
  </record>""" for ip, n, dkim, spf, disp in rows)
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<feedback>
  <report_metadata><org_name>{reporter}</org_name><email>noreply-dmarc@{reporter}</email>
    <report_id>{report_id}</report_id><date_range><begin>1764547200</begin><end>1764633599</end></date_range>
  </report_metadata>
  <policy_published><domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf><p>quarantine</p><sp>quarantine</sp><pct>100</pct></policy_published>{records}
</feedback>
""".encode()

def tls_json(reporter, report_id, domain):
    return json.dumps({
        "organization-name": reporter,
        "date-range": {"start-datetime": "2026-12-01T00:00:00Z", "end-datetime": "2026-12-01T23:59:59Z"},
        "contact-info": f"smtp-tls-reporting@{reporter}",
        "report-id": report_id,
        "policies": [{
            "policy": {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: enforce", "mx: mail.example.com", "max_age: 86400"],
                       "policy-domain": domain, "mx-host": ["mail.example.com"]},
            "summary": {"total-successful-session-count": 40, "total-failure-session-count": 2},
            "failure-details": [{"result-type": "certificate-expired", "sending-mta-ip": "203.0.113.5",
                                 "receiving-mx-hostname": "mail.example.com", "failed-session-count": 2}],
        }],
    }).encode()

port, rcpt = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP("127.0.0.1", port)
for spec in sys.argv[3:]:
    m = EmailMessage()
    m["From"] = "reports@reporter.example"
    m["To"] = rcpt
    if spec == "note":
        m["Subject"] = "lunch"
        m.set_content("Not a report.")
    else:
        kind, reporter, report_id, domain, packing = spec.split(":")
        m["Subject"] = f"Report Domain: {domain} Submitter: {reporter} Report-ID: {report_id}"
        m.set_content("This is an aggregate report.")
        body = dmarc_xml(reporter, report_id, domain) if kind == "dmarc" else tls_json(reporter, report_id, domain)
        name = f"{reporter}!{domain}!{report_id}"
        if packing == "gz":
            sub = "gzip" if kind == "dmarc" else "tlsrpt+gzip"
            m.add_attachment(gzip.compress(body), maintype="application", subtype=sub, filename=name + (".xml.gz" if kind == "dmarc" else ".json.gz"))
        elif packing == "zip":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr(name + ".xml", body)
            m.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename=name + ".zip")
        else:
            m.add_attachment(body, maintype="text", subtype="xml", filename=name + ".xml")
    s.send_message(m, "reports@reporter.example", [rcpt])
s.quit()
print("OK")
"#;

fn mail_reports(srv: &crate::server::Server, rcpt: &str, specs: &[&str]) {
    let port = srv.smtp.port().to_string();
    let mut args = vec![port.as_str(), rcpt];
    args.extend_from_slice(specs);
    assert_eq!(python(SEND_REPORTS, &args).trim(), "OK");
}

fn dmarc_reports_at_the_rua_address_are_summarised_by_source_ip_and_results(env: Env) {
    env.create("bob@example.com", "vip");
    env.ok(&["alias", "add", "dmarc@example.com", "bob@example.com"]);
    env.serve_config(&[]);
    let srv = env.start_server();
    mail_reports(
        &srv,
        "dmarc@example.com",
        &[
            "dmarc:google.com:g-1:example.com:gz",
            "dmarc:Yahoo:y-1:example.com:zip",
            // Sent twice: counted once.
            "dmarc:google.com:g-1:example.com:gz",
            // About another domain, and an ordinary message: not this domain's reports.
            "dmarc:google.com:g-2:other.example:plain",
            "note",
        ],
    );
    crate::util::eventually("the five messages to be delivered", || {
        crate::server::inbox(&env, "bob@example.com").len() == 5
    });

    let v = env.json(&["report", "dmarc", "--domain", "example.com"]);
    let d = &v[0];
    assert_eq!(d["domain"], "example.com");
    assert_eq!(d["addresses"], serde_json::json!(["dmarc@example.com"]));
    assert_eq!(d["reports"].as_array().unwrap().len(), 2, "{d}");
    assert_eq!(d["other_messages"], 2, "{d}");
    let sources = d["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 3, "{d}");
    // Most mail first.
    assert_eq!(sources[0]["ip"], "192.0.2.10");
    assert_eq!(sources[0]["messages"], 12);
    assert_eq!(sources[0]["dmarc"], "pass");
    assert_eq!(sources[0]["reporters"], serde_json::json!(["google.com"]));
    assert_eq!(sources[1]["ip"], "192.0.2.10", "the same IP with other results is another row: {d}");
    assert_eq!(sources[1]["spf"], "fail");
    assert_eq!(sources[1]["dmarc"], "pass", "DKIM passed aligned");
    assert_eq!(sources[2]["ip"], "198.51.100.7");
    assert_eq!(sources[2]["dmarc"], "fail");
    assert_eq!(sources[2]["disposition"], "reject");
    assert_eq!(sources[2]["header_from"], "example.com");

    let text = env.ok(&["report", "dmarc"]);
    assert!(text.contains("example.com: 2 DMARC reports since"), "{text}");
    assert!(text.contains("from Yahoo, google.com"), "{text}");
    assert!(text.lines().any(|l| l.contains("198.51.100.7") && l.contains("fail") && l.contains("reject")), "{text}");
    env.fails(&["report", "dmarc", "--since", "7y"], 64);
    env.fails(&["report", "dmarc", "--domain", "nowhere.example"], 67);
}

fn tls_reports_at_the_rua_address_are_summarised_by_reporter_with_their_failures(env: Env) {
    env.create("bob@example.com", "vip");
    env.ok(&["alias", "add", "tlsrpt@example.com", "bob@example.com"]);
    env.serve_config(&[]);
    let srv = env.start_server();
    mail_reports(&srv, "tlsrpt@example.com", &["tls:google.com:t-1:example.com:gz", "note"]);
    crate::util::eventually("the messages to be delivered", || {
        crate::server::inbox(&env, "bob@example.com").len() == 2
    });

    let v = env.json(&["report", "tls", "--domain", "example.com", "--since", "1h"]);
    let p = &v[0]["policies"][0];
    assert_eq!(p["reporter"], "google.com", "{v}");
    assert_eq!(p["policy"], "sts");
    assert_eq!(p["successful"], 40);
    assert_eq!(p["failed"], 2);
    assert_eq!(
        p["failures"][0],
        serde_json::json!({"result": "certificate-expired", "receiving_mx": "mail.example.com", "sending_ip": "203.0.113.5", "sessions": 2})
    );
    assert_eq!(v[0]["other_messages"], 1);
    let text = env.ok(&["report", "tls", "--domain", "example.com"]);
    assert!(text.contains("certificate-expired x2 at mail.example.com from 203.0.113.5"), "{text}");
}

fn a_domain_whose_report_address_reaches_no_mailbox_is_an_error_naming_the_fix(env: Env) {
    env.create("bob@example.com", "vip");
    let e = env.fails(&["report", "dmarc", "--domain", "example.com"], 67);
    assert!(e.contains("dmarc@example.com"), "{e}");
    assert!(e.contains("mailctl alias add dmarc@example.com"), "the fix is named: {e}");
    // Every domain: the ones without a report mailbox are skipped, and said so.
    let out = env.run(&["report", "tls", "--json"], None);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("skipped: no local mailbox receives the TLS reports of example.com")
    );
}

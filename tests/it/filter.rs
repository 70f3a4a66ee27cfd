//! Inbound filtering on port 25: SpamAssassin's spamd, rspamd, clamd, sender authentication against
//! records served by Knot, forged verdicts removed, and what a scanner that does not answer
//! leads to. Each test runs on SQLite and PostgreSQL.

use std::path::PathBuf;

use crate::server::{Client, Server, inbox};
use crate::util::{Env, peer_env};

store_tests!(
    spam_over_the_reject_score_is_refused_and_spam_over_the_junk_score_goes_to_junk,
    a_virus_is_refused_naming_it_and_a_message_too_big_to_scan_is_never_called_clean,
    a_scanner_that_does_not_answer_defers_the_message_or_with_accept_delivers_it_marked_unscanned,
    forged_verdicts_are_removed_and_ours_added,
    dmarc_policies_decide_with_spf_and_dkim_served_by_knot,
    submission_is_not_filtered,
    a_client_on_a_blocklist_is_refused_at_rcpt_and_a_lists_refusal_is_not_a_listing,
    filter_test_runs_the_pipeline_on_a_file_and_delivers_nothing,
    moving_mail_into_junk_teaches_spamd_spam_and_out_of_it_ham,
    rspamds_action_decides_reject_refused_add_header_to_junk_no_action_to_inbox,
    moving_mail_into_junk_teaches_rspamd_spam_and_out_of_it_ham,
    a_blocked_sender_is_refused_at_rcpt_for_the_accounts_the_rule_names,
    an_allowed_sender_is_not_scored_for_spam,
    an_allow_list_counts_only_for_a_sender_that_spf_vouches_for,
    greylisting_defers_a_new_triplet_and_passes_its_retry_after_the_delay,
);

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
const EICAR: &str = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// An address nothing listens on (a port bound and released).
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap().to_string();
    drop(l);
    a
}

/// Send one message on port 25; returns the reply to the end of DATA (code and text).
fn send(srv: &Server, from: &str, to: &str, message: &str) -> (u16, String) {
    let mut c = Client::connect(srv.smtp);
    c.expect("EHLO client.example", 250);
    c.expect(&format!("MAIL FROM:<{from}>"), 250);
    c.expect(&format!("RCPT TO:<{to}>"), 250);
    c.expect("DATA", 354);
    let mut body = message.replace("\r\n", "\n").replace('\n', "\r\n");
    body = body.replace("\r\n.", "\r\n..");
    c.send(body.as_bytes());
    c.send(b"\r\n.\r\n");
    let r = c.read();
    c.cmd("QUIT");
    r
}

/// One recipient on port 25; returns the reply to RCPT.
fn rcpt(srv: &Server, from: &str, to: &str) -> (u16, String) {
    let mut c = Client::connect(srv.smtp);
    c.expect("EHLO client.example", 250);
    c.expect(&format!("MAIL FROM:<{from}>"), 250);
    c.cmd(&format!("RCPT TO:<{to}>"))
}

/// The messages in an account's Junk folder.
fn junk(env: &Env, address: &str) -> Vec<String> {
    let dir: PathBuf = env.maildir(address).join(".Junk").join("new");
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|r| r.flatten().map(|e| String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn inbox_texts(env: &Env, address: &str) -> Vec<String> {
    inbox(env, address).into_iter().map(|(_, b)| String::from_utf8_lossy(&b).into_owned()).collect()
}

/// A server without sender checks (`serve_config` turns them off), so that only the scanners
/// decide.
fn serve(env: &Env, extra: &[(&str, &str)]) -> Server {
    env.create("bob@example.com", "vip");
    env.serve_config(extra);
    env.start_server()
}

pub fn spamd(test: &str) -> Option<String> {
    let unavailable = "spamd not available; run scripts/peer-spamd.sh start and set MAILCTL_TEST_SPAMD";
    peer_env(test, "spamd", ["MAILCTL_TEST_SPAMD"], unavailable).map(|[a]| a)
}

/// rspamd's normal worker (`/checkv2`) and its controller (learning).
fn rspamd(test: &str) -> Option<[String; 2]> {
    let unavailable = "rspamd not available; run scripts/peer-rspamd.sh start and set MAILCTL_TEST_RSPAMD and MAILCTL_TEST_RSPAMD_CONTROLLER";
    peer_env(test, "rspamd", ["MAILCTL_TEST_RSPAMD", "MAILCTL_TEST_RSPAMD_CONTROLLER"], unavailable)
}

pub fn clamd(test: &str) -> Option<String> {
    let unavailable = "clamd not available; run scripts/peer-clamd.sh start and set MAILCTL_TEST_CLAMD";
    peer_env(test, "clamd", ["MAILCTL_TEST_CLAMD"], unavailable).map(|[a]| a)
}

fn spam_over_the_reject_score_is_refused_and_spam_over_the_junk_score_goes_to_junk(env: Env) {
    let Some(addr) = spamd("filter::spam_over_the_reject_score") else { return };
    let srv = serve(&env, &[("spam_filter", "spamd"), ("spam_filter_address", &addr)]);
    let gtube = format!(
        "From: spammer@remote.example\r\nSubject: buy\r\nMessage-ID: <gtube-1@remote.example>\r\n\r\n{GTUBE}\r\n"
    );
    // GTUBE scores 1000, over the default reject score (15).
    let (code, text) = send(&srv, "spammer@remote.example", "bob@example.com", &gtube);
    assert_eq!(code, 550, "{text}");
    assert!(text.contains("5.7.1"), "{text}");
    // Why, afterwards: by Message-ID (or the queue id).
    crate::util::eventually("the verdict to be kept", || {
        env.run(&["filter", "explain", "<gtube-1@remote.example>"], None).status.success()
    });
    let v = env.json(&["filter", "explain", "gtube-1@remote.example"]);
    assert_eq!(v[0]["action"], "reject", "{v}");
    assert!(v[0]["reason"].as_str().unwrap().contains("reject score"), "{v}");
    assert_eq!(v[0]["sender"], "spammer@remote.example", "{v}");
    let by_queue_id = env.json(&["filter", "explain", v[0]["queue_id"].as_str().unwrap()]);
    assert_eq!(by_queue_id, v);
    env.fails(&["filter", "explain", "never-seen@remote.example"], 67);
    assert!(srv.log().contains("refused by the inbound filters"), "{}", srv.log());
    assert!(inbox(&env, "bob@example.com").is_empty() && junk(&env, "bob@example.com").is_empty());

    env.ok(&["config", "set", "spam_reject_score", "2000"]);
    srv.reload();
    let (code, text) = send(&srv, "spammer@remote.example", "bob@example.com", &gtube);
    assert_eq!(code, 250, "{text}");
    let j = junk(&env, "bob@example.com");
    assert_eq!(j.len(), 1, "GTUBE under the reject score goes to Junk");
    assert!(j[0].contains("X-Mailctl-Verdict: junk"), "{}", j[0]);
    assert!(j[0].contains("X-Spam-Status: Yes, score=100"), "GTUBE scores 1000 and more: {}", j[0]);
    assert!(j[0].contains("GTUBE"), "the rules that matched are named: {}", j[0]);
    assert!(inbox(&env, "bob@example.com").is_empty());

    let clean =
        "From: friend@remote.example\r\nSubject: lunch\r\nMessage-ID: <1@remote.example>\r\n\r\nSee you at noon.\r\n";
    let (code, text) = send(&srv, "friend@remote.example", "bob@example.com", clean);
    assert_eq!(code, 250, "{text}");
    let i = inbox_texts(&env, "bob@example.com");
    assert_eq!(i.len(), 1);
    assert!(i[0].contains("X-Mailctl-Verdict: inbox"), "{}", i[0]);
    assert!(i[0].contains("X-Spam-Status: No"), "{}", i[0]);
}

fn a_virus_is_refused_naming_it_and_a_message_too_big_to_scan_is_never_called_clean(env: Env) {
    let Some(addr) = clamd("filter::a_virus_is_refused") else { return };
    let srv = serve(&env, &[("virus_scanner", "clamd"), ("virus_scanner_address", &addr)]);
    let infected = format!("From: x@remote.example\r\nSubject: invoice\r\n\r\n{EICAR}\r\n");
    let (code, text) = send(&srv, "x@remote.example", "bob@example.com", &infected);
    assert_eq!(code, 554, "{text}");
    assert!(text.contains("5.7.1") && text.contains("EICAR"), "the virus is named: {text}");

    let clean = "From: x@remote.example\r\nSubject: invoice\r\n\r\nNothing here.\r\n";
    assert_eq!(send(&srv, "x@remote.example", "bob@example.com", clean).0, 250);
    let i = inbox_texts(&env, "bob@example.com");
    assert!(i[0].contains("virus=clean"), "{}", i[0]);

    // Over clamd's StreamMaxLength (1 MiB in the peer's config): not scanned, so deferred.
    let big = format!("From: x@remote.example\r\nSubject: big\r\n\r\n{}\r\n", "a".repeat(76).repeat(15_000).as_str());
    let big: String = big.as_bytes().chunks(78).map(|c| format!("{}\r\n", String::from_utf8_lossy(c))).collect();
    let (code, text) = send(&srv, "x@remote.example", "bob@example.com", &big);
    assert_eq!(code, 451, "{text}");
    assert!(text.contains("4.7.0"), "{text}");
    assert_eq!(inbox(&env, "bob@example.com").len(), 1);
}

fn a_scanner_that_does_not_answer_defers_the_message_or_with_accept_delivers_it_marked_unscanned(env: Env) {
    let down = closed_port();
    let srv = serve(&env, &[("virus_scanner", "clamd"), ("virus_scanner_address", &down)]);
    let msg = "From: x@remote.example\r\nSubject: hello\r\n\r\nhello\r\n";
    let (code, text) = send(&srv, "x@remote.example", "bob@example.com", msg);
    assert_eq!(code, 451, "{text}");
    assert!(text.contains("4.7.0"), "{text}");
    assert!(inbox(&env, "bob@example.com").is_empty(), "nothing is delivered unscanned");

    env.ok(&["config", "set", "scanner_failure", "accept"]);
    srv.reload();
    let (code, text) = send(&srv, "x@remote.example", "bob@example.com", msg);
    assert_eq!(code, 250, "{text}");
    let i = inbox_texts(&env, "bob@example.com");
    assert_eq!(i.len(), 1);
    assert!(i[0].contains("virus=unscanned-scanner-failed"), "{}", i[0]);
    assert!(i[0].contains("NOT SCANNED"), "{}", i[0]);
    assert!(!i[0].contains("virus=clean"), "{}", i[0]);
}

fn forged_verdicts_are_removed_and_ours_added(env: Env) {
    let Some(k) = crate::dns::knot("filter::forged_verdicts_are_removed") else { return };
    let srv = serve(&env, &[("inbound_auth", "true"), ("dns_resolver", k.server.as_str())]);
    let host = env.ok(&["config", "get", "hostname"]).trim().to_string();
    let forged = format!(
        "Authentication-Results: {host}; dkim=pass header.d=bank.example\r\n\
Authentication-Results: relay.example; spf=pass\r\n\
X-Mailctl-Verdict: inbox;\r\n\treason=\"trust me\"\r\n\
X-Spam-Status: No, score=-100\r\n\
From: ceo@bank.example\r\nSubject: urgent\r\n\r\nPay now.\r\n"
    );
    let (code, text) = send(&srv, "ceo@bank.example", "bob@example.com", &forged);
    assert_eq!(code, 250, "{text}");
    let i = inbox_texts(&env, "bob@example.com");
    let m = &i[0];
    assert!(!m.contains("dkim=pass header.d=bank.example"), "the forged result is gone: {m}");
    assert!(!m.contains("trust me") && !m.contains("score=-100"), "forged verdicts are gone: {m}");
    assert!(m.contains("Authentication-Results: relay.example; spf=pass"), "others' results stay: {m}");
    assert_eq!(m.matches(&format!("Authentication-Results: {host};")).count(), 1, "ours, once: {m}");
    assert_eq!(m.matches("X-Mailctl-Verdict:").count(), 1, "{m}");
    // Ours comes before the message's own header fields.
    assert!(m.find(&format!("Authentication-Results: {host};")) < m.find("Authentication-Results: relay.example"));
}

fn dmarc_policies_decide_with_spf_and_dkim_served_by_knot(env: Env) {
    let Some(k) = crate::dns::knot("filter::dmarc_policies_decide") else { return };
    let z = crate::dns::zone(&env, 8);
    k.reset(&z);
    for (sub, spf, policy) in [
        ("pass", "v=spf1 ip4:127.0.0.1 -all", "reject"),
        ("reject", "v=spf1 ip4:192.0.2.1 -all", "reject"),
        ("quarantine", "v=spf1 ip4:192.0.2.1 -all", "quarantine"),
        ("none", "v=spf1 ip4:192.0.2.1 -all", "none"),
        ("soft", "v=spf1 ip4:192.0.2.1 ~all", "none"),
        ("lists", "v=spf1 ip4:127.0.0.1 -all", "none"),
    ] {
        k.set(&z, &format!("{sub}.{z}."), "TXT", &format!("\"{spf}\""), false);
        // psd=n ends DMARC's walk up the tree here: Knot refuses names outside its zones, where
        // a resolver on the internet would answer "no such name".
        k.set(&z, &format!("_dmarc.{sub}.{z}."), "TXT", &format!("\"v=DMARC1; p={policy}; psd=n\""), false);
    }
    env.create("bob@example.com", "vip");
    let signed = format!("signed.{z}");
    let forwarders = format!("@lists.{z},@lists.example.net");
    let settings = [
        ("inbound_auth", "true"),
        ("dns_resolver", k.server.as_str()),
        ("trusted_forwarders", forwarders.as_str()),
        ("arc_trusted_sealers", signed.as_str()),
    ];
    env.serve_config(&settings);
    let srv = env.start_server();
    let msg = |from: &str| format!("From: <{from}>\r\nSubject: hi\r\nMessage-ID: <{from}>\r\n\r\nhello\r\n");

    let from = format!("ann@pass.{z}");
    assert_eq!(send(&srv, &from, "bob@example.com", &msg(&from)).0, 250);
    let i = inbox_texts(&env, "bob@example.com");
    assert!(i[0].contains("spf=pass") && i[0].contains("dmarc=pass"), "{}", i[0]);

    let from = format!("ann@reject.{z}");
    let (code, text) = send(&srv, &from, "bob@example.com", &msg(&from));
    assert_eq!(code, 550, "SPF fail, DMARC p=reject: {text} {:?}", inbox_texts(&env, "bob@example.com").last());
    assert!(text.contains("5.7.1"), "{text}");

    let from = format!("ann@quarantine.{z}");
    assert_eq!(send(&srv, &from, "bob@example.com", &msg(&from)).0, 250);
    let j = junk(&env, "bob@example.com");
    assert_eq!(j.len(), 1, "DMARC p=quarantine goes to Junk");
    assert!(j[0].contains("dmarc=fail"), "{}", j[0]);

    let from = format!("ann@none.{z}");
    assert_eq!(send(&srv, &from, "bob@example.com", &msg(&from)).0, 250);
    assert_eq!(inbox(&env, "bob@example.com").len(), 2, "DMARC p=none only reports");

    // A mailing list (a trusted forwarder, which SPF vouches for) re-sending a p=reject
    // domain's message.
    let from = format!("ann@reject.{z}");
    assert_eq!(send(&srv, &format!("list-bounces@lists.{z}"), "bob@example.com", &msg(&from)).0, 250);
    let i = inbox_texts(&env, "bob@example.com");
    assert_eq!(i.len(), 3, "forwarded by a trusted forwarder");
    assert!(i.iter().any(|m| m.contains("forwarded by a trusted forwarder")), "{i:?}");
    // The same from a trusted forwarder's address that SPF does not vouch for: anyone could
    // have written that envelope, so p=reject stands.
    let (code, text) = send(&srv, "list-bounces@lists.example.net", "bob@example.com", &msg(&from));
    assert_eq!(code, 550, "an unverified trusted-forwarder address is not trusted: {text}");

    // DKIM (signed by dkimpy): SPF fails here, so only an aligned DKIM pass can satisfy DMARC.
    let key = env.path().join("dkim.pem");
    let ok =
        std::process::Command::new("openssl").args(["genrsa", "-out", key.to_str().unwrap(), "2048"]).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let public = crate::server::python(PUBLIC_KEY, &[key.to_str().unwrap()]);
    let record = format!("v=DKIM1; k=rsa; p={}", public.trim());
    let strings: Vec<String> =
        record.as_bytes().chunks(200).map(|c| format!("\"{}\"", String::from_utf8_lossy(c))).collect();
    k.set(&z, &format!("sel._domainkey.{signed}."), "TXT", &strings.join(" "), false);
    k.set(&z, &format!("{signed}."), "TXT", "\"v=spf1 -all\"", false);
    k.set(&z, &format!("_dmarc.{signed}."), "TXT", "\"v=DMARC1; p=reject; psd=n\"", false);
    let from = format!("ann@{signed}");
    let original =
        format!("From: <{from}>\r\nSubject: signed\r\nMessage-ID: <signed@x>\r\n\r\nThe body as signed.\r\n");
    let message = crate::server::python(SIGN, &[key.to_str().unwrap(), &signed, &original]);
    let (code, text) = send(&srv, &from, "bob@example.com", &message);
    assert_eq!(code, 250, "DKIM pass, aligned: {text}");
    let i = inbox_texts(&env, "bob@example.com");
    let last = i.iter().find(|m| m.contains("Subject: signed")).expect("delivered");
    assert!(last.contains("dkim=pass") && last.contains("dmarc=pass"), "{last}");
    let altered = message.replace("The body as signed.", "The body, altered in transit.");
    let (code, text) = send(&srv, &from, "bob@example.com", &altered);
    assert_eq!(code, 550, "a body altered in transit fails DKIM, so DMARC p=reject refuses it: {text}");

    // SPF softfail (~all) is reported as such; p=none lets it in.
    let from = format!("ann@soft.{z}");
    assert_eq!(send(&srv, &from, "bob@example.com", &msg(&from)).0, 250);
    let i = inbox_texts(&env, "bob@example.com");
    assert!(i.iter().any(|m| m.contains("spf=softfail") && m.contains(&from)), "{i:?}");

    // A mailing list that changed the message and ARC-sealed it (a sealer we trust): the
    // p=reject domain's DMARC failure is only noted. The same message unsealed was refused above.
    let from = format!("ann@reject.{z}");
    let listed = format!(
        "Authentication-Results: lists.example.net; spf=pass smtp.mailfrom={from}\r\nFrom: <{from}>\r\n\
Subject: [list] hi\r\nMessage-ID: <arc@x>\r\n\r\nhello, with a list footer\r\n"
    );
    let sealed = crate::server::python(ARC_SEAL, &[key.to_str().unwrap(), &signed, &listed]);
    assert!(sealed.starts_with("ARC-Seal:"), "{sealed}");
    let (code, text) = send(&srv, &format!("bounces@{signed}"), "bob@example.com", &sealed);
    assert_eq!(code, 250, "a trusted ARC sealer's message is delivered: {text}");
    let i = inbox_texts(&env, "bob@example.com");
    let m = i.iter().find(|m| m.contains("Subject: [list] hi")).expect("delivered");
    assert!(m.contains("arc=pass"), "{m}");
    assert!(m.contains("forwarded by a trusted ARC sealer"), "{m}");

    // The same sealed message when its sealer is not trusted: a valid chain proves who
    // forwarded it, not that the forwarder is honest, so DMARC's p=reject stands.
    env.ok(&["config", "set", "arc_trusted_sealers", "some-other-list.example"]);
    srv.reload();
    let (code, text) = send(&srv, &format!("bounces@{signed}"), "bob@example.com", &sealed);
    assert_eq!(code, 550, "an untrusted ARC sealer's message is refused under p=reject: {text}");
}

/// ARC-seal a message with dkimpy as the list lists.example.net would (instance 1), signing as
/// the domain given; print the ARC set, then the message.
const ARC_SEAL: &str = r#"
import sys, dkim
key = open(sys.argv[1], 'rb').read()
msg = sys.argv[3].encode()
arc = dkim.arc_sign(msg, b'sel', sys.argv[2].encode(), key, b'lists.example.net',
                    include_headers=[b'from', b'subject', b'message-id'])
sys.stdout.write((b''.join(arc) + msg).decode())
"#;

/// The base64 DER public key of a PEM private key (a DKIM record's p=).
const PUBLIC_KEY: &str = r#"
import subprocess, sys, base64
der = subprocess.run(['openssl', 'rsa', '-in', sys.argv[1], '-pubout', '-outform', 'DER'], capture_output=True, check=True).stdout
print(base64.b64encode(der).decode())
"#;

/// Sign a message with dkimpy (selector "sel", relaxed/relaxed); print it, signature first.
const SIGN: &str = r#"
import sys, dkim
key = open(sys.argv[1], 'rb').read()
msg = sys.argv[3].encode()
sig = dkim.sign(msg, b'sel', sys.argv[2].encode(), key, include_headers=[b'from', b'subject', b'message-id'],
                canonicalize=(b'relaxed', b'relaxed'))
sys.stdout.write((sig + msg).decode())
"#;

fn submission_is_not_filtered(env: Env) {
    // Even with a scanner that is down (which defers port 25's mail), a member's own mail goes.
    let down = closed_port();
    let srv = serve(&env, &[("virus_scanner", "clamd"), ("virus_scanner_address", &down)]);
    let port = srv.submission.port().to_string();
    let out = crate::server::python(
        crate::smtp::SUBMIT,
        &["127.0.0.1", &port, "bob@example.com", "password123", "bob@example.com", "bob@example.com", "starttls"],
    );
    assert_eq!(out.trim(), "{}");
    let i = inbox_texts(&env, "bob@example.com");
    assert_eq!(i.len(), 1);
    assert!(!i[0].contains("X-Mailctl-Verdict"), "{}", i[0]);
}

fn a_client_on_a_blocklist_is_refused_at_rcpt_and_a_lists_refusal_is_not_a_listing(env: Env) {
    let Some(k) = crate::dns::knot("filter::a_client_on_a_blocklist") else { return };
    let (listing, refusing) = (crate::dns::zone(&env, 9), crate::dns::zone(&env, 10));
    k.reset(&listing);
    k.reset(&refusing);
    k.set(&listing, &format!("1.0.0.127.{listing}."), "A", "127.0.0.2", false);
    k.set(&refusing, &format!("1.0.0.127.{refusing}."), "A", "127.255.255.254", false);
    let srv = serve(&env, &[("dns_resolver", k.server.as_str()), ("dnsbl_zones", listing.as_str())]);
    let mut c = Client::connect(srv.smtp);
    c.expect("EHLO client.example", 250);
    c.expect("MAIL FROM:<x@remote.example>", 250);
    let text = c.expect("RCPT TO:<bob@example.com>", 554);
    assert!(text.contains("5.7.1") && text.contains(&listing), "the list is named: {text}");

    env.ok(&["config", "set", "dnsbl_zones", &refusing]);
    srv.reload();
    let msg = "From: x@remote.example\r\nSubject: hi\r\n\r\nhello\r\n";
    let (code, text) = send(&srv, "x@remote.example", "bob@example.com", msg);
    assert_eq!(code, 250, "127.255.255.254 is the list refusing to answer, not a listing: {text}");
    assert!(srv.log().contains("counted as unknown"), "{}", srv.log());
}

fn filter_test_runs_the_pipeline_on_a_file_and_delivers_nothing(env: Env) {
    env.create("bob@example.com", "vip");
    let down = closed_port();
    for (k, v) in [("inbound_auth", "false"), ("virus_scanner", "clamd"), ("virus_scanner_address", down.as_str())] {
        env.ok(&["config", "set", k, v]);
    }
    let file = env.path().join("msg.eml");
    std::fs::write(&file, "From: x@remote.example\nSubject: hi\n\nhello\n").unwrap();
    let f = file.to_str().unwrap();
    let args = ["filter", "test", f, "--ip", "192.0.2.7", "--from", "x@remote.example", "--to", "bob@example.com"];
    let j = env.json(&args);
    assert_eq!(j["action"], "tempfail", "{j}");
    assert!(j["reply"].as_str().unwrap().starts_with("451 4.7.0"), "{j}");
    assert_eq!(j["virus"]["result"], "failed", "{j}");
    assert!(j["headers"].as_str().unwrap().contains("X-Mailctl-Verdict: tempfail"), "{j}");
    assert!(inbox(&env, "bob@example.com").is_empty(), "nothing is delivered");
    // For people: the action, the reply and the reason.
    let text = env.ok(&args);
    assert!(text.starts_with("action: tempfail\nreply:  451 4.7.0"), "{text}");

    let missing = env.path().join("nope.eml");
    let e = env.fails(&["filter", "test", missing.to_str().unwrap(), "--to", "bob@example.com"], 66);
    assert!(e.contains("nope.eml"), "{e}");
    env.fails(&["filter", "test", f, "--ip", "not-an-ip", "--to", "bob@example.com"], 64);
}

const MOVE: &str = r#"
import imaplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4_SSL(sys.argv[1], int(sys.argv[2]), ssl_context=ctx)
m.login('bob@example.com', 'password123')
m.select(sys.argv[3])
print(m.uid('MOVE', '1:*', sys.argv[4])[0])
m.logout()
"#;

fn moving_mail_into_junk_teaches_spamd_spam_and_out_of_it_ham(env: Env) {
    let Some(addr) = spamd("filter::moving_mail_into_junk_teaches_spamd") else { return };
    let srv = serve(&env, &[("spam_filter", "spamd"), ("spam_filter_address", &addr), ("spam_junk_score", "500")]);
    moving_mail_into_junk_and_out_of_it_teaches(&env, &srv);
}

fn moving_mail_into_junk_teaches_rspamd_spam_and_out_of_it_ham(env: Env) {
    let Some([addr, controller]) = rspamd("filter::moving_mail_into_junk_teaches_rspamd") else { return };
    let srv = serve(
        &env,
        &[
            ("spam_filter", "rspamd"),
            ("spam_filter_address", &addr),
            ("spam_learn_address", &controller),
            ("spam_junk_score", "500"),
        ],
    );
    moving_mail_into_junk_and_out_of_it_teaches(&env, &srv);
}

/// A message the spam filter has not seen (the peers live across runs and backends), long
/// enough for a Bayes classifier (rspamd declines fewer than 11 tokens), moved into Junk and
/// back out over IMAP: the filter learns it as spam, then as ham.
fn moving_mail_into_junk_and_out_of_it_teaches(env: &Env, srv: &Server) {
    let token = format!(
        "{:?}-{}",
        env.backend,
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    );
    let msg = format!(
        "From: x@remote.example\r\nTo: bob@example.com\r\nSubject: offer {token}\r\nMessage-ID: <offer-{token}@remote.example>\r\n\r\n\
         Cheap watches, today only, lot {token}. Genuine replicas of famous brands shipped\r\n\
         overnight from our warehouse, discreet packaging, pay on delivery, few left.\r\n"
    );
    assert_eq!(send(srv, "x@remote.example", "bob@example.com", &msg).0, 250);
    let port = srv.imaps.port().to_string();
    let out = crate::server::python(MOVE, &["127.0.0.1", &port, "INBOX", "Junk"]);
    assert_eq!(out.trim(), "OK", "{out}");
    crate::util::eventually("spamd to learn the message as spam", || srv.log().contains("spam filter taught: spam"));
    let out = crate::server::python(MOVE, &["127.0.0.1", &port, "Junk", "INBOX"]);
    assert_eq!(out.trim(), "OK", "{out}");
    crate::util::eventually("spamd to learn the message as ham", || srv.log().contains("spam filter taught: ham"));
    assert!(!srv.log().contains("spam filter not taught"), "{}", srv.log());
}

fn rspamds_action_decides_reject_refused_add_header_to_junk_no_action_to_inbox(env: Env) {
    let Some([addr, _]) = rspamd("filter::rspamds_action_decides") else { return };
    // Scores high enough that only rspamd's action decides.
    let srv = serve(
        &env,
        &[
            ("spam_filter", "rspamd"),
            ("spam_filter_address", &addr),
            ("spam_junk_score", "90"),
            ("spam_reject_score", "99"),
        ],
    );
    let head = |id: &str| {
        format!(
            "From: someone@remote.example\r\nTo: bob@example.com\r\nDate: Wed, 02 Dec 2026 12:00:00 +0000\r\n\
             Subject: lunch\r\nMessage-ID: <{id}@remote.example>\r\n"
        )
    };
    // GTUBE: rspamd's action is reject.
    let (code, text) =
        send(&srv, "someone@remote.example", "bob@example.com", &format!("{}\r\n{GTUBE}\r\n", head("r1")));
    assert_eq!(code, 550, "{text}");
    assert!(text.contains("5.7.1"), "{text}");
    // The peer's rule MAILCTL_TEST_ADD_HEADER scores 9: rspamd's action is add header.
    let marked = format!("{}X-Mailctl-Test: add-header\r\n\r\nSee you at noon.\r\n", head("r2"));
    let (code, text) = send(&srv, "someone@remote.example", "bob@example.com", &marked);
    assert_eq!(code, 250, "{text}");
    let j = junk(&env, "bob@example.com");
    assert_eq!(j.len(), 1, "add header goes to Junk");
    assert!(j[0].contains("rspamd action add header"), "{}", j[0]);
    assert!(j[0].contains("X-Spam-Status: Yes"), "{}", j[0]);
    assert!(j[0].contains("MAILCTL_TEST_ADD_HEADER"), "the rules that matched are named: {}", j[0]);
    // An ordinary message: no action.
    let (code, text) =
        send(&srv, "someone@remote.example", "bob@example.com", &format!("{}\r\nSee you at noon.\r\n", head("r3")));
    assert_eq!(code, 250, "{text}");
    let i = inbox_texts(&env, "bob@example.com");
    assert_eq!(i.len(), 1);
    assert!(i[0].contains("X-Mailctl-Verdict: inbox"), "{}", i[0]);
    assert!(i[0].contains("X-Spam-Status: No"), "{}", i[0]);
}

fn a_blocked_sender_is_refused_at_rcpt_for_the_accounts_the_rule_names(env: Env) {
    env.create("ann@example.com", "vip");
    let srv = serve(&env, &[]);
    env.ok(&["filter", "block", "@pest.example", "--account", "bob@example.com"]);
    env.ok(&["filter", "block", "Boss@Pest.Example"]);
    env.ok(&["filter", "allow", "friend@pest.example", "--account", "bob@example.com"]);
    let list = env.json(&["filter", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    assert!(
        list.as_array().unwrap().iter().any(|r| r["pattern"] == "boss@pest.example" && r["account"] == ""),
        "{list}"
    );
    // An account's own rule beats a rule for every account; then an address's beats its domain's.

    let rcpt = |from: &str, to: &str| rcpt(&srv, from, to);
    let (code, text) = rcpt("x@pest.example", "bob@example.com");
    assert_eq!(code, 550, "{text}");
    assert!(text.contains("5.7.1"), "{text}");
    assert_eq!(rcpt("x@pest.example", "ann@example.com").0, 250, "the rule is bob's only");
    assert_eq!(rcpt("boss@pest.example", "ann@example.com").0, 550, "a rule for every account");
    assert_eq!(rcpt("friend@pest.example", "bob@example.com").0, 250, "an address's rule beats its domain's");

    env.ok(&["filter", "remove", "@pest.example", "--account", "bob@example.com"]);
    assert_eq!(rcpt("x@pest.example", "bob@example.com").0, 250);
    env.fails(&["filter", "remove", "@pest.example", "--account", "bob@example.com"], 67);
    env.fails(&["filter", "block", "@pest.example", "--account", "nobody@example.com"], 67);
    env.fails(&["filter", "block", "not an address"], 65);
}

fn an_allowed_sender_is_not_scored_for_spam(env: Env) {
    let Some(addr) = spamd("filter::an_allowed_sender") else { return };
    let srv = serve(&env, &[("spam_filter", "spamd"), ("spam_filter_address", &addr)]);
    env.ok(&["filter", "allow", "@partner.example", "--account", "bob@example.com"]);
    let gtube = format!("From: news@partner.example\r\nSubject: buy\r\n\r\n{GTUBE}\r\n");
    let (code, text) = send(&srv, "news@partner.example", "bob@example.com", &gtube);
    assert_eq!(code, 250, "{text}");
    let i = inbox_texts(&env, "bob@example.com");
    assert!(i[0].contains("spam=not-scanned (allow-listed sender)"), "{}", i[0]);
    assert_eq!(send(&srv, "news@other.example", "bob@example.com", &gtube).0, 550, "others are still scored");
}

fn an_allow_list_counts_only_for_a_sender_that_spf_vouches_for(env: Env) {
    let Some(addr) = spamd("filter::an_allow_list_counts_only") else { return };
    let Some(k) = crate::dns::knot("filter::an_allow_list_counts_only") else { return };
    let z = crate::dns::zone(&env, 6);
    k.reset(&z);
    for (sub, spf) in [("good", "v=spf1 ip4:127.0.0.1 -all"), ("forged", "v=spf1 ip4:192.0.2.1 -all")] {
        k.set(&z, &format!("{sub}.{z}."), "TXT", &format!("\"{spf}\""), false);
        k.set(&z, &format!("_dmarc.{sub}.{z}."), "TXT", "\"v=DMARC1; p=none; psd=n\"", false);
    }
    let resolver = k.server.clone();
    let srv = serve(
        &env,
        &[
            ("inbound_auth", "true"),
            ("dns_resolver", &resolver),
            ("spam_filter", "spamd"),
            ("spam_filter_address", &addr),
            ("greylist", "true"),
            ("greylist_delay", "3600"),
        ],
    );
    let (good, forged) = (format!("news@good.{z}"), format!("news@forged.{z}"));
    env.ok(&["filter", "allow", &format!("@good.{z}")]);
    env.ok(&["filter", "allow", &format!("@forged.{z}")]);
    // Greylisting: the allow-listed sender that SPF vouches for passes at once; the one whose
    // address is forged (SPF fails from here) waits like anyone.
    let rcpt = |from: &str| rcpt(&srv, from, "bob@example.com");
    assert_eq!(rcpt(&good).0, 250);
    let (code, text) = rcpt(&forged);
    assert_eq!(code, 451, "a forged allow-listed sender is greylisted: {text}");
    // Spam scoring: skipped for the one, applied to the other.
    env.ok(&["config", "set", "greylist", "false"]);
    srv.reload();
    let gtube = |from: &str| format!("From: {from}\r\nSubject: buy\r\nMessage-ID: <{from}>\r\n\r\n{GTUBE}\r\n");
    let (code, text) = send(&srv, &good, "bob@example.com", &gtube(&good));
    assert_eq!(code, 250, "{text}");
    let i = inbox_texts(&env, "bob@example.com");
    assert!(i[0].contains("spam=not-scanned (allow-listed sender)"), "{}", i[0]);
    let (code, text) = send(&srv, &forged, "bob@example.com", &gtube(&forged));
    assert_eq!(code, 550, "a forged allow-listed sender is scored, and GTUBE refused: {text}");
}

fn greylisting_defers_a_new_triplet_and_passes_its_retry_after_the_delay(env: Env) {
    let srv = serve(&env, &[("greylist", "true"), ("greylist_delay", "1")]);
    let rcpt = |from: &str| rcpt(&srv, from, "bob@example.com");
    let (code, text) = rcpt("new@remote.example");
    assert_eq!(code, 451, "{text}");
    assert!(text.contains("4.7.1") && text.contains("greylisted"), "{text}");
    crate::util::eventually("the retry to pass after greylist_delay", || rcpt("new@remote.example").0 == 250);
    let msg = "From: new@remote.example\r\nSubject: hi\r\n\r\nhello\r\n";
    assert_eq!(send(&srv, "new@remote.example", "bob@example.com", msg).0, 250, "a passed triplet passes at once");
    // Another sender is a new triplet; an allow-listed one skips greylisting.
    assert_eq!(rcpt("other@remote.example").0, 451);
    env.ok(&["filter", "allow", "@friend.example"]);
    assert_eq!(rcpt("pal@friend.example").0, 250);
}

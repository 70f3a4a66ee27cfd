//! `mailctl dkim`: keys, their life cycle, and signatures checked by an independent verifier
//! (Python's dkimpy).

use std::os::unix::fs::PermissionsExt;

use crate::server::python;
use crate::util::Env;

const VERIFY: &str = r#"
import dkim, json, sys
recs = {r['name'] + '.': r['value'].encode() for r in json.load(open(sys.argv[1]))}
msg = open(sys.argv[2], 'rb').read()
def dns(name, timeout=5):
    return recs.get(name.decode() if isinstance(name, bytes) else name)
d = dkim.DKIM(msg)
n = msg.count(b'DKIM-Signature:')
print(' '.join(str(d.verify(idx=i, dnsfunc=dns)) for i in range(n)))
tampered = msg.replace(b'Subject: hello', b'Subject: hellO')
print(' '.join(str(dkim.DKIM(tampered).verify(idx=i, dnsfunc=dns)) for i in range(n)))
"#;

fn dkimpy_available(test: &str) -> bool {
    let ok =
        std::process::Command::new("python3").args(["-c", "import dkim, nacl"]).status().is_ok_and(|s| s.success());
    if !ok {
        if crate::util::peers_required() {
            panic!("{test}: Python's dkimpy and pynacl are required (MAILCTL_TEST_PEERS=required)");
        }
        crate::util::skip(test, "Python's dkimpy (pip install dkimpy pynacl) is not installed");
    }
    ok
}

fn dkim_keys_sign_and_verify(env: Env) {
    env.ok(&["domain", "add", "example.org"]);
    let rsa = env.json(&["dkim", "generate", "--domain", "example.com", "--selector", "mail"]);
    assert_eq!(rsa["key"]["status"], "active");
    assert!(rsa["record"]["value"].as_str().unwrap().starts_with("v=DKIM1; k=rsa; p=MII"));
    let ed = env.json(&["dkim", "generate", "--domain", "example.com", "--algorithm", "ed25519"]);
    assert_eq!(ed["key"]["status"], "active", "the first ed25519 key signs beside the rsa one");
    let ed_sel = ed["key"]["selector"].as_str().unwrap().to_string();
    for sel in ["mail", &ed_sel] {
        let key = env.data_dir().join(format!("dkim/example.com/{sel}.key"));
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // The private key never reaches the output.
    let listing = env.ok(&["dkim", "list"]);
    assert!(listing.contains("mail") && listing.contains("ed25519") && !listing.contains("PRIVATE"));

    let msg = env.path().join("m.eml");
    std::fs::write(&msg, "From: Bob <bob@example.com>\r\nTo: x@remote.example\r\nSubject: hello\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nHi there.\r\n").unwrap();
    let signed = env.path().join("signed.eml");
    std::fs::write(&signed, env.ok(&["dkim", "sign", "--domain", "example.com", msg.to_str().unwrap()])).unwrap();
    let records = env.path().join("records.json");
    std::fs::write(&records, env.ok(&["--json", "dkim", "show", "--domain", "example.com"])).unwrap();
    if dkimpy_available("dkim_keys_sign_and_verify") {
        let out = python(VERIFY, &[records.to_str().unwrap(), signed.to_str().unwrap()]);
        assert_eq!(out, "True True\nFalse False\n", "both signatures verify, and a change breaks them");
    }

    // Rotation: the new key is pending until activated; the old one stays published.
    let next = env.json(&["dkim", "rotate", "--domain", "example.com", "--selector", "mail2"]);
    assert_eq!(next["key"]["status"], "pending");
    let signed2 = env.ok(&["dkim", "sign", "--domain", "example.com", msg.to_str().unwrap()]);
    assert!(signed2.contains("s=mail;") && !signed2.contains("s=mail2;"), "pending keys do not sign");
    env.ok(&["dkim", "activate", "--domain", "example.com", "--selector", "mail2"]);
    let keys = env.json(&["dkim", "list", "--domain", "example.com"]);
    let status = |sel: &str| keys.as_array().unwrap().iter().find(|k| k["selector"] == sel).unwrap()["status"].clone();
    assert_eq!((status("mail"), status("mail2")), ("inactive".into(), "active".into()));
    let signed3 = env.ok(&["dkim", "sign", "--domain", "example.com", msg.to_str().unwrap()]);
    assert!(signed3.contains("s=mail2;") && !signed3.contains("s=mail;"));
    let shown = env.ok(&["dkim", "show", "--domain", "example.com"]);
    assert!(shown.contains("mail._domainkey") && shown.contains("mail2._domainkey"));
    env.ok(&["dkim", "retire", "--domain", "example.com", "--selector", "mail"]);
    assert!(!env.ok(&["dkim", "show", "--domain", "example.com"]).contains("mail._domainkey"));
    assert!(!env.data_dir().join("dkim/example.com/mail.key").exists());

    // Bad input: one line, the right code, nothing changed.
    env.fails(&["dkim", "generate", "--domain", "nowhere.example"], 67);
    env.fails(&["dkim", "generate", "--domain", "example.com", "--selector", "mail2"], 73);
    env.fails(&["dkim", "generate", "--domain", "example.com", "--selector", "../etc"], 65);
    env.fails(&["dkim", "generate", "--domain", "example.com", "--algorithm", "rsa-512"], 64);
    env.fails(&["dkim", "activate", "--domain", "example.com", "--selector", "nope"], 67);
    env.fails(&["dkim", "rotate", "--domain", "example.org"], 67);
    env.fails(&["dkim", "sign", "--domain", "example.org", msg.to_str().unwrap()], 67);
}

store_tests!(dkim_keys_sign_and_verify);

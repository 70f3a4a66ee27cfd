//! `dns check`: compare what the servers answer with the desired records (the same function
//! `dns records` prints), and check SPF and DMARC syntax and the SPF lookup limit.

use serde::Serialize;

use super::value::txt_kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ok,
    Missing,
    Wrong,
    ExtraSpf,
    /// An optional record that is missing or wrong.
    Warning,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Missing => "missing",
            Verdict::Wrong => "wrong",
            Verdict::ExtraSpf => "extra SPF",
            Verdict::Warning => "warning",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub purpose: String,
    pub required: bool,
    pub expected: Vec<String>,
    pub found: Vec<String>,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl Finding {
    /// Does this finding make the check fail?
    pub fn fails(&self) -> bool {
        self.required && self.verdict != Verdict::Ok
    }
}

/// Compare the expected values at a name and type with what was found. TXT values are
/// compared by kind (an SPF with the SPF at that name), so foreign TXT values do not count.
pub fn compare(rtype: &str, expected: &[String], found: &[String]) -> (Verdict, String) {
    if rtype == "TXT" {
        let mut worst = (Verdict::Ok, String::new());
        for e in expected {
            let k = txt_kind(e);
            let same: Vec<&String> = found.iter().filter(|f| txt_kind(f) == k && (k != "other" || *f == e)).collect();
            let v = if same.iter().any(|f| same_txt(k, f, e)) {
                if k == "spf" && same.len() > 1 {
                    (
                        Verdict::ExtraSpf,
                        format!("{} SPF records: receivers treat that as a permanent error", same.len()),
                    )
                } else if k != "dkim" && k != "other" && same.len() > 1 {
                    (Verdict::Wrong, format!("{} {k} records at one name: receivers ignore them all", same.len()))
                } else {
                    (Verdict::Ok, String::new())
                }
            } else if same.is_empty() {
                (Verdict::Missing, String::new())
            } else {
                (Verdict::Wrong, format!("a different {k} record is published"))
            };
            if v.0 != Verdict::Ok && worst.0 == Verdict::Ok {
                worst = v;
            }
        }
        return worst;
    }
    if found.is_empty() {
        return (Verdict::Missing, String::new());
    }
    let extra: Vec<&String> = found.iter().filter(|f| !expected.contains(f)).collect();
    let absent: Vec<&String> = expected.iter().filter(|e| !found.contains(e)).collect();
    if extra.is_empty() && absent.is_empty() {
        (Verdict::Ok, String::new())
    } else if absent.is_empty() {
        (Verdict::Wrong, format!("also published: {}", join(&extra)))
    } else {
        (Verdict::Wrong, format!("not published: {}", join(&absent)))
    }
}

/// Equal TXT values: DKIM and DMARC records compare as tag lists (order and spaces do not
/// matter, RFC 6376 §3.2); the rest as text.
fn same_txt(kind: &str, a: &str, b: &str) -> bool {
    if kind != "dkim" && kind != "dmarc" {
        return a == b;
    }
    tags(a) == tags(b)
}

/// A tag list (`k=v; k=v`, RFC 6376 §3.2), sorted, spaces in values dropped.
fn tags(t: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = t
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.split_whitespace().collect::<String>()))
        .collect();
    v.sort();
    v
}

/// The `p=` of a DKIM record.
pub fn dkim_p(record: &str) -> Option<String> {
    tags(record).into_iter().find(|(k, _)| k == "p").map(|(_, v)| v)
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// An optional record's failure is a warning, with the verdict kept in the detail.
pub fn soften(required: bool, (verdict, detail): (Verdict, String)) -> (Verdict, String) {
    if required || verdict == Verdict::Ok {
        return (verdict, detail);
    }
    let d = if detail.is_empty() { verdict.as_str().to_string() } else { format!("{}: {detail}", verdict.as_str()) };
    (Verdict::Warning, d)
}

/// SPF syntax (mail-auth's parser): the mechanisms and modifiers that cost a DNS lookup, and
/// the domains of `include:` and `redirect=` to follow.
pub fn spf_lookups(record: &str) -> Result<(u32, Vec<String>), String> {
    use mail_auth::common::parse::TxtRecordParser;
    use mail_auth::spf::{Macro, Mechanism, Spf};
    let spf = Spf::parse(record.as_bytes()).map_err(|e| format!("SPF does not parse: {e}"))?;
    let literal = |m: &Macro| match m {
        Macro::Literal(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    };
    let mut count = 0;
    let mut follow = Vec::new();
    for d in spf.directives.iter() {
        match &d.mechanism {
            Mechanism::Include { macro_string } => {
                count += 1;
                follow.extend(literal(macro_string));
            }
            Mechanism::A { .. } | Mechanism::Mx { .. } | Mechanism::Ptr { .. } | Mechanism::Exists { .. } => count += 1,
            _ => {}
        }
    }
    if let Some(r) = &spf.redirect {
        count += 1;
        follow.extend(literal(r));
    }
    Ok((count, follow))
}

/// DMARC syntax (mail-auth's parser).
pub fn dmarc_parses(record: &str) -> Result<(), String> {
    use mail_auth::common::parse::TxtRecordParser;
    mail_auth::dmarc::Dmarc::parse(record.as_bytes()).map(|_| ()).map_err(|e| format!("DMARC does not parse: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn verdicts() {
        let spf = "v=spf1 mx ~all";
        assert_eq!(compare("TXT", &v(&[spf]), &v(&[spf, "verify=1"])).0, Verdict::Ok);
        assert_eq!(compare("TXT", &v(&[spf]), &v(&["verify=1"])).0, Verdict::Missing);
        assert_eq!(compare("TXT", &v(&[spf]), &v(&["v=spf1 -all"])).0, Verdict::Wrong);
        assert_eq!(compare("TXT", &v(&[spf]), &v(&[spf, "v=spf1 -all"])).0, Verdict::ExtraSpf);
        assert_eq!(compare("MX", &v(&["10 a.test"]), &v(&["10 a.test"])).0, Verdict::Ok);
        assert_eq!(compare("MX", &v(&["10 a.test"]), &v(&[])).0, Verdict::Missing);
        assert_eq!(compare("MX", &v(&["10 a.test"]), &v(&["10 a.test", "5 evil.test"])).0, Verdict::Wrong);
        assert_eq!(compare("TXT", &v(&["v=DKIM1; k=rsa; p=AB CD"]), &v(&["v=DKIM1;p=ABCD ;k=rsa"])).0, Verdict::Ok);
        let dmarc = "v=DMARC1; p=quarantine";
        assert_eq!(compare("TXT", &v(&[dmarc]), &v(&[dmarc, "v=DMARC1; p=none"])).0, Verdict::Wrong);
        assert_eq!(dkim_p("v=DKIM1; k=ed25519; p=AB CD").as_deref(), Some("ABCD"));
        assert_eq!(soften(false, (Verdict::Missing, String::new())), (Verdict::Warning, "missing".into()));
        assert_eq!(soften(true, (Verdict::Missing, String::new())).0, Verdict::Missing);
    }

    #[test]
    fn spf_and_dmarc_syntax() {
        assert_eq!(spf_lookups("v=spf1 mx a:mail.a.test ip4:192.0.2.1 ~all").unwrap(), (2, vec![]));
        let (n, f) =
            spf_lookups("v=spf1 include:_spf.google.com include:x.test exists:%{i}.y.test redirect=z.test").unwrap();
        assert_eq!(n, 4);
        assert_eq!(f, ["_spf.google.com", "x.test", "z.test"]);
        assert!(spf_lookups("v=spf1 include -all").is_err());
        assert!(spf_lookups("v=spf1 mx:/33 ~all").is_err());
        assert!(dmarc_parses("v=DMARC1; p=quarantine; rua=mailto:d@a.test").is_ok());
        assert!(dmarc_parses("v=DMARC1; p=bogus").is_err());
    }
}

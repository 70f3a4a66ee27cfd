//! MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file, and which MX host names a
//! policy allows. Pure: fetching and caching are `ops::mta_sts`.

/// What a policy asks of senders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Deliver only to matching MX hosts over verified TLS.
    Enforce,
    /// Deliver as usual; report what enforce would have refused.
    Testing,
    /// No policy (a domain withdrawing one).
    None,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    pub mode: Mode,
    /// MX patterns, lower case: `mx.example.com` or `*.example.com`.
    pub mx: Vec<String>,
    /// Seconds the policy may be cached (bounded to [`MAX_AGE_LIMIT`]).
    pub max_age: u64,
}

/// RFC 8461 §3.2: `max_age` is at most 31557600 (about a year).
pub const MAX_AGE_LIMIT: u64 = 31_557_600;
/// The most a policy file may hold (RFC 8461 §3.3 suggests 64 KiB).
pub const MAX_POLICY_BYTES: usize = 64 * 1024;
/// Most `mx` lines kept.
const MAX_MX: usize = 100;

/// The id of a `_mta-sts` TXT record (`v=STSv1; id=...;`), or why it is not one. Several
/// records, or none of version STSv1, mean no policy (§3.1), which the caller decides.
pub fn record_id(txt: &str) -> Result<String, String> {
    let mut fields = txt.split(';').map(str::trim).filter(|f| !f.is_empty());
    if fields.next() != Some("v=STSv1") {
        return Err("the record does not start with v=STSv1".into());
    }
    let id = fields
        .filter_map(|f| f.split_once('='))
        .find(|(k, _)| k.trim() == "id")
        .map(|(_, v)| v.trim().to_string())
        .ok_or("the record has no id")?;
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("the id {id:?} is not 1 to 32 letters and digits"));
    }
    Ok(id)
}

/// Parse a policy file (§3.2): `key: value` lines, CRLF or LF; `version: STSv1`, `mode`,
/// `max_age` and, unless the mode is none, at least one `mx` are required.
pub fn parse(text: &str) -> Result<Policy, String> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(format!("the policy is larger than {MAX_POLICY_BYTES} bytes"));
    }
    let (mut version, mut mode, mut max_age, mut mx) = (None, None, None, Vec::new());
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(format!("the line {line:?} is not key: value"));
        };
        let value = value.trim();
        match key.trim() {
            "version" => version = Some(value.to_string()),
            "mode" => {
                mode = Some(match value {
                    "enforce" => Mode::Enforce,
                    "testing" => Mode::Testing,
                    "none" => Mode::None,
                    other => return Err(format!("unknown mode {other:?}")),
                })
            }
            "max_age" => {
                let n: u64 = value
                    .parse()
                    .ok()
                    .filter(|_| value.len() <= 10 && value.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| format!("max_age {value:?} is not a number of seconds"))?;
                max_age = Some(n.min(MAX_AGE_LIMIT));
            }
            "mx" => {
                let pattern = value.trim_end_matches('.').to_ascii_lowercase();
                let host = pattern.strip_prefix("*.").unwrap_or(&pattern);
                if host.is_empty() || host.contains('*') || !host.contains('.') {
                    return Err(format!("mx {value:?} is not a host name or *.domain"));
                }
                if mx.len() < MAX_MX {
                    mx.push(pattern);
                }
            }
            // Unknown keys are ignored (§3.2: extensions).
            _ => {}
        }
    }
    if version.as_deref() != Some("STSv1") {
        return Err("the policy has no version: STSv1".into());
    }
    let mode = mode.ok_or("the policy has no mode")?;
    let max_age = max_age.ok_or("the policy has no max_age")?;
    if mode != Mode::None && mx.is_empty() {
        return Err("the policy names no mx".into());
    }
    Ok(Policy { mode, mx, max_age })
}

impl Policy {
    /// Whether the policy allows this MX host (§4.1): an exact name, or `*.domain` for one
    /// label more than the domain (not the domain itself, not two labels more).
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.mx.iter().any(|p| match p.strip_prefix("*.") {
            Some(domain) => host.split_once('.').is_some_and(|(first, rest)| !first.is_empty() && rest == domain),
            None => *p == host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n";

    #[test]
    fn a_policy_file_is_read_by_the_rules_of_rfc_8461() {
        let p = parse(GOOD).unwrap();
        assert_eq!(
            p,
            Policy {
                mode: Mode::Enforce,
                mx: vec!["mail.example.com".into(), "*.example.net".into()],
                max_age: 604800
            }
        );
        assert_eq!(
            parse("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 99999999999").map(|p| p.max_age),
            Err("max_age \"99999999999\" is not a number of seconds".into())
        );
        assert_eq!(
            parse("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 999999999").unwrap().max_age,
            MAX_AGE_LIMIT
        );
        assert_eq!(parse("version: STSv1\nmode: none\nmax_age: 86400").unwrap().mode, Mode::None);
        let refused: &[(&str, &str)] = &[
            ("mode: enforce\nmx: a.example\nmax_age: 1", "no version"),
            ("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1", "no version"),
            ("version: STSv1\nmx: a.example\nmax_age: 1", "no mode"),
            ("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1", "unknown mode"),
            ("version: STSv1\nmode: enforce\nmx: a.example", "no max_age"),
            ("version: STSv1\nmode: enforce\nmax_age: 1", "names no mx"),
            ("version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 1", "not a host name"),
            ("version: STSv1\nmode: enforce\nmx: *\nmax_age: 1", "not a host name"),
            ("version: STSv1\nmode: enforce\nmax_age: -5\nmx: a.example", "not a number"),
            ("version: STSv1\nmode: enforce\nmax_age: +5\nmx: a.example", "not a number"),
            ("<html>not a policy</html>", "not key: value"),
        ];
        for (text, why) in refused {
            let e = parse(text).unwrap_err();
            assert!(e.contains(why), "{text:?}: {e}");
        }
        let big = format!("{GOOD}{}", "x: y\n".repeat(MAX_POLICY_BYTES / 5 + 1));
        assert!(parse(&big).unwrap_err().contains("larger than"));
    }

    #[test]
    fn a_wildcard_mx_pattern_covers_one_label_only() {
        let p = parse(GOOD).unwrap();
        let cases = [
            ("mail.example.com", true),
            ("MAIL.Example.COM.", true),
            ("mx1.example.net", true),
            ("example.net", false),
            ("a.b.example.net", false),
            ("other.example.com", false),
            ("mail.example.com.evil.test", false),
        ];
        let dotted = parse("version: STSv1\nmode: enforce\nmx: MX.Example.ORG.\nmax_age: 60").unwrap();
        assert!(dotted.allows("mx.example.org"), "{dotted:?}");
        for (host, ok) in cases {
            assert_eq!(p.allows(host), ok, "{host}");
        }
    }

    #[test]
    fn the_txt_record_gives_the_policy_id() {
        assert_eq!(record_id("v=STSv1; id=20260101T000000;"), Ok("20260101T000000".into()));
        assert_eq!(record_id("v=STSv1;id=abc"), Ok("abc".into()));
        for bad in ["v=STSv2; id=1", "id=1; v=STSv1", "v=STSv1;", "v=STSv1; id=", "v=STSv1; id=a-b", "v=spf1 -all"] {
            assert!(record_id(bad).is_err(), "{bad}");
        }
    }
}

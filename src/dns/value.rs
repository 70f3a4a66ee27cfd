//! Record values: the canonical form mailctl compares, and the zone-file presentation form
//! that BIND, Route53 and RFC 2136 use.
//!
//! Canonical: `A`/`AAAA` the address as Rust prints it; `MX` `10 host`; `SRV`
//! `prio weight port host`; `CNAME`/`NS`/`PTR` `host`; `CAA` `0 issue "ca"`; `TXT` the text
//! itself, unquoted, its character-strings joined. Host names are lowercase, without the dot.

/// Canonical value to zone presentation (`host.`, TXT quoted in 255-byte strings).
pub fn to_zone(rtype: &str, value: &str) -> String {
    match rtype {
        "MX" | "SRV" => match value.rsplit_once(' ') {
            Some((head, host)) => format!("{head} {}", fqdn(host)),
            None => value.to_string(),
        },
        "CNAME" | "NS" | "PTR" => fqdn(value),
        "TXT" => quote_txt(value),
        _ => value.to_string(),
    }
}

/// Zone presentation (or a provider's form of it) to canonical.
pub fn canonical(rtype: &str, text: &str) -> String {
    let text = text.trim();
    match rtype {
        "MX" | "SRV" => {
            let parts: Vec<&str> = text.split_whitespace().collect();
            match parts.split_last() {
                Some((host, head)) if !head.is_empty() => format!("{} {}", head.join(" "), host_name(host)),
                _ => text.to_string(),
            }
        }
        "CNAME" | "NS" | "PTR" => host_name(text),
        "A" | "AAAA" => text.parse::<std::net::IpAddr>().map(|a| a.to_string()).unwrap_or_else(|_| text.to_string()),
        "TXT" => unquote_txt(text),
        "CAA" => {
            // flags tag value; the value quoted.
            let mut it = text.splitn(3, char::is_whitespace);
            match (it.next(), it.next(), it.next()) {
                (Some(f), Some(t), Some(v)) => {
                    format!("{f} {} \"{}\"", t.to_ascii_lowercase(), unquote_txt(v.trim()))
                }
                _ => text.to_string(),
            }
        }
        _ => text.to_string(),
    }
}

fn fqdn(host: &str) -> String {
    if host.ends_with('.') { host.to_string() } else { format!("{host}.") }
}

fn host_name(h: &str) -> String {
    h.trim_end_matches('.').to_ascii_lowercase()
}

/// TXT text as quoted character-strings of at most 255 bytes (RFC 1035 §3.3.14), with `"`
/// and `\` escaped.
pub fn quote_txt(text: &str) -> String {
    txt_strings(text)
        .iter()
        .map(|s| {
            let mut q = String::with_capacity(s.len() + 2);
            q.push('"');
            for b in s.iter() {
                match b {
                    b'"' | b'\\' => {
                        q.push('\\');
                        q.push(*b as char);
                    }
                    0x20..=0x7e => q.push(*b as char),
                    _ => q.push_str(&format!("\\{b:03}")),
                }
            }
            q.push('"');
            q
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The character-strings of a TXT value: 255-byte pieces.
pub fn txt_strings(text: &str) -> Vec<&[u8]> {
    let b = text.as_bytes();
    if b.is_empty() {
        return vec![b];
    }
    b.chunks(255).collect()
}

/// Quoted (or bare) character-strings back to the text they carry, joined.
pub fn unquote_txt(text: &str) -> String {
    let b = text.as_bytes();
    if !b.contains(&b'"') {
        return text.to_string();
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut quoted = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => quoted = !quoted,
            b'\\' if i + 1 < b.len() => {
                let rest = &b[i + 1..];
                if rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit) {
                    let n = (rest[0] - b'0') as u32 * 100 + (rest[1] - b'0') as u32 * 10 + (rest[2] - b'0') as u32;
                    out.push(n.min(255) as u8);
                    i += 3;
                } else {
                    out.push(rest[0]);
                    i += 1;
                }
            }
            b' ' | b'\t' if !quoted => {}
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Which mail standard a TXT value belongs to, by its version tag. Values of other kinds
/// (site verification strings) are never mailctl's.
pub fn txt_kind(value: &str) -> &'static str {
    let v = value.trim_start();
    let tag = |t: &str| {
        v.len() >= t.len()
            && v[..t.len()].eq_ignore_ascii_case(t)
            && v[t.len()..].chars().next().is_none_or(|c| c == ' ' || c == ';')
    };
    if tag("v=spf1") {
        "spf"
    } else if tag("v=DKIM1") {
        "dkim"
    } else if tag("v=DMARC1") {
        "dmarc"
    } else if tag("v=STSv1") {
        "mta-sts"
    } else if tag("v=TLSRPTv1") {
        "tls-rpt"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (t, canon, zone) in [
            ("MX", "10 mail.example.com", "10 mail.example.com."),
            ("SRV", "0 1 587 mail.example.com", "0 1 587 mail.example.com."),
            ("CNAME", "mail.example.com", "mail.example.com."),
            ("TXT", "v=spf1 mx ~all", "\"v=spf1 mx ~all\""),
            ("TXT", "say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\""),
            ("CAA", "0 issue \"letsencrypt.org\"", "0 issue \"letsencrypt.org\""),
            ("A", "192.0.2.1", "192.0.2.1"),
        ] {
            assert_eq!(to_zone(t, canon), zone, "{t}");
            assert_eq!(canonical(t, zone), canon, "{t}");
        }
        assert_eq!(canonical("MX", "10   MAIL.Example.COM."), "10 mail.example.com");
        assert_eq!(canonical("AAAA", "2001:0db8::0001"), "2001:db8::1");
        assert_eq!(canonical("CAA", "0 ISSUE letsencrypt.org"), "0 issue \"letsencrypt.org\"");
    }

    #[test]
    fn long_txt_is_split_and_joined() {
        let long = "p=".to_string() + &"A".repeat(400);
        let z = to_zone("TXT", &long);
        assert_eq!(z.matches('"').count(), 4, "{z}");
        assert_eq!(canonical("TXT", &z), long);
        assert_eq!(unquote_txt("\"a\\032b\" \"c\""), "a bc");
        assert_eq!(unquote_txt("bare"), "bare");
    }

    #[test]
    fn kinds() {
        assert_eq!(txt_kind("v=spf1 -all"), "spf");
        assert_eq!(txt_kind("V=SPF1"), "spf");
        assert_eq!(txt_kind("v=spf10"), "other");
        assert_eq!(txt_kind("v=DKIM1; k=rsa; p=x"), "dkim");
        assert_eq!(txt_kind("v=DMARC1; p=none"), "dmarc");
        assert_eq!(txt_kind("google-site-verification=abc"), "other");
    }
}

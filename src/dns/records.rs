//! The records a mail domain needs, computed by one pure function from the config and the
//! domain's DKIM keys. `dns records` prints them, `dns publish` plans against them and
//! `dns check` looks them up: the three can never disagree.
//!
//! Values are kept in one canonical form, whatever the provider (see [`super::value`]):
//! host names lowercase without the trailing dot, TXT as the unquoted text.

use std::net::IpAddr;

use serde::Serialize;

use crate::config::Dns;
use crate::store::dkim::DkimKey;

/// One desired record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Owner name: lowercase, no trailing dot.
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: &'static str,
    pub ttl: u32,
    /// Canonical value (see the module doc).
    pub value: String,
    /// What it is for: mx, host, spf, spf-helo, dkim, dmarc, mta-sts, tls-rpt, srv, autoconfig, caa, ptr.
    pub purpose: &'static str,
    /// `dns check` fails when a required record is wrong; the others are warnings.
    pub required: bool,
    /// False for records that cannot go into this zone (PTR, names outside it): printed as
    /// instructions, never published.
    pub publish: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What the records are computed from.
pub struct Inputs<'a> {
    pub domain: &'a str,
    /// The mail host (config `hostname`).
    pub host: &'a str,
    pub dns: &'a Dns,
    /// The domain's DKIM keys, any status.
    pub dkim: &'a [DkimKey],
    /// Unix time, for the DKIM grace period.
    pub now: i64,
}

/// A config template (`dmarc_record`, `tlsrpt_rua`, `spf_record`) for one domain: `{domain}`
/// and `{host}` filled in.
pub fn fill(template: &str, domain: &str, host: &str) -> String {
    template.replace("{domain}", domain).replace("{host}", host)
}

/// The desired records, in a stable order, and warnings about what could not be generated.
pub fn desired(i: &Inputs) -> (Vec<Record>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let d = i.domain;
    let host = i.host;
    let ttl = i.dns.ttl;
    let fill = |t: &str| fill(t, d, host);
    let rec = |name: &str, rtype: &'static str, value: String, purpose: &'static str, required: bool| Record {
        name: name.to_string(),
        rtype,
        ttl,
        value,
        purpose,
        required,
        publish: true,
        note: None,
    };

    if host == d {
        warnings.push(format!(
            "the mail host is the domain's apex ({d}): its A/AAAA records are the web site's too; a name of its own (mail.{d}) is safer"
        ));
    }
    if !host.contains('.') {
        warnings
            .push(format!("the mail host name {host:?} is not a public name: mailctl config set hostname mail.{d}"));
    }

    // MX: the mail host, and a backup.
    out.push(rec(d, "MX", format!("10 {host}"), "mx", true));
    if let Some(b) = &i.dns.backup_mx {
        out.push(rec(d, "MX", format!("20 {b}"), "mx", true));
    }

    // The mail host's and webmail host's addresses, when their names are in this zone.
    let addrs: Vec<(&'static str, String)> = i
        .dns
        .ipv4
        .map(|a| ("A", a.to_string()))
        .into_iter()
        .chain(i.dns.ipv6.map(|a| ("AAAA", a.to_string())))
        .collect();
    if addrs.is_empty() {
        warnings.push(format!(
            "no public address set: no A/AAAA for {host} and no ip4/ip6 in SPF (mailctl config set ipv4 ADDR)"
        ));
    }
    let mut hosts = vec![(host, "host", true)];
    if let Some(w) = &i.dns.webmail_host {
        hosts.push((w.as_str(), "webmail", false));
    }
    for (name, purpose, required) in &hosts {
        for (rtype, value) in &addrs {
            let mut r = rec(name, rtype, value.clone(), purpose, *required);
            if !in_zone(name, d) {
                r.publish = false;
                r.note = Some(format!("{name} is outside the zone {d}: set it in {name}'s own zone"));
            }
            out.push(r);
        }
    }

    // SPF for the domain, and for the mail host's own name (the HELO identity).
    let spf = match &i.dns.spf_record {
        Some(t) => fill(t),
        None => {
            let mut s = format!("v=spf1 mx a:{host}");
            if let Some(a) = i.dns.ipv4 {
                s.push_str(&format!(" ip4:{a}"));
            }
            if let Some(a) = i.dns.ipv6 {
                s.push_str(&format!(" ip6:{a}"));
            }
            s.push_str(" ~all");
            s
        }
    };
    out.push(rec(d, "TXT", spf, "spf", true));
    if host != d && in_zone(host, d) {
        out.push(rec(host, "TXT", "v=spf1 a -all".into(), "spf-helo", false));
    }

    // DKIM: every key that signs or is about to, and replaced keys in their grace period.
    let grace = i.dns.dkim_grace();
    let mut keys: Vec<&DkimKey> = i.dkim.iter().filter(|k| dkim_published(k, grace, i.now)).collect();
    keys.sort_by(|a, b| a.selector.cmp(&b.selector));
    for k in keys {
        let t = crate::dkim::txt(k);
        out.push(rec(&t.name, "TXT", t.value, "dkim", true));
    }

    out.push(rec(&format!("_dmarc.{d}"), "TXT", fill(&i.dns.dmarc_record), "dmarc", true));

    // MTA-STS: the TXT names the policy's id, which changes whenever the policy does.
    out.push(rec(
        &format!("_mta-sts.{d}"),
        "TXT",
        format!("v=STSv1; id={}", mta_sts_id(&mta_sts_policy(i.host, i.dns))),
        "mta-sts",
        false,
    ));
    out.push(rec(&format!("mta-sts.{d}"), "CNAME", host.to_string(), "mta-sts", false));
    out.push(rec(
        &format!("_smtp._tls.{d}"),
        "TXT",
        format!("v=TLSRPTv1; rua={}", fill(&i.dns.tlsrpt_rua)),
        "tls-rpt",
        false,
    ));

    // RFC 6186 (and 8314) service records for mail clients.
    for s in super::client::SERVICES {
        out.push(rec(&format!("{}._tcp.{d}", s.srv), "SRV", format!("0 1 {} {host}", s.port), "srv", false));
    }
    out.push(rec(&format!("autoconfig.{d}"), "CNAME", host.to_string(), "autoconfig", false));

    // CAA on the mail host's own name: only the ACME CA may issue for it. (Not on the domain:
    // that would also bind the domain's web site.)
    for (name, _, _) in &hosts {
        let mut r = rec(name, "CAA", format!("0 issue \"{}\"", i.dns.acme_ca), "caa", false);
        if !in_zone(name, d) {
            r.publish = false;
            r.note = Some(format!("{name} is outside the zone {d}"));
        }
        out.push(r);
    }

    // PTR: set at whoever hosts the address, never in this zone.
    for ip in i.dns.ipv4.map(IpAddr::V4).into_iter().chain(i.dns.ipv6.map(IpAddr::V6)) {
        out.push(Record {
            publish: false,
            note: Some(format!("set reverse DNS for {ip} to {host} at your hosting provider")),
            ..rec(&reverse_name(ip), "PTR", host.to_string(), "ptr", false)
        });
    }
    (out, warnings)
}

/// Is a DKIM key's record wanted now? Pending and active keys are; an inactive one for
/// `grace` seconds after it was replaced; a retired one never.
pub fn dkim_published(k: &DkimKey, grace: i64, now: i64) -> bool {
    match k.status.as_str() {
        "pending" | "active" => true,
        "inactive" => k.changed_at + grace > now,
        _ => false,
    }
}

/// Is `name` the zone `zone` or inside it?
pub fn in_zone(name: &str, zone: &str) -> bool {
    name == zone || name.strip_suffix(zone).is_some_and(|p| p.ends_with('.'))
}

/// The MTA-STS policy file (RFC 8461 §3.2) the mail host will serve.
pub fn mta_sts_policy(host: &str, dns: &Dns) -> String {
    let mut p = format!("version: STSv1\nmode: {}\nmx: {}\n", dns.mta_sts_mode, host);
    if let Some(b) = &dns.backup_mx {
        p.push_str(&format!("mx: {b}\n"));
    }
    p.push_str("max_age: 604800\n");
    p
}

/// A policy id (1-32 alphanumerics) that changes exactly when the policy does.
fn mta_sts_id(policy: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(policy.as_bytes());
    digest[..10].iter().map(|b| format!("{b:02x}")).collect()
}

/// `4.3.2.1.in-addr.arpa` / nibble form under `ip6.arpa`.
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(a) => {
            let mut s = String::new();
            for b in a.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s.push_str("ip6.arpa");
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns() -> Dns {
        crate::config::Config::dev().dns
    }

    fn key(selector: &str, status: &str, changed_at: i64) -> DkimKey {
        DkimKey {
            domain: "example.com".into(),
            selector: selector.into(),
            algorithm: "ed25519".into(),
            status: status.into(),
            public_key: format!("{selector}KEY="),
            created_at: 0,
            changed_at,
        }
    }

    /// Compare with a golden file; `UPDATE_GOLDEN=1 cargo test` rewrites it.
    fn golden(name: &str, actual: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, actual).unwrap();
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(actual, expected, "{} differs (UPDATE_GOLDEN=1 to accept)", path.display());
    }

    #[test]
    fn full_set_matches_golden_files() {
        let mut d = dns();
        d.ipv4 = Some("192.0.2.10".parse().unwrap());
        d.ipv6 = Some("2001:db8::10".parse().unwrap());
        d.backup_mx = Some("mx2.example.net".into());
        d.webmail_host = Some("webmail.example.com".into());
        let now = 1_800_000_000;
        let keys = [
            key("new", "pending", now),
            key("cur", "active", now),
            key("old", "inactive", now - 86400),
            key("gone", "inactive", now - 8 * 86400),
            key("dead", "retired", now),
        ];
        let i = Inputs { domain: "example.com", host: "mail.example.com", dns: &d, dkim: &keys, now };
        let (records, warnings) = desired(&i);
        assert!(warnings.is_empty(), "{warnings:?}");
        golden("dns-example.com.zone", &crate::dns::zone::render("example.com", &records));
        golden("dns-example.com.json", &(serde_json::to_string_pretty(&records).unwrap() + "\n"));
        let selectors: Vec<&str> = records.iter().filter(|r| r.purpose == "dkim").map(|r| r.name.as_str()).collect();
        assert_eq!(
            selectors,
            ["cur._domainkey.example.com", "new._domainkey.example.com", "old._domainkey.example.com"]
        );
    }

    #[test]
    fn minimal_set_and_overrides() {
        let mut d = dns();
        d.spf_record = Some("v=spf1 include:_spf.{domain} -all".into());
        d.dmarc_record = "v=DMARC1; p=reject".into();
        let i = Inputs { domain: "b.org", host: "mx.example.com", dns: &d, dkim: &[], now: 0 };
        let (records, warnings) = desired(&i);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let get = |p: &str| records.iter().find(|r| r.purpose == p).map(|r| (r.name.as_str(), r.value.as_str()));
        assert_eq!(get("spf"), Some(("b.org", "v=spf1 include:_spf.b.org -all")));
        assert_eq!(get("dmarc"), Some(("_dmarc.b.org", "v=DMARC1; p=reject")));
        assert_eq!(get("mx"), Some(("b.org", "10 mx.example.com")));
        // The mail host is in another zone: no A, no HELO SPF here; its CAA is an instruction.
        assert!(records.iter().all(|r| r.purpose != "spf-helo" && r.rtype != "A"));
        assert!(records.iter().filter(|r| r.purpose == "caa").all(|r| !r.publish));
        assert!(!records.iter().any(|r| r.rtype == "PTR"));
    }

    #[test]
    fn reverse_names() {
        assert_eq!(reverse_name("192.0.2.10".parse().unwrap()), "10.2.0.192.in-addr.arpa");
        assert_eq!(
            reverse_name("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
        assert!(in_zone("mail.example.com", "example.com"));
        assert!(!in_zone("mailexample.com", "example.com"));
    }
}

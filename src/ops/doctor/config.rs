//! `config`: the host name is a public FQDN that /etc/hosts does not bind to loopback, the
//! public addresses are set and public, dev mode is off, and the listeners use the standard
//! ports.

use std::net::IpAddr;

use super::{Check, Ctx};

/// Whether an address is one the internet can reach.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_documentation()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

/// Why a host name is not a public FQDN, if it is not.
pub fn not_public_fqdn(host: &str) -> Option<&'static str> {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    if h.parse::<IpAddr>().is_ok() {
        return Some("it is an address, not a name");
    }
    if !h.contains('.') {
        return Some("it has no dot");
    }
    let reserved = [".localhost", ".local", ".localdomain", ".internal", ".lan", ".home.arpa", ".test", ".invalid"];
    if h == "localhost" || reserved.iter().any(|r| h.ends_with(r)) {
        return Some("it is under a name that is not public");
    }
    None
}

/// The loopback address /etc/hosts (its text) gives `host`, if any.
pub fn hosts_binds_to_loopback(hosts: &str, host: &str) -> Option<IpAddr> {
    hosts.lines().map(|l| l.split('#').next().unwrap_or("")).find_map(|l| {
        let mut fields = l.split_whitespace();
        let ip: IpAddr = fields.next()?.parse().ok()?;
        (ip.is_loopback() && fields.any(|f| f.eq_ignore_ascii_case(host))).then_some(ip)
    })
}

pub async fn run(ctx: &Ctx<'_>) -> Vec<Check> {
    let cfg = ctx.cfg;
    let mut out = Vec::new();
    let host = &cfg.hostname;
    out.push(match not_public_fqdn(host) {
        None => Check::pass("config.hostname", format!("{host} is a public name")),
        Some(why) => Check::fail(
            "config.hostname",
            format!("the host name {host:?} is not a public FQDN: {why}"),
            "mailctl config set hostname mail.<your domain> (the name your MX record and PTR give)",
        ),
    });
    if let Ok(hosts) = std::fs::read_to_string("/etc/hosts")
        && let Some(ip) = hosts_binds_to_loopback(&hosts, host)
    {
        out.push(Check::warn(
            "config.etc-hosts",
            format!("/etc/hosts maps {host} to {ip}: programs on this machine reach loopback for it"),
            format!("edit /etc/hosts: give {host} its public address, or take it off the {ip} line"),
        ));
    }
    let addrs: Vec<IpAddr> = cfg.dns.ipv4.map(IpAddr::V4).into_iter().chain(cfg.dns.ipv6.map(IpAddr::V6)).collect();
    if addrs.is_empty() {
        out.push(Check::fail(
            "config.addresses",
            "neither ipv4 nor ipv6 is set: the A/AAAA, SPF and PTR records cannot name this host",
            "mailctl config set ipv4 <the public IPv4 address> (and ipv6)",
        ));
    }
    for ip in addrs {
        out.push(if is_public(ip) {
            Check::pass("config.addresses", format!("{ip} is a public address"))
        } else {
            Check::fail(
                "config.addresses",
                format!("{ip} is not a public address: other servers cannot reach it"),
                format!("mailctl config set {} <the public address>", if ip.is_ipv4() { "ipv4" } else { "ipv6" }),
            )
        });
    }
    out.push(if cfg.dev_mode {
        Check::fail(
            "config.dev-mode",
            "dev_mode is on: logins without TLS from loopback, development ports",
            "mailctl config set dev_mode false",
        )
    } else {
        Check::pass("config.dev-mode", "dev_mode is off")
    });
    let s = &cfg.server;
    let standard = [
        ("smtp_listen", &s.smtp_listen, 25),
        ("submission_listen", &s.submission_listen, 587),
        ("submissions_listen", &s.submissions_listen, 465),
        ("imaps_listen", &s.imaps_listen, 993),
        ("pop3s_listen", &s.pop3s_listen, 995),
        ("imap_listen", &s.imap_listen, 143),
        ("pop3_listen", &s.pop3_listen, 110),
        ("http_listen", &s.http_listen, 80),
        ("https_listen", &s.https_listen, 443),
    ];
    let mut odd = Vec::new();
    for (key, value, port) in standard {
        let Some(addr) = value.as_deref() else { continue };
        let bound = addr.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok());
        if bound != Some(port) {
            odd.push(format!("{key} = {addr} (clients expect port {port})"));
        }
    }
    out.push(if odd.is_empty() {
        Check::pass("config.ports", "every listener is on its standard port")
    } else {
        Check::warn(
            "config.ports",
            odd.join("; "),
            "mailctl config set <key> 0.0.0.0:<standard port> (or leave it unset for the default)",
        )
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_under_public_suffixes_count_as_a_public_fqdn() {
        let cases = [
            ("mail.example.com", true),
            ("mx1.example.co.uk.", true),
            ("localhost", false),
            ("mail", false),
            ("192.0.2.1", false),
            ("mail.localdomain", false),
            ("box.local", false),
            ("mx.example.test", false),
        ];
        for (host, public) in cases {
            assert_eq!(not_public_fqdn(host).is_none(), public, "{host}");
        }
    }

    #[test]
    fn private_loopback_shared_and_documentation_addresses_are_not_public() {
        for (ip, public) in [
            ("203.0.114.9", true),
            ("10.1.2.3", false),
            ("192.168.1.1", false),
            ("127.0.0.1", false),
            ("100.64.0.1", false),
            ("192.0.2.10", false),
            ("2a01:4f8::1", true),
            ("fd00::1", false),
            ("fe80::1", false),
            ("2001:db8::1", false),
        ] {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
        }
    }

    #[test]
    fn etc_hosts_binding_the_host_name_to_loopback_is_found() {
        let hosts = "127.0.0.1 localhost\n127.0.1.1 mail.example.com mail # debian\n203.0.114.9 other\n";
        assert_eq!(hosts_binds_to_loopback(hosts, "mail.example.com"), Some("127.0.1.1".parse().unwrap()));
        assert_eq!(hosts_binds_to_loopback(hosts, "other"), None);
        assert_eq!(hosts_binds_to_loopback("# 127.0.0.1 mail.example.com\n", "mail.example.com"), None);
    }
}

//! `mailctl firewall`: the rules that admit exactly the listeners the config enables, for ufw,
//! nftables or iptables; and what rules are in force, read back from `nft list ruleset` or
//! `iptables-save` (for `doctor`). Metrics stay off the list: their listener is for loopback.

use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Result};

/// A port the config opens, and what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Port {
    pub port: u16,
    pub service: &'static str,
}

/// The TCP ports of the enabled listeners (those bound to a non-loopback address), sorted.
pub fn ports(cfg: &Config) -> Vec<Port> {
    let s = &cfg.server;
    let listeners = [
        (&s.smtp_listen, "smtp"),
        (&s.submission_listen, "submission"),
        (&s.submissions_listen, "submissions"),
        (&s.imap_listen, "imap"),
        (&s.imaps_listen, "imaps"),
        (&s.pop3_listen, "pop3"),
        (&s.pop3s_listen, "pop3s"),
        (&s.http_listen, "http"),
        (&s.https_listen, "https"),
    ];
    let mut out: Vec<Port> = listeners
        .into_iter()
        .filter_map(|(addr, service)| {
            let addr = addr.as_deref()?;
            let (host, port) = addr.rsplit_once(':')?;
            let host = host.trim_matches(['[', ']']);
            let loopback = host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) || host == "localhost";
            (!loopback).then_some(Port { port: port.parse().ok()?, service })
        })
        .collect();
    out.sort_by_key(|p| p.port);
    out.dedup_by_key(|p| p.port);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ufw,
    Nftables,
    Iptables,
}

impl Format {
    pub const NAMES: &[&str] = &["ufw", "nftables", "iptables"];

    pub fn parse(s: &str) -> Result<Format> {
        match s {
            "ufw" => Ok(Format::Ufw),
            "nftables" | "nft" => Ok(Format::Nftables),
            "iptables" => Ok(Format::Iptables),
            _ => Err(Error::usage(format!("unknown firewall format {s:?}: use {}", Format::NAMES.join(", ")))),
        }
    }

    /// The tool this machine has: ufw when it is installed, else nft, else iptables.
    pub fn detect() -> Format {
        let has = |tool: &str| {
            ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].iter().any(|d| std::path::Path::new(d).join(tool).exists())
        };
        if has("ufw") {
            Format::Ufw
        } else if has("nft") {
            Format::Nftables
        } else {
            Format::Iptables
        }
    }
}

/// The command that admits one port.
pub fn rule(format: Format, p: &Port) -> String {
    match format {
        Format::Ufw => format!("ufw allow {}/tcp comment 'mailctl {}'", p.port, p.service),
        // Inserted first: after a final reject they would never be reached.
        Format::Nftables => {
            format!("nft insert rule inet filter input tcp dport {} accept comment \"mailctl {}\"", p.port, p.service)
        }
        Format::Iptables => format!(
            "iptables -I INPUT -p tcp --dport {} -j ACCEPT -m comment --comment \"mailctl {}\"",
            p.port, p.service
        ),
    }
}

/// Every command, in order: for nftables the table and chain first (no-ops when they exist).
pub fn rules(format: Format, ports: &[Port]) -> Vec<String> {
    let mut out = Vec::new();
    if format == Format::Nftables {
        out.push("nft add table inet filter".to_string());
        out.push("nft add chain inet filter input '{ type filter hook input priority 0; }'".to_string());
    }
    out.extend(ports.iter().map(|p| rule(format, p)));
    out
}

/// What the rules in force say about incoming TCP: whether unlisted ports are dropped, and
/// the ports accepted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InForce {
    pub drops_by_default: bool,
    pub accepted: Vec<u16>,
    /// Every port is accepted (a rule without a port).
    pub accepts_all: bool,
}

impl InForce {
    pub fn admits(&self, port: u16) -> bool {
        !self.drops_by_default || self.accepts_all || self.accepted.contains(&port)
    }
}

/// Ports of `dport 25`, `dport { 25, 587 }`, `--dport 25`, `--dports 25,587`, ranges `a-b`.
fn port_list(spec: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for part in spec.split([',', ' ', '{', '}']).filter(|p| !p.is_empty()) {
        let range = part.split_once(['-', ':']);
        match range {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u16>(), b.parse::<u16>())
                    && b >= a
                    && b - a < 5000
                {
                    out.extend(a..=b);
                }
            }
            None => out.extend(part.parse::<u16>().ok()),
        }
    }
    out
}

/// Whether a rule admits only some sources (an address, an interface): it does not open the
/// port to the internet.
fn narrowed(rule: &str) -> bool {
    [" saddr ", "iif ", "iifname ", " -s ", " -i ", "--src-range"].iter().any(|m| format!(" {rule} ").contains(m))
}

/// Read `nft list ruleset`: the input-hook chains (and ufw's user chains, which they jump to),
/// their policy or a final unconditional drop/reject, and their `tcp dport … accept` rules.
pub fn parse_nft(text: &str) -> InForce {
    let mut f = InForce::default();
    let mut in_input = false;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("chain ") {
            in_input = name.contains("user-input");
            continue;
        }
        if line.starts_with("type filter hook input") {
            in_input = true;
            if line.contains("policy drop") {
                f.drops_by_default = true;
            }
            continue;
        }
        if !in_input {
            continue;
        }
        let verdict = line.split_whitespace().last().unwrap_or("");
        // The rule without its counter: a bare `drop` or `reject …` ends the chain for all.
        let core: Vec<&str> = line
            .split_whitespace()
            .filter(|w| !matches!(*w, "counter" | "packets" | "bytes") && w.parse::<u64>().is_err())
            .collect();
        if core == ["drop"] || core.first() == Some(&"reject") {
            f.drops_by_default = true;
            continue;
        }
        if verdict != "accept" && !line.contains(" accept ") || narrowed(line) {
            continue;
        }
        if let Some(rest) = line.split("tcp dport ").nth(1) {
            let spec = if rest.starts_with('{') {
                rest.split('}').next().unwrap_or("")
            } else {
                rest.split(' ').next().unwrap_or("")
            };
            f.accepted.extend(port_list(spec));
        } else if line == "accept" {
            f.accepts_all = true;
        }
    }
    f.accepted.sort_unstable();
    f.accepted.dedup();
    f
}

/// Read `iptables-save` (or `ip6tables-save`): the INPUT policy or a final unconditional
/// DROP/REJECT, and the ACCEPT rules by port of INPUT and ufw's user chain.
pub fn parse_iptables(text: &str) -> InForce {
    let mut f = InForce::default();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix(":INPUT ") {
            f.drops_by_default |= rest.starts_with("DROP") || rest.starts_with("REJECT");
            continue;
        }
        let chain_ok = line.starts_with("-A INPUT ") || line.starts_with("-A ufw-user-input ");
        if !chain_ok {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let target = words.windows(2).find(|w| w[0] == "-j").map(|w| w[1]).unwrap_or("");
        let ports: Vec<u16> = words
            .windows(2)
            .filter(|w| w[0] == "--dport" || w[0] == "--dports")
            .flat_map(|w| port_list(w[1]))
            .collect();
        let matches_something =
            words.iter().any(|w| w.starts_with('-') && !matches!(*w, "-A" | "-j") && *w != "--reject-with");
        match target {
            "DROP" | "REJECT" if line.starts_with("-A INPUT ") && !matches_something => f.drops_by_default = true,
            "ACCEPT" if narrowed(line) => {}
            "ACCEPT" if !ports.is_empty() => f.accepted.extend(ports),
            "ACCEPT" if !matches_something => f.accepts_all = true,
            _ => {}
        }
    }
    f.accepted.sort_unstable();
    f.accepted.dedup();
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nft_rulesets_are_read_for_the_input_policy_and_accepted_ports() {
        let ruleset = r#"table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		tcp dport 22 accept
		tcp dport { 25, 465, 587 } accept
		tcp dport 990-995 accept comment "mail"
		udp dport 53 accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		tcp dport 143 accept
	}
}"#;
        let f = parse_nft(ruleset);
        assert!(f.drops_by_default);
        assert!(!f.accepts_all);
        for (port, admitted) in [
            (22, true),
            (25, true),
            (465, true),
            (587, true),
            (993, true),
            (995, true),
            (143, false),
            (53, false),
            (110, false),
        ] {
            assert_eq!(f.admits(port), admitted, "{port}");
        }
        assert!(
            parse_nft("table inet filter {\n chain input {\n type filter hook input priority 0; policy accept;\n }\n}")
                .admits(25)
        );
        assert!(parse_nft("").admits(25), "no ruleset drops nothing");
        // firewalld's shape: policy accept, then a final reject; an accept for one source only.
        let firewalld = "table inet firewalld {\n chain filter_INPUT {\n  type filter hook input priority filter + 10; policy accept;\n\
            ct state established,related accept\n  ip saddr 10.0.0.0/8 tcp dport 25 accept\n  tcp dport 993 accept\n\
            reject with icmpx admin-prohibited\n }\n}";
        let f = parse_nft(firewalld);
        assert!(f.drops_by_default && f.admits(993) && !f.admits(25), "{f:?}");
    }

    #[test]
    fn iptables_save_is_read_for_the_input_policy_and_accepted_ports() {
        let saved = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n\
            -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n\
            -A INPUT -i lo -j ACCEPT\n\
            -A INPUT -p tcp -m tcp --dport 25 -j ACCEPT\n\
            -A INPUT -p tcp -m multiport --dports 587,993:995 -j ACCEPT\n\
            -A INPUT -p tcp -m tcp --dport 143 -j DROP\nCOMMIT\n";
        let f = parse_iptables(saved);
        assert!(f.drops_by_default && !f.accepts_all);
        for (port, admitted) in
            [(25, true), (587, true), (993, true), (994, true), (995, true), (143, false), (465, false)]
        {
            assert_eq!(f.admits(port), admitted, "{port}");
        }
        assert!(parse_iptables("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n").admits(465));
        assert!(parse_iptables("*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n").admits(465));
        // RHEL's default: policy ACCEPT and a final REJECT; an accept from one network only.
        let rhel = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n\
            -A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n\
            -A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 25 -j ACCEPT\n\
            -A INPUT -j REJECT --reject-with icmp-host-prohibited\nCOMMIT\n";
        let f = parse_iptables(rhel);
        assert!(f.drops_by_default && f.admits(22) && !f.admits(25), "{f:?}");
        // ufw keeps its accepts in ufw-user-input.
        let ufw = "*filter\n:INPUT DROP [0:0]\n:ufw-user-input - [0:0]\n-A INPUT -j ufw-before-input\n\
            -A ufw-user-input -p tcp -m tcp --dport 25 -j ACCEPT\nCOMMIT\n";
        assert!(parse_iptables(ufw).admits(25) && !parse_iptables(ufw).admits(993));
    }

    #[test]
    fn each_format_admits_each_port_with_its_own_command() {
        let p = [Port { port: 25, service: "smtp" }, Port { port: 993, service: "imaps" }];
        assert_eq!(
            rules(Format::Ufw, &p),
            vec!["ufw allow 25/tcp comment 'mailctl smtp'", "ufw allow 993/tcp comment 'mailctl imaps'"]
        );
        let nft = rules(Format::Nftables, &p);
        assert_eq!(nft.len(), 4);
        assert_eq!(nft[2], "nft insert rule inet filter input tcp dport 25 accept comment \"mailctl smtp\"");
        assert!(rules(Format::Iptables, &p)[1].starts_with("iptables -I INPUT -p tcp --dport 993 -j ACCEPT"));
    }
}

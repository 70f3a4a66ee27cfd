//! Network addresses written in the config and on the command line: a next hop for outbound
//! mail (`[host]:port`, `host:port`) and a DNS server (`IP` or `IP:PORT`).

use std::net::{IpAddr, SocketAddr};

use crate::error::{Error, Result};

/// Where mail goes: a host (an MX lookup unless `exact`) and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    pub host: String,
    pub port: u16,
    /// `[host]`: connect to the host's addresses, no MX lookup.
    pub exact: bool,
}

impl NextHop {
    /// `[host]:port`, `[host]`, `host:port` or `host`; IPv6 addresses in brackets.
    pub fn parse(s: &str) -> Result<NextHop> {
        let bad = || Error::invalid(format!("invalid next hop {s:?}: use [host]:port or host:port"));
        let (host, port, exact) = if let Some(rest) = s.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(bad()),
            };
            (host.to_string(), port, true)
        } else {
            match s.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p), false),
                None => (s.to_string(), None, false),
            }
        };
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(bad)?,
            None => 25,
        };
        let host = if let Ok(ip) = host.parse::<std::net::IpAddr>() {
            if !exact {
                return Err(Error::invalid(format!("{s:?}: an IP address needs brackets, as in [{ip}]:{port}")));
            }
            ip.to_string()
        } else {
            crate::names::domain(&host).map_err(|_| bad())?
        };
        Ok(NextHop { host, port, exact })
    }

    pub fn render(&self) -> String {
        if self.exact { format!("[{}]:{}", self.host, self.port) } else { format!("{}:{}", self.host, self.port) }
    }
}

/// `IP` or `IP:PORT` (port 53 by default).
pub fn parse_server(s: &str) -> Result<SocketAddr> {
    s.parse::<SocketAddr>()
        .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| Error::usage(format!("{s:?} is not IP or IP:PORT")))
}

/// How much TLS a delivery requires (Postfix's `smtp_tls_security_level` names): a transport
/// route may pin one; without one, MTA-STS decides, else `may`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsLevel {
    /// Never STARTTLS.
    None,
    /// STARTTLS when offered, any certificate.
    May,
    /// STARTTLS required, any certificate.
    Encrypt,
    /// STARTTLS required, and the certificate verifies for the host name (system roots and
    /// `tls_extra_roots`).
    Verify,
    /// DANE (RFC 7672) where the host has DNSSEC-validated TLSA records (`dnssec_trust`),
    /// else `may`: never compared with the others, the delivery resolves it per host first.
    Dane,
}

impl TlsLevel {
    pub const NAMES: &[&str] = &["none", "may", "encrypt", "verify", "dane"];

    pub fn parse(s: &str) -> Result<TlsLevel> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "none" => TlsLevel::None,
            "may" => TlsLevel::May,
            "encrypt" => TlsLevel::Encrypt,
            "verify" => TlsLevel::Verify,
            "dane" => TlsLevel::Dane,
            _ => {
                return Err(Error::invalid(format!("invalid TLS level {s:?}: use {}", TlsLevel::NAMES.join(", "))));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        TlsLevel::NAMES[self as usize]
    }
}

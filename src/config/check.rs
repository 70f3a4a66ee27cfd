//! The checks a key's value must pass, in the text form `config set` takes and the file holds.
//! The message says what is wrong; the caller names the key.

use crate::error::{Error, Result};

pub fn hostname(v: &str) -> Result<()> {
    crate::names::domain(v).map(|_| ())
}
pub fn path(v: &str) -> Result<()> {
    if v.is_empty() || v.contains('\0') { Err(Error::invalid("not a path")) } else { Ok(()) }
}
pub fn database(v: &str) -> Result<()> {
    if v.starts_with("sqlite:") || v.starts_with("postgres://") || v.starts_with("postgresql://") {
        Ok(())
    } else {
        Err(Error::invalid("not a sqlite: or postgres:// URL"))
    }
}
pub fn boolean(v: &str) -> Result<()> {
    match v {
        "true" | "false" => Ok(()),
        _ => Err(Error::invalid("not true or false")),
    }
}
pub fn listen(v: &str) -> Result<()> {
    if v.is_empty() || v.parse::<std::net::SocketAddr>().is_ok() {
        Ok(())
    } else {
        Err(Error::invalid("not an address:port like 0.0.0.0:25 or [::]:25 (empty disables)"))
    }
}
pub fn size(v: &str) -> Result<()> {
    crate::size::parse_bytes(v).map(|_| ())
}
pub fn any(_: &str) -> Result<()> {
    Ok(())
}

pub fn any_count(v: &str) -> Result<()> {
    v.parse::<u64>().map(|_| ()).map_err(|_| Error::invalid("not a whole number"))
}

pub fn relayhost(v: &str) -> Result<()> {
    if v.is_empty() { Ok(()) } else { crate::netaddr::NextHop::parse(v).map(|_| ()) }
}

pub fn resolver(v: &str) -> Result<()> {
    if v.is_empty() || crate::netaddr::parse_server(v).is_ok() {
        Ok(())
    } else {
        Err(Error::invalid("not an IP address or IP:port"))
    }
}

pub fn count(v: &str) -> Result<()> {
    match v.parse::<u64>() {
        Ok(n) if n > 0 && n < 1 << 40 => Ok(()),
        _ => Err(Error::invalid("not a positive whole number")),
    }
}

pub fn log_level(v: &str) -> Result<()> {
    match v {
        "error" | "warn" | "info" | "debug" | "trace" => Ok(()),
        _ => Err(Error::invalid("not one of error, warn, info, debug, trace")),
    }
}

pub fn log_format(v: &str) -> Result<()> {
    match v {
        "text" | "json" => Ok(()),
        _ => Err(Error::invalid("not one of text, json")),
    }
}

pub fn ipv4(v: &str) -> Result<()> {
    empty_or::<std::net::Ipv4Addr>(v, "not an IPv4 address")
}
pub fn ipv6(v: &str) -> Result<()> {
    empty_or::<std::net::Ipv6Addr>(v, "not an IPv6 address")
}
fn empty_or<T: std::str::FromStr>(v: &str, problem: &str) -> Result<()> {
    if v.is_empty() || v.parse::<T>().is_ok() { Ok(()) } else { Err(Error::invalid(problem)) }
}
pub fn host_or_empty(v: &str) -> Result<()> {
    if v.is_empty() { Ok(()) } else { hostname(v) }
}
pub fn spf(v: &str) -> Result<()> {
    if v.is_empty() || v.starts_with("v=spf1") && v.len() < 2048 {
        Ok(())
    } else {
        Err(Error::invalid("an SPF record starts with v=spf1"))
    }
}
pub fn dmarc(v: &str) -> Result<()> {
    if v.is_empty() || v.starts_with("v=DMARC1;") && v.contains("p=") {
        Ok(())
    } else {
        Err(Error::invalid("a DMARC record starts with v=DMARC1; and has p="))
    }
}
pub fn address_or_empty(v: &str) -> Result<()> {
    if v.is_empty() { Ok(()) } else { crate::names::Address::parse(v).map(|_| ()) }
}
pub fn dnssec_trust(v: &str) -> Result<()> {
    match v {
        "" | "none" | "resolver" => Ok(()),
        _ => Err(Error::invalid("not resolver or none")),
    }
}
pub fn sts_mode(v: &str) -> Result<()> {
    match v {
        "" | "enforce" | "testing" | "none" => Ok(()),
        _ => Err(Error::invalid("not enforce, testing or none")),
    }
}
pub fn provider(v: &str) -> Result<()> {
    match v {
        "" | "cloudflare" | "route53" | "rfc2136" => Ok(()),
        _ => Err(Error::invalid("not cloudflare, route53 or rfc2136")),
    }
}

/// One of the words of a `choices.rs` setting.
pub fn choice<T: std::str::FromStr<Err = String>>(v: &str) -> Result<()> {
    if v.is_empty() { Ok(()) } else { v.parse::<T>().map(|_| ()).map_err(Error::invalid) }
}
pub fn score(v: &str) -> Result<()> {
    match v.parse::<f64>() {
        _ if v.is_empty() => Ok(()),
        Ok(s) if s.is_finite() => Ok(()),
        _ => Err(Error::invalid("not a number like 5 or 6.5")),
    }
}
/// A scanner's address: host:port, or for rspamd an http(s) URL.
pub fn scanner_address(v: &str) -> Result<()> {
    if v.is_empty() || v.starts_with("http://") || v.starts_with("https://") {
        return Ok(());
    }
    match v.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0) => Ok(()),
        _ => Err(Error::invalid("not host:port (or an http:// URL for rspamd)")),
    }
}
/// Comma-separated host names (DNS zones, domains).
pub fn host_list(v: &str) -> Result<()> {
    for h in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        hostname(h).map_err(|e| e.context(format!("list entry {h}")))?;
    }
    Ok(())
}
/// Comma-separated addresses or @domains.
pub fn sender_list(v: &str) -> Result<()> {
    for a in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let domain = a.rsplit_once('@').map(|(_, d)| d).unwrap_or(a);
        hostname(domain).map_err(|e| e.context(format!("list entry {a}")))?;
    }
    Ok(())
}

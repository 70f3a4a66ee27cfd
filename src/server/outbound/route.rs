//! Where a domain's mail goes: a transport route, else its MX hosts (RFC 5321 §5.1: by
//! preference; no MX means the domain's own address; a null MX, RFC 7505, means it takes no
//! mail), each host's addresses.

use std::net::{IpAddr, SocketAddr};

use hickory_resolver::TokioResolver;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RData;

use crate::netaddr::NextHop;
use crate::ops::transport::route;
use crate::store::transports::Transport;

/// A host to try, with its name (for TLS SNI and logs).
#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub addrs: Vec<SocketAddr>,
}

#[derive(Debug)]
pub enum Resolved {
    Hosts(Vec<Host>),
    /// The domain cannot receive mail (NXDOMAIN, null MX): fail the recipients.
    Permanent(String),
    /// Try again later (DNS failure, no address).
    Temporary(String),
}

fn nxdomain(e: &NetError) -> bool {
    matches!(e, NetError::Dns(DnsError::NoRecordsFound(nr)) if nr.response_code == ResponseCode::NXDomain)
}

fn no_records(e: &NetError) -> bool {
    matches!(e, NetError::Dns(DnsError::NoRecordsFound(_)))
}

async fn addresses(resolver: &TokioResolver, host: &str, port: u16) -> Result<Vec<SocketAddr>, NetError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let ips = resolver.lookup_ip(format!("{host}.")).await?;
    Ok(ips.iter().map(|ip| SocketAddr::new(ip, port)).collect())
}

/// Resolve where mail for `domain` goes.
pub async fn resolve(resolver: &TokioResolver, routes: &[Transport], domain: &str) -> Resolved {
    let (target, port, mx) = match route(routes, domain).and_then(|t| NextHop::parse(&t.nexthop).ok()) {
        Some(hop) => (hop.host, hop.port, !hop.exact),
        None => (domain.to_string(), 25, true),
    };
    let mut names: Vec<String> = vec![target.clone()];
    if mx && target.parse::<IpAddr>().is_err() {
        match resolver.mx_lookup(format!("{target}.")).await {
            Ok(lookup) => {
                let mut mxs: Vec<(u16, String)> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::MX(m) => Some((m.preference, m.exchange.to_ascii().trim_end_matches('.').to_string())),
                        _ => None,
                    })
                    .collect();
                mxs.sort();
                if mxs.len() == 1 && mxs[0].1.is_empty() {
                    return Resolved::Permanent(format!("{target} accepts no mail (null MX)"));
                }
                if !mxs.is_empty() {
                    names = mxs.into_iter().map(|m| m.1).collect();
                }
            }
            Err(e) if nxdomain(&e) => return Resolved::Permanent(format!("{target}: no such domain")),
            Err(e) if no_records(&e) => {}
            Err(e) => return Resolved::Temporary(format!("DNS lookup of {target} failed: {e}")),
        }
    }
    let mut hosts = Vec::new();
    let mut last_err = None;
    for name in names {
        match addresses(resolver, &name, port).await {
            Ok(addrs) if !addrs.is_empty() => hosts.push(Host { name, addrs }),
            Ok(_) => last_err = Some(format!("{name} has no address")),
            Err(e) if nxdomain(&e) && name == target => {
                return Resolved::Permanent(format!("{name}: no such domain"));
            }
            Err(e) => last_err = Some(format!("DNS lookup of {name} failed: {e}")),
        }
    }
    if hosts.is_empty() {
        return Resolved::Temporary(last_err.unwrap_or_else(|| format!("no mail host for {domain}")));
    }
    Resolved::Hosts(hosts)
}

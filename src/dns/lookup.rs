//! Live lookups with hickory-resolver: against given servers (a zone's authoritative servers,
//! or `--resolver`), uncached, so that `dns check` and `dns publish --wait` see what the
//! servers answer now.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::rr::{RData, RecordType};

use super::value::canonical;
use crate::error::{Error, Kind, Result};

pub struct Resolver {
    inner: TokioResolver,
    /// Where it asks (for messages).
    pub label: String,
}

/// A hickory resolver that asks exactly `servers` (UDP, and TCP for truncated answers, at
/// each one's port); the outbound queue's `dns_resolver` and [`Resolver::at`] alike.
pub fn builder_at(
    servers: &[SocketAddr],
) -> hickory_resolver::ResolverBuilder<hickory_resolver::net::runtime::TokioRuntimeProvider> {
    use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
    let ns = servers
        .iter()
        .map(|a| {
            let (mut udp, mut tcp) = (ConnectionConfig::udp(), ConnectionConfig::tcp());
            udp.port = a.port();
            tcp.port = a.port();
            NameServerConfig::new(a.ip(), true, vec![udp, tcp])
        })
        .collect();
    TokioResolver::builder_with_config(ResolverConfig::from_parts(None, vec![], ns), Default::default())
}

impl Resolver {
    /// Ask exactly these servers, with no cache.
    pub fn at(servers: &[SocketAddr]) -> Result<Resolver> {
        let mut b = builder_at(servers);
        let o = b.options_mut();
        o.cache_size = 0;
        o.timeout = Duration::from_secs(3);
        o.attempts = 2;
        o.preserve_intermediates = false;
        let inner = b.build().map_err(|e| Error::new(Kind::Unavailable, format!("DNS resolver: {e}")))?;
        let label = servers.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ");
        Ok(Resolver { inner, label })
    }

    /// The configured `dns_resolver`, else the system's (/etc/resolv.conf).
    pub fn system(configured: Option<&str>) -> Result<Resolver> {
        match configured {
            Some(s) => Resolver::at(&[crate::netaddr::parse_server(s)?]),
            None => {
                let inner = TokioResolver::builder_tokio()
                    .and_then(|b| b.build())
                    .map_err(|e| Error::new(Kind::Unavailable, format!("DNS resolver: {e}")))?;
                Ok(Resolver { inner, label: "the system resolver".into() })
            }
        }
    }

    /// The hickory resolver underneath (for its typed lookups).
    pub fn hickory(&self) -> &TokioResolver {
        &self.inner
    }

    /// The values at a name and type: `None` when there are none (NXDOMAIN or no data).
    pub async fn rrset(&self, name: &str, rtype: &str) -> Result<Option<(u32, Vec<String>)>> {
        let t: RecordType =
            rtype.parse().map_err(|_| Error::new(Kind::Internal, format!("unknown record type {rtype}")))?;
        match self.inner.lookup(format!("{name}."), t).await {
            Ok(l) => {
                let mut ttl = 0;
                let mut values = Vec::new();
                for r in l.answers().iter().filter(|r| r.record_type() == t) {
                    ttl = r.ttl;
                    let v = canonical_of(&r.data);
                    if !values.contains(&v) {
                        values.push(v);
                    }
                }
                Ok(if values.is_empty() { None } else { Some((ttl, values)) })
            }
            Err(NetError::Dns(DnsError::NoRecordsFound(_))) => Ok(None),
            Err(e) => Err(Error::new(Kind::Unavailable, format!("looking up {name} {rtype} at {}: {e}", self.label))),
        }
    }

    /// A and AAAA of a host.
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>> {
        let mut out = Vec::new();
        for t in ["A", "AAAA"] {
            for v in self.rrset(host, t).await?.map(|(_, v)| v).unwrap_or_default() {
                if let Ok(ip) = v.parse() {
                    out.push(ip);
                }
            }
        }
        Ok(out)
    }
}

/// A name server to ask: its name (or address) and every address it has; any one that
/// answers will do (a host without IPv6 still reaches it over IPv4).
#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    pub addrs: Vec<SocketAddr>,
}

impl Server {
    pub fn at(addr: SocketAddr) -> Server {
        Server { name: addr.to_string(), addrs: vec![addr] }
    }
}

/// The servers authoritative for a domain's records: the NS records of the domain, or of the
/// nearest parent that has them (the zone it lives in), looked up through `via`.
pub async fn authoritative(domain: &str, via: &Resolver) -> Result<Vec<Server>> {
    for zone in crate::dns::provider::zone_candidates(domain) {
        let ns = via.rrset(&zone, "NS").await?.map(|(_, v)| v).unwrap_or_default();
        if ns.is_empty() {
            continue;
        }
        let mut out = Vec::new();
        for host in ns {
            let addrs: Vec<SocketAddr> =
                via.addresses(&host).await.unwrap_or_default().into_iter().map(|ip| SocketAddr::new(ip, 53)).collect();
            if !addrs.is_empty() {
                out.push(Server { name: host, addrs });
            }
        }
        if out.is_empty() {
            return Err(Error::new(Kind::Unavailable, format!("no address for the name servers of {zone}")));
        }
        return Ok(out);
    }
    Err(Error::not_found(format!("no NS records for {domain} or its parents at {}", via.label))
        .with_hint("is the zone delegated yet? pass --resolver IP:PORT to ask a given server"))
}

/// A record's canonical value (see [`super::value`]).
pub fn canonical_of(d: &RData) -> String {
    match d {
        RData::TXT(t) => String::from_utf8_lossy(&t.txt_data.concat()).into_owned(),
        other => canonical(&other.record_type().to_string(), &other.to_string()),
    }
}

//! Transport routes (`mailctl transport`): send a domain's mail to a fixed next hop, as
//! Postfix's transport maps do. The delivery worker reads them from the store for every
//! message, so a running server uses a new route at once.

use crate::error::{Error, Result};
use crate::netaddr::{NextHop, TlsLevel};
use crate::store::transports::{self, Transport};
use crate::store::{Store, now};

/// The route key: a domain, or `.domain` for its subdomains.
fn key(domain: &str) -> Result<String> {
    match domain.strip_prefix('.') {
        Some(d) => Ok(format!(".{}", crate::names::domain(d)?)),
        None => crate::names::domain(domain),
    }
}

/// Add (or with `replace`, change) a route; `tls` pins the TLS level of its deliveries.
pub async fn add(store: &Store, domain: &str, nexthop: &str, tls: Option<&str>, replace: bool) -> Result<Transport> {
    let domain = key(domain)?;
    let hop = NextHop::parse(nexthop)?.render();
    let tls = tls.map(TlsLevel::parse).transpose()?.map(|l| l.as_str().to_string());
    let mut tx = store.begin_admin().await?;
    let existing = transports::list(&mut tx).await?.into_iter().find(|t| t.domain == domain);
    let t = match existing {
        Some(_) if !replace => {
            return Err(
                Error::exists(format!("a transport for {domain} exists")).with_hint("use --replace to change it")
            );
        }
        Some(old) => {
            transports::update(&mut tx, &domain, &hop, tls.as_deref()).await?;
            Transport { nexthop: hop, tls, ..old }
        }
        None => {
            let t = Transport { domain, nexthop: hop, tls, created_at: now() };
            transports::insert(&mut tx, &t).await?;
            t
        }
    };
    tx.commit().await?;
    Ok(t)
}

pub async fn list(store: &Store) -> Result<Vec<Transport>> {
    let mut conn = store.pool.acquire().await?;
    transports::list(&mut conn).await
}

pub async fn remove(store: &Store, domain: &str) -> Result<()> {
    let domain = key(domain)?;
    let mut tx = store.begin_admin().await?;
    if !transports::delete(&mut tx, &domain).await? {
        return Err(Error::not_found(format!("no transport for {domain}")));
    }
    tx.commit().await?;
    Ok(())
}

/// The route for a recipient domain: an exact entry, else the nearest `.parent` entry.
pub fn route<'a>(routes: &'a [Transport], domain: &str) -> Option<&'a Transport> {
    if let Some(t) = routes.iter().find(|t| t.domain == domain) {
        return Some(t);
    }
    let mut rest = domain;
    while let Some((_, parent)) = rest.split_once('.') {
        if let Some(t) = routes.iter().find(|t| t.domain.strip_prefix('.') == Some(parent)) {
            return Some(t);
        }
        rest = parent;
    }
    // "." is the relayhost: everything no other route claims.
    routes.iter().find(|t| t.domain == ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_hops() {
        let ok = [
            ("[127.0.0.1]:2626", "[127.0.0.1]:2626"),
            ("[mx.example.net]", "[mx.example.net]:25"),
            ("relay.example.net:587", "relay.example.net:587"),
            ("Relay.Example.NET", "relay.example.net:25"),
            ("[::1]:2525", "[::1]:2525"),
        ];
        for (input, want) in ok {
            assert_eq!(NextHop::parse(input).unwrap().render(), want, "{input}");
        }
        for bad in ["", "[127.0.0.1", "[x]y", "host:0", "host:99999", "127.0.0.1:25", "ho st:25", "[a]:x"] {
            assert!(NextHop::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn routing() {
        let t = |d: &str| Transport { domain: d.into(), nexthop: "x:25".into(), tls: None, created_at: 0 };
        let routes = vec![t("example.net"), t(".example.org")];
        assert_eq!(route(&routes, "example.net").map(|r| r.domain.as_str()), Some("example.net"));
        assert!(route(&routes, "sub.example.net").is_none());
        assert_eq!(route(&routes, "a.b.example.org").map(|r| r.domain.as_str()), Some(".example.org"));
        assert!(route(&routes, "example.org").is_none());
        let with_relay = vec![t("example.net"), t(".")];
        assert_eq!(route(&with_relay, "example.net").map(|r| r.domain.as_str()), Some("example.net"));
        assert_eq!(route(&with_relay, "other.example").map(|r| r.domain.as_str()), Some("."));
    }
}

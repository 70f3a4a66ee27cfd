//! `blocklists`: each public address of the host in every zone of `dnsbl_zones`, by the
//! inbound filter's rule (`filter::dnsbl`): a listing fails, a list's refusal
//! (127.255.255.x) or no answer is unknown.

use std::net::IpAddr;

use super::{Check, Ctx};
use crate::filter::dnsbl::{Listing, lookup};

pub async fn run(ctx: &Ctx<'_>) -> Vec<Check> {
    let cfg = ctx.cfg;
    let addrs: Vec<IpAddr> = cfg.dns.ipv4.map(IpAddr::V4).into_iter().chain(cfg.dns.ipv6.map(IpAddr::V6)).collect();
    if cfg.filter.dnsbl_zones.is_empty() {
        return vec![Check::unknown("blocklists", "dnsbl_zones is empty: no list to ask")];
    }
    if addrs.is_empty() {
        return vec![Check::unknown("blocklists", "neither ipv4 nor ipv6 is set: no address to look up")];
    }
    let resolver = match crate::dns::lookup::Resolver::system(cfg.server.dns_resolver.as_deref()) {
        Ok(r) => r,
        Err(e) => return vec![Check::unknown("blocklists", e.one_line())],
    };
    let mut out = Vec::new();
    for ip in addrs {
        for zone in &cfg.filter.dnsbl_zones {
            let id = format!("blocklists.{zone}");
            out.push(match lookup(resolver.hickory(), ip, zone).await {
                Listing::NotListed => Check::pass(id, format!("{ip} is not listed")),
                Listing::Listed(code) => Check::fail(
                    id,
                    format!("{ip} is listed in {zone} ({code})"),
                    format!(
                        "look {ip} up on the list's web site and ask for removal; find what sent spam from it first"
                    ),
                ),
                Listing::Unknown(why) => Check::unknown(id, format!("{ip} in {zone}: {why}")),
            });
        }
    }
    out
}

//! DNS blocklists (RFC 5782): the client's address, reversed, under each zone of `dnsbl_zones`,
//! asked once per connection. An answer in 127.0.0.0/8 means listed, except
//! 127.255.255.252, .254 and .255: the list refused to answer (a query through a public
//! resolver, a typo in the zone, a rate limit), which is "unknown", never "listed".

use std::net::{IpAddr, Ipv4Addr};

use hickory_resolver::TokioResolver;

/// What one list said about an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    NotListed,
    Listed(Ipv4Addr),
    /// The list did not say (its error codes, or no answer at all): why.
    Unknown(String),
}

/// The name to look up for `ip` in `zone`: IPv4 octets reversed, IPv6 nibbles reversed.
pub fn query_name(ip: IpAddr, zone: &str) -> String {
    let zone = zone.trim_end_matches('.');
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.{zone}.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut labels = String::with_capacity(64 + zone.len());
            for b in v6.octets().iter().rev() {
                labels.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            format!("{labels}{zone}.")
        }
    }
}

/// What the A records of a listing mean.
pub fn classify(answers: &[Ipv4Addr]) -> Listing {
    let refused = |a: &Ipv4Addr| matches!(a.octets(), [127, 255, 255, 252 | 254 | 255]);
    if let Some(a) = answers.iter().find(|a| refused(a)) {
        return Listing::Unknown(format!("the list refused to answer ({a})"));
    }
    match answers.iter().find(|a| a.octets()[0] == 127) {
        Some(a) => Listing::Listed(*a),
        None if answers.is_empty() => Listing::NotListed,
        // Anything outside 127/8 is not a listing (RFC 5782 §2.1), and not trustworthy.
        None => Listing::Unknown(format!("an answer outside 127.0.0.0/8 ({})", answers[0])),
    }
}

/// Ask one list about `ip`.
pub async fn lookup(resolver: &TokioResolver, ip: IpAddr, zone: &str) -> Listing {
    use hickory_resolver::proto::rr::{RData, RecordType};
    match resolver.lookup(query_name(ip, zone), RecordType::A).await {
        Ok(answer) => {
            let a: Vec<Ipv4Addr> = answer
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::A(a) => Some(a.0),
                    _ => None,
                })
                .collect();
            classify(&a)
        }
        Err(e) if e.is_no_records_found() => Listing::NotListed,
        Err(e) => Listing::Unknown(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_names_reverse_the_address_under_the_zone() {
        assert_eq!(query_name("192.0.2.99".parse().unwrap(), "zen.example."), "99.2.0.192.zen.example.");
        assert_eq!(
            query_name("2001:db8::1".parse().unwrap(), "bl.example"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example."
        );
    }

    #[test]
    fn the_lists_refusals_are_unknown_never_listed() {
        let a = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert_eq!(classify(&[]), Listing::NotListed);
        assert_eq!(classify(&[a("127.0.0.2")]), Listing::Listed(a("127.0.0.2")));
        assert_eq!(classify(&[a("127.0.0.4"), a("127.0.0.10")]), Listing::Listed(a("127.0.0.4")));
        for refused in ["127.255.255.252", "127.255.255.254", "127.255.255.255"] {
            assert!(matches!(classify(&[a(refused)]), Listing::Unknown(_)), "{refused}");
            assert!(matches!(classify(&[a("127.0.0.2"), a(refused)]), Listing::Unknown(_)), "{refused}");
        }
        assert!(matches!(classify(&[a("192.0.2.1")]), Listing::Unknown(_)));
    }
}

//! DANE for SMTP (RFC 7672): when the destination's MX records and an MX host's addresses
//! are DNSSEC-validated (see `dns::secure`), the host's TLSA records at `_PORT._tcp.<host>`
//! bind its certificate. DANE-EE(3) matches the server's own certificate or key, with no name
//! or expiry check (§3.1.1); DANE-TA(2) names a certificate of the chain the server sends as
//! the trust anchor, and the end certificate must chain to it and carry the host's name
//! (§3.1.2). PKIX usages 0 and 1 are not for SMTP (§3.1.3) and count as unusable. DANE comes
//! before MTA-STS (RFC 8461 §2).

use std::sync::Arc;

use hickory_proto::rr::{RData, RecordType};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::Digest;

/// One TLSA record (RFC 6698 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlsa {
    pub usage: u8,
    pub selector: u8,
    pub matching: u8,
    pub data: Vec<u8>,
}

impl Tlsa {
    fn of(d: &RData) -> Option<Tlsa> {
        match d {
            RData::TLSA(t) => Some(Tlsa {
                usage: t.cert_usage.into(),
                selector: t.selector.into(),
                matching: t.matching.into(),
                data: t.cert_data.clone(),
            }),
            _ => None,
        }
    }

    /// DANE-TA(2) or DANE-EE(3), full certificate or SPKI, exact, SHA-256 or SHA-512, with
    /// data of the right length (RFC 7672 §3.1).
    pub fn usable(&self) -> bool {
        let len_ok = match self.matching {
            0 => !self.data.is_empty(),
            1 => self.data.len() == 32,
            2 => self.data.len() == 64,
            _ => false,
        };
        matches!(self.usage, 2 | 3) && self.selector <= 1 && len_ok
    }

    /// Does this record name `cert`?
    fn names(&self, cert: &[u8]) -> bool {
        let selected = match self.selector {
            0 => cert.to_vec(),
            _ => match x509_parser::parse_x509_certificate(cert) {
                Ok((_, c)) => c.tbs_certificate.subject_pki.raw.to_vec(),
                Err(_) => return false,
            },
        };
        let digest = match self.matching {
            0 => selected,
            1 => sha2::Sha256::digest(&selected).to_vec(),
            _ => sha2::Sha512::digest(&selected).to_vec(),
        };
        digest == self.data
    }
}

/// What DANE asks of one MX host.
#[derive(Debug, Clone)]
pub enum ForHost {
    /// No validated TLSA records (or DNSSEC does not cover the host): DANE does not apply.
    Off,
    /// Validated, usable TLSA records: STARTTLS required and the certificate must match.
    Tlsa(Arc<Vec<Tlsa>>),
    /// Validated TLSA records, none usable: TLS is still required, unauthenticated (§2.2).
    Unusable,
    /// The TLSA lookup failed: the host must not be used (§2.2: it may be under attack).
    LookupFailed(String),
}

/// The validating resolver DANE asks (`dns_resolver`), when `dnssec_trust = resolver`.
pub fn resolver(cfg: &crate::config::Config) -> Option<String> {
    match (&cfg.server.dns_resolver, cfg.server.dnssec_trust.as_str()) {
        (Some(r), "resolver") => crate::netaddr::parse_server(r).ok().map(|a| a.to_string()),
        _ => None,
    }
}

/// Whether the destination's MX records are DNSSEC-validated (DANE applies to its hosts only
/// then, §2.2.1); a failed lookup counts as not validated.
pub async fn mx_secure(resolver: &str, domain: &str) -> bool {
    crate::dns::secure::query(resolver, domain, RecordType::MX).await.is_ok_and(|a| a.secure && !a.records.is_empty())
}

/// DANE for `host` at `port`: its address records must be validated (§2.2.2), then its TLSA.
pub async fn for_host(resolver: &str, host: &str, port: u16) -> ForHost {
    use crate::dns::secure::query;
    let mut addresses_secure = false;
    for t in [RecordType::A, RecordType::AAAA] {
        match query(resolver, host, t).await {
            Ok(a) if a.secure && !a.records.is_empty() => addresses_secure = true,
            Ok(a) if !a.secure && !a.records.is_empty() => return ForHost::Off,
            _ => {}
        }
    }
    if !addresses_secure {
        return ForHost::Off;
    }
    let name = format!("_{port}._tcp.{}", host.trim_end_matches('.'));
    match query(resolver, &name, RecordType::TLSA).await {
        Err(e) => ForHost::LookupFailed(e.one_line()),
        Ok(a) if !a.secure || a.records.is_empty() => ForHost::Off,
        Ok(a) => {
            let usable: Vec<Tlsa> = a.records.iter().filter_map(Tlsa::of).filter(Tlsa::usable).collect();
            if usable.is_empty() { ForHost::Unusable } else { ForHost::Tlsa(Arc::new(usable)) }
        }
    }
}

/// Does the server's chain match the host's TLSA records? DANE-EE: the end certificate (or
/// its key) is named. DANE-TA: a certificate the server sent is named, and the end
/// certificate verifies up to it for `name`. Err says why not.
pub fn verify(
    tlsa: &[Tlsa],
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    name: &ServerName<'_>,
    now: UnixTime,
    provider: &Arc<rustls::crypto::CryptoProvider>,
) -> Result<(), String> {
    if tlsa.iter().any(|t| t.usage == 3 && t.names(end_entity)) {
        return Ok(());
    }
    let mut why = "the certificate matches none of the host's TLSA records".to_string();
    for ta in intermediates.iter().filter(|c| tlsa.iter().any(|t| t.usage == 2 && t.names(c))) {
        let mut roots = rustls::RootCertStore::empty();
        if roots.add(ta.clone()).is_err() {
            continue;
        }
        let checked = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| e.to_string())
            .and_then(|v| {
                use rustls::client::danger::ServerCertVerifier;
                v.verify_server_cert(end_entity, intermediates, name, &[], now).map_err(|e| e.to_string())
            });
        match checked {
            Ok(_) => return Ok(()),
            Err(e) => why = format!("the TLSA record's trust anchor is in the chain, but {e}"),
        }
    }
    Err(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(usage: u8, selector: u8, matching: u8, data: Vec<u8>) -> Tlsa {
        Tlsa { usage, selector, matching, data }
    }

    #[test]
    fn only_dane_usages_with_known_selectors_and_digests_of_the_right_length_are_usable() {
        let cases = [
            (record(3, 1, 1, vec![0; 32]), true),
            (record(2, 0, 2, vec![0; 64]), true),
            (record(3, 0, 0, vec![1, 2, 3]), true),
            (record(1, 1, 1, vec![0; 32]), false), // PKIX-EE: not for SMTP
            (record(0, 0, 1, vec![0; 32]), false), // PKIX-TA
            (record(3, 2, 1, vec![0; 32]), false), // unknown selector
            (record(3, 1, 3, vec![0; 32]), false), // unknown matching type
            (record(3, 1, 1, vec![0; 31]), false), // a SHA-256 digest one byte short
            (record(3, 1, 2, vec![0; 32]), false), // SHA-512 with a SHA-256 length
            (record(3, 0, 0, vec![]), false),
        ];
        for (t, usable) in cases {
            assert_eq!(t.usable(), usable, "{t:?}");
        }
    }

    #[test]
    fn dane_ee_matches_the_certificate_or_its_key_by_any_digest_and_nothing_else() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["mx.example.net".into()]).unwrap().self_signed(&key).unwrap();
        let der = cert.der().to_vec();
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let name = ServerName::try_from("other.example").unwrap();
        let ok = |t: Tlsa| verify(&[t], cert.der(), &[], &name, UnixTime::now(), &provider);
        assert!(ok(record(3, 1, 1, sha2::Sha256::digest(&spki).to_vec())).is_ok(), "SPKI SHA-256, any name");
        assert!(ok(record(3, 0, 2, sha2::Sha512::digest(&der).to_vec())).is_ok(), "certificate SHA-512");
        assert!(ok(record(3, 0, 0, der.clone())).is_ok(), "the certificate itself");
        assert!(ok(record(3, 1, 1, vec![0; 32])).is_err(), "another key");
        // The right digest under DANE-TA: the end certificate is not a trust anchor.
        assert!(ok(record(2, 0, 1, sha2::Sha256::digest(&der).to_vec())).is_err());
    }
}

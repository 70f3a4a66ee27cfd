//! DKIM knowledge below the use cases: where a key's record lives and what it says.

use serde::Serialize;

use crate::store::dkim::DkimKey;

/// The DNS record for a key.
#[derive(Debug, Serialize)]
pub struct TxtRecord {
    pub name: String,
    pub value: String,
    pub selector: String,
    pub status: String,
}

/// `<selector>._domainkey.<domain>`, where a key's record lives.
pub fn record_name(domain: &str, selector: &str) -> String {
    format!("{selector}._domainkey.{domain}")
}

pub fn txt(k: &DkimKey) -> TxtRecord {
    TxtRecord {
        name: record_name(&k.domain, &k.selector),
        value: format!("v=DKIM1; k={}; p={}", family(&k.algorithm), k.public_key),
        selector: k.selector.clone(),
        status: k.status.clone(),
    }
}

pub fn family(algorithm: &str) -> &'static str {
    if algorithm.starts_with("rsa") { "rsa" } else { "ed25519" }
}

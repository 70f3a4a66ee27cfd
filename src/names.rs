//! Validation and normalisation of domain names and mail addresses.
//!
//! Domains are stored as lower-case A-labels (IDNs converted with UTS #46).
//! Local parts follow RFC 5321's Dot-string, lower-cased; quoted local parts and
//! `/` are refused because the local part names a directory on disk.

use crate::error::{Error, Result};

/// RFC 5321 §4.5.3.1.1: local part at most 64 octets.
pub const MAX_LOCAL_PART: usize = 64;
/// RFC 5321 §4.5.3.1.2: domain at most 255 octets; DNS limits a name to 253 characters in text.
pub const MAX_DOMAIN: usize = 253;
/// RFC 5321 §4.5.3.1.3 path limit (256 with the angle brackets) leaves 254 for the address.
pub const MAX_ADDRESS: usize = 254;

/// Normalise a domain name: IDNA to A-labels, lower case, then check the LDH rules.
pub fn domain(input: &str) -> Result<String> {
    let raw = input.trim_end_matches('.');
    if raw.is_empty() {
        return Err(Error::invalid(format!("invalid domain {input:?}: empty")));
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::invalid(format!("invalid domain {input:?}: contains spaces or control characters")));
    }
    let ascii = idna::domain_to_ascii_strict(raw)
        .map_err(|_| Error::invalid(format!("invalid domain {input:?}: not a valid internationalised domain name")))?;
    check_ldh(&ascii).map_err(|why| Error::invalid(format!("invalid domain {input:?}: {why}")))?;
    Ok(ascii)
}

fn check_ldh(name: &str) -> std::result::Result<(), String> {
    if name.len() > MAX_DOMAIN {
        return Err(format!("longer than {MAX_DOMAIN} characters"));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err("a mail domain needs at least two labels (like example.com)".into());
    }
    for label in &labels {
        if label.is_empty() {
            return Err("empty label".into());
        }
        if label.len() > 63 {
            return Err(format!("label {label:?} is longer than 63 characters"));
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(format!("label {label:?} has characters other than letters, digits and '-'"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} starts or ends with '-'"));
        }
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err("the top-level label is all digits".into());
    }
    Ok(())
}

/// The Unicode form of a stored A-label domain, for display.
pub fn domain_unicode(ascii: &str) -> String {
    let (unicode, result) = idna::domain_to_unicode(ascii);
    if result.is_ok() { unicode } else { ascii.to_string() }
}

/// RFC 5322 atext, minus '/' (the local part names a directory).
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-=?^_`{|}~".contains(&b)
}

/// Validate and lower-case a local part (RFC 5321 Dot-string).
pub fn local_part(input: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid(format!("invalid local part {input:?}: {why}"));
    if input.is_empty() {
        return Err(bad("empty"));
    }
    if input.len() > MAX_LOCAL_PART {
        return Err(bad(&format!("longer than {MAX_LOCAL_PART} octets")));
    }
    if input.starts_with('"') {
        return Err(bad("quoted local parts are not supported"));
    }
    if !input.is_ascii() {
        return Err(bad("non-ASCII local parts (SMTPUTF8) are not supported"));
    }
    if input.contains('/') {
        return Err(bad("'/' is not allowed"));
    }
    if input.starts_with('.') || input.ends_with('.') || input.contains("..") {
        return Err(bad("dots may not start, end or repeat"));
    }
    if let Some(c) = input.bytes().find(|&b| b != b'.' && !is_atext(b)) {
        return Err(bad(&format!("character {:?} is not allowed", c as char)));
    }
    Ok(input.to_ascii_lowercase())
}

/// A validated mail address, normalised: lower-case local part, A-label domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    pub local: String,
    pub domain: String,
}

impl Address {
    pub fn parse(input: &str) -> Result<Address> {
        let input = input.trim();
        let (local, dom) =
            input.rsplit_once('@').ok_or_else(|| Error::invalid(format!("invalid address {input:?}: no '@'")))?;
        let local = local_part(local).map_err(|e| e.context(format!("invalid address {input:?}")))?;
        let domain = domain(dom).map_err(|e| e.context(format!("invalid address {input:?}")))?;
        let addr = Address { local, domain };
        if addr.to_string().len() > MAX_ADDRESS {
            return Err(Error::invalid(format!("invalid address {input:?}: longer than {MAX_ADDRESS} octets")));
        }
        Ok(addr)
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// An alias source: a full address, or a catch-all `@domain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasSource {
    Address(Address),
    CatchAll(String),
}

impl AliasSource {
    pub fn parse(input: &str) -> Result<AliasSource> {
        let input = input.trim();
        match input.strip_prefix('@') {
            Some(dom) => Ok(AliasSource::CatchAll(domain(dom)?)),
            None => Ok(AliasSource::Address(Address::parse(input)?)),
        }
    }
    pub fn domain(&self) -> &str {
        match self {
            AliasSource::Address(a) => &a.domain,
            AliasSource::CatchAll(d) => d,
        }
    }
}

impl std::fmt::Display for AliasSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AliasSource::Address(a) => a.fmt(f),
            AliasSource::CatchAll(d) => write!(f, "@{d}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        let ok = [
            ("Example.COM", "example.com"),
            ("example.com.", "example.com"),
            ("bücher.example", "xn--bcher-kva.example"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("a-b.c0.example", "a-b.c0.example"),
        ];
        for (input, want) in ok {
            assert_eq!(domain(input).unwrap(), want, "{input}");
        }
        let bad = [
            "",
            "localhost",
            "-a.com",
            "a-.com",
            "a..com",
            "a b.com",
            "a_b.com",
            "1.2.3.4",
            &format!("{}.com", "a".repeat(64)),
            "exa\nmple.com",
            "a/b.com",
            "..",
            ".",
        ];
        for input in bad {
            assert!(domain(input).is_err(), "{input:?} should be refused");
        }
    }

    #[test]
    fn addresses() {
        let a = Address::parse("John.Doe+tag@Example.com").unwrap();
        assert_eq!(a.to_string(), "john.doe+tag@example.com");
        assert_eq!(Address::parse("u@bücher.example").unwrap().domain, "xn--bcher-kva.example");
        let bad = [
            "",
            "noat",
            "@example.com",
            "a@",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "\"q\"@example.com",
            "a/b@example.com",
            "../x@example.com",
            "a b@example.com",
            "ü@example.com",
            &format!("{}@example.com", "a".repeat(65)),
            "a@localhost",
            "a\0@example.com",
            "a@b@example.com",
        ];
        for input in bad {
            assert!(Address::parse(input).is_err(), "{input:?} should be refused");
        }
        assert!(Address::parse(&format!("{}@{}.com", "a".repeat(64), "b.".repeat(93))).is_err());
    }

    #[test]
    fn alias_sources() {
        assert_eq!(AliasSource::parse("@Example.com").unwrap(), AliasSource::CatchAll("example.com".into()));
        assert!(matches!(AliasSource::parse("x@example.com").unwrap(), AliasSource::Address(_)));
        assert!(AliasSource::parse("@").is_err());
    }
}

//! Sizes as people type them (`500M`, `5GiB`, `1.5G`, `unlimited`) and as tables show them.
//! K, M, G and T are binary (1024-based), as in Dovecot's quota rules; `KB`/`MB`/`GB` mean
//! the decimal units.

use crate::error::{Error, Result};

/// A quota limit: some bytes, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Bytes(u64),
    Unlimited,
}

impl Limit {
    pub fn parse(input: &str) -> Result<Limit> {
        let s = input.trim();
        if s.eq_ignore_ascii_case("unlimited") || s.eq_ignore_ascii_case("none") {
            return Ok(Limit::Unlimited);
        }
        parse_bytes(s).map(Limit::Bytes)
    }
    pub fn as_db(self) -> Option<i64> {
        match self {
            Limit::Bytes(b) => Some(b as i64),
            Limit::Unlimited => None,
        }
    }
    pub fn from_db(v: Option<i64>) -> Limit {
        match v {
            Some(b) => Limit::Bytes(b.max(0) as u64),
            None => Limit::Unlimited,
        }
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Bytes(b) => f.write_str(&human(*b)),
            Limit::Unlimited => f.write_str("unlimited"),
        }
    }
}

/// Parse a byte count with an optional unit.
pub fn parse_bytes(input: &str) -> Result<u64> {
    let bad = |why: &str| {
        Error::invalid(format!("invalid size {input:?}: {why}"))
            .with_hint("write a size like 500M, 5GiB, 1.5G or unlimited")
    };
    let s = input.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    if num.is_empty() {
        return Err(bad("no number"));
    }
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        other => return Err(bad(&format!("unknown unit {other:?}"))),
    };
    let value: f64 = num.parse().map_err(|_| bad("not a number"))?;
    let bytes = value * mult as f64;
    if !bytes.is_finite() || bytes > (i64::MAX / 2) as f64 {
        return Err(bad("too large"));
    }
    if num.contains('.') && mult == 1 {
        return Err(bad("a byte count must be whole"));
    }
    Ok(bytes.round() as u64)
}

/// A short human size: 1.0 GiB, 512.0 MiB, 900 B.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 { format!("{bytes} B") } else { format!("{v:.1} {}", UNITS[i]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let cases = [
            ("500M", 500 << 20),
            ("5GiB", 5 << 30),
            ("5 GiB", 5 << 30),
            ("1.5G", 3 << 29),
            ("1024", 1024),
            ("10kb", 10_000),
            ("2T", 2 << 40),
        ];
        for (input, want) in cases {
            assert_eq!(parse_bytes(input).unwrap(), want, "{input}");
        }
        for bad in ["", "G", "5X", "-5M", "1.5", "1e9", "99999999999T", "5 G B"] {
            assert!(parse_bytes(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Limit::parse("unlimited").unwrap(), Limit::Unlimited);
    }

    #[test]
    fn shows() {
        assert_eq!(human(1 << 30), "1.0 GiB");
        assert_eq!(human(900), "900 B");
        assert_eq!(Limit::Bytes(5 << 30).to_string(), "5.0 GiB");
    }
}

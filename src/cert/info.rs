//! What a certificate says: its names, issuer and validity (x509-parser).

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Kind, Result};

#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    /// DNS names and IP addresses from the subjectAltName.
    pub hosts: Vec<String>,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
    /// Issuer and subject are the same.
    pub self_signed: bool,
}

impl CertInfo {
    pub fn days_left(&self, now: i64) -> i64 {
        (self.not_after - now).div_euclid(86400)
    }
}

/// The first (leaf) certificate of a PEM file.
pub fn read(path: &Path) -> Result<CertInfo> {
    let pem = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    parse(&pem).map_err(|e| e.context(path.display().to_string()))
}

pub fn parse(pem: &[u8]) -> Result<CertInfo> {
    use x509_parser::prelude::*;
    let bad = |e: &dyn std::fmt::Display| Error::new(Kind::Invalid, format!("not a PEM certificate: {e}"));
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem).map_err(|e| bad(&e))?;
    let cert = pem.parse_x509().map_err(|e| bad(&e))?;
    let mut hosts = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => hosts.push(d.to_string()),
                GeneralName::IPAddress(b) if b.len() == 4 => {
                    hosts.push(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string())
                }
                GeneralName::IPAddress(b) if b.len() == 16 => {
                    let a: [u8; 16] = (*b).try_into().unwrap_or([0; 16]);
                    hosts.push(std::net::Ipv6Addr::from(a).to_string())
                }
                _ => {}
            }
        }
    }
    Ok(CertInfo {
        hosts,
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: cert.raw_serial_as_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        self_signed: cert.subject() == cert.issuer(),
    })
}

//! DNS providers: read a zone's record sets and apply a plan's changes. One file each:
//! Cloudflare API v4, AWS Route53, RFC 2136 dynamic update with TSIG.
//!
//! Credentials come from the environment or from the 0600 file named by
//! `dns_credentials_file` (KEY=VALUE lines); they are never printed or logged, and provider
//! errors are reported with the provider's own message only.

pub mod cloudflare;
pub mod rfc2136;
pub mod route53;

use std::path::PathBuf;

use super::plan::{Change, RrSet};
use crate::error::{Error, Kind, Result};

/// Which provider and how to reach it: the config, with command-line flags (or what a
/// certificate was issued with, kept in its `meta.json`) on top. No secrets: the TSIG key
/// and the credentials are files.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsig_key: Option<PathBuf>,
    /// Always the config's: never kept with a certificate.
    #[serde(skip)]
    pub credentials_file: Option<PathBuf>,
    /// Extra CA certificate (PEM) to trust for the provider's HTTPS endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

impl Settings {
    /// These settings, with what they leave open taken from the config's `dns_*` keys.
    pub fn or_config(self, cfg: &crate::config::Config) -> Settings {
        let d = &cfg.dns;
        Settings {
            provider: Some(self.provider).filter(|p| !p.is_empty()).or_else(|| d.provider.clone()).unwrap_or_default(),
            endpoint: self.endpoint.or_else(|| d.endpoint.clone()),
            zone_id: self.zone_id.or_else(|| d.zone_id.clone()),
            server: self.server.or_else(|| d.server.clone()),
            tsig_key: self.tsig_key.or_else(|| d.tsig_key.clone()),
            credentials_file: self.credentials_file.or_else(|| d.credentials_file.clone()),
            ca_file: self.ca_file,
        }
    }
}

/// Requests made, for the `--json` report and the benchmark (a no-op run only reads).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Requests {
    pub reads: u32,
    pub writes: u32,
}

pub enum Provider {
    Cloudflare(cloudflare::Cloudflare),
    Route53(route53::Route53),
    Rfc2136(rfc2136::Rfc2136),
}

impl Provider {
    pub fn new(s: &Settings) -> Result<Provider> {
        let creds = Credentials::load(s.credentials_file.as_deref())?;
        Ok(match s.provider.as_str() {
            "cloudflare" => Provider::Cloudflare(cloudflare::Cloudflare::new(s, &creds)?),
            "route53" => Provider::Route53(route53::Route53::new(s, &creds)?),
            "rfc2136" => Provider::Rfc2136(rfc2136::Rfc2136::new(s)?),
            "" => {
                return Err(Error::usage("no DNS provider: pass --provider cloudflare|route53|rfc2136")
                    .with_hint("or set it once: mailctl config set dns_provider route53"));
            }
            other => {
                return Err(Error::usage(format!(
                    "unknown DNS provider {other:?}: use cloudflare, route53 or rfc2136"
                )));
            }
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Provider::Cloudflare(_) => "cloudflare",
            Provider::Route53(_) => "route53",
            Provider::Rfc2136(_) => "rfc2136",
        }
    }

    /// The server this provider writes to when it is a zone's primary itself (RFC 2136): its
    /// name as configured and its address with the port. The others are APIs.
    pub fn primary(&self) -> Option<(&str, &str)> {
        match self {
            Provider::Rfc2136(p) => Some(p.primary()),
            _ => None,
        }
    }

    /// The record sets of the zone holding `domain`, canonical values. `names` are those the
    /// caller manages there: a provider that cannot list the whole zone (an RFC 2136 server
    /// that refuses transfers) asks for them instead; the others ignore them.
    pub async fn list(&mut self, domain: &str, names: &[String]) -> Result<Vec<RrSet>> {
        match self {
            Provider::Cloudflare(p) => p.list(domain).await,
            Provider::Route53(p) => p.list(domain).await,
            Provider::Rfc2136(p) => p.list(domain, names).await,
        }
    }

    /// Apply the changes. Returns how many were applied; on failure the error says how many
    /// had been applied before it (a half-applied plan).
    pub async fn apply(&mut self, zone: &str, changes: &[Change]) -> Result<usize> {
        match self {
            Provider::Cloudflare(p) => p.apply(zone, changes).await,
            Provider::Route53(p) => p.apply(zone, changes).await,
            Provider::Rfc2136(p) => p.apply(zone, changes).await,
        }
    }

    pub fn requests(&self) -> Requests {
        match self {
            Provider::Cloudflare(p) => p.requests,
            Provider::Route53(p) => p.requests,
            Provider::Rfc2136(p) => p.requests,
        }
    }
}

/// The zones a domain's records may live in, nearest first: the domain itself, then its
/// parents down to two labels (`lists.example.com` may be in `example.com`'s zone).
pub fn zone_candidates(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain.split('.').collect();
    (0..labels.len().saturating_sub(1)).map(|i| labels[i..].join(".")).collect()
}

/// The id of the zone holding `domain`: its own zone, else its nearest parent's. `ids_named`
/// gives the ids of the zones with exactly that name; more than one is an error (`provider`
/// and `noun` say whose and what), none at all is `None`.
pub async fn find_zone(
    domain: &str,
    (provider, noun): (&str, &str),
    mut ids_named: impl AsyncFnMut(&str) -> Result<Vec<String>>,
) -> Result<Option<String>> {
    for zone in zone_candidates(domain) {
        let ids = ids_named(&zone).await?;
        match ids.as_slice() {
            [] => continue,
            [id] => return Ok(Some(id.clone())),
            _ => {
                return Err(Error::invalid(format!("{provider}: {} {noun} are named {zone}", ids.len()))
                    .with_hint("pass --zone-id to pick one"));
            }
        }
    }
    Ok(None)
}

/// Secrets from the environment, else from the credentials file.
pub struct Credentials {
    file: Vec<(String, String)>,
}

impl Credentials {
    pub fn load(path: Option<&std::path::Path>) -> Result<Credentials> {
        let Some(path) = path else { return Ok(Credentials { file: Vec::new() }) };
        let text = read_secret_file(path)?;
        let file = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.strip_prefix("export ").unwrap_or(l).split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches(['"', '\'']).to_string()))
            .collect();
        Ok(Credentials { file })
    }

    pub fn get(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| self.file.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }
}

/// Read a file holding secrets; refuse one that others can read.
pub fn read_secret_file(path: &std::path::Path) -> Result<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| Error::io("reading", path, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(Error::new(
            Kind::Config,
            format!(
                "{} holds secrets but others can read it (mode {:o})",
                path.display(),
                meta.permissions().mode() & 0o777
            ),
        )
        .with_hint(format!("chmod 600 {}", path.display())));
    }
    std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))
}

/// The HTTPS client for the API providers (rustls with ring; the system's roots, plus an
/// extra CA when given).
pub fn http_client(s: &Settings) -> Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = reqwest::Client::builder()
        .user_agent(concat!("mailctl/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60));
    if let Some(ca) = &s.ca_file {
        let pem = std::fs::read(ca).map_err(|e| Error::io("reading", ca, e))?;
        let cert = reqwest::Certificate::from_pem(&pem)
            .map_err(|_| Error::invalid(format!("{} is not a PEM certificate", ca.display())))?;
        b = b.add_root_certificate(cert);
    }
    b.build().map_err(|e| Error::new(Kind::Internal, "building the HTTP client").with_source(e))
}

/// An HTTP transport failure with its whole cause chain (a refused certificate says which and
/// why), without the request's URL.
pub fn transport_error(provider: &str, e: reqwest::Error) -> Error {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let host = e.url().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
    Error::new(Kind::Unavailable, format!("{provider}: {what} ({host})")).with_source(e.without_url())
}

/// The error kind for an HTTP status from a provider.
pub fn kind_for_status(status: u16) -> Kind {
    match status {
        401 | 403 => Kind::Permission,
        404 => Kind::NotFound,
        429 => Kind::TempFail,
        400..=499 => Kind::Invalid,
        _ => Kind::Unavailable,
    }
}

/// "applied N of M changes" around a failure part-way through a plan.
pub fn half_applied(e: Error, done: usize, total: usize) -> Error {
    if done == 0 {
        return e;
    }
    let msg = format!("{} (plan half-applied: {done} of {total} changes made; run `dns publish` again)", e.message);
    Error { message: msg, ..e }
}

/// How long to wait before retrying a 429, from Retry-After (seconds), bounded.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> std::time::Duration {
    let secs = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    std::time::Duration::from_secs(secs.clamp(1, 30))
}

#[cfg(test)]
mod tests {
    #[test]
    fn zone_candidates() {
        assert_eq!(super::zone_candidates("lists.example.com"), ["lists.example.com", "example.com"]);
        assert_eq!(super::zone_candidates("example.com"), ["example.com"]);
    }
}

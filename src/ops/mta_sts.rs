//! MTA-STS for outbound delivery (RFC 8461 §3, §5): the destination's `_mta-sts` TXT record,
//! its policy fetched over verified HTTPS (system roots and `tls_extra_roots`; no redirects,
//! at most 64 KiB, `text/plain`, bounded in time) and kept in the store for `max_age`. A
//! policy is fetched again when the record's id changes, and daily while it is used; when the
//! record is gone or a fetch fails, the kept policy goes on applying until it expires; a domain whose fetch failed is
//! not asked again for five minutes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RData;

use crate::proto::mta_sts::{self, MAX_POLICY_BYTES, Policy};
use crate::store::mta_sts::{self as cache, Cached};
use crate::store::{Store, now};

/// How long a fetch may take, connection included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(15);
/// A kept policy is fetched again after this long (seconds), however long it may be kept.
const REFRESH: i64 = 86_400;
/// A domain whose fetch failed is left alone this long (its kept policy still applies).
const BACKOFF: Duration = Duration::from_secs(300);
/// Domains remembered as failing at once (past it, those whose backoff ran out are dropped).
const MOST_BACKING_OFF: usize = 10_000;

fn failed_lately() -> std::sync::MutexGuard<'static, HashMap<String, Instant>> {
    static FAILED: OnceLock<Mutex<HashMap<String, Instant>>> = OnceLock::new();
    FAILED.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner())
}

/// The id of the domain's one `v=STSv1` TXT record; None when there is none or several.
pub async fn record_id(resolver: &TokioResolver, domain: &str) -> Option<String> {
    let lookup = resolver.txt_lookup(format!("_mta-sts.{domain}.")).await.ok()?;
    let texts: Vec<String> = lookup
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            RData::TXT(t) => Some(t.txt_data.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect()),
            _ => None,
        })
        .filter(|t: &String| t.split(';').next().map(str::trim) == Some("v=STSv1"))
        .collect();
    match texts.as_slice() {
        [one] => mta_sts::record_id(one).ok(),
        _ => None,
    }
}

/// Fetch and parse `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
pub async fn fetch(resolver: &TokioResolver, extra_roots: Option<&Path>, domain: &str) -> Result<Policy, String> {
    let host = format!("mta-sts.{domain}");
    let ips = resolver.lookup_ip(format!("{host}.")).await.map_err(|e| format!("{host}: {e}"))?;
    let addrs: Vec<SocketAddr> = ips.iter().map(|ip| SocketAddr::new(ip, 443)).collect();
    let client = crate::tls_material::https_client_for(extra_roots, &host, &addrs, FETCH_TIMEOUT)?;
    let url = format!("https://{host}/.well-known/mta-sts.txt");
    let mut r =
        client.get(&url).send().await.map_err(|e| {
            crate::error::Error::new(crate::error::Kind::TempFail, url.clone()).with_source(e).one_line()
        })?;
    if r.status() != reqwest::StatusCode::OK {
        return Err(format!("{url}: HTTP {} (redirects are not followed)", r.status().as_u16()));
    }
    let kind = r.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !kind.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("text/plain") {
        return Err(format!("{url}: the content type is {kind:?}, not text/plain"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_POLICY_BYTES {
            return Err(format!("{url}: larger than {MAX_POLICY_BYTES} bytes"));
        }
    }
    mta_sts::parse(&String::from_utf8_lossy(&body)).map_err(|e| format!("{url}: {e}"))
}

/// The MTA-STS policy that applies to mail for `domain` now, if any (mode none counts as
/// none).
pub async fn policy(
    store: &Store,
    resolver: &TokioResolver,
    extra_roots: Option<&Path>,
    domain: &str,
) -> Option<Policy> {
    let t = now();
    let kept = async {
        let mut conn = store.pool.acquire().await?;
        cache::get(&mut conn, domain).await
    };
    let kept = match kept.await {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(domain, error = %e.one_line(), "MTA-STS: the kept policy could not be read");
            None
        }
    }
    .filter(|c| c.expires_at > t);
    let chosen = match record_id(resolver, domain).await {
        // No record: a kept policy applies until it expires (§5.1).
        None => kept.map(|c| c.policy),
        // The same id, fetched lately: as kept. Older than a day, it is fetched again
        // (§5.1: refreshed before it expires, so one blocked fetch at expiry cannot drop it).
        Some(id) if kept.as_ref().is_some_and(|c| c.id == id && t - c.fetched_at < REFRESH) => kept.map(|c| c.policy),
        Some(id) => {
            let backing_off = failed_lately().get(domain).is_some_and(|at| at.elapsed() < BACKOFF);
            if backing_off {
                kept.map(|c| c.policy)
            } else {
                match fetch(resolver, extra_roots, domain).await {
                    Ok(p) => {
                        failed_lately().remove(domain);
                        let c = Cached { id, policy: p.clone(), fetched_at: t, expires_at: t + p.max_age as i64 };
                        if let Ok(mut conn) = store.pool.acquire().await
                            && let Err(e) = cache::put(&mut conn, domain, &c).await
                        {
                            tracing::warn!(domain, error = %e.one_line(), "MTA-STS: keeping the policy");
                        }
                        tracing::info!(domain, id = %c.id, mode = p.mode.as_str(), "MTA-STS policy fetched");
                        Some(p)
                    }
                    Err(why) => {
                        tracing::warn!(domain, error = %why, kept = kept.is_some(), "MTA-STS policy fetch failed");
                        let mut failed = failed_lately();
                        if failed.len() >= MOST_BACKING_OFF {
                            failed.retain(|_, at| at.elapsed() < BACKOFF);
                        }
                        failed.insert(domain.to_string(), Instant::now());
                        kept.map(|c| c.policy)
                    }
                }
            }
        }
    };
    chosen.filter(|p| p.mode != mta_sts::Mode::None)
}

//! The TLS reports we send (RFC 8460): each UTC day's outbound TLS results for a destination
//! domain (`tls_results`), as the JSON report of §4, to the `rua` of the domain's `_smtp._tls`
//! record: gzipped in a multipart/report mail through the queue (DKIM-signed by the outbound
//! worker for `tlsrpt_sender`'s domain, §5.3), or POSTed as `application/tlsrpt+gzip` to an
//! https URI (§5.4). A report is noted as sent once it is queued or posted, so each day and
//! domain is reported once; a crash in between sends it twice rather than never.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::report::tlsrpt::{
    DateRange, FailureDetails, Policy, PolicyDetails, PolicyType, ResultType, Summary, TlsReport,
};

use crate::config::Config;
use crate::error::{Error, Kind, Result};
use crate::store::tls_results::{self, TlsResult};
use crate::store::{Store, now};

/// How long an https rua may take.
const POST_TIMEOUT: Duration = Duration::from_secs(30);
/// Days back a report is still sent for (a server down for a while catches up this far).
pub const CATCH_UP_DAYS: i64 = 7;

/// The report of one day's results for one destination domain (`rows` of that day and
/// domain), with the MTA-STS policy in force when there was one.
pub fn build(
    submitter: &str,
    contact: &str,
    day: &str,
    domain: &str,
    rows: &[TlsResult],
    sts: Option<&crate::proto::mta_sts::Policy>,
) -> Result<TlsReport> {
    let start = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| Error::invalid(format!("invalid day {day:?}: use YYYY-MM-DD")))?
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp();
    let mut by_policy: BTreeMap<&str, Vec<&TlsResult>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.day == day && r.domain == domain) {
        by_policy.entry(r.policy.as_str()).or_default().push(r);
    }
    let policies = by_policy
        .into_iter()
        .map(|(kind, rows)| {
            let (policy_type, policy_string, mx_host) = match (kind, sts) {
                ("sts", Some(p)) => (PolicyType::Sts, policy_lines(p), p.mx.clone()),
                ("sts", None) => (PolicyType::Sts, vec![], vec![]),
                ("tlsa", _) => (PolicyType::Tlsa, vec![], vec![]),
                _ => (PolicyType::NoPolicyFound, vec![], vec![]),
            };
            let count = |r: &TlsResult| u32::try_from(r.sessions.max(0)).unwrap_or(u32::MAX);
            let mut summary = Summary { total_success: 0, total_failure: 0 };
            let mut failure_details = Vec::new();
            for r in rows {
                if r.result == "success" {
                    summary.total_success = summary.total_success.saturating_add(count(r));
                    continue;
                }
                summary.total_failure = summary.total_failure.saturating_add(count(r));
                failure_details.push(FailureDetails {
                    result_type: serde_json::from_value::<ResultType>(serde_json::Value::String(r.result.clone()))
                        .unwrap_or_default(),
                    receiving_mx_hostname: Some(r.mx_host.clone()),
                    failed_session_count: count(r),
                    ..Default::default()
                });
            }
            Policy {
                policy: PolicyDetails { policy_type, policy_string, policy_domain: domain.to_string(), mx_host },
                summary,
                failure_details,
            }
        })
        .collect();
    Ok(TlsReport {
        organization_name: Some(submitter.to_string()),
        date_range: DateRange {
            start_datetime: mail_parser::DateTime::from_timestamp(start),
            end_datetime: mail_parser::DateTime::from_timestamp(start + 86_399),
        },
        contact_info: Some(contact.to_string()),
        report_id: format!("{day}.{domain}@{submitter}"),
        policies,
    })
}

/// The policy as its lines (RFC 8460 §4.4: `policy-string`).
fn policy_lines(p: &crate::proto::mta_sts::Policy) -> Vec<String> {
    let mut out = vec!["version: STSv1".to_string(), format!("mode: {}", p.mode.as_str())];
    out.extend(p.mx.iter().map(|m| format!("mx: {m}")));
    out.push(format!("max_age: {}", p.max_age));
    out
}

/// What sending one day's report for one domain did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sent {
    pub day: String,
    pub domain: String,
    pub report_id: String,
    /// The rua URIs it went to.
    pub to: Vec<String>,
    /// Why a URI was not served (the others still were).
    pub failed: Vec<String>,
}

/// The From: of our reports: `tlsrpt_sender`, else postmaster@ the first domain.
async fn sender(store: &Store, cfg: &Config) -> Result<String> {
    if let Some(s) = &cfg.server.tlsrpt_sender {
        return Ok(s.clone());
    }
    let mut conn = store.pool.acquire().await?;
    let first = crate::store::domains::list(&mut conn).await?.into_iter().next();
    first
        .map(|d| format!("postmaster@{}", d.name))
        .ok_or_else(|| Error::new(Kind::Config, "no domain to send TLS reports from").with_hint("set tlsrpt_sender"))
}

/// The `rua` URIs of `domain`'s TLS-RPT record; empty when it publishes none.
async fn rua(resolver: &crate::dns::lookup::Resolver, domain: &str) -> Result<Vec<String>> {
    let texts = resolver.rrset(&format!("_smtp._tls.{domain}"), "TXT").await?.map(|(_, v)| v).unwrap_or_default();
    let records: Vec<&String> = texts.iter().filter(|t| t.trim_start().starts_with("v=TLSRPTv1")).collect();
    let [one] = records.as_slice() else { return Ok(vec![]) };
    let parsed = mail_auth::mta_sts::TlsRpt::parse(one.as_bytes())
        .map_err(|e| Error::invalid(format!("_smtp._tls.{domain}: {e}")))?;
    Ok(parsed
        .rua
        .iter()
        .map(|u| match u {
            mail_auth::mta_sts::ReportUri::Mail(m) => format!("mailto:{m}"),
            mail_auth::mta_sts::ReportUri::Http(h) => h.clone(),
        })
        .collect())
}

/// Send the report of `day` for `domain` to the rua its record names now.
async fn send(
    store: &Store,
    cfg: &Config,
    resolver: &crate::dns::lookup::Resolver,
    day: &str,
    domain: &str,
) -> Result<Sent> {
    let rows = {
        let mut conn = store.pool.acquire().await?;
        tls_results::since(&mut conn, day, Some(domain)).await?
    };
    let rows: Vec<TlsResult> = rows.into_iter().filter(|r| r.day == day).collect();
    if rows.is_empty() {
        return Err(Error::not_found(format!("no outbound TLS results for {domain} on {day}")));
    }
    let sts = {
        let mut conn = store.pool.acquire().await?;
        crate::store::mta_sts::get(&mut conn, domain).await?.map(|c| c.policy)
    };
    let from = sender(store, cfg).await?;
    let report = build(&cfg.hostname, &from, day, domain, &rows, sts.as_ref())?;
    let uris = rua(resolver, domain).await?;
    let mut sent = Sent {
        day: day.into(),
        domain: domain.into(),
        report_id: report.report_id.clone(),
        to: vec![],
        failed: vec![],
    };
    if uris.is_empty() {
        // Nowhere to send it: the day is done for this domain (noted with no destination).
        sent.failed.push(format!("{domain} publishes no TLS-RPT record with a rua (_smtp._tls TXT)"));
        let mut conn = store.pool.acquire().await?;
        tls_results::mark_reported(&mut conn, day, domain, &sent.report_id, "", now()).await?;
        return Ok(sent);
    }
    let json = report.to_json();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(json.as_bytes())?;
    let gzipped = gz.finish()?;
    let mailto: Vec<&str> = uris.iter().filter_map(|u| u.strip_prefix("mailto:")).collect();
    if !mailto.is_empty() {
        match queue_mail(store, cfg, &report, domain, &from, &mailto, &gzipped).await {
            Ok(()) => sent.to.extend(mailto.iter().map(|m| format!("mailto:{m}"))),
            Err(e) => sent.failed.push(format!("mailto:{}: {}", mailto.join(","), e.one_line())),
        }
    }
    for url in uris.iter().filter(|u| u.starts_with("https://")) {
        match post(resolver, cfg, url, &gzipped).await {
            Ok(()) => sent.to.push(url.clone()),
            Err(why) => sent.failed.push(format!("{url}: {why}")),
        }
    }
    for other in uris.iter().filter(|u| !u.starts_with("mailto:") && !u.starts_with("https://")) {
        sent.failed.push(format!("{other}: only mailto: and https: report URIs are served"));
    }
    if !sent.to.is_empty() {
        let mut conn = store.pool.acquire().await?;
        tls_results::mark_reported(&mut conn, day, domain, &sent.report_id, &sent.to.join(","), now()).await?;
    }
    Ok(sent)
}

/// The report as mail (§5.3), into the outbound queue (the worker DKIM-signs it).
async fn queue_mail(
    store: &Store,
    cfg: &Config,
    report: &TlsReport,
    domain: &str,
    from: &str,
    to: &[&str],
    gzipped: &[u8],
) -> Result<()> {
    let mut data = Vec::new();
    report.write_rfc5322_from_bytes(domain, &cfg.hostname, from, to.iter().copied(), gzipped, &mut data)?;
    let mut local = Vec::new();
    let mut remote = std::collections::BTreeSet::new();
    for address in to {
        let mut conn = store.pool.acquire().await?;
        let e = crate::ops::alias::expand(&mut conn, address).await.map_err(Error::from)?;
        drop(conn);
        let r = crate::ops::recipient::resolve(store, e).await?;
        local.extend(r.local);
        remote.extend(r.remote);
    }
    let message = crate::ops::deliver::Message {
        verdict: None,
        id: crate::ids::new_id(),
        from: Some(from.to_string()),
        local,
        remote: remote.into_iter().collect(),
        data,
        // Marks it as ours: the outbound worker signs it with the sender domain's DKIM key.
        submitted_by: Some(from.to_string()),
        require_tls: false,
    };
    crate::ops::deliver::deliver(store, &cfg.hostname, message)
        .await
        .map(|_| ())
        .map_err(|f| Error::new(Kind::TempFail, format!("the report could not be queued: {f:?}")))
}

/// POST the gzipped report to an https rua (§5.4), over verified TLS, no redirects.
async fn post(
    resolver: &crate::dns::lookup::Resolver,
    cfg: &Config,
    url: &str,
    gzipped: &[u8],
) -> std::result::Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let host = parsed.host_str().ok_or("no host")?.to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => resolver
            .addresses(&host)
            .await
            .map_err(|e| e.one_line())?
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect(),
    };
    let client =
        crate::tls_material::https_client_for(cfg.server.tls_extra_roots.as_deref(), &host, &addrs, POST_TIMEOUT)?;
    let r = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/tlsrpt+gzip")
        .body(gzipped.to_vec())
        .send()
        .await
        .map_err(|e| Error::new(Kind::TempFail, url.to_string()).with_source(e).one_line())?;
    if r.status().is_success() { Ok(()) } else { Err(format!("HTTP {}", r.status().as_u16())) }
}

/// Send the reports of `day` now (for one destination domain, or every one with results
/// that day), whether or not they were sent before.
pub async fn send_day(store: &Store, cfg: &Config, day: &str, domain: Option<&str>) -> Result<Vec<Sent>> {
    let rows = {
        let mut conn = store.pool.acquire().await?;
        tls_results::since(&mut conn, day, domain).await?
    };
    let mut domains: Vec<String> = rows.into_iter().filter(|r| r.day == day).map(|r| r.domain).collect();
    domains.dedup();
    let resolver = crate::dns::lookup::Resolver::system(cfg.server.dns_resolver.as_deref())?;
    let mut out = Vec::new();
    for d in domains {
        out.push(send(store, cfg, &resolver, day, &d).await?);
    }
    Ok(out)
}

/// Send every report due: days before today (UTC), up to [`CATCH_UP_DAYS`] back, not sent
/// yet (a domain without a TLS-RPT record is noted as done by `send`).
pub async fn send_due(store: &Store, cfg: &Config) -> Result<Vec<Sent>> {
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Days::new(CATCH_UP_DAYS as u64)).format("%Y-%m-%d").to_string();
    let due = {
        let mut conn = store.pool.acquire().await?;
        tls_results::unreported(&mut conn, &from, &today.format("%Y-%m-%d").to_string()).await?
    };
    if due.is_empty() {
        return Ok(vec![]);
    }
    let resolver = crate::dns::lookup::Resolver::system(cfg.server.dns_resolver.as_deref())?;
    let mut out = Vec::new();
    for (day, domain) in due {
        match send(store, cfg, &resolver, &day, &domain).await {
            Ok(s) => out.push(s),
            Err(e) => tracing::warn!(day, domain, error = %e.one_line(), "TLS report not sent; tried again later"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(policy: &str, mx: &str, result: &str, sessions: i64) -> TlsResult {
        TlsResult {
            day: "2026-12-03".into(),
            domain: "example.net".into(),
            policy: policy.into(),
            mx_host: mx.into(),
            result: result.into(),
            sessions,
        }
    }

    #[test]
    fn a_report_sums_a_days_sessions_per_policy_type_and_details_each_failure() {
        let rows = vec![
            row("sts", "mx1.example.net", "success", 5),
            row("sts", "mx2.example.net", "certificate-expired", 2),
            row("tlsa", "mx3.example.net", "validation-failure", 1),
            row("no-policy-found", "mx4.example.net", "starttls-not-supported", 3),
            TlsResult { day: "2026-12-02".into(), ..row("sts", "mx1.example.net", "success", 100) },
        ];
        let policy = crate::proto::mta_sts::Policy {
            mode: crate::proto::mta_sts::Mode::Enforce,
            mx: vec!["*.example.net".into()],
            max_age: 86400,
        };
        let r = build("mail.example.com", "postmaster@example.com", "2026-12-03", "example.net", &rows, Some(&policy))
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["date-range"]["start-datetime"], "2026-12-03T00:00:00Z");
        assert_eq!(json["date-range"]["end-datetime"], "2026-12-03T23:59:59Z");
        assert_eq!(json["organization-name"], "mail.example.com");
        let policies = json["policies"].as_array().unwrap();
        assert_eq!(policies.len(), 3);
        let sts = policies.iter().find(|p| p["policy"]["policy-type"] == "sts").unwrap();
        assert_eq!(sts["summary"]["total-successful-session-count"], 5, "the day before is not counted");
        assert_eq!(sts["summary"]["total-failure-session-count"], 2);
        assert_eq!(sts["policy"]["policy-string"][1], "mode: enforce");
        assert_eq!(sts["policy"]["mx-host"][0], "*.example.net");
        assert_eq!(sts["failure-details"][0]["result-type"], "certificate-expired");
        assert_eq!(sts["failure-details"][0]["receiving-mx-hostname"], "mx2.example.net");
        assert_eq!(sts["failure-details"][0]["failed-session-count"], 2);
        let tlsa = policies.iter().find(|p| p["policy"]["policy-type"] == "tlsa").unwrap();
        assert_eq!(tlsa["failure-details"][0]["result-type"], "validation-failure");
        assert!(policies.iter().any(|p| p["policy"]["policy-type"] == "no-policy-found"));
        assert!(build("h", "c", "yesterday", "example.net", &rows, None).is_err());
    }
}

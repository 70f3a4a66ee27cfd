//! The reports a domain asks for in its DNS, read back: DMARC aggregate reports (RFC 7489, the
//! `rua` of its DMARC record) and SMTP TLS reports (RFC 8460, the `rua` of its TLS-RPT record),
//! found in the mailboxes those addresses reach and summarised. DMARC: who sent mail as the
//! domain, from which IPs, with which SPF/DKIM/DMARC results and what the receivers did with
//! it. TLS: how sending servers fared with our TLS, and why sessions failed. Parsing (XML,
//! JSON, gzip and zip attachments) is mail-auth's `report` feature.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use mail_auth::report::tlsrpt::{PolicyType, TlsReport};
use mail_auth::report::{ActionDisposition, DmarcResult, Report};
use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::maildir::{self, file};
use crate::store::{Store, accounts, domains, mailboxes, messages};

/// A message larger than this is not read (no report comes near it).
const MAX_MESSAGE: i64 = 32 << 20;
/// The most a compressed report may expand to.
const MAX_EXPANDED: usize = 64 << 20;

/// Which reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dmarc,
    Tls,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Dmarc => "DMARC",
            Kind::Tls => "TLS",
        }
    }
}

/// One report received.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Received {
    /// The reporter (its organisation name).
    pub reporter: String,
    pub report_id: String,
    /// The period it covers, Unix times.
    pub begin: i64,
    pub end: i64,
}

/// What was read for one domain, whatever the kind of report.
#[derive(Debug, Clone, Serialize)]
pub struct Read {
    pub domain: String,
    /// The local addresses the reports were looked for at.
    pub addresses: Vec<String>,
    pub reports: Vec<Received>,
    /// Messages found there that were not reports about this domain.
    pub other_messages: usize,
}

impl Read {
    fn new(domain: &str, found: Found, reports: BTreeSet<Received>, other_messages: usize) -> Read {
        Read {
            domain: domain.to_string(),
            addresses: found.addresses,
            reports: reports.into_iter().collect(),
            other_messages,
        }
    }
}

/// The DMARC reports of one domain, summarised by sending IP and results.
#[derive(Debug, Clone, Serialize)]
pub struct DmarcSummary {
    #[serde(flatten)]
    pub read: Read,
    pub sources: Vec<Source>,
}

/// Mail from one IP, as one set of results, across the reports.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Source {
    pub ip: String,
    /// The From: domain the mail claimed.
    pub header_from: String,
    pub messages: u64,
    /// pass when DKIM or SPF passed aligned.
    pub dmarc: &'static str,
    pub dkim: &'static str,
    pub spf: &'static str,
    /// What the receivers did: none, quarantine or reject.
    pub disposition: &'static str,
    pub reporters: BTreeSet<String>,
}

/// The TLS reports of one domain, summarised by reporter and policy.
#[derive(Debug, Clone, Serialize)]
pub struct TlsSummary {
    #[serde(flatten)]
    pub read: Read,
    pub policies: Vec<TlsPolicy>,
}

/// One reporter's sessions under one policy, across its reports.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TlsPolicy {
    pub reporter: String,
    /// sts, tlsa, no-policy-found.
    pub policy: &'static str,
    pub successful: u64,
    pub failed: u64,
    pub failures: Vec<TlsFailure>,
}

/// Failed sessions of one kind.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct TlsFailure {
    /// The RFC 8460 result type: certificate-expired, starttls-not-supported, …
    pub result: String,
    pub receiving_mx: String,
    pub sending_ip: String,
    pub sessions: u64,
}

/// The domains to report on: the one named (which must be ours), or all of them.
async fn domains_of(store: &Store, domain: Option<&str>) -> Result<Vec<String>> {
    let mut conn = store.pool.acquire().await?;
    match domain {
        Some(d) => {
            let d = crate::names::domain(d)?;
            crate::ops::require_domain(&mut conn, &d).await?;
            Ok(vec![d])
        }
        None => Ok(domains::list(&mut conn).await?.into_iter().map(|d| d.name).collect()),
    }
}

/// The `mailto:` addresses a domain's DNS asks reporters to send `kind` reports to, as the
/// records are generated from the config.
pub fn addresses(cfg: &Config, domain: &str, kind: Kind) -> Vec<String> {
    use mail_auth::common::parse::TxtRecordParser;
    let fill = |t: &str| crate::dns::records::fill(t, domain, &cfg.hostname);
    let mut out: Vec<String> = match kind {
        Kind::Dmarc => mail_auth::dmarc::Dmarc::parse(fill(&cfg.dns.dmarc_record).as_bytes())
            .map(|d| d.rua.iter().map(|u| u.uri().to_string()).collect())
            .unwrap_or_default(),
        Kind::Tls => {
            let record = format!("v=TLSRPTv1; rua={}", fill(&cfg.dns.tlsrpt_rua));
            mail_auth::mta_sts::TlsRpt::parse(record.as_bytes())
                .map(|t| {
                    t.rua
                        .into_iter()
                        .filter_map(|u| match u {
                            mail_auth::mta_sts::ReportUri::Mail(a) => Some(a),
                            mail_auth::mta_sts::ReportUri::Http(_) => None,
                        })
                        .collect()
                })
                .unwrap_or_default()
        }
    };
    for a in &mut out {
        *a = a.to_ascii_lowercase();
    }
    out.dedup();
    out
}

/// What the report addresses of one domain hold.
struct Found {
    /// The addresses that reach a local mailbox.
    addresses: Vec<String>,
    /// Each message received since the cut-off, once (an alias may reach one account twice).
    messages: Vec<Vec<u8>>,
}

/// The messages received since `since` by the accounts `addresses` lead to. An address that
/// leads to no local mailbox is an error naming the fix.
async fn messages_for(store: &Store, domain: &str, kind: Kind, wanted: &[String], since: i64) -> Result<Found> {
    let mut conn = store.pool.acquire().await?;
    let mut accounts_reached = BTreeSet::new();
    let mut local = Vec::new();
    for a in wanted {
        let e = crate::ops::alias::expand(&mut conn, a).await.map_err(|e| Error::from(e).context(a))?;
        if !e.accounts.is_empty() {
            local.push(a.clone());
        }
        accounts_reached.extend(e.accounts);
    }
    if accounts_reached.is_empty() {
        let listed = if wanted.is_empty() { "no mailto: address".to_string() } else { wanted.join(", ") };
        return Err(Error::not_found(format!(
            "no local mailbox receives the {} reports of {domain}: its DNS names {listed}",
            kind.as_str()
        ))
        .with_hint(match wanted.first() {
            Some(a) if a.ends_with(&format!("@{domain}")) => {
                format!("create it, for example: mailctl alias add {a} postmaster@{domain}")
            }
            _ => "set the config's dmarc_record or tlsrpt_rua to a local address".to_string(),
        }));
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for address in &accounts_reached {
        let Some(account) = accounts::get(&mut conn, address).await? else { continue };
        let root = crate::ops::mailbox::maildir_root(store, &account);
        for m in mailboxes::list(&mut conn, account.id).await? {
            let dir = maildir::folder_path(&root, &m.name);
            for r in messages::received_since(&mut conn, m.id, since).await? {
                if r.size > MAX_MESSAGE {
                    continue;
                }
                if let Some(p) = file::locate(&dir, &r.filename, &r.flags) {
                    files.push(p);
                }
            }
        }
    }
    drop(conn);
    let messages = crate::ops::blocking(move || {
        // A message that vanished meanwhile (expunged) is simply not there.
        Ok(files.iter().filter_map(|p| std::fs::read(p).ok()).collect())
    })
    .await?;
    Ok(Found { addresses: local, messages })
}

/// Results as the tables print them.
fn dmarc_result(r: DmarcResult) -> &'static str {
    match r {
        DmarcResult::Pass => "pass",
        DmarcResult::Fail => "fail",
        DmarcResult::Unspecified => "unspecified",
    }
}

fn disposition(d: ActionDisposition) -> &'static str {
    match d {
        ActionDisposition::None | ActionDisposition::Pass => "none",
        ActionDisposition::Quarantine => "quarantine",
        ActionDisposition::Reject => "reject",
        ActionDisposition::Unspecified => "unspecified",
    }
}

fn policy_type(p: PolicyType) -> &'static str {
    match p {
        PolicyType::Tlsa => "tlsa",
        PolicyType::Sts => "sts",
        PolicyType::NoPolicyFound => "no-policy-found",
        PolicyType::Other => "other",
    }
}

/// Summaries, one per domain, and the domains left out (no local mailbox receives their
/// reports), each with the reason.
#[derive(Debug)]
pub struct Listed<T> {
    pub summaries: Vec<T>,
    pub skipped: Vec<String>,
}

/// The DMARC reports of a domain, or of every domain.
pub async fn dmarc(store: &Store, cfg: &Config, domain: Option<&str>, since: i64) -> Result<Listed<DmarcSummary>> {
    per_domain(store, cfg, domain, since, Kind::Dmarc, summarise_dmarc).await
}

/// What our own outbound TLS negotiations came to since `since` (Unix time; whole UTC days),
/// for one destination domain or all: the figures a TLS report to them would carry.
pub async fn outbound_tls(
    store: &Store,
    domain: Option<&str>,
    since: i64,
) -> Result<Vec<crate::store::tls_results::TlsResult>> {
    let day = chrono::DateTime::from_timestamp(since, 0).unwrap_or_default().format("%Y-%m-%d").to_string();
    let domain = domain.map(crate::names::domain).transpose()?;
    let mut conn = store.pool.acquire().await?;
    crate::store::tls_results::since(&mut conn, &day, domain.as_deref()).await
}

/// The TLS reports of a domain, or of every domain.
pub async fn tls(store: &Store, cfg: &Config, domain: Option<&str>, since: i64) -> Result<Listed<TlsSummary>> {
    per_domain(store, cfg, domain, since, Kind::Tls, summarise_tls).await
}

async fn per_domain<T>(
    store: &Store,
    cfg: &Config,
    domain: Option<&str>,
    since: i64,
    kind: Kind,
    summarise: fn(&str, Found) -> T,
) -> Result<Listed<T>> {
    let mut out = Listed { summaries: Vec::new(), skipped: Vec::new() };
    for d in domains_of(store, domain).await? {
        let wanted = addresses(cfg, &d, kind);
        match messages_for(store, &d, kind, &wanted, since).await {
            Ok(found) => out.summaries.push(summarise(&d, found)),
            // Asked about every domain: one without a report mailbox is left out, and said so.
            Err(e) if domain.is_none() && e.kind == crate::error::Kind::NotFound => out.skipped.push(e.one_line()),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn summarise_dmarc(domain: &str, found: Found) -> DmarcSummary {
    let mut reports = BTreeSet::new();
    let mut other = 0;
    // (ip, header_from, dkim, spf, disposition) -> (messages, reporters)
    type Key = (String, String, &'static str, &'static str, &'static str);
    let mut rows: BTreeMap<Key, (u64, BTreeSet<String>)> = BTreeMap::new();
    for m in &found.messages {
        let r = match Report::parse_rfc5322(m, MAX_EXPANDED) {
            Ok(r) if r.policy_published.domain.eq_ignore_ascii_case(domain) => r,
            _ => {
                other += 1;
                continue;
            }
        };
        let meta = &r.report_metadata;
        let received = Received {
            reporter: meta.org_name.clone(),
            report_id: meta.report_id.clone(),
            begin: meta.date_range.begin as i64,
            end: meta.date_range.end as i64,
        };
        // The same report twice (an alias reaching two accounts, a resend) counts once.
        if !reports.insert(received) {
            continue;
        }
        for rec in &r.record {
            let e = &rec.row.policy_evaluated;
            let ip = rec.row.source_ip.map(|i| i.to_string()).unwrap_or_default();
            let key = (
                ip,
                rec.identifiers.header_from.to_ascii_lowercase(),
                dmarc_result(e.dkim),
                dmarc_result(e.spf),
                disposition(e.disposition),
            );
            let entry = rows.entry(key).or_default();
            entry.0 += u64::from(rec.row.count);
            entry.1.insert(meta.org_name.clone());
        }
    }
    let mut sources: Vec<Source> = rows
        .into_iter()
        .map(|((ip, header_from, dkim, spf, disposition), (messages, reporters))| Source {
            ip,
            header_from,
            messages,
            dmarc: if dkim == "pass" || spf == "pass" { "pass" } else { "fail" },
            dkim,
            spf,
            disposition,
            reporters,
        })
        .collect();
    // Most mail first; failures before passes at equal counts.
    sources.sort_by(|a, b| b.messages.cmp(&a.messages).then(a.dmarc.cmp(b.dmarc)).then(a.ip.cmp(&b.ip)));
    DmarcSummary { read: Read::new(domain, found, reports, other), sources }
}

fn summarise_tls(domain: &str, found: Found) -> TlsSummary {
    let mut reports = BTreeSet::new();
    let mut other = 0;
    // (reporter, policy) -> (successful, failed, failures)
    type Tally = (u64, u64, BTreeMap<(String, String, String), u64>);
    let mut policies: BTreeMap<(String, &'static str), Tally> = BTreeMap::new();
    for m in &found.messages {
        let r = match TlsReport::parse_rfc5322(m, MAX_EXPANDED) {
            Ok(r) if r.policies.iter().any(|p| p.policy.policy_domain.eq_ignore_ascii_case(domain)) => r,
            _ => {
                other += 1;
                continue;
            }
        };
        let reporter = r.organization_name.clone().unwrap_or_else(|| "(unnamed)".into());
        let received = Received {
            reporter: reporter.clone(),
            report_id: r.report_id.clone(),
            begin: r.date_range.start_datetime.to_timestamp(),
            end: r.date_range.end_datetime.to_timestamp(),
        };
        if !reports.insert(received) {
            continue;
        }
        for p in r.policies.iter().filter(|p| p.policy.policy_domain.eq_ignore_ascii_case(domain)) {
            let entry = policies.entry((reporter.clone(), policy_type(p.policy.policy_type))).or_default();
            entry.0 += u64::from(p.summary.total_success);
            entry.1 += u64::from(p.summary.total_failure);
            for f in &p.failure_details {
                let key = (
                    // RFC 8460's names (mail-auth's serde names them so); anything else: "other".
                    serde_json::to_value(f.result_type)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_ascii_lowercase))
                        .unwrap_or_else(|| "other".into()),
                    f.receiving_mx_hostname.clone().unwrap_or_default(),
                    f.sending_mta_ip.map(|i| i.to_string()).unwrap_or_default(),
                );
                *entry.2.entry(key).or_default() += u64::from(f.failed_session_count);
            }
        }
    }
    let policies = policies
        .into_iter()
        .map(|((reporter, policy), (successful, failed, failures))| TlsPolicy {
            reporter,
            policy,
            successful,
            failed,
            failures: failures
                .into_iter()
                .map(|((result, receiving_mx, sending_ip), sessions)| TlsFailure {
                    result,
                    receiving_mx,
                    sending_ip,
                    sessions,
                })
                .collect(),
        })
        .collect();
    TlsSummary { read: Read::new(domain, found, reports, other), policies }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_addresses_are_the_mailto_uris_of_the_published_records() {
        let mut cfg = Config::dev();
        cfg.hostname = "mail.example.com".into();
        assert_eq!(addresses(&cfg, "example.com", Kind::Dmarc), vec!["dmarc@example.com"]);
        assert_eq!(addresses(&cfg, "example.com", Kind::Tls), vec!["tlsrpt@example.com"]);
        cfg.dns.dmarc_record = "v=DMARC1; p=reject; rua=mailto:A@{domain}!10m,mailto:b@elsewhere.example".into();
        cfg.dns.tlsrpt_rua = "https://reports.example/tls,mailto:tls@{domain}".into();
        assert_eq!(addresses(&cfg, "example.org", Kind::Dmarc), vec!["a@example.org", "b@elsewhere.example"]);
        assert_eq!(addresses(&cfg, "example.org", Kind::Tls), vec!["tls@example.org"]);
        cfg.dns.dmarc_record = "v=DMARC1; p=none".into();
        assert!(addresses(&cfg, "example.org", Kind::Dmarc).is_empty());
    }
}

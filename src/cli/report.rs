//! `mailctl report dmarc|tls`: the DMARC aggregate and TLS reports a domain received, summarised.

use clap::{Args, Subcommand};
use comfy_table::Table;
use serde::Serialize;

use super::Ctx;
use super::output::{table, time};
use crate::error::Result;
use crate::ops::report::{self as ops, DmarcSummary, Listed, Read, TlsSummary};

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// DMARC aggregate reports received at the domain's rua address: who sent mail as the
    /// domain, from which IPs, with which SPF/DKIM/DMARC results and what receivers did with it
    Dmarc(Scope),
    /// SMTP TLS reports (TLS-RPT) received at the domain's rua address: sessions that reached
    /// our MX with TLS, and why the others failed; with --outbound, our own deliveries' TLS
    /// per day, destination domain and MX host
    Tls(TlsScope),
}

#[derive(Debug, Args)]
pub struct TlsScope {
    #[command(flatten)]
    scope: Scope,
    /// Our outbound TLS results (success, or the RFC 8460 failure type) instead of reports
    /// received; --domain then names a destination
    #[arg(long)]
    outbound: bool,
    /// With --outbound: send the TLS reports (RFC 8460) of --day now, to each destination's
    /// _smtp._tls rua (serve sends each past day's once by itself)
    #[arg(long, requires = "outbound")]
    send: bool,
    /// The UTC day to send, YYYY-MM-DD (default: yesterday)
    #[arg(long, requires = "send")]
    day: Option<String>,
}

#[derive(Debug, Args)]
pub struct Scope {
    /// Only this domain (default: every domain with a report mailbox)
    #[arg(long)]
    domain: Option<String>,
    /// Reports received in this last span: 90m, 12h, 7d, 2w
    #[arg(long, default_value = "7d", value_parser = super::span::parse)]
    since: i64,
}

pub async fn run(cmd: ReportCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    match cmd {
        ReportCmd::Dmarc(s) => {
            let since = crate::store::now() - s.since;
            let listed = ops::dmarc(&store, &ctx.config, s.domain.as_deref(), since).await?;
            show(ctx, listed, |d| (heading("DMARC", since, &d.read), dmarc_table(d)))
        }
        ReportCmd::Tls(TlsScope { scope, outbound: true, send: true, day }) => {
            let day = match day {
                Some(d) => d,
                None => (chrono::Utc::now().date_naive() - chrono::Days::new(1)).format("%Y-%m-%d").to_string(),
            };
            let domain = scope.domain.as_deref().map(crate::names::domain).transpose()?;
            let sent = crate::ops::tls_report::send_day(&store, &ctx.config, &day, domain.as_deref()).await?;
            if ctx.out.json {
                return Ok(ctx.out.json_array(&sent)?);
            }
            if sent.is_empty() {
                ctx.note(format!("no outbound TLS results on {day}"));
            }
            for s in &sent {
                for to in &s.to {
                    ctx.out.line(format!("{}: report {} sent to {to}", s.domain, s.report_id))?;
                }
                for why in &s.failed {
                    ctx.note(format!("{}: not sent: {why}", s.domain));
                }
            }
            Ok(())
        }
        ReportCmd::Tls(TlsScope { scope, outbound: true, .. }) => {
            let since = crate::store::now() - scope.since;
            let rows = ops::outbound_tls(&store, scope.domain.as_deref(), since).await?;
            if ctx.out.json {
                return Ok(ctx.out.json_array(&rows)?);
            }
            if rows.is_empty() {
                ctx.note("no outbound TLS results in that span");
                return Ok(());
            }
            let mut t = table(&["day", "domain", "policy", "MX host", "result", "sessions"]);
            for r in &rows {
                t.add_row(vec![
                    r.day.clone(),
                    r.domain.clone(),
                    r.policy.clone(),
                    r.mx_host.clone(),
                    r.result.clone(),
                    r.sessions.to_string(),
                ]);
            }
            Ok(ctx.out.table(t)?)
        }
        ReportCmd::Tls(TlsScope { scope: s, .. }) => {
            let since = crate::store::now() - s.since;
            let listed = ops::tls(&store, &ctx.config, s.domain.as_deref(), since).await?;
            show(ctx, listed, |d| (heading("TLS", since, &d.read), tls_table(d)))
        }
    }
}

/// The summaries: JSON, or per domain a heading and a table; skipped domains as notes.
fn show<T: Serialize>(ctx: &mut Ctx, listed: Listed<T>, render: impl Fn(&T) -> (String, Option<Table>)) -> Result<()> {
    for s in &listed.skipped {
        ctx.note(format!("skipped: {s}"));
    }
    if ctx.out.json {
        ctx.out.json_array(&listed.summaries)?;
        return Ok(());
    }
    for (n, d) in listed.summaries.iter().enumerate() {
        if n > 0 {
            ctx.out.line("")?;
        }
        let (heading, t) = render(d);
        ctx.out.line(heading)?;
        if let Some(t) = t {
            ctx.out.table(t)?;
        }
    }
    Ok(())
}

fn dmarc_table(d: &DmarcSummary) -> Option<Table> {
    if d.sources.is_empty() {
        return None;
    }
    let mut t = table(&["source ip", "messages", "dmarc", "dkim", "spf", "disposition", "from", "reported by"]);
    for r in &d.sources {
        t.add_row(vec![
            r.ip.clone(),
            r.messages.to_string(),
            r.dmarc.to_string(),
            r.dkim.to_string(),
            r.spf.to_string(),
            r.disposition.to_string(),
            r.header_from.clone(),
            r.reporters.iter().cloned().collect::<Vec<_>>().join(", "),
        ]);
    }
    Some(t)
}

fn tls_table(d: &TlsSummary) -> Option<Table> {
    if d.policies.is_empty() {
        return None;
    }
    let mut t = table(&["reported by", "policy", "successful", "failed", "failures"]);
    for p in &d.policies {
        let failures: Vec<String> = p
            .failures
            .iter()
            .map(|f| {
                let mut s = format!("{} x{}", f.result, f.sessions);
                if !f.receiving_mx.is_empty() {
                    s.push_str(&format!(" at {}", f.receiving_mx));
                }
                if !f.sending_ip.is_empty() {
                    s.push_str(&format!(" from {}", f.sending_ip));
                }
                s
            })
            .collect();
        t.add_row(vec![
            p.reporter.clone(),
            p.policy.to_string(),
            p.successful.to_string(),
            p.failed.to_string(),
            failures.join("; "),
        ]);
    }
    Some(t)
}

/// The line above a domain's table: what was read, from whom, and what was not a report.
fn heading(kind: &str, since: i64, read: &Read) -> String {
    let Read { domain, addresses, reports, other_messages } = read;
    let other = *other_messages;
    let mut reporters: Vec<&str> = reports.iter().map(|r| r.reporter.as_str()).collect();
    reporters.sort();
    reporters.dedup();
    let mut s = format!(
        "{domain}: {} {kind} report{} since {} at {}",
        reports.len(),
        if reports.len() == 1 { "" } else { "s" },
        time(Some(since)),
        addresses.join(", ")
    );
    if !reporters.is_empty() {
        s.push_str(&format!(" from {}", reporters.join(", ")));
    }
    if other > 0 {
        s.push_str(&format!(" ({other} other message{} there)", if other == 1 { "" } else { "s" }));
    }
    s
}

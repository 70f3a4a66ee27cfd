//! `mailctl dns records|publish|check`

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::Ctx;
use super::output::table;
use crate::config::Config;
use crate::dns::lookup::Resolver;
use crate::dns::plan::Action;
use crate::dns::provider::{Provider, Settings};
use crate::dns::value::to_zone;
use crate::error::{Error, Kind, Result};
use crate::ops::dns as ops;

/// Which DNS provider and how to reach it (flags win over the config's dns_* keys).
#[derive(Debug, Clone, Default, Args)]
pub struct ProviderArgs {
    /// cloudflare, route53 or rfc2136 [default: the config's dns_provider]
    #[arg(long, value_parser = ["cloudflare", "route53", "rfc2136"])]
    pub provider: Option<String>,
    /// The provider API's base URL (Cloudflare, Route53; for compatible services and tests)
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The provider's zone id [default: looked up by the domain's name]
    #[arg(long, value_name = "ID")]
    pub zone_id: Option<String>,
    /// RFC 2136: the primary server to update
    #[arg(long, value_name = "HOST:PORT")]
    pub server: Option<String>,
    /// RFC 2136: a BIND key file (tsig-keygen), hmac-sha256
    #[arg(long, value_name = "FILE")]
    pub tsig_key: Option<PathBuf>,
    /// Also trust this CA certificate (PEM) for the provider's HTTPS endpoint
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

impl ProviderArgs {
    pub fn settings(&self, cfg: &Config) -> Settings {
        Settings {
            provider: self.provider.clone().unwrap_or_default(),
            endpoint: self.endpoint.clone(),
            zone_id: self.zone_id.clone(),
            server: self.server.clone(),
            tsig_key: self.tsig_key.clone(),
            credentials_file: None,
            ca_file: self.ca_file.clone(),
        }
        .or_config(cfg)
    }
}

/// How to wait until the zone's authoritative servers answer the records.
#[derive(Debug, Clone, Default, Args)]
pub struct WaitArgs {
    /// Give up waiting after this many seconds (exit 75)
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub wait_timeout: u64,
    /// Ask this server instead of the zone's authoritative servers
    #[arg(long, value_name = "IP:PORT")]
    pub resolver: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Lines for a BIND zone file
    Zone,
    /// A table for people
    Table,
    /// JSON for scripts (as --json)
    Json,
}

#[derive(Debug, Subcommand)]
pub enum DnsCmd {
    /// Print the records each mail domain needs (MX, A/AAAA, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, SRV, CAA; PTR as an instruction)
    Records {
        /// Only this domain [default: every domain]
        #[arg(long)]
        domain: Option<String>,
        #[arg(long, value_enum, default_value = "zone")]
        format: Format,
    },
    /// Publish the records through a DNS provider: show the plan, then apply it (only mailctl's records are touched)
    Publish {
        /// Only this domain [default: every domain]
        #[arg(long)]
        domain: Option<String>,
        /// Show the plan and change nothing
        #[arg(long)]
        dry_run: bool,
        /// Apply without asking (needed when stdin is not a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
        /// Replace an SPF record that mailctl did not publish
        #[arg(long)]
        replace_spf: bool,
        /// After applying, wait until every authoritative server answers every record
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        provider: ProviderArgs,
        #[command(flatten)]
        wait_args: WaitArgs,
    },
    /// Look every record up live and say, per record, whether it is right (exit 0 only when every required record is)
    Check {
        /// Only this domain [default: every domain]
        #[arg(long)]
        domain: Option<String>,
        /// Ask this server [default: the zone's authoritative servers]
        #[arg(long, value_name = "IP:PORT")]
        resolver: Option<String>,
    },
}

pub async fn run(cmd: DnsCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    match cmd {
        DnsCmd::Check { domain, resolver } => check(ctx, &store, domain.as_deref(), resolver.as_deref()).await?,
        DnsCmd::Publish { domain, dry_run, yes, replace_spf, wait, provider, wait_args } => {
            let w = wait.then_some(&wait_args);
            publish(ctx, &store, domain.as_deref(), dry_run, yes, replace_spf, &provider, w).await?;
        }
        DnsCmd::Records { domain, format } => {
            let all = ops::desired(&ctx.config, &store, domain.as_deref()).await?;
            let format = if ctx.out.json { Format::Json } else { format };
            for d in &all {
                for w in &d.warnings {
                    ctx.note(format!("warning: {w}"));
                }
            }
            match format {
                Format::Json => ctx.out.json(&all)?,
                Format::Zone => {
                    for (i, d) in all.iter().enumerate() {
                        if i > 0 {
                            ctx.out.line("")?;
                        }
                        ctx.out.raw(crate::dns::zone::render(&d.domain, &d.records).as_bytes())?;
                    }
                }
                Format::Table => {
                    let mut t = table(&["name", "type", "ttl", "value", "purpose", "publish"]);
                    for d in &all {
                        for r in &d.records {
                            t.add_row(vec![
                                r.name.clone(),
                                r.rtype.to_string(),
                                r.ttl.to_string(),
                                shorten(&to_zone(r.rtype, &r.value), 72),
                                r.purpose.to_string(),
                                if r.publish { "yes".into() } else { r.note.clone().unwrap_or_else(|| "no".into()) },
                            ]);
                        }
                    }
                    ctx.out.table(t)?;
                }
            }
        }
    }
    Ok(())
}

/// A long value (a DKIM key) cut for a table; the zone and JSON forms carry it whole.
fn shorten(v: &str, max: usize) -> String {
    if v.chars().count() <= max { v.to_string() } else { format!("{}…", v.chars().take(max - 1).collect::<String>()) }
}

#[allow(clippy::too_many_arguments)]
async fn publish(
    ctx: &mut Ctx,
    store: &crate::store::Store,
    domain: Option<&str>,
    dry_run: bool,
    yes: bool,
    replace_spf: bool,
    pa: &ProviderArgs,
    wait: Option<&WaitArgs>,
) -> Result<()> {
    let settings = pa.settings(&ctx.config);
    let mut provider = Provider::new(&settings)?;
    let mut reports = Vec::new();
    let domains = ops::domains(store, domain).await?;
    if settings.zone_id.is_some() && domains.len() > 1 {
        return Err(Error::usage("a zone id names one zone: pass --domain with --zone-id (or dns_zone_id)"));
    }
    for zone in domains {
        let zp = ops::plan_zone(&ctx.config, store, &mut provider, &zone, replace_spf).await?;
        let changes = zp.plan.changes.len();
        // Without a terminal to ask, the plan is shown and nothing applied.
        let refuse = !dry_run && changes > 0 && !yes && !std::io::stdin().is_terminal();
        if !refuse {
            for w in &zp.warnings {
                ctx.note(format!("warning: {w}"));
            }
            for c in &zp.plan.conflicts {
                ctx.note(format!("conflict: {} {}: {} (found: {})", c.name, c.rtype, c.reason, c.found.join(" | ")));
            }
        }
        if !ctx.out.json {
            print_plan(ctx, &zp, provider.name())?;
            ctx.out.flush()?;
        }
        if refuse {
            return Err(Error::usage(format!(
                "not applying {changes} change(s) to {zone}: pass --yes (stdin is not a terminal to ask)"
            )));
        }
        let mut applied = 0;
        if !dry_run {
            if changes > 0 && !yes {
                confirm(&zone, changes)?;
            }
            applied = ops::apply_zone(store, &mut provider, &zp).await?;
            if changes > 0 {
                ctx.note(format!("{zone}: {applied} change(s) applied at {}", provider.name()));
            }
        }
        let mut visible = None;
        if let Some(wa) = wait.filter(|_| !dry_run) {
            wait_visible(ctx, &zone, &ops::to_wait_for(&zp), &provider, wa).await?;
            visible = Some(true);
        }
        reports.push(serde_json::json!({
            "zone": zp.zone,
            "provider": provider.name(),
            "changes": zp.plan.changes,
            "conflicts": zp.plan.conflicts,
            "warnings": zp.warnings,
            "applied": applied,
            "visible": visible,
        }));
    }
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "dry_run": dry_run, "zones": reports, "requests": provider.requests() }))?;
    }
    let r = provider.requests();
    tracing::debug!(reads = r.reads, writes = r.writes, "provider requests");
    Ok(())
}

fn print_plan(ctx: &mut Ctx, zp: &ops::ZonePlan, provider: &str) -> Result<()> {
    let count = |a: Action| zp.plan.changes.iter().filter(|c| c.action == a).count();
    ctx.out.line(format!(
        "{} ({provider}): {} to create, {} to update, {} to delete",
        zp.zone,
        count(Action::Create),
        count(Action::Update),
        count(Action::Delete)
    ))?;
    for c in &zp.plan.changes {
        let line =
            |sign: &str, v: &str, ttl: u32| format!("  {sign} {} {} {} {}", c.name, ttl, c.rtype, to_zone(&c.rtype, v));
        for v in c.removed() {
            ctx.out.line(line("-", v, c.before_ttl))?;
        }
        for v in c.added() {
            ctx.out.line(line("+", v, c.ttl))?;
        }
        if c.ttl != c.before_ttl && c.action == Action::Update {
            for v in c.kept() {
                ctx.out.line(format!("{} (TTL {} -> {})", line("~", v, c.ttl), c.before_ttl, c.ttl))?;
            }
        }
    }
    Ok(())
}

/// Ask on the terminal.
fn confirm(zone: &str, changes: usize) -> Result<()> {
    eprint!("Apply {changes} change(s) to {zone}? [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::io("reading the answer from", std::path::Path::new("standard input"), e))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES") {
        Ok(())
    } else {
        Err(Error::new(Kind::TempFail, format!("not applied to {zone}")))
    }
}

pub async fn wait_visible(
    ctx: &Ctx,
    zone: &str,
    desired: &[crate::dns::records::Record],
    provider: &Provider,
    wa: &WaitArgs,
) -> Result<()> {
    let servers = ops::servers_for(&ctx.config, zone, Some(provider), wa.resolver.as_deref(), None).await?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_message(format!("waiting for {zone} on {} server(s)", servers.len()));
        b.enable_steady_tick(Duration::from_millis(120));
        b
    });
    let timeout = Duration::from_secs(wa.wait_timeout);
    let missing = ops::wait_until_visible(&servers, desired, timeout, |n| {
        if let Some(b) = &bar {
            b.set_message(format!("waiting for {zone}: {n} record(s) not visible yet"));
        }
    })
    .await?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    match missing.first() {
        None => {
            ctx.note(format!("{zone}: every record is visible on {} server(s)", servers.len()));
            Ok(())
        }
        Some(first) => Err(Error::new(
            Kind::TempFail,
            format!(
                "{zone}: {} record(s) still not visible after {} s (first: {} {} on {})",
                missing.len(),
                wa.wait_timeout,
                first.name,
                first.rtype,
                first.server
            ),
        )),
    }
}

async fn check(ctx: &mut Ctx, store: &crate::store::Store, domain: Option<&str>, resolver: Option<&str>) -> Result<()> {
    let general = Resolver::system(resolver.or(ctx.config.server.dns_resolver.as_deref()))?;
    let mut reports = Vec::new();
    for zone in ops::domains(store, domain).await? {
        let servers = ops::servers_for(&ctx.config, &zone, None, resolver, Some(&general)).await?;
        let at = Resolver::at(&servers.iter().flat_map(|s| s.addrs.iter().copied()).collect::<Vec<_>>())?;
        reports.push(ops::check(&ctx.config, store, &zone, &at, &general).await?);
    }
    if ctx.out.json {
        ctx.out.json(&reports)?;
    } else {
        for r in &reports {
            ctx.out.line(format!("{} (asked {}): {}", r.domain, r.servers, if r.ok { "ok" } else { "FAILED" }))?;
            let mut t = table(&["name", "type", "expected", "found", "verdict"]);
            for f in &r.findings {
                let show = |v: &[String]| {
                    if v.is_empty() {
                        "-".to_string()
                    } else {
                        v.iter().map(|x| shorten(x, 48)).collect::<Vec<_>>().join("\n")
                    }
                };
                let verdict = if f.detail.is_empty() {
                    f.verdict.as_str().to_string()
                } else {
                    format!("{}: {}", f.verdict.as_str(), f.detail)
                };
                t.add_row(vec![f.name.clone(), f.rtype.clone(), show(&f.expected), show(&f.found), verdict]);
            }
            ctx.out.table(t)?;
        }
    }
    let failed: Vec<String> = reports
        .iter()
        .filter(|r| !r.ok)
        .map(|r| format!("{} ({})", r.domain, r.findings.iter().filter(|f| f.fails()).count()))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        ctx.out.flush()?;
        Err(Error::invalid(format!("dns check: required records missing or wrong for {}", failed.join(", "))))
    }
}

//! `mailctl cert self-signed|issue|renew|status`

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;

use super::Ctx;
use super::output::{kv_table, time};
use crate::cert::acme::{self, Challenge};
use crate::error::{Error, Kind, Result};
use crate::ops::cert::{self as ops, IssueOptions, Renewal, Status};

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum CertCmd {
    /// Make a self-signed certificate (what `serve` uses on first start)
    SelfSigned {
        /// A name to cover (repeat) [default: hostname, webmail_host, and mta-sts.D and autoconfig.D for each domain D]
        #[arg(long = "host", value_name = "HOST")]
        hosts: Vec<String>,
    },
    /// Get a certificate from an ACME CA (Let's Encrypt by default)
    Issue {
        /// A name to cover (repeat) [default: hostname, webmail_host, and mta-sts.D and autoconfig.D for each domain D that resolves]
        #[arg(long = "host", value_name = "HOST")]
        hosts: Vec<String>,
        #[arg(long, default_value = "http-01", value_parser = ["http-01", "tls-alpn-01", "dns-01"])]
        challenge: String,
        /// An RFC 8555 directory URL [default: Let's Encrypt]
        #[arg(long, value_name = "URL")]
        directory: Option<String>,
        /// Let's Encrypt's staging CA
        #[arg(long, conflicts_with = "directory")]
        staging: bool,
        /// Contact address for the ACME account
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
        /// Trust this CA certificate (PEM) for the ACME server's own TLS (private CAs)
        #[arg(long, value_name = "FILE")]
        ca_root: Option<PathBuf>,
        /// Answer HTTP-01 on a listener of our own here [default: the running serve, else http_listen]
        #[arg(long, value_name = "ADDR:PORT")]
        http_listen: Option<String>,
        /// Answer TLS-ALPN-01 on a listener of our own here [default: the running serve, else https_listen]
        #[arg(long, value_name = "ADDR:PORT")]
        tls_listen: Option<String>,
        /// Run this (sh -c) after the certificate is installed; MAILCTL_CERT and MAILCTL_KEY name the files
        #[arg(long, value_name = "CMD")]
        deploy_hook: Option<String>,
        #[command(flatten)]
        provider: super::dns::ProviderArgs,
        #[command(flatten)]
        wait: super::dns::WaitArgs,
    },
    /// Renew the certificate if it is due (for cron: nothing due means no network and exit 0)
    Renew {
        /// Renew when it expires within this many days (or when the CA's window says so)
        #[arg(long, default_value_t = ops::RENEW_DAYS, value_name = "DAYS")]
        days: i64,
        /// Renew now
        #[arg(long)]
        force: bool,
        /// Run this (sh -c) after a successful renewal; MAILCTL_CERT and MAILCTL_KEY name the files
        #[arg(long, value_name = "CMD")]
        deploy_hook: Option<String>,
        #[arg(long, value_name = "ADDR:PORT")]
        http_listen: Option<String>,
        #[arg(long, value_name = "ADDR:PORT")]
        tls_listen: Option<String>,
    },
    /// The certificate: names, issuer, expiry, source, next renewal
    Status {
        /// Exit 75 when it expires within DAYS (for monitoring)
        #[arg(long, value_name = "DAYS")]
        check: Option<i64>,
    },
}

fn print(ctx: &mut Ctx, s: &Status) -> Result<()> {
    if ctx.out.json {
        ctx.out.json(s)?;
        return Ok(());
    }
    ctx.out.table(kv_table(&[
        ("certificate", s.path.display().to_string()),
        ("hosts", s.hosts.join(", ")),
        ("issuer", s.issuer.clone()),
        ("not after", time(Some(s.not_after))),
        ("days left", s.days_left.to_string()),
        ("source", s.source.clone()),
        ("next renewal", s.next_renewal.map(|t| time(Some(t))).unwrap_or_else(|| "-".into())),
    ]))?;
    Ok(())
}

pub async fn run(cmd: CertCmd, ctx: &mut Ctx) -> Result<()> {
    match cmd {
        CertCmd::Status { check } => {
            let s = ops::status(&ctx.config)?;
            print(ctx, &s)?;
            if let Some(days) = check
                && s.days_left < days
            {
                ctx.out.flush()?;
                return Err(Error::new(
                    Kind::TempFail,
                    format!("the certificate expires in {} days (under {days})", s.days_left),
                ));
            }
        }
        CertCmd::SelfSigned { hosts } => {
            let store = ctx.store().await?;
            let hosts = ops::check_hosts(&ctx.config, &store, &hosts, None).await?.hosts;
            let s = ops::self_signed(&ctx.config, hosts)?;
            ctx.note(format!("installed a self-signed certificate for {}", s.hosts.join(", ")));
            print(ctx, &s)?;
        }
        CertCmd::Issue {
            hosts,
            challenge,
            directory,
            staging,
            email,
            ca_root,
            http_listen,
            tls_listen,
            deploy_hook,
            provider,
            wait,
        } => {
            let store = ctx.store().await?;
            // Where the CA will look the names up, as far as we can tell: --resolver, else ours.
            let resolver = crate::dns::lookup::Resolver::system(
                wait.resolver.as_deref().or(ctx.config.server.dns_resolver.as_deref()),
            )?;
            let ops::Hosts { hosts, left_out } = ops::check_hosts(&ctx.config, &store, &hosts, Some(&resolver)).await?;
            if let Some(e) = &email {
                crate::names::Address::parse(e)?;
            }
            let challenge = Challenge::parse(&challenge)?;
            let dns = (challenge == Challenge::Dns01).then(|| provider.settings(&ctx.config));
            let opts = IssueOptions {
                hosts,
                challenge,
                directory: acme::directory(directory.as_deref(), staging),
                email,
                ca_root,
                http_listen,
                tls_listen,
                dns,
                resolver: wait.resolver.clone(),
                dns_timeout: Duration::from_secs(wait.wait_timeout),
                replaces: None,
            };
            let started = std::time::Instant::now();
            let s = ops::issue(&ctx.config, &opts).await?;
            ctx.note(format!(
                "issued by {} for {} in {:.1} s",
                s.issuer,
                s.hosts.join(", "),
                started.elapsed().as_secs_f64()
            ));
            if !left_out.is_empty() {
                ctx.note(format!(
                    "left out (no address at {}): {}; publish the domains' records (`mailctl dns publish`) and issue again to cover them",
                    resolver.label,
                    left_out.join(", ")
                ));
            }
            print(ctx, &s)?;
            if let Some(cmd) = &deploy_hook {
                ctx.out.flush()?;
                ops::deploy_hook(&ctx.config, cmd)?;
            }
        }
        CertCmd::Renew { days, force, deploy_hook, http_listen, tls_listen } => {
            let r = ops::renew(&ctx.config, days, force, (http_listen, tls_listen)).await?;
            match &r {
                Renewal::NotAcme => ctx.note(
                    "the certificate is not from ACME (self-signed or installed by hand): nothing to renew; `mailctl cert issue` gets one",
                ),
                Renewal::NotDue { days_left, next_renewal } => {
                    ctx.note(format!("not due: {days_left} days left; renewal from {}", time(Some(*next_renewal))))
                }
                Renewal::Renewed { status } => {
                    ctx.note(format!("renewed: valid until {}", time(Some(status.not_after))))
                }
            }
            if ctx.out.json {
                ctx.out.json(&r)?;
                ctx.out.flush()?;
            }
            if let (Renewal::Renewed { .. }, Some(cmd)) = (&r, &deploy_hook) {
                ops::deploy_hook(&ctx.config, cmd)?;
            }
        }
    }
    Ok(())
}

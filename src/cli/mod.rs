//! The command line: the clap tree and dispatch. One file per subcommand group; a file parses
//! its arguments, calls `ops`, and prints the result.

pub mod account;
pub mod alias;
pub mod audit;
pub mod backup;
pub mod cert;
pub mod client_config;
pub mod config;
pub mod dkim;
pub mod dns;
pub mod docs;
pub mod doctor;
pub mod domain;
pub mod filter;
pub mod firewall;
pub mod init;
pub mod mailbox;
pub mod output;
pub mod queue;
pub mod quota;
pub mod report;
pub mod serve;
pub mod span;
pub mod store;
pub mod token;
pub mod transport;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, Location, locate};
use crate::error::{Error, Result};
use crate::store::Store;
use output::Out;

/// mailctl: one binary for a whole self-hosted mail system.
#[derive(Debug, Parser)]
#[command(name = "mailctl", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml,
    /// else a dev instance in ./mailctl-data)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Machine-readable JSON output (field names are stable; see docs/JSON.md)
    #[arg(long, global = true)]
    pub json: bool,

    /// Print only errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write mailctl.toml and create the data directory, the database and the first domain
    Init(init::InitArgs),
    /// Read and edit the configuration, like postconf
    #[command(subcommand)]
    Config(config::ConfigCmd),
    /// Mail domains served here
    #[command(subcommand)]
    Domain(domain::DomainCmd),
    /// Mail accounts, their tiers and passwords
    #[command(subcommand)]
    Account(account::AccountCmd),
    /// Aliases and catch-alls
    #[command(subcommand)]
    Alias(alias::AliasCmd),
    /// DKIM signing keys: generate, rotate, publish, retire
    #[command(subcommand)]
    Dkim(dkim::DkimCmd),
    /// The mail host's certificate: self-signed, ACME (Let's Encrypt), renewal, status
    #[command(subcommand)]
    Cert(cert::CertCmd),
    /// DNS records for mail domains: print, publish to Cloudflare/Route53/RFC 2136, check live
    #[command(subcommand)]
    Dns(dns::DnsCmd),
    /// Routes for outbound mail (like Postfix transport maps)
    #[command(subcommand)]
    Transport(transport::TransportCmd),
    /// The outbound queue: list, show, flush, hold, release, delete
    #[command(subcommand)]
    Queue(queue::QueueCmd),
    /// Mail folders and their index
    #[command(subcommand)]
    Mailbox(mailbox::MailboxCmd),
    /// Mailbox quotas and usage
    #[command(subcommand)]
    Quota(quota::QuotaCmd),
    /// Inbound filtering: try the whole pipeline on a message
    #[command(subcommand)]
    Filter(filter::FilterCmd),
    /// DMARC and TLS reports received for the domains: who sends as them, and how TLS fares
    #[command(subcommand)]
    Report(report::ReportCmd),
    /// Backups of the whole instance: create (online, incremental), list, verify, restore, prune
    #[command(subcommand)]
    Backup(backup::BackupCmd),
    /// The store itself: migrate it to another database
    #[command(subcommand)]
    Store(store::StoreCmd),
    /// The settings a mail client needs for an account (text, JSON, autoconfig, profile)
    ClientConfig(client_config::ClientConfigArgs),
    /// Tokens for the HTTP admin API: create (shown once), list, revoke
    #[command(subcommand)]
    Token(token::TokenCmd),
    /// The audit log of writes made through the HTTP admin API
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Check the deployment on the live system: DNS, certificates, listeners, firewall,
    /// blocklists, open relay, schedules, backups, queue and disk; the fix for each failure
    Doctor(doctor::DoctorArgs),
    /// The firewall rules for the listeners the config enables (ufw, nftables, iptables)
    Firewall(firewall::FirewallArgs),
    /// Run the mail server (SMTP inbound and submission) on this instance
    Serve(serve::ServeArgs),
    /// Print a shell completion script
    Completions(docs::CompletionsArgs),
    /// Regenerate completions/ and man/ from the command definitions
    #[command(hide = true)]
    GenerateDocs(docs::GenerateArgs),
}

/// What a command needs: the config, the store (opened on demand), and the output.
pub struct Ctx {
    pub location: Location,
    pub config: Config,
    pub out: Out,
    pub quiet: bool,
}

impl Ctx {
    pub async fn store(&self) -> Result<Store> {
        Store::open(&self.config).await
    }
    /// A note for people on stderr (suppressed by --quiet).
    pub fn note(&self, text: impl AsRef<str>) {
        if !self.quiet {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "{}", text.as_ref());
        }
    }
}

pub async fn run(cli: Cli) -> Result<()> {
    let location = locate(cli.config.as_deref());
    let out = Out::new(cli.json);
    match cli.command {
        Command::Init(args) => return init::run(args, cli.config.as_deref(), out).await,
        Command::Completions(args) => return docs::completions(args, out),
        Command::GenerateDocs(args) => return docs::generate(args),
        Command::Config(config::ConfigCmd::Set { key, value }) => {
            return config::set(&location, &key, &value, cli.quiet);
        }
        _ => {}
    }
    let config = Config::load(&location)?;
    let mut ctx = Ctx { location, config, out, quiet: cli.quiet };
    if ctx.config.is_dev_instance() && !ctx.config.data_dir.exists() {
        ctx.note(format!("no mailctl.toml found: using the dev instance in {}", ctx.config.data_dir.display()));
    }
    let result = match cli.command {
        Command::Config(c) => config::run(c, &mut ctx).await,
        Command::Domain(c) => domain::run(c, &mut ctx).await,
        Command::Account(c) => account::run(c, &mut ctx).await,
        Command::Alias(c) => alias::run(c, &mut ctx).await,
        Command::Quota(c) => quota::run(c, &mut ctx).await,
        Command::Filter(c) => filter::run(c, &mut ctx).await,
        Command::Report(c) => report::run(c, &mut ctx).await,
        Command::Doctor(a) => doctor::run(a, &mut ctx).await,
        Command::Firewall(a) => firewall::run(a, &mut ctx).await,
        Command::Mailbox(c) => mailbox::run(c, &mut ctx).await,
        Command::Dkim(c) => dkim::run(c, &mut ctx).await,
        Command::Dns(c) => dns::run(c, &mut ctx).await,
        Command::Cert(c) => cert::run(c, &mut ctx).await,
        Command::Transport(c) => transport::run(c, &mut ctx).await,
        Command::Queue(c) => queue::run(c, &mut ctx).await,
        Command::Backup(c) => backup::run(c, &mut ctx).await,
        Command::Store(c) => store::run(c, &mut ctx).await,
        Command::Token(c) => token::run(c, &mut ctx).await,
        Command::ClientConfig(a) => client_config::run(a, &mut ctx).await,
        Command::Audit(c) => audit::run(c, &mut ctx).await,
        Command::Serve(a) => serve::run(a, &mut ctx).await,
        Command::Init(_) | Command::Completions(_) | Command::GenerateDocs(_) => unreachable!(),
    };
    result?;
    ctx.out.flush().map_err(Error::from)
}

/// Read a password: the first line of stdin or of a file, without its line ending.
pub fn read_password(stdin: bool, file: Option<&std::path::Path>) -> Result<Option<String>> {
    use std::io::BufRead;
    let mut line = String::new();
    if stdin {
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::invalid("reading the password from stdin").with_source(e))?;
    } else if let Some(f) = file {
        let text = std::fs::read_to_string(f).map_err(|e| Error::io("reading password file", f, e))?;
        line = text.lines().next().unwrap_or("").to_string();
    } else {
        return Ok(None);
    }
    let pw = line.trim_end_matches(['\n', '\r']).to_string();
    if pw.is_empty() {
        return Err(Error::invalid("empty password"));
    }
    Ok(Some(pw))
}

//! `mailctl init`

use std::path::{Path, PathBuf};

use clap::Args;

use super::output::{Out, kv_table};
use crate::error::Result;
use crate::ops::init::{InitOptions, run as init};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The first mail domain (IDNs are stored as A-labels)
    #[arg(long)]
    pub domain: String,
    /// The mail host's name [default: mail.<domain>]
    #[arg(long)]
    pub hostname: Option<String>,
    /// Where mail, keys and the SQLite database live [default: ./mailctl-data]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite:///path or postgres://user@host/db [default: SQLite in the data dir]
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// Rewrite an existing config and adopt an existing database (nothing is deleted)
    #[arg(long)]
    pub force: bool,
    /// The mail host's public IPv4 address (A record, SPF, PTR)
    #[arg(long, value_name = "ADDR")]
    pub ipv4: Option<std::net::Ipv4Addr>,
    /// The mail host's public IPv6 address (AAAA record, SPF, PTR)
    #[arg(long, value_name = "ADDR")]
    pub ipv6: Option<std::net::Ipv6Addr>,
}

pub async fn run(args: InitArgs, config_flag: Option<&Path>, mut out: Out) -> Result<()> {
    let config_path = crate::config::init_path(config_flag);
    let r = init(InitOptions {
        config_path,
        domain: args.domain,
        hostname: args.hostname,
        data_dir: args.data_dir,
        database: args.database,
        force: args.force,
        ipv4: args.ipv4,
        ipv6: args.ipv6,
    })
    .await?;
    if out.json {
        out.json(&r)?;
    } else {
        out.line(format!("mailctl is set up for {}.", r.domain))?;
        out.table(kv_table(&[
            ("config", r.config.display().to_string()),
            ("data dir", r.data_dir.display().to_string()),
            ("database", r.database.clone()),
            ("hostname", r.hostname.clone()),
        ]))?;
        out.line(format!("next: mailctl account create user@{} --tier vip", r.domain))?;
    }
    out.flush()?;
    Ok(())
}

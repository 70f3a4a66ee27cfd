//! `mailctl dns records|publish|check`

use clap::{Subcommand, ValueEnum};

use super::Ctx;
use super::output::table;
use crate::dns::value::to_zone;
use crate::error::Result;
use crate::ops::dns as ops;

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
}

pub async fn run(cmd: DnsCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    match cmd {
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

//! `mailctl client-config ADDRESS [--format …]`: what a mail client needs for an account.

use clap::{Args, ValueEnum};

use super::Ctx;
use crate::error::Result;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// For people: host, ports, security, user name
    Text,
    /// For scripts
    Json,
    /// Thunderbird's autoconfig XML
    Thunderbird,
    /// Microsoft Autodiscover (POX) response XML
    Autodiscover,
    /// An Apple configuration profile, signed with the server's certificate (DER)
    Mobileconfig,
}

#[derive(Debug, Args)]
pub struct ClientConfigArgs {
    /// The account's address
    pub address: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub async fn run(args: ClientConfigArgs, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    let s = crate::ops::client_config::for_account(&ctx.config, &store, &args.address).await?;
    let format = if ctx.out.json { Format::Json } else { args.format };
    match format {
        Format::Text => ctx.out.raw(s.text().as_bytes())?,
        Format::Json => ctx.out.json(&s)?,
        Format::Thunderbird => ctx.out.raw(s.thunderbird().as_bytes())?,
        Format::Autodiscover => ctx.out.raw(s.autodiscover().as_bytes())?,
        Format::Mobileconfig => {
            let signed = crate::ops::client_config::signed_mobileconfig(&ctx.config, &s)?;
            ctx.out.raw(&signed)?
        }
    }
    Ok(())
}

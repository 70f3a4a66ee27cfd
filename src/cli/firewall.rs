//! `mailctl firewall`: the rules that admit the listeners the config enables; printed, or
//! run with `--apply`.

use std::io::IsTerminal;

use clap::Args;

use super::Ctx;
use crate::error::{Error, Kind, Result};
use crate::ops::firewall::{Format, ports, rules};

#[derive(Debug, Args)]
pub struct FirewallArgs {
    /// The tool to write rules for (default: ufw when installed, else nftables, else iptables)
    #[arg(long, value_parser = Format::NAMES.to_vec())]
    format: Option<String>,
    /// Run the rules after showing them (asks first on a terminal)
    #[arg(long)]
    apply: bool,
    /// With --apply: run them without asking (needed without a terminal)
    #[arg(long, requires = "apply")]
    yes: bool,
}

pub async fn run(a: FirewallArgs, ctx: &mut Ctx) -> Result<()> {
    let format = match &a.format {
        Some(f) => Format::parse(f)?,
        None => Format::detect(),
    };
    let open = ports(&ctx.config);
    let commands = rules(format, &open);
    if ctx.out.json {
        let json = serde_json::json!({ "ports": open, "commands": commands });
        ctx.out.json(&json)?;
    } else {
        for c in &commands {
            ctx.out.line(c)?;
        }
    }
    if !a.apply {
        return Ok(());
    }
    if !a.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Error::usage("firewall --apply without a terminal needs --yes"));
        }
        eprint!("run these {} commands? [y/N] ", commands.len());
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !answer.trim().eq_ignore_ascii_case("y") {
            return Err(Error::usage("not applied"));
        }
    }
    for c in &commands {
        let status = std::process::Command::new("sh").arg("-c").arg(c).status()?;
        if !status.success() {
            return Err(Error::new(Kind::Unavailable, format!("{c:?} failed ({status}); the commands before it ran")));
        }
    }
    ctx.note(format!("applied {} commands", commands.len()));
    Ok(())
}

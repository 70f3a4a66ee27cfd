//! `firewall`: the rules in force (read only: `nft list ruleset`, else `iptables-save`) admit
//! every port the config opens; a port they drop is named with the command that admits it
//! (the one `mailctl firewall` prints).

use std::time::Duration;

use super::{Check, Ctx};
use crate::ops::firewall::{Format, InForce, parse_iptables, parse_nft, ports, rule};

/// The rules in force and the tool that showed them; None when no tool answered.
async fn in_force() -> Option<(&'static str, InForce)> {
    async fn output(cmd: &str, args: &[&str]) -> Option<String> {
        let run = tokio::process::Command::new(cmd).args(args).kill_on_drop(true).output();
        let out = tokio::time::timeout(Duration::from_secs(5), run).await.ok()?.ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
    if let Some(text) = output("nft", &["list", "ruleset"]).await {
        return Some(("nft list ruleset", parse_nft(&text)));
    }
    if let Some(text) = output("iptables-save", &[]).await {
        return Some(("iptables-save", parse_iptables(&text)));
    }
    None
}

pub async fn run(ctx: &Ctx<'_>) -> Vec<Check> {
    let wanted = ports(ctx.cfg);
    let Some((tool, rules)) = in_force().await else {
        return vec![Check::unknown(
            "firewall",
            "neither nft nor iptables-save could be run: the rules in force are unknown",
        )];
    };
    if !rules.drops_by_default {
        return vec![Check::pass("firewall", format!("{tool}: incoming connections are not dropped by default"))];
    }
    let format = match Format::detect() {
        Format::Ufw => Format::Ufw,
        _ if tool == "nft list ruleset" => Format::Nftables,
        _ => Format::Iptables,
    };
    wanted
        .iter()
        .map(|p| {
            let id = format!("firewall.{}", p.port);
            if rules.admits(p.port) {
                Check::pass(id, format!("{tool}: port {} ({}) is admitted", p.port, p.service))
            } else {
                Check::fail(
                    id,
                    format!(
                        "{tool}: incoming connections are dropped, and port {} ({}) is not admitted",
                        p.port, p.service
                    ),
                    rule(format, p),
                )
            }
        })
        .collect()
}

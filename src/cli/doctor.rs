//! `mailctl doctor`: the deployment checklist, checked on the live system.

use clap::Args;

use super::Ctx;
use crate::error::{Error, Kind, Result};
use crate::ops::doctor::{self, Status};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Check only this domain's DNS (default: every domain)
    #[arg(long)]
    domain: Option<String>,
    /// Leave these checks out (repeat or comma-separate): config, dns, certificates, listening,
    /// firewall, outbound25, blocklists, open-relay, roundtrip, filters, operations
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// Run only these checks
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

pub async fn run(a: DoctorArgs, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    let checks = doctor::run(&store, &ctx.config, a.domain.as_deref(), &a.only, &a.skip).await?;
    if ctx.out.json {
        ctx.out.json_array(&checks)?;
    } else {
        for c in &checks {
            ctx.out.line(format!("{:<7} {:<34} {}", c.status.as_str().to_uppercase(), c.id, c.evidence))?;
            if let Some(fix) = &c.fix {
                ctx.out.line(format!("{:<7} {:<34} fix: {fix}", "", ""))?;
            }
        }
    }
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    let (failed, unknown) = (count(Status::Fail), count(Status::Unknown));
    if failed > 0 {
        return Err(Error::new(Kind::Invalid, format!("doctor: {failed} of {} checks failed", checks.len())));
    }
    if !checks.is_empty() && unknown == checks.len() {
        return Err(Error::new(Kind::Unavailable, "doctor: nothing could be checked"));
    }
    ctx.note(format!("doctor: {} passed, {} warnings, {unknown} unknown", count(Status::Pass), count(Status::Warn)));
    Ok(())
}

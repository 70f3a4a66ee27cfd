//! `mailctl account create|list|show|passwd|set-tier|suspend|resume|delete|import`

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::output::{kv_table, table, time};
use super::{Ctx, read_password};
use crate::error::{Error, Result};
use crate::ops::account::{self as ops, NewAccount, NewPassword};
use crate::ops::import;
use crate::size::{Limit, human};
use crate::store::{Account, Status};
use crate::tier::Tier;

#[derive(Debug, Args)]
#[group(id = "password_source", multiple = false)]
pub struct PasswordArgs {
    /// Read the password from the first line of stdin
    #[arg(long, group = "password_source")]
    pub password_stdin: bool,
    /// Read the password from the first line of FILE
    #[arg(long, value_name = "FILE", group = "password_source")]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AccountCmd {
    /// Create an account with a mailbox (a random password is printed once unless one is given)
    Create {
        address: String,
        /// vip (1 GiB), paid (5 GiB) or business (50 GiB, aliases); guest and free have no mailbox
        #[arg(long, value_parser = parse_tier)]
        tier: Tier,
        /// The external user id of the account's owner
        #[arg(long, value_name = "ID")]
        owner: Option<String>,
        /// Override the tier's quota: 500M, 5GiB, unlimited
        #[arg(long, value_name = "SIZE")]
        quota: Option<String>,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// List accounts
    List {
        #[arg(long)]
        domain: Option<String>,
        #[arg(long, value_parser = parse_tier)]
        tier: Option<Tier>,
    },
    /// Show one account
    Show { address: String },
    /// Set a new password
    Passwd {
        address: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Change the tier (the quota follows unless set by hand)
    SetTier {
        address: String,
        #[arg(value_parser = parse_tier)]
        tier: Tier,
    },
    /// Stop the account from logging in (it still receives mail)
    Suspend { address: String },
    /// Let a suspended account log in again
    Resume { address: String },
    /// Delete an account and its mail
    Delete {
        address: String,
        /// Keep the Maildir on disk
        #[arg(long)]
        keep_mail: bool,
        /// Also remove alias destinations that point at it
        #[arg(long)]
        force: bool,
    },
    /// Import users from a Dovecot passwd-file, keeping their password hashes
    Import {
        #[arg(long, value_name = "FILE")]
        dovecot_passwd: PathBuf,
        #[arg(long, value_parser = parse_tier)]
        tier: Tier,
        /// Domain for user names without one
        #[arg(long)]
        domain: Option<String>,
        /// Report what would happen; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Import the acceptable lines even if some are refused (default: all or nothing)
        #[arg(long)]
        skip_refused: bool,
    },
}

fn parse_tier(s: &str) -> std::result::Result<Tier, String> {
    Tier::parse(s).map_err(|e| e.message)
}

pub fn quota_text(a: &Account) -> String {
    a.limit().to_string()
}

fn show_table(a: &Account) -> comfy_table::Table {
    kv_table(&[
        ("address", a.address.clone()),
        ("tier", a.tier.to_string()),
        (
            "status",
            match a.suspended_reason {
                Some("tier") => format!("suspended: the {} tier has no mailbox (mail kept)", a.tier),
                _ => a.status.as_str().to_string(),
            },
        ),
        ("owner", a.owner.clone().unwrap_or_else(|| "-".into())),
        ("quota", format!("{}{}", quota_text(a), if a.quota_custom { " (custom)" } else { "" })),
        ("used", format!("{} in {} message(s)", human(a.used_bytes), a.messages)),
        ("password", crate::password::scheme(&a.password_hash).unwrap_or("unknown").to_string()),
        ("created", time(Some(a.created_at))),
        ("last login", time(a.last_login_at)),
    ])
}

pub async fn run(cmd: AccountCmd, ctx: &mut Ctx) -> Result<()> {
    // Refuse mailbox-less tiers before touching the store, so nothing is written.
    if let AccountCmd::Create { tier, .. } | AccountCmd::Import { tier, .. } = &cmd {
        tier.require_mailbox()?;
    }
    let store = ctx.store().await?;
    match cmd {
        AccountCmd::Create { address, tier, owner, quota, password } => {
            let quota = quota.as_deref().map(Limit::parse).transpose()?;
            let pw = read_password(password.password_stdin, password.password_file.as_deref())?;
            let created = ops::create(
                &store,
                NewAccount {
                    address,
                    tier,
                    owner,
                    quota,
                    password: pw.map(NewPassword::Given).unwrap_or(NewPassword::Generate),
                },
            )
            .await?;
            let shown = show_created(ctx, &created);
            if let Err(e) = shown {
                if created.password.is_some() {
                    // Nobody saw the password: undo, rather than leave an account no one can use.
                    let _ = ops::delete(&store, &created.account.address, false, false).await;
                    return Err(Error::new(
                        crate::error::Kind::Io,
                        "cannot show the generated password; account not created",
                    )
                    .with_source(e));
                }
                return Err(e.into());
            }
        }
        AccountCmd::List { domain, tier } => {
            let list = ops::list(&store, domain.as_deref(), tier).await?;
            if ctx.out.json {
                ctx.out.json_array(&list)?;
            } else {
                let mut t = table(&["address", "tier", "status", "quota", "used", "last login"]);
                for a in &list {
                    t.add_row(vec![
                        a.address.clone(),
                        a.tier.to_string(),
                        a.status.as_str().to_string(),
                        quota_text(a),
                        human(a.used_bytes),
                        time(a.last_login_at),
                    ]);
                }
                ctx.out.table(t)?;
            }
        }
        AccountCmd::Show { address } => {
            let a = ops::get(&store, &address).await?;
            if ctx.out.json {
                ctx.out.json(&a)?;
            } else {
                ctx.out.table(show_table(&a))?;
            }
        }
        AccountCmd::Passwd { address, password } => {
            let pw = read_password(password.password_stdin, password.password_file.as_deref())?
                .ok_or_else(|| Error::usage("give the new password with --password-stdin or --password-file"))?;
            let a = ops::set_password(&store, &address, pw).await?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "address": a.address, "password_changed": true }))?;
            } else {
                ctx.note(format!("password changed for {}", a.address));
            }
        }
        AccountCmd::SetTier { address, tier } => {
            let a = ops::set_tier(&store, &address, tier).await?;
            if ctx.out.json {
                ctx.out.json(&a)?;
            } else {
                if a.suspended_reason == Some("tier") {
                    ctx.note(format!(
                        "{} is now {}: suspended, as email requires the vip tier or higher (no login, inbound \
                         mail refused with 550 5.2.1; its mail is kept, and moving it to vip or higher resumes it)",
                        a.address, a.tier
                    ));
                } else {
                    ctx.note(format!("{} is now {} (quota {})", a.address, a.tier, quota_text(&a)));
                }
                if a.over_quota() {
                    ctx.note(format!("warning: {} is over its quota", a.address));
                }
            }
        }
        AccountCmd::Suspend { address } => status(ctx, &store, &address, Status::Suspended).await?,
        AccountCmd::Resume { address } => status(ctx, &store, &address, Status::Active).await?,
        AccountCmd::Delete { address, keep_mail, force } => {
            let d = ops::delete(&store, &address, keep_mail, force).await?;
            if ctx.out.json {
                ctx.out.json(&d)?;
            } else {
                ctx.note(format!("deleted {}{}", d.address, if d.mail_kept { " (mail kept on disk)" } else { "" }));
            }
        }
        AccountCmd::Import { dovecot_passwd, tier, domain, dry_run, skip_refused } => {
            let text = std::fs::read_to_string(&dovecot_passwd)
                .map_err(|e| Error::io("reading passwd-file", &dovecot_passwd, e))?;
            let r = import::dovecot_passwd(&store, &text, tier, domain.as_deref(), dry_run, skip_refused).await?;
            if ctx.out.json {
                ctx.out.json(&r)?;
            } else {
                let mut t = table(&["line", "user", "outcome", "detail"]);
                for l in &r.lines {
                    let detail = l.reason.clone().or(l.scheme.map(String::from)).unwrap_or_default();
                    t.add_row(vec![l.line.to_string(), l.user.clone(), l.outcome.replace('_', " "), detail]);
                }
                ctx.out.table(t)?;
            }
            let would = r.lines.len() - r.refused;
            if r.refused > 0 && !skip_refused && !dry_run {
                return Err(Error::invalid(format!("{} line(s) refused; nothing imported", r.refused))
                    .with_hint("fix or remove those lines, or pass --skip-refused to import the rest"));
            }
            if dry_run {
                ctx.note(format!("dry run: would import {would}, refused {}", r.refused));
            } else {
                ctx.note(format!("imported {}, refused {}", r.imported, r.refused));
            }
        }
    }
    Ok(())
}

fn show_created(ctx: &mut Ctx, created: &ops::Created) -> std::io::Result<()> {
    if ctx.out.json {
        ctx.out.json(created)?;
    } else if let Some(pw) = &created.password {
        ctx.out.line(format!("password: {pw}"))?;
    }
    ctx.out.flush()?;
    ctx.note(format!(
        "created {} ({}, quota {})",
        created.account.address,
        created.account.tier,
        quota_text(&created.account)
    ));
    if created.password.is_some() && !ctx.out.json {
        ctx.note("(the password is shown once; it is stored only as a hash)");
    }
    Ok(())
}

async fn status(ctx: &mut Ctx, store: &crate::store::Store, address: &str, s: Status) -> Result<()> {
    let (a, changed) = ops::set_status(store, address, s).await?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "address": a.address, "status": a.status, "changed": changed }))?;
    } else if changed {
        ctx.note(format!("{} is now {}", a.address, a.status.as_str()));
    } else {
        ctx.note(format!("{} was already {}", a.address, a.status.as_str()));
    }
    Ok(())
}

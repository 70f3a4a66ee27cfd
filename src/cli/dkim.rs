//! `mailctl dkim generate|list|show|rotate|activate|retire|sign`

use std::io::Read;

use clap::Subcommand;

use super::Ctx;
use super::output::table;
use crate::error::{Error, Result};
use crate::ops::dkim as ops;

#[derive(Debug, Subcommand)]
pub enum DkimCmd {
    /// Create a DKIM key for a domain (active if it is the domain's first of its kind)
    Generate {
        #[arg(long)]
        domain: String,
        /// DNS label(s) for the key; default: the date and r (rsa) or e (ed25519)
        #[arg(long)]
        selector: Option<String>,
        #[arg(long, default_value = "rsa-2048", value_parser = ["rsa-2048", "rsa-4096", "ed25519"])]
        algorithm: String,
    },
    /// List DKIM keys and their status
    List {
        #[arg(long)]
        domain: Option<String>,
    },
    /// The TXT records to publish for a domain's keys
    Show {
        #[arg(long)]
        domain: String,
    },
    /// Create the next key as pending; publish its record, then `dkim activate`
    Rotate {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        selector: Option<String>,
        #[arg(long, default_value = "rsa-2048", value_parser = ["rsa-2048", "rsa-4096", "ed25519"])]
        algorithm: String,
        /// Publish the new selector through the DNS provider, wait until every authoritative
        /// server answers it, then sign with it (the old key stays published for dkim_grace_days)
        #[arg(long)]
        publish: bool,
        #[command(flatten)]
        provider: super::dns::ProviderArgs,
        #[command(flatten)]
        wait: super::dns::WaitArgs,
    },
    /// Sign with this key from now on (the previous key stays published)
    Activate {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        selector: String,
    },
    /// Stop signing with and publishing a key, and delete its private key
    Retire {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        selector: String,
        /// Also delete its record through the DNS provider
        #[arg(long)]
        publish: bool,
        #[command(flatten)]
        provider: super::dns::ProviderArgs,
    },
    /// Sign a message (stdin or FILE) with the domain's active keys and print it (to test keys)
    Sign {
        #[arg(long)]
        domain: String,
        file: Option<std::path::PathBuf>,
    },
}

fn print_key(ctx: &mut Ctx, k: &crate::store::dkim::DkimKey, next: Option<String>) -> Result<()> {
    let r = crate::dkim::txt(k);
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "key": k, "record": r }))?;
    } else {
        ctx.out.line(format!("{}. IN TXT \"{}\"", r.name, r.value))?;
        ctx.note(format!("{} key {} for {} is {}", k.algorithm, k.selector, k.domain, k.status));
        if let Some(n) = next {
            ctx.note(n);
        }
    }
    Ok(())
}

pub async fn run(cmd: DkimCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    match cmd {
        DkimCmd::Generate { domain, selector, algorithm } => {
            let k = ops::generate(&store, &domain, selector.as_deref(), &algorithm, false).await?;
            let next = (k.status == "pending").then(|| {
                format!(
                    "publish the record, then: mailctl dkim activate --domain {} --selector {}",
                    k.domain, k.selector
                )
            });
            print_key(ctx, &k, next)?;
        }
        DkimCmd::Rotate { domain, selector, algorithm, publish, provider, wait } => {
            // The provider is checked before a key is made.
            let p =
                publish.then(|| crate::dns::provider::Provider::new(&provider.settings(&ctx.config))).transpose()?;
            let k = ops::generate(&store, &domain, selector.as_deref(), &algorithm, true).await?;
            let Some(mut p) = p else {
                let next = format!(
                    "publish the record, wait for the DNS TTL, then: mailctl dkim activate --domain {} --selector {}",
                    k.domain, k.selector
                );
                return print_key(ctx, &k, Some(next));
            };
            let name = crate::dkim::record_name(&k.domain, &k.selector);
            let (records, _) = crate::ops::dns::publish_name(&ctx.config, &store, &mut p, &k.domain, &name).await?;
            let record = records.into_iter().next().ok_or_else(|| {
                Error::new(crate::error::Kind::Internal, format!("{name} is not among the records to publish"))
            })?;
            ctx.note(format!("published {} at {}; waiting for the authoritative servers", record.name, p.name()));
            let retry =
                format!("once it is visible: mailctl dkim activate --domain {} --selector {}", k.domain, k.selector);
            super::dns::wait_visible(ctx, &k.domain, std::slice::from_ref(&record), &p, &wait)
                .await
                .map_err(|e| e.with_hint(retry))?;
            let k = ops::activate(&store, &k.domain, &k.selector).await?;
            print_key(
                ctx,
                &k,
                Some(format!(
                    "{} signs from now on; the previous key stays published for {} days",
                    k.selector, ctx.config.dns.dkim_grace_days
                )),
            )?;
        }
        DkimCmd::List { domain } => {
            let list = ops::list(&store, domain.as_deref()).await?;
            if ctx.out.json {
                ctx.out.json_array(&list)?;
            } else {
                let mut t = table(&["domain", "selector", "algorithm", "status", "created"]);
                for k in &list {
                    t.add_row(vec![
                        k.domain.clone(),
                        k.selector.clone(),
                        k.algorithm.clone(),
                        k.status.clone(),
                        super::output::time(Some(k.created_at)),
                    ]);
                }
                ctx.out.table(t)?;
            }
        }
        DkimCmd::Show { domain } => {
            let records = ops::show(&store, &domain).await?;
            if ctx.out.json {
                ctx.out.json_array(&records)?;
            } else {
                if records.is_empty() {
                    ctx.note(format!("{domain} has no DKIM keys: mailctl dkim generate --domain {domain}"));
                }
                for r in &records {
                    ctx.out.line(format!("{}. IN TXT \"{}\" ; {}", r.name, r.value, r.status))?;
                }
            }
        }
        DkimCmd::Activate { domain, selector } => {
            let k = ops::activate(&store, &domain, &selector).await?;
            print_key(ctx, &k, None)?;
        }
        DkimCmd::Retire { domain, selector, publish, provider } => {
            // The provider is checked before anything changes.
            let mut p =
                publish.then(|| crate::dns::provider::Provider::new(&provider.settings(&ctx.config))).transpose()?;
            let k = ops::retire(&store, &domain, &selector).await?;
            let name = crate::dkim::record_name(&k.domain, &k.selector);
            if let Some(p) = p.as_mut() {
                let (_, n) =
                    crate::ops::dns::publish_name(&ctx.config, &store, p, &k.domain, &name).await.map_err(|e| {
                        e.with_hint(format!(
                            "the key is retired; `mailctl dns publish --domain {}` removes {name}",
                            k.domain
                        ))
                    })?;
                ctx.note(format!(
                    "retired {} for {}; {name} removed at {} ({n} change)",
                    k.selector,
                    k.domain,
                    p.name()
                ));
            } else {
                ctx.note(format!(
                    "retired {} for {}: remove its DNS record {name} (or run mailctl dns publish)",
                    k.selector, k.domain
                ));
            }
            if ctx.out.json {
                ctx.out.json(&k)?;
            }
        }
        DkimCmd::Sign { domain, file } => {
            let mut message = Vec::new();
            match &file {
                Some(p) => message = std::fs::read(p).map_err(|e| Error::io("reading", p, e))?,
                None => {
                    std::io::stdin()
                        .read_to_end(&mut message)
                        .map_err(|e| Error::io("reading", std::path::Path::new("standard input"), e))?;
                }
            }
            let domain = crate::names::domain(&domain)?;
            let headers = ops::sign(&store, &domain, &message).await?;
            if headers.is_empty() {
                return Err(Error::not_found(format!("{domain} has no active DKIM key"))
                    .with_hint(format!("mailctl dkim generate --domain {domain}")));
            }
            let mut out = headers.concat().into_bytes();
            out.extend_from_slice(&message);
            ctx.out.raw(&out)?;
        }
    }
    Ok(())
}

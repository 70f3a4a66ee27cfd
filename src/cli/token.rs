//! `mailctl token create|list|revoke`: tokens for the HTTP admin API (`/api/v1`).

use clap::Subcommand;

use super::Ctx;
use super::output::{table, time};
use crate::error::Result;
use crate::ops::token::{self as ops, Scope};

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create a token and print it once (only its hash is kept)
    Create {
        /// A name for people and the audit log (letters, digits, '-', '_', '.')
        #[arg(long)]
        name: String,
        /// What it may do, comma-separated: accounts:read, accounts:write, aliases:read,
        /// aliases:write, domains:read, queue:read, queue:write, dns:read
        #[arg(long, value_delimiter = ',', required = true, value_parser = parse_scope)]
        scope: Vec<Scope>,
        /// Lifetime such as 90d or 12h (default: no expiry)
        #[arg(long, value_parser = super::span::parse)]
        expires: Option<i64>,
    },
    /// List tokens (never their secrets)
    List,
    /// Revoke a token: refused at once, kept in the list
    Revoke { name: String },
}

fn parse_scope(s: &str) -> std::result::Result<Scope, String> {
    Scope::parse(s).map_err(|e| e.message)
}

fn state(t: &crate::store::api_tokens::Token) -> &'static str {
    match (t.revoked_at, t.expires_at) {
        (Some(_), _) => "revoked",
        (None, Some(e)) if e <= crate::store::now() => "expired",
        _ => "active",
    }
}

pub async fn run(cmd: TokenCmd, ctx: &mut Ctx) -> Result<()> {
    let store = ctx.store().await?;
    match cmd {
        TokenCmd::Create { name, scope, expires } => {
            let c = ops::create(&store, &name, &scope, expires).await?;
            if ctx.out.json {
                ctx.out.json(&c)?;
            } else {
                ctx.out.line(&c.secret)?;
                ctx.note(format!(
                    "token {} created ({}{}); it is shown only now: keep it in your secret store",
                    c.token.name,
                    c.token.scopes.join(","),
                    c.token.expires_at.map(|e| format!(", expires {}", time(Some(e)))).unwrap_or_default()
                ));
            }
        }
        TokenCmd::List => {
            let list = ops::list(&store).await?;
            if ctx.out.json {
                ctx.out.json_array(&list)?;
            } else {
                let mut t = table(&["name", "prefix", "scopes", "state", "created", "expires", "last used"]);
                for k in &list {
                    t.add_row(vec![
                        k.name.clone(),
                        k.prefix.clone(),
                        k.scopes.join(","),
                        state(k).to_string(),
                        time(Some(k.created_at)),
                        time(k.expires_at),
                        time(k.last_used_at),
                    ]);
                }
                ctx.out.table(t)?;
            }
        }
        TokenCmd::Revoke { name } => {
            let t = ops::revoke(&store, &name).await?;
            if ctx.out.json {
                ctx.out.json(&t)?;
            } else {
                ctx.note(format!("token {} revoked", t.name));
            }
        }
    }
    Ok(())
}

//! Use cases: what the CLI (and later the server) does to the store. No printing, no clap.
//! Each operation validates everything first and changes the store in one transaction, so a
//! failed operation leaves the store as it was.

pub mod account;
pub mod alias;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cert;
pub mod client_config;
pub mod credential_cache;
pub mod dane;
pub mod deliver;
pub mod dkim;
pub mod dns;
pub mod doctor;
pub mod domain;
pub mod filter;
pub mod filter_rules;
pub mod firewall;
pub mod fts;
pub mod greylist;
pub mod hashing;
pub mod import;
pub mod init;
pub mod mailbox;
pub mod mailbox_verify;
pub mod maildrop;
pub mod migrate;
pub mod mta_sts;
pub mod queue;
pub mod quota;
pub mod recipient;
pub mod reindex;
pub mod report;
pub mod restore;
pub mod restore_account;
pub mod search;
pub mod sort_fields;
pub mod submit;
pub mod tls_policy;
pub mod tls_report;
pub mod token;
pub mod transport;
pub mod vacation;
pub mod webmail;

use sqlx::AnyConnection;

use crate::error::{Error, Result};
use crate::names::Address;
use crate::store::{Account, accounts, domains};

pub use crate::store::{blocking, here_or_blocking};

/// Fetch an account by address (any case), or say it does not exist (exit 67).
pub async fn require_account(conn: &mut AnyConnection, addr: &Address) -> Result<Account> {
    accounts::get(conn, &addr.to_string()).await?.ok_or_else(|| Error::not_found(format!("no such account {addr}")))
}

/// Check that a domain is one of ours (exit 67 otherwise), with a hint to add it.
pub async fn require_domain(conn: &mut AnyConnection, domain: &str) -> Result<()> {
    if domains::exists(conn, domain).await? {
        Ok(())
    } else {
        Err(Error::not_found(format!("domain {domain} does not exist"))
            .with_hint(format!("add it with `mailctl domain add {domain}`")))
    }
}

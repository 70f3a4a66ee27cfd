//! mailctl: one binary that runs a whole self-hosted mail system for a domain.
//!
//! # Layout
//! - [`cli`]: the clap tree; one file per subcommand group; parses, calls [`ops`], prints.
//! - [`ops`]: use cases (create an account, add an alias, ...); no printing, no clap.
//! - [`store`]: the SQL store (SQLite or PostgreSQL via sqlx `Any`) and the data directory
//!   (Maildir layout in [`store::maildir`]).
//! - [`proto`]: sans-I/O protocol codecs (SMTP, IMAP, POP3).
//! - [`server`]: `mailctl serve`: listeners, TLS, limits, SMTP sessions.
//! - [`filter`]: inbound mail's checks (SPF, DKIM, DMARC, ARC, iprev, spamd, rspamd, clamd)
//!   and the one decision made from their verdicts.
//! - [`config`]: `mailctl.toml`, its lookup order and its keys.
//! - [`names`]: domain and address validation (IDN to A-labels, RFC 5321 limits).
//! - [`password`]: Argon2id hashing and the Dovecot schemes accepted on import.
//! - [`size`]: sizes like `5GiB` and `unlimited`.
//! - [`tier`]: account tiers and what each includes.
//! - [`error`]: the error type and its sysexits codes.
//! - [`fsutil`], [`ids`], [`running`], [`netaddr`], [`tls_material`], [`dkim`]: helpers that
//!   several layers need (durable writes and locks, transaction ids, the running server's
//!   lock and listeners, next hops and server addresses, rustls builders and self-signed
//!   certificates, DKIM record values).
//!
//! The layers these modules form, and the rule that every `use crate::` goes down them, are
//! in docs/ARCHITECTURE.md (checked by `tests/it/layers.rs`).

pub mod backup;
pub mod cert;
pub mod cli;
pub mod config;
pub mod dkim;
pub mod dns;
pub mod dsn;
pub mod error;
pub mod filter;
pub mod fsutil;
pub mod httpd;
pub mod ids;
pub mod metrics;
pub mod names;
pub mod netaddr;
pub mod ops;
pub mod password;
pub mod placement;
pub mod proto;
pub mod recent_errors;
pub mod running;
pub mod server;
pub mod size;
pub mod store;
pub mod tier;
pub mod tls_material;

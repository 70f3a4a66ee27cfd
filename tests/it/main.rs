//! Integration tests: the real `mailctl` binary in a temporary directory, on SQLite and on the
//! PostgreSQL server that `.ci/run` starts (MAILCTL_TEST_PG_URL).

#[macro_use]
mod util;

mod account;
mod alias;
mod api;
mod autoconfig;
mod backup;
mod cert;
mod cli;
mod config;
mod crash;
mod credential_cache;
mod dkim;
mod dns;
mod docs;
mod doctor;
mod domain;
mod filter;
mod imap;
mod imap_sessions;
mod imap_sort;
mod import;
mod init;
mod layers;
mod mailbox;
mod metrics;
mod migrate;
mod outbound;
mod placement;
mod pop3;
mod queue;
mod quota;
mod report;
mod search;
mod server;
mod smtp;
mod transport;
mod webmail;

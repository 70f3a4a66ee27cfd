//! `mailctl serve`'s web listeners, HTTP (80) and HTTPS (443), on hyper and axum
//! (`crate::httpd`): the routes of every web face, chosen by path and Host.
//! - `api/`: the admin API under `/api/v1` (and `POST /api/email/create`);
//! - `autoconfig.rs`: Thunderbird autoconfig, Autodiscover, Apple configuration profiles;
//! - `webmail/`: the webmail under `/webmail/` (and `/` of `webmail_host`);
//! - `metrics.rs` (on `metrics_listen` only) and `health.rs` (there and on the web listeners);
//! - `well_known`: ACME HTTP-01 answers and the MTA-STS policy of each served domain
//!   (TLS-ALPN-01 is answered in the TLS handshake, by `cert::challenge::AlpnResolver`).
//!
//! Everything else is 404.

pub mod api;
mod autoconfig;
pub mod health;
mod metrics;
mod webmail;
mod well_known;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpStream;

use super::Shared;
use crate::httpd::Served;

/// Every route of the web listeners.
pub fn router(shared: Arc<Shared>) -> Router {
    well_known::routes(shared.clone())
        .merge(api::routes(shared.clone()))
        .merge(health::routes(shared.clone()))
        .merge(autoconfig::routes(shared.clone()))
        .merge(webmail::routes(shared))
        .fallback(not_found)
}

/// The routes of the metrics listener: `/metrics` and the health checks.
pub fn metrics_router(shared: Arc<Shared>) -> Router {
    metrics::routes(shared.clone()).merge(health::routes(shared)).fallback(not_found)
}

async fn not_found() -> (axum::http::StatusCode, [(axum::http::HeaderName, &'static str); 1], &'static str) {
    (axum::http::StatusCode::NOT_FOUND, [(axum::http::header::CONTENT_TYPE, "text/plain")], "not found\n")
}

pub async fn run(shared: Arc<Shared>, app: Router, tls: bool, tcp: TcpStream, peer: SocketAddr) {
    let acceptor = tls.then(|| shared.tls.https_acceptor());
    // TLS-ALPN-01 answers are logged by the certificate resolver.
    if crate::httpd::serve(tcp, peer, acceptor, app, Some(shared.shutdown.clone())).await == Served::HandshakeFailed {
        tracing::debug!(%peer, "https: handshake failed");
    }
}

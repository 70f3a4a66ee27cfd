//! Fixed answers under `/.well-known/`: ACME HTTP-01 (from the files `cert issue` writes) and
//! the MTA-STS policy at `https://mta-sts.<domain>/.well-known/mta-sts.txt` for each served
//! domain (RFC 8461 §3.3).

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::server::Shared;

pub fn routes(shared: Arc<Shared>) -> Router {
    let data_dir = shared.config().data_dir.clone();
    crate::cert::challenge::http01_routes(&data_dir).route(
        "/.well-known/mta-sts.txt",
        get(async move |req: axum::extract::Request| mta_sts(&shared, &crate::httpd::host(&req)).await),
    )
}

async fn mta_sts(shared: &Shared, host: &str) -> Response {
    let text = |status, body: String| (status, [(header::CONTENT_TYPE, "text/plain")], body).into_response();
    let Some(domain) = host.strip_prefix("mta-sts.") else {
        return text(StatusCode::NOT_FOUND, "not found\n".into());
    };
    let store = shared.store();
    let found = match store.pool.acquire().await {
        Ok(mut conn) => crate::store::domains::exists(&mut conn, domain).await,
        Err(e) => Err(e.into()),
    };
    match found {
        Ok(true) => {
            let cfg = shared.config();
            text(StatusCode::OK, crate::dns::records::mta_sts_policy(&cfg.hostname, &cfg.dns))
        }
        Ok(false) => text(StatusCode::NOT_FOUND, "not found\n".into()),
        Err(e) => {
            tracing::error!(error = %e.one_line(), "reading the domains for the MTA-STS policy");
            text(StatusCode::SERVICE_UNAVAILABLE, "try again later\n".into())
        }
    }
}

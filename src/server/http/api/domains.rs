//! `/api/v1/domains` (read): the served domains, and each one's DKIM keys and the DNS records
//! it needs (the same records as `mailctl dns records`).

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
use axum::routing::get;

use super::{Api, Reply, json, malformed};
use crate::ops::token::Scope;
use crate::server::Shared;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v1/domains", get(list))
        .route("/api/v1/domains/{name}", get(show))
        .route("/api/v1/domains/{name}/dkim", get(dkim))
        .route("/api/v1/domains/{name}/dns", get(dns))
}

async fn list(api: Api) -> Reply {
    api.require(Scope::DomainsRead)?;
    Ok(json(StatusCode::OK, &serde_json::json!({ "items": crate::ops::domain::list(&api.store()).await? })))
}

async fn show(api: Api, name: Result<Path<String>, PathRejection>) -> Reply {
    api.require(Scope::DomainsRead)?;
    let Path(name) = name.map_err(malformed)?;
    Ok(json(StatusCode::OK, &crate::ops::domain::show(&api.store(), &name).await?))
}

async fn dkim(api: Api, name: Result<Path<String>, PathRejection>) -> Reply {
    api.require(Scope::DnsRead)?;
    let Path(name) = name.map_err(malformed)?;
    let store = api.store();
    let d = crate::ops::domain::show(&store, &name).await?;
    Ok(json(StatusCode::OK, &serde_json::json!({ "items": crate::ops::dkim::list(&store, Some(&d.name)).await? })))
}

async fn dns(api: Api, name: Result<Path<String>, PathRejection>) -> Reply {
    api.require(Scope::DnsRead)?;
    let Path(name) = name.map_err(malformed)?;
    let store = api.store();
    let d = crate::ops::domain::show(&store, &name).await?;
    let records = crate::ops::dns::desired(&api.shared.config(), &store, Some(&d.name)).await?;
    Ok(json(StatusCode::OK, &serde_json::json!({ "items": records })))
}

//! `/api/v1/domains` (read): the served domains, and each one's DKIM keys and the DNS records
//! it needs (the same records as `mailctl dns records`).

use std::sync::Arc;

use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Api, Reply, json, malformed};
use crate::ops::token::Scope;
use crate::server::Shared;

pub fn routes() -> OpenApiRouter<Arc<Shared>> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(show)).routes(routes!(dkim)).routes(routes!(dns))
}

#[utoipa::path(
    operation_id = "domains_list",
    get,
    path = "/api/v1/domains",
    tag = "domains",
    summary = "List the served domains",
    responses((status = 200, description = "items"), super::openapi::Errors),
    security(("bearer" = ["domains:read"]))
)]
async fn list(api: Api) -> Reply {
    api.require(Scope::DomainsRead)?;
    Ok(super::items(&crate::ops::domain::list(&api.store()).await?))
}

#[utoipa::path(
    operation_id = "domains_show",
    get,
    path = "/api/v1/domains/{name}",
    tag = "domains",
    summary = "One domain",
    params(("name" = String, Path, description = "the domain")),
    responses((status = 200, description = "the domain"), super::openapi::Errors),
    security(("bearer" = ["domains:read"]))
)]
async fn show(api: Api, name: Result<Path<String>, PathRejection>) -> Reply {
    api.require(Scope::DomainsRead)?;
    let Path(name) = name.map_err(malformed)?;
    Ok(json(StatusCode::OK, &crate::ops::domain::show(&api.store(), &name).await?))
}

#[utoipa::path(
    operation_id = "domains_dkim",
    get,
    path = "/api/v1/domains/{name}/dkim",
    tag = "dns",
    summary = "The domain's DKIM keys",
    params(("name" = String, Path, description = "the domain")),
    responses((status = 200, description = "items"), super::openapi::Errors),
    security(("bearer" = ["dns:read"]))
)]
async fn dkim(api: Api, name: Result<Path<String>, PathRejection>) -> Reply {
    api.require(Scope::DnsRead)?;
    let Path(name) = name.map_err(malformed)?;
    let store = api.store();
    let d = crate::ops::domain::show(&store, &name).await?;
    Ok(super::items(&crate::ops::dkim::list(&store, Some(&d.name)).await?))
}

#[utoipa::path(
    operation_id = "domains_dns",
    get,
    path = "/api/v1/domains/{name}/dns",
    tag = "dns",
    summary = "The DNS records the domain needs (as mailctl dns records)",
    params(("name" = String, Path, description = "the domain")),
    responses((status = 200, description = "items"), super::openapi::Errors),
    security(("bearer" = ["dns:read"]))
)]
async fn dns(api: Api, name: Result<Path<String>, PathRejection>) -> Reply {
    api.require(Scope::DnsRead)?;
    let Path(name) = name.map_err(malformed)?;
    let store = api.store();
    let d = crate::ops::domain::show(&store, &name).await?;
    let records = crate::ops::dns::desired(&api.shared.config(), &store, Some(&d.name)).await?;
    Ok(super::items(&records))
}

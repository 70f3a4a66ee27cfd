//! `/api/v1/aliases`: list, add destinations, remove (business-tier rules as in the CLI).

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Json, Path, Query};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Api, Reply, malformed};
use crate::ops::alias as ops;
use crate::ops::token::Scope;
use crate::server::Shared;

pub fn routes() -> OpenApiRouter<Arc<Shared>> {
    OpenApiRouter::new().routes(routes!(list, add)).routes(routes!(remove))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    domain: Option<String>,
}

#[utoipa::path(
    operation_id = "aliases_list",
    get,
    path = "/api/v1/aliases",
    tag = "aliases",
    summary = "List aliases",
    params(ListQuery),
    responses((status = 200, description = "items"), super::openapi::Errors),
    security(("bearer" = ["aliases:read"]))
)]
async fn list(api: Api, q: Result<Query<ListQuery>, QueryRejection>) -> Reply {
    api.require(Scope::AliasesRead)?;
    let Query(q) = q.map_err(malformed)?;
    Ok(super::items(&ops::list(&api.store(), q.domain.as_deref()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewAlias {
    address: String,
    destinations: Vec<String>,
}

#[utoipa::path(
    operation_id = "aliases_add",
    post,
    path = "/api/v1/aliases",
    tag = "aliases",
    summary = "Add an alias or destinations",
    request_body = NewAlias,
    responses((status = 201, description = "the alias"), super::openapi::Errors),
    security(("bearer" = ["aliases:write"]))
)]
async fn add(api: Api, body: Result<Json<NewAlias>, JsonRejection>) -> Reply {
    api.require(Scope::AliasesWrite)?;
    let Json(b) = body.map_err(malformed)?;
    let outcome = ops::add(&api.store(), &b.address, &b.destinations).await;
    api.wrote("alias.add", &b.address, StatusCode::CREATED, outcome).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct RemoveQuery {
    /// Only this destination (default: the whole alias).
    destination: Option<String>,
}

#[utoipa::path(
    operation_id = "aliases_remove",
    delete,
    path = "/api/v1/aliases/{address}",
    tag = "aliases",
    summary = "Remove an alias, or one destination",
    params(("address" = String, Path, description = "the alias"), RemoveQuery),
    responses((status = 200, description = "how many were removed"), super::openapi::Errors),
    security(("bearer" = ["aliases:write"]))
)]
async fn remove(
    api: Api,
    address: Result<Path<String>, PathRejection>,
    q: Result<Query<RemoveQuery>, QueryRejection>,
) -> Reply {
    api.require(Scope::AliasesWrite)?;
    let Path(address) = address.map_err(malformed)?;
    let Query(q) = q.map_err(malformed)?;
    let dests: Vec<String> = q.destination.into_iter().collect();
    let outcome = ops::remove(&api.store(), &address, &dests)
        .await
        .map(|n| serde_json::json!({ "address": address, "removed": n }));
    api.wrote("alias.remove", &address, StatusCode::OK, outcome).await
}

//! `/api/v1/aliases`: list, add destinations, remove (business-tier rules as in the CLI).

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Json, Path, Query};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use serde::Deserialize;

use super::{Api, Reply, json, malformed};
use crate::ops::alias as ops;
use crate::ops::token::Scope;
use crate::server::Shared;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/api/v1/aliases", get(list).post(add)).route("/api/v1/aliases/{address}", delete(remove))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    domain: Option<String>,
}

async fn list(api: Api, q: Result<Query<ListQuery>, QueryRejection>) -> Reply {
    api.require(Scope::AliasesRead)?;
    let Query(q) = q.map_err(malformed)?;
    Ok(json(StatusCode::OK, &serde_json::json!({ "items": ops::list(&api.store(), q.domain.as_deref()).await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAlias {
    address: String,
    destinations: Vec<String>,
}

async fn add(api: Api, body: Result<Json<NewAlias>, JsonRejection>) -> Reply {
    api.require(Scope::AliasesWrite)?;
    let Json(b) = body.map_err(malformed)?;
    let reply = match ops::add(&api.store(), &b.address, &b.destinations).await {
        Ok(a) => Ok(json(StatusCode::CREATED, &a)),
        Err(e) => Err(e.into()),
    };
    api.audit("alias.add", &b.address, &reply).await;
    reply
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveQuery {
    /// Only this destination (default: the whole alias).
    destination: Option<String>,
}

async fn remove(
    api: Api,
    address: Result<Path<String>, PathRejection>,
    q: Result<Query<RemoveQuery>, QueryRejection>,
) -> Reply {
    api.require(Scope::AliasesWrite)?;
    let Path(address) = address.map_err(malformed)?;
    let Query(q) = q.map_err(malformed)?;
    let dests: Vec<String> = q.destination.into_iter().collect();
    let reply = match ops::remove(&api.store(), &address, &dests).await {
        Ok(n) => Ok(json(StatusCode::OK, &serde_json::json!({ "address": address, "removed": n }))),
        Err(e) => Err(e.into()),
    };
    api.audit("alias.remove", &address, &reply).await;
    reply
}

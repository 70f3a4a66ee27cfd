//! `/api/v1/queue`: the outbound queue, like `mailctl queue` (list, show, flush, hold,
//! release, delete).

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Json, Path, Query};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Api, Problem, Reply, json, malformed};
use crate::ops::queue::{self as ops, Action, Filter, Select};
use crate::ops::token::Scope;
use crate::server::Shared;

pub fn routes() -> OpenApiRouter<Arc<Shared>> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show, remove))
        .routes(routes!(flush))
        .routes(routes!(hold))
        .routes(routes!(release))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    held: bool,
    #[serde(default)]
    deferred: bool,
}

#[utoipa::path(
    operation_id = "queue_list",
    get,
    path = "/api/v1/queue",
    tag = "queue",
    summary = "List the outbound queue",
    params(ListQuery),
    responses((status = 200, description = "items"), super::openapi::Errors),
    security(("bearer" = ["queue:read"]))
)]
async fn list(api: Api, q: Result<Query<ListQuery>, QueryRejection>) -> Reply {
    api.require(Scope::QueueRead)?;
    let Query(q) = q.map_err(malformed)?;
    let f = Filter { from: q.from, to: q.to, held: q.held, deferred: q.deferred };
    Ok(super::items(&ops::list(&api.store(), &f).await?))
}

#[utoipa::path(
    operation_id = "queue_show",
    get,
    path = "/api/v1/queue/{id}",
    tag = "queue",
    summary = "One queued message, with its events",
    params(("id" = String, Path, description = "the queue id")),
    responses((status = 200, description = "the message"), super::openapi::Errors),
    security(("bearer" = ["queue:read"]))
)]
async fn show(api: Api, id: Result<Path<String>, PathRejection>) -> Reply {
    api.require(Scope::QueueRead)?;
    let Path(id) = id.map_err(malformed)?;
    Ok(json(StatusCode::OK, &ops::show(&api.store(), &id).await?))
}

/// Which messages: `{"ids": [...]}` or `{"all": true}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Which {
    ids: Option<Vec<String>>,
    #[serde(default)]
    all: bool,
}

fn select(w: Which) -> Result<Select, Problem> {
    match (w.ids, w.all) {
        (Some(ids), false) if !ids.is_empty() && ids.len() <= 10_000 => Ok(Select::Ids(ids)),
        (None, true) => Ok(Select::All),
        _ => Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Give either \"ids\" (1 to 10000) or \"all\": true")),
    }
}

#[utoipa::path(
    operation_id = "queue_flush",
    post,
    path = "/api/v1/queue/flush",
    tag = "queue",
    summary = "Retry now",
    request_body = Which,
    responses((status = 200, description = "the outcome"), super::openapi::Errors),
    security(("bearer" = ["queue:write"]))
)]
async fn flush(api: Api, body: Result<Json<Which>, JsonRejection>) -> Reply {
    act(api, body, Action::Flush, "queue.flush").await
}

#[utoipa::path(
    operation_id = "queue_hold",
    post,
    path = "/api/v1/queue/hold",
    tag = "queue",
    summary = "Hold: not delivered until released",
    request_body = Which,
    responses((status = 200, description = "the outcome"), super::openapi::Errors),
    security(("bearer" = ["queue:write"]))
)]
async fn hold(api: Api, body: Result<Json<Which>, JsonRejection>) -> Reply {
    act(api, body, Action::Hold, "queue.hold").await
}

#[utoipa::path(
    operation_id = "queue_release",
    post,
    path = "/api/v1/queue/release",
    tag = "queue",
    summary = "Release held messages",
    request_body = Which,
    responses((status = 200, description = "the outcome"), super::openapi::Errors),
    security(("bearer" = ["queue:write"]))
)]
async fn release(api: Api, body: Result<Json<Which>, JsonRejection>) -> Reply {
    act(api, body, Action::Release, "queue.release").await
}

async fn act(api: Api, body: Result<Json<Which>, JsonRejection>, action: Action, name: &str) -> Reply {
    api.require(Scope::QueueWrite)?;
    let Json(w) = body.map_err(malformed)?;
    let sel = select(w)?;
    let target = match &sel {
        Select::Ids(ids) => ids.join(","),
        _ => "all".to_string(),
    };
    let reply = run(&api, &sel, action).await;
    api.audit(name, &target, &reply).await;
    reply
}

/// The outcome, with 404 or 503 when some were not queued or were being delivered.
async fn run(api: &Api, sel: &Select, action: Action) -> Reply {
    let outcome = ops::act(&api.store(), sel, action).await?;
    match outcome.error() {
        Some(e) => Err(Problem::from(e).with("outcome", serde_json::to_value(&outcome).unwrap_or_default())),
        None => Ok(json(StatusCode::OK, &outcome)),
    }
}

#[utoipa::path(
    operation_id = "queue_remove",
    delete,
    path = "/api/v1/queue/{id}",
    tag = "queue",
    summary = "Delete a queued message",
    params(("id" = String, Path, description = "the queue id")),
    responses((status = 200, description = "the outcome"), super::openapi::Errors),
    security(("bearer" = ["queue:write"]))
)]
async fn remove(api: Api, id: Result<Path<String>, PathRejection>) -> Reply {
    api.require(Scope::QueueWrite)?;
    let Path(id) = id.map_err(malformed)?;
    let reply = run(&api, &Select::Ids(vec![id.clone()]), Action::Delete).await;
    api.audit("queue.delete", &id, &reply).await;
    reply
}

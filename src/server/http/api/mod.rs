//! The admin API, `/api/v1`: JSON over HTTPS (plain HTTP only from loopback in dev mode) for
//! the application's backend. Every endpoint calls the same `ops` as the CLI. A request
//! carries `Authorization: Bearer <token>` (`mailctl token create`); each route needs a scope;
//! failed attempts count against the client's address in the limiter that logins use; writes
//! are recorded in the audit log; errors are RFC 9457 problems (`problem.rs`).
//!
//! - `accounts.rs`: accounts (and `POST /api/email/create`, the product's existing call),
//!   with the tier rule;
//! - `aliases.rs`, `domains.rs` (with DKIM and DNS records), `queue.rs`;
//! - `idempotency.rs`: `Idempotency-Key` on POST.

mod accounts;
mod aliases;
mod domains;
mod idempotency;
mod openapi;
pub mod problem;
mod queue;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::httpd::Transport;
use crate::ops::token::{self, Scope};
use crate::server::Shared;
use crate::store::api_tokens::Token;
pub use problem::Problem;

/// What a handler answers.
pub type Reply = std::result::Result<Response, Problem>;

/// Largest request body of the API.
const MAX_BODY: usize = 64 * 1024;

pub fn routes(shared: Arc<Shared>) -> Router {
    let (router, doc) = openapi::router()
        .merge(accounts::routes())
        .merge(aliases::routes())
        .merge(domains::routes())
        .merge(queue::routes())
        .split_for_parts();
    let doc = Arc::new(doc.to_pretty_json().unwrap_or_default());
    router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(async move || ([(header::CONTENT_TYPE, "application/json")], doc.to_string())),
        )
        .route("/api/v1", axum::routing::any(async || -> Reply { Err(not_found()) }))
        .route("/api/v1/{*rest}", axum::routing::any(async || -> Reply { Err(not_found()) }))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::map_response(count))
        .with_state(shared)
}

/// Every answer, counted by status class.
async fn count(r: Response) -> Response {
    let class = match r.status().as_u16() {
        200..=299 => "2xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "other",
    };
    crate::metrics::METRICS.api_requests.with_label_values(&[class]).inc();
    r
}

fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "No such endpoint").detail("see /api/v1/openapi.json")
}

/// An authenticated request: the token (with its scopes) and the server.
pub struct Api {
    pub shared: Arc<Shared>,
    pub token: Token,
    pub transport: Transport,
}

impl FromRequestParts<Arc<Shared>> for Api {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Api, Problem> {
        let transport = *parts
            .extensions
            .get::<Transport>()
            .ok_or_else(|| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error"))?;
        let ip = transport.peer.ip();
        let dev_loopback = shared.config().dev_mode && ip.is_loopback();
        if !(transport.tls || dev_loopback) {
            return Err(Problem::new(StatusCode::FORBIDDEN, "The admin API needs HTTPS")
                .detail("plain HTTP is answered only from loopback in dev mode"));
        }
        if shared.auth_limiter.locked(ip) {
            return Err(Problem::new(StatusCode::TOO_MANY_REQUESTS, "Too many failed attempts from this address")
                .detail("wait a minute before trying again")
                .retry_after(60));
        }
        let store = shared.store();
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        let Some(presented) = presented else {
            // The API is off until a token exists: say so to whoever asks without one.
            let mut conn = store.pool.acquire().await.map_err(|e| Problem::from(crate::error::Error::from(e)))?;
            if !crate::store::api_tokens::any_usable(&mut conn, crate::store::now()).await? {
                return Err(Problem::new(StatusCode::NOT_FOUND, "The admin API is off")
                    .detail("it answers once a token exists: mailctl token create --name NAME --scope SCOPE"));
            }
            return Err(Problem::unauthorized("A bearer token is required"));
        };
        match token::authenticate(&store, presented).await? {
            Ok(token) => Ok(Api { shared: shared.clone(), token, transport }),
            Err(why) => {
                shared.auth_limiter.failed(ip);
                // Never the token itself: its prefix is not secret but is not logged either.
                tracing::info!(client = %ip, reason = ?why, "admin API: token refused");
                Err(Problem::unauthorized("The token is not valid").detail(match why {
                    token::Refused::Revoked => "it was revoked",
                    token::Refused::Expired => "it has expired",
                    token::Refused::Malformed | token::Refused::Unknown => "no such token",
                }))
            }
        }
    }
}

impl Api {
    /// Refuse unless the token has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), Problem> {
        if token::grants(&self.token, scope) {
            return Ok(());
        }
        Err(Problem::new(StatusCode::FORBIDDEN, "The token lacks the scope this needs")
            .with("required_scope", scope.as_str())
            .with("token_scopes", self.token.scopes.clone()))
    }

    pub fn store(&self) -> Arc<crate::store::Store> {
        self.shared.store()
    }

    /// A write's outcome as the reply (its value as JSON with `status`), recorded in the audit
    /// log: the one shape of every write handler.
    pub async fn wrote<T: serde::Serialize>(
        &self,
        action: &str,
        target: &str,
        status: StatusCode,
        outcome: crate::error::Result<T>,
    ) -> Reply {
        let reply = outcome.map(|v| json(status, &v)).map_err(Problem::from);
        self.audit(action, target, &reply).await;
        reply
    }

    /// Record a write in the audit log: its action, target and how it ended. (The outcome is
    /// read before the future: a response is not `Sync`, so no reference to it may cross an
    /// await.)
    pub fn audit(&self, action: &str, target: &str, reply: &Reply) -> impl Future<Output = ()> + Send + 'static {
        let result = match reply {
            Ok(r) if r.status().is_success() => "ok".to_string(),
            Ok(r) => r.status().as_u16().to_string(),
            Err(p) => format!("{} {}", p.status, p.title),
        };
        let actor = format!("token:{}", self.token.name);
        let (store, action, target) = (self.store(), action.to_string(), target.to_string());
        async move { crate::ops::audit::record(&store, &actor, &action, &target, &result, "").await }
    }
}

/// A list answer: `{"items": [...], "next_cursor": ...}`, serialized straight from the rows
/// (no intermediate JSON tree: that cost more than the query on a page of 100 accounts).
#[derive(serde::Serialize)]
pub struct Items<'a, T> {
    pub items: &'a [T],
    /// Null on the last page.
    pub next_cursor: Option<String>,
}

/// `{"items": [...]}` with 200.
pub fn items<T: serde::Serialize>(items: &[T]) -> Response {
    json(StatusCode::OK, &Items { items, next_cursor: None })
}

/// JSON with a status.
pub fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    (status, axum::Json(value)).into_response()
}

/// An axum extractor's refusal (a body that is not JSON, a bad path or query) as a problem.
pub fn malformed(r: impl std::fmt::Display + IntoResponse) -> Problem {
    let text = r.to_string();
    let status = r.into_response().status();
    problem::rejection(text, status)
}

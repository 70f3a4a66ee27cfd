//! Health checks for supervisors and load balancers: `/healthz/live` (the process answers)
//! and `/healthz/ready` (the store answers, the data directory is writable and its file
//! system not nearly full: below 5% free fails).

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::server::Shared;

/// Below this share of free space, the server is not ready.
const MIN_FREE: f64 = 0.05;

pub fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz/live", get(async || (StatusCode::OK, "ok\n")))
        .route("/healthz/ready", get(async move || ready(&shared).await))
}

/// The free share of the file system holding `dir`.
pub fn disk_free_ratio(dir: &Path) -> Option<f64> {
    let (free, total) = crate::fsutil::free_bytes(dir).ok()?;
    (total > 0).then(|| free as f64 / total as f64)
}

async fn ready(shared: &Shared) -> Response {
    let store = shared.store();
    let store_ok = match store.pool.acquire().await {
        Ok(mut c) => sqlx::query("SELECT 1").execute(&mut *c).await.is_ok(),
        Err(_) => false,
    };
    let dir = shared.config().data_dir.clone();
    // A name of its own per probe: two probes at once must not remove each other's file.
    let probe = dir.join(format!(".healthz-{}", crate::ids::new_id()));
    let writable = std::fs::write(&probe, b"ok").is_ok() && std::fs::remove_file(&probe).is_ok();
    let free = disk_free_ratio(&dir);
    let space_ok = free.is_none_or(|f| f >= MIN_FREE);
    let ok = store_ok && writable && space_ok;
    let body = serde_json::json!({
        "status": if ok { "ready" } else { "not ready" },
        "store": store_ok,
        "data_dir_writable": writable,
        "data_dir_free_ratio": free,
    });
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(body)).into_response()
}

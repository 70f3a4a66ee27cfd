//! `/metrics` on `metrics_listen` (loopback by default): the registry of `crate::metrics` in
//! the Prometheus text format, plus what is read at scrape time: the queue's size and its
//! oldest message's age, and the certificate's seconds to expiry.

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::server::Shared;

pub fn routes(shared: Arc<Shared>) -> Router {
    Router::new().route("/metrics", get(async move || scrape(&shared).await))
}

async fn scrape(shared: &Shared) -> Response {
    let mut extra = String::new();
    let gauge = |out: &mut String, name: &str, help: &str, value: f64| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"));
    };
    let store = shared.store();
    let queue = async {
        let mut conn = store.pool.acquire().await.map_err(crate::error::Error::from)?;
        let row: (i64, Option<i64>) = sqlx::query_as("SELECT COUNT(*), MIN(received_at) FROM queue")
            .fetch_one(&mut *conn)
            .await
            .map_err(crate::error::Error::from)?;
        Ok::<_, crate::error::Error>(row)
    };
    let now = crate::store::now();
    let up = match queue.await {
        Ok((n, oldest)) => {
            gauge(&mut extra, "mailctl_queue_messages", "Messages in the outbound queue", n as f64);
            let age = oldest.map(|t| (now - t).max(0)).unwrap_or(0);
            gauge(&mut extra, "mailctl_queue_oldest_age_seconds", "Age of the oldest queued message", age as f64);
            1.0
        }
        Err(e) => {
            tracing::warn!(error = %e.one_line(), "metrics: reading the queue");
            0.0
        }
    };
    gauge(&mut extra, "mailctl_store_up", "Whether the store answered this scrape", up);
    if let Ok(info) = crate::cert::info::read(&shared.config().server.tls_cert) {
        gauge(
            &mut extra,
            "mailctl_certificate_expiry_seconds",
            "Seconds until the serving certificate expires",
            (info.not_after - now) as f64,
        );
    }
    let disk = crate::server::http::health::disk_free_ratio(&shared.config().data_dir);
    if let Some(r) = disk {
        gauge(&mut extra, "mailctl_data_dir_free_ratio", "Free share of the data directory's file system", r);
    }
    let body = crate::metrics::render(&extra);
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

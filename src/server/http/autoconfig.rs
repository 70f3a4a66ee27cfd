//! Client auto-configuration for the served domains, from `dns::client` (the same settings as
//! the SRV records): Thunderbird's autoconfig (`/mail/config-v1.1.xml` on
//! `autoconfig.<domain>`, `/.well-known/autoconfig/mail/config-v1.1.xml` on the domain),
//! Microsoft's Autodiscover (POX `POST /autodiscover/autodiscover.xml`, and
//! `autodiscover.json` pointing at it) and an Apple configuration profile per address
//! (`/mail/profile.mobileconfig?emailaddress=…`, signed with the server's certificate).
//! An address from a request must be one `names::Address` accepts, in a served domain;
//! anything else is 404 (or 400 when malformed), and which accounts exist is never told.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::dns::client::Settings;
use crate::server::Shared;

/// Largest Autodiscover request body.
const MAX_REQUEST: usize = 16 * 1024;

pub fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/mail/config-v1.1.xml", get(thunderbird))
        .route("/.well-known/autoconfig/mail/config-v1.1.xml", get(thunderbird))
        .route("/autodiscover/autodiscover.xml", post(autodiscover))
        .route("/Autodiscover/Autodiscover.xml", post(autodiscover))
        .route("/autodiscover/autodiscover.json", get(autodiscover_json))
        .route("/mail/profile.mobileconfig", get(mobileconfig))
        .with_state(shared)
}

/// The query, if it parsed.
type Q = Result<Query<Ask>, axum::extract::rejection::QueryRejection>;

/// `?emailaddress=` (Thunderbird, the profile) or `?Email=` (Outlook).
#[derive(Deserialize)]
pub struct Ask {
    #[serde(alias = "Email", alias = "email")]
    emailaddress: Option<String>,
    #[serde(rename = "Protocol")]
    protocol: Option<String>,
}

fn text(status: StatusCode, body: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], body.to_string()).into_response()
}

/// The settings for an address and/or the request's host, when its domain is served here.
async fn settings(shared: &Shared, address: Option<&str>, host: &str) -> Result<Settings, Response> {
    let (domain, address) = match address {
        Some(a) => {
            let a =
                crate::names::Address::parse(a).map_err(|_| text(StatusCode::BAD_REQUEST, "not a mail address\n"))?;
            (a.domain.clone(), Some(a.to_string()))
        }
        None => {
            let d = host.strip_prefix("autoconfig.").or_else(|| host.strip_prefix("autodiscover.")).unwrap_or(host);
            (crate::names::domain(d).map_err(|_| text(StatusCode::NOT_FOUND, "not found\n"))?, None)
        }
    };
    let served = match shared.store().pool.acquire().await {
        Ok(mut c) => crate::store::domains::exists(&mut c, &domain).await.unwrap_or(false),
        Err(_) => return Err(text(StatusCode::SERVICE_UNAVAILABLE, "try again later\n")),
    };
    if !served {
        return Err(text(StatusCode::NOT_FOUND, "not found\n"));
    }
    Ok(Settings::new(&shared.config().hostname, &domain, address.as_deref()))
}

async fn thunderbird(State(shared): State<Arc<Shared>>, q: Q, r: Request) -> Response {
    let host = crate::httpd::host(&r);
    let address = q.as_ref().ok().and_then(|q| q.emailaddress.as_deref());
    match settings(&shared, address, &host).await {
        Ok(s) => ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], s.thunderbird()).into_response(),
        Err(r) => r,
    }
}

async fn autodiscover(State(shared): State<Arc<Shared>>, r: Request) -> Response {
    let host = crate::httpd::host(&r);
    let Ok(body) = axum::body::to_bytes(r.into_body(), MAX_REQUEST).await else {
        return text(StatusCode::PAYLOAD_TOO_LARGE, "request too large\n");
    };
    let Some(address) = crate::dns::client::autodiscover_request_address(&body) else {
        return text(StatusCode::BAD_REQUEST, "no EMailAddress in the request\n");
    };
    match settings(&shared, Some(&address), &host).await {
        Ok(s) => ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], s.autodiscover()).into_response(),
        Err(r) => r,
    }
}

/// Outlook's first question: where the POX service of this address is.
async fn autodiscover_json(State(shared): State<Arc<Shared>>, q: Q) -> Response {
    let Ok(Query(q)) = q else { return text(StatusCode::BAD_REQUEST, "Email and Protocol are required\n") };
    if q.protocol.as_deref().is_some_and(|p| !p.eq_ignore_ascii_case("AutodiscoverV1")) {
        let body =
            serde_json::json!({ "ErrorCode": "InvalidProtocol", "ErrorMessage": "only AutodiscoverV1 is offered" });
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    // The mail host, never the request's Host field.
    let body = serde_json::json!({
        "Protocol": "AutodiscoverV1",
        "Url": format!("https://{}/autodiscover/autodiscover.xml", shared.config().hostname),
    });
    axum::Json(body).into_response()
}

async fn mobileconfig(State(shared): State<Arc<Shared>>, q: Q) -> Response {
    let Some(address) = q.ok().and_then(|Query(q)| q.emailaddress) else {
        return text(StatusCode::BAD_REQUEST, "emailaddress is required\n");
    };
    let s = match settings(&shared, Some(&address), "").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let cfg = shared.config();
    let plist = s.mobileconfig();
    let body = match crate::cert::cms::sign_with_files(&cfg.server.tls_cert, &cfg.server.tls_key, plist.as_bytes()) {
        Ok(signed) => signed,
        Err(e) => {
            tracing::warn!(error = %e.one_line(), "the configuration profile is served unsigned");
            plist.into_bytes()
        }
    };
    let name = format!("attachment; filename=\"{}.mobileconfig\"", s.domain);
    (
        [(header::CONTENT_TYPE, "application/x-apple-aspen-config".to_string()), (header::CONTENT_DISPOSITION, name)],
        body,
    )
        .into_response()
}

//! `Idempotency-Key` on POST: a retried request (same token, same key, same method, path and
//! body, within a day) answers with the first success instead of acting again. The stored
//! answer never holds a secret: a generated password is shown once, so the replay says it was
//! (`"password_shown": true`). A different request under a used key is refused with 422; a
//! copy that arrives while the first still acts gets 409 with Retry-After (the key is
//! claimed before acting, so the request acts once). A failed request keeps nothing.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::{Api, Problem, Reply};
use crate::store::idempotency::{self, Claim, Stored};
use crate::store::now;

const HEADER: &str = "idempotency-key";

/// A JSON body: 400 when it is not JSON, 422 when it does not have the fields asked for.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        let status = match e.classify() {
            serde_json::error::Category::Data => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        super::problem::rejection(format!("the body: {e}"), status)
    })
}

/// Run `act` once per idempotency key (or every time when the request has none).
pub async fn once(
    api: &Api,
    headers: &HeaderMap,
    route: &str,
    body: &[u8],
    act: impl AsyncFnOnce(&[u8]) -> Reply,
) -> Reply {
    let Some(key) = headers.get(HEADER) else {
        return act(body).await;
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| Problem::new(StatusCode::BAD_REQUEST, "The Idempotency-Key is empty, too long or not text"))?
        .to_string();
    // What identifies the request: its route and body, less any password in it (the row is
    // kept a day; a hash of a password chosen by a person must not be).
    let mut shown: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    if let Some(o) = shown.as_object_mut() {
        o.remove("password");
    }
    let mut h = Sha256::new();
    h.update(route.as_bytes());
    h.update([0]);
    h.update(if shown.is_null() { body.to_vec() } else { shown.to_string().into_bytes() });
    let request = crate::backup::hex(&h.finalize());
    let store = api.store();
    let claim = {
        let mut conn = store.pool.acquire().await.map_err(crate::error::Error::from)?;
        idempotency::claim(&mut conn, api.token.id, &key, &request, now()).await?
    };
    let other_request = || {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "The Idempotency-Key was used for another request")
            .detail("use a new key for a new request")
    };
    match claim {
        Claim::Claimed => {}
        Claim::InProgress { request_sha256 } if request_sha256 != request => return Err(other_request()),
        Claim::InProgress { .. } => {
            return Err(Problem::new(StatusCode::CONFLICT, "A request with this Idempotency-Key is in progress")
                .detail("retry when it has finished")
                .retry_after(1));
        }
        Claim::Done(s) if s.request_sha256 != request => return Err(other_request()),
        Claim::Done(s) => {
            let mut r = super::json(
                StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK),
                &serde_json::from_str::<serde_json::Value>(&s.body).unwrap_or_default(),
            );
            r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            return Ok(r);
        }
    }
    let reply = act(body).await;
    let kept = match &reply {
        Ok(r) if r.status().is_success() => None,
        // A failure is not kept: the claim goes, and a retry acts again.
        _ => Some(()),
    };
    if kept.is_some() {
        let release = async {
            let mut conn = store.pool.acquire().await?;
            idempotency::release(&mut conn, api.token.id, &key).await
        };
        if let Err(e) = release.await {
            tracing::warn!(error = %e.one_line(), "admin API: giving up an idempotency key");
        }
        return reply;
    }
    let (parts, b) = reply?.into_parts();
    let bytes = axum::body::to_bytes(b, usize::MAX).await.unwrap_or_default();
    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if let Some(o) = v.as_object_mut()
        && o.remove("password").is_some()
    {
        o.insert("password_shown".into(), true.into());
    }
    let stored = Stored { request_sha256: request, status: parts.status.as_u16(), body: v.to_string() };
    let finish = async {
        let mut conn = store.pool.acquire().await?;
        idempotency::finish(&mut conn, api.token.id, &key, &stored).await
    };
    if let Err(e) = finish.await {
        tracing::warn!(error = %e.one_line(), "admin API: keeping an idempotent answer");
    }
    Ok(Response::from_parts(parts, axum::body::Body::from(bytes)))
}

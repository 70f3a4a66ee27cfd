//! RFC 9457 problem details (`application/problem+json`): every error of the admin API, with
//! the status its kind calls for. Internal errors say nothing of their cause to the client
//! (it is logged); the others carry the same one-line message and hint as the CLI.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Kind};

#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Extension members (RFC 9457 §3.2).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    pub retry_after: Option<u64>,
    #[serde(skip)]
    pub www_authenticate: bool,
}

impl Problem {
    pub fn new(status: StatusCode, title: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank",
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            extra: Map::new(),
            retry_after: None,
            www_authenticate: false,
        }
    }

    pub fn detail(mut self, d: impl Into<String>) -> Problem {
        self.detail = Some(d.into());
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Problem {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Problem {
        self.retry_after = Some(secs);
        self
    }

    /// 401, asking for a bearer token.
    pub fn unauthorized(title: &str) -> Problem {
        let mut p = Problem::new(StatusCode::UNAUTHORIZED, title);
        p.www_authenticate = true;
        p
    }

    /// The tier rule: email needs vip or higher.
    pub fn tier(given: crate::tier::Tier) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "Email requires VIP tier or higher")
            .detail(format!("the {given} tier has no mailbox"))
            .with("required_tier", crate::tier::Tier::Vip.as_str())
            .with("given_tier", given.as_str())
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Problem {
        let status = match e.kind {
            Kind::Usage | Kind::Invalid | Kind::NoInput => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::Exists => StatusCode::CONFLICT,
            Kind::Permission | Kind::OverQuota => StatusCode::FORBIDDEN,
            Kind::TempFail | Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Internal | Kind::Io | Kind::Config => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e.one_line(), "admin API");
            return Problem::new(status, "Internal error").detail("the error is in the server's log");
        }
        let mut p = Problem::new(status, e.message.clone());
        if let Some(h) = &e.hint {
            p = p.detail(h.clone());
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            p = p.retry_after(5);
        }
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut r = (status, body).into_response();
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(s) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.www_authenticate {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"mailctl\""));
        }
        r
    }
}

/// axum's own refusals (a body that is not JSON, a bad path or query) as problems.
pub fn rejection(r: impl std::fmt::Display, status: StatusCode) -> Problem {
    Problem::new(status, "The request is malformed").detail(r.to_string())
}

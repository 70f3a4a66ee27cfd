//! The admin API's OpenAPI 3.1 document, served at `/api/v1/openapi.json`: built by utoipa
//! from the handlers' own `#[utoipa::path]` attributes as `utoipa_axum` registers their routes,
//! so a route cannot exist without its entry.

use std::sync::Arc;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::server::Shared;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mailctl admin API",
        description = "Accounts, aliases, domains and the outbound queue of a mailctl server. Authenticate with \
                       `Authorization: Bearer <token>` (mailctl token create); each operation names the scope it \
                       needs. Errors are RFC 9457 problem details."
    ),
    modifiers(&Bearer),
    tags((name = "accounts"), (name = "aliases"), (name = "domains"), (name = "dns"), (name = "queue"))
)]
struct Doc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("mctl token").build()),
        );
    }
}

pub fn router() -> OpenApiRouter<Arc<Shared>> {
    OpenApiRouter::with_openapi(Doc::openapi())
}

/// An RFC 9457 problem.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ProblemDetails {
    /// Always `about:blank`.
    #[schema(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: Option<String>,
}

/// The errors every operation may answer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Errors {
    /// Malformed request (not JSON)
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] ProblemDetails),
    /// No token, or not a valid one
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] ProblemDetails),
    /// The token lacks the scope, the tier rule, or plain HTTP
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] ProblemDetails),
    /// No such account, alias, domain or message
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] ProblemDetails),
    /// Already exists
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(#[to_schema] ProblemDetails),
    /// A value breaks a rule
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(#[to_schema] ProblemDetails),
    /// Too many failed attempts from this address (Retry-After)
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(#[to_schema] ProblemDetails),
    /// The store is busy or unreachable (Retry-After)
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(#[to_schema] ProblemDetails),
}

//! `/api/v1/accounts` and `POST /api/email/create`: accounts with the tier rule. Creating an
//! account in a tier without a mailbox (guest, free) is refused with 403 "Email requires VIP
//! tier or higher"; moving a live account there suspends it (its mail kept) and answers the
//! same 403 with the account as it now is; moving it back to vip or higher resumes it.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Json, Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::idempotency;
use super::{Api, Problem, Reply, json, malformed};
use crate::ops::account::{self as ops, NewAccount, NewPassword};
use crate::ops::token::Scope;
use crate::server::Shared;
use crate::size::Limit;
use crate::store::Status;
use crate::store::accounts::PageFilter;
use crate::tier::Tier;

pub fn routes() -> OpenApiRouter<Arc<Shared>> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, change, delete))
        .routes(routes!(suspend))
        .routes(routes!(resume))
        .routes(routes!(password))
        .routes(routes!(quota))
        .routes(routes!(email_create))
}

fn tier(s: &str) -> Result<Tier, Problem> {
    Tier::parse(s).map_err(Problem::from)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    domain: Option<String>,
    tier: Option<String>,
    status: Option<String>,
    owner: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

fn cursor_encode(address: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(address)
}

fn cursor_decode(c: &str) -> Result<String, Problem> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "The cursor is not one this API gave"))
}

#[utoipa::path(
    operation_id = "accounts_list",
    get,
    path = "/api/v1/accounts",
    tag = "accounts",
    summary = "List accounts, a page at a time",
    params(ListQuery),
    responses((status = 200, description = "a page: items and next_cursor"), super::openapi::Errors),
    security(("bearer" = ["accounts:read"]))
)]
async fn list(api: Api, q: Result<Query<ListQuery>, QueryRejection>) -> Reply {
    api.require(Scope::AccountsRead)?;
    let Query(q) = q.map_err(malformed)?;
    let suspended = match q.status.as_deref() {
        None => None,
        Some("active") => Some(false),
        Some("suspended") => Some(true),
        Some(s) => {
            return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, format!("unknown status {s:?}"))
                .detail("status is active or suspended"));
        }
    };
    let filter = PageFilter {
        domain: q.domain.as_deref(),
        tier: q.tier.as_deref().map(tier).transpose()?,
        suspended,
        owner: q.owner.as_deref(),
    };
    let after = q.cursor.as_deref().map(cursor_decode).transpose()?;
    let (items, next) = ops::page(&api.store(), &filter, after.as_deref(), q.limit.unwrap_or(100)).await?;
    let next_cursor = next.as_deref().map(cursor_encode);
    Ok(json(StatusCode::OK, &super::Items { items: &items, next_cursor }))
}

#[utoipa::path(
    operation_id = "accounts_show",
    get,
    path = "/api/v1/accounts/{address}",
    tag = "accounts",
    summary = "One account",
    params(("address" = String, Path, description = "the account's address")),
    responses((status = 200, description = "the account"), super::openapi::Errors),
    security(("bearer" = ["accounts:read"]))
)]
async fn show(api: Api, address: Result<Path<String>, PathRejection>) -> Reply {
    api.require(Scope::AccountsRead)?;
    let Path(address) = address.map_err(malformed)?;
    Ok(json(StatusCode::OK, &ops::get(&api.store(), &address).await?))
}

#[utoipa::path(
    operation_id = "accounts_quota",
    get,
    path = "/api/v1/accounts/{address}/quota",
    tag = "accounts",
    summary = "Quota and usage",
    params(("address" = String, Path, description = "the account's address")),
    responses((status = 200, description = "quota_bytes, used_bytes, messages, percent_used"), super::openapi::Errors),
    security(("bearer" = ["accounts:read"]))
)]
async fn quota(api: Api, address: Result<Path<String>, PathRejection>) -> Reply {
    api.require(Scope::AccountsRead)?;
    let Path(address) = address.map_err(malformed)?;
    let a = ops::get(&api.store(), &address).await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({
            "address": a.address,
            "quota_bytes": a.quota_bytes,
            "used_bytes": a.used_bytes,
            "messages": a.messages,
            "percent_used": a.percent_used(),
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewBody {
    address: String,
    tier: String,
    password: Option<String>,
    /// Bytes, or a size such as "2G", or "unlimited".
    quota: Option<serde_json::Value>,
    owner: Option<String>,
}

fn quota_limit(v: &serde_json::Value) -> Result<Limit, Problem> {
    let text = match v {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "quota is a number of bytes or a size such as \"2G\"",
            ));
        }
    };
    Ok(Limit::parse(&text)?)
}

/// Create an account; the tier rule first, so that nothing is written for guest or free.
async fn create_account(api: &Api, b: NewBody) -> Reply {
    let t = tier(&b.tier)?;
    if !t.has_mailbox() {
        return Err(Problem::tier(t));
    }
    let quota = b.quota.as_ref().map(quota_limit).transpose()?;
    let new = NewAccount {
        address: b.address,
        tier: t,
        owner: b.owner,
        quota,
        password: b.password.map(NewPassword::Given).unwrap_or(NewPassword::Generate),
    };
    let created = ops::create(&api.store(), new).await?;
    Ok(json(StatusCode::CREATED, &created))
}

#[utoipa::path(
    operation_id = "accounts_create",
    post,
    path = "/api/v1/accounts",
    tag = "accounts",
    summary = "Create an account (the tier rule: vip or higher; Idempotency-Key honoured)",
    request_body = NewBody,
    responses((status = 201, description = "the account, with the generated password once"), super::openapi::Errors),
    security(("bearer" = ["accounts:write"]))
)]
async fn create(api: Api, headers: HeaderMap, body: axum::body::Bytes) -> Reply {
    api.require(Scope::AccountsWrite)?;
    idempotency::once(&api, &headers, "POST /api/v1/accounts", &body, async |body: &[u8]| {
        let b: NewBody = idempotency::parse(body)?;
        let target = b.address.clone();
        let reply = create_account(&api, b).await;
        api.audit("account.create", &target, &reply).await;
        reply
    })
    .await
}

/// The product's existing call: `{"username", "tier", "user_id"?, "domain"?}`; the domain
/// defaults to the first served one, `user_id` becomes the owner.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EmailCreate {
    username: String,
    tier: String,
    user_id: Option<serde_json::Value>,
    domain: Option<String>,
    password: Option<String>,
}

#[utoipa::path(
    operation_id = "accounts_email_create",
    post,
    path = "/api/email/create",
    tag = "accounts",
    summary = "Create an account in the product's shape (the tier rule applies)",
    request_body = EmailCreate,
    responses((status = 201, description = "the account, with the generated password once"), super::openapi::Errors),
    security(("bearer" = ["accounts:write"]))
)]
async fn email_create(api: Api, headers: HeaderMap, body: axum::body::Bytes) -> Reply {
    api.require(Scope::AccountsWrite)?;
    idempotency::once(&api, &headers, "POST /api/email/create", &body, async |body: &[u8]| {
        let b: EmailCreate = idempotency::parse(body)?;
        let domain = match b.domain {
            Some(d) => d,
            None => {
                let domains = crate::ops::domain::list(&api.store()).await?;
                domains.first().map(|d| d.name.clone()).ok_or_else(|| {
                    Problem::new(StatusCode::CONFLICT, "No domain is served yet").detail("mailctl domain add DOMAIN")
                })?
            }
        };
        let owner = b.user_id.map(|v| match v {
            serde_json::Value::String(s) => s,
            v => v.to_string(),
        });
        let address = format!("{}@{domain}", b.username);
        let reply = create_account(
            &api,
            NewBody { address: address.clone(), tier: b.tier, password: b.password, quota: None, owner },
        )
        .await;
        api.audit("account.create", &address, &reply).await;
        reply
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Change {
    tier: Option<String>,
    quota: Option<serde_json::Value>,
    status: Option<String>,
}

/// Change the tier, quota or status. A move to guest or free is made (the account is
/// suspended, its mail kept) and answered with the tier rule's 403 and the account.
#[utoipa::path(
    operation_id = "accounts_change",
    patch,
    path = "/api/v1/accounts/{address}",
    tag = "accounts",
    summary = "Change tier, quota or status (to guest or free: suspended, answered 403)",
    params(("address" = String, Path, description = "the account's address")),
    request_body = Change,
    responses((status = 200, description = "the account"), super::openapi::Errors),
    security(("bearer" = ["accounts:write"]))
)]
async fn change(
    api: Api,
    address: Result<Path<String>, PathRejection>,
    body: Result<Json<Change>, JsonRejection>,
) -> Reply {
    api.require(Scope::AccountsWrite)?;
    let Path(address) = address.map_err(malformed)?;
    let Json(c) = body.map_err(malformed)?;
    let reply = apply_change(&api, &address, c).await;
    api.audit("account.update", &address, &reply).await;
    reply
}

async fn apply_change(api: &Api, address: &str, c: Change) -> Reply {
    let store = api.store();
    let new_tier = c.tier.as_deref().map(tier).transpose()?;
    let status = match c.status.as_deref() {
        None => None,
        Some("active") => Some(Status::Active),
        Some("suspended") => Some(Status::Suspended),
        Some(s) => return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, format!("unknown status {s:?}"))),
    };
    let quota = match &c.quota {
        None => None,
        Some(serde_json::Value::String(s)) if s == "default" => Some(crate::ops::quota::NewQuota::TierDefault),
        Some(v) => Some(crate::ops::quota::NewQuota::Limit(quota_limit(v)?)),
    };
    // Everything checked before the first change.
    if new_tier.is_some_and(|t| !t.has_mailbox()) && status == Some(Status::Active) {
        return Err(Problem::tier(new_tier.expect("checked"))
            .detail("an account in a tier without a mailbox cannot be active: give a tier of vip or higher"));
    }
    let mut account = ops::get(&store, address).await?;
    if let Some(t) = new_tier {
        account = ops::set_tier(&store, address, t).await?;
    }
    if let Some(q) = quota {
        account = crate::ops::quota::set(&store, address, q).await?;
    }
    if let Some(s) = status {
        account = ops::set_status(&store, address, s).await?.0;
    }
    if let Some(t) = new_tier.filter(|t| !t.has_mailbox()) {
        let body = serde_json::to_value(&account).unwrap_or_default();
        return Err(Problem::tier(t)
            .detail(format!(
                "the {t} tier has no mailbox: the account is suspended and its mail kept; moving it to vip or higher resumes it"
            ))
            .with("account", body));
    }
    Ok(json(StatusCode::OK, &account))
}

#[utoipa::path(
    operation_id = "accounts_suspend",
    post,
    path = "/api/v1/accounts/{address}/suspend",
    tag = "accounts",
    summary = "Suspend: no login, mail kept arriving",
    params(("address" = String, Path, description = "the account's address")),
    responses((status = 200, description = "the account"), super::openapi::Errors),
    security(("bearer" = ["accounts:write"]))
)]
async fn suspend(api: Api, address: Result<Path<String>, PathRejection>) -> Reply {
    status(api, address, Status::Suspended, "account.suspend").await
}

#[utoipa::path(
    operation_id = "accounts_resume",
    post,
    path = "/api/v1/accounts/{address}/resume",
    tag = "accounts",
    summary = "Resume a suspended account",
    params(("address" = String, Path, description = "the account's address")),
    responses((status = 200, description = "the account"), super::openapi::Errors),
    security(("bearer" = ["accounts:write"]))
)]
async fn resume(api: Api, address: Result<Path<String>, PathRejection>) -> Reply {
    status(api, address, Status::Active, "account.resume").await
}

async fn status(api: Api, address: Result<Path<String>, PathRejection>, s: Status, action: &str) -> Reply {
    api.require(Scope::AccountsWrite)?;
    let Path(address) = address.map_err(malformed)?;
    let outcome = ops::set_status(&api.store(), &address, s).await.map(|(a, _)| a);
    api.wrote(action, &address, StatusCode::OK, outcome).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewSecret {
    password: String,
}

#[utoipa::path(
    operation_id = "accounts_password",
    put,
    path = "/api/v1/accounts/{address}/password",
    tag = "accounts",
    summary = "Set the password",
    params(("address" = String, Path, description = "the account's address")),
    request_body = NewSecret,
    responses((status = 204, description = "changed"), super::openapi::Errors),
    security(("bearer" = ["accounts:write"]))
)]
async fn password(
    api: Api,
    address: Result<Path<String>, PathRejection>,
    body: Result<Json<NewSecret>, JsonRejection>,
) -> Reply {
    api.require(Scope::AccountsWrite)?;
    let Path(address) = address.map_err(malformed)?;
    let Json(b) = body.map_err(malformed)?;
    let reply = match ops::set_password(&api.store(), &address, b.password).await {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(e) => Err(e.into()),
    };
    api.audit("account.password", &address, &reply).await;
    reply
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DeleteQuery {
    #[serde(default)]
    keep_mail: bool,
    #[serde(default)]
    force: bool,
}

#[utoipa::path(
    operation_id = "accounts_delete",
    delete,
    path = "/api/v1/accounts/{address}",
    tag = "accounts",
    summary = "Delete an account (its mail too unless keep_mail)",
    params(("address" = String, Path, description = "the account's address"), DeleteQuery),
    responses((status = 200, description = "what was deleted"), super::openapi::Errors),
    security(("bearer" = ["accounts:write"]))
)]
async fn delete(
    api: Api,
    address: Result<Path<String>, PathRejection>,
    q: Result<Query<DeleteQuery>, QueryRejection>,
) -> Reply {
    api.require(Scope::AccountsWrite)?;
    let Path(address) = address.map_err(malformed)?;
    let Query(q) = q.map_err(malformed)?;
    let outcome = ops::delete(&api.store(), &address, q.keep_mail, q.force).await;
    api.wrote("account.delete", &address, StatusCode::OK, outcome).await
}

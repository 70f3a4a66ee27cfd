//! The member's settings: the password (the current one required, through the login limiter)
//! the name and signature of each address, the senders whose remote content is shown, and the
//! vacation reply (`ops::vacation`).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::pages::{self, SettingsPage};
use super::{CSS_PATH, Member, checked, failed, page};
use crate::error::Kind;
use crate::httpd::Transport;
use crate::ops::webmail::preferences;
use crate::server::{Login, Shared};
use crate::store::identities::Identity;
use crate::store::vacations::{self, Vacation};

async fn show(shared: &Shared, member: &Member, status: StatusCode, notice: Option<&str>) -> Response {
    let store = shared.store();
    let folders = match crate::ops::webmail::folders(&store, &member.account).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let vacation = {
        let got = async {
            let mut conn = store.pool.acquire().await?;
            vacations::get(&mut conn, member.account.id).await
        };
        match got.await {
            Ok(v) => v.unwrap_or(Vacation { days: 7, ..Vacation::default() }),
            Err(e) => return failed(e),
        }
    };
    let prefs = async {
        let ids = preferences::identities(&store, &member.account).await?;
        Ok::<_, crate::error::Error>((ids, preferences::trusted(&store, &member.account).await?))
    };
    let (identities, trusted) = match prefs.await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let p = SettingsPage {
        chrome: member.chrome(&folders),
        vacation: &vacation,
        identities: &identities,
        trusted: &trusted,
        notice,
    };
    page(status, pages::settings(&CSS_PATH, &p))
}

pub async fn settings(State(shared): State<Arc<Shared>>, member: Member) -> Response {
    show(&shared, &member, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    old: String,
    new: String,
    again: String,
}

pub async fn password(
    State(shared): State<Arc<Shared>>,
    member: Member,
    Extension(transport): Extension<Transport>,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    if let Some(r) = checked(&member, &headers, &f.csrf) {
        return r;
    }
    // The current password, checked as a sign-in is (a wrong one counts in the limiter).
    match shared.login(transport.peer, "webmail", &member.account.address, &f.old).await {
        Login::Ok(_) => {}
        Login::Denied => {
            return show(&shared, &member, StatusCode::FORBIDDEN, Some("The current password is wrong.")).await;
        }
        Login::Locked => {
            return show(&shared, &member, StatusCode::TOO_MANY_REQUESTS, Some("Too many wrong passwords: try later."))
                .await;
        }
        Login::Unavailable => {
            return show(&shared, &member, StatusCode::SERVICE_UNAVAILABLE, Some("Try again later.")).await;
        }
    }
    if f.new != f.again {
        return show(&shared, &member, StatusCode::UNPROCESSABLE_ENTITY, Some("The new passwords differ.")).await;
    }
    match crate::ops::account::set_password(&shared.store(), &member.account.address, f.new).await {
        Ok(_) => {
            // Whoever else was signed in with the old password is not any more.
            if let Err(e) = super::session::end_others(&shared.store(), &member.session).await {
                return failed(e);
            }
            show(&shared, &member, StatusCode::OK, Some("Password changed; other sessions were signed out.")).await
        }
        Err(e) if e.kind == Kind::Invalid => {
            show(&shared, &member, StatusCode::UNPROCESSABLE_ENTITY, Some(&format!("Not changed: {}.", e.message)))
                .await
        }
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub struct VacationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    days: String,
}

/// A `YYYY-MM-DD` day as the Unix time of its start (UTC); empty is None.
pub(super) fn day(v: &str) -> Result<Option<i64>, String> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc().timestamp()))
        .ok_or_else(|| format!("{v:?} is not a day (YYYY-MM-DD)"))
}

pub async fn vacation(
    State(shared): State<Arc<Shared>>,
    member: Member,
    headers: HeaderMap,
    Form(f): Form<VacationForm>,
) -> Response {
    if let Some(r) = checked(&member, &headers, &f.csrf) {
        return r;
    }
    let parsed = (|| -> Result<Vacation, String> {
        let days = if f.days.trim().is_empty() {
            7
        } else {
            f.days.trim().parse::<i64>().map_err(|_| "days is a number".to_string())?
        };
        if !(1..=365).contains(&days) {
            return Err("days is 1 to 365".into());
        }
        let (start_at, end_at) = (day(&f.start)?, day(&f.end)?);
        if let (Some(s), Some(e)) = (start_at, end_at)
            && e <= s
        {
            return Err("the last day comes before the first".into());
        }
        if f.subject.len() > 200 || f.body.len() > 10_000 {
            return Err("the subject or message is too long".into());
        }
        Ok(Vacation {
            enabled: f.enabled.is_some(),
            start_at,
            end_at,
            subject: f.subject.replace(['\r', '\n'], " "),
            body: f.body.clone(),
            days,
        })
    })();
    let v = match parsed {
        Ok(v) => v,
        Err(e) => {
            return show(&shared, &member, StatusCode::UNPROCESSABLE_ENTITY, Some(&format!("Not saved: {e}."))).await;
        }
    };
    let store = shared.store();
    let saved = async {
        let mut conn = store.pool.acquire().await?;
        vacations::put(&mut conn, member.account.id, &v, crate::store::now()).await
    };
    match saved.await {
        Ok(()) => show(&shared, &member, StatusCode::OK, Some("Vacation reply saved.")).await,
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub struct IdentityForm {
    #[serde(default)]
    csrf: String,
    address: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    signature: String,
}

pub async fn identity(
    State(shared): State<Arc<Shared>>,
    member: Member,
    headers: HeaderMap,
    Form(f): Form<IdentityForm>,
) -> Response {
    if let Some(r) = checked(&member, &headers, &f.csrf) {
        return r;
    }
    let i = Identity { address: f.address, display_name: f.name, signature: f.signature };
    match preferences::set_identity(&shared.store(), &member.account, &i).await {
        Ok(()) => show(&shared, &member, StatusCode::OK, Some(&format!("Saved for {}.", i.address))).await,
        Err(e) if matches!(e.kind, Kind::Invalid | Kind::Permission) => {
            show(&shared, &member, StatusCode::UNPROCESSABLE_ENTITY, Some(&format!("Not saved: {}.", e.message))).await
        }
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub struct TrustedForm {
    #[serde(default)]
    csrf: String,
    remove: String,
}

pub async fn trusted(
    State(shared): State<Arc<Shared>>,
    member: Member,
    headers: HeaderMap,
    Form(f): Form<TrustedForm>,
) -> Response {
    if let Some(r) = checked(&member, &headers, &f.csrf) {
        return r;
    }
    match preferences::distrust(&shared.store(), &member.account, &f.remove).await {
        Ok(()) => {
            let notice = format!("Remote content from {} is blocked again.", f.remove);
            show(&shared, &member, StatusCode::OK, Some(&notice)).await
        }
        Err(e) => failed(e),
    }
}

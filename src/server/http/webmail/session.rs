//! Webmail sign-in sessions: a cookie of 256 random bits (`Secure`, `HttpOnly`,
//! `SameSite=Strict`, path `/webmail`), of which the store keeps only the SHA-256; a new one at
//! every sign-in; ended after [`IDLE_SECS`] without a request, at sign-out, everywhere at
//! "sign out everywhere", and when the account is suspended or deleted. Each session has a
//! CSRF token that every state-changing form carries, checked in constant time.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use subtle::ConstantTimeEq;

use crate::error::Result;
use crate::ops::token::{random_secret as random_token, sha256_hex as hash};
use crate::store::webmail_sessions::{self, Session};
use crate::store::{Account, Status, Store, now};

pub const COOKIE_NAME: &str = "mailctl_webmail";
/// A session ends after this long without a request.
pub const IDLE_SECS: i64 = 30 * 60;
/// A session ends this long after sign-in, however active.
pub const MAX_AGE_SECS: i64 = 7 * 24 * 3600;
/// `seen_at` is written at most this often (not on every request).
const TOUCH_SECS: i64 = 60;

/// The session cookie's value in a request, if any.
pub fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == COOKIE_NAME && !v.is_empty() && v.len() <= 64)
        .map(|(_, v)| v.to_string())
}

/// The `Set-Cookie` value for a new session, and for ending one.
pub fn set_cookie(value: &str) -> String {
    // A browser-session cookie: the server ends the session (idle or too old), so an active
    // member is never signed out by the cookie's own clock.
    format!("{COOKIE_NAME}={value}; Path=/webmail; Secure; HttpOnly; SameSite=Strict")
}
pub fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; Path=/webmail; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Begin a session for `account` (ending the one `old` names, if any): the cookie's value.
pub async fn begin(store: &Store, account: &Account, old: Option<&str>, client: &str) -> Result<String> {
    let mut conn = store.pool.acquire().await?;
    if let Some(old) = old {
        webmail_sessions::delete(&mut conn, &hash(old)).await?;
    }
    let t = now();
    webmail_sessions::expire(&mut conn, t - IDLE_SECS).await?;
    let value = random_token();
    let s =
        Session { id_sha256: hash(&value), account_id: account.id, csrf: random_token(), created_at: t, seen_at: t };
    webmail_sessions::insert(&mut conn, &s, client).await?;
    Ok(value)
}

/// The live session a cookie names and its account (active, with a mailbox), or None.
pub async fn find(store: &Store, cookie: &str) -> Result<Option<(Session, Account)>> {
    let mut conn = store.pool.acquire().await?;
    let t = now();
    let Some(s) = webmail_sessions::live(&mut conn, &hash(cookie), t - IDLE_SECS).await? else { return Ok(None) };
    if s.created_at <= t - MAX_AGE_SECS {
        webmail_sessions::delete(&mut conn, &s.id_sha256).await?;
        return Ok(None);
    }
    let account = crate::store::accounts::by_id(&mut conn, s.account_id).await?;
    let Some(account) = account.filter(|a| a.status == Status::Active && a.tier.has_mailbox()) else {
        webmail_sessions::delete(&mut conn, &s.id_sha256).await?;
        return Ok(None);
    };
    if t - s.seen_at >= TOUCH_SECS {
        webmail_sessions::touch(&mut conn, &s.id_sha256, t).await?;
    }
    Ok(Some((s, account)))
}

/// End one session, or every session of its account.
pub async fn end(store: &Store, s: &Session, everywhere: bool) -> Result<()> {
    let mut conn = store.pool.acquire().await?;
    if everywhere {
        webmail_sessions::delete_for_account(&mut conn, s.account_id).await?;
    } else {
        webmail_sessions::delete(&mut conn, &s.id_sha256).await?;
    }
    Ok(())
}

/// End every other session of the account (after its password changed).
pub async fn end_others(store: &Store, s: &Session) -> Result<u64> {
    let mut conn = store.pool.acquire().await?;
    webmail_sessions::delete_others(&mut conn, s.account_id, &s.id_sha256).await
}

/// The form's CSRF token is the session's.
pub fn csrf_ok(s: &Session, presented: &str) -> bool {
    !presented.is_empty() && bool::from(s.csrf.as_bytes().ct_eq(presented.as_bytes()))
}

/// Whether a session is still live, without counting this as activity (an open page that
/// listens for new mail does not keep its session alive).
pub async fn still_live(store: &Store, s: &Session) -> Result<bool> {
    let mut conn = store.pool.acquire().await?;
    let t = now();
    if s.created_at <= t - MAX_AGE_SECS {
        return Ok(false);
    }
    if webmail_sessions::live(&mut conn, &s.id_sha256, t - IDLE_SECS).await?.is_none() {
        return Ok(false);
    }
    let account = crate::store::accounts::by_id(&mut conn, s.account_id).await?;
    Ok(account.is_some_and(|a| a.status == Status::Active && a.tier.has_mailbox()))
}

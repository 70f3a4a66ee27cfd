//! AUTH PLAIN (RFC 4616) and LOGIN, on submission, under TLS (or dev-mode loopback), with the
//! shared per-address failure limiter.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::session::{Next, Session};
use crate::proto::sasl::{PlainError, decode_plain, decode_text};
use crate::proto::smtp::codes;
use crate::server::Login;

/// Ask for more (334 + base64 prompt) and read the answer; None when the client is gone.
async fn challenge(s: &mut Session, prompt: &str) -> Option<String> {
    s.conn.queue(&format!("{} {}\r\n", codes::AUTH_CONTINUE, STANDARD.encode(prompt)));
    s.read_line().await
}

pub async fn auth(s: &mut Session, mechanism: &str, initial: Option<String>) -> Next {
    if s.listener == super::session::Listener::Mx {
        return s.error(codes::NOT_IMPLEMENTED);
    }
    if !s.auth_allowed() {
        s.reply(codes::ENCRYPTION_REQUIRED);
        return Next::Continue;
    }
    if s.account.is_some() {
        return s.error(codes::ALREADY_AUTHED);
    }
    if s.txn.is_some() {
        return s.error(codes::BAD_SEQUENCE);
    }
    let ip = s.peer.ip();
    if s.shared.auth_limiter.locked(ip) {
        s.reply(codes::AUTH_LOCKED);
        return Next::Close;
    }
    let creds = match mechanism {
        "PLAIN" => {
            let resp = match initial {
                Some(r) if r == "=" => String::new(),
                Some(r) => r,
                None => match challenge(s, "").await {
                    Some(r) => r,
                    None => return Next::Close,
                },
            };
            if resp == "*" {
                s.reply(codes::AUTH_CANCELLED);
                return Next::Continue;
            }
            match decode_plain(&resp) {
                Ok(creds) => creds,
                Err(e) => {
                    s.reply(if e == PlainError::Encoding { codes::BAD_BASE64 } else { codes::BAD_ARGS });
                    return Next::Continue;
                }
            }
        }
        "LOGIN" => {
            let user = match initial {
                Some(r) => Some(r),
                None => challenge(s, "Username:").await,
            };
            let Some(user) = user else { return Next::Close };
            if user == "*" {
                s.reply(codes::AUTH_CANCELLED);
                return Next::Continue;
            }
            let Some(pass) = challenge(s, "Password:").await else { return Next::Close };
            if pass == "*" {
                s.reply(codes::AUTH_CANCELLED);
                return Next::Continue;
            }
            match (decode_text(&user), decode_text(&pass)) {
                (Some(u), Some(p)) => (u, p),
                _ => {
                    s.reply(codes::BAD_BASE64);
                    return Next::Continue;
                }
            }
        }
        _ => {
            s.reply(codes::BAD_MECHANISM);
            return Next::Continue;
        }
    };
    match s.shared.login(s.peer, "smtp", &creds.0, &creds.1).await {
        Login::Ok(account) => {
            s.account = Some(*account);
            s.reply(codes::AUTH_OK);
        }
        Login::Locked => {
            s.reply(codes::AUTH_LOCKED);
            return Next::Close;
        }
        Login::Denied => s.reply(codes::AUTH_FAILED),
        Login::Unavailable => s.reply(codes::AUTH_TEMP),
    }
    Next::Continue
}

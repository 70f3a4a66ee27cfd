//! Admin API tokens: `mailctl token create|list|revoke`, and the check of a presented token.
//!
//! A token reads `mctl_<prefix>_<secret>`: the prefix (12 characters) finds the row and may
//! appear in listings; the secret (32 random bytes, base64url) is shown once at creation and
//! stored only as its SHA-256. A hash of a 256-bit random secret cannot be guessed or reversed,
//! so a slow password hash would only slow every API call. The hashes are compared in
//! constant time; a token is never logged.

use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::api_tokens::{self, NewToken, Token};
use crate::store::{Store, now};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Scope {
    #[serde(rename = "accounts:read")]
    AccountsRead,
    #[serde(rename = "accounts:write")]
    AccountsWrite,
    #[serde(rename = "aliases:read")]
    AliasesRead,
    #[serde(rename = "aliases:write")]
    AliasesWrite,
    #[serde(rename = "domains:read")]
    DomainsRead,
    #[serde(rename = "queue:read")]
    QueueRead,
    #[serde(rename = "queue:write")]
    QueueWrite,
    #[serde(rename = "dns:read")]
    DnsRead,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::AccountsRead,
        Scope::AccountsWrite,
        Scope::AliasesRead,
        Scope::AliasesWrite,
        Scope::DomainsRead,
        Scope::QueueRead,
        Scope::QueueWrite,
        Scope::DnsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::AccountsRead => "accounts:read",
            Scope::AccountsWrite => "accounts:write",
            Scope::AliasesRead => "aliases:read",
            Scope::AliasesWrite => "aliases:write",
            Scope::DomainsRead => "domains:read",
            Scope::QueueRead => "queue:read",
            Scope::QueueWrite => "queue:write",
            Scope::DnsRead => "dns:read",
        }
    }

    pub fn parse(s: &str) -> Result<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim()).ok_or_else(|| {
            Error::usage(format!("unknown scope {s:?}"))
                .with_hint(format!("scopes are {}", Scope::ALL.map(Scope::as_str).join(", ")))
        })
    }
}

const PREFIX: &str = "mctl_";
const PREFIX_LEN: usize = 12;

/// A new token, with its secret (shown once).
#[derive(Debug, Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub token: Token,
    /// The whole token: the only time it is shown.
    #[serde(rename = "token")]
    pub secret: String,
}

/// How a bearer secret is kept: hex SHA-256 (the webmail's session cookies too).
pub fn sha256_hex(s: &str) -> String {
    crate::backup::hex(&Sha256::digest(s.as_bytes()))
}

/// A fresh secret: 256 random bits, base64url (tokens' secret part, webmail sessions).
pub fn random_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(Error::invalid(format!("invalid token name {name:?}: 1 to 64 letters, digits, '-', '_' or '.'")));
    }
    Ok(())
}

/// Create a token named `name` with `scopes`, expiring after `expires_in` seconds (never when
/// `None`).
pub async fn create(store: &Store, name: &str, scopes: &[Scope], expires_in: Option<i64>) -> Result<Created> {
    check_name(name)?;
    if scopes.is_empty() {
        return Err(Error::usage("a token needs at least one scope (--scope accounts:read,…)"));
    }
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let joined = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let prefix: String =
        b64.encode(rand::random::<[u8; 9]>()).chars().map(|c| if c == '-' || c == '_' { 'x' } else { c }).collect();
    let secret_part = random_secret();
    let secret = format!("{PREFIX}{prefix}_{secret_part}");
    let t = now();
    let mut tx = store.begin_admin().await?;
    if api_tokens::by_name(&mut tx, name).await?.is_some() {
        return Err(Error::exists(format!("a token named {name} already exists"))
            .with_hint(format!("revoke it first (mailctl token revoke {name}) or choose another name")));
    }
    let row = NewToken {
        name,
        prefix: &prefix,
        secret_sha256: &sha256_hex(&secret_part),
        scopes: &joined,
        created_at: t,
        expires_at: expires_in.map(|e| t + e),
    };
    api_tokens::insert(&mut tx, &row).await?;
    let token = api_tokens::by_name(&mut tx, name).await?.expect("inserted");
    tx.commit().await?;
    debug_assert_eq!(prefix.len(), PREFIX_LEN);
    Ok(Created { token, secret })
}

pub async fn list(store: &Store) -> Result<Vec<Token>> {
    api_tokens::list(&mut *store.pool.acquire().await?).await
}

/// Revoke a token by name: refused from then on. Revoking twice is not an error.
pub async fn revoke(store: &Store, name: &str) -> Result<Token> {
    let mut tx = store.begin_admin().await?;
    let Some(token) = api_tokens::by_name(&mut tx, name).await? else {
        return Err(Error::not_found(format!("no token named {name}")).with_hint("list them with mailctl token list"));
    };
    api_tokens::revoke(&mut tx, token.id, now()).await?;
    let token = api_tokens::by_name(&mut tx, name).await?.expect("still there");
    tx.commit().await?;
    Ok(token)
}

/// Why a presented token was refused (all alike to the client).
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Malformed,
    Unknown,
    Revoked,
    Expired,
}

/// The token a request presented, if it is valid now.
pub async fn authenticate(store: &Store, presented: &str) -> Result<std::result::Result<Token, Refused>> {
    use subtle::ConstantTimeEq;
    let Some((prefix, secret)) = presented.strip_prefix(PREFIX).and_then(|r| r.split_once('_')) else {
        return Ok(Err(Refused::Malformed));
    };
    if prefix.len() != PREFIX_LEN || secret.len() > 128 {
        return Ok(Err(Refused::Malformed));
    }
    let p = prefix.to_string();
    let found = store.read(1, move |c| Box::pin(async move { api_tokens::by_prefix(c, &p).await })).await?;
    let Some(token) = found else {
        return Ok(Err(Refused::Unknown));
    };
    if !bool::from(sha256_hex(secret).as_bytes().ct_eq(token.secret_sha256.as_bytes())) {
        return Ok(Err(Refused::Unknown));
    }
    let t = now();
    if token.revoked_at.is_some() {
        return Ok(Err(Refused::Revoked));
    }
    if token.expires_at.is_some_and(|e| e <= t) {
        return Ok(Err(Refused::Expired));
    }
    // For people reading `token list`: to the minute is enough.
    if token.last_used_at.is_none_or(|u| t - u >= 60) {
        api_tokens::touch(&mut *store.pool.acquire().await?, token.id, t).await?;
    }
    Ok(Ok(token))
}

/// Does the token grant `scope`?
pub fn grants(token: &Token, scope: Scope) -> bool {
    token.scopes.iter().any(|s| s == scope.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_by_their_names_only() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()).unwrap(), s);
        }
        for bad in ["", "accounts", "accounts:delete", "ACCOUNTS:READ", "*"] {
            assert!(Scope::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_names_are_short_and_plain() {
        check_name("billing-backend.prod_1").unwrap();
        for bad in ["", "a b", "x/y", &"n".repeat(65), "tab\t"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}

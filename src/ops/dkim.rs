//! DKIM keys: generate (rsa via the rsa crate, ed25519), rotate with a pending selector that
//! is published before it signs, activate, retire; and signing with the active keys
//! (mail-auth, relaxed/relaxed).

use std::path::PathBuf;

use base64::Engine;

use crate::dkim::{TxtRecord, family, txt};
use crate::error::{Error, Kind, Result};
use crate::store::dkim::{self as keys, DkimKey};
use crate::store::{Store, now};

pub const ALGORITHMS: [&str; 3] = ["rsa-2048", "rsa-4096", "ed25519"];

/// Headers signed (RFC 6376 §5.4.1's recommendations, plus the MIME and list headers).
pub const SIGNED_HEADERS: [&str; 14] = [
    "From",
    "Reply-To",
    "Subject",
    "Date",
    "To",
    "Cc",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// A selector is one or more DNS labels: letters, digits and hyphens.
pub fn check_selector(s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!("invalid selector {s:?}: use DNS labels (letters, digits, '-')")))
    }
}

pub fn check_algorithm(a: &str) -> Result<()> {
    if ALGORITHMS.contains(&a) {
        Ok(())
    } else {
        Err(Error::usage(format!("unknown algorithm {a:?}: use one of {}", ALGORITHMS.join(", "))))
    }
}

pub fn key_path(store: &Store, domain: &str, selector: &str) -> PathBuf {
    store.data_dir.join("dkim").join(domain).join(format!("{selector}.key"))
}

fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN PRIVATE KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END PRIVATE KEY-----\n");
    out
}

fn der_from_pem(text: &str) -> Result<Vec<u8>> {
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|_| Error::invalid("the DKIM key file is not PEM"))
}

/// A new key pair: (PKCS#8 DER private key, p= value).
fn make_key(algorithm: &str) -> Result<(Vec<u8>, String)> {
    let fail = |e: &dyn std::fmt::Display| Error::new(Kind::Internal, format!("generating a DKIM key: {e}"));
    let der = match algorithm {
        "ed25519" => mail_auth::common::crypto::Ed25519Key::generate_pkcs8().map_err(|e| fail(&e))?,
        _ => {
            use rsa::pkcs8::EncodePrivateKey;
            let bits = if algorithm == "rsa-4096" { 4096 } else { 2048 };
            let private = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits).map_err(|e| fail(&e))?;
            private.to_pkcs8_der().map_err(|e| fail(&e))?.as_bytes().to_vec()
        }
    };
    let public = public_b64(algorithm, &der).map_err(|e| fail(&e))?;
    Ok((der, public))
}

/// The p= value (base64 public key) of a PKCS#8 DER private key.
fn public_b64(algorithm: &str, der: &[u8]) -> std::result::Result<String, String> {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    if family(algorithm) == "ed25519" {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        let key = ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(|e| e.to_string())?;
        Ok(b64(key.verifying_key().as_bytes()))
    } else {
        use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
        let private = rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(|e| e.to_string())?;
        let public = rsa::RsaPublicKey::from(&private).to_public_key_der().map_err(|e| e.to_string())?;
        Ok(b64(public.as_bytes()))
    }
}

/// A key's private key file, as PKCS#8 DER.
fn read_der(store: &Store, k: &DkimKey) -> Result<Vec<u8>> {
    let path = key_path(store, &k.domain, &k.selector);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
    der_from_pem(&text)
}

fn default_selector(algorithm: &str, taken: &[DkimKey]) -> String {
    let day = chrono::Utc::now().format("%Y%m%d");
    let suffix = if family(algorithm) == "rsa" { "r" } else { "e" };
    let base = format!("{day}{suffix}");
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|k| k.selector == name) {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

/// `dkim generate` and `dkim rotate`: a new key; active when the domain has no active key of
/// its family (the first key), else pending until `activate`.
pub async fn generate(
    store: &Store,
    domain: &str,
    selector: Option<&str>,
    algorithm: &str,
    rotate: bool,
) -> Result<DkimKey> {
    let domain = crate::names::domain(domain)?;
    check_algorithm(algorithm)?;
    if let Some(s) = selector {
        check_selector(s)?;
    }
    let mut tx = store.begin_admin().await?;
    crate::ops::require_domain(&mut tx, &domain).await?;
    let existing = keys::list(&mut tx, Some(&domain)).await?;
    if rotate && !existing.iter().any(|k| k.status == "active") {
        return Err(Error::not_found(format!("{domain} has no active DKIM key to rotate"))
            .with_hint(format!("create one with `mailctl dkim generate --domain {domain}`")));
    }
    let selector = match selector {
        Some(s) => s.to_string(),
        None => default_selector(algorithm, &existing),
    };
    if existing.iter().any(|k| k.selector == selector) {
        return Err(Error::exists(format!("selector {selector} already exists for {domain}")));
    }
    let active = existing.iter().any(|k| k.status == "active" && family(&k.algorithm) == family(algorithm));
    let alg = algorithm.to_string();
    let (der, public_key) = crate::ops::blocking(move || make_key(&alg)).await?;
    let t = now();
    let key = DkimKey {
        domain: domain.clone(),
        selector: selector.clone(),
        algorithm: algorithm.to_string(),
        status: if active { "pending" } else { "active" }.to_string(),
        public_key,
        created_at: t,
        changed_at: t,
    };
    keys::insert(&mut tx, &key).await?;
    let path = key_path(store, &domain, &selector);
    if let Some(dir) = path.parent() {
        crate::fsutil::create_private_dir(dir)?;
    }
    crate::fsutil::write_atomic(&path, pem(&der).as_bytes(), 0o600)?;
    if let Err(e) = tx.commit().await {
        let _ = std::fs::remove_file(&path);
        return Err(e.into());
    }
    Ok(key)
}

pub async fn list(store: &Store, domain: Option<&str>) -> Result<Vec<DkimKey>> {
    let domain = domain.map(crate::names::domain).transpose()?;
    let mut conn = store.pool.acquire().await?;
    if let Some(d) = &domain {
        crate::ops::require_domain(&mut conn, d).await?;
    }
    keys::list(&mut conn, domain.as_deref()).await
}

/// The records to publish: every key that is not retired.
pub async fn show(store: &Store, domain: &str) -> Result<Vec<TxtRecord>> {
    Ok(list(store, Some(domain)).await?.iter().filter(|k| k.status != "retired").map(txt).collect())
}

async fn require_key(conn: &mut sqlx::AnyConnection, domain: &str, selector: &str) -> Result<DkimKey> {
    keys::list(conn, Some(domain))
        .await?
        .into_iter()
        .find(|k| k.selector == selector)
        .ok_or_else(|| Error::not_found(format!("no DKIM selector {selector} for {domain}")))
}

/// `dkim activate`: this key signs from now on; the active key of its family stays published
/// (inactive) so mail already sent still verifies.
pub async fn activate(store: &Store, domain: &str, selector: &str) -> Result<DkimKey> {
    let domain = crate::names::domain(domain)?;
    let mut tx = store.begin_admin().await?;
    crate::ops::require_domain(&mut tx, &domain).await?;
    let key = require_key(&mut tx, &domain, selector).await?;
    if key.status == "retired" {
        return Err(Error::invalid(format!("selector {selector} is retired; generate a new key")));
    }
    let t = now();
    for k in keys::list(&mut tx, Some(&domain)).await? {
        if k.status == "active" && k.selector != selector && family(&k.algorithm) == family(&key.algorithm) {
            keys::set_status(&mut tx, &domain, &k.selector, "inactive", t).await?;
        }
    }
    keys::set_status(&mut tx, &domain, selector, "active", t).await?;
    tx.commit().await?;
    Ok(DkimKey { status: "active".into(), changed_at: t, ..key })
}

/// `dkim retire`: the key stops signing and is no longer published; its file is removed.
pub async fn retire(store: &Store, domain: &str, selector: &str) -> Result<DkimKey> {
    let domain = crate::names::domain(domain)?;
    let mut tx = store.begin_admin().await?;
    crate::ops::require_domain(&mut tx, &domain).await?;
    let key = require_key(&mut tx, &domain, selector).await?;
    let t = now();
    keys::set_status(&mut tx, &domain, selector, "retired", t).await?;
    tx.commit().await?;
    let _ = std::fs::remove_file(key_path(store, &domain, selector));
    Ok(DkimKey { status: "retired".into(), changed_at: t, ..key })
}

/// DKIM-Signature header fields for a message from `domain`, one per active key (rsa and
/// ed25519 when both are active). Empty when the domain has no active key.
pub async fn sign(store: &Store, domain: &str, message: &[u8]) -> Result<Vec<String>> {
    let mut conn = store.pool.acquire().await?;
    let active: Vec<DkimKey> =
        keys::list(&mut conn, Some(domain)).await?.into_iter().filter(|k| k.status == "active").collect();
    drop(conn);
    let mut out = Vec::new();
    for k in active {
        out.push(sign_with(&k, &read_der(store, &k)?, message)?);
        crate::metrics::METRICS.dkim_signatures.inc();
    }
    Ok(out)
}

fn sign_with(k: &DkimKey, der: &[u8], message: &[u8]) -> Result<String> {
    use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
    use mail_auth::common::headers::HeaderWriter;
    use mail_auth::dkim::{Canonicalization, DkimSigner};
    let fail = |e: mail_auth::Error| Error::new(Kind::Internal, format!("DKIM signing with {}: {e}", k.selector));
    macro_rules! signed {
        ($key:expr) => {
            DkimSigner::from_key($key)
                .domain(k.domain.clone())
                .selector(k.selector.clone())
                .headers(SIGNED_HEADERS)
                .header_canonicalization(Canonicalization::Relaxed)
                .body_canonicalization(Canonicalization::Relaxed)
                .sign(message)
                .map_err(fail)?
                .to_header()
        };
    }
    Ok(if family(&k.algorithm) == "rsa" {
        let key = RsaKey::<Sha256>::from_key_der(rustls::pki_types::PrivateKeyDer::Pkcs8(der.to_vec().into()))
            .map_err(fail)?;
        signed!(key)
    } else {
        let key = Ed25519Key::from_pkcs8_der(der).map_err(fail)?;
        signed!(key)
    })
}

/// The p= value derived from the private key file on disk (to check it against the record).
pub fn public_key_on_disk(store: &Store, k: &DkimKey) -> Result<String> {
    public_b64(&k.algorithm, &read_der(store, k)?)
        .map_err(|e| Error::invalid(format!("{}: {e}", key_path(store, &k.domain, &k.selector).display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        for ok in ["s1", "20261124r", "mail-2026", "a.b"] {
            assert!(check_selector(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "a..b", "a_b", "a b", "x/../y", &"a".repeat(64)] {
            assert!(check_selector(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pem_round_trip() {
        let der = vec![1u8, 2, 3, 250, 251, 252];
        assert_eq!(der_from_pem(&pem(&der)).unwrap(), der);
    }
}

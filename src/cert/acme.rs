//! ACME issuance (RFC 8555) with instant-acme: the account (created once per CA and kept in
//! the data dir, 0600), the order, a challenge per authorization answered by a [`Present`]
//! implementation, finalization with a fresh key, and the CA's suggested renewal window
//! (RFC 9773 ARI) when it offers one. Bad nonces are retried by instant-acme.

use std::path::{Path, PathBuf};
use std::time::Duration;

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, KeyAuthorization, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};

use crate::error::{Error, Kind, Result};

pub const LETSENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
pub const LETSENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    Http01,
    TlsAlpn01,
    Dns01,
}

impl Challenge {
    pub fn parse(s: &str) -> Result<Challenge> {
        match s {
            "http-01" => Ok(Challenge::Http01),
            "tls-alpn-01" => Ok(Challenge::TlsAlpn01),
            "dns-01" => Ok(Challenge::Dns01),
            _ => Err(Error::usage(format!("unknown challenge {s:?}: use http-01, tls-alpn-01 or dns-01"))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Challenge::Http01 => "http-01",
            Challenge::TlsAlpn01 => "tls-alpn-01",
            Challenge::Dns01 => "dns-01",
        }
    }
    fn acme_type(self) -> ChallengeType {
        match self {
            Challenge::Http01 => ChallengeType::Http01,
            Challenge::TlsAlpn01 => ChallengeType::TlsAlpn01,
            Challenge::Dns01 => ChallengeType::Dns01,
        }
    }
}

/// Something that answers challenges: writes the HTTP-01 file, the TLS-ALPN-01 certificate,
/// or the DNS-01 TXT record, and takes them away afterwards.
pub trait Present {
    fn present(&mut self, host: &str, token: &str, key: &KeyAuthorization) -> impl Future<Output = Result<()>>;
    fn cleanup(&mut self) -> impl Future<Output = ()>;
}

/// An ACME failure: the error to report and, when the CA sent a problem document (RFC 8555
/// §6.7), its type, which callers decide on.
#[derive(Debug)]
pub struct AcmeError {
    pub problem: Option<Problem>,
    pub error: Error,
}

impl From<Error> for AcmeError {
    fn from(error: Error) -> Self {
        AcmeError { problem: None, error }
    }
}

impl From<AcmeError> for Error {
    fn from(e: AcmeError) -> Self {
        e.error
    }
}

/// The problem types of RFC 8555 §6.7 (and RFC 8555's `externalAccountRequired`) that decide
/// an exit code or a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    AccountDoesNotExist,
    BadNonce,
    RateLimited,
    ServerInternal,
    /// The CA could not validate a challenge, or refuses the names or the request.
    Refused,
    /// The account needs something the CA asks of a person.
    AccountAction,
    Other,
}

impl Problem {
    fn parse(urn: &str) -> Problem {
        match urn.strip_prefix("urn:ietf:params:acme:error:").unwrap_or("") {
            "accountDoesNotExist" => Problem::AccountDoesNotExist,
            "badNonce" => Problem::BadNonce,
            "rateLimited" => Problem::RateLimited,
            "serverInternal" => Problem::ServerInternal,
            "unauthorized"
            | "incorrectResponse"
            | "connection"
            | "dns"
            | "caa"
            | "rejectedIdentifier"
            | "tls"
            | "unsupportedIdentifier"
            | "malformed"
            | "badCSR" => Problem::Refused,
            "externalAccountRequired" | "userActionRequired" => Problem::AccountAction,
            _ => Problem::Other,
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Problem::RateLimited | Problem::BadNonce | Problem::ServerInternal => Kind::TempFail,
            Problem::Refused => Kind::Invalid,
            Problem::AccountDoesNotExist | Problem::AccountAction => Kind::Permission,
            Problem::Other => Kind::Unavailable,
        }
    }
}

/// An instant-acme error: the problem document's type and detail, or what kept us from the CA
/// with its whole cause chain (a refused certificate says which and why).
pub fn error(e: instant_acme::Error) -> AcmeError {
    let unreachable = |e| Error::new(Kind::Unavailable, "ACME: cannot reach the CA").with_source(e);
    let error = match e {
        instant_acme::Error::Api(p) => return problem(&p),
        instant_acme::Error::Timeout(_) => Error::new(Kind::TempFail, "ACME: the CA did not finish the order in time"),
        e @ (instant_acme::Error::Hyper(_) | instant_acme::Error::Http(_)) => unreachable(e),
        e => Error::new(Kind::Unavailable, "ACME").with_source(e),
    };
    AcmeError { problem: None, error }
}

fn problem(p: &instant_acme::Problem) -> AcmeError {
    let t = p.r#type.as_deref().unwrap_or("unknown");
    let problem = Problem::parse(t);
    let mut detail = p.detail.clone().unwrap_or_default();
    for s in &p.subproblems {
        if let Some(d) = &s.detail {
            detail.push_str(&format!("; {d}"));
        }
    }
    AcmeError { error: Error::new(problem.kind(), format!("ACME {t}: {detail}")), problem: Some(problem) }
}

fn account_path(data_dir: &Path, directory: &str) -> PathBuf {
    use sha2::Digest;
    let id: String = sha2::Sha256::digest(directory.as_bytes())[..8].iter().map(|b| format!("{b:02x}")).collect();
    dir(data_dir).join(format!("account-{id}.json"))
}

/// Forget a stored account the CA no longer knows (a test CA restarted, an account
/// deactivated elsewhere): the next `account` makes a new one.
pub fn forget_account(data_dir: &Path, directory: &str) {
    let _ = std::fs::remove_file(account_path(data_dir, directory));
}

/// An instant-acme account builder that trusts `ca_root` (a test CA) or the webpki roots.
fn builder(ca_root: Option<&Path>) -> Result<instant_acme::AccountBuilder, AcmeError> {
    match ca_root {
        Some(root) => Account::builder_with_root(root)
            .map_err(|e| Error::new(Kind::Config, format!("--ca-root {}", root.display())).with_source(e).into()),
        None => Account::builder().map_err(error),
    }
}

/// The account kept for a CA, loaded (which fetches the CA's directory): None when none is
/// kept (or its file does not parse: the next order makes a new one).
pub async fn stored_account(
    data_dir: &Path,
    directory: &str,
    ca_root: Option<&Path>,
) -> Result<Option<Account>, AcmeError> {
    let Ok(text) = std::fs::read_to_string(account_path(data_dir, directory)) else { return Ok(None) };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else { return Ok(None) };
    // The credentials name the directory they were made with: that is the one asked.
    let asked = json["directory"].as_str().unwrap_or(directory).to_string();
    let Ok(creds) = serde_json::from_value::<AccountCredentials>(json) else { return Ok(None) };
    builder(ca_root)?.from_credentials(creds).await.map(Some).map_err(|e| {
        let e = error(e);
        AcmeError { error: e.error.context(format!("the ACME directory {asked}")), problem: e.problem }
    })
}

/// The account for a CA: made on first use and kept (0600) in `data_dir/acme/`.
pub async fn account(
    data_dir: &Path,
    directory: &str,
    ca_root: Option<&Path>,
    email: Option<&str>,
) -> Result<Account, AcmeError> {
    crate::fsutil::create_private_dir(&dir(data_dir))?;
    let path = account_path(data_dir, directory);
    if let Some(account) = stored_account(data_dir, directory, ca_root).await? {
        return Ok(account);
    }
    let contact = email.map(|e| format!("mailto:{e}"));
    let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
    let new = NewAccount { contact: &contacts, terms_of_service_agreed: true, only_return_existing: false };
    let (account, creds) = builder(ca_root)?.create(&new, directory.to_string(), None).await.map_err(error)?;
    let json = serde_json::to_vec(&creds).map_err(|e| Error::new(Kind::Internal, e.to_string()))?;
    crate::fsutil::write_atomic(&path, &json, 0o600)?;
    Ok(account)
}

/// What an order produced.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    /// The CA's suggested renewal window, if it offers ARI.
    pub renew_window: Option<(i64, i64)>,
}

/// Order a certificate for `hosts`, answering each pending authorization with `kind`.
pub async fn issue<P: Present>(
    account: &Account,
    hosts: &[String],
    kind: Challenge,
    replaces: Option<&str>,
    responder: &mut P,
) -> Result<Issued, AcmeError> {
    let ids: Vec<Identifier> = hosts.iter().map(|h| Identifier::Dns(h.clone())).collect();
    let mut new = NewOrder::new(&ids);
    // RFC 9773 §5: name the certificate this one replaces (a CA that offers ARI exempts such
    // renewals from some rate limits).
    let replaced = replaces.and_then(certificate_id);
    if let Some(id) = replaced.clone() {
        new = new.replaces(id);
    }
    let mut order = match account.new_order(&new).await {
        // The CA no longer offers ARI: an order like any other.
        Err(instant_acme::Error::Unsupported(_)) if replaced.is_some() => {
            account.new_order(&NewOrder::new(&ids)).await.map_err(error)?
        }
        r => r.map_err(error)?,
    };
    let result: Result<(String, String), AcmeError> = async {
        let mut authzs = order.authorizations();
        while let Some(a) = authzs.next().await {
            let mut a = a.map_err(error)?;
            match a.status {
                AuthorizationStatus::Valid => continue,
                AuthorizationStatus::Pending => {}
                s => return Err(Error::new(Kind::Invalid, format!("ACME: an authorization is {s:?}")).into()),
            }
            let mut ch = a.challenge(kind.acme_type()).ok_or_else(|| {
                Error::new(Kind::Invalid, format!("ACME: the CA does not offer {} here", kind.as_str()))
            })?;
            let host = ch.identifier().to_string();
            let key = ch.key_authorization();
            let token = ch.token.clone();
            responder.present(&host, &token, &key).await?;
            ch.set_ready().await.map_err(error)?;
        }
        let retry =
            RetryPolicy::new().initial_delay(Duration::from_millis(100)).backoff(1.5).timeout(Duration::from_secs(90));
        let status = order.poll_ready(&retry).await.map_err(error)?;
        if status != OrderStatus::Ready {
            return Err(why_invalid(&mut order).await);
        }
        let key_pem = order.finalize().await.map_err(error)?;
        let cert_pem = order.poll_certificate(&retry).await.map_err(error)?;
        Ok((cert_pem, key_pem))
    }
    .await;
    responder.cleanup().await;
    let (cert_pem, key_pem) = result?;
    let renew_window = renewal_window(account, &cert_pem).await;
    Ok(Issued { cert_pem, key_pem, renew_window })
}

/// The first challenge error of an order that went invalid.
async fn why_invalid(order: &mut instant_acme::Order) -> AcmeError {
    let mut authzs = order.authorizations();
    while let Some(Ok(a)) = authzs.next().await {
        for c in &a.challenges {
            if let Some(p) = &c.error {
                return problem(p);
            }
        }
    }
    Error::new(Kind::Invalid, "ACME: the order became invalid (a challenge failed)").into()
}

/// The RFC 9773 identifier of a certificate (PEM).
fn certificate_id(cert_pem: &str) -> Option<instant_acme::CertificateIdentifier<'static>> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let der = CertificateDer::pem_slice_iter(cert_pem.as_bytes()).next()?.ok()?;
    instant_acme::CertificateIdentifier::try_from(&der).ok().map(|i| i.into_owned())
}

/// RFC 9773: the CA's suggested renewal window for a certificate, when it offers ARI.
pub async fn renewal_window(account: &Account, cert_pem: &str) -> Option<(i64, i64)> {
    let id = certificate_id(cert_pem)?;
    let (info, _) = account.renewal_info(&id).await.ok()?;
    let w = info.suggested_window;
    Some((w.start.unix_timestamp(), w.end.unix_timestamp()))
}

/// The directory URL for the flags: `--directory`, `--staging`, or Let's Encrypt.
pub fn directory(flag: Option<&str>, staging: bool) -> String {
    match (flag, staging) {
        (Some(d), _) => d.to_string(),
        (None, true) => LETSENCRYPT_STAGING.to_string(),
        (None, false) => LETSENCRYPT.to_string(),
    }
}

/// `data_dir/acme`: the accounts, the challenge files, the lock.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("acme")
}

//! `cert self-signed|issue|renew|status`: the mail host's certificate. Every way in ends with
//! `cert::files::install` (a new pair switched in with one rename), so a failure anywhere
//! before leaves the current certificate as it was; a running `mailctl serve` is told
//! (SIGHUP) and also notices the change on its own.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use instant_acme::KeyAuthorization;
use serde::Serialize;

use crate::cert::acme::{self, AcmeError, Challenge, Present, Problem};
use crate::cert::challenge::{Standalone, write_http01, write_tlsalpn01};
use crate::cert::files::{self, Meta};
use crate::cert::info::{self, CertInfo};
use crate::config::Config;
use crate::dns::lookup::Resolver;
use crate::dns::plan::{Action, Change};
use crate::dns::provider::{Provider, Settings};
use crate::dns::records::Record;
use crate::error::{Error, Kind, Result};
use crate::store::{Store, now};

/// Days before expiry that a certificate is renewed, when the CA suggests nothing else.
pub const RENEW_DAYS: i64 = 30;

#[derive(Debug, Serialize)]
pub struct Status {
    pub path: PathBuf,
    pub hosts: Vec<String>,
    pub subject: String,
    pub issuer: String,
    pub not_before: i64,
    pub not_after: i64,
    pub days_left: i64,
    /// `self-signed`, `acme`, or `file` (installed by hand).
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    /// When `cert renew` will renew it (ACME only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_renewal: Option<i64>,
}

pub fn status(cfg: &Config) -> Result<Status> {
    let path = cfg.server.tls_cert.clone();
    if !path.exists() {
        return Err(Error::new(Kind::NoInput, format!("no certificate at {}", path.display())).with_hint(
            "`mailctl serve` makes a self-signed one on first start; `mailctl cert issue` gets one from an ACME CA",
        ));
    }
    let i = info::read(&path)?;
    let meta = files::meta(&path);
    Ok(status_of(path, i, meta.as_ref()))
}

/// The status of a certificate already read.
fn status_of(path: PathBuf, i: CertInfo, meta: Option<&Meta>) -> Status {
    let source = match meta {
        Some(m) => m.source.clone(),
        None if i.self_signed => "self-signed".into(),
        None => "file".into(),
    };
    let next_renewal = meta.filter(|m| m.source == "acme").map(|m| renew_at(&i, m, RENEW_DAYS));
    Status {
        path,
        days_left: i.days_left(now()),
        hosts: i.hosts,
        subject: i.subject,
        issuer: i.issuer,
        not_before: i.not_before,
        not_after: i.not_after,
        source,
        directory: meta.and_then(|m| m.directory.clone()),
        challenge: meta.and_then(|m| m.challenge.clone()),
        next_renewal,
    }
}

/// Switch a new pair in, tell a running server, and say what is served now.
fn install(cfg: &Config, cert_pem: &str, key_pem: &str, meta: &Meta) -> Result<Status> {
    // The certificate must parse before it is switched in.
    let i = info::parse(cert_pem.as_bytes())?;
    files::install(&cfg.server.tls_cert, &cfg.server.tls_key, cert_pem, key_pem, meta)?;
    notify_server(cfg);
    Ok(status_of(cfg.server.tls_cert.clone(), i, Some(meta)))
}

/// When a certificate is due: at the start of the CA's suggested window (RFC 9773) if it gave
/// one; else `days` before it expires, but never earlier than two thirds into its life (a
/// 6-day certificate is not renewed on every cron run).
fn renew_at(i: &CertInfo, m: &Meta, days: i64) -> i64 {
    if let Some((start, _)) = m.renew_window {
        return start;
    }
    let lifetime = (i.not_after - i.not_before).max(0);
    i.not_after - (days * 86400).min(lifetime / 3)
}

/// The names a certificate may cover: the mail host, the webmail host, and per domain the
/// MTA-STS and autoconfig hosts.
pub async fn allowed_hosts(cfg: &Config, store: &Store) -> Result<Vec<String>> {
    let mut out = own_hosts(cfg);
    let mut conn = store.pool.acquire().await?;
    for d in crate::store::domains::list(&mut conn).await? {
        out.push(format!("mta-sts.{}", d.name));
        out.push(format!("autoconfig.{}", d.name));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|h| seen.insert(h.clone()));
    Ok(out)
}

/// The mail host and the webmail host: always in a certificate asked for by default.
fn own_hosts(cfg: &Config) -> Vec<String> {
    std::iter::once(cfg.hostname.clone()).chain(cfg.dns.webmail_host.clone()).collect()
}

/// The names a certificate covers and the ones left out of it.
#[derive(Debug, Default)]
pub struct Hosts {
    pub hosts: Vec<String>,
    /// Per-domain names left out of a default certificate: they do not resolve (yet).
    pub left_out: Vec<String>,
}

/// The hosts asked for, each valid and one of [`allowed_hosts`]; checked before any CA is
/// contacted. By default every allowed name, so that the MTA-STS policy and client
/// auto-configuration are served under a certificate that covers them; with `resolving`
/// (a CA will look the names up), a domain's MTA-STS or autoconfig name that does not
/// resolve there is left out instead of failing the whole order: its DNS is not published yet.
pub async fn check_hosts(cfg: &Config, store: &Store, asked: &[String], resolving: Option<&Resolver>) -> Result<Hosts> {
    let allowed = allowed_hosts(cfg, store).await?;
    if asked.is_empty() {
        let Some(resolver) = resolving else { return Ok(Hosts { hosts: allowed, left_out: Vec::new() }) };
        let own = own_hosts(cfg);
        let found = futures_util::stream::iter(allowed.iter().filter(|h| !own.contains(h)))
            .map(|h| async move { (h, resolver.addresses(h).await.is_ok_and(|a| !a.is_empty())) })
            .buffered(16)
            .collect::<Vec<_>>()
            .await;
        let mut out = Hosts { hosts: own.into_iter().filter(|h| allowed.contains(h)).collect(), left_out: Vec::new() };
        for (h, resolves) in found {
            if resolves { out.hosts.push(h.clone()) } else { out.left_out.push(h.clone()) }
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for a in asked {
        let h =
            crate::names::domain(a).map_err(|e| Error::invalid(format!("invalid host name {a:?}: {}", e.message)))?;
        if !allowed.contains(&h) {
            return Err(Error::invalid(format!("{h} is not a name of this mail system")).with_hint(format!(
                "allowed: {} (set hostname or webmail_host, or add the domain)",
                allowed.join(", ")
            )));
        }
        if !out.contains(&h) {
            out.push(h);
        }
    }
    Ok(Hosts { hosts: out, left_out: Vec::new() })
}

/// Tell a running `mailctl serve` to load the new certificate now (it would within 15 s).
fn notify_server(cfg: &Config) {
    crate::running::reload_server(&cfg.data_dir);
}

pub fn self_signed(cfg: &Config, hosts: Vec<String>) -> Result<Status> {
    let (cert_pem, key_pem) = crate::tls_material::self_signed_pem(&hosts)?;
    let meta = Meta { source: "self-signed".into(), hosts, issued_at: now(), ..Default::default() };
    install(cfg, &cert_pem, &key_pem, &meta)
}

/// How to get a certificate from an ACME CA.
#[derive(Debug, Clone)]
pub struct IssueOptions {
    pub hosts: Vec<String>,
    pub challenge: Challenge,
    pub directory: String,
    pub email: Option<String>,
    pub ca_root: Option<PathBuf>,
    /// Answer HTTP-01 / TLS-ALPN-01 on a listener of our own at this address.
    pub http_listen: Option<String>,
    pub tls_listen: Option<String>,
    /// DNS-01: the provider, and where to look for the record before telling the CA.
    pub dns: Option<Settings>,
    pub resolver: Option<String>,
    pub dns_timeout: Duration,
    /// RFC 9773: the certificate (PEM) this one replaces, for a CA that offers ARI.
    pub replaces: Option<String>,
}

pub async fn issue(cfg: &Config, opts: &IssueOptions) -> Result<Status> {
    // DNS-01's provider: settings checked (and credentials read) once, before any CA is asked.
    let mut provider = match opts.challenge {
        Challenge::Dns01 => Some(Provider::new(opts.dns.as_ref().unwrap_or(&Settings::default()))?),
        _ => None,
    };
    // A CA that forgot the account gets a new one; a run of bad nonces (RFC 8555 §6.5: the
    // client retries, which instant-acme does for each request, three times) gets a new order.
    let mut attempt = 0;
    let issued = loop {
        attempt += 1;
        match order(cfg, opts, provider.as_mut()).await {
            Err(AcmeError { problem: Some(Problem::AccountDoesNotExist), .. }) if attempt < 3 => {
                acme::forget_account(&cfg.data_dir, &opts.directory)
            }
            Err(AcmeError { problem: Some(Problem::BadNonce), .. }) if attempt < 3 => {}
            r => break r?,
        }
    };
    let meta = Meta {
        source: "acme".into(),
        hosts: opts.hosts.clone(),
        directory: Some(opts.directory.clone()),
        challenge: Some(opts.challenge.as_str().into()),
        email: opts.email.clone(),
        // Absolute: cron renews from another directory.
        ca_root: opts.ca_root.as_deref().map(crate::fsutil::absolute),
        issued_at: now(),
        renew_window: issued.renew_window,
        dns: opts.dns.as_ref().map(|d| files::DnsMeta {
            settings: Settings {
                tsig_key: d.tsig_key.as_deref().map(crate::fsutil::absolute),
                ca_file: d.ca_file.as_deref().map(crate::fsutil::absolute),
                ..d.clone()
            },
            resolver: opts.resolver.clone(),
        }),
    };
    install(cfg, &issued.cert_pem, &issued.key_pem, &meta)
}

/// One order, start to finish, with the challenge answered as asked. One at a time per data
/// dir (cron and a person at once would answer each other's challenges); SIGINT or SIGTERM
/// part-way still removes what was put up for the CA.
async fn order(cfg: &Config, opts: &IssueOptions, provider: Option<&mut Provider>) -> Result<acme::Issued, AcmeError> {
    let _lock = lock(&cfg.data_dir)?;
    let account = acme::account(&cfg.data_dir, &opts.directory, opts.ca_root.as_deref(), opts.email.as_deref()).await?;
    match provider {
        Some(provider) => {
            // The zone's name servers are found through this one (unless --resolver or the
            // RFC 2136 primary is asked instead), made once for every host of the order.
            let ns = zone_resolver(cfg, &opts.resolver, provider)?;
            let mut r = DnsResponder {
                cfg,
                provider,
                ns,
                resolver: opts.resolver.clone(),
                timeout: opts.dns_timeout,
                added: Vec::new(),
            };
            until_signal(&mut r, async |r: &mut DnsResponder<'_>| {
                acme::issue(&account, &opts.hosts, opts.challenge, opts.replaces.as_deref(), r).await
            })
            .await
        }
        None => {
            let mut r = FileResponder::start(cfg, opts).await?;
            until_signal(&mut r, async |r: &mut FileResponder| {
                acme::issue(&account, &opts.hosts, opts.challenge, opts.replaces.as_deref(), r).await
            })
            .await
        }
    }
}

/// Run `f` unless SIGINT or SIGTERM comes first; then clean up and stop (exit 75).
async fn until_signal<P: Present, T, E: From<Error>>(
    r: &mut P,
    f: impl AsyncFnOnce(&mut P) -> Result<T, E>,
) -> Result<T, E> {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        return f(r).await;
    };
    // The work borrows the responder; it is dropped at the end of this block, so the
    // responder can clean up after a signal.
    {
        let work = f(r);
        tokio::select! {
            out = work => return out,
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    r.cleanup().await;
    Err(Error::new(Kind::TempFail, "interrupted: the challenge was taken down and nothing was installed").into())
}

/// `data_dir/acme/lock`, held while an order runs.
fn lock(data_dir: &Path) -> Result<std::fs::File> {
    let dir = acme::dir(data_dir);
    crate::fsutil::create_private_dir(&dir)?;
    crate::fsutil::try_lock(&dir.join("lock"))?
        .ok_or_else(|| Error::new(Kind::TempFail, "another `mailctl cert issue` or `cert renew` is running"))
}

#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Renewal {
    /// Not from ACME (self-signed or installed by hand): nothing to renew.
    NotAcme,
    NotDue {
        days_left: i64,
        next_renewal: i64,
    },
    Renewed {
        status: Status,
    },
}

/// `cert renew`: renew an ACME certificate that is due (or with `force`); otherwise nothing,
/// and no network request. The renewal uses what the certificate was issued with.
pub async fn renew(cfg: &Config, days: i64, force: bool, listen: (Option<String>, Option<String>)) -> Result<Renewal> {
    let path = &cfg.server.tls_cert;
    let meta = match files::meta(path) {
        Some(m) if m.source == "acme" => m,
        _ => return Ok(Renewal::NotAcme),
    };
    let pem = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
    let i = info::parse(pem.as_bytes()).map_err(|e| e.context(path.display().to_string()))?;
    let next = renew_at(&i, &meta, days);
    if !force && now() < next {
        return Ok(Renewal::NotDue { days_left: i.days_left(now()), next_renewal: next });
    }
    let mut opts = renewal_options(cfg, &meta, listen)?;
    opts.replaces = meta.renew_window.is_some().then_some(pem);
    Ok(Renewal::Renewed { status: issue(cfg, &opts).await? })
}

/// How a certificate is renewed: as it was issued (its `meta`), the config filling what was
/// not given then (DNS-01's provider settings).
fn renewal_options(cfg: &Config, meta: &Meta, listen: (Option<String>, Option<String>)) -> Result<IssueOptions> {
    let challenge = Challenge::parse(meta.challenge.as_deref().unwrap_or("http-01"))?;
    let d = meta.dns.clone().unwrap_or_default();
    Ok(IssueOptions {
        hosts: meta.hosts.clone(),
        challenge,
        directory: meta.directory.clone().unwrap_or_else(|| acme::LETSENCRYPT.into()),
        email: meta.email.clone(),
        ca_root: meta.ca_root.clone(),
        http_listen: listen.0,
        tls_listen: listen.1,
        dns: (challenge == Challenge::Dns01).then(|| d.settings.or_config(cfg)),
        resolver: d.resolver,
        dns_timeout: Duration::from_secs(300),
        replaces: None,
    })
}

/// The listener that answers an HTTP-01 or TLS-ALPN-01 challenge: its configured address, the
/// name serve records it under, and the flag that overrides it.
fn challenge_listener(cfg: &Config, kind: Challenge) -> (&Option<String>, &'static str, &'static str) {
    match kind {
        Challenge::TlsAlpn01 => (&cfg.server.https_listen, "https", "--tls-listen"),
        _ => (&cfg.server.http_listen, "http", "--http-listen"),
    }
}

/// The resolver that finds a DNS-01 zone's name servers: the system's (or `dns_resolver`),
/// unless `--resolver` or the provider's primary is asked instead.
fn zone_resolver(cfg: &Config, resolver: &Option<String>, provider: &Provider) -> Result<Option<Resolver>> {
    match (resolver, provider.primary()) {
        (None, None) => Ok(Some(Resolver::system(cfg.server.dns_resolver.as_deref())?)),
        _ => Ok(None),
    }
}

/// Whether a scheduled `cert renew` could run now.
#[derive(Debug)]
pub enum Readiness {
    /// The certificate is not from ACME (`self-signed` or `file`): nothing renews it.
    NotAcme(String),
    /// The challenge can be answered, an account is kept for the CA and the CA's directory
    /// answers: what was seen.
    Ready(String),
    /// The challenge can be answered; no account is kept for the CA (the next order makes one,
    /// so the CA was not asked).
    NoAccount(String),
}

/// How long the CA's directory may take to answer [`renewal_readiness`].
const READINESS_LIMIT: Duration = Duration::from_secs(10);

/// Whether `cert renew` could renew the certificate now, as it would: its challenge can be
/// answered (DNS-01 by a usable provider; HTTP-01 and TLS-ALPN-01 by the running server's
/// listener, or the configured address is free for a listener of its own), and the CA's
/// directory answers with the kept account. An error says what would stop it; one of kind
/// `TempFail` (a renewal runs now) or `Permission` (this user may not bind the address, which
/// root's cron may) means it cannot tell.
pub async fn renewal_readiness(cfg: &Config) -> Result<Readiness> {
    let path = &cfg.server.tls_cert;
    let meta = match files::meta(path) {
        Some(m) if m.source == "acme" => m,
        Some(m) => return Ok(Readiness::NotAcme(m.source)),
        None => return Ok(Readiness::NotAcme(status(cfg)?.source)),
    };
    let opts = renewal_options(cfg, &meta, (None, None))?;
    let challenge = opts.challenge;
    let answered = match challenge {
        Challenge::Dns01 => {
            // What `order` builds before it asks the CA.
            let provider = Provider::new(opts.dns.as_ref().unwrap_or(&Settings::default()))?;
            zone_resolver(cfg, &opts.resolver, &provider)?;
            "dns-01 through the configured DNS provider (its settings read, the provider not asked)".to_string()
        }
        _ => {
            let (configured, name, _) = challenge_listener(cfg, challenge);
            let kind = challenge.as_str();
            let addr = configured.clone();
            if crate::running::bound_listeners(&cfg.data_dir).iter().any(|l| l == name) {
                format!("{kind} by the running server's {name} listener")
            } else if crate::running::running_pid(&cfg.data_dir).is_some() {
                // Never probed beside a running server: it may be starting and binding now.
                return Err(Error::new(
                    Kind::Unavailable,
                    format!(
                        "{kind}: mailctl serve runs without its {name} listener ({}), so cert renew would \
                         need that address itself",
                        addr.as_deref().unwrap_or("not set")
                    ),
                )
                .with_hint(format!(
                    "see serve's log for why {name} was not started (another web server on the port?), \
                     free the port and restart serve"
                )));
            } else {
                let addr = addr.ok_or_else(|| {
                    Error::new(Kind::Config, format!("{kind}: no server answers it and {name}_listen is not set"))
                        .with_hint(format!("set {name}_listen (mailctl config set {name}_listen 0.0.0.0:PORT)"))
                })?;
                // Held while the address is tried, so no renewal starts its listener meanwhile
                // (and a running one is not disturbed: then this cannot tell).
                let _lock = lock(&cfg.data_dir)?;
                std::net::TcpListener::bind(addr.as_str()).map_err(|e| {
                    let kind_of = if e.kind() == std::io::ErrorKind::PermissionDenied {
                        Kind::Permission
                    } else {
                        Kind::Unavailable
                    };
                    Error::new(kind_of, format!("{kind}: no mailctl serve answers it and {addr} cannot be bound: {e}"))
                        .with_hint("stop what holds the port, or run mailctl serve so it answers the challenge")
                })?;
                format!("{kind} by a listener of its own on {addr}")
            }
        }
    };
    let directory = &opts.directory;
    let stored =
        tokio::time::timeout(READINESS_LIMIT, acme::stored_account(&cfg.data_dir, directory, opts.ca_root.as_deref()))
            .await
            .map_err(|_| {
                Error::new(
                    Kind::Unavailable,
                    format!("the CA at {directory} did not answer within {} s", READINESS_LIMIT.as_secs()),
                )
            })?
            .map_err(Error::from)?;
    Ok(match stored {
        Some(_) => Readiness::Ready(format!("{answered}; the CA at {directory} answers; the account is kept")),
        None => Readiness::NoAccount(format!("{answered}; no account kept for {directory}")),
    })
}

/// Run the deploy hook after a renewal (`sh -c`), with the paths in the environment.
pub fn deploy_hook(cfg: &Config, cmd: &str) -> Result<()> {
    let status = std::process::Command::new("sh")
        .args(["-c", cmd])
        .env("MAILCTL_CERT", &cfg.server.tls_cert)
        .env("MAILCTL_KEY", &cfg.server.tls_key)
        .status()
        .map_err(|e| Error::new(Kind::Unavailable, format!("running the deploy hook: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(
            Kind::Unavailable,
            format!("the certificate was renewed, but the deploy hook failed ({status})"),
        ))
    }
}

/// HTTP-01 and TLS-ALPN-01: files in the data dir, answered by the running server or by a
/// listener of our own.
struct FileResponder {
    kind: Challenge,
    data_dir: PathBuf,
    written: Vec<PathBuf>,
    _standalone: Option<Standalone>,
}

impl FileResponder {
    async fn start(cfg: &Config, opts: &IssueOptions) -> Result<FileResponder> {
        let kind = opts.challenge;
        let (configured, name, what) = challenge_listener(cfg, kind);
        let flag = if kind == Challenge::TlsAlpn01 { &opts.tls_listen } else { &opts.http_listen };
        // The running server answers only if it really bound that listener.
        let serving = crate::running::bound_listeners(&cfg.data_dir).iter().any(|l| l == name);
        let standalone =
            match (flag, serving) {
                (Some(addr), _) => Some(addr.clone()),
                (None, true) => None,
                (None, false) => Some(configured.clone().ok_or_else(|| {
                    Error::usage(format!("no listener for {}: pass {what} ADDR:PORT", kind.as_str()))
                })?),
            };
        let standalone = match standalone {
            Some(addr) => Some(Standalone::start(&cfg.data_dir, kind, &addr).await?),
            None => None,
        };
        Ok(FileResponder { kind, data_dir: cfg.data_dir.clone(), written: Vec::new(), _standalone: standalone })
    }
}

impl Present for FileResponder {
    async fn present(&mut self, host: &str, token: &str, key: &KeyAuthorization) -> Result<()> {
        let path = match self.kind {
            Challenge::TlsAlpn01 => write_tlsalpn01(&self.data_dir, host, key.digest().as_ref())?,
            _ => write_http01(&self.data_dir, token, key.as_str())?,
        };
        self.written.push(path);
        Ok(())
    }

    async fn cleanup(&mut self) {
        for p in self.written.drain(..) {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// DNS-01: a TXT record at `_acme-challenge.<host>` through the DNS provider, visible on the
/// zone's servers before the CA is told; removed afterwards.
struct DnsResponder<'a> {
    cfg: &'a Config,
    provider: &'a mut Provider,
    ns: Option<Resolver>,
    resolver: Option<String>,
    timeout: Duration,
    added: Vec<(String, String)>,
}

impl DnsResponder<'_> {
    /// Add or remove one TXT value at a name, keeping the others.
    async fn change(&mut self, host: &str, name: &str, value: &str, add: bool) -> Result<()> {
        let current = self.provider.list(host, &[name.to_string()]).await?;
        let cur = current.iter().find(|s| s.name == name && s.rtype == "TXT");
        let before: Vec<String> = cur.map(|s| s.values.clone()).unwrap_or_default();
        let mut after: Vec<String> = before.iter().filter(|v| v.as_str() != value).cloned().collect();
        if add {
            after.push(value.to_string());
        }
        if after == before {
            return Ok(());
        }
        let action = match (before.is_empty(), after.is_empty()) {
            (true, _) => Action::Create,
            (_, true) => Action::Delete,
            _ => Action::Update,
        };
        let before_ttl = cur.map(|s| s.ttl).unwrap_or(60);
        let change = Change {
            action,
            name: name.to_string(),
            rtype: "TXT".into(),
            ttl: before_ttl.min(300),
            before_ttl,
            before,
            after,
        };
        self.provider.apply(host, &[change]).await.map(|_| ())
    }
}

impl Present for DnsResponder<'_> {
    async fn present(&mut self, host: &str, _token: &str, key: &KeyAuthorization) -> Result<()> {
        let name = format!("_acme-challenge.{host}");
        let value = key.dns_value();
        self.change(host, &name, &value, true).await?;
        self.added.push((host.to_string(), value.clone()));
        let record =
            Record { name, rtype: "TXT", ttl: 60, value, purpose: "acme", required: true, publish: true, note: None };
        let servers = crate::ops::dns::servers_for(
            self.cfg,
            host,
            Some(&*self.provider),
            self.resolver.as_deref(),
            self.ns.as_ref(),
        )
        .await?;
        let missing = crate::ops::dns::wait_until_visible(&servers, &[record], self.timeout, |_| {}).await?;
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::new(
                Kind::TempFail,
                format!("the DNS-01 record _acme-challenge.{host} is not visible on the zone's servers"),
            ))
        }
    }

    async fn cleanup(&mut self) {
        for (host, value) in std::mem::take(&mut self.added) {
            let name = format!("_acme-challenge.{host}");
            if let Err(e) = self.change(&host, &name, &value, false).await {
                tracing::warn!(error = %e.one_line(), %name, "could not remove the DNS-01 record");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(not_before: i64, not_after: i64) -> CertInfo {
        CertInfo {
            hosts: vec![],
            subject: String::new(),
            issuer: String::new(),
            serial: String::new(),
            not_before,
            not_after,
            self_signed: false,
        }
    }

    #[test]
    fn due_dates() {
        let day = 86400;
        let m = Meta::default();
        // 90 days: 30 days before the end.
        assert_eq!(renew_at(&cert(0, 90 * day), &m, 30), 60 * day);
        // 6 days: two thirds in, not every run.
        assert_eq!(renew_at(&cert(0, 6 * day), &m, 30), 4 * day);
        // The CA's window wins.
        let ari = Meta { renew_window: Some((50 * day, 55 * day)), ..Default::default() };
        assert_eq!(renew_at(&cert(0, 90 * day), &ari, 30), 50 * day);
    }
}

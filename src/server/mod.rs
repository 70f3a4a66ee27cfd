//! `mailctl serve`: listeners, connection limits, TLS, signals and graceful shutdown.
//! Protocol sessions live in `smtp/`, `imap/` and `pop3/`.

pub mod conn;
pub mod fts;
pub mod http;
pub mod imap;
pub mod limits;
pub mod outbound;
pub mod pop3;
pub mod smtp;
pub mod tls;
pub mod tls_reports;

use crate::filter::Filters;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tracing::Instrument;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{Config, Location, redact_url};
use crate::error::{Error, Kind, Result};
use crate::ops::credential_cache::CredentialCache;
use crate::store::Store;
use limits::{AuthLimiter, Connections, MemoryBudget};
use smtp::Listener;

/// What every session shares.
pub struct Shared {
    /// The store in use: replaced when `store migrate` moves it and sends SIGHUP
    /// ([`switch_store`]). Take it for each piece of work, never keep it across commands.
    store: RwLock<Arc<Store>>,
    config: RwLock<Arc<Config>>,
    pub tls: tls::Tls,
    pub auth_limiter: AuthLimiter,
    /// Logins verified lately, so reconnecting clients skip the password hash.
    pub credentials: CredentialCache,
    pub connections: Arc<Connections>,
    /// Memory for messages being received, across all sessions.
    pub memory: MemoryBudget,
    pub shutdown: watch::Receiver<bool>,
    /// Accounts with a POP3 session open (RFC 1939 §8: one at a time).
    pop3_locked: std::sync::Mutex<std::collections::HashSet<i64>>,
    /// Inbound mail's checks, as the config sets them up (rebuilt on SIGHUP).
    filters: RwLock<Arc<Filters>>,
    /// The full-text index, when `search_index` is on and this process holds it.
    pub fts: Option<Arc<crate::store::fts::Fts>>,
}

impl Shared {
    /// The store in use now.
    pub fn store(&self) -> Arc<Store> {
        self.store.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The current config (replaced on SIGHUP).
    pub fn config(&self) -> Arc<Config> {
        self.config.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The inbound filters of the current config.
    pub fn filters(&self) -> Arc<Filters> {
        self.filters.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Take the POP3 lock on an account's INBOX; false when another session has it.
    pub fn pop3_lock(&self, account: i64) -> bool {
        self.pop3_locked.lock().unwrap_or_else(|p| p.into_inner()).insert(account)
    }

    /// Check a login for any protocol: refused while the address is locked out, failures
    /// counted against it, store errors logged. Callers only choose their reply.
    pub async fn login(&self, peer: SocketAddr, protocol: &str, user: &str, pass: &str) -> Login {
        let ip = peer.ip();
        let counted = |result: &str| crate::metrics::METRICS.logins.with_label_values(&[protocol, result]).inc();
        if self.auth_limiter.locked(ip) {
            counted("locked");
            return Login::Locked;
        }
        match crate::ops::auth::check_password_cached(&self.store(), &self.credentials, user, pass).await {
            Ok(Ok(v)) => {
                tracing::info!(client = %ip, protocol, user = %v.account.address, cached = v.cached, "login");
                counted("ok");
                Login::Ok(Box::new(v.account))
            }
            Ok(Err(why)) => {
                self.auth_limiter.failed(ip);
                tracing::info!(client = %ip, protocol, user, reason = ?why, "login failed");
                counted("denied");
                Login::Denied
            }
            Err(e) => {
                tracing::error!(error = %e.one_line(), "checking a password");
                counted("unavailable");
                Login::Unavailable
            }
        }
    }

    pub fn pop3_unlock(&self, account: i64) {
        self.pop3_locked.lock().unwrap_or_else(|p| p.into_inner()).remove(&account);
    }
}

/// The outcome of [`Shared::login`].
pub enum Login {
    Ok(Box<crate::store::Account>),
    /// Too many failures from this address lately.
    Locked,
    /// Wrong user or password, or a suspended account (alike to the client).
    Denied,
    /// The store could not answer.
    Unavailable,
}

/// What a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Smtp(Listener),
    /// POP3; `true` for implicit TLS (995).
    Pop3(bool),
    /// IMAP; `true` for implicit TLS (993).
    Imap(bool),
    /// HTTP; `true` for HTTPS (443): ACME challenges, the MTA-STS policy, the admin API.
    Http(bool),
    /// Prometheus metrics and health checks (plain HTTP, loopback by default).
    Metrics,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Smtp(l) => l.name(),
            Service::Pop3(false) => "pop3",
            Service::Pop3(true) => "pop3s",
            Service::Imap(false) => "imap",
            Service::Imap(true) => "imaps",
            Service::Http(false) => "http",
            Service::Http(true) => "https",
            Service::Metrics => "metrics",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Service::Smtp(Listener::Mx) => "inbound mail for local domains",
            Service::Smtp(Listener::Submission) => "submission, STARTTLS then AUTH",
            Service::Smtp(Listener::Submissions) => "submission over TLS",
            Service::Pop3(false) => "POP3, STLS then login",
            Service::Pop3(true) => "POP3 over TLS",
            Service::Imap(false) => "IMAP, STARTTLS then login",
            Service::Imap(true) => "IMAP over TLS",
            Service::Http(false) => "ACME HTTP-01 and the MTA-STS policy",
            Service::Http(true) => "ACME TLS-ALPN-01, the MTA-STS policy, the admin API",
            Service::Metrics => "Prometheus /metrics and /healthz",
        }
    }

    /// What to say to a client turned away by the connection limits.
    fn busy(self) -> String {
        match self {
            Service::Smtp(_) => crate::proto::smtp::codes::TOO_MANY_CONNECTIONS.line(),
            Service::Pop3(_) => "-ERR [SYS/TEMP] too many connections, try again later\r\n".into(),
            Service::Imap(_) => "* BYE [UNAVAILABLE] too many connections, try again later\r\n".into(),
            Service::Http(_) | Service::Metrics => {
                "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into()
            }
        }
    }
}

/// Notice a renewed certificate (`cert renew`, or any tool that rewrites the files) within
/// `CERT_CHECK` and load it for new connections; a broken pair is logged and the current
/// certificate stays.
async fn watch_certificate(shared: Arc<Shared>) {
    loop {
        tokio::time::sleep(CERT_CHECK).await;
        match shared.tls.reload_if_changed() {
            Ok(true) => tracing::info!("certificate changed on disk: reloaded"),
            Ok(false) => {}
            Err(e) => {
                tracing::error!(error = %e.one_line(), "certificate changed on disk but cannot be loaded: kept the current one")
            }
        }
    }
}

const CERT_CHECK: Duration = Duration::from_secs(15);

async fn bind(addr: &str, what: &str) -> Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
            "ports below 1024 need root or CAP_NET_BIND_SERVICE (setcap cap_net_bind_service=+ep mailctl)"
        } else {
            "is another mail server running there? set a different address with `mailctl config set`"
        };
        Error::new(Kind::Unavailable, format!("cannot listen for {what} on {addr}")).with_source(e).with_hint(hint)
    })
}

/// Give large allocations back to the system when they are freed. Argon2id needs 19 MiB per
/// password check; glibc's default raises its mmap threshold after the first such free, after
/// which later buffers come from per-thread heaps that small allocations pin, and a server that
/// checked a few hundred logins at once would keep hundreds of MiB. A fixed threshold turns
/// that adjustment off: every allocation of 4 MiB or more is its own mapping, returned when
/// freed; smaller buffers (FETCH output chunks) are reused from the heap.
fn return_big_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called once before the server's threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    }
}

/// No transparent huge pages for this process. mimalloc asks for them on its segments
/// (`madvise(MADV_HUGEPAGE)`), so the first touch of a fresh segment zeroes 2 MiB at once;
/// on a virtual machine whose memory the host backs lazily that is hundreds of microseconds
/// per fault, and a session's first large answer paid for it: the first SORT of a
/// 10,000-message mailbox after a start took 35-57 ms with them and 16-24 ms without
/// (bench/imap.sh's mailbox). 4 KiB pages also keep an idle connection's memory small.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process; no pointers are passed.
    unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            1 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        );
    }
}

/// The config names another database: switch to it when the store in use says it was moved
/// there (`store migrate` retired it, so every write to it fails from then on); otherwise keep
/// it until a restart, since a typo in `database` must not take the mail away.
async fn switch_store(shared: &Shared, url: &str) {
    let old = shared.store();
    let to = redact_url(url);
    let id = match old.moved_to().await {
        Ok(Some(m)) if m.to == to => m.id,
        Ok(Some(m)) => {
            tracing::error!(moved_to = %m.to, config = %to, "reload: the store was moved elsewhere than the config says; kept");
            return;
        }
        Ok(None) => {
            tracing::warn!(
                config = %to,
                "reload: the config names another database; this server keeps {} until it restarts \
                 (`mailctl store migrate` moves a store under a running server)",
                redact_url(&old.url)
            );
            return;
        }
        Err(e) => {
            tracing::error!(error = %e.one_line(), "reload: could not read the store in use; kept");
            return;
        }
    };
    let mut new = match Store::connect(url, &old.data_dir, 32).await {
        Ok(new) => new,
        Err(e) => {
            tracing::error!(
                error = %e.one_line(),
                "reload: cannot open the new store; mail is deferred (4xx) until it can: fix it and send SIGHUP again"
            );
            return;
        }
    };
    if !matches!(new.moved_in().await, Ok(Some(i)) if i == id) {
        tracing::error!(
            config = %to,
            "reload: that database is not the copy `store migrate` made (another file or server?); \
             kept the retired store, so writes fail (4xx) until the config names the copy"
        );
        new.close().await;
        return;
    }
    // IMAP sessions keep listening for changes on the same channel.
    new.changes = old.changes.clone();
    *shared.store.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(new);
    crate::running::record_store(&old.data_dir, &to);
    tracing::info!(from = %redact_url(&old.url), to = %to, "switched to the new store");
    // Connections still lent out are closed as they come back.
    tokio::spawn(async move { old.pool.close().await });
}

/// Run the server until SIGTERM or SIGINT.
pub async fn serve(location: Location, cfg: Config) -> Result<()> {
    return_big_allocations();
    no_transparent_huge_pages();
    // Before the store starts its commit threads, which place themselves (`placement`).
    if let Some(cpu) = crate::placement::plan(cfg.server.cpu_placement) {
        tracing::info!(
            cpu,
            "the store's commit threads run on this CPU, the session workers on the others (cpu_placement)"
        );
    }
    if cfg.is_dev_instance() && !cfg.data_dir.exists() {
        crate::fsutil::create_private_dir(&cfg.data_dir)?;
    }
    // Handlers before anything another process can see (the lock names our pid: a SIGHUP
    // from `cert issue` or `store migrate` must never find the default action, which exits).
    let signals = Signals::install()?;
    // The lock first: a second server must not even migrate the database.
    let _lock = crate::running::lock(&cfg.data_dir)?;
    let store = Store::open_with(&cfg, 32).await?;
    if let Some(moved) = store.moved_to().await? {
        return Err(Error::new(
            Kind::Unavailable,
            format!("the store {} was moved to {} by `mailctl store migrate`", redact_url(&store.url), moved.to),
        )
        .with_hint("set database in the config to the new store (mailctl config set database URL)"));
    }
    let hosts = vec![cfg.hostname.clone()];
    let (tls, made_cert) = tls::Tls::load_or_create(&cfg.server.tls_cert, &cfg.server.tls_key, &hosts, &cfg.data_dir)?;
    let rec = crate::ops::deliver::recover(&store).await?;
    if rec.removed > 0
        || rec.tmp_cleaned > 0
        || rec.spool_queued > 0
        || rec.spool_quarantined > 0
        || rec.deletes_finished > 0
        || rec.rows_without_file > 0
    {
        tracing::warn!(
            unacknowledged_removed = rec.removed,
            tmp_cleaned = rec.tmp_cleaned,
            spool_queued = rec.spool_queued,
            spool_quarantined = rec.spool_quarantined,
            mailbox_deletes_finished = rec.deletes_finished,
            rows_without_file_removed = rec.rows_without_file,
            "recovered from an interrupted run"
        );
    }

    let mut listeners = Vec::new();
    for (kind, addr) in [
        (Service::Smtp(Listener::Mx), &cfg.server.smtp_listen),
        (Service::Smtp(Listener::Submission), &cfg.server.submission_listen),
        (Service::Smtp(Listener::Submissions), &cfg.server.submissions_listen),
        (Service::Pop3(false), &cfg.server.pop3_listen),
        (Service::Pop3(true), &cfg.server.pop3s_listen),
        (Service::Imap(false), &cfg.server.imap_listen),
        (Service::Imap(true), &cfg.server.imaps_listen),
        (Service::Http(false), &cfg.server.http_listen),
        (Service::Http(true), &cfg.server.https_listen),
        (Service::Metrics, &cfg.server.metrics_listen),
    ] {
        let Some(a) = addr else { continue };
        match bind(a, kind.name()).await {
            Ok(l) => listeners.push((kind, l)),
            // The web ports are often a web server's already: mail goes on without them.
            Err(e) if matches!(kind, Service::Metrics) => tracing::warn!(
                error = %e.one_line(),
                "metrics listener not started (set metrics_listen to a free address, or \"\" to silence this)"
            ),
            Err(e) if matches!(kind, Service::Http(_)) => tracing::warn!(
                error = %e.one_line(),
                "{} listener not started: ACME HTTP-01/TLS-ALPN-01 answers and the MTA-STS policy need it \
                 (set {}_listen to a free address, or \"\" to silence this)",
                kind.name(),
                kind.name()
            ),
            Err(e) => return Err(e),
        }
    }
    if listeners.is_empty() {
        return Err(Error::config("no listeners: every *_listen key is empty"));
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    crate::running::record_store(&cfg.data_dir, &redact_url(&store.url));
    let shared = Arc::new(Shared {
        store: RwLock::new(Arc::new(store)),
        connections: Connections::new(cfg.server.max_connections as usize, cfg.server.max_connections_per_ip as usize),
        auth_limiter: AuthLimiter::new(cfg.server.auth_failures_per_minute as usize),
        credentials: CredentialCache::new(cfg.server.auth_cache_ttl),
        memory: MemoryBudget::new(cfg.server.message_memory_limit),
        config: RwLock::new(Arc::new(cfg.clone())),
        tls,
        shutdown: stop_rx,
        pop3_locked: Default::default(),
        filters: RwLock::new(Arc::new(Filters::new(&cfg)?)),
        fts: fts::open(&cfg),
    });

    // What was bound, for `cert issue` (is there an HTTP listener to answer challenges?).
    let bound: Vec<(&str, String)> =
        listeners.iter().map(|(k, l)| (k.name(), l.local_addr().map(|a| a.to_string()).unwrap_or_default())).collect();
    crate::running::record_listeners(&cfg.data_dir, &bound);
    banner(&cfg, &listeners, made_cert, &shared).await;
    crate::metrics::METRICS.start_time.set(crate::store::now());
    let worker = tokio::spawn(outbound::run(shared.clone()));
    let watcher = tokio::spawn(watch_certificate(shared.clone()));
    let reports = tokio::spawn(tls_reports::run(shared.clone()));
    let indexer = shared.fts.clone().map(|f| tokio::spawn(fts::run(shared.clone(), f)));
    let mut tasks = Vec::new();
    for (kind, l) in listeners {
        tasks.push(tokio::spawn(accept_loop(shared.clone(), kind, l)));
    }

    signals.wait(&location, &shared).await;
    tracing::info!("shutting down: no new connections; waiting for sessions to finish");
    let _ = stop_tx.send(true);
    watcher.abort();
    reports.abort();
    for t in tasks {
        t.abort();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while shared.connections.open() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(35), worker).await;
    if let Some(i) = indexer {
        let _ = tokio::time::timeout(Duration::from_secs(10), i).await;
    }
    tracing::info!(open = shared.connections.open(), "stopped");
    Ok(())
}

async fn banner(cfg: &Config, listeners: &[(Service, TcpListener)], made_cert: bool, shared: &Shared) {
    let mut out = String::new();
    out.push_str(&format!(
        "mailctl serve: {} (data {}, {} store)\n",
        cfg.hostname,
        cfg.data_dir.display(),
        shared.store().backend.name()
    ));
    for (kind, l) in listeners {
        let addr = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
        out.push_str(&format!("  {:<12} {addr:<22} {}\n", kind.name(), kind.describe()));
    }
    if let Some((_, l)) = listeners.iter().find(|(k, _)| *k == Service::Smtp(Listener::Submission))
        && let Ok(a) = l.local_addr()
    {
        out.push_str(&format!(
            "  try: swaks --server {a} --tls --auth PLAIN --auth-user you@example.com --to you@example.com\n"
        ));
    }
    if made_cert {
        out.push_str(&format!("  made a self-signed certificate: {}\n", cfg.server.tls_cert.display()));
    }
    if cfg.dev_mode {
        out.push_str("  dev mode: AUTH without TLS is allowed from loopback\n");
    }
    let mut conn = shared.store().pool.acquire().await.ok();
    if let Some(c) = conn.as_mut()
        && crate::store::domains::list(c).await.map(|d| d.is_empty()).unwrap_or(false)
    {
        out.push_str(
            "  no domains yet: mailctl domain add example.com; mailctl account create you@example.com --tier vip\n",
        );
    }
    out.push_str("  ready: SIGHUP reloads the config and certificate, SIGTERM stops\n");
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

/// A session's id for the log: 8 hex digits, from a counter that starts at random (so ids
/// of two runs seldom meet) and never repeats within one.
fn session_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: std::sync::LazyLock<AtomicU32> = std::sync::LazyLock::new(|| AtomicU32::new(rand::random()));
    format!("{:08x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn accept_loop(shared: Arc<Shared>, kind: Service, listener: TcpListener) {
    let web = match kind {
        Service::Http(_) => Some(http::router(shared.clone())),
        Service::Metrics => Some(http::metrics_router(shared.clone())),
        _ => None,
    };
    let mut backoff = Duration::from_millis(5);
    loop {
        let (tcp, peer): (tokio::net::TcpStream, SocketAddr) = match listener.accept().await {
            Ok(x) => {
                backoff = Duration::from_millis(5);
                x
            }
            Err(e) => {
                // EMFILE and friends: wait and retry rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let Some(slot) = shared.connections.admit(peer.ip()) else {
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let mut tcp = tcp;
                let _ = tcp.write_all(kind.busy().as_bytes()).await;
            });
            continue;
        };
        let shared = shared.clone();
        let web = web.clone();
        // Every line a session logs carries its id and client (a span), so that one grep
        // finds a whole conversation.
        let span = tracing::info_span!("session", sid = %session_id(), listener = kind.name(), client = %peer);
        tokio::spawn(
            async move {
                let _slot = slot;
                match kind {
                    Service::Smtp(l) => smtp::run(shared, l, tcp, peer).await,
                    Service::Pop3(tls) => pop3::run(shared, tls, tcp, peer).await,
                    Service::Imap(tls) => imap::run(shared, tls, tcp, peer).await,
                    Service::Http(tls) => http::run(shared, web.unwrap_or_default(), tls, tcp, peer).await,
                    Service::Metrics => http::run(shared, web.unwrap_or_default(), false, tcp, peer).await,
                }
            }
            .instrument(span),
        );
    }
}

struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        let e = |e: std::io::Error| Error::new(Kind::Internal, "installing signal handlers").with_source(e);
        Ok(Signals {
            term: signal(SignalKind::terminate()).map_err(e)?,
            int: signal(SignalKind::interrupt()).map_err(e)?,
            hup: signal(SignalKind::hangup()).map_err(e)?,
        })
    }

    /// Until SIGTERM or SIGINT; SIGHUP reloads.
    async fn wait(mut self, location: &Location, shared: &Shared) {
        loop {
            tokio::select! {
                _ = self.term.recv() => return,
                _ = self.int.recv() => return,
                _ = self.hup.recv() => reload(location, shared).await,
            }
        }
    }
}

/// SIGHUP: re-read the config and the certificate; keep the old ones on error. A new
/// `database` is taken only when `store migrate` moved the store there ([`switch_store`]).
async fn reload(location: &Location, shared: &Shared) {
    match Config::load(location) {
        Ok(c) => {
            if c.database != shared.store().url {
                switch_store(shared, &c.database).await;
            }
            shared.auth_limiter.set_max(c.server.auth_failures_per_minute as usize);
            shared.credentials.set_ttl(c.server.auth_cache_ttl);
            match Filters::new(&c) {
                Ok(f) => *shared.filters.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(f),
                Err(e) => tracing::error!(error = %e.one_line(), "reload: inbound filters kept"),
            }
            *shared.config.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(c);
        }
        Err(e) => tracing::error!(error = %e.one_line(), "reload: config kept"),
    }
    match shared.tls.reload() {
        Ok(()) => tracing::info!("reloaded config and certificate"),
        Err(e) => tracing::error!(error = %e.one_line(), "reload: certificate kept"),
    }
}

//! The delivery worker inside `mailctl serve`: takes due messages from the queue, signs them
//! with the sender domain's DKIM keys, delivers each recipient domain's share in one SMTP
//! transaction (a transport route, else the MX hosts), and records every recipient's outcome
//! at once, so what was delivered is never sent again, even across a restart. 4xx and
//! connection failures are retried (5 min, doubling to 4 h, for 5 days); 5xx fails the
//! recipient; when nothing is left to try, failed recipients are reported to the sender in
//! one DSN (never for a null-sender message) and the message leaves the queue.

mod client;
mod route;
mod tls;

use crate::store::conn::Conn;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument;

use hickory_resolver::TokioResolver;

use crate::error::Result;
use crate::ops::dane;
use crate::server::Shared;
use crate::store::{now, queue, spool, transports};
use client::Outcome;

/// Messages delivered at once, and connections per destination domain.
const PARALLEL: usize = 32;
const PER_DESTINATION: usize = 20;
const POLL: Duration = Duration::from_secs(1);

/// The retry schedule (RFC 5321 §4.5.4.1; `queue_retry_first`, `queue_retry_max`): by
/// default 5 minutes, doubling up to 4 hours.
pub fn next_delay(attempts: i64, first: i64, max: i64) -> i64 {
    let shift = attempts.clamp(0, 16) as u32;
    first.max(1).saturating_mul(1 << shift).min(max.max(1))
}

/// The resolver: `dns_resolver` when set, else the system's.
fn resolver(cfg: &crate::config::Config) -> std::result::Result<TokioResolver, String> {
    match &cfg.server.dns_resolver {
        Some(s) => {
            let addr =
                crate::netaddr::parse_server(s).map_err(|_| format!("dns_resolver {s:?} is not IP or IP:port"))?;
            crate::dns::lookup::builder_at(&[addr]).build().map_err(|e| e.to_string())
        }
        None => TokioResolver::builder_tokio().map_err(|e| e.to_string())?.build().map_err(|e| e.to_string()),
    }
}

struct Worker {
    shared: Arc<Shared>,
    resolver: TokioResolver,
    in_flight: Mutex<HashSet<String>>,
    destinations: Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>,
    slots: Arc<tokio::sync::Semaphore>,
    /// Connections kept open per destination host.
    pool: client::Pool,
    /// The roots certificates are judged by, for the `tls_extra_roots` they were read with.
    roots: Mutex<(Option<std::path::PathBuf>, Arc<tls::Roots>)>,
}

/// Run until shutdown.
pub async fn run(shared: Arc<Shared>) {
    let resolver = match resolver(&shared.config()) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "no DNS resolver: outbound mail waits in the queue");
            return;
        }
    };
    let w = Arc::new(Worker {
        shared: shared.clone(),
        resolver,
        in_flight: Mutex::new(HashSet::new()),
        destinations: Mutex::new(HashMap::new()),
        slots: Arc::new(tokio::sync::Semaphore::new(PARALLEL)),
        pool: client::Pool::default(),
        roots: {
            let extra = shared.config().server.tls_extra_roots.clone();
            let roots = tls::Roots::load(extra.as_deref());
            Mutex::new((extra, Arc::new(roots)))
        },
    });
    let mut shutdown = shared.shutdown.clone();
    let mut pass: u64 = 0;
    loop {
        let enabled = shared.config().server.outbound_delivery;
        let started = if enabled {
            let started = w.clone().dispatch().await.unwrap_or_else(|e| {
                tracing::warn!(error = %e.one_line(), "reading the queue");
                0
            });
            pass += 1;
            // Numbered, so that a test can prove mail was *not* sent: it waits for a pass that
            // began after its action and left nothing in flight.
            let in_flight = w.in_flight.lock().unwrap_or_else(|p| p.into_inner()).len();
            tracing::debug!(pass, started, in_flight, "queue pass");
            started
        } else {
            0
        };
        w.pool.expire();
        // A busy queue is read again at once; an idle one once a second.
        if started > 0 && !*shutdown.borrow() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => break,
        }
    }
    // Let deliveries in flight finish and record what they did, so nothing delivered is
    // sent again after the restart.
    let _ = tokio::time::timeout(Duration::from_secs(30), w.slots.acquire_many(PARALLEL as u32)).await;
}

struct InFlight {
    worker: Arc<Worker>,
    id: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.worker.in_flight.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
    }
}

/// When an attempt could not run (store or file system fault), the next one waits this long.
const RETRY_AFTER_FAULT: i64 = 300;
/// How long one attempt may hold a message.
const ATTEMPT_LIMIT: i64 = 3600;

impl Worker {
    /// Start deliveries for due messages not in flight yet; returns how many were started.
    async fn dispatch(self: Arc<Self>) -> Result<usize> {
        let busy = self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).len() as i64;
        let ids = {
            let mut conn = self.shared.store().pool.acquire().await?;
            queue::due(&mut conn, now(), busy + PARALLEL as i64).await?
        };
        let mut started = 0;
        let mut shutdown = self.shared.shutdown.clone();
        for id in ids {
            if *shutdown.borrow() {
                break;
            }
            if !self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone()) {
                continue;
            }
            started += 1;
            let permit = tokio::select! {
                p = self.slots.clone().acquire_owned() => p,
                _ = shutdown.changed() => {
                    self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
                    break;
                }
            };
            let Ok(permit) = permit else { return Ok(started) };
            let w = self.clone();
            let span = tracing::info_span!("delivery", id = %id);
            tokio::spawn(
                async move {
                    let _permit = permit;
                    // The id leaves the in-flight set however the attempt ends.
                    let _guard = InFlight { worker: w.clone(), id: id.clone() };
                    if let Err(e) = w.attempt(&id).await {
                        tracing::warn!(error = %e.one_line(), "delivery attempt failed; retrying later");
                        if let Ok(mut conn) = w.shared.store().pool.acquire().await {
                            let _ = queue::postpone(&mut conn, &id, now() + RETRY_AFTER_FAULT, &e.one_line()).await;
                        }
                    }
                }
                .instrument(span),
            );
        }
        Ok(started)
    }

    /// The roots for the configured `tls_extra_roots` (read again when the setting changed).
    fn roots(&self, cfg: &crate::config::Config) -> Arc<tls::Roots> {
        let mut held = self.roots.lock().unwrap_or_else(|p| p.into_inner());
        if held.0 != cfg.server.tls_extra_roots {
            let extra = cfg.server.tls_extra_roots.clone();
            *held = (extra.clone(), Arc::new(tls::Roots::load(extra.as_deref())));
        }
        held.1.clone()
    }

    /// The TLS a domain's delivery requires: the level its route pins (at least `verify` when
    /// a password is sent); else, for delivery to the domain's own MX hosts, its MTA-STS
    /// policy; else opportunistic. With the policy, when one applies, and the resolver to ask
    /// for DANE when DANE may apply (`dnssec_trust = resolver`, not pinned to another level,
    /// no relayhost login).
    async fn rule(
        &self,
        cfg: &crate::config::Config,
        routes: &[transports::Transport],
        domain: &str,
        login: bool,
    ) -> (tls::Rule, Option<crate::proto::mta_sts::Policy>, Option<String>) {
        use crate::netaddr::{NextHop, TlsLevel};
        use crate::proto::mta_sts::Mode;
        let route = crate::ops::transport::route(routes, domain);
        let pinned = route.and_then(|t| t.tls.as_deref()).and_then(|l| TlsLevel::parse(l).ok());
        let rule = |level, source| tls::Rule { level, source };
        let dane = dane::resolver(cfg).filter(|_| !login && matches!(pinned, None | Some(TlsLevel::Dane)));
        match pinned {
            Some(TlsLevel::Dane) => return (rule(TlsLevel::May, tls::Source::Transport), None, dane),
            Some(level) if login => return (rule(level.max(TlsLevel::Verify), tls::Source::Login), None, None),
            Some(level) => return (rule(level, tls::Source::Transport), None, None),
            None if login => return (rule(TlsLevel::Verify, tls::Source::Login), None, None),
            None => {}
        }
        // MTA-STS speaks of the domain's MX hosts: not of a fixed host or another domain's.
        let own_mx = match route.map(|t| NextHop::parse(&t.nexthop)) {
            None => true,
            Some(Ok(hop)) => !hop.exact && hop.host == domain,
            Some(Err(_)) => false,
        };
        let policy = if own_mx {
            let extra = cfg.server.tls_extra_roots.as_deref();
            crate::ops::mta_sts::policy(&self.shared.store(), &self.resolver, extra, domain).await
        } else {
            None
        };
        match policy.as_ref().map(|p| p.mode) {
            Some(Mode::Enforce) => (rule(TlsLevel::Verify, tls::Source::MtaStsEnforce), policy, dane),
            Some(Mode::Testing) => (rule(TlsLevel::May, tls::Source::MtaStsTesting), policy, dane),
            _ => (rule(TlsLevel::May, tls::Source::Default), None, dane),
        }
    }

    /// What DANE makes of one host's rule: its TLSA records bind the certificate; validated
    /// but unusable ones still require TLS; a failed TLSA lookup makes the host unusable (Err).
    async fn host_rule(
        &self,
        rule: tls::Rule,
        dane_at: Option<&str>,
        host: &route::Host,
    ) -> std::result::Result<(tls::Rule, Option<Arc<Vec<dane::Tlsa>>>), String> {
        use crate::netaddr::TlsLevel;
        let Some(resolver) = dane_at else { return Ok((rule, None)) };
        let port = host.addrs.first().map_or(25, |a| a.port());
        Ok(match dane::for_host(resolver, &host.name, port).await {
            dane::ForHost::Off => (rule, None),
            dane::ForHost::Tlsa(t) => (tls::Rule { level: TlsLevel::Verify, source: tls::Source::Dane }, Some(t)),
            dane::ForHost::Unusable => {
                (tls::Rule { level: rule.level.max(TlsLevel::Encrypt), source: tls::Source::Dane }, None)
            }
            dane::ForHost::LookupFailed(why) => {
                return Err(format!(
                    "{}: its TLSA records could not be read ({why}); DANE forbids using it",
                    host.name
                ));
            }
        })
    }

    fn destination(&self, domain: &str) -> Arc<tokio::sync::Semaphore> {
        self.destinations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(domain.to_string())
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(PER_DESTINATION)))
            .clone()
    }

    /// One attempt at one queued message.
    async fn attempt(&self, id: &str) -> Result<()> {
        let store = &self.shared.store();
        let mut conn = store.pool.acquire().await?;
        let t = now();
        // Claimed, `mailctl queue hold|delete|bounce` leave the message alone until the
        // attempt is over.
        if !queue::claim(&mut conn, id, t, t + ATTEMPT_LIMIT).await? {
            return Ok(());
        }
        let Some(q) = queue::get(&mut conn, id).await? else { return Ok(()) };
        let path = spool::outbound_dir(&store.data_dir).join(id);
        let (env, message) = match spool::read(&path) {
            Ok(x) => x,
            Err(e) if matches!(e.kind, crate::error::Kind::Invalid | crate::error::Kind::NoInput) => {
                // A torn or missing file is never delivered.
                crate::ops::queue::move_to_quarantine(store, id);
                queue::quarantine(&mut conn, id, &e.one_line(), t).await?;
                queue::unclaim(&mut conn, id).await?;
                tracing::error!(error = %e.one_line(), "spool file quarantined");
                return Ok(());
            }
            // Any other I/O error is temporary.
            Err(e) => return Err(e),
        };
        let mut routes = transports::list(&mut conn).await?;
        drop(conn);
        let cfg = self.shared.config();
        // A relayhost takes everything no transport route claims.
        if let Some(relay) = &cfg.server.relayhost {
            routes.push(transports::Transport { domain: ".".into(), nexthop: relay.clone(), tls: None, created_at: 0 });
        }
        let auth = self
            .relay_credentials(&cfg)
            .map_err(|e| crate::error::Error::new(crate::error::Kind::Config, format!("relayhost credentials: {e}")))?;
        let pending: Vec<String> = q
            .recipients
            .iter()
            .filter(|r| r.status == "pending" || r.status == "deferred")
            .map(|r| r.address.clone())
            .collect();
        // Only mail our users submitted is signed: mail forwarded from elsewhere must not
        // carry our signature for a sender it did not come from.
        let signed = if q.submitted_by.is_some() { self.sign(&env.from, &message).await } else { message.clone() };
        let hostname = self.shared.config().hostname.clone();
        let mut by_domain: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in pending {
            let domain = r.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default();
            by_domain.entry(domain).or_default().push(r);
        }
        let mut results: Vec<(String, Outcome)> = Vec::new();
        for (domain, rcpts) in by_domain {
            let _slot = self.destination(&domain).acquire_owned().await;
            let outcomes = match route::resolve(&self.resolver, &routes, &domain).await {
                route::Resolved::Permanent(why) => vec![Outcome::Failed(why); rcpts.len()],
                route::Resolved::Temporary(why) => vec![Outcome::Deferred(why); rcpts.len()],
                route::Resolved::Hosts(mut hosts) => {
                    let mut last = String::from("no host answered");
                    let mut got = None;
                    let creds = auth
                        .as_ref()
                        .filter(|_| crate::ops::transport::route(&routes, &domain).is_some_and(|t| t.domain == "."));
                    let (mut rule, sts, dane_at) = self.rule(&cfg, &routes, &domain, creds.is_some()).await;
                    let hop = crate::ops::transport::route(&routes, &domain)
                        .and_then(|t| crate::netaddr::NextHop::parse(&t.nexthop).ok());
                    let fixed = hop.as_ref().is_some_and(|h| h.exact);
                    // Whose MX records gave the hosts: the route's next hop, else the domain's.
                    let mx_of = hop.as_ref().map_or(domain.as_str(), |h| h.host.as_str());
                    // DANE applies to a fixed next hop, or to MX hosts when the MX records are
                    // DNSSEC-validated (RFC 7672 §2.2.1).
                    let dane_at = match dane_at {
                        Some(r) if fixed || dane::mx_secure(&r, mx_of).await => Some(r),
                        _ => None,
                    };
                    // REQUIRETLS (RFC 8689 §4.2.1): verified TLS, and MX names that DNSSEC or an
                    // MTA-STS policy vouches for (a testing policy counts as enforce); else only
                    // a fixed next hop (no MX lookup) can carry it.
                    let mut refused = None;
                    if env.require_tls && rule.source != tls::Source::Login {
                        rule = tls::Rule {
                            level: rule.level.max(crate::netaddr::TlsLevel::Verify),
                            source: tls::Source::RequireTls,
                        };
                        if sts.is_none() && !fixed && dane_at.is_none() {
                            refused = Some(format!(
                                "REQUIRETLS could not be met: {domain} publishes no MTA-STS policy, and its MX \
                                 records are not DNSSEC-validated here"
                            ));
                            hosts.clear();
                        }
                    }
                    let mut tried = Vec::new();
                    if let Some(p) = &sts {
                        // Only the policy's MX hosts under enforce (or for REQUIRETLS); under
                        // testing, all of them in MX order, the others noted.
                        let only_ours = p.mode == crate::proto::mta_sts::Mode::Enforce || env.require_tls;
                        for h in hosts.iter().filter(|h| !p.allows(&h.name)) {
                            tried.push(format!(
                                "{}: not among the MX hosts of {domain}'s MTA-STS policy ({}){}",
                                h.name,
                                p.mx.join(", "),
                                if only_ours { ": skipped" } else { "" }
                            ));
                        }
                        if only_ours {
                            hosts.retain(|h| p.allows(&h.name));
                            if hosts.is_empty() {
                                last = format!("MTA-STS: no MX host of {domain} is in its policy: nothing sent");
                            }
                        }
                    }
                    let roots = self.roots(&cfg);
                    let m = client::Send {
                        helo: &hostname,
                        from: &env.from,
                        rcpts: &rcpts,
                        message: &signed,
                        auth: creds,
                        rule,
                        roots: &roots,
                        require_tls: env.require_tls,
                        dane: None,
                    };
                    // Every host given up for its TLS: a REQUIRETLS message goes back (RFC 8689
                    // §4.2.1); anything else is tried again later.
                    let mut only_tls = !hosts.is_empty();
                    let mut results = Vec::new();
                    let sts_type = if sts.is_some() { "sts" } else { "no-policy-found" };
                    for h in &hosts {
                        let (rule, tlsa) = match self.host_rule(rule, dane_at.as_deref(), h).await {
                            Ok(r) => r,
                            Err(why) => {
                                // Perhaps only a resolver timeout: tried again, never bounced.
                                only_tls = false;
                                tls::count(rule, None, true);
                                results.push((h, "dnssec-invalid", "tlsa"));
                                tried.push(why.clone());
                                last = why;
                                continue;
                            }
                        };
                        let policy = if rule.source == tls::Source::Dane { "tlsa" } else { sts_type };
                        // Whose rule the certificate answers to: MTA-STS's, or the TLSA records'
                        // (unusable TLSA records ask only for TLS, RFC 7672 §2.2).
                        let bound = sts.is_some() || tlsa.is_some();
                        let m = client::Send { rule, dane: tlsa, ..m };
                        match client::send(&self.pool, h, &m).await {
                            Ok((o, used)) => {
                                tls::count(rule, used.as_ref(), false);
                                tried.push(tls::describe(&h.name, used.as_ref(), rule));
                                results.extend(tls::rpt_result(rule, bound, used.as_ref()).map(|r| (h, r, policy)));
                                got = Some(o);
                                break;
                            }
                            Err(e) => {
                                if e.tls {
                                    tls::count(rule, None, true);
                                }
                                results.extend(e.rpt.map(|r| (h, r, policy)));
                                only_tls &= e.tls;
                                tried.push(e.why.clone());
                                last = e.why;
                            }
                        }
                    }
                    self.note(&q.id, &domain, &tried).await;
                    self.tally(&domain, &results).await;
                    match got {
                        Some(o) => o,
                        None if refused.is_some() => {
                            vec![Outcome::Failed(refused.unwrap_or_default()); rcpts.len()]
                        }
                        None if env.require_tls && only_tls => {
                            vec![Outcome::Failed(format!("REQUIRETLS could not be met: {last}")); rcpts.len()]
                        }
                        None => vec![Outcome::Deferred(last); rcpts.len()],
                    }
                }
            };
            let done: Vec<(String, Outcome)> = rcpts.into_iter().zip(outcomes).collect();
            // Recorded at once, so a crash later in this attempt never sends these again.
            self.save(&q, &done).await?;
            results.extend(done);
        }
        self.record(&q, &results, &message).await
    }

    /// Keep what each host of a domain did (its TLS, or why it was given up) with the message,
    /// for `queue show`; a failure to write it costs only the record.
    async fn note(&self, id: &str, domain: &str, tried: &[String]) {
        for line in tried {
            tracing::info!(domain, tls = %line, "outbound TLS");
            if let Ok(mut conn) = self.shared.store().pool.acquire().await {
                let _ = queue::event(&mut Conn::Any(&mut conn), id, now(), line.clone()).await;
            }
        }
    }

    /// Count each host's TLS result for the day (`report tls --outbound`); a failure to
    /// write costs only the count.
    async fn tally(&self, domain: &str, results: &[(&route::Host, &'static str, &'static str)]) {
        let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
        for (host, result, policy) in results {
            let r = crate::store::tls_results::TlsResult {
                day: day.clone(),
                domain: domain.to_string(),
                policy: policy.to_string(),
                mx_host: host.name.clone(),
                result: result.to_string(),
                sessions: 1,
            };
            let counted = async {
                let mut conn = self.shared.store().pool.acquire().await?;
                crate::store::tls_results::count(&mut conn, &r).await
            };
            if let Err(e) = counted.await {
                tracing::warn!(domain, error = %e.one_line(), "counting a TLS result");
            }
        }
    }

    /// Write outcomes, retrying a few times: the remote side may already have the message.
    async fn save(&self, q: &queue::Queued, done: &[(String, Outcome)]) -> Result<()> {
        let rows = self.rows(q, done);
        let mut last = None;
        for _ in 0..5 {
            let r = async {
                let mut tx = self.shared.store().begin_write().await?;
                queue::save_outcomes(&mut tx, &q.id, &rows, now()).await?;
                tx.commit().await?;
                Ok::<_, crate::error::Error>(())
            }
            .await;
            match r {
                Ok(()) => return Ok(()),
                Err(e) => {
                    tracing::warn!(error = %e.one_line(), "recording an outcome; retrying");
                    last = Some(e);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        Err(last.unwrap_or_else(|| crate::error::Error::new(crate::error::Kind::Internal, "recording an outcome")))
    }

    /// Outcomes as recipient statuses.
    fn rows(&self, q: &queue::Queued, done: &[(String, Outcome)]) -> Vec<(String, &'static str, Option<String>)> {
        let cfg = self.shared.config();
        let expired = now() - q.received_at >= cfg.server.queue_lifetime as i64;
        done.iter()
            .map(|(rcpt, o)| {
                let (status, err) = match o {
                    Outcome::Delivered(why) => ("delivered", why.clone()),
                    Outcome::Failed(why) => ("failed", why.clone()),
                    Outcome::Deferred(why) if expired => ("failed", format!("gave up (queue_lifetime): {why}")),
                    Outcome::Deferred(why) => ("deferred", why.clone()),
                };
                tracing::info!(rcpt, status, detail = %err, "outbound");
                let outcome = if status == "failed" { "bounced" } else { status };
                crate::metrics::METRICS.deliveries.with_label_values(&["remote", outcome]).inc();
                (rcpt.clone(), status, Some(err))
            })
            .collect()
    }

    /// The relayhost's user and password (from a file, never the config), when configured.
    fn relay_credentials(&self, cfg: &crate::config::Config) -> std::result::Result<Option<(String, String)>, String> {
        let (Some(user), Some(file)) = (&cfg.server.relayhost_user, &cfg.server.relayhost_password_file) else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        Ok(Some((user.clone(), text.lines().next().unwrap_or_default().to_string())))
    }

    /// DKIM-sign mail from a local domain that has active keys; otherwise unchanged.
    async fn sign(&self, from: &str, message: &[u8]) -> Vec<u8> {
        let Some((_, domain)) = from.rsplit_once('@') else { return message.to_vec() };
        match crate::ops::dkim::sign(&self.shared.store(), &domain.to_ascii_lowercase(), message).await {
            Ok(h) if !h.is_empty() => {
                let mut out = h.concat().into_bytes();
                out.extend_from_slice(message);
                out
            }
            Ok(_) => {
                tracing::warn!(domain, "no active DKIM key: sending unsigned");
                message.to_vec()
            }
            Err(e) => {
                tracing::warn!(domain, error = %e.one_line(), "DKIM signing failed: sending unsigned");
                message.to_vec()
            }
        }
    }

    /// Store the outcome of an attempt; when no recipient is left to try, bounce the failed
    /// ones and remove the message.
    async fn record(&self, q: &queue::Queued, results: &[(String, Outcome)], message: &[u8]) -> Result<()> {
        let store = &self.shared.store();
        let t = now();
        let cfg = self.shared.config();
        let mut conn = store.pool.acquire().await?;
        let Some(now_q) = queue::get(&mut conn, &q.id).await? else { return Ok(()) };
        if now_q.recipients.iter().any(|r| r.status == "pending" || r.status == "deferred") {
            let last_error = results.iter().rev().find_map(|(_, o)| match o {
                Outcome::Deferred(why) => Some(why.clone()),
                _ => None,
            });
            let delay = next_delay(q.attempts, cfg.server.queue_retry_first as i64, cfg.server.queue_retry_max as i64);
            queue::finish_attempt(&mut conn, &q.id, t + delay, last_error.as_deref()).await?;
            drop(conn);
            return self.warn_delay(&now_q, message).await;
        }
        drop(conn);
        let failed: Vec<&queue::Recipient> = now_q.recipients.iter().filter(|r| r.status == "failed").collect();
        if !failed.is_empty() && !q.sender.is_empty() {
            let diags: Vec<String> = failed.iter().map(|r| r.last_error.clone().unwrap_or_default()).collect();
            let list: Vec<crate::dsn::Failed<'_>> = failed
                .iter()
                .zip(&diags)
                .map(|(r, d)| crate::dsn::Failed { recipient: &r.address, status: "5.0.0", diagnostic: d })
                .collect();
            let original = crate::dsn::headers(message).to_vec();
            let sent =
                crate::ops::deliver::bounce(store, &cfg.hostname, &q.id, &q.sender, q.received_at, &list, &original)
                    .await;
            if !sent {
                // Keep the message until its sender can be told.
                let mut conn = store.pool.acquire().await?;
                queue::postpone(&mut conn, &q.id, t + RETRY_AFTER_FAULT, "the DSN could not be queued").await?;
                return Ok(());
            }
        }
        crate::ops::queue::remove(store, &q.id).await
    }

    /// Tell the sender once that a message is late (`queue_delay_warning`), with the
    /// recipients still being tried (RFC 3464 Action: delayed).
    async fn warn_delay(&self, q: &queue::Queued, message: &[u8]) -> Result<()> {
        let cfg = self.shared.config();
        let after = cfg.server.queue_delay_warning as i64;
        if after == 0 || q.sender.is_empty() || now() - q.received_at < after {
            return Ok(());
        }
        let store = &self.shared.store();
        let mut conn = store.pool.acquire().await?;
        if queue::events(&mut conn, &q.id).await?.iter().any(|e| e.event == DELAY_SENT) {
            return Ok(());
        }
        queue::event(&mut Conn::Any(&mut conn), &q.id, now(), DELAY_SENT.into()).await?;
        drop(conn);
        let late: Vec<&queue::Recipient> =
            q.recipients.iter().filter(|r| r.status == "pending" || r.status == "deferred").collect();
        let diags: Vec<String> =
            late.iter().map(|r| r.last_error.clone().unwrap_or_else(|| "not yet tried".into())).collect();
        let list: Vec<crate::dsn::Failed<'_>> = late
            .iter()
            .zip(&diags)
            .map(|(r, d)| crate::dsn::Failed { recipient: &r.address, status: "4.0.0", diagnostic: d })
            .collect();
        let original = crate::dsn::headers(message).to_vec();
        crate::ops::deliver::bounce(
            store,
            &cfg.hostname,
            &format!("{}-delay", q.id),
            &q.sender,
            q.received_at,
            &list,
            &original,
        )
        .await;
        Ok(())
    }
}

const DELAY_SENT: &str = "delay DSN sent";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule() {
        assert_eq!(next_delay(0, 300, 14400), 300);
        assert_eq!(next_delay(1, 300, 14400), 600);
        assert_eq!(next_delay(5, 300, 14400), 9600);
        assert_eq!(next_delay(6, 300, 14400), 14400);
        assert_eq!(next_delay(1000, 300, 14400), 14400);
    }
}

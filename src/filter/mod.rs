//! Inbound filtering: what port 25's mail goes through before it is accepted. Sender
//! authentication (`authenticate`), the content scanners (`scanners`: spamd, rspamd, clamd),
//! and one decision from their verdicts (`verdict::decide`). The SMTP DATA handler asks
//! [`Filters::check`] once and applies the action; it never talks to a scanner itself.

pub mod authenticate;
pub mod dnsbl;
pub mod scanners;
pub mod verdict;

use std::net::IpAddr;

use crate::config::Config;
use crate::config::choices::{SpamFilter, VirusScanner};
use crate::error::Result;
use authenticate::{Authenticated, Authenticator, Client};
use verdict::{Allow, Auth, Decision, Policy, Spam, SpamAction, Verdicts, Virus};

/// The filters a config sets up; built at start and again on reload.
pub struct Filters {
    auth: Option<Authenticator>,
    resolver: hickory_resolver::TokioResolver,
    dnsbl_zones: Vec<String>,
    /// Blocklist answers that said nothing (the lists' refusals, errors), since start.
    pub dnsbl_unknown: std::sync::atomic::AtomicU64,
    hostname: String,
    policy: Policy,
    spam: Option<(SpamFilter, String)>,
    virus: Option<String>,
    http: reqwest::Client,
    arc_trusted_sealers: Vec<String>,
    trusted_forwarders: Vec<String>,
    /// rspamd's controller, where it learns.
    learn_address: Option<String>,
}

/// The message's envelope and connection, as the checks need them.
pub struct Inbound<'a> {
    pub ip: IpAddr,
    pub helo: &'a str,
    /// The envelope sender; empty for the null sender.
    pub mail_from: &'a str,
    pub rcpts: &'a [String],
    pub queue_id: &'a str,
}

/// The verdicts, the decision, and the header fields the delivered message gets.
#[derive(Debug, Clone)]
pub struct Checked {
    pub verdicts: Verdicts,
    pub decision: Decision,
    /// `Authentication-Results:`, `X-Mailctl-Verdict:` and, when scored, `X-Spam-Status:`;
    /// each CRLF-terminated.
    pub headers: String,
}

impl Filters {
    pub fn new(cfg: &Config) -> Result<Filters> {
        let f = &cfg.filter;
        let resolver = resolver(cfg.server.dns_resolver.as_deref())?;
        let auth = f.inbound_auth.then(|| Authenticator::new(&cfg.hostname, resolver.clone()));
        let spam = match (f.spam_filter, &f.spam_filter_address) {
            (SpamFilter::None, _) => None,
            (kind, Some(addr)) => Some((kind, addr.clone())),
            (kind, None) => Some((kind, default_address(kind).to_string())),
        };
        let virus = match f.virus_scanner {
            VirusScanner::None => None,
            VirusScanner::Clamd => Some(f.virus_scanner_address.clone().unwrap_or_else(|| "127.0.0.1:3310".into())),
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("mailctl/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| {
                crate::error::Error::new(crate::error::Kind::Internal, "building the HTTP client").with_source(e)
            })?;
        Ok(Filters {
            auth,
            resolver,
            dnsbl_zones: f.dnsbl_zones.clone(),
            dnsbl_unknown: Default::default(),
            hostname: cfg.hostname.clone(),
            policy: Policy {
                junk_score: f.spam_junk_score,
                reject_score: f.spam_reject_score,
                dmarc_reject_action: f.dmarc_reject_action,
                scanner_failure: f.scanner_failure,
            },
            spam,
            virus,
            http,
            learn_address: f.spam_learn_address.clone(),
            arc_trusted_sealers: f.arc_trusted_sealers.iter().map(|s| s.to_ascii_lowercase()).collect(),
            trusted_forwarders: f.trusted_forwarders.iter().map(|s| s.to_ascii_lowercase()).collect(),
        })
    }

    /// Run every configured check on `message` (as received, without our own headers) and
    /// decide. The scanners and the DNS lookups run at the same time. `allow_listed`: the
    /// sender is on every recipient's allow list, so it is not scored for spam (it is still
    /// scanned for viruses) once it has authenticated; with authentication off it is not scored
    /// at all.
    pub async fn check(&self, inbound: &Inbound<'_>, message: &[u8], allow_listed: bool) -> Checked {
        let auth = async {
            match &self.auth {
                Some(a) => {
                    let client = Client { ip: inbound.ip, helo: inbound.helo, mail_from: inbound.mail_from };
                    Some(a.check(&client, message).await)
                }
                None => None,
            }
        };
        let spam = async {
            let envelope = || scanners::Envelope {
                ip: inbound.ip.to_string(),
                helo: inbound.helo.to_string(),
                from: inbound.mail_from.to_string(),
                rcpts: inbound.rcpts.to_vec(),
                queue_id: inbound.queue_id.to_string(),
                user: None,
            };
            match &self.spam {
                // Nothing can prove the sender: the envelope is all there is.
                _ if allow_listed && self.auth.is_none() => Spam::NotScanned,
                None => Spam::NotScanned,
                Some((SpamFilter::Spamd, addr)) => scanners::spamd_check(addr, message, None).await,
                Some((_, addr)) => scanners::rspamd_check(&self.http, addr, message, &envelope()).await,
            }
        };
        let virus = async {
            match &self.virus {
                None => Virus::NotScanned,
                Some(addr) => scanners::clamd_scan(addr, message).await,
            }
        };
        let (auth, spam, virus) = tokio::join!(auth, spam, virus);
        self.decide(inbound, auth, spam, virus, allow_listed)
    }

    fn decide(
        &self,
        inbound: &Inbound<'_>,
        auth: Option<Authenticated>,
        spam: Spam,
        virus: Virus,
        allow_listed: bool,
    ) -> Checked {
        let sender = inbound.mail_from.to_ascii_lowercase();
        // An envelope sender proves nothing by itself: a trusted forwarder must pass SPF for
        // it, and an allow-listed sender SPF or DMARC, or anyone could forge them (with
        // inbound_auth off there is nothing to check, and the envelope is taken as it is).
        let spf_passed = auth.as_ref().is_none_or(|a| a.spf == Auth::Pass);
        let authenticated =
            spf_passed || auth.as_ref().is_some_and(|a| a.dmarc.as_ref().is_some_and(|d| d.result == Auth::Pass));
        let trusted_forwarder = !sender.is_empty()
            && spf_passed
            && self.trusted_forwarders.iter().any(|t| match t.strip_prefix('@') {
                Some(domain) => sender.rsplit_once('@').is_some_and(|(_, d)| d == domain),
                None => *t == sender,
            });
        let allow = match (allow_listed, authenticated) {
            (false, _) => Allow::NotListed,
            (true, true) => Allow::Applied,
            (true, false) => Allow::Unauthenticated,
        };
        let spam = if allow == Allow::Applied { Spam::NotScanned } else { spam };
        let mut verdicts = Verdicts { trusted_forwarder, allow, spam, virus, ..Verdicts::default() };
        let mut headers = String::new();
        if let Some(a) = auth {
            verdicts.spf = Some(a.spf);
            verdicts.dkim = Some(a.dkim);
            verdicts.arc = Some(a.arc);
            verdicts.iprev = Some(a.iprev);
            verdicts.dmarc = a.dmarc;
            verdicts.arc_trusted = a.arc_sealer.is_some_and(|s| self.arc_trusted_sealers.contains(&s));
            headers.push_str(&a.header);
        }
        let decision = verdict::decide(&verdicts, &self.policy);
        headers.push_str(&verdict::verdict_header(&verdicts, &decision));
        if let Spam::Scored { score, rules, action } = &verdicts.spam {
            // Spam by our score, or by rspamd's own thresholds.
            let spam = *score >= self.policy.junk_score
                || matches!(action, Some(SpamAction::AddHeader | SpamAction::RewriteSubject | SpamAction::Reject));
            let yes = if spam { "Yes" } else { "No" };
            let tests: Vec<String> = rules.iter().take(50).map(|r| verdict::header_safe(r)).collect();
            headers.push_str(&format!(
                "X-Spam-Status: {yes}, score={score} required={}\r\n\ttests={}\r\n",
                self.policy.junk_score,
                tests.join(",")
            ));
        }
        Checked { verdicts, decision, headers }
    }

    /// Ask every blocklist about a client: the first list that has it, as the refusal's text;
    /// None when none does. Answers that say nothing are logged and counted, never a listing.
    pub async fn blocklisted(&self, ip: IpAddr) -> Option<String> {
        // One after the other: a few lists, and their answers are cached.
        let mut listed = None;
        for zone in &self.dnsbl_zones {
            match dnsbl::lookup(&self.resolver, ip, zone).await {
                dnsbl::Listing::Listed(a) => {
                    listed.get_or_insert_with(|| format!("client {ip} is listed by {zone} ({a})"));
                }
                dnsbl::Listing::Unknown(why) => {
                    self.dnsbl_unknown.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!(client = %ip, zone = %zone, why = %why, "blocklist gave no answer: counted as unknown");
                }
                dnsbl::Listing::NotListed => {}
            }
        }
        listed
    }

    /// Whether a spam filter is configured, that can learn from people's decisions.
    pub fn learns(&self) -> bool {
        self.spam.is_some()
    }

    /// Teach the spam filter a message as spam or ham (spamd `TELL`, rspamd `learnspam` and
    /// `learnham` on its controller).
    pub async fn learn(&self, message: &[u8], spam: bool) -> std::result::Result<(), String> {
        match &self.spam {
            None => Ok(()),
            Some((SpamFilter::Spamd, addr)) => scanners::spamd_learn(addr, message, spam).await,
            Some((_, addr)) => {
                let controller = self.learn_address.clone().unwrap_or_else(|| rspamd_controller(addr));
                scanners::rspamd_learn(&self.http, &controller, message, spam).await
            }
        }
    }

    /// Whether an envelope sender is who it says, as far as RCPT can tell: SPF passes for it.
    /// With inbound authentication off nothing can be checked, and the envelope is believed.
    pub async fn sender_passes_spf(&self, ip: IpAddr, helo: &str, mail_from: &str) -> bool {
        match &self.auth {
            Some(a) if !mail_from.is_empty() => a.spf_mail_from(&Client { ip, helo, mail_from }).await == Auth::Pass,
            Some(_) => false,
            None => true,
        }
    }

    /// Our authserv-id: forged results claiming it are removed from incoming messages.
    pub fn authserv_id(&self) -> &str {
        &self.hostname
    }
}

/// The filters' resolver: `dns_resolver` (IP or IP:port), else the system's; its cache keeps
/// answers for their TTLs, at most [`CACHE_ENTRIES`], shared by every session.
fn resolver(configured: Option<&str>) -> Result<hickory_resolver::TokioResolver> {
    let fail = |e: &dyn std::fmt::Display| {
        crate::error::Error::new(crate::error::Kind::Unavailable, format!("DNS resolver for inbound checks: {e}"))
    };
    let mut builder = match configured {
        Some(s) => crate::dns::lookup::builder_at(&[crate::netaddr::parse_server(s)?]),
        None => hickory_resolver::TokioResolver::builder_tokio().map_err(|e| fail(&e))?,
    };
    let o = builder.options_mut();
    o.cache_size = CACHE_ENTRIES as u64;
    o.timeout = std::time::Duration::from_secs(5);
    o.attempts = 2;
    builder.build().map_err(|e| fail(&e))
}

/// DNS answers the filters keep in memory.
pub const CACHE_ENTRIES: usize = 4096;

/// rspamd's controller beside its normal worker: the same host, port 11334.
fn rspamd_controller(normal: &str) -> String {
    let url = scanners::rspamd_url(normal);
    match url.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => format!("{host}:11334"),
        _ => format!("{url}:11334"),
    }
}

/// Where a scanner listens when the config names none.
fn default_address(kind: SpamFilter) -> &'static str {
    match kind {
        SpamFilter::Rspamd => "127.0.0.1:11333",
        _ => "127.0.0.1:783",
    }
}

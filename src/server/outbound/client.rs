//! One SMTP transaction to one mail host with mail-send: greeting, EHLO, STARTTLS as the
//! delivery's TLS rule says (`tls.rs`: never, when offered, required, or required with a
//! certificate that verifies for the host name), MAIL, RCPT for every recipient of the
//! domain, DATA once. A rule that requires TLS is never met by sending in clear: the host is
//! given up and the reason kept. Bytes a server sends after its STARTTLS reply are never read
//! as SMTP: they go into the TLS handshake, which then fails.

use std::time::Duration;

use mail_send::SmtpClient;
use smtp_proto::{EXT_REQUIRE_TLS, EXT_START_TLS};

use super::route::Host;
use super::tls::{Roots, Rule, Used};
use crate::netaddr::TlsLevel;

/// What happened to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered(String),
    /// 4xx or a connection problem: try again later.
    Deferred(String),
    /// 5xx: give up on this recipient.
    Failed(String),
}

/// Connecting; each command reply (RFC 5321 §4.5.3.2 allows 5 minutes); the whole DATA
/// phase, transfer and final reply (10 minutes for the reply alone).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
const DATA_TIMEOUT: Duration = Duration::from_secs(1200);

fn reply_text(r: &smtp_proto::Response<String>) -> String {
    format!("{} {}", r.code, r.message.replace(['\r', '\n'], " ").trim())
}

fn classify(r: &smtp_proto::Response<String>, host: &str) -> Outcome {
    let text = format!("{host} said: {}", reply_text(r));
    match r.code {
        200..=299 => Outcome::Delivered(text),
        500..=599 => Outcome::Failed(text),
        _ => Outcome::Deferred(text),
    }
}

fn error_text(e: &mail_send::Error) -> String {
    match e {
        mail_send::Error::UnexpectedReply(r) => reply_text(r),
        other => other.to_string(),
    }
}

/// An open SMTP session, after EHLO (and STARTTLS and AUTH when they happened).
pub enum Session {
    Plain(SmtpClient<tokio::net::TcpStream>),
    Tls(Box<SmtpClient<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>>),
}

/// What a transaction left behind: results, and whether the session is still in step
/// (no error, no timeout, no unexpected reply) and may be reused.
struct Done {
    out: Vec<Outcome>,
    clean: bool,
}

impl Session {
    async fn cmd(&mut self, line: String) -> mail_send::Result<smtp_proto::Response<String>> {
        match self {
            Session::Plain(c) => c.cmd(line).await,
            Session::Tls(c) => c.cmd(line).await,
        }
    }
    async fn data(&mut self, message: &[u8]) -> mail_send::Result<smtp_proto::Response<String>> {
        match self {
            Session::Plain(c) => {
                c.timeout = DATA_TIMEOUT;
                let r = c.data(message).await;
                c.timeout = COMMAND_TIMEOUT;
                r
            }
            Session::Tls(c) => {
                c.timeout = DATA_TIMEOUT;
                let r = c.data(message).await;
                c.timeout = COMMAND_TIMEOUT;
                r
            }
        }
    }
    /// End the session politely.
    pub async fn quit(self) {
        let _ = match self {
            Session::Plain(c) => c.quit().await,
            Session::Tls(c) => c.quit().await,
        };
    }
    /// Ready for another transaction? (RSET answered 250.)
    pub async fn reset(&mut self) -> bool {
        matches!(self.cmd("RSET\r\n".into()).await, Ok(r) if r.code == 250)
    }
}

/// Connections kept open per host after a transaction, for the next message to the same
/// destination; idle ones are closed after `IDLE`.
#[derive(Default)]
pub struct Pool {
    idle: std::sync::Mutex<std::collections::HashMap<String, Vec<Kept>>>,
}

/// An idle session, the TLS it runs on, and since when it waits.
type Kept = (Session, Option<Used>, std::time::Instant);

const IDLE: Duration = Duration::from_secs(30);
const KEEP_PER_HOST: usize = 20;

impl Pool {
    /// Same name, same addresses (and ports), same login, same TLS level: the same
    /// destination (a session opened under a weaker rule never serves a stricter one).
    fn key(host: &Host, m: &Send<'_>) -> String {
        let login = m.auth.map(|a| a.0.as_str()).unwrap_or("");
        let (level, source, require_tls) = (m.rule.level.as_str(), m.rule.source.label(), m.require_tls);
        format!("{}|{:?}|{login}|{level}|{source}|{require_tls}", host.name, host.addrs)
    }
    fn take(&self, key: &str) -> Option<(Session, Option<Used>)> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.get_mut(key)?;
        while let Some((s, used, at)) = list.pop() {
            if at.elapsed() < IDLE {
                return Some((s, used));
            }
        }
        None
    }
    fn put(&self, key: String, s: Session, used: Option<Used>) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.entry(key).or_default();
        list.retain(|(_, _, at)| at.elapsed() < IDLE);
        if list.len() < KEEP_PER_HOST {
            list.push((s, used, std::time::Instant::now()));
        }
    }
    /// Close connections idle for too long.
    pub fn expire(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        for list in idle.values_mut() {
            list.retain(|(_, _, at)| at.elapsed() < IDLE);
        }
        idle.retain(|_, l| !l.is_empty());
    }
}

/// Why a host could not be used, and whether it was for the TLS rule (nothing sent because
/// TLS or the certificate fell short).
#[derive(Debug)]
pub struct Unusable {
    pub why: String,
    pub tls: bool,
    /// The TLS-RPT result type (RFC 8460 §4.3) of a TLS failure, when it is one.
    pub rpt: Option<&'static str>,
}

impl From<String> for Unusable {
    fn from(why: String) -> Unusable {
        Unusable { why, tls: false, rpt: None }
    }
}

/// How a message goes to one host: who we are, the envelope, the login and the TLS rule.
pub struct Send<'a> {
    pub helo: &'a str,
    pub from: &'a str,
    pub rcpts: &'a [String],
    pub message: &'a [u8],
    pub auth: Option<&'a (String, String)>,
    pub rule: Rule,
    pub roots: &'a Roots,
    /// The message asked for REQUIRETLS: the host must offer it, and MAIL carries it on.
    pub require_tls: bool,
    /// The host's usable TLSA records, when DANE binds its certificate.
    pub dane: Option<std::sync::Arc<Vec<crate::ops::dane::Tlsa>>>,
}

/// Deliver to one host: Ok with a result per recipient and the TLS the session used, or Err
/// when the host could not be used at all (try the next one). A kept connection to the host
/// is used when there is one.
pub async fn send(pool: &Pool, host: &Host, m: &Send<'_>) -> Result<(Vec<Outcome>, Option<Used>), Unusable> {
    let key = Pool::key(host, m);
    if let Some((mut session, used)) = pool.take(&key) {
        if session.reset().await {
            // A broken kept connection (before any reply that counts) falls through to a
            // fresh one.
            if let Ok(done) = envelope(&mut session, &host.name, m).await {
                if done.clean {
                    pool.put(key, session, used.clone());
                }
                return Ok((done.out, used));
            }
        } else {
            session.quit().await;
        }
    }
    let mut last = Unusable::from(format!("{}: no address", host.name));
    for addr in &host.addrs {
        let client = match SmtpClient::connect(*addr, CONNECT_TIMEOUT).await {
            Ok(c) => c,
            Err(e) => {
                last = Unusable::from(format!("{} [{addr}]: {}", host.name, error_text(&e)));
                continue;
            }
        };
        let mut client = client;
        client.timeout = COMMAND_TIMEOUT;
        let (mut session, used) = match open(client, host, m).await {
            Ok(s) => s,
            Err(e) => {
                last = e;
                continue;
            }
        };
        let done = envelope(&mut session, &host.name, m).await?;
        if done.clean && session.reset().await {
            pool.put(key, session, used.clone());
        } else {
            session.quit().await;
        }
        return Ok((done.out, used));
    }
    Err(last)
}

async fn open(
    mut client: SmtpClient<tokio::net::TcpStream>,
    host: &Host,
    m: &Send<'_>,
) -> Result<(Session, Option<Used>), Unusable> {
    let name = &host.name;
    let fail = |e: mail_send::Error| format!("{name}: {}", error_text(&e));
    let policy = m.rule.source.as_str();
    // mail-send's read has no timeout of its own: a silent server (a tarpit, or a TLS-only
    // port) must not hold the attempt forever.
    let greeting = tokio::time::timeout(COMMAND_TIMEOUT, client.read())
        .await
        .map_err(|_| format!("{name}: no greeting"))?
        .map_err(fail)?;
    if greeting.code / 100 != 2 {
        return Err(Unusable::from(format!("{name} greeted with {}", reply_text(&greeting))));
    }
    let ehlo = client.ehlo(m.helo).await.map_err(fail)?;
    let level = m.rule.level;
    if level > TlsLevel::None && ehlo.has_capability(EXT_START_TLS) {
        let (connector, seen) = m.roots.connector(level, m.dane.clone());
        let verdict = || seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut tls = match client.start_tls(&connector, name).await {
            Ok(t) => t,
            Err(e) => {
                return Err(match verdict() {
                    Some(Err(why)) if level >= TlsLevel::Verify || m.dane.is_some() => Unusable {
                        why: format!(
                            "{name}: the certificate does not verify ({why}); {policy} requires it: nothing sent"
                        ),
                        tls: true,
                        rpt: Some(why.kind),
                    },
                    // A refusal of STARTTLS, a reset or a timeout: tried again later, never
                    // taken as the host's final word on TLS.
                    _ => Unusable {
                        why: format!("{name}: TLS failed: {}", error_text(&e)),
                        tls: false,
                        rpt: Some("validation-failure"),
                    },
                });
            }
        };
        let (_, conn) = tls.stream.get_ref();
        let used = Used {
            version: conn.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default(),
            cipher: conn.negotiated_cipher_suite().map(|c| format!("{:?}", c.suite())).unwrap_or_default(),
            verified: verdict().unwrap_or_else(|| {
                Err(super::tls::CertProblem { kind: "validation-failure", text: "no certificate".into() })
            }),
        };
        let caps = tls.ehlo(m.helo).await.map_err(fail)?;
        if m.require_tls && !caps.has_capability(EXT_REQUIRE_TLS) {
            let _ = tls.quit().await;
            return Err(Unusable {
                why: format!("{name} does not offer REQUIRETLS, which the message asks for"),
                tls: true,
                rpt: None,
            });
        }
        if let Some((user, pass)) = m.auth {
            let creds = mail_send::Credentials::new(user.as_str(), pass.as_str());
            tls.authenticate(&creds, &caps).await.map_err(fail)?;
        }
        return Ok((Session::Tls(Box::new(tls)), Some(used)));
    }
    if level >= TlsLevel::Encrypt {
        // Never in clear what must be encrypted, never a password in clear.
        return Err(Unusable {
            why: format!("{name} offers no STARTTLS; {policy} requires TLS: nothing sent in clear"),
            tls: true,
            rpt: Some("starttls-not-supported"),
        });
    }
    if m.auth.is_some() {
        return Err(Unusable::from(format!("{name} offers no STARTTLS: not authenticating without TLS")));
    }
    Ok((Session::Plain(client), None))
}

/// MAIL, RCPT for each recipient, DATA once: a result per recipient. Err when the connection
/// broke before any answer that counts.
async fn envelope(client: &mut Session, name: &str, m: &Send<'_>) -> Result<Done, String> {
    let (rcpts, message) = (m.rcpts, m.message);
    let fail = |e: mail_send::Error| format!("{name}: {}", error_text(&e));
    let param = if m.require_tls { " REQUIRETLS" } else { "" };
    let r = client.cmd(format!("MAIL FROM:<{}>{param}\r\n", m.from)).await.map_err(fail)?;
    if r.code / 100 != 2 {
        return Ok(Done { out: vec![classify(&r, name); rcpts.len()], clean: true });
    }
    let mut out = Vec::with_capacity(rcpts.len());
    for rcpt in rcpts {
        let r = client.cmd(format!("RCPT TO:<{rcpt}>\r\n")).await.map_err(fail)?;
        out.push(classify(&r, name));
    }
    if !out.iter().any(|o| matches!(o, Outcome::Delivered(_))) {
        return Ok(Done { out, clean: true });
    }
    let (result, clean) = match client.data(message).await {
        Ok(r) => (classify(&r, name), true),
        // A 2xx where 354 was due: the session is out of step; the body was not sent.
        Err(mail_send::Error::UnexpectedReply(r)) if r.code / 100 == 2 => {
            (Outcome::Deferred(format!("{name}: unexpected reply to DATA: {}", reply_text(&r))), false)
        }
        Err(mail_send::Error::UnexpectedReply(r)) => (classify(&r, name), true),
        Err(e) => (Outcome::Deferred(format!("{name}: {}", error_text(&e))), false),
    };
    for o in out.iter_mut() {
        if matches!(o, Outcome::Delivered(_)) {
            *o = result.clone();
        }
    }
    Ok(Done { out, clean })
}

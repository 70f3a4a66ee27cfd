//! The content scanners' clients: SpamAssassin's spamd (SPAMC/1.5, `proto::spamc`), rspamd
//! (HTTP `/checkv2`, learning on its controller) and clamd (`zINSTREAM`, `proto::clamd`).
//! Each call is bounded in time and in the size of what it reads back; a scanner that does not
//! answer is a `Failed` verdict with the reason, never a clean one.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::verdict::{Spam, SpamAction, Virus};
use crate::proto::{clamd, spamc};

/// How long a scan may take, connection included.
pub const SCAN_TIMEOUT: Duration = Duration::from_secs(30);

/// What the spam scanner is told about the message's envelope (rspamd uses it all; spamd the
/// user).
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    pub ip: String,
    pub helo: String,
    pub from: String,
    pub rcpts: Vec<String>,
    pub queue_id: String,
    /// The authenticated user, for submission.
    pub user: Option<String>,
}

/// Send `request` to a TCP service, half-close, and read its whole reply (at most `max` bytes).
async fn exchange(addr: &str, request: &[&[u8]], max: usize) -> Result<Vec<u8>, String> {
    let talk = async {
        let mut s = TcpStream::connect(addr).await.map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        for part in request {
            s.write_all(part).await.map_err(|e| format!("sending to {addr}: {e}"))?;
        }
        s.shutdown().await.map_err(|e| format!("sending to {addr}: {e}"))?;
        let mut reply = Vec::new();
        (&mut s).take(max as u64 + 1).read_to_end(&mut reply).await.map_err(|e| format!("reading from {addr}: {e}"))?;
        if reply.len() > max {
            return Err(format!("{addr} sent a reply over {max} bytes"));
        }
        Ok(reply)
    };
    tokio::time::timeout(SCAN_TIMEOUT, talk)
        .await
        .unwrap_or_else(|_| Err(format!("{addr} did not answer within {} s", SCAN_TIMEOUT.as_secs())))
}

/// Ask spamd for the score and the rules that matched.
pub async fn spamd_check(addr: &str, message: &[u8], user: Option<&str>) -> Spam {
    let request = spamc::symbols_request(message, user);
    let reply = match exchange(addr, &[&request], spamc::MAX_REPLY).await {
        Ok(r) => r,
        Err(e) => return Spam::Failed(format!("spamd: {e}")),
    };
    match spamc::parse_reply(&reply) {
        Ok(r) if r.code == 0 => match r.spam {
            Some((_, score, _)) => Spam::Scored { score, action: None, rules: r.rules() },
            None => Spam::Failed("spamd: the reply has no Spam header".into()),
        },
        Ok(r) => Spam::Failed(format!("spamd: error {} ({})", r.code, r.message)),
        Err(e) => Spam::Failed(format!("spamd: {e}")),
    }
}

/// Teach spamd a message as spam or ham (`TELL`).
pub async fn spamd_learn(addr: &str, message: &[u8], spam: bool) -> Result<(), String> {
    let request = spamc::tell_request(message, spam);
    let reply = exchange(addr, &[&request], spamc::MAX_REPLY).await?;
    match spamc::parse_reply(&reply)? {
        // No DidSet: spamd knew the message already, as this class; nothing to do.
        r if r.code == 0 => Ok(()),
        r => Err(format!("spamd: error {} ({})", r.code, r.message)),
    }
}

/// Scan with clamd. Larger than its `StreamMaxLength` comes back as an error: unscanned.
pub async fn clamd_scan(addr: &str, message: &[u8]) -> Virus {
    const CHUNK: usize = 64 * 1024;
    let mut chunks: Vec<Vec<u8>> = message.chunks(CHUNK).map(clamd::chunk).collect();
    chunks.push(clamd::chunk(&[]));
    let mut parts: Vec<&[u8]> = vec![clamd::INSTREAM];
    parts.extend(chunks.iter().map(Vec::as_slice));
    match exchange(addr, &parts, clamd::MAX_REPLY).await {
        Ok(reply) => match clamd::parse_reply(&reply) {
            clamd::Scan::Clean => Virus::Clean,
            clamd::Scan::Found(name) => Virus::Found(name),
            clamd::Scan::Error(e) => Virus::Failed(e),
        },
        Err(e) => Virus::Failed(format!("clamd: {e}")),
    }
}

/// The base URL of an rspamd address: `host:port` or an http(s) URL.
pub fn rspamd_url(addr: &str) -> String {
    let base = if addr.starts_with("http://") || addr.starts_with("https://") {
        addr.to_string()
    } else {
        format!("http://{addr}")
    };
    base.trim_end_matches('/').to_string()
}

/// The rspamd reply fields used.
#[derive(serde::Deserialize)]
struct RspamdReply {
    action: String,
    score: f64,
    #[serde(default)]
    symbols: std::collections::BTreeMap<String, serde_json::Value>,
}

/// Ask rspamd (`/checkv2`) with the envelope as its headers; its action is honoured.
pub async fn rspamd_check(client: &reqwest::Client, addr: &str, message: &[u8], env: &Envelope) -> Spam {
    let mut req = client
        .post(format!("{}/checkv2", rspamd_url(addr)))
        .timeout(SCAN_TIMEOUT)
        .header("IP", &env.ip)
        .header("Helo", &env.helo)
        .header("From", &env.from)
        .header("Queue-Id", &env.queue_id)
        .body(message.to_vec());
    for r in &env.rcpts {
        req = req.header("Rcpt", r);
    }
    if let Some(u) = &env.user {
        req = req.header("User", u);
    }
    let reply = match req.send().await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => return Spam::Failed(format!("rspamd: HTTP {}", r.status().as_u16())),
        Err(e) => return Spam::Failed(format!("rspamd: {}", error_chain(e))),
    };
    let body = match reply.bytes().await {
        Ok(b) if b.len() <= 1 << 20 => b,
        Ok(_) => return Spam::Failed("rspamd: reply over 1 MiB".into()),
        Err(e) => return Spam::Failed(format!("rspamd: {}", error_chain(e))),
    };
    match serde_json::from_slice::<RspamdReply>(&body) {
        Ok(r) => match SpamAction::parse(&r.action) {
            Some(action) => {
                Spam::Scored { score: r.score, action: Some(action), rules: r.symbols.into_keys().collect() }
            }
            None => Spam::Failed(format!("rspamd: unknown action {:?}", r.action)),
        },
        Err(e) => Spam::Failed(format!("rspamd: reply does not parse: {e}")),
    }
}

/// Teach rspamd a message as spam or ham on its controller (`/learnspam`, `/learnham`). A
/// message it already learned (208, or 404 "already learned") is not an error; one it declined
/// (204: fewer tokens than its Bayes classifier needs, or a skipped message) is.
pub async fn rspamd_learn(
    client: &reqwest::Client,
    controller: &str,
    message: &[u8],
    spam: bool,
) -> Result<(), String> {
    let path = if spam { "learnspam" } else { "learnham" };
    let r = client
        .post(format!("{}/{path}", rspamd_url(controller)))
        .timeout(SCAN_TIMEOUT)
        .body(message.to_vec())
        .send()
        .await
        .map_err(|e| format!("rspamd: {}", error_chain(e)))?;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    match status {
        200 | 208 => Ok(()),
        404 if text.contains("already learned") => Ok(()),
        204 => Err(format!("rspamd {path}: declined (HTTP 204: too few tokens for its classifier, or skipped)")),
        _ => Err(format!("rspamd {path}: HTTP {status} {}", text.chars().take(200).collect::<String>())),
    }
}

/// An HTTP failure with its whole cause chain, on one line.
fn error_chain(e: reqwest::Error) -> String {
    crate::error::Error::new(crate::error::Kind::Unavailable, "request failed").with_source(e).one_line()
}

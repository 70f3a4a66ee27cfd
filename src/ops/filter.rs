//! `mailctl filter test`: the whole inbound pipeline (blocklists, sender authentication,
//! scanners, the decision) run on a message file as if a client had sent it, delivering
//! nothing. What `serve` would decide, with the same config and the same code.

use std::net::IpAddr;
use std::path::Path;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::filter::verdict::{Action, Auth, Spam, Virus};
use crate::filter::{Checked, Filters, Inbound, authenticate};
use crate::store::maildir::{self, file};
use crate::store::verdicts::{self, Verdict};
use crate::store::{Account, Store, mailboxes, messages};

/// The envelope a test message is checked with.
pub struct Envelope {
    pub ip: IpAddr,
    pub helo: String,
    pub from: String,
    pub to: Vec<String>,
}

/// What `serve` would have done.
pub struct Trial {
    /// The refusal at RCPT when the client is on a blocklist (the message is then not checked).
    pub blocklisted: Option<String>,
    pub checked: Option<Checked>,
}

/// Read `file` (at most `message_size_limit`) and run it through the inbound filters.
pub async fn test(cfg: &Config, file: &Path, env: &Envelope) -> Result<Trial> {
    let limit = cfg.server.message_size_limit;
    let meta = std::fs::metadata(file).map_err(|e| Error::io("reading", file, e))?;
    if meta.len() > limit {
        return Err(Error::invalid(format!(
            "{} is {} bytes, over message_size_limit ({limit}): serve would refuse it with 552",
            file.display(),
            meta.len()
        )));
    }
    // Files on disk often have LF line ends; on the wire they are CRLF.
    let message = maildir::crlf::read(file).map_err(|e| Error::io("reading", file, e))?;
    let filters = Filters::new(cfg)?;
    if let Some(why) = filters.blocklisted(env.ip).await {
        return Ok(Trial { blocklisted: Some(why), checked: None });
    }
    let message = authenticate::strip_forged(&message, filters.authserv_id());
    let inbound = Inbound { ip: env.ip, helo: &env.helo, mail_from: &env.from, rcpts: &env.to, queue_id: "test" };
    Ok(Trial { blocklisted: None, checked: Some(filters.check(&inbound, &message, false).await) })
}

/// What moving mail from one folder to another teaches the spam filter: into Junk (from
/// elsewhere) is spam, Some(true); out of Junk into a folder other than Trash is ham,
/// Some(false); anything else teaches nothing. IMAP and the webmail both ask here.
pub fn training(from: Option<&str>, to: &str) -> Option<bool> {
    let junk = crate::store::maildir::JUNK;
    if to == junk && from != Some(junk) {
        Some(true)
    } else if from == Some(junk) && to != junk && super::mailbox::special_use(to) != Some("\\Trash") {
        Some(false)
    } else {
        None
    }
}

/// Teach the spam filter the messages `uids` of an account's folder as spam or ham: a person
/// moved them into Junk, or out of it. Failures are logged, never retried.
pub async fn learn(store: &Store, filters: &Filters, account: &Account, folder: &str, uids: Vec<i64>, spam: bool) {
    let class = if spam { "spam" } else { "ham" };
    let (id, name) = (account.id, folder.to_string());
    let found = store
        .read(uids.len(), move |c| {
            Box::pin(async move {
                let Some(m) = mailboxes::get(c, id, &name).await? else { return Ok(Vec::new()) };
                messages::rows_for(c, m.id, &uids, messages::Cols::Light).await
            })
        })
        .await;
    let rows = match found {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(account = %account.address, error = %e.one_line(), "spam filter not taught: {class}: reading the index");
            return;
        }
    };
    let dir = maildir::folder_path(&crate::ops::mailbox::maildir_root(store, account), folder);
    for r in rows {
        let read = {
            let dir = dir.clone();
            crate::ops::blocking(move || {
                let path = file::locate(&dir, &r.filename, &r.flags)
                    .ok_or_else(|| Error::not_found(format!("message file {}", r.filename)))?;
                std::fs::read(&path).map_err(|e| Error::io("reading", &path, e))
            })
            .await
        };
        let outcome = match read {
            Ok(bytes) => filters.learn(&bytes, spam).await,
            Err(e) => Err(e.one_line()),
        };
        match outcome {
            Ok(()) => tracing::info!(account = %account.address, folder, "spam filter taught: {class}"),
            Err(e) => tracing::warn!(account = %account.address, folder, error = %e, "spam filter not taught: {class}"),
        }
    }
}

/// The Message-ID of a message, without angle brackets; empty when it has none.
pub fn message_id(message: &[u8]) -> String {
    let (head, _) = crate::proto::mime::header::split_header(message);
    crate::proto::mime::header::Fields::new(head)
        .find(|f| f.name.eq_ignore_ascii_case(b"message-id"))
        .map(|f| {
            let v = String::from_utf8_lossy(f.value);
            v.trim().trim_start_matches('<').trim_end_matches('>').chars().take(250).collect()
        })
        .unwrap_or_default()
}

/// Keep the verdict of a refused message for `filter explain` (a delivered one is kept by its
/// delivery's commit), in the next group commit as a relaxed write; and, at most once a
/// minute, forget verdicts older than the retention. On a task of its own: the SMTP reply never
/// waits for it; a failure is logged.
pub fn record(store: &Store, retention: std::time::Duration, v: Option<Verdict>) {
    static EXPIRED: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let now = crate::store::now();
    let expire = EXPIRED.load(std::sync::atomic::Ordering::Relaxed) + 60 <= now
        && EXPIRED.swap(now, std::sync::atomic::Ordering::Relaxed) + 60 <= now;
    if v.is_none() && !expire {
        return;
    }
    let store = store.clone();
    let before = now - retention.as_secs() as i64;
    tokio::spawn(async move {
        let r = store
            .writer
            .write_relaxed(move |c| {
                Box::pin(async move {
                    if expire {
                        verdicts::expire(c, before).await?;
                    }
                    match &v {
                        Some(v) => verdicts::insert(c, v).await,
                        None => Ok(()),
                    }
                })
            })
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e.one_line(), "keeping a verdict for filter explain");
        }
    });
}

/// The verdicts kept for a queue id or a Message-ID, newest first; NotFound when none.
pub async fn explain(store: &Store, id: &str) -> Result<Vec<Verdict>> {
    let mut conn = store.pool.acquire().await?;
    let found = verdicts::find(&mut conn, id).await?;
    if found.is_empty() {
        return Err(Error::not_found(format!("no verdict kept for {id}"))
            .with_hint("verdicts are kept for verdict_retention (7 days by default), for mail received on port 25"));
    }
    Ok(found)
}

/// The trial as JSON: the action, the SMTP reply a refusal gets, the reason, each verdict and
/// the header fields a delivered message would carry.
pub fn to_json(t: &Trial) -> serde_json::Value {
    let auth = |a: Option<Auth>| a.map(Auth::as_str);
    match (&t.blocklisted, &t.checked) {
        (Some(why), _) => serde_json::json!({
            "action": "reject",
            "stage": "rcpt",
            "reply": crate::filter::verdict::LISTED.with_text(why).trim_end(),
            "reason": why,
        }),
        (None, Some(c)) => {
            let v = &c.verdicts;
            let reply = match &c.decision.action {
                Action::Reject(r, text) | Action::TempFail(r, text) => Some(r.with_text(text).trim_end().to_string()),
                _ => None,
            };
            let spam = match &v.spam {
                Spam::NotScanned => serde_json::json!({ "result": "not-scanned" }),
                Spam::Failed(e) => serde_json::json!({ "result": "failed", "error": e }),
                Spam::Scored { score, action, rules } => serde_json::json!({
                    "result": "scored", "score": score, "action": action.map(|a| a.as_str()), "rules": rules,
                }),
            };
            let virus = match &v.virus {
                Virus::NotScanned => serde_json::json!({ "result": "not-scanned" }),
                Virus::Failed(e) => serde_json::json!({ "result": "failed", "error": e }),
                Virus::Clean => serde_json::json!({ "result": "clean" }),
                Virus::Found(n) => serde_json::json!({ "result": "found", "name": n }),
            };
            serde_json::json!({
                "action": c.decision.action.as_str(),
                "stage": "data",
                "reply": reply,
                "reason": c.decision.reason,
                "spf": auth(v.spf),
                "dkim": auth(v.dkim),
                "arc": auth(v.arc),
                "iprev": auth(v.iprev),
                "dmarc": v.dmarc.as_ref().map(|d| serde_json::json!({
                    "result": d.result.as_str(), "domain": d.domain, "policy": d.policy.as_str(),
                })),
                "arc_trusted": v.arc_trusted,
                "trusted_forwarder": v.trusted_forwarder,
                "spam": spam,
                "virus": virus,
                "headers": c.headers,
            })
        }
        (None, None) => serde_json::json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_id_is_read_without_its_brackets() {
        assert_eq!(message_id(b"Subject: x\r\nMessage-Id:  <a.b@c>\r\n\r\nMessage-ID: <no@body>\r\n"), "a.b@c");
        assert_eq!(message_id(b"Subject: x\r\n\r\n"), "");
    }
}

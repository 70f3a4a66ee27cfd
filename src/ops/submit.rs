//! Mail a signed-in member sends without SMTP (the webmail): the rules of submission on port
//! 587. The sender must be the account or one of its aliases; each recipient is routed by
//! [`crate::ops::recipient::route`] as for an authenticated SMTP client (other domains
//! allowed); the message is delivered by [`crate::ops::deliver`] (local accounts at once,
//! others through the outbound queue, which signs with DKIM); then a copy is kept in Sent, and
//! local recipients who are away answer (`ops::vacation`).

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::ops::deliver::{self, Message};
use crate::ops::recipient::{Refusal, Route, route, sender_owned};
use crate::store::maildir::{Flag, Flags};
use crate::store::{Account, Store};

/// A message to send: the envelope sender and recipients, and the message as written
/// (headers and body, CRLF line ends).
pub struct Outgoing {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

/// What sending did: the queue id, and the copy's UID in Sent (None when the copy failed:
/// the message went; the failure is logged).
#[derive(Debug)]
pub struct Sent {
    pub id: String,
    pub sent_uid: Option<i64>,
}

fn refused(rcpt: &str, r: Refusal) -> Error {
    let why = match r {
        Refusal::RelayDenied => "not a deliverable address",
        Refusal::NoSuchUser => "no such user here",
        Refusal::AliasLoop => "an alias loop",
        Refusal::Disabled => "the mailbox is disabled",
        Refusal::MailboxFull => "the mailbox is full",
    };
    Error::invalid(format!("recipient {rcpt}: {why}"))
}

/// Send `msg` as `account`, from `client` (for the Received: header). Nothing is sent when
/// any check fails.
pub async fn submit(store: &Store, cfg: &Config, account: &Account, msg: Outgoing, client: &str) -> Result<Sent> {
    if msg.to.is_empty() {
        return Err(Error::invalid("no recipients"));
    }
    if msg.to.len() > cfg.server.max_recipients as usize {
        return Err(Error::invalid(format!("more than {} recipients", cfg.server.max_recipients)));
    }
    let limit = cfg.server.message_size_limit;
    if msg.data.len() as u64 > limit {
        return Err(Error::invalid(format!(
            "the message is {} (the limit is {})",
            crate::size::human(msg.data.len() as u64),
            crate::size::human(limit)
        )));
    }
    // Every address parsed and normalised before it reaches an envelope.
    let from = crate::names::Address::parse(&msg.from)
        .map_err(|e| Error::invalid(format!("sender {}: {}", msg.from.trim(), e.message)))?
        .to_string();
    let mut to = Vec::with_capacity(msg.to.len());
    for r in &msg.to {
        let a = crate::names::Address::parse(r)
            .map_err(|e| Error::invalid(format!("recipient {}: {}", r.trim(), e.message)))?;
        to.push(a.to_string());
    }
    if !sender_owned(store, &account.address, &from).await? {
        return Err(Error::permission(format!("{} may not send as {from}", account.address)));
    }
    let size = msg.data.len() as u64;
    let (mut local, mut remote) = (BTreeMap::new(), BTreeSet::new());
    for rcpt in &to {
        match route(store, rcpt, size, true, None).await?.0 {
            Route::Local { local: l, remote: r, .. } => {
                local.extend(l.into_iter().map(|l| (l.account_id, l)));
                remote.extend(r);
            }
            Route::Relay(a) => {
                remote.insert(a);
            }
            Route::Refuse(r) => return Err(refused(rcpt, r)),
        }
    }
    // Local recipients whose vacation reply is on answer after delivery.
    let answer_for: Vec<(i64, String)> =
        local.values().filter(|l| l.away).map(|l| (l.account_id, l.address.clone())).collect();
    let head: Vec<u8> =
        if answer_for.is_empty() { Vec::new() } else { msg.data.iter().take(64 * 1024).copied().collect() };
    let id = crate::ids::new_id();
    let received = format!(
        "Received: from [{client}] by {} (mailctl webmail)\r\n\twith HTTPS id {id}; {}\r\n",
        cfg.hostname,
        chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S +0000")
    );
    let mut data = received.into_bytes();
    data.extend_from_slice(&msg.data);
    let m = Message {
        id: id.clone(),
        from: Some(from.clone()),
        local: local.into_values().collect(),
        remote: remote.into_iter().collect(),
        data,
        submitted_by: Some(account.address.clone()),
        verdict: None,
        require_tls: false,
    };
    deliver::deliver(store, &cfg.hostname, m).await.map_err(Error::from)?;
    // Local recipients away answer as they do mail from SMTP.
    if !answer_for.is_empty() {
        let (store, cfg, from) = (store.clone(), cfg.clone(), from.clone());
        tokio::spawn(async move { crate::ops::vacation::after_delivery(&store, &cfg, answer_for, from, head).await });
    }
    let copy = crate::ops::mailbox::Appended {
        data: msg.data,
        flags: Flags::new().with(Flag::SEEN),
        date: crate::store::now(),
    };
    let sent_uid =
        match crate::ops::mailbox::append(store, account, &cfg.hostname, crate::store::maildir::SENT, vec![copy]).await
        {
            Ok((_, uids)) => uids.first().copied(),
            Err(e) => {
                tracing::warn!(id, error = %e.one_line(), "sent, but the copy in Sent could not be kept");
                None
            }
        };
    Ok(Sent { id, sent_uid })
}

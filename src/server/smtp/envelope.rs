//! MAIL and RCPT: who may send, and to whom.

use super::session::{Listener, Next, Session, Txn};
use crate::ops::filter_rules::Kind;
use crate::ops::recipient::{Local, Refusal, Route};
use crate::proto::smtp::codes;
use crate::proto::smtp::command::{MailParams, Path};

pub async fn mail(s: &mut Session, from: Path, params: MailParams) {
    if s.helo.is_none() {
        s.reply(codes::NEED_HELO);
        return;
    }
    if s.txn.is_some() {
        s.reply_text(codes::BAD_SEQUENCE, "nested MAIL command");
        return;
    }
    let limit = s.shared.config().server.message_size_limit;
    if params.size.is_some_and(|n| n > limit) {
        s.reply(codes::TOO_BIG);
        return;
    }
    if params.require_tls && !s.conn.is_tls() {
        s.reply(codes::REQUIRETLS_NEEDS_TLS);
        return;
    }
    if s.listener != Listener::Mx {
        if !s.conn.is_tls() && !s.dev_loopback() {
            s.reply(codes::TLS_REQUIRED);
            return;
        }
        let Some(account) = s.account.clone() else {
            s.reply(codes::AUTH_REQUIRED);
            return;
        };
        match owns(s, &account.address, &from).await {
            Ok(true) => {}
            Ok(false) => {
                s.reply(codes::SENDER_NOT_OWNED);
                return;
            }
            Err(e) => {
                tracing::error!(error = %e.one_line(), "checking the sender");
                s.reply(codes::LOCAL_ERROR);
                return;
            }
        }
    }
    s.txn = Some(Txn { id: crate::ids::new_id(), from: Some(from), params, ..Txn::default() });
    s.reply(codes::SENDER_OK);
}

/// May `account` use `from` as its sender: its own address, or an alias that leads to it.
async fn owns(s: &Session, account: &str, from: &Path) -> crate::error::Result<bool> {
    let Path::Mailbox(m) = from else { return Ok(false) };
    crate::ops::recipient::sender_owned(&s.shared.store(), account, m).await
}

pub async fn rcpt(s: &mut Session, to: Path) -> Next {
    let Some(txn) = s.txn.as_ref() else {
        return s.error(codes::NEED_MAIL);
    };
    let max = s.shared.config().server.max_recipients as usize;
    if txn.rcpts.len() >= max {
        s.reply(codes::TOO_MANY_RECIPIENTS);
        return Next::Continue;
    }
    let size = txn.params.size.unwrap_or(0);
    // Clients on a DNS blocklist are refused at RCPT (asked once per connection), except
    // those that authenticated.
    if s.account.is_none() {
        if s.blocklisted.is_none() {
            let listed = s.shared.filters().blocklisted(s.peer.ip()).await;
            s.blocklisted = Some(listed);
        }
        if let Some(Some(why)) = &s.blocklisted {
            let why = why.clone();
            tracing::info!(reason = %why, "recipient refused: client on a blocklist");
            return s.refuse(crate::filter::verdict::LISTED, Some(&why));
        }
    }
    let Path::Mailbox(raw) = to else {
        return s.error(codes::BAD_ADDRESS);
    };
    // RFC 5321 §4.5.1: a bare <postmaster> must be accepted; it means the primary domain's.
    let raw = if raw.eq_ignore_ascii_case("postmaster") {
        let cfg = s.shared.config();
        format!("postmaster@{}", cfg.primary_domain.clone().unwrap_or_else(|| cfg.hostname.clone()))
    } else {
        raw
    };
    match route(s, &raw, size).await {
        Ok(Route::Local { address, local, remote }) => {
            if s.account.is_none() {
                let listed = listed(s, &local);
                if listed == Some(Kind::Block) {
                    return s.refuse(codes::SENDER_BLOCKED, None);
                }
                // An allow-listed sender skips greylisting, as it skips spam scoring, once SPF
                // vouches for it (a forged allow-listed address is greylisted like any other).
                if s.shared.config().filter.greylist
                    && !(listed == Some(Kind::Allow) && sender_passes_spf(s).await)
                    && let Some(wait) = greylisted(s, &address).await
                {
                    s.reply_text(codes::GREYLISTED, &format!("greylisted, try again in {} seconds", wait.max(1)));
                    return Next::Continue;
                }
            }
            let txn = s.txn.as_mut().expect("checked");
            txn.rcpts.push(address);
            txn.local.extend(local.into_iter().map(|l| (l.account_id, l)));
            txn.remote.extend(remote);
            s.reply(codes::RECIPIENT_OK);
        }
        Ok(Route::Relay(address)) => {
            let txn = s.txn.as_mut().expect("checked");
            txn.rcpts.push(address.clone());
            txn.remote.insert(address);
            s.reply(codes::RECIPIENT_OK);
        }
        Ok(Route::Refuse(why)) => {
            let (r, text) = refusal(why);
            if r.code >= 500 {
                return s.refuse(r, text.as_deref());
            }
            match text {
                Some(t) => s.reply_text(r, &t),
                None => s.reply(r),
            }
        }
        Err(e) => {
            tracing::error!(error = %e.one_line(), "routing a recipient");
            s.reply(codes::LOCAL_ERROR);
        }
    }
    Next::Continue
}

/// What the allow and block lists say about the transaction's sender writing to these
/// accounts (the rules were read with the recipient).
fn listed(s: &Session, local: &[Local]) -> Option<Kind> {
    let txn = s.txn.as_ref()?;
    let k = txn.sender_listed(local);
    if k == Some(Kind::Block)
        && let Some(Path::Mailbox(sender)) = &txn.from
    {
        tracing::info!(from = %sender, "recipient refused: the sender is on a block list");
    }
    k
}

/// Whether SPF passes for the transaction's envelope sender: checked once per transaction.
async fn sender_passes_spf(s: &mut Session) -> bool {
    let Some(txn) = s.txn.as_ref() else { return false };
    if let Some(pass) = txn.sender_spf_passed {
        return pass;
    }
    let pass = match &txn.from {
        Some(Path::Mailbox(from)) => {
            let helo = s.helo.as_deref().unwrap_or("");
            s.shared.filters().sender_passes_spf(s.peer.ip(), helo, from).await
        }
        _ => false,
    };
    if let Some(txn) = s.txn.as_mut() {
        txn.sender_spf_passed = Some(pass);
    }
    pass
}

/// Greylisting (`greylist = true`): the seconds to wait when this triplet is deferred. A store
/// error is logged and defers nothing.
async fn greylisted(s: &Session, recipient: &str) -> Option<i64> {
    let cfg = s.shared.config();
    let sender = match s.txn.as_ref().and_then(|t| t.from.as_ref()) {
        Some(Path::Mailbox(m)) => m.clone(),
        _ => String::new(),
    };
    match crate::ops::greylist::check(&s.shared.store(), s.peer.ip(), &sender, recipient, cfg.filter.greylist_delay)
        .await
    {
        Ok(crate::ops::greylist::Grey::Pass) => None,
        Ok(crate::ops::greylist::Grey::Defer(wait)) => {
            tracing::info!(from = %sender, to = %recipient, wait, "recipient deferred: greylisted");
            Some(wait)
        }
        Err(e) => {
            tracing::warn!(error = %e.one_line(), "greylisting: the store failed; not deferred");
            None
        }
    }
}

/// Decide what to do with a recipient (`ops::recipient::route`, with the sender's allow and
/// block rules read once per transaction for mail from outside), in SMTP's words.
async fn route(s: &mut Session, raw: &str, size: u64) -> crate::error::Result<Route> {
    let rules_for = match s.txn.as_ref() {
        Some(Txn { from: Some(Path::Mailbox(m)), sender_rules: None, .. }) if s.account.is_none() => Some(m.clone()),
        _ => None,
    };
    let (route, rules) =
        crate::ops::recipient::route(&s.shared.store(), raw, size, s.account.is_some(), rules_for).await?;
    if let (Some(rules), Some(txn)) = (rules, s.txn.as_mut()) {
        txn.sender_rules = Some(rules);
    }
    Ok(route)
}

/// A refused recipient's reply.
fn refusal(r: Refusal) -> (codes::Reply, Option<String>) {
    match r {
        Refusal::RelayDenied => (codes::RELAY_DENIED, None),
        Refusal::NoSuchUser => (codes::NO_SUCH_USER, None),
        Refusal::AliasLoop => (codes::NO_SUCH_USER, Some("alias loop for this address".into())),
        Refusal::Disabled => (codes::MAILBOX_DISABLED, None),
        Refusal::MailboxFull => (codes::MAILBOX_FULL, None),
    }
}

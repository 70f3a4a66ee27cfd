//! MAIL and RCPT: who may send, and to whom.

use super::session::{Listener, Next, Session, Txn};
use crate::names::Address;
use crate::ops::alias::{ExpandError, expand, expand_local};
use crate::ops::filter_rules::Kind;
use crate::ops::recipient::{Local, resolve};
use crate::proto::smtp::codes;
use crate::proto::smtp::command::{MailParams, Path};
use crate::store::{aliases, domains};
use std::collections::BTreeSet;

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
    let Ok(addr) = Address::parse(m) else { return Ok(false) };
    let addr = addr.to_string();
    if addr == account {
        return Ok(true);
    }
    let mut conn = s.shared.store().pool.acquire().await?;
    if aliases::destinations(&mut conn, &addr).await?.is_empty() {
        return Ok(false);
    }
    Ok(matches!(expand(&mut conn, &addr).await, Ok(e) if e.accounts.contains(account)))
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
        Ok(Route::Refuse(r, text)) if r.code >= 500 => return s.refuse(r, text.as_deref()),
        Ok(Route::Refuse(r, text)) => match text {
            Some(t) => s.reply_text(r, &t),
            None => s.reply(r),
        },
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

enum Route {
    Local { address: String, local: Vec<Local>, remote: BTreeSet<String> },
    Relay(String),
    Refuse(codes::Reply, Option<String>),
}

/// What the store says about a recipient's address.
enum Found {
    /// Not one of our domains.
    Elsewhere,
    /// In one of our domains, but not an address (RFC 5321 syntax that names no mailbox here).
    Malformed,
    /// The address (normalised) and where it leads.
    Expanded(String, std::result::Result<crate::ops::alias::Expansion, ExpandError>),
}

/// Decide what to do with a recipient. The lookups run on the session's thread (a few rows by
/// key: [`crate::store::Store::read`]).
async fn route(s: &mut Session, raw: &str, size: u64) -> crate::error::Result<Route> {
    let domain_part = raw.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    let domain = crate::names::domain(domain_part).ok();
    let address = Address::parse(raw).ok().map(|a| a.to_string());
    // Mail from outside: the sender's allow and block rules, once per transaction, in the same
    // read.
    let rules_for = match s.txn.as_ref() {
        Some(Txn { from: Some(Path::Mailbox(m)), sender_rules: None, .. }) if s.account.is_none() => Some(m.clone()),
        _ => None,
    };
    let (found, rules) = {
        let domain = domain.clone();
        s.shared
            .store()
            .read(16, move |c| {
                Box::pin(async move {
                    let rules = match &rules_for {
                        Some(sender) => Some(crate::ops::filter_rules::for_sender(&mut *c, sender).await?),
                        None => None,
                    };
                    let local = match &domain {
                        Some(d) => domains::exists(&mut *c, d).await?,
                        None => false,
                    };
                    let found = match (local, address) {
                        (false, _) => Found::Elsewhere,
                        (true, None) => Found::Malformed,
                        (true, Some(a)) => {
                            let e = expand_local(&mut *c, &a).await;
                            Found::Expanded(a, e)
                        }
                    };
                    Ok((found, rules))
                })
            })
            .await?
    };
    if let (Some(rules), Some(txn)) = (rules, s.txn.as_mut()) {
        txn.sender_rules = Some(rules);
    }
    let (address, e) = match found {
        // Never relay for unauthenticated clients, whatever the address form.
        Found::Elsewhere if s.account.is_some() && domain.is_some() => return Ok(Route::Relay(raw.to_string())),
        Found::Elsewhere => return Ok(Route::Refuse(codes::RELAY_DENIED, None)),
        // Local domain: the address must name an account, alias or catch-all here.
        Found::Malformed => return Ok(Route::Refuse(codes::NO_SUCH_USER, None)),
        Found::Expanded(address, Ok(e)) => (address, e),
        Found::Expanded(_, Err(ExpandError::Loop(_) | ExpandError::TooDeep)) => {
            return Ok(Route::Refuse(codes::NO_SUCH_USER, Some("alias loop for this address".into())));
        }
        Found::Expanded(_, Err(ExpandError::Store(e))) => return Err(e),
    };
    let disabled = !e.disabled.is_empty();
    let r = resolve(&s.shared.store(), e).await?;
    if r.local.is_empty() && r.remote.is_empty() {
        return Ok(Route::Refuse(if disabled { codes::MAILBOX_DISABLED } else { codes::NO_SUCH_USER }, None));
    }
    if r.local.iter().any(|l| !l.fits(size)) {
        return Ok(Route::Refuse(codes::MAILBOX_FULL, None));
    }
    Ok(Route::Local { address, local: r.local, remote: r.remote })
}

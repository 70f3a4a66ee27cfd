//! DATA and BDAT: reading the message, stamping Received:, delivering durably, replying.

use super::session::{Next, Session};
use crate::filter::Inbound;
use crate::filter::authenticate;
use crate::filter::verdict::Action;
use crate::ops::deliver::{self, Failure, Message};
use crate::proto::smtp::codes::{self, Reply};
use crate::proto::smtp::command::Path;
use crate::proto::smtp::data::{DataError, Decoder, Progress, check_chunk};
use crate::server::limits::Held;

/// A BDAT message in progress.
#[derive(Default)]
pub struct Chunks {
    body: Vec<u8>,
    size: u64,
    prev_cr: bool,
    error: Option<DataError>,
    /// The memory budget ran out: refused with 452 4.3.1 at the end.
    no_memory: bool,
    held: Option<Held>,
    /// The length of our Received: header at the start of `body`.
    received_len: usize,
}

fn error_reply(e: DataError) -> Reply {
    match e {
        DataError::BareLineEnding => codes::BARE_LINE_ENDING,
        DataError::LineTooLong => codes::DATA_LINE_TOO_LONG,
        DataError::TooBig => codes::TOO_BIG,
    }
}

pub async fn data(s: &mut Session) -> Next {
    match &s.txn {
        None => return s.error(codes::NEED_MAIL),
        Some(t) if t.rcpts.is_empty() => return s.error(codes::NEED_RCPT),
        Some(t) if t.chunks.is_some() => return s.error(codes::BAD_SEQUENCE),
        Some(_) => {}
    }
    s.reply(codes::START_DATA);
    let limit = s.shared.config().server.message_size_limit as usize;
    let mut decoder = Decoder::new(limit, super::session::MAX_TEXT_LINE);
    // The message is built in place, our Received: header first, so it is never copied.
    let mut body = received(s).into_bytes();
    let received_len = body.len();
    body.reserve(8192);
    let mut held = s.shared.memory.hold();
    let mut no_memory = false;
    let mut scratch = Vec::new();
    loop {
        // Once the shared memory budget is spent, the rest is read and thrown away.
        let out = if no_memory { &mut scratch } else { &mut body };
        let progress = decoder.feed(&s.conn.input, out);
        scratch.clear();
        if !no_memory && !held.cover(body.len()) {
            no_memory = true;
            body = Vec::new();
        }
        match progress {
            Progress::Done { consumed } => {
                s.conn.input.drain(..consumed);
                break;
            }
            Progress::More => s.conn.input.clear(),
        }
        match s.conn.fill().await {
            Ok(0) | Err(_) => {
                tracing::info!("connection lost during DATA; nothing delivered");
                return Next::Close;
            }
            Ok(_) => {}
        }
    }
    if no_memory && decoder.error().is_none() {
        return out_of_memory(s);
    }
    finish(s, body, received_len, decoder.error()).await;
    drop(held);
    Next::Continue
}

/// The memory budget ran out during this message: a temporary failure, so the client retries.
fn out_of_memory(s: &mut Session) -> Next {
    s.txn = None;
    tracing::warn!("message refused: the memory budget for incoming mail is spent");
    s.reply(codes::SYSTEM_FULL);
    Next::Continue
}

pub async fn bdat(s: &mut Session, size: u64, last: bool) -> Next {
    // The chunk's bytes are read even when the command is refused, so that they are never
    // taken for commands (RFC 3030 §2).
    let refusal = match &s.txn {
        None => Some(codes::NEED_MAIL),
        Some(t) if t.rcpts.is_empty() => Some(codes::NEED_RCPT),
        _ => None,
    };
    let limit = s.shared.config().server.message_size_limit;
    let mut chunks = match s.txn.as_mut().and_then(|t| t.chunks.take()) {
        Some(c) => c,
        None if refusal.is_none() => {
            let body = received(s).into_bytes();
            Chunks { received_len: body.len(), body, held: Some(s.shared.memory.hold()), ..Chunks::default() }
        }
        None => Chunks::default(),
    };
    let mut left = size;
    while left > 0 {
        if s.conn.input.is_empty() {
            match s.conn.fill().await {
                Ok(0) | Err(_) => return Next::Close,
                Ok(_) => {}
            }
        }
        let take = (left as usize).min(s.conn.input.len());
        if refusal.is_none() {
            let piece = &s.conn.input[..take];
            let (ok, cr) = check_chunk(piece, chunks.prev_cr);
            chunks.prev_cr = cr;
            if !ok {
                chunks.error.get_or_insert(DataError::BareLineEnding);
            }
            chunks.size += take as u64;
            if chunks.size > limit {
                chunks.error.get_or_insert(DataError::TooBig);
            }
            if chunks.error.is_none() && !chunks.no_memory {
                chunks.body.extend_from_slice(piece);
                if !chunks.held.as_mut().is_some_and(|h| h.cover(chunks.body.len())) {
                    chunks.no_memory = true;
                    chunks.body = Vec::new();
                }
            }
        }
        s.conn.input.drain(..take);
        left -= take as u64;
    }
    if let Some(r) = refusal {
        return s.error(r);
    }
    if !last {
        s.reply_text(codes::OK, &format!("{size} octets received"));
        if let Some(t) = s.txn.as_mut() {
            t.chunks = Some(chunks);
        }
        return Next::Continue;
    }
    if chunks.prev_cr {
        chunks.error.get_or_insert(DataError::BareLineEnding);
    }
    let error = chunks.error;
    if chunks.no_memory && error.is_none() {
        return out_of_memory(s);
    }
    finish(s, chunks.body, chunks.received_len, error).await;
    drop(chunks.held);
    Next::Continue
}

/// Deliver a complete message (or refuse it) and end the transaction. `data` starts with our
/// Received: header (`received_len` bytes). Mail from outside (no AUTH: port 25) goes through
/// the inbound filters first, and is refused, delivered to INBOX or to Junk as they decide.
async fn finish(s: &mut Session, data: Vec<u8>, received_len: usize, error: Option<DataError>) {
    let mut txn = s.txn.take().expect("in a transaction");
    let id = txn.id.clone();
    let from = match &txn.from {
        Some(Path::Mailbox(m)) => m.clone(),
        _ => String::new(),
    };
    let rcpts = txn.rcpts.join(",");
    let size = data.len();
    let counted = |result: &str| {
        crate::metrics::METRICS.smtp_messages.with_label_values(&[s.listener.name(), result]).inc();
    };
    if let Some(e) = error {
        counted("rejected");
        tracing::info!(from = %from, rcpts = %rcpts, size, result = ?e, "refused");
        s.reply(error_reply(e));
        return;
    }
    let cfg = s.shared.config();
    let (local, remote) = (txn.local.len(), txn.remote.len());
    let mut targets: Vec<_> = std::mem::take(&mut txn.local).into_values().collect();
    let mut data = data;
    let mut action = "";
    // What the filters said, logged on the delivery's own line (one line per message).
    let mut filtered = String::new();
    let mut verdict = None;
    if s.account.is_none() {
        let filters = s.shared.filters();
        let original = authenticate::strip_forged(&data[received_len..], filters.authserv_id());
        let inbound = Inbound {
            ip: s.peer.ip(),
            helo: s.helo.as_deref().unwrap_or(""),
            mail_from: &from,
            rcpts: &txn.rcpts,
            queue_id: &id,
        };
        let allow_listed = txn.sender_listed(&targets) == Some(crate::ops::filter_rules::Kind::Allow);
        let checked = filters.check(&inbound, &original, allow_listed).await;
        let reason = checked.decision.reason.as_str();
        let kept = crate::store::verdicts::Verdict {
            queue_id: id.clone(),
            message_id: crate::ops::filter::message_id(&original),
            received_at: crate::store::now(),
            client: s.peer.ip().to_string(),
            sender: from.clone(),
            recipients: rcpts.clone(),
            action: checked.decision.action.as_str().into(),
            reason: reason.into(),
            details: checked.headers.clone(),
        };
        // A refusal's verdict is kept on its own; a delivery's by its commit.
        let refused = matches!(checked.decision.action, Action::Reject(..) | Action::TempFail(..));
        crate::ops::filter::record(&s.shared.store(), cfg.filter.verdict_retention, refused.then(|| kept.clone()));
        if !refused {
            verdict = Some(kept);
        }
        crate::metrics::METRICS.filter_verdicts.with_label_values(&[checked.decision.action.as_str()]).inc();
        match &checked.decision.action {
            Action::Reject(r, text) | Action::TempFail(r, text) => {
                counted(if matches!(checked.decision.action, Action::Reject(..)) { "rejected" } else { "tempfail" });
                tracing::info!(from = %from, rcpts = %rcpts, size, action = checked.decision.action.as_str(), reason, "refused by the inbound filters");
                s.reply_text(*r, text);
                return;
            }
            Action::Junk => match crate::ops::recipient::to_junk(&s.shared.store(), targets).await {
                Ok(junk) => targets = junk,
                Err(e) => {
                    counted("tempfail");
                    tracing::warn!(error = %e.one_line(), "not delivered: the Junk folder cannot be reached");
                    s.reply(codes::LOCAL_ERROR);
                    return;
                }
            },
            Action::Inbox => {}
        }
        action = checked.decision.action.as_str();
        checked.decision.reason.clone_into(&mut filtered);
        let mut out = Vec::with_capacity(data.len() + checked.headers.len() + 256);
        out.extend_from_slice(&data[..received_len]);
        out.extend_from_slice(checked.headers.as_bytes());
        out.extend_from_slice(&original);
        data = out;
    }
    // Recipients whose vacation reply is on answer after delivery, never for mail sent to
    // Junk (whether one is on was read with the recipient, at RCPT).
    let answer_for: Vec<(i64, String)> = if action == "junk" {
        Vec::new()
    } else {
        targets.iter().filter(|l| l.away).map(|l| (l.account_id, l.address.clone())).collect()
    };
    let head = if answer_for.is_empty() || from.is_empty() {
        Vec::new()
    } else {
        data[received_len.min(data.len())..].iter().take(64 * 1024).copied().collect()
    };
    let msg = Message {
        id: id.clone(),
        from: (!from.is_empty()).then(|| from.clone()),
        local: targets,
        remote: txn.remote.into_iter().collect(),
        data,
        submitted_by: s.account.as_ref().map(|a| a.address.clone()),
        verdict,
        require_tls: txn.params.require_tls,
    };
    match deliver::deliver(&s.shared.store(), &cfg.hostname, msg).await {
        Ok(outcome) => {
            let bounced = outcome.bounced.len();
            counted("accepted");
            let m = &crate::metrics::METRICS.deliveries;
            m.with_label_values(&["local", "delivered"]).inc_by(local.saturating_sub(bounced) as u64);
            m.with_label_values(&["local", "bounced"]).inc_by(bounced as u64);
            tracing::info!(from = %from, rcpts = %rcpts, size, local, remote, bounced, action, reason = %filtered, result = "delivered");
            if !head.is_empty() {
                let (store, cfg, from) = (s.shared.store(), cfg.clone(), from.clone());
                tokio::spawn(async move {
                    crate::ops::vacation::after_delivery(&store, &cfg, answer_for, from, head).await
                });
            }
            if bounced == 0 {
                s.reply_text(codes::QUEUED, &format!("{id} message accepted"));
            } else {
                s.reply_text(
                    codes::QUEUED,
                    &format!("{id} message accepted; {bounced} recipient(s) bounced (mailbox full)"),
                );
            }
        }
        Err(f) => {
            let (reply, why) = match &f {
                Failure::MailboxFull(a) => (codes::MAILBOX_FULL, format!("mailbox full: {a}")),
                Failure::NoSpace(e) => (codes::SYSTEM_FULL, e.one_line()),
                Failure::Local(e) => (codes::LOCAL_ERROR, e.one_line()),
            };
            counted("tempfail");
            // The reply never names the account: an alias's members are not the sender's business.
            tracing::warn!(from = %from, rcpts = %rcpts, size, action, reason = %filtered, result = %why, "not delivered");
            s.reply(reply);
        }
    }
}

/// The Received: header (RFC 5321 §4.4), naming the TCP peer and the protocol (RFC 3848).
fn received(s: &Session) -> String {
    let (id, rcpts) = match &s.txn {
        Some(t) => (t.id.as_str(), t.rcpts.as_slice()),
        None => ("", &[][..]),
    };
    let cfg = s.shared.config();
    let hostname = cfg.hostname.as_str();
    let tls = s.conn.tls_description();
    let proto = match (s.esmtp, tls.is_some(), s.account.is_some()) {
        (false, _, _) => "SMTP",
        (true, false, false) => "ESMTP",
        (true, true, false) => "ESMTPS",
        (true, false, true) => "ESMTPA",
        (true, true, true) => "ESMTPSA",
    };
    let helo = s.helo.as_deref().unwrap_or("unknown");
    let mut h = format!("Received: from [{}] (helo={helo})\r\n\tby {hostname} (mailctl)", s.peer.ip());
    if let Some(t) = tls {
        h.push_str(&format!(" ({t})"));
    }
    h.push_str(&format!("\r\n\twith {proto} id {id}"));
    if rcpts.len() == 1 {
        h.push_str(&format!("\r\n\tfor <{}>", rcpts[0]));
    }
    h.push_str(&format!("; {}\r\n", chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S +0000")));
    h
}

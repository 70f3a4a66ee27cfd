//! The vacation responder (RFC 3834): while an account's absence is on, mail delivered to it
//! is answered once per sender per `days`, never to a null sender, to automatic mail
//! (`Auto-Submitted`), to bulk or list mail (`Precedence`, `List-*`), to system senders
//! (MAILER-DAEMON, `owner-…`, `…-request`), or to mail that does not name the account (or one
//! of its aliases) in To or Cc. The answer has a null return path and `Auto-Submitted:
//! auto-replied`, and goes through delivery and the outbound queue like any message.

use mail_parser::MessageParser;

use crate::config::Config;
use crate::error::Result;
use crate::ops::deliver::{self, Message};
use crate::ops::recipient::{Route, route};
use crate::store::vacations::{self, Vacation};
use crate::store::{Store, aliases};

/// Why a message gets no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    NullSender,
    OwnMail,
    AutoSubmitted,
    Bulk,
    MailingList,
    SystemSender,
    NotARecipient,
}

/// Whether a message from envelope sender `sender` with header `head` may be answered for an
/// account whose addresses are `me` (lower case).
pub fn answerable(sender: &str, head: &[u8], me: &[String]) -> Result<(), Skip> {
    let sender = sender.trim().to_ascii_lowercase();
    if sender.is_empty() {
        return Err(Skip::NullSender);
    }
    if me.contains(&sender) {
        return Err(Skip::OwnMail);
    }
    let local = sender.rsplit_once('@').map(|(l, _)| l).unwrap_or(&sender);
    if local == "mailer-daemon" || local == "postmaster" || local.starts_with("owner-") || local.ends_with("-request") {
        return Err(Skip::SystemSender);
    }
    let Some(m) = MessageParser::new().parse_headers(head) else { return Err(Skip::NotARecipient) };
    let text = |name: &str| m.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if text("Auto-Submitted").is_some_and(|v| !v.starts_with("no")) {
        return Err(Skip::AutoSubmitted);
    }
    if text("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "list" | "junk")) {
        return Err(Skip::Bulk);
    }
    if ["List-Id", "List-Unsubscribe", "List-Post", "List-Help", "List-Owner"]
        .iter()
        .any(|h| m.header_raw(*h).is_some())
    {
        return Err(Skip::MailingList);
    }
    let named = [m.to(), m.cc()]
        .into_iter()
        .flatten()
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address())
        .any(|a| me.contains(&a.to_ascii_lowercase()));
    if !named {
        return Err(Skip::NotARecipient);
    }
    Ok(())
}

/// Whether the absence is on at `now`.
pub fn active(v: &Vacation, now: i64) -> bool {
    v.enabled && v.start_at.is_none_or(|s| s <= now) && v.end_at.is_none_or(|e| now < e)
}

/// The answer to a message with header `head`.
pub fn reply(v: &Vacation, from: &str, to: &str, head: &[u8], hostname: &str) -> std::io::Result<Vec<u8>> {
    use mail_builder::MessageBuilder;
    let m = MessageParser::new().parse_headers(head);
    let original = m.as_ref().and_then(|m| m.subject()).unwrap_or_default().replace(['\r', '\n'], " ");
    let subject = if v.subject.trim().is_empty() { format!("Auto: {original}") } else { v.subject.clone() };
    let mut b = MessageBuilder::new()
        .from(from.to_string())
        .to(to.to_string())
        .subject(subject.replace(['\r', '\n'], " "))
        .message_id(format!("{}@{hostname}", crate::ids::new_id()))
        .date(chrono::Utc::now().timestamp())
        .header("Auto-Submitted", mail_builder::headers::raw::Raw::new("auto-replied"))
        .text_body(v.body.clone());
    if let Some(id) = m.as_ref().and_then(|m| m.message_id()) {
        b = b.in_reply_to(id.to_string()).references(id.to_string());
    }
    b.write_to_vec()
}

/// After mail from `sender` was delivered to these accounts (id, address): answer it for
/// each account whose absence is on, by the rules above. Failures are logged; the mail was
/// delivered whatever happens here.
pub async fn after_delivery(store: &Store, cfg: &Config, accounts: Vec<(i64, String)>, sender: String, head: Vec<u8>) {
    for (id, address) in accounts {
        if let Err(e) = answer(store, cfg, id, &address, &sender, &head).await {
            tracing::warn!(account = %address, error = %e.one_line(), "vacation reply not sent");
        }
    }
}

async fn answer(store: &Store, cfg: &Config, id: i64, address: &str, sender: &str, head: &[u8]) -> Result<()> {
    let now = crate::store::now();
    let (v, me) = {
        let mut conn = store.pool.acquire().await?;
        let Some(v) = vacations::get(&mut conn, id).await?.filter(|v| active(v, now)) else { return Ok(()) };
        let mut me = vec![address.to_string()];
        me.extend(aliases::pointing_at(&mut conn, address).await?);
        (v, me)
    };
    if answerable(sender, head, &me).is_err() {
        return Ok(());
    }
    let sender = sender.trim().to_ascii_lowercase();
    {
        let mut conn = store.pool.acquire().await?;
        if !vacations::claim_reply(&mut conn, id, &sender, now - v.days.max(1) * 86_400, now).await? {
            tracing::info!(account = %address, to = %sender, days = v.days, "vacation: already answered");
            return Ok(());
        }
    }
    let data = reply(&v, address, &sender, head, &cfg.hostname)
        .map_err(|e| crate::error::Error::new(crate::error::Kind::Internal, "building the reply").with_source(e))?;
    let (local, remote) = match route(store, &sender, data.len() as u64, true, None).await?.0 {
        Route::Local { local, remote, .. } => (local, remote.into_iter().collect()),
        Route::Relay(a) => (Vec::new(), vec![a]),
        Route::Refuse(_) => return Ok(()),
    };
    let msg = Message {
        id: crate::ids::new_id(),
        from: None,
        local,
        remote,
        data,
        submitted_by: Some(address.to_string()),
        verdict: None,
        require_tls: false,
    };
    deliver::deliver(store, &cfg.hostname, msg).await?;
    tracing::info!(account = %address, to = %sender, "vacation reply sent");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &str = "ann@example.com";

    fn me() -> Vec<String> {
        vec![ME.into(), "sales@example.com".into()]
    }

    #[test]
    fn only_personal_mail_from_a_person_gets_an_answer() {
        let to_me = "To: ann@example.com\r\nSubject: hi\r\n\r\n";
        let cases: &[(&str, String, Result<(), Skip>)] = &[
            ("bob@example.org", to_me.into(), Ok(())),
            ("bob@example.org", "To: Sales <sales@example.com>\r\n\r\n".into(), Ok(())),
            ("bob@example.org", "To: x@example.org\r\nCc: ANN@example.com\r\n\r\n".into(), Ok(())),
            ("", to_me.into(), Err(Skip::NullSender)),
            ("ann@example.com", to_me.into(), Err(Skip::OwnMail)),
            ("MAILER-DAEMON@example.org", to_me.into(), Err(Skip::SystemSender)),
            ("owner-list@example.org", to_me.into(), Err(Skip::SystemSender)),
            ("list-request@example.org", to_me.into(), Err(Skip::SystemSender)),
            ("bob@example.org", format!("Auto-Submitted: auto-replied\r\n{to_me}"), Err(Skip::AutoSubmitted)),
            ("bob@example.org", format!("Auto-Submitted: auto-generated\r\n{to_me}"), Err(Skip::AutoSubmitted)),
            ("bob@example.org", format!("Auto-Submitted: no\r\n{to_me}"), Ok(())),
            ("bob@example.org", format!("Precedence: bulk\r\n{to_me}"), Err(Skip::Bulk)),
            ("bob@example.org", format!("Precedence: list\r\n{to_me}"), Err(Skip::Bulk)),
            ("bob@example.org", format!("Precedence: junk\r\n{to_me}"), Err(Skip::Bulk)),
            ("bob@example.org", format!("List-Id: <dev.example.org>\r\n{to_me}"), Err(Skip::MailingList)),
            ("bob@example.org", format!("List-Unsubscribe: <mailto:u@example.org>\r\n{to_me}"), Err(Skip::MailingList)),
            ("bob@example.org", "To: team@example.com\r\n\r\n".into(), Err(Skip::NotARecipient)),
            ("bob@example.org", "Subject: no recipients shown\r\n\r\n".into(), Err(Skip::NotARecipient)),
        ];
        for (sender, head, want) in cases {
            assert_eq!(answerable(sender, head.as_bytes(), &me()), *want, "{sender} / {head:?}");
        }
    }

    #[test]
    fn an_absence_is_on_only_between_its_dates() {
        let v = Vacation { enabled: true, start_at: Some(100), end_at: Some(200), days: 7, ..Vacation::default() };
        assert!(!active(&v, 99) && active(&v, 100) && active(&v, 199) && !active(&v, 200));
        assert!(!active(&Vacation { enabled: false, ..v.clone() }, 150));
        assert!(active(&Vacation { start_at: None, end_at: None, ..v }, 0));
    }

    #[test]
    fn the_answer_is_marked_automatic_and_threads_under_the_message() {
        let v = Vacation {
            enabled: true,
            subject: String::new(),
            body: "Back Monday.".into(),
            days: 7,
            ..Vacation::default()
        };
        let head =
            b"From: bob@example.org\r\nTo: ann@example.com\r\nSubject: Lunch\r\nMessage-ID: <m1@example.org>\r\n\r\n";
        let out = String::from_utf8(reply(&v, ME, "bob@example.org", head, "mail.example.com").unwrap()).unwrap();
        assert!(out.contains("Auto-Submitted: auto-replied\r\n"), "{out}");
        assert!(out.contains("Subject: Auto: Lunch\r\n") && out.contains("In-Reply-To: <m1@example.org>"), "{out}");
        assert!(out.contains("Back Monday."), "{out}");
    }
}

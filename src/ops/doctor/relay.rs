//! `open-relay`: an unauthenticated client on port 25 asking to send to an outside domain
//! must be refused with 5xx (anything else makes this server a spam relay).

use tokio::io::BufReader;
use tokio::net::TcpStream;

use super::{Check, Ctx};

/// An outside recipient: a reserved name no site hosts (RFC 2606).
const OUTSIDE: &str = "relay-test@doctor.invalid";

async fn command(s: &mut BufReader<TcpStream>, line: &str) -> Result<String, String> {
    super::listening::converse(s, Some(line), super::listening::smtp_end).await.map(|r| r.trim_end().to_string())
}

/// The reply to RCPT TO an outside domain, unauthenticated, at `addr`.
pub async fn rcpt_reply(addr: &str, sender_domain: &str) -> Result<String, String> {
    let mut s = BufReader::new(super::listening::connect(addr).await?);
    super::listening::converse(&mut s, None, super::listening::smtp_end).await?;
    command(&mut s, "EHLO doctor.invalid").await?;
    let mail = command(&mut s, &format!("MAIL FROM:<doctor@{sender_domain}>")).await?;
    let answer = if mail.starts_with('2') { command(&mut s, &format!("RCPT TO:<{OUTSIDE}>")).await? } else { mail };
    let _ = command(&mut s, "QUIT").await;
    Ok(answer)
}

pub async fn run(ctx: &Ctx<'_>) -> Vec<Check> {
    let Some((_, addr)) =
        crate::running::bound_addresses(&ctx.cfg.data_dir).into_iter().find(|(name, _)| name == "smtp")
    else {
        return vec![Check::unknown("open-relay", "no running SMTP listener (port 25) to ask")];
    };
    let addr = super::listening::reachable(&addr);
    let sender = ctx.domains.first().cloned().unwrap_or_else(|| "example.org".into());
    vec![match rcpt_reply(&addr, &sender).await {
        Ok(r) if r.starts_with('5') => Check::pass("open-relay", format!("RCPT TO:<{OUTSIDE}> without login: {r}")),
        Ok(r) => Check::fail(
            "open-relay",
            format!("RCPT TO:<{OUTSIDE}> without login on {addr} answered {r:?}: this server relays for anyone"),
            "stop serve now; check that no transport route or alias sends outside domains' mail on, and that smtp_listen is not a submission port",
        ),
        Err(why) => Check::unknown("open-relay", format!("{addr}: {why}")),
    }]
}

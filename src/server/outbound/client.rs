//! One SMTP transaction to one mail host with mail-send: greeting, EHLO, STARTTLS when offered
//! (opportunistic: certificates are not checked, as for MX delivery without DANE or
//! MTA-STS), MAIL, RCPT for every recipient of the domain, DATA once. Bytes a server sends
//! after its STARTTLS reply are never read as SMTP: they go into the TLS handshake, which
//! then fails.

use std::time::Duration;

use mail_send::SmtpClient;
use smtp_proto::EXT_START_TLS;
use tokio::io::{AsyncRead, AsyncWrite};

use super::route::Host;

/// What happened to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered(String),
    /// 4xx or a connection problem: try again later.
    Deferred(String),
    /// 5xx: give up on this recipient.
    Failed(String),
}

const TIMEOUT: Duration = Duration::from_secs(60);

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

/// Deliver to one host: Ok with a result per recipient, or Err when the host could not be
/// used at all (try the next one).
pub async fn send(
    host: &Host,
    helo: &str,
    from: &str,
    rcpts: &[String],
    message: &[u8],
    auth: Option<&(String, String)>,
) -> Result<Vec<Outcome>, String> {
    let mut last = format!("{}: no address", host.name);
    for addr in &host.addrs {
        let client = match SmtpClient::connect(*addr, TIMEOUT).await {
            Ok(c) => c,
            Err(e) => {
                last = format!("{} [{addr}]: {}", host.name, error_text(&e));
                continue;
            }
        };
        return transaction(client, host, helo, from, rcpts, message, auth).await;
    }
    Err(last)
}

async fn transaction(
    mut client: SmtpClient<tokio::net::TcpStream>,
    host: &Host,
    helo: &str,
    from: &str,
    rcpts: &[String],
    message: &[u8],
    auth: Option<&(String, String)>,
) -> Result<Vec<Outcome>, String> {
    let name = &host.name;
    let fail = |e: mail_send::Error| format!("{name}: {}", error_text(&e));
    let greeting = client.read().await.map_err(fail)?;
    if greeting.code / 100 != 2 {
        return Err(format!("{name} greeted with {}", reply_text(&greeting)));
    }
    let ehlo = client.ehlo(helo).await.map_err(fail)?;
    if ehlo.has_capability(EXT_START_TLS) {
        let connector = mail_send::smtp::tls::build_tls_connector(true).map_err(|e| format!("TLS setup: {e}"))?;
        let mut tls = client.start_tls(&connector, name).await.map_err(fail)?;
        let caps = tls.ehlo(helo).await.map_err(fail)?;
        if let Some((user, pass)) = auth {
            let creds = mail_send::Credentials::new(user.as_str(), pass.as_str());
            tls.authenticate(&creds, &caps).await.map_err(fail)?;
        }
        return envelope(tls, name, from, rcpts, message).await;
    }
    if auth.is_some() {
        // Never a password in clear text.
        return Err(format!("{name} offers no STARTTLS: not authenticating without TLS"));
    }
    envelope(client, name, from, rcpts, message).await
}

async fn envelope<T: AsyncRead + AsyncWrite + Unpin>(
    mut client: SmtpClient<T>,
    name: &str,
    from: &str,
    rcpts: &[String],
    message: &[u8],
) -> Result<Vec<Outcome>, String> {
    let fail = |e: mail_send::Error| format!("{name}: {}", error_text(&e));
    let r = client.cmd(format!("MAIL FROM:<{from}>\r\n")).await.map_err(fail)?;
    if r.code / 100 != 2 {
        let o = classify(&r, name);
        let _ = client.quit().await;
        return Ok(vec![o; rcpts.len()]);
    }
    let mut out = Vec::with_capacity(rcpts.len());
    for rcpt in rcpts {
        let r = client.cmd(format!("RCPT TO:<{rcpt}>\r\n")).await.map_err(fail)?;
        out.push(classify(&r, name));
    }
    if !out.iter().any(|o| matches!(o, Outcome::Delivered(_))) {
        let _ = client.quit().await;
        return Ok(out);
    }
    let result = match client.data(message).await {
        Ok(r) => classify(&r, name),
        Err(mail_send::Error::UnexpectedReply(r)) => classify(&r, name),
        Err(e) => Outcome::Deferred(format!("{name}: {}", error_text(&e))),
    };
    for o in out.iter_mut() {
        if matches!(o, Outcome::Delivered(_)) {
            *o = result.clone();
        }
    }
    let _ = client.quit().await;
    Ok(out)
}

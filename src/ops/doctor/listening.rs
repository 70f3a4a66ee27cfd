//! `listening`: every listener the running server bound answers its protocol, with TLS where
//! it must (implicit TLS on 465, 993, 995 and 443) and STARTTLS offered on 25, 587, 143 and
//! 110: doctor connects to itself as a client would.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{Check, Ctx};
use crate::config::Config;

const LIMIT: Duration = Duration::from_secs(5);

/// Where to connect for a bound address: the wildcard becomes loopback.
pub(super) fn reachable(addr: &str) -> String {
    addr.replace("0.0.0.0:", "127.0.0.1:").replace("[::]:", "[::1]:")
}

/// Send `line` (when given) and read reply lines until `done` says the reply is over.
pub(super) async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufReader<S>,
    line: Option<&str>,
    done: impl Fn(&str) -> bool,
) -> Result<String, String> {
    if let Some(l) = line {
        s.get_mut().write_all(format!("{l}\r\n").as_bytes()).await.map_err(|e| e.to_string())?;
    }
    let mut all = String::new();
    for _ in 0..100 {
        let mut l = String::new();
        let n = tokio::time::timeout(LIMIT, s.read_line(&mut l))
            .await
            .map_err(|_| "no answer within 5 s".to_string())?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("the connection closed after {all:?}"));
        }
        all.push_str(&l);
        if done(l.trim_end()) {
            return Ok(all);
        }
    }
    Err("an endless reply".into())
}

/// The last line of an SMTP reply.
pub(super) fn smtp_end(l: &str) -> bool {
    l.len() < 4 || l.as_bytes()[3] == b' '
}

/// What a protocol's greeting and capabilities must show: Ok(evidence) or Err(problem).
async fn speak<S: AsyncRead + AsyncWrite + Unpin>(proto: &str, s: S, tls: bool) -> Result<String, String> {
    let mut s = BufReader::new(s);
    match proto {
        "smtp" | "submission" | "submissions" => {
            let greeting = converse(&mut s, None, smtp_end).await?;
            if !greeting.starts_with("220") {
                return Err(format!("greeted with {:?}", greeting.trim_end()));
            }
            let ehlo = converse(&mut s, Some("EHLO doctor.invalid"), smtp_end).await?;
            let _ = converse(&mut s, Some("QUIT"), smtp_end).await;
            if !tls && !ehlo.to_ascii_uppercase().contains("STARTTLS") {
                return Err("SMTP without STARTTLS in its EHLO reply".into());
            }
            Ok(if tls { "SMTP over TLS".into() } else { "SMTP, STARTTLS offered".into() })
        }
        "imap" | "imaps" => {
            let greeting = converse(&mut s, None, |_| true).await?;
            if !greeting.starts_with("* OK") {
                return Err(format!("greeted with {:?}", greeting.trim_end()));
            }
            let caps = converse(&mut s, Some("d1 CAPABILITY"), |l| l.starts_with("d1 ")).await?;
            let _ = converse(&mut s, Some("d2 LOGOUT"), |l| l.starts_with("d2 ")).await;
            if !tls && !caps.to_ascii_uppercase().contains("STARTTLS") {
                return Err("IMAP without STARTTLS in its CAPABILITY".into());
            }
            Ok(if tls { "IMAP over TLS".into() } else { "IMAP, STARTTLS offered".into() })
        }
        "pop3" | "pop3s" => {
            let greeting = converse(&mut s, None, |_| true).await?;
            if !greeting.starts_with("+OK") {
                return Err(format!("greeted with {:?}", greeting.trim_end()));
            }
            let caps = converse(&mut s, Some("CAPA"), |l| l == "." || l.starts_with("-ERR")).await?;
            let _ = converse(&mut s, Some("QUIT"), |_| true).await;
            if !tls && !caps.to_ascii_uppercase().contains("STLS") {
                return Err("POP3 without STLS in its CAPA".into());
            }
            Ok(if tls { "POP3 over TLS".into() } else { "POP3, STLS offered".into() })
        }
        _ => {
            let status =
                converse(&mut s, Some("GET /healthz/live HTTP/1.0\r\nHost: doctor.invalid\r\n"), |_| true).await?;
            if !status.starts_with("HTTP/1.") {
                return Err(format!("answered {:?}", status.trim_end()));
            }
            Ok(if tls { "HTTPS".into() } else { "HTTP".into() })
        }
    }
}

/// Implicit TLS on these listeners.
fn implicit_tls(name: &str) -> bool {
    matches!(name, "submissions" | "imaps" | "pop3s" | "https")
}

/// A TCP connection to `addr`, within the time limit.
pub(super) async fn connect(addr: &str) -> Result<TcpStream, String> {
    tokio::time::timeout(LIMIT, TcpStream::connect(addr))
        .await
        .map_err(|_| "no connection within 5 s".to_string())?
        .map_err(|e| format!("cannot connect: {e}"))
}

/// TLS over `tcp` for `sni`, any certificate accepted, within the time limit; with the end
/// certificate the server presented.
pub(super) async fn tls(
    tcp: TcpStream,
    sni: &str,
) -> Result<(tokio_rustls::client::TlsStream<TcpStream>, Option<Vec<u8>>), String> {
    let (config, seen) = crate::tls_material::client_recording();
    let sni = rustls::pki_types::ServerName::try_from(sni.to_string()).map_err(|e| e.to_string())?;
    let stream = tokio::time::timeout(LIMIT, tokio_rustls::TlsConnector::from(Arc::new(config)).connect(sni, tcp))
        .await
        .map_err(|_| "no TLS handshake within 5 s".to_string())?
        .map_err(|e| format!("TLS handshake failed: {e}"))?;
    let cert = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok((stream, cert))
}

/// Connect to one listener and speak its protocol.
async fn probe(name: &str, addr: &str) -> Result<String, String> {
    let tcp = connect(addr).await?;
    if !implicit_tls(name) {
        return speak(name, tcp, false).await;
    }
    speak(name, tls(tcp, "doctor.invalid").await?.0, true).await
}

/// The end certificate the running server presents on its first implicit-TLS listener:
/// None when it runs none (or is not running).
pub async fn served_certificate(cfg: &Config) -> Option<Result<Vec<u8>, String>> {
    let (name, addr) = crate::running::bound_addresses(&cfg.data_dir).into_iter().find(|(n, _)| implicit_tls(n))?;
    let addr = reachable(&addr);
    let got = async {
        let (_, cert) = tls(connect(&addr).await?, &cfg.hostname).await?;
        cert.ok_or_else(|| "no certificate".to_string())
    };
    Some(got.await.map_err(|e| format!("{name} {addr}: {e}")))
}

pub async fn run(ctx: &Ctx<'_>) -> Vec<Check> {
    let bound = crate::running::bound_addresses(&ctx.cfg.data_dir);
    if bound.is_empty() {
        return vec![Check::fail(
            "listening",
            format!("mailctl serve is not running on {}", ctx.cfg.data_dir.display()),
            "start it: systemctl start mailctl (or mailctl serve)",
        )];
    }
    let probes = bound.iter().map(|(name, addr)| async move {
        let id = format!("listening.{name}");
        match probe(name, &reachable(addr)).await {
            Ok(what) => Check::pass(id, format!("{addr}: {what}")),
            Err(why) => Check::fail(
                id,
                format!("{name} on {addr}: {why}"),
                format!("look at serve's log for the {name} listener; mailctl config get {name}_listen"),
            ),
        }
    });
    futures_util::future::join_all(probes).await
}

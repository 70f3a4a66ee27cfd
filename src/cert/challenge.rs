//! ACME challenge responders. `cert issue` writes what the CA will ask for into the data
//! directory; whoever answers (the running `mailctl serve`, or a temporary listener of
//! `cert issue` itself, like certbot's `--standalone`) reads it from there:
//! - HTTP-01: `acme/http-01/<token>` holds the key authorization, served at
//!   `/.well-known/acme-challenge/<token>` (RFC 8555 §8.3);
//! - TLS-ALPN-01: `acme/tls-alpn-01/<host>.pem` holds a certificate and key with the
//!   acmeIdentifier extension, presented to a client that offers ALPN `acme-tls/1`
//!   (RFC 8737).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::{Error, Kind, Result};

pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";
const HEAD_LIMIT: usize = 8192;

pub fn http01_dir(data_dir: &Path) -> PathBuf {
    super::acme::dir(data_dir).join("http-01")
}

pub fn tlsalpn_dir(data_dir: &Path) -> PathBuf {
    super::acme::dir(data_dir).join("tls-alpn-01")
}

/// A token is base64url (RFC 8555 §8.1); anything else could name another file.
pub fn valid_token(t: &str) -> bool {
    !t.is_empty() && t.len() <= 256 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn write_http01(data_dir: &Path, token: &str, key_authorization: &str) -> Result<PathBuf> {
    if !valid_token(token) {
        return Err(Error::new(Kind::Invalid, "the CA sent a malformed challenge token"));
    }
    let dir = http01_dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    let path = dir.join(token);
    crate::fsutil::write_atomic(&path, key_authorization.as_bytes(), 0o644)?;
    // A `serve` running as another user reads these.
    crate::cert::files::same_owner(&super::acme::dir(data_dir), data_dir);
    crate::cert::files::same_owner(&dir, data_dir);
    Ok(path)
}

/// The TLS-ALPN-01 certificate for `host` (RFC 8737 §3): self-signed, the host as its only
/// name, the SHA-256 of the key authorization in a critical acmeIdentifier extension.
pub fn write_tlsalpn01(data_dir: &Path, host: &str, key_authorization_digest: &[u8]) -> Result<PathBuf> {
    let fail = |e: rcgen::Error| Error::new(Kind::Internal, format!("making the TLS-ALPN-01 certificate: {e}"));
    let mut params = rcgen::CertificateParams::new(vec![host.to_string()]).map_err(fail)?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(key_authorization_digest)];
    let key = rcgen::KeyPair::generate().map_err(fail)?;
    let cert = params.self_signed(&key).map_err(fail)?;
    let dir = tlsalpn_dir(data_dir);
    crate::fsutil::create_private_dir(&dir)?;
    let path = dir.join(format!("{host}.pem"));
    crate::fsutil::write_atomic(&path, format!("{}{}", cert.pem(), key.serialize_pem()).as_bytes(), 0o600)?;
    crate::cert::files::same_owner(&super::acme::dir(data_dir), data_dir);
    crate::cert::files::same_owner(&dir, data_dir);
    Ok(path)
}

/// Load a PEM holding a certificate chain and its key as rustls wants it.
pub fn certified_key(pem: &[u8]) -> Option<Arc<CertifiedKey>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(pem).collect::<std::result::Result<_, _>>().ok()?;
    let key = PrivateKeyDer::from_pem_slice(pem).ok()?;
    // Not CertifiedKey::from_der: its key check parses the certificate with webpki, which
    // refuses the critical acmeIdentifier extension.
    let signer = rustls::crypto::ring::sign::any_supported_type(&key).ok()?;
    (!certs.is_empty()).then(|| Arc::new(CertifiedKey::new(certs, signer)))
}

/// Chooses the certificate of a handshake: the TLS-ALPN-01 one when the client offers
/// `acme-tls/1` (and there is one for its SNI name), else the serving certificate.
#[derive(Debug)]
pub struct AlpnResolver {
    pub dir: PathBuf,
    pub serving: Option<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for AlpnResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let acme = hello.alpn().is_some_and(|mut a| a.any(|p| p == ACME_TLS_ALPN));
        if !acme {
            return self.serving.clone();
        }
        let host = hello.server_name()?.to_ascii_lowercase();
        if !crate::names::domain(&host).is_ok_and(|h| h == host) {
            return None;
        }
        let key = certified_key(&std::fs::read(self.dir.join(format!("{host}.pem"))).ok()?)?;
        // Logged here, not after the handshake: the validator may hang up as soon as it
        // has the certificate, and the handshake then fails on our side.
        tracing::info!(%host, "answered an ACME TLS-ALPN-01 challenge");
        Some(key)
    }
}

/// A TLS acceptor that answers TLS-ALPN-01 and otherwise presents `serving`.
pub fn alpn_acceptor(data_dir: &Path, serving: Option<Arc<CertifiedKey>>) -> tokio_rustls::TlsAcceptor {
    let mut config = crate::tls_material::server_builder()
        .with_cert_resolver(Arc::new(AlpnResolver { dir: tlsalpn_dir(data_dir), serving }));
    config.alpn_protocols = vec![ACME_TLS_ALPN.to_vec(), b"http/1.1".to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// One HTTP/1.x request head: method, path, Host (lowercase, no port).
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub host: String,
}

pub fn parse_head(head: &str) -> Option<Request> {
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path, version) = (first.next()?, first.next()?, first.next()?);
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let host = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("host"))
        .map(|(_, v)| {
            let v = v.trim();
            let v = if v.starts_with('[') { v } else { v.rsplit_once(':').map(|(h, _)| h).unwrap_or(v) };
            v.trim_end_matches('.').to_ascii_lowercase()
        })
        .unwrap_or_default();
    Some(Request { method: method.to_string(), path: path.to_string(), host })
}

/// The answer to an ACME HTTP-01 request, if it is one.
pub fn http01_answer(data_dir: &Path, req: &Request) -> Option<String> {
    let token = req.path.strip_prefix("/.well-known/acme-challenge/")?;
    if !valid_token(token) {
        return None;
    }
    std::fs::read_to_string(http01_dir(data_dir).join(token)).ok()
}

/// Serve one HTTP/1.x exchange on a stream: read the head (bounded in size and time), answer
/// with `respond`'s body (200, text/plain) or 404, close.
/// One connection of a web listener: plain HTTP, or HTTPS through `tls`, where a TLS-ALPN-01
/// handshake is the whole answer (RFC 8737 §3) and nothing is read after it. Returns false
/// when the TLS handshake failed.
pub async fn serve_web<F>(tcp: tokio::net::TcpStream, tls: Option<tokio_rustls::TlsAcceptor>, respond: F) -> bool
where
    F: AsyncFnOnce(&Request) -> Option<String>,
{
    let Some(acceptor) = tls else {
        serve_http(tcp, respond).await;
        return true;
    };
    let Ok(Ok(mut stream)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await else {
        return false;
    };
    if stream.get_ref().1.alpn_protocol() == Some(ACME_TLS_ALPN) {
        let _ = stream.shutdown().await;
    } else {
        serve_http(stream, respond).await;
    }
    true
}

pub async fn serve_http<S, F>(mut stream: S, respond: F)
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: AsyncFnOnce(&Request) -> Option<String>,
{
    let mut buf = Vec::with_capacity(1024);
    let read = async {
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 || buf.len() + n > HEAD_LIMIT {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some(())
    };
    let (status, body) = match tokio::time::timeout(Duration::from_secs(10), read).await {
        Ok(Some(())) => {
            let head = String::from_utf8_lossy(&buf);
            match parse_head(head.split("\r\n\r\n").next().unwrap_or("")) {
                Some(req) if req.method == "GET" || req.method == "HEAD" => match respond(&req).await {
                    Some(body) => ("200 OK", if req.method == "HEAD" { String::new() } else { body }),
                    None => ("404 Not Found", "not found\n".to_string()),
                },
                Some(_) => ("405 Method Not Allowed", "method not allowed\n".to_string()),
                None => ("400 Bad Request", "bad request\n".to_string()),
            }
        }
        _ => ("400 Bad Request", "bad request\n".to_string()),
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\nServer: mailctl\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.write_all(reply.as_bytes())).await;
    let _ = stream.shutdown().await;
}

/// `cert issue`'s own listeners when no `mailctl serve` answers the challenges.
pub struct Standalone {
    task: tokio::task::JoinHandle<()>,
}

impl Standalone {
    /// Answer `kind` (HTTP-01, or TLS-ALPN-01) on `addr` until dropped.
    pub async fn start(data_dir: &Path, kind: super::acme::Challenge, addr: &str) -> Result<Standalone> {
        let l = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            Error::new(Kind::Unavailable, format!("cannot listen on {addr} for the ACME challenge: {e}"))
                .with_hint("is something else using the port? pass --http-listen/--tls-listen ADDR:PORT")
        })?;
        let dir = data_dir.to_path_buf();
        // No serving certificate: a handshake that is not a TLS-ALPN-01 one fails.
        let acceptor = (kind == super::acme::Challenge::TlsAlpn01).then(|| alpn_acceptor(data_dir, None));
        let task = tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                let (dir, acceptor) = (dir.clone(), acceptor.clone());
                tokio::spawn(serve_web(s, acceptor, async move |r: &Request| http01_answer(&dir, r)));
            }
        });
        Ok(Standalone { task })
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let r =
            parse_head("GET /.well-known/acme-challenge/abc HTTP/1.1\r\nHost: Mail.Example.com:80\r\nUser-Agent: x")
                .unwrap();
        assert_eq!(
            r,
            Request {
                method: "GET".into(),
                path: "/.well-known/acme-challenge/abc".into(),
                host: "mail.example.com".into()
            }
        );
        assert!(parse_head("GET / SPDY/3").is_none());
        assert!(valid_token("aB-_09"));
        assert!(!valid_token("../etc/passwd"));
        assert!(!valid_token(""));
    }

    #[tokio::test]
    async fn answers_http01_and_nothing_else() {
        let d = tempfile::tempdir().unwrap();
        write_http01(d.path(), "tok_1", "tok_1.thumb").unwrap();
        for (req, want) in [
            ("GET /.well-known/acme-challenge/tok_1 HTTP/1.1\r\nHost: a\r\n\r\n", "200 OK"),
            ("GET /.well-known/acme-challenge/..%2F..%2Fetc HTTP/1.1\r\nHost: a\r\n\r\n", "404"),
            ("GET /.well-known/acme-challenge/nope HTTP/1.1\r\n\r\n", "404"),
            ("POST /.well-known/acme-challenge/tok_1 HTTP/1.1\r\n\r\n", "405"),
            ("garbage\r\n\r\n", "400"),
        ] {
            let (mut client, server) = tokio::io::duplex(4096);
            let dir = d.path().to_path_buf();
            let t = tokio::spawn(async move { serve_http(server, async |r: &Request| http01_answer(&dir, r)).await });
            client.write_all(req.as_bytes()).await.unwrap();
            let mut out = String::new();
            client.read_to_string(&mut out).await.unwrap();
            t.await.unwrap();
            assert!(out.contains(want), "{req:?} -> {out}");
            if want == "200 OK" {
                assert!(out.ends_with("\r\n\r\ntok_1.thumb"), "{out}");
            }
        }
    }
}

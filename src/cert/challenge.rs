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

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::error::{Error, Kind, Result};

pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

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
    config.alpn_protocols = std::iter::once(ACME_TLS_ALPN).chain(crate::httpd::HTTP_ALPN).map(<[u8]>::to_vec).collect();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// The ACME HTTP-01 routes (RFC 8555 §8.3): the key authorization of a pending challenge,
/// as text, from the files `cert issue` wrote under `data_dir`.
pub fn http01_routes(data_dir: &Path) -> axum::Router {
    let dir = data_dir.to_path_buf();
    axum::Router::new().route(
        "/.well-known/acme-challenge/{token}",
        axum::routing::get(async move |axum::extract::Path(token): axum::extract::Path<String>| {
            match http01_answer(&dir, &token) {
                Some(a) => {
                    tracing::info!("answered an ACME HTTP-01 challenge");
                    (axum::http::StatusCode::OK, [(axum::http::header::CONTENT_TYPE, "text/plain")], a)
                }
                None => (
                    axum::http::StatusCode::NOT_FOUND,
                    [(axum::http::header::CONTENT_TYPE, "text/plain")],
                    "not found\n".to_string(),
                ),
            }
        }),
    )
}

/// The key authorization for `token`, if `cert issue` is waiting for it.
pub fn http01_answer(data_dir: &Path, token: &str) -> Option<String> {
    if !valid_token(token) {
        return None;
    }
    std::fs::read_to_string(http01_dir(data_dir).join(token)).ok()
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
        // No serving certificate: a handshake that is not a TLS-ALPN-01 one fails.
        let acceptor = (kind == super::acme::Challenge::TlsAlpn01).then(|| alpn_acceptor(data_dir, None));
        let app = http01_routes(data_dir);
        let task = tokio::spawn(async move {
            while let Ok((s, peer)) = l.accept().await {
                tokio::spawn(crate::httpd::serve(s, peer, acceptor.clone(), app.clone(), None));
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
    fn only_base64url_tokens_name_a_file() {
        assert!(valid_token("aB-_09"));
        for bad in ["../etc/passwd", "", "a/b", "a.b", "%2e%2e"] {
            assert!(!valid_token(bad), "{bad}");
        }
    }

    #[test]
    fn answers_http01_tokens_it_holds_and_nothing_else() {
        let d = tempfile::tempdir().unwrap();
        write_http01(d.path(), "tok_1", "tok_1.thumb").unwrap();
        assert_eq!(http01_answer(d.path(), "tok_1").as_deref(), Some("tok_1.thumb"));
        assert_eq!(http01_answer(d.path(), "nope"), None);
        assert_eq!(http01_answer(d.path(), "..%2F..%2Fetc"), None);
    }
}

//! TLS material every TLS user shares: the rustls server config builder and self-signed
//! certificates (rcgen).

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Kind, Result};

/// A self-signed certificate for `hosts` (and localhost): (certificate PEM, key PEM).
pub fn self_signed_pem(hosts: &[String]) -> Result<(String, String)> {
    let mut names: Vec<String> = hosts.to_vec();
    for extra in ["localhost", "127.0.0.1", "::1"] {
        if !names.iter().any(|n| n == extra) {
            names.push(extra.to_string());
        }
    }
    let fail = |e: rcgen::Error| Error::new(Kind::Internal, "making a self-signed certificate").with_source(e);
    let mut params = rcgen::CertificateParams::new(names.clone()).map_err(fail)?;
    // The subject names the mail host, not rcgen's placeholder.
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, names[0].clone());
    let signing_key = rcgen::KeyPair::generate().map_err(fail)?;
    let cert = params.self_signed(&signing_key).map_err(fail)?;
    Ok((cert.pem(), signing_key.serialize_pem()))
}

/// Make a self-signed certificate for `hosts` (and localhost), key 0600.
pub fn self_signed(cert: &Path, key: &Path, hosts: &[String]) -> Result<()> {
    let (cert_pem, key_pem) = self_signed_pem(hosts)?;
    for dir in [cert.parent(), key.parent()].into_iter().flatten() {
        crate::fsutil::create_private_dir(dir)?;
    }
    crate::fsutil::write_atomic(key, key_pem.as_bytes(), 0o600)?;
    crate::fsutil::write_atomic(cert, cert_pem.as_bytes(), 0o644)?;
    Ok(())
}

/// A server config on ring with the default protocol versions and no client certificates:
/// every TLS listener starts here.
pub fn server_builder() -> rustls::ConfigBuilder<rustls::ServerConfig, rustls::server::WantsServerCert> {
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| unreachable!("ring supports the default protocol versions"))
        .with_no_client_auth()
}

/// A client config on ring that verifies servers against the system's roots
/// (`/etc/ssl/certs`, via rustls-native-certs) and the certificates of `extra_roots` (a PEM
/// file: a private CA a partner uses). Outbound mail under `verify`, MTA-STS or a policy
/// fetch uses it.
pub fn client_verifying(extra_roots: Option<&Path>) -> Result<rustls::ClientConfig> {
    let roots = client_roots(extra_roots)?;
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| unreachable!("ring supports the default protocol versions"))
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The system's root certificates and those of `extra_roots` (a PEM file).
pub fn client_roots(extra_roots: Option<&Path>) -> Result<rustls::RootCertStore> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(native.certs);
    if let Some(path) = extra_roots {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|i| i.collect())
            .map_err(|e| Error::new(Kind::Config, format!("tls_extra_roots {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(Error::new(Kind::Config, format!("tls_extra_roots {}: no certificate", path.display())));
        }
        for c in certs {
            roots.add(c).map_err(|e| Error::new(Kind::Config, format!("tls_extra_roots {}: {e}", path.display())))?;
        }
    } else if added == 0 {
        return Err(Error::new(Kind::Config, "no trusted root certificates: install ca-certificates"));
    }
    Ok(roots)
}

/// An HTTPS client for one host of another domain (an MTA-STS policy, a TLS report's rua):
/// verified TLS (system roots and `extra_roots`), no redirects, no proxy, bounded in time, and
/// the host's addresses as our resolver gave them (`dns_resolver`, not the system's).
pub fn https_client_for(
    extra_roots: Option<&Path>,
    host: &str,
    addrs: &[std::net::SocketAddr],
    timeout: std::time::Duration,
) -> std::result::Result<reqwest::Client, String> {
    let tls = client_verifying(extra_roots).map_err(|e| e.one_line())?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .no_proxy()
        .resolve_to_addrs(host, addrs)
        .build()
        .map_err(|e| format!("HTTPS client: {e}"))
}

/// A client config that accepts any server certificate and keeps the one it was shown (the
/// end certificate, DER): for looking at what a server presents (`doctor`), never for sending
/// anything that matters.
pub fn client_recording() -> (rustls::ClientConfig, Arc<std::sync::Mutex<Option<Vec<u8>>>>) {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    #[derive(Debug)]
    struct Recorder(Arc<std::sync::Mutex<Option<Vec<u8>>>>, Arc<rustls::crypto::CryptoProvider>);
    impl ServerCertVerifier for Recorder {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> std::result::Result<ServerCertVerified, rustls::Error> {
            *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(end_entity.to_vec());
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &rustls::DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(m, c, d, &self.1.signature_verification_algorithms)
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &rustls::DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(m, c, d, &self.1.signature_verification_algorithms)
        }
        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.1.signature_verification_algorithms.supported_schemes()
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let seen = Arc::new(std::sync::Mutex::new(None));
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| unreachable!("ring supports the default protocol versions"))
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Recorder(seen.clone(), provider)))
        .with_no_client_auth();
    (config, seen)
}

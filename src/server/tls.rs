//! The serving certificate: loaded from PEM files, made self-signed with rcgen on first start
//! when neither file exists, and reloadable (SIGHUP) without dropping connections: new
//! handshakes use the new certificate, running sessions keep theirs.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::{Error, Kind, Result};

pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    acceptor: RwLock<TlsAcceptor>,
}

/// Make a self-signed certificate for `hosts` (and localhost), key 0600.
pub fn self_signed(cert: &Path, key: &Path, hosts: &[String]) -> Result<()> {
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
    let made = rcgen::CertifiedKey { cert: params.self_signed(&signing_key).map_err(fail)?, signing_key };
    for dir in [cert.parent(), key.parent()].into_iter().flatten() {
        crate::store::create_private_dir(dir)?;
    }
    crate::config::write_atomic(key, made.signing_key.serialize_pem().as_bytes(), 0o600)?;
    crate::config::write_atomic(cert, made.cert.pem().as_bytes(), 0o644)?;
    Ok(())
}

fn load(cert: &Path, key: &Path) -> Result<TlsAcceptor> {
    let bad = |what: &str, p: &Path, e: &dyn std::fmt::Display| {
        Error::config(format!("reading TLS {what} {}: {e}", p.display()))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad("certificate", cert, &e))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| bad("certificate", cert, &e))?;
    if certs.is_empty() {
        return Err(bad("certificate", cert, &"no certificate in the file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad("key", key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(Kind::Internal, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| Error::config(format!("TLS certificate {} and key do not fit: {e}", cert.display())))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

impl Tls {
    /// Load the certificate, making a self-signed one first if neither file exists.
    pub fn load_or_create(cert: &Path, key: &Path, hosts: &[String]) -> Result<(Tls, bool)> {
        let created = !cert.exists() && !key.exists();
        if created {
            self_signed(cert, key, hosts)?;
        }
        let acceptor = load(cert, key)?;
        Ok((Tls { cert: cert.into(), key: key.into(), acceptor: RwLock::new(acceptor) }, created))
    }

    /// Re-read the files; on error the current certificate stays.
    pub fn reload(&self) -> Result<()> {
        let a = load(&self.cert, &self.key)?;
        *self.acceptor.write().unwrap_or_else(|p| p.into_inner()) = a;
        Ok(())
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

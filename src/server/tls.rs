//! The serving certificate: loaded from PEM files, made self-signed with rcgen on first start
//! when neither file exists, and reloadable (SIGHUP) without dropping connections: new
//! handshakes use the new certificate, running sessions keep theirs.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::{Error, Result};

pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    /// Where TLS-ALPN-01 certificates are written (`data_dir`).
    data_dir: PathBuf,
    loaded: RwLock<Loaded>,
    /// What the files were when last loaded (size, mtime, inode), to notice a renewal.
    seen: RwLock<Option<Fingerprint>>,
}

/// The acceptors made from one certificate pair.
struct Loaded {
    /// The mail listeners'.
    mail: TlsAcceptor,
    /// The HTTPS listener's: the same certificate, and TLS-ALPN-01 answers.
    https: TlsAcceptor,
}

type Fingerprint = [(u64, i64, u64); 2];

fn fingerprint(cert: &Path, key: &Path) -> Option<Fingerprint> {
    use std::os::unix::fs::MetadataExt;
    let f =
        |p: &Path| std::fs::metadata(p).ok().map(|m| (m.len(), m.mtime_nsec() + m.mtime() * 1_000_000_000, m.ino()));
    Some([f(cert)?, f(key)?])
}

fn load(cert: &Path, key: &Path, data_dir: &Path) -> Result<Loaded> {
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
    // One signing key for both acceptors; from_der checks that it fits the certificate.
    let provider = rustls::crypto::ring::default_provider();
    let certified = Arc::new(rustls::sign::CertifiedKey::from_der(certs, key_der, &provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => {
            Error::config(format!("TLS certificate {} and key do not fit: {e}", cert.display()))
        }
        e => bad("key", key, &e),
    })?);
    let https = crate::cert::challenge::alpn_acceptor(data_dir, Some(certified.clone()));
    let mail = crate::tls_material::server_builder()
        .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
    Ok(Loaded { mail: TlsAcceptor::from(Arc::new(mail)), https })
}

impl Tls {
    /// Load the certificate, making a self-signed one first if neither file exists.
    pub fn load_or_create(cert: &Path, key: &Path, hosts: &[String], data_dir: &Path) -> Result<(Tls, bool)> {
        let created = !cert.exists() && !key.exists();
        if created {
            crate::tls_material::self_signed(cert, key, hosts)?;
        }
        let seen = fingerprint(cert, key);
        let loaded = load(cert, key, data_dir)?;
        let tls = Tls {
            cert: cert.into(),
            key: key.into(),
            data_dir: data_dir.into(),
            loaded: RwLock::new(loaded),
            seen: RwLock::new(seen),
        };
        Ok((tls, created))
    }

    /// Re-read the files; on error the current certificate stays.
    pub fn reload(&self) -> Result<()> {
        let seen = fingerprint(&self.cert, &self.key);
        self.swap()?;
        *self.seen.write().unwrap_or_else(|p| p.into_inner()) = seen;
        Ok(())
    }

    fn swap(&self) -> Result<()> {
        let loaded = load(&self.cert, &self.key, &self.data_dir)?;
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = loaded;
        Ok(())
    }

    /// Reload when the files changed since the last load (a renewal): new connections get
    /// the new certificate, open ones keep theirs. Returns whether it reloaded.
    pub fn reload_if_changed(&self) -> Result<bool> {
        let now = fingerprint(&self.cert, &self.key);
        {
            let mut seen = self.seen.write().unwrap_or_else(|p| p.into_inner());
            if now.is_none() || now == *seen {
                return Ok(false);
            }
            // A pair that does not load is reported once, not every check.
            *seen = now;
        }
        self.swap().map(|()| true)
    }

    pub fn https_acceptor(&self) -> TlsAcceptor {
        self.loaded.read().unwrap_or_else(|p| p.into_inner()).https.clone()
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        self.loaded.read().unwrap_or_else(|p| p.into_inner()).mail.clone()
    }
}

//! Installing a certificate and its key as one atomic pair, and what is known about it.
//!
//! Layout beside the configured certificate (certbot's live/archive idea):
//! `archive/<stamp>/{cert.pem,key.pem,meta.json}` holds each pair ever installed (the last
//! few are kept), `live` is a symlink to the current one, and the configured `tls_cert` and
//! `tls_key` paths are symlinks into `live`. Switching `live` is one rename, so a reader (the
//! server, a crash at any instant) sees the old pair or the new one, never half of each.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil::sync_dir;

/// Kept archive entries (the live one included).
const KEEP: usize = 4;

/// How the certificate was made, kept in `meta.json` beside it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Meta {
    /// `self-signed` or `acme`.
    pub source: String,
    pub hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_root: Option<PathBuf>,
    pub issued_at: i64,
    /// RFC 9773 ARI: the CA's suggested renewal window (Unix times), as of `issued_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_window: Option<(i64, i64)>,
    /// DNS-01: how the provider was reached (no secrets: the TSIG key is a path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsMeta>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DnsMeta {
    /// As given at issuance (paths absolute); the config fills the rest at renewal.
    #[serde(flatten)]
    pub settings: crate::dns::provider::Settings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolver: Option<String>,
}

fn dir_of(cert: &Path) -> PathBuf {
    crate::fsutil::absolute(cert).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"))
}

/// The metadata of the live pair, if mailctl installed it.
pub fn meta(cert: &Path) -> Option<Meta> {
    let text = std::fs::read_to_string(dir_of(cert).join("live").join("meta.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Point `link` at `target` atomically (a temporary symlink renamed over it).
fn symlink_atomic(target: &Path, link: &Path) -> std::io::Result<()> {
    let tmp = link.with_file_name(format!(
        ".{}.tmp{}",
        link.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    std::fs::rename(&tmp, link)
}

/// Install a key and certificate (PEM) as the serving pair.
pub fn install(cert: &Path, key: &Path, cert_pem: &str, key_pem: &str, meta: &Meta) -> Result<()> {
    let dir = dir_of(cert);
    let archive = dir.join("archive");
    crate::fsutil::create_private_dir(&archive)?;
    let io = |what: &str, p: &Path, e: std::io::Error| Error::io(what, p, e);

    // Links that point anywhere but our own `live` belong to another tool (certbot's
    // /etc/letsencrypt/live/...): never take them over.
    for p in [cert, key] {
        if let Ok(target) = std::fs::read_link(p)
            && target != Path::new("live/cert.pem")
            && target != Path::new("live/key.pem")
            && !target.starts_with(dir.join("live"))
        {
            return Err(Error::config(format!(
                "{} is a link to {} that mailctl does not manage",
                p.display(),
                target.display()
            ))
            .with_hint(
                "point tls_cert and tls_key at mailctl's own files (the default is data_dir/tls), or remove the links",
            ));
        }
    }
    let stamp = format!("{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"));

    // Over plain files (the self-signed pair `serve` made, or files put there by hand) the
    // current pair is adopted as an archive entry of its own first, so every step below
    // leaves a matching pair in place.
    let linked = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    if !(linked(cert) && linked(key)) && cert.exists() && key.exists() {
        let old = archive.join(format!("{stamp}-adopted"));
        crate::fsutil::create_private_dir(&old)?;
        let read = |p: &Path| std::fs::read(p).map_err(|e| io("reading", p, e));
        write_pair(&old, &read(cert)?, &read(key)?)?;
        same_owner(&old, &dir);
        symlink_atomic(&Path::new("archive").join(format!("{stamp}-adopted")), &dir.join("live"))
            .map_err(|e| io("linking", &dir, e))?;
        link_pair(&dir, cert, key)?;
    }

    let entry = archive.join(&stamp);
    crate::fsutil::create_private_dir(&entry)?;
    write_pair(&entry, cert_pem.as_bytes(), key_pem.as_bytes())?;
    let meta_json =
        serde_json::to_vec_pretty(meta).map_err(|e| Error::new(crate::error::Kind::Internal, e.to_string()))?;
    crate::fsutil::write_atomic(&entry.join("meta.json"), &meta_json, 0o644)?;
    same_owner(&archive, &dir);
    same_owner(&entry, &dir);
    // The switch: one rename.
    symlink_atomic(&Path::new("archive").join(&stamp), &dir.join("live")).map_err(|e| io("linking", &dir, e))?;
    link_pair(&dir, cert, key)?;
    sync_dir(&dir)?;
    prune(&archive, &stamp);
    Ok(())
}

/// An archive entry's pair, each file flushed (the key 0600), and the entry's own name in
/// the archive, before `live` may point at it.
fn write_pair(entry: &Path, cert_pem: &[u8], key_pem: &[u8]) -> Result<()> {
    crate::fsutil::write_atomic(&entry.join("key.pem"), key_pem, 0o600)?;
    crate::fsutil::write_atomic(&entry.join("cert.pem"), cert_pem, 0o644)?;
    entry.parent().map_or(Ok(()), sync_dir)
}

/// Give a directory and its files the owner of `like` (when run as root): `cert renew` from
/// root's crontab must leave files that a `serve` running as another user can read.
pub fn same_owner(path: &Path, like: &Path) {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    let Ok(m) = std::fs::metadata(like) else { return };
    let mut paths = vec![path.to_path_buf()];
    if let Ok(rd) = std::fs::read_dir(path) {
        paths.extend(rd.flatten().map(|e| e.path()));
    }
    for p in paths {
        let _ = std::os::unix::fs::chown(&p, Some(m.uid()), Some(m.gid()));
    }
}

/// The configured paths as symlinks into `live` (made once).
fn link_pair(dir: &Path, cert: &Path, key: &Path) -> Result<()> {
    let io = |p: &Path, e: std::io::Error| Error::io("linking", p, e);
    let live = dir.join("live");
    for (path, name) in [(key, "key.pem"), (cert, "cert.pem")] {
        // Relative beside `live` (the directory can move), absolute from elsewhere.
        let beside = crate::fsutil::absolute(path).parent() == Some(dir);
        let target = if beside { Path::new("live").join(name) } else { live.join(name) };
        if std::fs::read_link(path).ok().as_deref() != Some(target.as_path()) {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            symlink_atomic(&target, path).map_err(|e| io(path, e))?;
        }
    }
    Ok(())
}

/// Keep the newest entries (and the live one).
fn prune(archive: &Path, live: &str) {
    let Ok(rd) = std::fs::read_dir(archive) else { return };
    let mut names: Vec<String> = rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let excess = names.len().saturating_sub(KEEP);
    for n in names.into_iter().take(excess) {
        if n != live {
            let _ = std::fs::remove_dir_all(archive.join(n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_pairs_atomically_and_keeps_a_few() {
        let d = tempfile::tempdir().unwrap();
        let (cert, key) = (d.path().join("tls/cert.pem"), d.path().join("tls/key.pem"));
        std::fs::create_dir_all(d.path().join("tls")).unwrap();
        std::fs::write(&cert, "OLD CERT").unwrap();
        std::fs::write(&key, "OLD KEY").unwrap();
        let meta =
            Meta { source: "acme".into(), hosts: vec!["mail.a.test".into()], issued_at: 1, ..Default::default() };
        for i in 0..6 {
            install(&cert, &key, &format!("CERT {i}"), &format!("KEY {i}"), &meta).unwrap();
            assert_eq!(std::fs::read_to_string(&cert).unwrap(), format!("CERT {i}"));
            assert_eq!(std::fs::read_to_string(&key).unwrap(), format!("KEY {i}"));
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert!(std::fs::symlink_metadata(&cert).unwrap().file_type().is_symlink());
        assert_eq!(self::meta(&cert).unwrap().hosts, ["mail.a.test"]);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_dir(d.path().join("tls/archive")).unwrap().count(), KEEP);
    }

    #[test]
    fn never_takes_over_links_of_another_tool() {
        let d = tempfile::tempdir().unwrap();
        let elsewhere = d.path().join("letsencrypt");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("fullchain.pem"), "THEIRS").unwrap();
        std::fs::write(elsewhere.join("privkey.pem"), "THEIRS").unwrap();
        std::fs::create_dir_all(d.path().join("tls")).unwrap();
        let (cert, key) = (d.path().join("tls/cert.pem"), d.path().join("tls/key.pem"));
        std::os::unix::fs::symlink(elsewhere.join("fullchain.pem"), &cert).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("privkey.pem"), &key).unwrap();
        let e = install(&cert, &key, "C", "K", &Meta::default()).unwrap_err();
        assert!(e.message.contains("does not manage"), "{}", e.message);
        assert_eq!(std::fs::read_to_string(&cert).unwrap(), "THEIRS");
        assert!(
            !d.path().join("tls/archive").exists()
                || std::fs::read_dir(d.path().join("tls/archive")).unwrap().count() == 0
        );
    }
}

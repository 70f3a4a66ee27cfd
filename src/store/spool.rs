//! The outbound spool: one file per message, `<data>/spool/outbound/<id>`, holding a header
//! line, the envelope as JSON, a blank line, then the message. Written like a Maildir
//! delivery (temp file, fsync, rename, fsync the directory), so a file in `outbound/` is
//! whole; the envelope records the message size, so a torn file is recognisable anyway.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil::sync_dir;

pub const MAGIC: &str = "MAILCTL-SPOOL/1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Envelope {
    pub id: String,
    /// The reverse-path; empty for the null sender.
    pub from: String,
    pub recipients: Vec<String>,
    pub received_at: i64,
    /// Bytes of message after the envelope.
    pub size: u64,
    /// The authenticated account that submitted it, if any.
    pub submitted_by: Option<String>,
    /// MAIL FROM … REQUIRETLS (RFC 8689): delivered only over verified TLS to a host that
    /// offers REQUIRETLS, else returned to the sender.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_tls: bool,
}

pub fn outbound_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("spool/outbound")
}

fn tmp_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("spool/tmp")
}

/// Write a message to the outbound spool durably. Returns its path.
pub fn write(data_dir: &Path, env: &Envelope, message: &[u8]) -> Result<PathBuf> {
    let (tmp, out) = (tmp_dir(data_dir), outbound_dir(data_dir));
    if !out.is_dir() || !tmp.is_dir() {
        for d in [&tmp, &out] {
            std::fs::create_dir_all(d).map_err(|e| Error::io("creating", d, e))?;
        }
        // New directories must themselves be durable entries.
        sync_dir(&data_dir.join("spool"))?;
        sync_dir(data_dir)?;
    }
    let tmp_path = tmp.join(&env.id);
    let final_path = out.join(&env.id);
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp_path)?;
        let mut head = format!("{MAGIC}\n").into_bytes();
        serde_json::to_writer(&mut head, env).map_err(std::io::Error::other)?;
        head.extend_from_slice(b"\n\n");
        f.write_all(&head)?;
        f.write_all(message)?;
        f.sync_all()?;
        // A link, not a rename: an existing spool file is never replaced.
        std::fs::hard_link(&tmp_path, &final_path)?;
        std::fs::remove_file(&tmp_path)?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp_path);
        return Err(Error::io("writing spool file", &final_path, e));
    }
    if let Err(e) = sync_dir(&out) {
        // Not known to be durable: the client will be told to retry, so this copy must go.
        let _ = std::fs::remove_file(&final_path);
        return Err(e);
    }
    Ok(final_path)
}

/// Read a spool file: the envelope and the message, or an error for a torn or foreign file.
pub fn read(path: &Path) -> Result<(Envelope, Vec<u8>)> {
    let data = std::fs::read(path).map_err(|e| Error::io("reading spool file", path, e))?;
    let torn = || Error::invalid(format!("spool file {} is damaged", path.display()));
    let rest = data.strip_prefix(format!("{MAGIC}\n").as_bytes()).ok_or_else(torn)?;
    let end = rest.windows(2).position(|w| w == b"\n\n").ok_or_else(torn)?;
    let env: Envelope = serde_json::from_slice(&rest[..end]).map_err(|_| torn())?;
    let message = &rest[end + 2..];
    if message.len() as u64 != env.size {
        return Err(torn());
    }
    Ok((env, message.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_torn() {
        let dir = tempfile::tempdir().unwrap();
        let env = Envelope {
            id: "abc".into(),
            from: "a@b.example".into(),
            recipients: vec!["x@y.example".into()],
            received_at: 1,
            size: 5,
            submitted_by: None,
            require_tls: false,
        };
        let p = write(dir.path(), &env, b"hello").unwrap();
        assert_eq!(read(&p).unwrap(), (env, b"hello".to_vec()));
        let data = std::fs::read(&p).unwrap();
        std::fs::write(&p, &data[..data.len() - 1]).unwrap();
        assert!(read(&p).is_err(), "a truncated file is refused");
    }
}

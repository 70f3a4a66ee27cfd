//! The message files of a folder as they are on disk (`new/` and `cur/`), for the tools that
//! hold the index against the Maildir: `mailbox reindex` and `mailbox verify`. Files with a
//! twin in `tmp/` are deliveries in flight (their row is not committed yet) and are left out.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{Flags, crlf, file};
use crate::error::{Error, Result};

/// One message file.
#[derive(Debug, Clone)]
pub struct OnDisk {
    pub path: PathBuf,
    /// The base name (the index's `filename`).
    pub base: String,
    /// Bytes in the file.
    pub len: u64,
    /// Modification time, Unix seconds.
    pub mtime: i64,
    /// The flags its name carries.
    pub flags: Flags,
}

impl OnDisk {
    /// The size as IMAP sends it (CRLF line ends): Dovecot's `,W=` in the name when present,
    /// else counted (Dovecot stores mail with LF line ends by default; we store CRLF).
    pub fn wire_size(&self) -> i64 {
        if let Some(w) = file::wire_size(&self.base) {
            return w;
        }
        match std::fs::read(&self.path) {
            Ok(data) => crlf::crlf_len(&data) as i64,
            Err(_) => self.len as i64,
        }
    }

    /// The file's content has `size` bytes as IMAP sends it. Only a file whose length differs
    /// is read (a Dovecot file with LF line ends).
    pub fn has_wire_size(&self, size: i64) -> bool {
        self.len as i64 == size || std::fs::read(&self.path).is_ok_and(|data| crlf::crlf_len(&data) as i64 == size)
    }
}

/// The message files of a folder, oldest first (so imported mail gets UIDs in arrival order).
pub fn scan(folder: &Path) -> Result<Vec<OnDisk>> {
    let in_flight: HashSet<String> = std::fs::read_dir(folder.join("tmp"))
        .map(|r| r.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let dir = folder.join(sub);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("reading", &dir, e)),
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let base = file::base(&name).to_string();
            if name.starts_with('.') || in_flight.contains(&base) {
                continue;
            }
            // Gone since the listing (moved or expunged): not there.
            let Ok(meta) = e.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let mtime = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            out.push(OnDisk { path: e.path(), len: meta.len(), base, mtime, flags: Flags::from_file_name(&name) });
        }
    }
    out.sort_by(|a, b| (a.mtime, &a.base).cmp(&(b.mtime, &b.base)));
    Ok(out)
}

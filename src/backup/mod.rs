//! A backup repository on disk (the format is `docs/BACKUP.md`): content-addressed objects,
//! one manifest per complete backup, a marker per backup under way, and the lock that keeps two
//! runs apart. It knows nothing of the store or of Maildirs: `ops::backup` decides what goes
//! in; this module stores bytes, names them by their SHA-256 and proves they are still there.
//!
//! ```text
//! DIR/                      0700
//!   FORMAT                  "mailctl-backup 1"
//!   lock                    flock'ed while a backup is written or pruned
//!   objects/ab/abcdef…      each object once, named by the SHA-256 of its bytes (0600)
//!   backups/ID.json         a complete backup's manifest, written and synced last
//!   backups/ID.partial      a backup under way (or one that died): never listed complete
//! ```

pub mod manifest;
pub mod prune;

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::error::{Error, Kind, Result};
use crate::fsutil;

pub use manifest::Manifest;

/// The first line of `FORMAT`.
const FORMAT: &str = "mailctl-backup 1";

/// An object's name (its SHA-256, hex) and size.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ObjectRef {
    pub sha256: String,
    pub size: u64,
}

/// An open repository. Objects may be put from several threads at once.
pub struct Repo {
    pub dir: PathBuf,
    /// Bytes of the objects written by this process (for `bytes_new`).
    written: AtomicU64,
    /// Objects written (or being written) under temporary names, not yet synced: SHA-256 ->
    /// temporary path.
    pending: Mutex<HashMap<String, PathBuf>>,
}

/// The lock of a repository, held while the value lives.
pub struct Lock(#[allow(dead_code)] std::fs::File);

impl Repo {
    /// Open the repository at `dir`, creating it (0700) when it does not exist. A directory
    /// that holds something else is refused.
    pub fn create_or_open(dir: &Path) -> Result<Repo> {
        let dir = fsutil::absolute(dir);
        let marker = dir.join("FORMAT");
        if !marker.exists() {
            if dir.exists() && std::fs::read_dir(&dir).map_err(|e| Error::io("reading", &dir, e))?.next().is_some() {
                return Err(Error::invalid(format!(
                    "{} is not empty and is not a mailctl backup repository (no FORMAT file)",
                    dir.display()
                )));
            }
            fsutil::create_private_dir(&dir.join("objects"))?;
            fsutil::create_private_dir(&dir.join("backups"))?;
            fsutil::write_atomic(&marker, format!("{FORMAT}\n").as_bytes(), 0o600)?;
        }
        Repo::open(&dir)
    }

    /// Open an existing repository.
    pub fn open(dir: &Path) -> Result<Repo> {
        let dir = fsutil::absolute(dir);
        let marker = dir.join("FORMAT");
        let text = std::fs::read_to_string(&marker).map_err(|e| {
            let kind = if e.kind() == std::io::ErrorKind::NotFound { Kind::NotFound } else { Kind::Io };
            Error::new(kind, format!("{} is not a mailctl backup repository", dir.display())).with_source(e)
        })?;
        if text.lines().next() != Some(FORMAT) {
            return Err(Error::invalid(format!(
                "{}: unknown repository format {:?} (this mailctl reads {FORMAT:?})",
                marker.display(),
                text.lines().next().unwrap_or("")
            )));
        }
        Ok(Repo { dir, written: AtomicU64::new(0), pending: Default::default() })
    }

    /// Take the repository's lock, or fail with a temporary error (exit 75) when another run
    /// holds it.
    pub fn lock(&self) -> Result<Lock> {
        match fsutil::try_lock(&self.dir.join("lock"))? {
            Some(f) => Ok(Lock(f)),
            None => Err(Error::new(
                Kind::TempFail,
                format!("another backup or prune is running on {} (its lock is held)", self.dir.display()),
            )),
        }
    }

    pub fn object_path(&self, sha256: &str) -> PathBuf {
        self.dir.join("objects").join(&sha256[..2]).join(sha256)
    }

    /// Store bytes as an object (nothing is written when it is there already). It is written
    /// under a temporary name and takes its own name at [`Repo::sync`], after one flush of
    /// the file system: an object under its own name is always whole (a later backup that
    /// finds it trusts it), without one fsync per object. Threads may put at once; one
    /// object is written once.
    pub fn put(&self, bytes: &[u8]) -> Result<ObjectRef> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let sha256 = hex(&Sha256::digest(bytes));
        let r = ObjectRef { sha256, size: bytes.len() as u64 };
        let path = self.object_path(&r.sha256);
        let dir = path.parent().expect("objects/xx").to_path_buf();
        let tmp = dir.join(format!(".{}.tmp{}-{}", r.sha256, std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed)));
        {
            // Claimed before it is written (in one critical section with the check), so that no
            // other thread writes it too.
            let mut pending = self.pending();
            if pending.contains_key(&r.sha256) || path.exists() {
                return Ok(r);
            }
            pending.insert(r.sha256.clone(), tmp.clone());
        }
        let written = fsutil::create_private_dir(&dir).and_then(|()| {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .and_then(|mut f| f.write_all(bytes))
                .map_err(|e| Error::io("writing backup object", &tmp, e))
        });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            self.pending().remove(&r.sha256);
            return Err(e);
        }
        self.written.fetch_add(r.size, Ordering::Relaxed);
        Ok(r)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, PathBuf>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes of the objects this process wrote (those that were new).
    pub fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Make every object written so far durable and give it its name: flush the file system
    /// (their content), rename each into place, flush again (the renames). A crash before the
    /// end leaves temporary files, never a damaged object under its name.
    pub fn sync(&self) -> Result<()> {
        let pending = std::mem::take(&mut *self.pending());
        if pending.is_empty() {
            return Ok(());
        }
        fsutil::sync_filesystem(&self.dir)?;
        // The renames on a few threads: each is a directory update in the kernel.
        let pending: Vec<(String, PathBuf)> = pending.into_iter().collect();
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
        let repo: &Repo = self;
        let renamed: Vec<Result<()>> = std::thread::scope(|s| {
            let workers: Vec<_> = pending
                .chunks(pending.len().div_ceil(threads).max(1))
                .map(|chunk| {
                    s.spawn(move || {
                        for (sha256, tmp) in chunk {
                            let path = repo.object_path(sha256);
                            std::fs::rename(tmp, &path).map_err(|e| Error::io("naming backup object", &path, e))?;
                        }
                        Ok(())
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().expect("a rename thread panicked")).collect()
        });
        renamed.into_iter().collect::<Result<()>>()?;
        fsutil::sync_filesystem(&self.dir)
    }

    /// Give up a backup that failed (a full disk, a store error): its objects not yet named
    /// are removed, and so is its marker. Best effort: what is left is what a crash leaves,
    /// which `list` never calls complete and `prune` removes.
    pub fn abandon(&self, id: &str) {
        for tmp in std::mem::take(&mut *self.pending()).into_values() {
            let _ = std::fs::remove_file(tmp);
        }
        let _ = std::fs::remove_file(self.partial_path(id));
    }

    /// Read an object back, checking its hash and size: None when it is missing, an error
    /// naming it when it is damaged.
    pub fn get(&self, r: &ObjectRef) -> Result<Option<Vec<u8>>> {
        let path = self.object_path(&r.sha256);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("reading backup object", &path, e)),
        };
        if bytes.len() as u64 != r.size || hex(&Sha256::digest(&bytes)) != r.sha256 {
            return Err(Error::new(
                Kind::Invalid,
                format!("backup object {} is damaged: its content no longer has its hash", path.display()),
            ));
        }
        Ok(Some(bytes))
    }

    /// An object a backup needs: its bytes, or an error naming it when it is missing or
    /// damaged (`what`: which part of backup `id` it holds).
    pub fn need(&self, id: &str, r: &ObjectRef, what: &str) -> Result<Vec<u8>> {
        self.get(r)?.ok_or_else(|| {
            Error::new(Kind::Invalid, format!("backup {id}: the object of {what} ({}) is missing", r.sha256))
        })
    }

    /// Mark a backup as under way (before anything of it is written).
    pub fn begin(&self, id: &str) -> Result<()> {
        fsutil::write_atomic(&self.partial_path(id), b"", 0o600)
    }

    /// Write a backup's manifest, synced after every object it names, and then drop its
    /// under-way marker: from here on it is complete.
    pub fn commit(&self, m: &Manifest) -> Result<()> {
        self.sync()?;
        let text = serde_json::to_vec_pretty(m).map_err(|e| Error::new(Kind::Internal, "manifest").with_source(e))?;
        fsutil::write_atomic(&self.manifest_path(&m.id), &text, 0o600)?;
        let partial = self.partial_path(&m.id);
        std::fs::remove_file(&partial).map_err(|e| Error::io("removing", &partial, e))?;
        fsutil::sync_dir(&self.dir.join("backups"))
    }

    fn manifest_path(&self, id: &str) -> PathBuf {
        self.dir.join("backups").join(format!("{id}.json"))
    }

    fn partial_path(&self, id: &str) -> PathBuf {
        self.dir.join("backups").join(format!("{id}.partial"))
    }

    /// The ids of every backup in the repository, oldest first, each with whether it is
    /// complete (has its manifest) or was begun and never finished (a crash, kill -9 or a full
    /// disk). Only names are read, no manifest.
    pub fn ids(&self) -> Result<Vec<(String, bool)>> {
        let dir = self.dir.join("backups");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io("reading", &dir, e))? {
            let name = entry.map_err(|e| Error::io("reading", &dir, e))?.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".partial") {
                // A manifest beside it means the crash came between the two steps of commit.
                if !self.manifest_path(id).exists() {
                    out.push((id.to_string(), false));
                }
            } else if let Some(id) = name.strip_suffix(".json") {
                out.push((id.to_string(), true));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Every backup in the repository, oldest first: complete ones with their manifest,
    /// and those never finished.
    pub fn list(&self) -> Result<Vec<Listed>> {
        self.ids()?
            .into_iter()
            .map(|(id, complete)| {
                Ok(if complete { Listed::Complete(Box::new(self.manifest(&id)?)) } else { Listed::Incomplete { id } })
            })
            .collect()
    }

    /// A complete backup's manifest.
    pub fn manifest(&self, id: &str) -> Result<Manifest> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(Error::invalid(format!("{id:?} is not a backup id")));
        }
        let path = self.manifest_path(id);
        let text = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::not_found(format!("no complete backup {id} in {}", self.dir.display()))
            } else {
                Error::io("reading", &path, e)
            }
        })?;
        serde_json::from_slice(&text).map_err(|e| {
            Error::new(Kind::Invalid, format!("backup manifest {} cannot be read", path.display())).with_source(e)
        })
    }
}

/// One entry of [`Repo::list`].
#[derive(Debug)]
pub enum Listed {
    Complete(Box<Manifest>),
    Incomplete { id: String },
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_is_stored_once_under_its_hash_and_read_back_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repo::create_or_open(&tmp.path().join("r")).unwrap();
        let a = repo.put(b"hello").unwrap();
        let b = repo.put(b"hello").unwrap();
        assert_eq!(a, b);
        assert_eq!(repo.bytes_written(), 5);
        repo.sync().unwrap();
        assert_eq!(a.sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert_eq!(repo.get(&a).unwrap().unwrap(), b"hello");
        std::fs::write(repo.object_path(&a.sha256), b"jello").unwrap();
        assert_eq!(repo.get(&a).unwrap_err().kind, Kind::Invalid);
        std::fs::remove_file(repo.object_path(&a.sha256)).unwrap();
        assert_eq!(repo.get(&a).unwrap(), None);
    }

    #[test]
    fn a_directory_holding_something_else_is_not_taken_for_a_repository() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("notes.txt"), "x").unwrap();
        assert_eq!(Repo::create_or_open(tmp.path()).err().unwrap().kind, Kind::Invalid);
    }

    #[test]
    fn a_backup_without_its_manifest_is_listed_incomplete() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repo::create_or_open(tmp.path()).unwrap();
        repo.begin("20261203T000000Z").unwrap();
        let listed = repo.list().unwrap();
        assert!(matches!(&listed[..], [Listed::Incomplete { id }] if id == "20261203T000000Z"));
        let _held = repo.lock().unwrap();
        assert_eq!(repo.lock().err().unwrap().kind, Kind::TempFail);
    }
}

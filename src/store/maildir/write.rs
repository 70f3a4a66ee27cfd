//! The one durable write of message files, for delivery, APPEND and COPY: the content goes
//! into the first destination folder's `tmp/`, is hard-linked into every other destination's
//! `tmp/` (copied and fsync'd where a link cannot be made), and each `tmp/` file is linked to
//! its final name in `new/` or `cur/`. The content of the files written ([`Placed::content`])
//! and the directories that got a name ([`Placed::dirs`]) are synced by the store's group
//! commit (`store::writer`), all at the same time and beside the transaction that indexes
//! them; the write is acknowledged once both are on stable storage. A power cut in between can
//! leave a durable row naming a file that is gone or empty: never acknowledged, and removed at
//! the next start (rows above the `files_synced` mark, `store::files_synced`).
//!
//! The `tmp/` links stay until the caller calls [`Placed::release_tmp`]: delivery keeps them
//! until the index commit, so start-up recovery can tell an unacknowledged file (a `tmp/`
//! twin and no index row) from a delivered one.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where a message's content comes from.
pub enum Source<'a> {
    /// Bytes in memory, written in this order.
    Bytes(&'a [&'a [u8]]),
    /// A file already durable (COPY): linked, not rewritten.
    File(&'a Path),
}

/// One message to place: its base name and its final paths (`<folder>/new/<base>` or
/// `<folder>/cur/<base>:2,<letters>`), one per destination folder.
pub struct Item<'a> {
    pub source: Source<'a>,
    pub base: &'a str,
    pub dests: Vec<PathBuf>,
}

/// What a write created.
#[derive(Debug, Default)]
pub struct Placed {
    pub tmp: Vec<PathBuf>,
    pub files: Vec<PathBuf>,
    /// The directories that got a final name (each once).
    pub dirs: Vec<PathBuf>,
    /// The files whose content was written here and is not synced yet (open, so a rename
    /// for new flags cannot lose them), each with its first final path (for errors).
    pub content: Vec<(std::fs::File, PathBuf)>,
}

/// The most bytes a delivery or APPEND writes on the session's own thread
/// (`store::here_or_blocking`).
pub const INLINE_WRITE: u64 = 64 * 1024;

/// What must reach stable storage, with the rows that name a write's files, before the write
/// is acknowledged.
#[derive(Debug, Default)]
pub struct Unsynced {
    /// Open message files, each with the path an error names.
    pub files: Vec<(std::fs::File, PathBuf)>,
    pub dirs: Vec<PathBuf>,
}

impl Unsynced {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.dirs.is_empty()
    }
}

impl Placed {
    /// What the group commit must sync before indexing these files (the open files move out).
    pub fn unsynced(&mut self) -> Unsynced {
        Unsynced { files: std::mem::take(&mut self.content), dirs: self.dirs.clone() }
    }

    /// After a failed durable write: remove everything, unless its rows were committed (a sync
    /// after the commit failed, `store::writer::CommittedNotDurable`): those rows name the
    /// files, which stay for the next start to check. Returns whether it removed them.
    pub fn undo_unless_committed(&self, e: &crate::error::Error) -> bool {
        let committed = crate::store::writer::committed_not_durable(e);
        if !committed {
            self.undo();
        }
        !committed
    }

    /// Remove everything (the index change failed: the message was never stored).
    pub fn undo(&self) {
        for f in self.files.iter().chain(&self.tmp) {
            let _ = std::fs::remove_file(f);
        }
    }

    /// Remove the `tmp/` links (the message is stored).
    pub fn release_tmp(&self) {
        for f in &self.tmp {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// The folder of a final path (`<folder>/cur/<name>`).
fn folder_of(dest: &Path) -> &Path {
    dest.parent().and_then(Path::parent).unwrap_or(Path::new("."))
}

/// A hard link, or a copy fsync'd where the file system cannot link (another device, no
/// hard links, too many links).
fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Err(e) if matches!(e.raw_os_error(), Some(libc::EXDEV | libc::EMLINK | libc::EPERM | libc::ENOTSUP)) => {
            // create_new: never overwrite, as a link would not.
            let mut out = std::fs::OpenOptions::new().write(true).create_new(true).open(to)?;
            let copied = std::fs::File::open(from)
                .and_then(|mut f| std::io::copy(&mut f, &mut out))
                .and_then(|_| out.sync_all());
            if copied.is_err() {
                let _ = std::fs::remove_file(to);
            }
            copied
        }
        r => r,
    }
}

/// Place every item, its content written but not synced, nor the directories that name it:
/// the files count as stored only once `Placed::content` and `Placed::dirs` are synced, which
/// the store's group commit does beside the transaction that writes the rows naming them
/// (`store::writer`). On error everything created is removed.
pub fn write(items: &[Item<'_>]) -> Result<Placed> {
    let mut placed = Placed::default();
    let r = place(items, &mut placed);
    if r.is_err() {
        placed.undo();
    }
    r.map(|()| placed)
}

fn place(items: &[Item<'_>], placed: &mut Placed) -> Result<()> {
    for item in items {
        let Some(first) = item.dests.first() else { continue };
        let tmp0 = folder_of(first).join("tmp").join(item.base);
        match item.source {
            Source::Bytes(parts) => {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&tmp0)
                    .map_err(|e| Error::io("writing", &tmp0, e))?;
                if let Err(e) = parts.iter().try_for_each(|p| f.write_all(p)) {
                    let _ = std::fs::remove_file(&tmp0);
                    return Err(Error::io("writing", &tmp0, e));
                }
                placed.content.push((f, first.clone()));
            }
            Source::File(from) => link_or_copy(from, &tmp0).map_err(|e| Error::io("copying to", &tmp0, e))?,
        }
        // Recorded once made, so an undo never removes a file someone else made.
        placed.tmp.push(tmp0.clone());
        for dest in &item.dests[1..] {
            let t = folder_of(dest).join("tmp").join(item.base);
            link_or_copy(&tmp0, &t).map_err(|e| Error::io("linking", &t, e))?;
            placed.tmp.push(t);
        }
        for dest in &item.dests {
            let t = folder_of(dest).join("tmp").join(item.base);
            std::fs::hard_link(&t, dest).map_err(|e| Error::io("linking", dest, e))?;
            placed.files.push(dest.clone());
            let dir = dest.parent().unwrap_or(Path::new("."));
            if !placed.dirs.iter().any(|d| d == dir) {
                placed.dirs.push(dir.to_path_buf());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(root: &Path, name: &str) -> PathBuf {
        let f = root.join(name);
        for s in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(f.join(s)).unwrap();
        }
        f
    }

    #[test]
    fn one_write_reaches_every_destination_and_keeps_tmp_until_released() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (folder(d.path(), "a"), folder(d.path(), "b"));
        let dests = vec![a.join("new/m1"), b.join("cur/m1:2,S")];
        let placed = write(&[Item { source: Source::Bytes(&[b"head\r\n", b"body\r\n"]), base: "m1", dests }]).unwrap();
        assert_eq!(std::fs::read(a.join("new/m1")).unwrap(), b"head\r\nbody\r\n");
        assert_eq!(std::fs::read(b.join("cur/m1:2,S")).unwrap(), b"head\r\nbody\r\n");
        assert!(a.join("tmp/m1").exists() && b.join("tmp/m1").exists());
        placed.release_tmp();
        assert!(!a.join("tmp/m1").exists() && !b.join("tmp/m1").exists());
        assert!(a.join("new/m1").exists());

        // COPY: from a stored file, under a new name.
        let placed =
            write(&[Item { source: Source::File(&a.join("new/m1")), base: "m2", dests: vec![b.join("cur/m2:2,")] }])
                .unwrap();
        placed.release_tmp();
        assert_eq!(std::fs::read(b.join("cur/m2:2,")).unwrap(), b"head\r\nbody\r\n");
    }

    #[test]
    fn a_write_names_each_directory_to_sync_once() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (folder(d.path(), "a"), folder(d.path(), "b"));
        let items = [
            Item { source: Source::Bytes(&[b"x"]), base: "m1", dests: vec![a.join("new/m1"), b.join("new/m1")] },
            Item { source: Source::Bytes(&[b"y"]), base: "m2", dests: vec![a.join("new/m2")] },
        ];
        let placed = write(&items).unwrap();
        assert_eq!(placed.dirs, vec![a.join("new"), b.join("new")]);
        for dir in &placed.dirs {
            crate::fsutil::sync_dir(dir).unwrap();
        }
        assert_eq!(std::fs::read(b.join("new/m1")).unwrap(), b"x");
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let d = tempfile::tempdir().unwrap();
        let a = folder(d.path(), "a");
        std::fs::write(a.join("new/taken"), b"old").unwrap();
        let items = [
            Item { source: Source::Bytes(&[b"x"]), base: "ok", dests: vec![a.join("new/ok")] },
            Item { source: Source::Bytes(&[b"y"]), base: "taken", dests: vec![a.join("new/taken")] },
        ];
        assert!(write(&items).is_err());
        assert!(!a.join("new/ok").exists() && !a.join("tmp/ok").exists() && !a.join("tmp/taken").exists());
        assert_eq!(std::fs::read(a.join("new/taken")).unwrap(), b"old", "an existing file is never replaced");
    }
}

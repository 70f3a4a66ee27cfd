//! Maildir++ on disk, in Dovecot's layout: `<root>/{cur,new,tmp}` for INBOX and
//! `<root>/.<Folder>/{cur,new,tmp}` (with a `maildirfolder` marker) for the others. This
//! module owns everything about the files: the layout and folder names ([`folder_path`],
//! [`folder_name`]), message file names and finding them ([`file`]), [`Flags`] and their
//! forms, the CRLF view of LF files ([`crlf`]), and the one durable write ([`write`]).
//! `ops` keeps the use cases.

pub mod crlf;
pub mod file;
pub mod flags;
pub mod scan;
pub mod write;

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub use flags::{Flag, Flags};

/// Where spam and quarantined mail goes (special-use \\Junk).
pub const JUNK: &str = "Junk";
pub const SENT: &str = "Sent";
pub const DRAFTS: &str = "Drafts";
pub const TRASH: &str = "Trash";
/// The folders every account gets, besides INBOX.
pub const STANDARD_FOLDERS: [&str; 4] = [SENT, DRAFTS, TRASH, JUNK];
const SUBDIRS: [&str; 3] = ["cur", "new", "tmp"];

/// The hierarchy delimiter (Maildir++ uses `.`, as Dovecot does).
pub const DELIM: char = '.';

use crate::fsutil::create_private_dir as mkdir;

/// Refuse folder names that could escape the account's Maildir or that Maildir++ cannot
/// hold: empty levels, `/`, control characters, wildcards, a leading `.` or `~`.
pub fn check_name(name: &str) -> Result<()> {
    let bad = |why: &str| Err(Error::invalid(format!("mailbox name not allowed: {why}")));
    if name.is_empty() || name.len() > 255 {
        return bad("empty or longer than 255 bytes");
    }
    if name.chars().any(|c| c.is_control() || matches!(c, '/' | '\\' | '*' | '%')) {
        return bad("control characters, '/', '\\', '*' and '%' are not allowed");
    }
    if name.starts_with('~') || name.split(DELIM).any(|p| p.is_empty() || p == "..") {
        return bad("empty hierarchy levels and a leading '~' are not allowed");
    }
    Ok(())
}

/// The directory of a folder: the root for INBOX, `.Name` for the others.
pub fn folder_path(root: &Path, name: &str) -> PathBuf {
    if name == "INBOX" { root.to_path_buf() } else { root.join(format!(".{name}")) }
}

/// The folder name of a directory (`.Sent` is "Sent"; the root is "INBOX").
pub fn folder_name(root: &Path, folder: &Path) -> String {
    if folder == root {
        return "INBOX".into();
    }
    folder.file_name().map(|n| n.to_string_lossy().trim_start_matches('.').to_string()).unwrap_or_default()
}

/// Create a folder's directories and its `maildirfolder` marker; existing content is kept.
pub fn create_folder(dir: &Path) -> Result<()> {
    for sub in SUBDIRS {
        mkdir(&dir.join(sub))?;
    }
    let marker = dir.join("maildirfolder");
    if !marker.exists() {
        fs::write(&marker, b"").map_err(|e| Error::io("creating", &marker, e))?;
    }
    Ok(())
}

/// Create the Maildir with its standard folders; existing content is kept.
pub fn create(root: &Path) -> Result<()> {
    for sub in SUBDIRS {
        mkdir(&root.join(sub))?;
    }
    for folder in STANDARD_FOLDERS {
        create_folder(&folder_path(root, folder))?;
    }
    crate::fsutil::sync_dir(root.parent().unwrap_or(root))?;
    Ok(())
}

/// The folder directories of a Maildir: the root (INBOX) and every `.Folder`.
pub fn folders(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = vec![root.to_path_buf()];
    let entries = match fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(Error::io("reading", root, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("reading", root, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name != "." && name != ".." && entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// Bytes and messages in `cur/` and `new/` of every folder (not `tmp/`).
pub fn usage(root: &Path) -> Result<(u64, u64)> {
    let (mut bytes, mut count) = (0u64, 0u64);
    for folder in folders(root)? {
        for sub in ["cur", "new"] {
            let dir = folder.join(sub);
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("reading", &dir, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| Error::io("reading", &dir, e))?;
                let meta = match entry.metadata() {
                    Ok(m) => m,
                    // Moved or expunged while we walked: not counted.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(Error::io("reading", &entry.path(), e)),
                };
                if meta.is_file() && !entry.file_name().to_string_lossy().starts_with('.') {
                    bytes += meta.len();
                    count += 1;
                }
            }
        }
    }
    Ok((bytes, count))
}

/// Move a Maildir out of the way (for deletion after the database commit): returns the new path.
pub fn set_aside(root: &Path) -> Result<Option<PathBuf>> {
    if !root.exists() {
        return Ok(None);
    }
    let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let aside = root.with_file_name(format!(".deleted-{name}-{}", std::process::id()));
    fs::rename(root, &aside).map_err(|e| Error::io("moving aside", root, e))?;
    Ok(Some(aside))
}

/// Where a deleted folder waits for removal: inside the account's `tmp/`, which nothing lists
/// as a folder, so a login's folder sync cannot bring it back. The holder directory is
/// `<root>/tmp/.deleted-<unique>/` and the folder keeps its directory name inside it.
const FOLDER_ASIDE: &str = ".deleted-";

/// Move a folder out of the account's Maildir (DELETE, before the index forgets it): returns
/// the holder directory, or None when the folder has no directory.
pub fn set_folder_aside(root: &Path, folder: &Path) -> Result<Option<PathBuf>> {
    let Some(dir_name) = folder.file_name() else { return Ok(None) };
    if !folder.exists() {
        return Ok(None);
    }
    let holder = root.join("tmp").join(format!("{FOLDER_ASIDE}{}", crate::ids::new_id()));
    mkdir(&holder)?;
    if let Err(e) = fs::rename(folder, holder.join(dir_name)) {
        let _ = fs::remove_dir(&holder);
        return Err(Error::io("moving aside", folder, e));
    }
    Ok(Some(holder))
}

/// Put a folder set aside back (the index change failed, or a crash cut a DELETE short
/// before the index forgot it).
pub fn restore_folder(root: &Path, holder: &Path) -> Result<()> {
    for entry in fs::read_dir(holder).map_err(|e| Error::io("reading", holder, e))?.flatten() {
        let to = root.join(entry.file_name());
        fs::rename(entry.path(), &to).map_err(|e| Error::io("restoring", &to, e))?;
    }
    fs::remove_dir(holder).map_err(|e| Error::io("removing", holder, e))
}

/// Folders set aside in this account's Maildir: (holder, the folder name it holds).
pub fn folders_set_aside(root: &Path) -> Vec<(PathBuf, String)> {
    let Ok(entries) = fs::read_dir(root.join("tmp")) else { return Vec::new() };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(FOLDER_ASIDE) && e.path().is_dir())
        .map(|e| {
            let inside = fs::read_dir(e.path()).ok().and_then(|mut d| d.next()).and_then(|f| f.ok());
            let name = inside.map(|f| folder_name(root, &root.join(f.file_name()))).unwrap_or_default();
            (e.path(), name)
        })
        .collect()
}

/// Put a set-aside Maildir back (the database change failed).
pub fn restore(aside: &Path, root: &Path) {
    let _ = fs::rename(aside, root);
}

pub fn remove(path: &Path) -> Result<()> {
    fs::remove_dir_all(path).map_err(|e| Error::io("removing", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_and_measure() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("d/u");
        create(&root).unwrap();
        for f in STANDARD_FOLDERS {
            assert!(root.join(format!(".{f}/cur")).is_dir());
            assert!(root.join(format!(".{f}/maildirfolder")).is_file());
        }
        fs::write(root.join("new/1.a"), b"hello").unwrap();
        fs::write(root.join(".Sent/cur/2.b:2,S"), b"abc").unwrap();
        fs::write(root.join("tmp/3.c"), b"ignored").unwrap();
        assert_eq!(usage(&root).unwrap(), (8, 2));
        create(&root).unwrap();
        assert_eq!(usage(&root).unwrap(), (8, 2), "create keeps content");
    }

    #[test]
    fn folder_names_map_to_directories_and_back() {
        let root = Path::new("/m/example.com/bob");
        for (name, dir) in [
            ("INBOX", "/m/example.com/bob"),
            ("Sent", "/m/example.com/bob/.Sent"),
            ("Work.2026", "/m/example.com/bob/.Work.2026"),
        ] {
            assert_eq!(folder_path(root, name), Path::new(dir));
            assert_eq!(folder_name(root, Path::new(dir)), name);
        }
    }

    #[test]
    fn folder_names_that_could_escape_the_maildir_are_refused() {
        for ok in ["Sent", "Work.2026", "Archive.Old.Stuff", "Caf&AOk-", "a b"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        let long = "x".repeat(256);
        for bad in [
            "",
            "../x",
            "/etc",
            "a/b",
            "a..b",
            ".hidden",
            "x.",
            "~root",
            "a\u{1}b",
            "a*",
            "%",
            "a\\b",
            "..",
            long.as_str(),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}

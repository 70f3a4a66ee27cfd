//! Message files: their names (a unique base, then `:2,` and the flag letters in `cur/`),
//! where one is found, and renaming one when its flags change.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::flags::{Flags, INFO};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A base name unique on this host (Dovecot's form: time.MusecPpidQn.host,S=size).
pub fn unique_name(hostname: &str, size: usize) -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let host: String = hostname.chars().map(|c| if c == '/' || c == ':' { '_' } else { c }).collect();
    format!(
        "{}.M{}P{}Q{}.{host},S={size}",
        t.as_secs(),
        t.subsec_micros(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A file name's base: what is before the info (`:2,`), the key the index holds.
pub fn base(name: &str) -> &str {
    name.split(INFO).next().unwrap_or(name)
}

/// The size as IMAP sends it, when the name says (Dovecot's `,W=`).
pub fn wire_size(name: &str) -> Option<i64> {
    base(name).split(',').find_map(|p| p.strip_prefix("W=")).and_then(|w| w.parse().ok())
}

/// The path a message with these flags has in `cur/`.
pub fn cur_path(folder: &Path, base: &str, flags: &Flags) -> PathBuf {
    folder.join("cur").join(format!("{base}{}", flags.info()))
}

/// Where a message file is: `cur/base:2,<flags>` as we name it, else `new/base`, else any
/// `base:2,...` in `cur/` or `new/` (renamed by another tool, or by a crash between commit
/// and rename).
pub fn locate(folder: &Path, base: &str, flags: &Flags) -> Option<PathBuf> {
    let expected = cur_path(folder, base, flags);
    if expected.exists() {
        return Some(expected);
    }
    let new = folder.join("new").join(base);
    if new.exists() {
        return Some(new);
    }
    let prefix = format!("{base}{INFO}");
    let found = ["cur", "new"].iter().find_map(|sub| {
        std::fs::read_dir(folder.join(sub))
            .ok()?
            .flatten()
            .find(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                n == base || n.starts_with(&prefix)
            })
            .map(|e| e.path())
    })?;
    // A file from another server may carry Dovecot keyword letters (`:2,Sa`) that we do not
    // keep: give it the name we expect, so the next lookup is one stat, not a directory scan.
    let name = found.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let foreign = name.split_once(INFO).is_some_and(|(_, i)| i.chars().any(|c| c.is_ascii_lowercase()));
    if foreign && std::fs::rename(&found, &expected).is_ok() {
        return Some(expected);
    }
    Some(found)
}

/// Read a message file of `folder`, wherever it is ([`at_any_name`]). NotFound when it is under
/// no name: expunged.
pub fn read(folder: &Path, base: &str, flags: &Flags) -> std::io::Result<Vec<u8>> {
    at_any_name(folder, base, flags, |p| std::fs::read(p))
}

/// Remove a message file of `folder` (an expunge), wherever it is ([`at_any_name`]). NotFound
/// when it is under no name.
pub fn remove(folder: &Path, base: &str, flags: &Flags) -> std::io::Result<()> {
    at_any_name(folder, base, flags, |p| std::fs::remove_file(p))
}

/// Do `op` on a message file of `folder`: first where its flags say ([`cur_path`], no stat
/// first), else wherever [`locate`] finds it. Another session's flag change renames it (`:2,`
/// flags) at any moment, so a file that vanished between locating and `op` is looked for again
/// under its base name (a rename is atomic: it is always under one name, until expunged). A
/// directory listing may miss an entry renamed while it is read, so one search that finds
/// nothing is tried once more. `op`'s NotFound when it is under no name.
fn at_any_name<T>(
    folder: &Path,
    base: &str,
    flags: &Flags,
    op: impl Fn(&Path) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut path = cur_path(folder, base, flags);
    let mut searches = 0;
    loop {
        match op(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && searches < 3 => {
                searches += 1;
                match locate(folder, base, flags) {
                    Some(p) => path = p,
                    None if searches < 2 => {}
                    None => return Err(e),
                }
            }
            r => return r,
        }
    }
}

/// Rename a message file to match its flags (best effort: the index is what counts).
pub fn rename_for_flags(folder: &Path, base: &str, old: &Flags, new: &Flags) {
    if rename_in_place(folder, base, old, new) {
        return;
    }
    let to = cur_path(folder, base, new);
    if let Some(from) = locate(folder, base, old)
        && from != to
    {
        let _ = std::fs::rename(from, to);
    }
}

/// The quick part of [`rename_for_flags`], one system call: true when the file was where its
/// old flags say, and now has the name its new flags say.
pub fn rename_in_place(folder: &Path, base: &str, old: &Flags, new: &Flags) -> bool {
    let (from, to) = (cur_path(folder, base, old), cur_path(folder, base, new));
    from == to || std::fs::rename(from, to).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Flags {
        Flags::from_index(s)
    }

    #[test]
    fn a_file_renamed_for_new_flags_after_it_was_located_is_still_read() {
        let d = tempfile::tempdir().unwrap();
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(d.path().join(sub)).unwrap();
        }
        // Indexed as unseen; another session's STORE \Seen renamed it before the read.
        std::fs::write(d.path().join("cur/m1:2,S"), b"Subject: x\r\n\r\nbody\r\n").unwrap();
        assert_eq!(read(d.path(), "m1", &f("")).unwrap(), b"Subject: x\r\n\r\nbody\r\n");
        // Expunged (no file under any name): still an error, for the caller to tell which.
        std::fs::remove_file(d.path().join("cur/m1:2,S")).unwrap();
        assert!(read(d.path(), "m1", &f("")).is_err());
    }

    #[test]
    fn a_file_is_removed_under_whatever_name_it_has() {
        let d = tempfile::tempdir().unwrap();
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(d.path().join(sub)).unwrap();
        }
        let cases = [
            ("cur/m1:2,S", "m1", ""),        // renamed for \Seen by another session
            ("new/m2", "m2", "\\Seen"),      // never moved to cur/
            ("cur/m3:2,FS", "m3", "\\Seen"), // another tool's flags
            ("cur/m4:2,S", "m4", "\\Seen"),  // where its flags say
        ];
        for (file, base, flags) in cases {
            std::fs::write(d.path().join(file), b"x").unwrap();
            remove(d.path(), base, &f(flags)).unwrap();
            assert!(!d.path().join(file).exists(), "{file}");
            // Under no name: NotFound, for the caller to tell from a failure.
            let gone = remove(d.path(), base, &f(flags)).unwrap_err();
            assert_eq!(gone.kind(), std::io::ErrorKind::NotFound, "{file}");
        }
    }

    #[test]
    fn a_base_name_is_what_precedes_the_info() {
        let cases = [
            ("1.M2P3.h,S=5:2,FS", "1.M2P3.h,S=5"),
            ("1.M2P3.h,S=5", "1.M2P3.h,S=5"),
            ("1.M2P3.h:2,", "1.M2P3.h"),
            ("", ""),
        ];
        for (name, b) in cases {
            assert_eq!(base(name), b, "{name}");
        }
    }

    #[test]
    fn wire_size_comes_from_dovecots_w_field() {
        let cases = [
            ("1.M1P1.h,S=10,W=12:2,S", Some(12)),
            ("1.M1P1.h,S=10", None),
            ("1.M1P1.h,W=x", None),
            ("1.M1P1.h:2,W=12", None),
        ];
        for (name, w) in cases {
            assert_eq!(wire_size(name), w, "{name}");
        }
    }

    #[test]
    fn unique_names_carry_the_size_and_no_separator_from_the_host() {
        let (a, b) = (unique_name("mx/1:2", 42), unique_name("mx/1:2", 42));
        assert_ne!(a, b);
        assert!(a.ends_with(".mx_1_2,S=42"), "{a}");
        assert!(!a.contains('/') && !a.contains(INFO));
    }

    #[test]
    fn locating() {
        let d = tempfile::tempdir().unwrap();
        for s in ["cur", "new", "tmp"] {
            std::fs::create_dir(d.path().join(s)).unwrap();
        }
        std::fs::write(d.path().join("new/a"), b"x").unwrap();
        std::fs::write(d.path().join("cur/b:2,S"), b"x").unwrap();
        std::fs::write(d.path().join("cur/c:2,FS"), b"x").unwrap();
        assert_eq!(locate(d.path(), "a", &f("")), Some(d.path().join("new/a")));
        assert_eq!(locate(d.path(), "b", &f("\\Seen")), Some(d.path().join("cur/b:2,S")));
        assert_eq!(locate(d.path(), "c", &f("")), Some(d.path().join("cur/c:2,FS")));
        assert_eq!(locate(d.path(), "z", &f("")), None);
        std::fs::write(d.path().join("cur/k:2,Sab"), b"x").unwrap();
        assert_eq!(locate(d.path(), "k", &f("\\Seen")), Some(d.path().join("cur/k:2,S")), "keyword letters dropped");
        rename_for_flags(d.path(), "a", &f(""), &f("\\Seen"));
        assert!(d.path().join("cur/a:2,S").exists());
    }
}

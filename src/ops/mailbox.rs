//! An account's mailboxes as IMAP changes them: folders (create, delete, rename), and
//! messages (append, copy, flags, expunge), keeping the index, the usage and the Maildir in
//! step. The index is authoritative; file names follow it (`:2,` flags, as Dovecot writes
//! them) so the Maildir stays usable by other tools.
//!
//! Errors: `Kind::NotFound` (no such mailbox), `Kind::Exists`, `Kind::Invalid` (a name that is
//! not allowed), `Kind::OverQuota`, anything else is a server fault.

use std::path::{Path, PathBuf};

use crate::error::{Error, Kind, Result};
use crate::names::Address;
use crate::store::mailboxes::{self, Mailbox};
use crate::store::{Account, Store, accounts, maildir, messages};

/// The hierarchy delimiter (Maildir++ uses `.`, as Dovecot does).
pub const DELIM: char = '.';

/// The special-use attribute of the standard folders (RFC 6154).
pub fn special_use(name: &str) -> Option<&'static str> {
    match name {
        "Sent" => Some("\\Sent"),
        "Drafts" => Some("\\Drafts"),
        "Trash" => Some("\\Trash"),
        "Junk" => Some("\\Junk"),
        _ => None,
    }
}

/// Refuse names that could escape the account's Maildir or that Maildir++ cannot hold:
/// empty levels, `/`, control characters, wildcards, a leading `.` or `~`.
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

pub fn maildir_root(store: &Store, account: &Account) -> PathBuf {
    store.maildir_path(&Address { local: account.local_part.clone(), domain: account.domain.clone() })
}

/// The Maildir++ directory of a mailbox: the root for INBOX, `.Name` for the others.
pub fn folder_path(root: &Path, name: &str) -> PathBuf {
    if name == "INBOX" { root.to_path_buf() } else { root.join(format!(".{name}")) }
}

/// Maildir info letters for IMAP flags (`:2,` then sorted letters).
pub fn info(flags: &str) -> String {
    let mut letters: Vec<char> = flags
        .split(' ')
        .filter_map(|f| match f {
            "\\Draft" => Some('D'),
            "\\Flagged" => Some('F'),
            "$Forwarded" => Some('P'),
            "\\Answered" => Some('R'),
            "\\Seen" => Some('S'),
            "\\Deleted" => Some('T'),
            _ => None,
        })
        .collect();
    letters.sort_unstable();
    letters.dedup();
    format!(":2,{}", letters.into_iter().collect::<String>())
}

/// Where a message file is: `cur/base:2,<flags>` as we name it, else `new/base`, else any
/// `base:2,...` in `cur/` or `new/` (renamed by another tool, or by a crash between commit
/// and rename).
pub fn locate(folder: &Path, base: &str, flags: &str) -> Option<PathBuf> {
    let expected = folder.join("cur").join(format!("{base}{}", info(flags)));
    if expected.exists() {
        return Some(expected);
    }
    let new = folder.join("new").join(base);
    if new.exists() {
        return Some(new);
    }
    let prefix = format!("{base}:2,");
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
    let foreign = name.split_once(":2,").is_some_and(|(_, i)| i.chars().any(|c| c.is_ascii_lowercase()));
    if foreign && std::fs::rename(&found, &expected).is_ok() {
        return Some(expected);
    }
    Some(found)
}

/// Rename a message file to match its flags (best effort: the index is what counts).
fn rename_for_flags(folder: &Path, base: &str, old_flags: &str, new_flags: &str) {
    let to = folder.join("cur").join(format!("{base}{}", info(new_flags)));
    if let Some(from) = locate(folder, base, old_flags)
        && from != to
    {
        let _ = std::fs::rename(from, to);
    }
}

/// Does the message use bare LF line ends (as Dovecot stores mail by default)?
pub fn has_bare_lf(data: &[u8]) -> bool {
    memchr::memchr_iter(b'\n', data).any(|i| i == 0 || data[i - 1] != b'\r')
}

/// The message with CRLF line ends, as IMAP and POP3 must send it.
pub fn to_crlf(data: Vec<u8>) -> Vec<u8> {
    if !has_bare_lf(&data) {
        return data;
    }
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' && (i == 0 || data[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Read a message file, with CRLF line ends.
pub fn read_message(path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::read(path).map(to_crlf)
}

/// Make sure every folder on disk has an index row, and INBOX exists (at login).
pub async fn sync_folders(store: &Store, account: &Account) -> Result<()> {
    let root = maildir_root(store, account);
    let root2 = root.clone();
    let dirs = crate::ops::blocking(move || maildir::folders(&root2)).await?;
    let mut conn = store.pool.acquire().await?;
    let known: Vec<String> = mailboxes::list(&mut conn, account.id).await?.into_iter().map(|m| m.name).collect();
    for d in dirs {
        let name = crate::ops::reindex::folder_name(&root, &d);
        if !known.contains(&name) && check_name(&name).is_ok() {
            messages::ensure_mailbox(&mut conn, account.id, &name).await?;
        }
    }
    if !known.iter().any(|n| n == "INBOX") {
        messages::ensure_mailbox(&mut conn, account.id, "INBOX").await?;
    }
    Ok(())
}

fn make_folder(dir: &Path) -> Result<()> {
    for sub in ["cur", "new", "tmp"] {
        crate::fsutil::create_private_dir(&dir.join(sub))?;
    }
    let marker = dir.join("maildirfolder");
    if !marker.exists() {
        std::fs::write(&marker, b"").map_err(|e| Error::io("creating", &marker, e))?;
    }
    Ok(())
}

/// CREATE: the mailbox and any missing parents.
pub async fn create(store: &Store, account: &Account, name: &str) -> Result<()> {
    let name = name.trim_end_matches(DELIM);
    check_name(name)?;
    let mut conn = store.pool.acquire().await?;
    if name.eq_ignore_ascii_case("INBOX") || mailboxes::get(&mut conn, account.id, name).await?.is_some() {
        return Err(Error::exists(format!("mailbox {name} exists")));
    }
    let root = maildir_root(store, account);
    let mut path = String::new();
    for level in name.split(DELIM) {
        if !path.is_empty() {
            path.push(DELIM);
        }
        path.push_str(level);
        if mailboxes::get(&mut conn, account.id, &path).await?.is_none() {
            let dir = folder_path(&root, &path);
            crate::ops::blocking(move || make_folder(&dir)).await?;
            messages::ensure_mailbox(&mut conn, account.id, &path).await?;
        }
    }
    let r2 = root.clone();
    crate::ops::blocking(move || crate::fsutil::sync_dir(&r2)).await
}

pub async fn require(conn: &mut sqlx::AnyConnection, account: &Account, name: &str) -> Result<Mailbox> {
    mailboxes::get(conn, account.id, name).await?.ok_or_else(|| Error::not_found(format!("no mailbox {name}")))
}

/// DELETE: a mailbox without children; its messages go, and the usage with them.
pub async fn delete(store: &Store, account: &Account, name: &str) -> Result<()> {
    if name == "INBOX" {
        return Err(Error::invalid("INBOX cannot be deleted"));
    }
    let mut tx = store.begin_write().await?;
    let m = require(&mut tx, account, name).await?;
    let prefix = format!("{name}{DELIM}");
    if mailboxes::list(&mut tx, account.id).await?.iter().any(|c| c.name.starts_with(&prefix)) {
        return Err(Error::new(Kind::Exists, format!("{name} has child mailboxes; delete them first")));
    }
    let (bytes, count) = mailboxes::delete(&mut tx, m.id).await?;
    accounts::add_usage(&mut tx, account.id, -bytes, -count).await?;
    mailboxes::subscribe(&mut tx, account.id, name, false).await?;
    tx.commit().await?;
    store.changed(m.id);
    let dir = folder_path(&maildir_root(store, account), name);
    crate::ops::blocking(move || {
        if let Some(aside) = maildir::set_aside(&dir)? {
            maildir::remove(&aside)?;
        }
        Ok(())
    })
    .await
}

/// RENAME (with children). Renaming INBOX moves its messages to the new mailbox and leaves
/// INBOX empty (RFC 3501 §6.3.5).
pub async fn rename(store: &Store, account: &Account, from: &str, to: &str) -> Result<()> {
    let to = to.trim_end_matches(DELIM);
    check_name(to)?;
    let mut conn = store.pool.acquire().await?;
    let src = require(&mut conn, account, from).await?;
    if to.eq_ignore_ascii_case("INBOX") || mailboxes::get(&mut conn, account.id, to).await?.is_some() {
        return Err(Error::exists(format!("mailbox {to} exists")));
    }
    if from == "INBOX" {
        drop(conn);
        create(store, account, to).await?;
        let mut conn = store.pool.acquire().await?;
        let rows = messages::rows_light(&mut conn, src.id, 1, i64::MAX).await?;
        drop(conn);
        // Only what was copied leaves INBOX.
        let (_, pairs) = copy(store, account, &src, &rows, to).await?;
        let copied: Vec<i64> = pairs.iter().map(|p| p.0).collect();
        return expunge(store, account, &src, &copied, false).await.map(|_| ());
    }
    if to.starts_with(&format!("{from}{DELIM}")) {
        return Err(Error::invalid("a mailbox cannot be moved below itself"));
    }
    let root = maildir_root(store, account);
    let prefix = format!("{from}{DELIM}");
    let moves: Vec<(PathBuf, PathBuf)> = mailboxes::list(&mut conn, account.id)
        .await?
        .into_iter()
        .filter(|m| m.name == from || m.name.starts_with(&prefix))
        .map(|m| {
            let new = format!("{to}{}", &m.name[from.len()..]);
            (folder_path(&root, &m.name), folder_path(&root, &new))
        })
        .collect();
    drop(conn);
    let mut tx = store.begin_write().await?;
    mailboxes::rename(&mut tx, account.id, from, to, DELIM).await?;
    let done = crate::ops::blocking(move || {
        let mut done = Vec::new();
        for (a, b) in &moves {
            if a.exists() {
                if let Err(e) = std::fs::rename(a, b) {
                    for (a, b) in done.iter().rev() {
                        let _ = std::fs::rename(b, a);
                    }
                    return Err(Error::io("renaming", a, e));
                }
                done.push((a.clone(), b.clone()));
            }
        }
        Ok(done)
    })
    .await?;
    if let Err(e) = tx.commit().await {
        for (a, b) in done.iter().rev() {
            let _ = std::fs::rename(b, a);
        }
        return Err(e.into());
    }
    store.changed(src.id);
    Ok(())
}

/// Write a message file into a folder's `cur/` (tmp, fsync, link, fsync dir). Returns the base name.
fn write_file(folder: &Path, hostname: &str, data: &[u8], flags: &str) -> Result<String> {
    use std::io::Write;
    let base = crate::ops::deliver::maildir_name(hostname, data.len());
    let tmp = folder.join("tmp").join(&base);
    let cur = folder.join("cur").join(format!("{base}{}", info(flags)));
    let r = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, &cur)?;
        std::fs::File::open(folder.join("cur"))?.sync_all()
    })();
    let _ = std::fs::remove_file(&tmp);
    r.map_err(|e| {
        let _ = std::fs::remove_file(&cur);
        Error::io("writing", &cur, e)
    })?;
    Ok(base)
}

/// APPEND: store a message durably, charge the quota, index it. Returns (UIDVALIDITY, UID).
pub async fn append(
    store: &Store,
    account: &Account,
    hostname: &str,
    name: &str,
    data: Vec<u8>,
    flags: &str,
    date: i64,
) -> Result<(i64, i64)> {
    let mut conn = store.pool.acquire().await?;
    let m = require(&mut conn, account, name).await?;
    let a = accounts::get(&mut conn, &account.address).await?.ok_or_else(|| Error::not_found("account vanished"))?;
    drop(conn);
    let size = data.len() as u64;
    if !crate::ops::deliver::fits(&a, size) {
        return Err(Error::new(Kind::OverQuota, "over quota"));
    }
    let folder = folder_path(&maildir_root(store, account), name);
    let (f2, h2, fl2) = (folder.clone(), hostname.to_string(), flags.to_string());
    let base = crate::ops::blocking(move || write_file(&f2, &h2, &data, &fl2)).await?;
    let undo = |folder: &Path| {
        let _ = std::fs::remove_file(folder.join("cur").join(format!("{base}{}", info(flags))));
    };
    let r = async {
        let mut tx = store.begin_write().await?;
        if !accounts::charge(&mut tx, account.id, size as i64).await? {
            return Err(Error::new(Kind::OverQuota, "over quota"));
        }
        let uid = messages::append(&mut tx, m.id, &base, size as i64, date, flags).await?;
        tx.commit().await?;
        Ok(uid)
    }
    .await;
    match r {
        Ok(uid) => {
            store.changed(m.id);
            Ok((m.uidvalidity, uid))
        }
        Err(e) => {
            undo(&folder);
            Err(e)
        }
    }
}

/// COPY: link each message into the destination (new names, same flags), charge the quota,
/// index them. Returns the destination's UIDVALIDITY and (source UID, new UID) pairs.
pub async fn copy(
    store: &Store,
    account: &Account,
    src: &Mailbox,
    rows: &[messages::Row],
    dst_name: &str,
) -> Result<(i64, Vec<(i64, i64)>)> {
    let mut conn = store.pool.acquire().await?;
    let dst = require(&mut conn, account, dst_name).await?;
    let src = current(&mut conn, src).await?;
    drop(conn);
    let root = maildir_root(store, account);
    let (from, to) = (folder_path(&root, &src.name), folder_path(&root, &dst.name));
    let hostname = format!("copy{}", std::process::id());
    let items: Vec<(i64, String, String, i64, i64)> =
        rows.iter().map(|r| (r.uid, r.filename.clone(), r.flags.clone(), r.size, r.internal_date)).collect();
    let (to2, items2) = (to.clone(), items.clone());
    // Link (or copy) every file first; nothing is indexed yet.
    let linked: Vec<(i64, String, String, i64, i64, PathBuf)> = crate::ops::blocking(move || {
        let mut out = Vec::new();
        let fail = |out: &Vec<(i64, String, String, i64, i64, PathBuf)>, e: Error| {
            for o in out {
                let _ = std::fs::remove_file(&o.5);
            }
            Err(e)
        };
        for (uid, base, flags, size, date) in items2 {
            let Some(path) = locate(&from, &base, &flags) else { continue };
            let new_base = crate::ops::deliver::maildir_name(&hostname, size as usize);
            let dest = to2.join("cur").join(format!("{new_base}{}", info(&flags)));
            if let Err(e) = std::fs::hard_link(&path, &dest).or_else(|_| std::fs::copy(&path, &dest).map(|_| ())) {
                return fail(&out, Error::io("copying to", &dest, e));
            }
            out.push((uid, new_base, flags, size, date, dest));
        }
        if let Err(e) = std::fs::File::open(to2.join("cur")).and_then(|d| d.sync_all()) {
            return fail(&out, Error::io("syncing", &to2, e));
        }
        Ok(out)
    })
    .await?;
    let r = async {
        let mut tx = store.begin_write().await?;
        let mut pairs = Vec::new();
        for (uid, base, flags, size, date, _) in &linked {
            if !accounts::charge(&mut tx, account.id, *size).await? {
                return Err(Error::new(Kind::OverQuota, "over quota"));
            }
            let new = messages::append(&mut tx, dst.id, base, *size, *date, flags).await?;
            pairs.push((*uid, new));
        }
        tx.commit().await?;
        Ok(pairs)
    }
    .await;
    match r {
        Ok(pairs) => {
            store.changed(dst.id);
            Ok((dst.uidvalidity, pairs))
        }
        Err(e) => {
            for l in &linked {
                let _ = std::fs::remove_file(&l.5);
            }
            Err(e)
        }
    }
}

/// What a flag change did to one message: its UID, its flags and modseq now, and whether
/// they changed.
#[derive(Debug, Clone)]
pub struct Stored {
    pub uid: i64,
    pub flags: String,
    pub modseq: i64,
    pub changed: bool,
}

/// The current name of a mailbox (another session may have renamed it).
async fn current(conn: &mut sqlx::AnyConnection, mailbox: &Mailbox) -> Result<Mailbox> {
    mailboxes::by_id(conn, mailbox.id)
        .await?
        .ok_or_else(|| Error::not_found(format!("mailbox {} was deleted", mailbox.name)))
}

/// Change flags (STORE, and the implicit \Seen of FETCH): in one transaction that holds the
/// mailbox (its modseq row), read each message's flags as stored, apply `apply`, and write
/// the changed ones under one new modseq, so concurrent changes are never lost. A message
/// whose modseq is above `unchanged_since` is left alone and listed in the second result
/// (RFC 7162 `[MODIFIED]`). File names follow after the commit.
pub async fn store_flags(
    store: &Store,
    account: &Account,
    mailbox: &Mailbox,
    uids: &[i64],
    apply: impl Fn(&str) -> String,
    unchanged_since: Option<i64>,
) -> Result<(Vec<Stored>, Vec<i64>)> {
    let (Some(&lo), Some(&hi)) = (uids.iter().min(), uids.iter().max()) else { return Ok((vec![], vec![])) };
    let wanted: std::collections::HashSet<i64> = uids.iter().copied().collect();
    let mut tx = store.begin_write().await?;
    let modseq = messages::next_modseq(&mut tx, mailbox.id).await?;
    let now = current(&mut tx, mailbox).await?;
    let rows = messages::rows_light(&mut tx, mailbox.id, lo, hi).await?;
    let (mut out, mut modified, mut writes, mut renames) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in rows.into_iter().filter(|r| wanted.contains(&r.uid)) {
        if unchanged_since.is_some_and(|u| r.modseq > u) {
            modified.push(r.uid);
            continue;
        }
        let new = apply(&r.flags);
        if new == r.flags {
            out.push(Stored { uid: r.uid, flags: r.flags, modseq: r.modseq, changed: false });
            continue;
        }
        writes.push((r.uid, new.clone()));
        if info(&r.flags) != info(&new) {
            renames.push((r.filename, r.flags, new.clone()));
        }
        out.push(Stored { uid: r.uid, flags: new, modseq, changed: true });
    }
    if writes.is_empty() {
        // Nothing to write: give the modseq back rather than leave a gap.
        tx.rollback().await?;
        return Ok((out, modified));
    }
    messages::write_flags(&mut tx, mailbox.id, &writes, modseq).await?;
    tx.commit().await?;
    store.changed(mailbox.id);
    let folder = folder_path(&maildir_root(store, account), &now.name);
    crate::ops::blocking(move || {
        for (base, old, new) in renames {
            rename_for_flags(&folder, &base, &old, &new);
        }
        Ok(())
    })
    .await?;
    Ok((out, modified))
}

/// Expunge messages: index rows (with tombstones) and usage in one transaction, then the
/// files. IMAP's EXPUNGE and CLOSE pass `only_deleted`, so a message undeleted by another
/// session meanwhile stays; POP3's UPDATE state and MOVE remove what they name. Returns the
/// UIDs removed.
pub async fn expunge(
    store: &Store,
    account: &Account,
    mailbox: &Mailbox,
    uids: &[i64],
    only_deleted: bool,
) -> Result<Vec<i64>> {
    let (Some(&lo), Some(&hi)) = (uids.iter().min(), uids.iter().max()) else { return Ok(vec![]) };
    let wanted: std::collections::HashSet<i64> = uids.iter().copied().collect();
    let mut tx = store.begin_write().await?;
    let modseq = messages::next_modseq(&mut tx, mailbox.id).await?;
    let now = current(&mut tx, mailbox).await?;
    let rows: Vec<messages::Row> = messages::rows_light(&mut tx, mailbox.id, lo, hi)
        .await?
        .into_iter()
        .filter(|r| wanted.contains(&r.uid))
        .filter(|r| !only_deleted || r.flags.split(' ').any(|f| f == "\\Deleted"))
        .collect();
    if rows.is_empty() {
        tx.rollback().await?;
        return Ok(vec![]);
    }
    let gone: Vec<i64> = rows.iter().map(|r| r.uid).collect();
    messages::delete_with(&mut tx, mailbox.id, &gone, modseq).await?;
    let bytes: i64 = rows.iter().map(|r| r.size).sum();
    accounts::add_usage(&mut tx, account.id, -bytes, -(rows.len() as i64)).await?;
    tx.commit().await?;
    store.changed(mailbox.id);
    let folder = folder_path(&maildir_root(store, account), &now.name);
    crate::ops::blocking(move || {
        for r in rows {
            if let Some(p) = locate(&folder, &r.filename, &r.flags) {
                let _ = std::fs::remove_file(p);
            }
        }
        Ok(())
    })
    .await?;
    Ok(gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["Sent", "Work.2026", "Archive.Old.Stuff", "Caf&AOk-", "a b"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "../x", "/etc", "a/b", "a..b", ".hidden", "x.", "~root", "a\u{1}b", "a*", "%", "a\\b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn line_ends() {
        assert_eq!(to_crlf(b"a\nb\r\nc\n".to_vec()), b"a\r\nb\r\nc\r\n");
        assert_eq!(to_crlf(b"\n".to_vec()), b"\r\n");
        assert!(!has_bare_lf(b"a\r\n"));
    }

    #[test]
    fn maildir_info() {
        assert_eq!(info("\\Seen \\Answered $Junk"), ":2,RS");
        assert_eq!(info(""), ":2,");
        assert_eq!(info("\\Deleted \\Draft \\Flagged $Forwarded"), ":2,DFPT");
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
        assert_eq!(locate(d.path(), "a", ""), Some(d.path().join("new/a")));
        assert_eq!(locate(d.path(), "b", "\\Seen"), Some(d.path().join("cur/b:2,S")));
        assert_eq!(locate(d.path(), "c", ""), Some(d.path().join("cur/c:2,FS")));
        assert_eq!(locate(d.path(), "z", ""), None);
        std::fs::write(d.path().join("cur/k:2,Sab"), b"x").unwrap();
        assert_eq!(locate(d.path(), "k", "\\Seen"), Some(d.path().join("cur/k:2,S")), "keyword letters dropped");
        rename_for_flags(d.path(), "a", "", "\\Seen");
        assert!(d.path().join("cur/a:2,S").exists());
    }
}

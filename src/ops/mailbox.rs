//! An account's mailboxes as IMAP changes them: folders (create, delete, rename), and
//! messages (append, copy, flags, expunge), keeping the index, the usage and the Maildir in
//! step. The index is authoritative; file names follow it (`:2,` flags, as Dovecot writes
//! them) so the Maildir stays usable by other tools.
//!
//! Errors: `Kind::NotFound` (no such mailbox), `Kind::Exists`, `Kind::Invalid` (a name that is
//! not allowed), `Kind::OverQuota`, anything else is a server fault.

use crate::store::conn::Conn;
use std::path::PathBuf;

use crate::error::{Error, Kind, Result};
use crate::names::Address;
use crate::store::mailboxes::{self, Mailbox};
use crate::store::maildir::write::{self, Item, Source};
use crate::store::maildir::{self, DELIM, Flag, Flags, check_name, file, folder_path};
use crate::store::{Account, Store, accounts, messages};

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

pub fn maildir_root(store: &Store, account: &Account) -> PathBuf {
    store.maildir_path(&Address { local: account.local_part.clone(), domain: account.domain.clone() })
}

/// The ENVELOPE and BODYSTRUCTURE of a message in memory (delivery, APPEND), to store with
/// its row so FETCH needs neither the file nor a write.
pub fn derive(raw: &[u8]) -> messages::Derived {
    let (mut envelope, mut bodystructure) = (Vec::new(), Vec::new());
    crate::proto::imap::body::envelope(raw, &mut envelope);
    crate::proto::imap::body::body_structure(raw, true, &mut bodystructure);
    let sort = Some(crate::proto::imap::sort::Fields::of(raw));
    messages::Derived { envelope: Some(envelope), bodystructure: Some(bodystructure), sort }
}

/// Make sure every folder on disk has an index row, and INBOX exists (at login).
pub async fn sync_folders(store: &Store, account: &Account) -> Result<()> {
    let root = maildir_root(store, account);
    let unknown = |known: &[String], dirs: &[PathBuf]| -> Vec<String> {
        let mut names: Vec<String> = dirs
            .iter()
            .map(|d| maildir::folder_name(&root, d))
            .filter(|n| !known.contains(n) && check_name(n).is_ok())
            .collect();
        if !known.iter().any(|n| n == "INBOX") && !names.iter().any(|n| n == "INBOX") {
            names.push("INBOX".into());
        }
        names
    };
    let mut conn = store.pool.acquire().await?;
    let known: Vec<String> = mailboxes::list(&mut conn, account.id).await?.into_iter().map(|m| m.name).collect();
    drop(conn);
    let r2 = root.clone();
    let dirs = crate::ops::blocking(move || maildir::folders(&r2)).await?;
    if unknown(&known, &dirs).is_empty() {
        return Ok(());
    }
    // Something to add: again, one change to the tree at a time, so that a DELETE running
    // beside this (directory set aside, then the row removed) is seen whole or not at all.
    let mut tx = store.begin_account(account.id).await?;
    let known: Vec<String> = mailboxes::list(&mut tx, account.id).await?.into_iter().map(|m| m.name).collect();
    let r2 = root.clone();
    let dirs = crate::ops::blocking(move || maildir::folders(&r2)).await?;
    for name in unknown(&known, &dirs) {
        messages::ensure_mailbox(&mut tx, account.id, &name).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// CREATE: the mailbox and any missing parents.
pub async fn create(store: &Store, account: &Account, name: &str) -> Result<()> {
    let name = name.trim_end_matches(DELIM);
    check_name(name)?;
    let mut conn = store.pool.acquire().await?;
    if name.eq_ignore_ascii_case("INBOX")
        || mailboxes::get(&mut Conn::Any(&mut conn), account.id, name).await?.is_some()
    {
        return Err(Error::exists(format!("mailbox {name} exists")));
    }
    let root = maildir_root(store, account);
    let mut path = String::new();
    for level in name.split(DELIM) {
        if !path.is_empty() {
            path.push(DELIM);
        }
        path.push_str(level);
        if mailboxes::get(&mut Conn::Any(&mut conn), account.id, &path).await?.is_none() {
            let dir = folder_path(&root, &path);
            crate::ops::blocking(move || maildir::create_folder(&dir)).await?;
            messages::ensure_mailbox(&mut conn, account.id, &path).await?;
        }
    }
    let r2 = root.clone();
    crate::ops::blocking(move || crate::fsutil::sync_dir(&r2)).await
}

pub async fn require(conn: &mut Conn<'_>, account: &Account, name: &str) -> Result<Mailbox> {
    mailboxes::get(conn, account.id, name).await?.ok_or_else(|| Error::not_found(format!("no mailbox {name}")))
}

/// DELETE: a mailbox without children (else `Kind::Exists`); its messages go, and the usage
/// with them. Its subscription stays (RFC 3501 §6.3.6). The directory leaves the Maildir
/// before the index forgets the mailbox, so a login's [`sync_folders`] in between cannot
/// bring it back; a crash in between is undone at start ([`recover_deletes`]).
pub async fn delete(store: &Store, account: &Account, name: &str) -> Result<()> {
    if name == "INBOX" {
        return Err(Error::invalid("INBOX cannot be deleted"));
    }
    let mut tx = store.begin_account(account.id).await?;
    let m = require(&mut Conn::Any(&mut tx), account, name).await?;
    let prefix = format!("{name}{DELIM}");
    if mailboxes::list(&mut tx, account.id).await?.iter().any(|c| c.name.starts_with(&prefix)) {
        return Err(Error::new(Kind::Exists, format!("{name} has child mailboxes; delete them first")));
    }
    let root = maildir_root(store, account);
    let (r2, dir) = (root.clone(), folder_path(&root, name));
    let holder = crate::ops::blocking(move || maildir::set_folder_aside(&r2, &dir)).await?;
    let forgotten = async {
        let (bytes, count) = mailboxes::delete(&mut tx, m.id).await?;
        accounts::add_usage(&mut Conn::Any(&mut tx), account.id, -bytes, -count).await?;
        tx.commit().await?;
        Ok::<_, Error>(())
    };
    if let Err(e) = forgotten.await {
        if let Some(h) = holder {
            let r2 = root.clone();
            crate::ops::blocking(move || maildir::restore_folder(&r2, &h)).await?;
        }
        return Err(e);
    }
    store.changed(m.id);
    match holder {
        Some(h) => crate::ops::blocking(move || maildir::remove(&h)).await,
        None => Ok(()),
    }
}

/// At start: finish the DELETEs a crash cut short. A folder set aside whose mailbox the index
/// still has goes back (the DELETE never committed); any other is removed.
pub async fn recover_deletes(store: &Store, conn: &mut sqlx::AnyConnection, account: &Account) -> Result<usize> {
    let root = maildir_root(store, account);
    let mut done = 0;
    for (holder, name) in maildir::folders_set_aside(&root) {
        let indexed = !name.is_empty() && mailboxes::get(&mut Conn::Any(conn), account.id, &name).await?.is_some();
        if indexed && !folder_path(&root, &name).exists() {
            maildir::restore_folder(&root, &holder)?;
        } else {
            maildir::remove(&holder)?;
        }
        done += 1;
    }
    Ok(done)
}

/// RENAME (with children). Renaming INBOX moves its messages to the new mailbox and leaves
/// INBOX empty (RFC 3501 §6.3.5).
pub async fn rename(store: &Store, account: &Account, from: &str, to: &str) -> Result<()> {
    let to = to.trim_end_matches(DELIM);
    check_name(to)?;
    let mut conn = store.pool.acquire().await?;
    let src = require(&mut Conn::Any(&mut conn), account, from).await?;
    if to.eq_ignore_ascii_case("INBOX") || mailboxes::get(&mut Conn::Any(&mut conn), account.id, to).await?.is_some() {
        return Err(Error::exists(format!("mailbox {to} exists")));
    }
    if from == "INBOX" {
        drop(conn);
        create(store, account, to).await?;
        let mut conn = store.pool.acquire().await?;
        let uids: Vec<i64> =
            messages::rows_light(&mut Conn::Any(&mut conn), src.id, 1, i64::MAX).await?.iter().map(|r| r.uid).collect();
        drop(conn);
        // Only what was copied leaves INBOX.
        let (_, pairs) = copy(store, account, &src, &uids, to).await?;
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

/// Claim for the calling session the messages of a mailbox up to `upto` as \Recent, in the
/// group commit ([`mailboxes::claim_recent`]); `held` is the mailbox's `recent_uid` as last
/// read: when it covers `upto` already, no write is needed.
pub async fn claim_recent(store: &Store, mailbox_id: i64, held: i64, upto: i64) -> Result<Option<(i64, i64)>> {
    if held >= upto {
        return Ok(None);
    }
    store.writer.write_relaxed(move |tx| Box::pin(mailboxes::claim_recent(tx, mailbox_id, held, upto))).await
}

/// One message for [`append`].
pub struct Appended {
    pub data: Vec<u8>,
    pub flags: Flags,
    pub date: i64,
}

/// APPEND, and MULTIAPPEND (RFC 3502): every message or none. The files are written and
/// fsync'd, then indexed and charged in one write of the group commit (which syncs the
/// directory first); a failure (quota, disk, the
/// index) removes every file. Returns the UIDVALIDITY and the new UIDs in order.
pub async fn append(
    store: &Store,
    account: &Account,
    hostname: &str,
    name: &str,
    msgs: Vec<Appended>,
) -> Result<(i64, Vec<i64>)> {
    let (who, folder_name) = (account.clone(), name.to_string());
    let (m, (quota, used)) = store
        .read(1, move |c| {
            Box::pin(async move {
                let m = require(c, &who, &folder_name).await?;
                let usage = accounts::usage(c, who.id).await?.ok_or_else(|| Error::not_found("account vanished"))?;
                Ok((m, usage))
            })
        })
        .await?;
    let total: u64 = msgs.iter().map(|m| m.data.len() as u64).sum();
    if !crate::ops::recipient::fits(quota.map(|q| q.max(0) as u64), used.max(0) as u64, total) {
        return Err(Error::new(Kind::OverQuota, "over quota"));
    }
    let folder = folder_path(&maildir_root(store, account), name);
    let bases: Vec<String> = msgs.iter().map(|m| file::unique_name(hostname, m.data.len())).collect();
    let b2 = bases.clone();
    let work = move || {
        let parts: Vec<[&[u8]; 1]> = msgs.iter().map(|m| [m.data.as_slice()]).collect();
        let items: Vec<Item<'_>> = msgs
            .iter()
            .zip(&b2)
            .zip(&parts)
            .map(|((m, base), part)| Item {
                source: Source::Bytes(part),
                base,
                dests: vec![file::cur_path(&folder, base, &m.flags)],
            })
            .collect();
        // The content and the directory are synced by the group commit, with the others of
        // its batch.
        let placed = write::write(&items)?;
        placed.release_tmp();
        let derived: Vec<messages::Derived> = msgs.iter().map(|m| derive(&m.data)).collect();
        let msgs: Vec<(i64, Flags, i64)> = msgs.into_iter().map(|m| (m.data.len() as i64, m.flags, m.date)).collect();
        Ok((placed, msgs, derived))
    };
    let small = total <= crate::store::maildir::write::INLINE_WRITE;
    let (mut placed, msgs, derived) = crate::ops::here_or_blocking(small, work).await?;
    let (id, account_id) = (m.id, account.id);
    // One message fails, if at all, at its quota charge, before it writes: no savepoint.
    let guarded = msgs.len() > 1;
    let r = store
        .writer
        .write_durable(placed.unsynced(), guarded, move |tx| {
            Box::pin(async move {
                let mut uids = Vec::with_capacity(msgs.len());
                for ((base, (size, flags, date)), derived) in bases.iter().zip(&msgs).zip(&derived) {
                    if !accounts::charge(tx, account_id, *size).await? {
                        return Err(Error::new(Kind::OverQuota, "over quota"));
                    }
                    uids.push(messages::append(tx, id, base, *size, *date, flags, derived).await?);
                }
                Ok(uids)
            })
        })
        .await;
    match r {
        Ok(uids) => {
            store.changed(m.id);
            Ok((m.uidvalidity, uids))
        }
        Err(e) => {
            placed.undo_unless_committed(&e);
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
    uids: &[i64],
    dst_name: &str,
) -> Result<(i64, Vec<(i64, i64)>)> {
    let mut uids = uids.to_vec();
    uids.sort_unstable();
    uids.dedup();
    let (who, dst_name, src) = (account.clone(), dst_name.to_string(), src.clone());
    let (dst, src, rows) = store
        .read(uids.len(), move |c| {
            Box::pin(async move {
                let dst = require(c, &who, &dst_name).await?;
                let src = current(c, &src).await?;
                // With their ENVELOPE and BODYSTRUCTURE, which the copies keep.
                let rows = messages::rows_for(c, src.id, &uids, messages::Cols::All).await?;
                Ok((dst, src, rows))
            })
        })
        .await?;
    let root = maildir_root(store, account);
    let (from, to) = (folder_path(&root, &src.name), folder_path(&root, &dst.name));
    let hostname = format!("copy{}", std::process::id());
    // Place every file first (links; the directory is synced by the group commit); nothing
    // is indexed yet.
    let small = rows.len() <= FEW_FILES;
    let work = move || {
        let bases: Vec<String> = rows.iter().map(|r| file::unique_name(&hostname, r.size as usize)).collect();
        let mut attempts = 0;
        loop {
            let found: Vec<(&messages::Row, PathBuf, &String)> = rows
                .iter()
                .zip(&bases)
                .filter_map(|(r, base)| Some((r, file::locate(&from, &r.filename, &r.flags)?, base)))
                .collect();
            let items: Vec<Item<'_>> = found
                .iter()
                .map(|(r, path, base)| Item {
                    source: Source::File(path),
                    base,
                    dests: vec![file::cur_path(&to, base, &r.flags)],
                })
                .collect();
            match write::write(&items) {
                Ok(placed) => {
                    placed.release_tmp();
                    let linked: Vec<(messages::Row, String)> =
                        found.into_iter().map(|(r, _, base)| (r.clone(), base.clone())).collect();
                    return Ok((linked, placed));
                }
                // A source renamed for new flags (or expunged) by another session between
                // locating and linking it: look again (the failed write left nothing).
                Err(_) if attempts < 3 && found.iter().any(|(_, path, _)| !path.exists()) => attempts += 1,
                Err(e) => return Err(e),
            }
        }
    };
    let (linked, mut placed) = crate::ops::here_or_blocking(small, work).await?;
    let (dst_id, account_id) = (dst.id, account.id);
    let guarded = linked.len() > 1;
    let r = store
        .writer
        .write_durable(placed.unsynced(), guarded, move |tx| {
            Box::pin(async move {
                let mut pairs = Vec::new();
                for (r, base) in &linked {
                    if !accounts::charge(tx, account_id, r.size).await? {
                        return Err(Error::new(Kind::OverQuota, "over quota"));
                    }
                    let new = messages::append(tx, dst_id, base, r.size, r.internal_date, &r.flags, &r.derived).await?;
                    pairs.push((r.uid, new));
                }
                Ok(pairs)
            })
        })
        .await;
    match r {
        Ok(pairs) => {
            store.changed(dst.id);
            Ok((dst.uidvalidity, pairs))
        }
        Err(e) => {
            placed.undo_unless_committed(&e);
            Err(e)
        }
    }
}

/// What a flag change did to one message: its UID, its flags and modseq now, and whether
/// they changed.
#[derive(Debug, Clone)]
pub struct Stored {
    pub uid: i64,
    pub flags: Flags,
    pub modseq: i64,
    pub changed: bool,
}

/// The current name of a mailbox (another session may have renamed it).
async fn current(conn: &mut Conn<'_>, mailbox: &Mailbox) -> Result<Mailbox> {
    mailboxes::by_id(conn, mailbox.id)
        .await?
        .ok_or_else(|| Error::not_found(format!("mailbox {} was deleted", mailbox.name)))
}

/// A STORE, COPY or EXPUNGE that renames, links or unlinks at most this many files does it on
/// the session's thread (`store::here_or_blocking`).
const FEW_FILES: usize = 4;

/// Change flags (STORE, and the implicit \Seen of FETCH), in the next group commit as a
/// relaxed write (visible at once, durable with the next durable write; see `store::writer`): read each
/// message's flags as stored, apply `apply`, and write the changed ones under one new modseq,
/// with the mailbox held (its row locked) from the read to the commit, so concurrent changes
/// are never lost. A message whose modseq is above `unchanged_since` is left alone and listed
/// in the second result (RFC 7162 `[MODIFIED]`). File names follow after the commit.
pub async fn store_flags(
    store: &Store,
    account: &Account,
    mailbox: &Mailbox,
    uids: &[i64],
    apply: impl Fn(&Flags) -> Flags + Send + 'static,
    unchanged_since: Option<i64>,
) -> Result<(Vec<Stored>, Vec<i64>)> {
    let (Some(&lo), Some(&hi)) = (uids.iter().min(), uids.iter().max()) else { return Ok((vec![], vec![])) };
    let wanted: std::collections::HashSet<i64> = uids.iter().copied().collect();
    let mailbox_now = mailbox.clone();
    let id = mailbox.id;
    let (out, modified, renames, name) = store
        .writer
        .write_relaxed(move |tx| {
            Box::pin(async move {
                // Every check before the first write (a relaxed write has no savepoint).
                messages::hold_mailbox(tx, id).await?;
                let rows = messages::rows_light(tx, id, lo, hi).await?;
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
                    if r.flags.info() != new.info() {
                        renames.push((r.filename, r.flags, new.clone()));
                    }
                    out.push(Stored { uid: r.uid, flags: new, modseq: 0, changed: true });
                }
                // Nothing to write takes no modseq (no gap), and needs no name.
                if writes.is_empty() {
                    if out.is_empty() && modified.is_empty() {
                        current(tx, &mailbox_now).await?;
                    }
                    return Ok((out, modified, renames, mailbox_now.name));
                }
                // The modseq and the mailbox's current name (another session may have renamed
                // it) in one statement; a deleted mailbox fails it before anything is written.
                let (modseq, name) = messages::next_modseq_named(tx, id)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("mailbox {} was deleted", mailbox_now.name)))?;
                messages::write_flags(tx, id, &writes, modseq).await?;
                for s in out.iter_mut().filter(|s| s.changed) {
                    s.modseq = modseq;
                }
                Ok((out, modified, renames, name))
            })
        })
        .await?;
    if let Some(s) = out.iter().find(|s| s.changed) {
        store.changed_at(id, s.modseq);
    }
    if !renames.is_empty() {
        let folder = folder_path(&maildir_root(store, account), &name);
        // A few files where their flags say: one rename each, here, cheaper than a hand-off to
        // a blocking thread. The others (many, or moved) are found there.
        let mut renames = renames;
        if renames.len() <= FEW_FILES {
            renames.retain(|(base, old, new)| !file::rename_in_place(&folder, base, old, new));
        }
        if renames.is_empty() {
            return Ok((out, modified));
        }
        crate::ops::blocking(move || {
            for (base, old, new) in renames {
                file::rename_for_flags(&folder, &base, &old, &new);
            }
            Ok(())
        })
        .await?;
    }
    Ok((out, modified))
}

/// Expunge messages: index rows (with tombstones) and usage committed in the next group
/// commit, and answered then, without waiting for the sync (a crash before it brings the
/// messages back; nothing is lost). The files are unlinked once the deletion is durable, so
/// rows a crash brings back still find their files. IMAP's EXPUNGE and CLOSE pass
/// `only_deleted`, so a message undeleted by another session meanwhile stays; POP3's UPDATE
/// state and MOVE remove what they name. Returns the UIDs removed.
pub async fn expunge(
    store: &Store,
    account: &Account,
    mailbox: &Mailbox,
    uids: &[i64],
    only_deleted: bool,
) -> Result<Vec<i64>> {
    let (Some(&lo), Some(&hi)) = (uids.iter().min(), uids.iter().max()) else { return Ok(vec![]) };
    let wanted: std::collections::HashSet<i64> = uids.iter().copied().collect();
    let (mailbox_now, id, account_id) = (mailbox.clone(), mailbox.id, account.id);
    let (rows, name) = store
        .writer
        .write_relaxed_guarded(move |tx| {
            Box::pin(async move {
                messages::hold_mailbox(tx, id).await?;
                let rows: Vec<messages::Row> = messages::rows_light(tx, id, lo, hi)
                    .await?
                    .into_iter()
                    .filter(|r| wanted.contains(&r.uid))
                    .filter(|r| !only_deleted || r.flags.has(Flag::DELETED))
                    .collect();
                if rows.is_empty() {
                    return Ok((rows, current(tx, &mailbox_now).await?.name));
                }
                // The modseq and the current name in one statement (a deleted mailbox has none).
                let (modseq, name) = messages::next_modseq_named(tx, id)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("mailbox {} was deleted", mailbox_now.name)))?;
                let gone: Vec<i64> = rows.iter().map(|r| r.uid).collect();
                messages::delete_with(tx, id, &gone, modseq).await?;
                let bytes: i64 = rows.iter().map(|r| r.size).sum();
                accounts::add_usage(tx, account_id, -bytes, -(rows.len() as i64)).await?;
                Ok((rows, name))
            })
        })
        .await?;
    if rows.is_empty() {
        return Ok(vec![]);
    }
    store.changed(id);
    let gone: Vec<i64> = rows.iter().map(|r| r.uid).collect();
    let folder = folder_path(&maildir_root(store, account), &name);
    let writer = store.writer.clone();
    tokio::spawn(async move {
        if let Err(e) = writer.synced().await {
            // Kept: `mailbox reindex` would take them back as messages, never lose them.
            tracing::warn!(folder = %folder.display(), error = %e, "expunged messages' files kept: the deletion was not synced");
            return;
        }
        let small = rows.len() <= FEW_FILES;
        let unlink = move || {
            for r in rows {
                // Gone already (`mailbox reindex`, another tool): nothing left to do.
                let _ = file::remove(&folder, &r.filename, &r.flags);
            }
            Ok(())
        };
        if let Err(e) = crate::ops::here_or_blocking(small, unlink).await {
            tracing::warn!(error = %e, "expunged messages' files could not be unlinked");
        }
    });
    Ok(gone)
}

//! What the webmail reads and changes in a mailbox: the folder tree with counts, a page of a
//! folder newest first, one message, its flags, moving it. The same index, files and group
//! commit as IMAP (`ops::mailbox`), so IMAP sessions see the webmail's changes at once.

pub mod conversations;
pub mod correspondents;
pub mod preferences;

use std::io::Read;

use mail_parser::MimeHeaders;
use std::path::PathBuf;

use crate::error::{Error, Kind, Result};
use crate::proto::imap::search::Key;
use crate::store::fts::Fts;
use crate::store::mailboxes::{self, Mailbox};
use crate::store::maildir::{Flag, Flags, file, folder_path};
use crate::store::{Account, Store, messages};

/// How much of a file a list row reads: its header, which is enough for From, Subject, Date
/// and whether it has attachments (a 50 MB message is never read whole to list it).
const HEAD_BYTES: u64 = 64 * 1024;

/// A folder as the tree shows it.
#[derive(Debug, Clone)]
pub struct Folder {
    pub name: String,
    pub special_use: Option<&'static str>,
    pub messages: i64,
    pub unseen: i64,
}

/// The folder tree, standard folders first, then by name.
pub async fn folders(store: &Store, account: &Account) -> Result<Vec<Folder>> {
    let mut conn = store.pool.acquire().await?;
    let mut out = Vec::new();
    for m in mailboxes::list(&mut conn, account.id).await? {
        let (messages, unseen, _, _) = mailboxes::counts(&mut conn, m.id).await?;
        out.push(Folder { special_use: super::mailbox::special_use(&m.name), name: m.name, messages, unseen });
    }
    out.sort_by(|a, b| rank(&a.name).cmp(&rank(&b.name)).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

/// Where a folder goes in the tree: the standard ones first.
fn rank(name: &str) -> u8 {
    match name {
        "INBOX" => 0,
        "Drafts" => 1,
        "Sent" => 2,
        "Junk" => 3,
        "Trash" => 4,
        _ => 5,
    }
}

/// A message as the list shows it.
#[derive(Debug, Clone)]
pub struct Summary {
    pub uid: i64,
    pub flags: Flags,
    pub size: i64,
    /// The Date: header, Unix time.
    pub date: Option<i64>,
    /// The first From: display name, else its address.
    pub from: String,
    pub subject: String,
    /// The top level is multipart/mixed: it carries attachments.
    pub attachments: bool,
}

/// A page of a folder, newest first: at most `limit` messages below UID `before`; and the
/// UID the next page starts below, when there is one.
pub async fn page(
    store: &Store,
    account: &Account,
    folder: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<(Mailbox, Vec<Summary>, Option<i64>)> {
    let mailbox = mailbox(store, account, folder).await?;
    let rows = {
        let mut conn = store.pool.acquire().await?;
        messages::newest(&mut conn, mailbox.id, before.unwrap_or(i64::MAX), limit + 1).await?
    };
    let more = rows.len() as i64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let next = if more { rows.last().map(|r| r.uid) } else { None };
    let list = summaries(store, account, folder, rows).await?;
    Ok((mailbox, list, next))
}

/// List rows for these messages of a folder, each from its file's header (read off the
/// async threads), in the order given.
pub(super) async fn summaries(
    store: &Store,
    account: &Account,
    folder: &str,
    rows: Vec<messages::Indexed>,
) -> Result<Vec<Summary>> {
    let dir = folder_path(&super::mailbox::maildir_root(store, account), folder);
    crate::store::blocking(move || {
        Ok(rows
            .into_iter()
            .map(|r| {
                let head = file::locate(&dir, &r.filename, &r.flags).and_then(|p| read_head(&p)).unwrap_or_default();
                summarize(r.uid, r.flags, r.size, &head)
            })
            .collect())
    })
    .await
}

fn read_head(path: &std::path::Path) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(8192);
    std::fs::File::open(path).ok()?.take(HEAD_BYTES).read_to_end(&mut head).ok()?;
    Some(head)
}

fn summarize(uid: i64, flags: Flags, size: i64, head: &[u8]) -> Summary {
    let parsed = mail_parser::MessageParser::new().parse_headers(head);
    let (mut from, mut subject, mut date, mut attachments) = (String::new(), String::new(), None, false);
    if let Some(m) = &parsed {
        if let Some(a) = m.from().and_then(|f| f.first()) {
            from = a.name().or(a.address()).unwrap_or_default().to_string();
        }
        subject = m.subject().unwrap_or_default().to_string();
        date = m.date().map(|d| d.to_timestamp());
        attachments = m.content_type().is_some_and(|c| {
            c.ctype().eq_ignore_ascii_case("multipart") && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("mixed"))
        });
    }
    Summary { uid, flags, size, date, from, subject, attachments }
}

/// A message, whole.
pub struct Opened {
    pub mailbox: Mailbox,
    pub uid: i64,
    pub flags: Flags,
    pub raw: Vec<u8>,
}

/// The mailbox `folder` of `account`; NotFound when it has none.
pub async fn mailbox(store: &Store, account: &Account, folder: &str) -> Result<Mailbox> {
    let mut conn = store.pool.acquire().await?;
    let mut c = crate::store::conn::Conn::Any(&mut conn);
    mailboxes::get(&mut c, account.id, folder).await?.ok_or_else(|| Error::not_found(format!("no folder {folder}")))
}

/// Read one message; NotFound when it is not (or no longer) there.
pub async fn open(store: &Store, account: &Account, folder: &str, uid: i64) -> Result<Opened> {
    // The folder and the message's row in one connection.
    let (mailbox, row) = {
        let mut conn = store.pool.acquire().await?;
        let mut c = crate::store::conn::Conn::Any(&mut conn);
        let mailbox = mailboxes::get(&mut c, account.id, folder)
            .await?
            .ok_or_else(|| Error::not_found(format!("no folder {folder}")))?;
        let row = messages::rows_for(&mut c, mailbox.id, &[uid], messages::Cols::Light).await?.pop();
        (mailbox, row)
    };
    let Some(row) = row else { return Err(Error::not_found(format!("no message {uid} in {folder}"))) };
    let dir: PathBuf = folder_path(&super::mailbox::maildir_root(store, account), folder);
    let (base, flags) = (row.filename.clone(), row.flags.clone());
    let raw = crate::store::blocking(move || match file::read(&dir, &base, &flags) {
        Ok(raw) => Ok(raw),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(Error::new(Kind::NotFound, "the message file is gone (expunged meanwhile)"))
        }
        Err(e) => Err(Error::io("reading", &file::cur_path(&dir, &base, &flags), e)),
    })
    .await?;
    Ok(Opened { mailbox, uid, flags: row.flags, raw })
}

/// Set or clear one flag on these messages.
pub async fn set_flag(
    store: &Store,
    account: &Account,
    mailbox: &Mailbox,
    uids: &[i64],
    flag: Flag,
    on: bool,
) -> Result<()> {
    super::mailbox::store_flags(
        store,
        account,
        mailbox,
        uids,
        move |f| {
            let change = Flags::new().with(flag);
            let mut f = f.clone();
            if on {
                f.add(&change)
            } else {
                f.remove(&change)
            }
            f
        },
        None,
    )
    .await?;
    Ok(())
}

/// Move messages to another folder (IMAP's MOVE: copy, then expunge the originals); a
/// standard folder (Trash, Junk…) that does not exist yet is made. Returns their new UIDs.
pub async fn move_to(store: &Store, account: &Account, mailbox: &Mailbox, uids: &[i64], to: &str) -> Result<Vec<i64>> {
    if to == mailbox.name || uids.is_empty() {
        return Ok(uids.to_vec());
    }
    if super::mailbox::special_use(to).is_some() {
        ensure_folder(store, account, to).await?;
    }
    let (_, pairs) = super::mailbox::copy(store, account, mailbox, uids, to).await?;
    let copied: Vec<i64> = pairs.iter().map(|(from, _)| *from).collect();
    super::mailbox::expunge(store, account, mailbox, &copied, false).await?;
    Ok(pairs.into_iter().map(|(_, new)| new).collect())
}

/// Make a standard folder the member deleted (Trash, Junk, Drafts…) again; one that exists
/// (or that another session just made) is left alone.
async fn ensure_folder(store: &Store, account: &Account, name: &str) -> Result<()> {
    if self::mailbox(store, account, name).await.is_ok() {
        return Ok(());
    }
    match super::mailbox::create(store, account, name).await {
        Err(e) if e.kind != Kind::Exists => Err(e),
        _ => Ok(()),
    }
}

/// Remove every message of a folder for good (emptying Trash or Junk); how many went.
pub async fn empty(store: &Store, account: &Account, mailbox: &Mailbox) -> Result<usize> {
    let uids: Vec<i64> = {
        let mut conn = store.pool.acquire().await?;
        messages::list(&mut conn, mailbox.id).await?.into_iter().map(|m| m.uid).collect()
    };
    Ok(super::mailbox::expunge(store, account, mailbox, &uids, false).await?.len())
}

/// Keep a message the member is writing in Drafts (flagged \Draft and \Seen); its UID.
pub async fn save_draft(store: &Store, account: &Account, hostname: &str, data: Vec<u8>) -> Result<Option<i64>> {
    let draft = super::mailbox::Appended {
        data,
        flags: Flags::new().with(Flag::DRAFT).with(Flag::SEEN),
        date: crate::store::now(),
    };
    ensure_folder(store, account, crate::store::maildir::DRAFTS).await?;
    let (_, uids) =
        super::mailbox::append(store, account, hostname, crate::store::maildir::DRAFTS, vec![draft]).await?;
    Ok(uids.first().copied())
}

/// Remove a draft once it is sent or saved again: only a message of Drafts flagged \Draft
/// (a stale or forged number removes nothing).
pub async fn discard_draft(store: &Store, account: &Account, uid: i64) -> Result<()> {
    let opened = match open(store, account, crate::store::maildir::DRAFTS, uid).await {
        Ok(o) => o,
        Err(e) if matches!(e.kind, Kind::NotFound | Kind::NoInput) => return Ok(()),
        Err(e) => return Err(e),
    };
    if opened.flags.has(Flag::DRAFT) {
        super::mailbox::expunge(store, account, &opened.mailbox, &[uid], false).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_row_takes_from_subject_date_and_the_attachment_mark_from_the_header() {
        let head = b"From: \"Ann Example\" <ann@example.com>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\
                     Date: Thu, 03 Dec 2026 10:00:00 +0000\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n";
        let s = summarize(7, Flags::new(), 100, head);
        assert_eq!((s.from.as_str(), s.subject.as_str()), ("Ann Example", "café"));
        assert_eq!(s.date, Some(1_796_292_000));
        assert!(s.attachments);
        let bare = summarize(8, Flags::new(), 1, b"From: bob@example.com\r\n\r\nhi");
        assert_eq!(bare.from, "bob@example.com");
        assert!(!bare.attachments && bare.date.is_none());
    }
}

/// A message a search found, with its folder.
pub struct Found {
    pub folder: String,
    pub summary: Summary,
}

/// What the webmail's search asks: each field a substring (as IMAP SEARCH matches it), the
/// dates whole days (UTC) of arrival.
#[derive(Debug, Default, Clone)]
pub struct Criteria {
    pub text: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub since: Option<i64>,
    pub before: Option<i64>,
}

impl Criteria {
    /// The IMAP search key it means; None when it asks for nothing.
    pub fn key(&self) -> Option<Key> {
        let mut all = Vec::new();
        let field = |v: &str| v.trim().to_string();
        if !self.text.trim().is_empty() {
            all.push(Key::Text(field(&self.text)));
        }
        for (name, v) in [("from", &self.from), ("to", &self.to), ("subject", &self.subject)] {
            if !v.trim().is_empty() {
                all.push(Key::Header(name.into(), field(v)));
            }
        }
        all.extend(self.since.map(Key::Since));
        all.extend(self.before.map(Key::Before));
        (!all.is_empty()).then_some(Key::And(all))
    }
}

/// Search one folder or all of an account's, newest first within each folder (standard
/// folders first), at most `limit` hits. The full-text index names the candidates when there
/// is one; the IMAP rule (`ops::search::matches`) decides on each file.
pub async fn search(
    store: &Store,
    fts: Option<&Fts>,
    account: &Account,
    folder: Option<&str>,
    key: &Key,
    limit: usize,
) -> Result<Vec<Found>> {
    // The folders' rows once: each is searched with the id and UIDVALIDITY read here.
    let folders: Vec<Mailbox> = match folder {
        Some(f) => vec![mailbox(store, account, f).await?],
        None => {
            let mut conn = store.pool.acquire().await?;
            let mut all = mailboxes::list(&mut conn, account.id).await?;
            all.sort_by(|a, b| rank(&a.name).cmp(&rank(&b.name)).then_with(|| a.name.cmp(&b.name)));
            all
        }
    };
    let root = super::mailbox::maildir_root(store, account);
    let mut out = Vec::new();
    for m in folders {
        if out.len() >= limit {
            break;
        }
        let name = m.name.clone();
        let cands = fts.and_then(|f| super::search::candidates(f, m.id, m.uidvalidity, key));
        let rows = {
            let mut conn = store.pool.acquire().await?;
            let mut c = crate::store::conn::Conn::Any(&mut conn);
            match &cands {
                // Only the candidates' rows (a few of a large folder), and those not indexed yet.
                Some(k) => {
                    let mut rows = Vec::new();
                    for chunk in k.named().chunks(64) {
                        rows.extend(messages::rows_for(&mut c, m.id, chunk, messages::Cols::Light).await?);
                    }
                    rows.extend(messages::rows_light(&mut c, m.id, k.covered() + 1, i64::from(u32::MAX)).await?);
                    rows.sort_by_key(|r| r.uid);
                    rows.dedup_by_key(|r| r.uid);
                    rows
                }
                None => messages::rows_light(&mut c, m.id, 1, i64::from(u32::MAX)).await?,
            }
        };
        let (dir, key, want) = (folder_path(&root, &name), key.clone(), limit - out.len());
        let hits = crate::store::blocking(move || {
            let mut hits = Vec::new();
            for row in rows.iter().rev() {
                if hits.len() >= want {
                    break;
                }
                if cands.as_ref().is_some_and(|c| !c.may_match(row.uid as u32)) {
                    continue;
                }
                let Some(raw) = file::read(&dir, &row.filename, &row.flags).ok() else {
                    continue;
                };
                let ctx = super::search::Ctx { seq: 0, row, recent: false, uids: &[], raw: Some(&raw) };
                if super::search::matches(&key, &ctx) {
                    hits.push(summarize(row.uid, row.flags.clone(), row.size, &raw));
                }
            }
            Ok(hits)
        })
        .await?;
        out.extend(hits.into_iter().map(|summary| Found { folder: name.clone(), summary }));
    }
    Ok(out)
}

//! The outbound queue, as `mailctl queue` steers it (like postqueue/postsuper): list, show,
//! flush, hold, release, delete. The commands change the store, so a running server sees
//! them at once; they work whether or not it runs.

use crate::store::conn::Conn;
use serde::Serialize;

use crate::error::{Error, Kind, Result};
use crate::store::queue::{self, Event, Queued};
use crate::store::spool::{self, Envelope};
use crate::store::{Store, now};

/// `--from` / `--to` patterns: `*` matches any run of characters; without `*`, a
/// case-insensitive substring.
pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_ascii_lowercase(), text.to_ascii_lowercase());
    if !p.contains('*') {
        return t.contains(&p);
    }
    let parts: Vec<&str> = p.split('*').collect();
    let mut rest = t.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty() || parts.last() == Some(&"")
}

#[derive(Debug, Default)]
pub struct Filter {
    pub from: Option<String>,
    pub to: Option<String>,
    pub held: bool,
    pub deferred: bool,
}

impl Filter {
    fn keeps(&self, q: &Queued) -> bool {
        self.from.as_deref().is_none_or(|p| matches(p, &q.sender))
            && self.to.as_deref().is_none_or(|p| q.recipients.iter().any(|r| matches(p, &r.address)))
            && (!self.held || q.held)
            && (!self.deferred || q.attempts > 0 || q.recipients.iter().any(|r| r.status == "deferred"))
    }
}

pub async fn list(store: &Store, filter: &Filter) -> Result<Vec<Queued>> {
    let mut conn = store.pool.acquire().await?;
    Ok(queue::list(&mut conn).await?.into_iter().filter(|q| filter.keeps(q)).collect())
}

#[derive(Debug, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub queued: Queued,
    /// The message's header, as spooled.
    pub headers: String,
    pub events: Vec<Event>,
}

pub async fn show(store: &Store, id: &str) -> Result<Shown> {
    let mut conn = store.pool.acquire().await?;
    let queued = queue::get(&mut conn, id).await?.ok_or_else(|| Error::not_found(format!("no queued message {id}")))?;
    let events = queue::events(&mut conn, id).await?;
    let headers = match spool::read(&spool::outbound_dir(&store.data_dir).join(id)) {
        Ok((_, msg)) => String::from_utf8_lossy(crate::dsn::headers(&msg)).into_owned(),
        Err(e) => format!("(unreadable: {})", e.one_line()),
    };
    Ok(Shown { queued, headers, events })
}

/// Remove a finished (or deleted) message: its spool file first, made durable, then its row.
/// A crash in between leaves a row without a file, which `reconcile` clears; never a file
/// without a row, which would be queued and sent again.
pub async fn remove(store: &Store, id: &str) -> Result<()> {
    let out = spool::outbound_dir(&store.data_dir);
    for dir in [out.clone(), store.data_dir.join("spool/quarantine")] {
        match std::fs::remove_file(dir.join(id)) {
            Ok(()) => crate::fsutil::sync_dir(&dir)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("removing", &dir.join(id), e)),
        }
    }
    let mut tx = store.begin_write().await?;
    queue::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Which messages a command acts on: the ids given, or all (optionally by sender).
pub enum Select {
    Ids(Vec<String>),
    All,
    From(String),
}

/// What a queue command did; `missing` are ids that are not queued (exit 67 after the others
/// were processed); `busy` are being delivered right now (exit 75: try again).
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub done: Vec<String>,
    pub missing: Vec<String>,
    pub busy: Vec<String>,
}

impl Outcome {
    pub fn error(&self) -> Option<Error> {
        if !self.missing.is_empty() {
            return Some(Error::new(Kind::NotFound, format!("not in the queue: {}", self.missing.join(", "))));
        }
        (!self.busy.is_empty()).then(|| {
            Error::new(Kind::TempFail, format!("being delivered right now, try again: {}", self.busy.join(", ")))
        })
    }
}

async fn targets(store: &Store, sel: &Select) -> Result<(Vec<String>, Vec<String>)> {
    let mut conn = store.pool.acquire().await?;
    Ok(match sel {
        Select::All => (queue::ids_by_age(&mut conn).await?, vec![]),
        Select::From(p) => {
            let all = queue::list(&mut conn).await?;
            (all.into_iter().filter(|q| matches(p, &q.sender)).map(|q| q.id).collect(), vec![])
        }
        Select::Ids(ids) => {
            let known = queue::existing(&mut conn, ids).await?;
            ids.iter().cloned().partition(|i| known.contains(i))
        }
    })
}

pub enum Action {
    Hold,
    Release,
    Flush,
    Delete,
}

/// Apply an action to the selected messages, each in its own transaction.
pub async fn act(store: &Store, sel: &Select, action: Action) -> Result<Outcome> {
    let (ids, missing) = targets(store, sel).await?;
    let (mut done, mut busy) = (Vec::new(), Vec::new());
    for id in ids {
        let t = now();
        let mut tx = store.begin_write().await?;
        // A message in the middle of a delivery attempt is not changed under it.
        if matches!(action, Action::Hold | Action::Delete) && queue::claimed(&mut tx, &id, t).await? {
            busy.push(id);
            continue;
        }
        match action {
            Action::Hold => queue::set_held(&mut tx, &id, true, t).await?,
            Action::Release => queue::set_held(&mut tx, &id, false, t).await?,
            Action::Flush => queue::flush(&mut tx, &id, t).await?,
            Action::Delete => {}
        }
        tx.commit().await?;
        if matches!(action, Action::Delete) {
            remove(store, &id).await?;
        }
        done.push(id);
    }
    Ok(Outcome { done, missing, busy })
}

/// `queue bounce`: fail every recipient not yet delivered, send the sender one DSN (never for
/// a null-sender message), and remove the messages.
pub async fn bounce(store: &Store, sel: &Select, hostname: &str) -> Result<Outcome> {
    let (ids, missing) = targets(store, sel).await?;
    let (mut done, mut busy) = (Vec::new(), Vec::new());
    for id in ids {
        let mut conn = store.pool.acquire().await?;
        // Claim it, so no delivery attempt starts while it is bounced.
        let t = now();
        if !queue::take(&mut conn, &id, t, t + 3600).await? {
            busy.push(id);
            continue;
        }
        let Some(q) = queue::get(&mut conn, &id).await? else { continue };
        drop(conn);
        let original = spool::read(&spool::outbound_dir(&store.data_dir).join(&id))
            .map(|(_, m)| crate::dsn::headers(&m).to_vec())
            .unwrap_or_default();
        let open: Vec<&queue::Recipient> = q.recipients.iter().filter(|r| r.status != "delivered").collect();
        if !q.sender.is_empty() && !open.is_empty() {
            let why = "550 5.0.0 returned to the sender by the mail administrator".to_string();
            let diags: Vec<String> = open
                .iter()
                .map(|r| match (&r.last_error, r.status.as_str()) {
                    (Some(e), "failed") => e.clone(),
                    _ => why.clone(),
                })
                .collect();
            let failed: Vec<crate::dsn::Failed<'_>> = open
                .iter()
                .zip(&diags)
                .map(|(r, d)| crate::dsn::Failed { recipient: &r.address, status: "5.0.0", diagnostic: d })
                .collect();
            if !crate::ops::deliver::bounce(store, hostname, &id, &q.sender, q.received_at, &failed, &original).await {
                let mut conn = store.pool.acquire().await?;
                queue::unclaim(&mut conn, &id).await?;
                return Err(Error::new(
                    Kind::TempFail,
                    format!("the DSN for {id} could not be queued; nothing was changed"),
                ));
            }
        }
        remove(store, &id).await?;
        done.push(id);
    }
    Ok(Outcome { done, missing, busy })
}

/// At server start: every spool file is queued and every queued message has its file.
/// A complete file without a row (spooled, then a crash before the commit) is queued: mail
/// is delivered at least once rather than lost. A damaged file is moved to
/// `spool/quarantine/` and listed as quarantined; so is a row whose file is gone.
pub async fn reconcile(store: &Store) -> Result<(usize, usize)> {
    let out = spool::outbound_dir(&store.data_dir);
    let files: Vec<String> = match std::fs::read_dir(&out) {
        Ok(r) => r.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => vec![],
    };
    // One transaction: thousands of orphans (an upgrade, a restored backup) import quickly.
    let mut conn = store.begin_write().await?;
    let known: std::collections::HashSet<String> = queue::ids(&mut conn).await?.into_iter().collect();
    let (mut imported, mut quarantined) = (0, 0);
    let t = now();
    for f in &files {
        if known.contains(f) {
            continue;
        }
        let path = out.join(f);
        match spool::read(&path) {
            Ok((env, _)) if env.id == *f => {
                queue::insert(&mut Conn::Any(&mut conn), &env, t, None).await?;
                imported += 1;
            }
            _ => {
                let env = Envelope {
                    id: f.clone(),
                    from: String::new(),
                    recipients: vec![],
                    received_at: t,
                    size: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                    submitted_by: None,
                    require_tls: false,
                };
                move_to_quarantine(store, f);
                queue::insert(&mut Conn::Any(&mut conn), &env, t, Some("damaged spool file")).await?;
                quarantined += 1;
            }
        }
    }
    let present: std::collections::HashSet<&String> = files.iter().collect();
    for id in known.iter().filter(|id| !present.contains(id)) {
        let in_quarantine = store.data_dir.join("spool/quarantine").join(id).exists();
        let finished = queue::get(&mut conn, id)
            .await?
            .is_some_and(|q| !q.recipients.iter().any(|r| r.status == "pending" || r.status == "deferred"));
        if finished && !in_quarantine {
            // Its file was removed and a crash came before the row went: it is done.
            queue::delete(&mut conn, id).await?;
            continue;
        }
        if !in_quarantine {
            queue::quarantine(&mut conn, id, "spool file missing", t).await?;
            quarantined += 1;
        }
    }
    conn.commit().await?;
    Ok((imported, quarantined))
}

/// Move a damaged spool file aside (it is never delivered).
pub fn move_to_quarantine(store: &Store, id: &str) {
    let q = store.data_dir.join("spool/quarantine");
    let _ = crate::fsutil::create_private_dir(&q);
    let _ = std::fs::rename(spool::outbound_dir(&store.data_dir).join(id), q.join(id));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches("spammer", "big.Spammer@x.example"));
        assert!(matches("*@x.example", "a@x.example"));
        assert!(!matches("*@x.example", "a@x.example.org"));
        assert!(matches("a*@*.example", "alice@mail.example"));
        assert!(matches("*", ""));
        assert!(!matches("b*", "abc"));
    }
}

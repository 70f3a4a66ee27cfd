//! `/webmail/events`: server-sent events that tell an open page its folders changed, fed by
//! the store's change channel (the one IMAP IDLE listens on). Each event names the folders
//! that changed (one per line; `*` when some notices were missed); the page then fetches
//! what it shows again. The stream ends when the session does, with a `signedout` event.

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

use super::{Member, problem, session};
use crate::server::Shared;
use crate::store::Store;

/// Streams open at once in this process (each holds a connection and a channel receiver).
const MOST_STREAMS: usize = 4096;
/// Changes within this long after the first go out as one event.
const GATHER: Duration = Duration::from_millis(250);
/// How often the session is checked, and a comment line keeps proxies from closing the stream.
const CHECK: Duration = Duration::from_secs(30);

/// Streams one account may hold open (its tabs and devices): one member cannot take the rest.
const MOST_PER_ACCOUNT: usize = 32;
/// Other accounts' mailbox ids a stream remembers as not its own.
const MOST_FOREIGN: usize = 100_000;

static OPEN: AtomicUsize = AtomicUsize::new(0);

fn per_account() -> std::sync::MutexGuard<'static, HashMap<i64, usize>> {
    static PER: std::sync::OnceLock<std::sync::Mutex<HashMap<i64, usize>>> = std::sync::OnceLock::new();
    PER.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner())
}

/// One open stream of an account, counted while it lives.
struct Slot(i64);

impl Slot {
    /// A slot, unless the process or the account holds too many streams.
    fn take(account_id: i64) -> Option<Slot> {
        let mut per = per_account();
        let mine = per.entry(account_id).or_default();
        if *mine >= MOST_PER_ACCOUNT || OPEN.load(Ordering::Relaxed) >= MOST_STREAMS {
            return None;
        }
        *mine += 1;
        OPEN.fetch_add(1, Ordering::Relaxed);
        Some(Slot(account_id))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::Relaxed);
        let mut per = per_account();
        if let Some(n) = per.get_mut(&self.0) {
            *n -= 1;
            if *n == 0 {
                per.remove(&self.0);
            }
        }
    }
}

struct Listening {
    store: Arc<Store>,
    member: Member,
    changes: tokio::sync::broadcast::Receiver<(i64, i64)>,
    /// The account's mailboxes: id -> name (read again when an unknown id shows up).
    names: HashMap<i64, String>,
    /// Ids found to be other accounts' mailboxes: never looked up again.
    foreign: std::collections::HashSet<i64>,
    ended: bool,
    /// When the session is checked next (however busy the channel is with other accounts).
    check_at: tokio::time::Instant,
    _slot: Slot,
}

async fn names(store: &Store, account_id: i64) -> crate::error::Result<HashMap<i64, String>> {
    let mut conn = store.pool.acquire().await?;
    Ok(crate::store::mailboxes::list(&mut conn, account_id).await?.into_iter().map(|m| (m.id, m.name)).collect())
}

impl Listening {
    /// The folder a change is about, if it is one of this account's.
    async fn folder(&mut self, id: i64) -> Option<String> {
        if let Some(n) = self.names.get(&id) {
            return Some(n.clone());
        }
        if self.foreign.contains(&id) {
            return None;
        }
        // A folder made since the stream began, or another account's (looked up once).
        if let Ok(fresh) = names(&self.store, self.member.account.id).await {
            self.names = fresh;
        }
        let found = self.names.get(&id).cloned();
        if found.is_none() {
            if self.foreign.len() >= MOST_FOREIGN {
                self.foreign.clear();
            }
            self.foreign.insert(id);
        }
        found
    }

    /// The next event: the folders that changed, a missed-notices `*`, or `signedout`.
    async fn next(&mut self) -> Option<Event> {
        if self.ended {
            return None;
        }
        loop {
            let mut changed = BTreeSet::new();
            tokio::select! {
                r = self.changes.recv() => match r {
                    Ok((id, _)) => changed.extend(self.folder(id).await),
                    Err(RecvError::Lagged(_)) => { changed.insert("*".to_string()); }
                    Err(RecvError::Closed) => return None,
                },
                _ = tokio::time::sleep_until(self.check_at) => {
                    self.check_at = tokio::time::Instant::now() + CHECK;
                    if !session::still_live(&self.store, &self.member.session).await.unwrap_or(true) {
                        self.ended = true;
                        return Some(Event::default().event("signedout").data("signed out"));
                    }
                    return Some(Event::default().comment("still here"));
                }
            }
            if changed.is_empty() {
                continue;
            }
            // What else changed in the next moment goes with it.
            let until = tokio::time::Instant::now() + GATHER;
            while let Ok(r) = tokio::time::timeout_at(until, self.changes.recv()).await {
                match r {
                    Ok((id, _)) => changed.extend(self.folder(id).await),
                    Err(RecvError::Lagged(_)) => {
                        changed.insert("*".to_string());
                    }
                    Err(RecvError::Closed) => break,
                }
            }
            let data: Vec<String> = changed.into_iter().collect();
            return Some(Event::default().event("change").data(data.join("\n")));
        }
    }
}

pub async fn events(State(shared): State<Arc<Shared>>, member: Member) -> Response {
    let Some(slot) = Slot::take(member.account.id) else {
        return problem(StatusCode::SERVICE_UNAVAILABLE, "Busy", "too many pages are listening for new mail");
    };
    let store = shared.store();
    // Subscribed before the names are read: nothing that changes in between is missed.
    let changes = store.changes.subscribe();
    let names = match names(&store, member.account.id).await {
        Ok(n) => n,
        Err(e) => return super::failed(e),
    };
    let state = Listening {
        store,
        member,
        changes,
        names,
        foreign: Default::default(),
        ended: false,
        check_at: tokio::time::Instant::now() + CHECK,
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(state, |mut s| async move {
        let e = s.next().await?;
        Some((Ok::<_, Infallible>(e), s))
    });
    Sse::new(stream).into_response()
}

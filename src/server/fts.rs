//! The full-text indexer: one task that keeps `store::fts` up with the mailboxes. Changes made
//! in this process (delivery, APPEND, COPY, EXPUNGE, the webmail) wake it through the store's
//! change channel, the same one IMAP IDLE listens to; a sweep every half minute, and one at
//! start, catches what other processes (`mailctl` commands, a restore) changed and what an
//! index left behind by a crash lacks. Rebuild requests from `mailctl mailbox reindex --fts`
//! are taken within a second.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::time::Instant;

use super::Shared;
use crate::config::Config;
use crate::ops::fts as ops;
use crate::store::fts::Fts;

const SWEEP: Duration = Duration::from_secs(30);
const TICK: Duration = Duration::from_secs(1);
/// After a change, the pause in changes that ends a burst: indexing starts once no change came
/// for this long (or [`BUSY_INTERVAL`] after the burst's first change), so that a burst of
/// deliveries is indexed after it, in one commit, instead of beside it. Started 200 ms after
/// the first change, a round read the burst's rows and synced its segments while the burst
/// went on: 3,000 messages at 20 SMTP sessions ran at 5,669 msg/s against 6,060 with no index
/// (medians of eight interleaved runs, slower in all eight).
const GATHER: Duration = Duration::from_millis(200);
/// While changes keep coming, start a round of indexing at most this often: each commit
/// writes and syncs a new segment that merges then rewrite, so a server under a stream of
/// deliveries indexes in a few large steps rather than many small ones (a lagging index
/// costs searches a little reading, never a result). A round indexes each of its mailboxes
/// to its end, however large.
const BUSY_INTERVAL: Duration = Duration::from_secs(5);

/// Open the index for this server, when the config wants one. A server without it searches
/// by reading every message, and says why.
pub fn open(cfg: &Config) -> Option<Arc<Fts>> {
    if !cfg.server.search_index {
        return None;
    }
    match Fts::open(&cfg.data_dir) {
        Ok(Some(f)) => Some(f),
        Ok(None) => {
            tracing::warn!("full-text index held by another process: searches read every message");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e.one_line(), "full-text index not opened: searches read every message");
            None
        }
    }
}

pub async fn run(shared: Arc<Shared>, fts: Arc<Fts>) {
    let mut changes = shared.store().changes.subscribe();
    let mut shutdown = shared.shutdown.clone();
    // Changed mailboxes wait in `dirty`; a round takes them all and indexes each to its end.
    let mut dirty: BTreeSet<i64> = BTreeSet::new();
    let mut round: BTreeSet<i64> = BTreeSet::new();
    let mut sweep_at = Instant::now();
    let mut busy = false;
    let mut round_at: Option<Instant> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let store = shared.store();
        if let Some(what) = fts.take_rebuild() {
            match ops::rebuild(&store, &fts, &what).await {
                Ok(ids) => {
                    tracing::info!(mailboxes = ids.len(), "full-text index: rebuilding");
                    round.extend(ids);
                }
                Err(e) => tracing::warn!(error = %e.one_line(), "full-text index: rebuild failed"),
            }
        }
        if Instant::now() >= sweep_at {
            sweep_at = Instant::now() + SWEEP;
            match ops::behind(&store, &fts).await {
                Ok((late, gone)) => {
                    dirty.extend(late);
                    if !gone.is_empty()
                        && let Err(e) = ops::forget(&fts, &gone).await
                    {
                        tracing::warn!(error = %e.one_line(), "full-text index: cannot forget deleted mailboxes");
                    }
                }
                Err(e) => tracing::warn!(error = %e.one_line(), "full-text index: cannot list mailboxes"),
            }
        }
        take_changes(&mut changes, &mut dirty, &mut sweep_at);
        if let Some(id) = round.pop_first() {
            busy = true;
            match ops::catch_up(&store, &fts, id).await {
                Ok(true) => {
                    round.insert(id);
                }
                Ok(false) => {}
                // The sweep tries again.
                Err(e) => tracing::warn!(mailbox = id, error = %e.one_line(), "full-text index: cannot index"),
            }
            continue;
        }
        if !dirty.is_empty() {
            // At most one round per BUSY_INTERVAL while changes keep coming.
            if let Some(at) = round_at.map(|t| t + BUSY_INTERVAL)
                && at > Instant::now()
            {
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    _ = shutdown.changed() => return,
                }
                continue;
            }
            round_at = Some(Instant::now());
            round = std::mem::take(&mut dirty);
            continue;
        }
        if busy {
            busy = false;
            let documents = fts.documents();
            crate::metrics::METRICS.fts_documents.set(documents as i64);
            tracing::info!(documents, bytes = fts.size(), "full-text index: up to date");
        }
        tokio::select! {
            r = changes.recv() => match r {
                Ok((id, _)) => {
                    dirty.insert(id);
                    let cap = Instant::now() + BUSY_INTERVAL;
                    // Changes are taken every GATHER, not one by one: a burst wakes this task a
                    // few times a second, not once per delivery.
                    loop {
                        tokio::select! {
                            _ = tokio::time::sleep(GATHER) => {}
                            _ = shutdown.changed() => return,
                        }
                        let more = take_changes(&mut changes, &mut dirty, &mut sweep_at);
                        if !more || Instant::now() >= cap {
                            break;
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => sweep_at = Instant::now(),
                Err(RecvError::Closed) => return,
            },
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Take the changes queued: their mailboxes become dirty, and a lag (changes lost to a full
/// channel) brings the sweep forward. Whether there were any.
fn take_changes(
    changes: &mut tokio::sync::broadcast::Receiver<(i64, i64)>,
    dirty: &mut BTreeSet<i64>,
    sweep_at: &mut Instant,
) -> bool {
    let mut any = false;
    loop {
        match changes.try_recv() {
            Ok((id, _)) => {
                dirty.insert(id);
            }
            Err(TryRecvError::Lagged(_)) => *sweep_at = Instant::now(),
            Err(_) => return any,
        }
        any = true;
    }
}

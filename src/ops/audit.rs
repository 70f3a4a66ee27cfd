//! The audit log: who changed what through the admin API, and how it ended. Secrets (tokens,
//! passwords) never go in.

use crate::error::Result;
use crate::store::audit::{self, Entry};
use crate::store::{Store, now};

/// Record one write. A failure to record is logged, never turned into the request's failure
/// (the write itself has happened or not by then).
pub async fn record(store: &Store, actor: &str, action: &str, target: &str, result: &str, detail: &str) {
    let written = async {
        let mut conn = store.pool.acquire().await?;
        audit::insert(&mut conn, now(), actor, action, target, result, detail).await
    };
    if let Err(e) = written.await {
        tracing::error!(error = %e.one_line(), action, "recording an audit entry");
    }
}

/// The latest `limit` entries newer than `since_secs` ago, oldest first.
pub async fn list(store: &Store, since_secs: Option<i64>, limit: i64) -> Result<Vec<Entry>> {
    let since = since_secs.map(|s| now() - s).unwrap_or(0);
    audit::list(&mut *store.pool.acquire().await?, since, limit.clamp(1, 100_000)).await
}

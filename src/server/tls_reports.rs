//! Inside `mailctl serve`: once an hour, the TLS reports due (RFC 8460: each past UTC day's
//! outbound TLS results, per destination domain) are sent through `ops::tls_report`, unless
//! `tls_reports = false` or outbound delivery is off.

use std::sync::Arc;
use std::time::Duration;

use crate::server::Shared;

const EVERY: Duration = Duration::from_secs(3600);
/// The first round waits this long after start, so a restart loop cannot send a burst.
const FIRST: Duration = Duration::from_secs(60);

pub async fn run(shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    let mut wait = FIRST;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
        wait = EVERY;
        let cfg = shared.config();
        if !cfg.server.tls_reports || !cfg.server.outbound_delivery {
            continue;
        }
        match crate::ops::tls_report::send_due(&shared.store(), &cfg).await {
            Ok(sent) => {
                for s in sent {
                    tracing::info!(day = s.day, domain = s.domain, to = %s.to.join(","), failed = %s.failed.join("; "), "TLS report");
                }
            }
            Err(e) => tracing::warn!(error = %e.one_line(), "TLS reports: will try again in an hour"),
        }
    }
}

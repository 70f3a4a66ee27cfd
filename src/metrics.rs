//! The server's Prometheus metrics: one registry, counters and histograms updated where things
//! happen, gauges read from the store at scrape time (`server::http::metrics`). Every label
//! takes values from a small fixed set (listener names, protocols, outcomes, IMAP command
//! names): never an address, a message id or anything a client chose.

use std::sync::LazyLock;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

pub struct Metrics {
    pub registry: Registry,
    /// SMTP connections accepted, by listener (smtp, submission, submissions).
    pub smtp_connections: IntCounterVec,
    /// Messages at the end of DATA/BDAT, by listener and result (accepted, rejected, tempfail).
    pub smtp_messages: IntCounterVec,
    /// Deliveries by kind (local, remote) and outcome (delivered, deferred, bounced).
    pub deliveries: IntCounterVec,
    /// Outbound connections by the TLS policy that applied (opportunistic, transport, relayhost
    /// login, mta-sts-enforce, mta-sts-testing) and what came of TLS (verified, unverified,
    /// none, failed).
    pub outbound_tls: IntCounterVec,
    /// Open sessions by protocol (smtp, imap, pop3).
    pub sessions: IntGaugeVec,
    /// IMAP command durations, by command name (unknown names count as `other`).
    pub imap_commands: HistogramVec,
    /// POP3 command durations.
    pub pop3_commands: Histogram,
    /// Logins by protocol and result (ok, denied, locked, unavailable).
    pub logins: IntCounterVec,
    /// DKIM signatures made for outbound mail.
    pub dkim_signatures: IntCounter,
    /// Inbound filter decisions by action (inbox, junk, reject, tempfail).
    pub filter_verdicts: IntCounterVec,
    /// Admin API requests by status class (2xx, 4xx, 5xx).
    pub api_requests: IntCounterVec,
    /// When this server started (Unix seconds): a change means a restart.
    pub start_time: IntGauge,
    /// Messages in the full-text index, as of its last catch-up.
    pub fts_documents: IntGauge,
}

fn counter(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid metric");
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

/// Command latencies from 0.5 ms to 10 s.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let r = Registry::new();
    let sessions = IntGaugeVec::new(Opts::new("mailctl_sessions", "Open sessions by protocol"), &["protocol"])
        .expect("a valid metric");
    r.register(Box::new(sessions.clone())).expect("registered once");
    let imap_commands = HistogramVec::new(
        HistogramOpts::new("mailctl_imap_command_duration_seconds", "IMAP command durations").buckets(BUCKETS.to_vec()),
        &["command"],
    )
    .expect("a valid metric");
    r.register(Box::new(imap_commands.clone())).expect("registered once");
    let pop3_commands = Histogram::with_opts(
        HistogramOpts::new("mailctl_pop3_command_duration_seconds", "POP3 command durations").buckets(BUCKETS.to_vec()),
    )
    .expect("a valid metric");
    r.register(Box::new(pop3_commands.clone())).expect("registered once");
    let dkim_signatures =
        IntCounter::new("mailctl_dkim_signatures_total", "DKIM signatures made").expect("a valid metric");
    r.register(Box::new(dkim_signatures.clone())).expect("registered once");
    let start_time = IntGauge::new("mailctl_start_time_seconds", "When the server started, in Unix seconds")
        .expect("a valid metric");
    r.register(Box::new(start_time.clone())).expect("registered once");
    let fts_documents =
        IntGauge::new("mailctl_fts_documents", "Messages in the full-text index").expect("a valid metric");
    r.register(Box::new(fts_documents.clone())).expect("registered once");
    Metrics {
        smtp_connections: counter(&r, "mailctl_smtp_connections_total", "SMTP connections by listener", &["listener"]),
        smtp_messages: counter(
            &r,
            "mailctl_smtp_messages_total",
            "SMTP messages by listener and result",
            &["listener", "result"],
        ),
        deliveries: counter(&r, "mailctl_deliveries_total", "Deliveries by kind and outcome", &["kind", "outcome"]),
        outbound_tls: counter(
            &r,
            "mailctl_outbound_tls_total",
            "Outbound connections by TLS policy and result",
            &["policy", "result"],
        ),
        logins: counter(&r, "mailctl_logins_total", "Logins by protocol and result", &["protocol", "result"]),
        filter_verdicts: counter(
            &r,
            "mailctl_filter_verdicts_total",
            "Inbound filter decisions by action",
            &["action"],
        ),
        api_requests: counter(&r, "mailctl_api_requests_total", "Admin API requests by status class", &["class"]),
        sessions,
        imap_commands,
        pop3_commands,
        dkim_signatures,
        start_time,
        fts_documents,
        registry: r,
    }
});

/// The IMAP command names a label may take.
const IMAP_COMMANDS: &[&str] = &[
    "APPEND",
    "AUTHENTICATE",
    "CAPABILITY",
    "CHECK",
    "CLOSE",
    "COMPRESS",
    "COPY",
    "CREATE",
    "DELETE",
    "ENABLE",
    "EXAMINE",
    "EXPUNGE",
    "FETCH",
    "GETQUOTA",
    "GETQUOTAROOT",
    "ID",
    "IDLE",
    "LIST",
    "LOGIN",
    "LOGOUT",
    "LSUB",
    "MOVE",
    "NAMESPACE",
    "NOOP",
    "RENAME",
    "SEARCH",
    "SELECT",
    "SORT",
    "STARTTLS",
    "STATUS",
    "STORE",
    "SUBSCRIBE",
    "THREAD",
    "UID",
    "UNSELECT",
    "UNSUBSCRIBE",
];

/// The label for an IMAP command name: itself when known, else `other`.
pub fn imap_command(name: &str) -> &'static str {
    IMAP_COMMANDS.iter().find(|c| c.eq_ignore_ascii_case(name)).copied().unwrap_or("other")
}

/// An open session, counted until dropped.
pub struct Session(&'static str);

impl Session {
    pub fn open(protocol: &'static str) -> Session {
        METRICS.sessions.with_label_values(&[protocol]).inc();
        Session(protocol)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        METRICS.sessions.with_label_values(&[self.0]).dec();
    }
}

/// The registry in the Prometheus text format (0.0.4), with `extra` text appended (the
/// gauges read at scrape time).
pub fn render(extra: &str) -> String {
    let mut out = Vec::new();
    let _ = prometheus::TextEncoder::new().encode(&METRICS.registry.gather(), &mut out);
    let mut text = String::from_utf8(out).unwrap_or_default();
    text.push_str(extra);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_labels_are_known_names_or_other() {
        assert_eq!(imap_command("fetch"), "FETCH");
        for hostile in ["", "X-EVIL", "FETCH\n# HELP", &"A".repeat(1000)] {
            assert_eq!(imap_command(hostile), "other");
        }
    }
}

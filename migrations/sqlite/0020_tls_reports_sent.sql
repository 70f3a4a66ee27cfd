-- The TLS reports (RFC 8460) sent for each UTC day and destination domain, so each is sent
-- once: written after the report is queued (or posted), so a crash in between sends it again
-- rather than never.
CREATE TABLE tls_reports_sent (
    day             TEXT NOT NULL,            -- YYYY-MM-DD, UTC
    domain          TEXT NOT NULL,            -- the policy domain reported on
    report_id       TEXT NOT NULL,
    sent_to         TEXT NOT NULL,            -- the rua URIs it went to, comma-separated
    sent_at         BIGINT NOT NULL,
    PRIMARY KEY (day, domain)
);

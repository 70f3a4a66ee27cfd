-- Outbound TLS: a transport route may pin a TLS level (none, may, encrypt, verify; NULL:
-- MTA-STS decides, else may), and the MTA-STS policies of destination domains are kept for
-- their max_age (RFC 8461 §3.3), so a restart or a failed refresh keeps them.
ALTER TABLE transports ADD COLUMN tls TEXT;

CREATE TABLE mta_sts_policies (
    domain          TEXT PRIMARY KEY,         -- lower case
    id              TEXT NOT NULL,            -- the TXT record's id
    policy          TEXT NOT NULL,            -- JSON: mode, mx, max_age
    fetched_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);

-- What outbound TLS negotiations came to, per UTC day, destination (policy) domain, MX host
-- and result (RFC 8460's aggregate: success, or a failure type of §4.3), for
-- `mailctl report tls --outbound`.
CREATE TABLE tls_results (
    day             TEXT NOT NULL,            -- YYYY-MM-DD, UTC
    domain          TEXT NOT NULL,
    policy          TEXT NOT NULL,            -- sts, no-policy-found
    mx_host         TEXT NOT NULL,
    result          TEXT NOT NULL,
    sessions        INTEGER NOT NULL,
    PRIMARY KEY (day, domain, policy, mx_host, result)
);

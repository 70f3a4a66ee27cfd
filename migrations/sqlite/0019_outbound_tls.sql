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

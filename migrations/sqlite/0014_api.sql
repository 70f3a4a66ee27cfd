-- The HTTP admin API: tokens (only a hash of the secret is kept), the audit log of every
-- write made through the API or the CLI, and the answers to POSTs that carried an
-- Idempotency-Key (kept a day, so that a retried create answers with the first result).
CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL UNIQUE,
    prefix          TEXT NOT NULL UNIQUE,     -- the public part of the token, to find the row
    secret_sha256   TEXT NOT NULL,            -- hex SHA-256 of the secret part (256 random bits)
    scopes          TEXT NOT NULL,            -- comma-separated, e.g. accounts:read,accounts:write
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,                     -- NULL: never
    last_used_at    INTEGER,
    revoked_at      INTEGER
);

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    actor           TEXT NOT NULL,            -- token:<name>, or cli
    action          TEXT NOT NULL,            -- e.g. account.create
    target          TEXT NOT NULL,            -- what it acted on ('' when nothing)
    result          TEXT NOT NULL,            -- ok, or the error's status and title
    detail          TEXT NOT NULL DEFAULT ''  -- never a secret
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE idempotency_keys (
    token_id        INTEGER NOT NULL,
    key             TEXT NOT NULL,
    request_sha256  TEXT NOT NULL,            -- method, path and body: a different request with the same key is refused
    status          INTEGER NOT NULL,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (token_id, key)
);

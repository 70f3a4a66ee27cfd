-- Webmail sign-ins: only a hash of the session cookie is kept, with the CSRF token the pages
-- carry, when it began and when it was last used (it ends after webmail_idle_timeout).
CREATE TABLE webmail_sessions (
    id_sha256       TEXT PRIMARY KEY,         -- hex SHA-256 of the cookie's value (256 random bits)
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf            TEXT NOT NULL,            -- the token every state-changing request carries
    created_at      INTEGER NOT NULL,
    seen_at         INTEGER NOT NULL,
    client          TEXT NOT NULL DEFAULT ''  -- the address it signed in from
);
CREATE INDEX webmail_sessions_account ON webmail_sessions (account_id);

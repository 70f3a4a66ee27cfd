-- DKIM keys per domain. The private key is a file (0600) in data_dir/dkim/<domain>/;
-- status: pending (created, to be published), active (signs), inactive (still published so
-- mail in flight verifies, no longer signs), retired (neither; the file is removed).
CREATE TABLE dkim_keys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    domain          TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
    selector        TEXT NOT NULL,
    algorithm       TEXT NOT NULL,            -- rsa-2048, rsa-4096, ed25519
    status          TEXT NOT NULL,
    public_key      TEXT NOT NULL,            -- the p= value
    created_at      INTEGER NOT NULL,
    changed_at      INTEGER NOT NULL,
    UNIQUE (domain, selector)
);

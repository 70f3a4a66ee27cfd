-- mailctl schema v1 (SQLite). Times are Unix seconds.
CREATE TABLE domains (
    name        TEXT PRIMARY KEY NOT NULL,   -- A-label, lower case
    created_at  INTEGER NOT NULL
);

CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    address         TEXT NOT NULL UNIQUE,    -- local@domain, lower case
    local_part      TEXT NOT NULL,
    domain          TEXT NOT NULL REFERENCES domains(name),
    tier            TEXT NOT NULL CHECK (tier IN ('vip', 'paid', 'business')),
    owner           TEXT,
    password_hash   TEXT NOT NULL,
    quota_bytes     INTEGER,                 -- NULL: unlimited
    quota_custom    INTEGER NOT NULL DEFAULT 0,
    used_bytes      INTEGER NOT NULL DEFAULT 0,
    used_messages   INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_login_at   INTEGER
);
CREATE INDEX accounts_domain ON accounts(domain);
CREATE INDEX accounts_owner ON accounts(owner);

CREATE TABLE aliases (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    address      TEXT NOT NULL,              -- local@domain, or @domain for a catch-all
    domain       TEXT NOT NULL REFERENCES domains(name),
    destination  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (address, destination)
);
CREATE INDEX aliases_domain ON aliases(domain);
CREATE INDEX aliases_destination ON aliases(destination);

-- The vacation responder (RFC 3834): each account's settings, and to whom it last replied
-- (at most one reply per sender per `days`).
CREATE TABLE vacations (
    account_id      INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    enabled         INTEGER NOT NULL DEFAULT 0,
    start_at        INTEGER,                  -- Unix time; NULL: from now
    end_at          INTEGER,                  -- Unix time; NULL: until turned off
    subject         TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    days            INTEGER NOT NULL DEFAULT 7,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE vacation_replies (
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    sender          TEXT NOT NULL,            -- lower case
    sent_at         INTEGER NOT NULL,
    PRIMARY KEY (account_id, sender)
);

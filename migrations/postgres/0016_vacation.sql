-- The vacation responder (RFC 3834): each account's settings, and to whom it last replied
-- (at most one reply per sender per `days`).
CREATE TABLE vacations (
    account_id      BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    enabled         BIGINT NOT NULL DEFAULT 0,
    start_at        BIGINT,                  -- Unix time; NULL: from now
    end_at          BIGINT,                  -- Unix time; NULL: until turned off
    subject         TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    days            BIGINT NOT NULL DEFAULT 7,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE vacation_replies (
    account_id      BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    sender          TEXT NOT NULL,            -- lower case
    sent_at         BIGINT NOT NULL,
    PRIMARY KEY (account_id, sender)
);

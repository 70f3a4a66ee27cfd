-- IMAP: expunge tombstones (for EXPUNGE notifications and QRESYNC VANISHED), subscriptions,
-- the \Recent high-water mark, and a cache of each message's ENVELOPE.
CREATE TABLE expunged (
    mailbox_id      INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid             INTEGER NOT NULL,
    modseq          INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_mailbox_modseq ON expunged(mailbox_id, modseq);

CREATE TABLE subscriptions (
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
);

ALTER TABLE mailboxes ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN envelope BLOB;

-- The last UIDVALIDITY given out, so a mailbox deleted and created again never reuses one.
ALTER TABLE accounts ADD COLUMN last_uidvalidity INTEGER NOT NULL DEFAULT 0;

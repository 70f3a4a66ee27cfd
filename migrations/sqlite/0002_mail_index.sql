-- The mail index: folders and messages per account (authoritative for IMAP; rebuilt from
-- the Maildir by `mailbox reindex`).
CREATE TABLE mailboxes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,            -- INBOX, Sent, ...
    uidvalidity     INTEGER NOT NULL,
    uidnext         INTEGER NOT NULL DEFAULT 1,
    highestmodseq   INTEGER NOT NULL DEFAULT 1,
    UNIQUE (account_id, name)
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox_id      INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid             INTEGER NOT NULL,
    filename        TEXT NOT NULL,            -- base name in new/ or cur/
    size            INTEGER NOT NULL,
    internal_date   INTEGER NOT NULL,
    flags           TEXT NOT NULL DEFAULT '',
    modseq          INTEGER NOT NULL,
    UNIQUE (mailbox_id, uid)
);
CREATE INDEX messages_mailbox_modseq ON messages(mailbox_id, modseq);

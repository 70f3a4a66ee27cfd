-- The outbound queue: one row per message in data_dir/spool/outbound/<id> (the file holds
-- the envelope and the message; these rows hold the delivery state), one row per recipient,
-- and a log of what happened to each message.
CREATE TABLE queue (
    id              TEXT PRIMARY KEY,
    sender          TEXT NOT NULL,            -- '' for the null sender
    size            INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    submitted_by    TEXT,
    held            INTEGER NOT NULL DEFAULT 0,
    quarantined     INTEGER NOT NULL DEFAULT 0,    -- the spool file is damaged or missing
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt    INTEGER NOT NULL,
    last_error      TEXT,
    locked_until    INTEGER NOT NULL DEFAULT 0  -- a delivery attempt holds the message until then
);
CREATE INDEX queue_next_attempt ON queue(next_attempt);

CREATE TABLE queue_recipients (
    queue_id        TEXT NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
    recipient       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',  -- pending, deferred, delivered, failed
    last_error      TEXT,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (queue_id, recipient)
);

CREATE TABLE queue_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_id        TEXT NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
    at              INTEGER NOT NULL,
    event           TEXT NOT NULL
);
CREATE INDEX queue_events_queue ON queue_events(queue_id);

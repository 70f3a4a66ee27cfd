-- What the inbound filters decided about each message from outside, for `mailctl filter
-- explain`: kept for `verdict_retention` (7 days by default), refusals included.
CREATE TABLE verdicts (
    queue_id        TEXT PRIMARY KEY,         -- the transaction id of the Received: header
    message_id      TEXT NOT NULL,            -- without angle brackets; '' when the message has none
    received_at     INTEGER NOT NULL,
    client          TEXT NOT NULL,            -- the client's address
    sender          TEXT NOT NULL,            -- the envelope sender; '' for the null sender
    recipients      TEXT NOT NULL,            -- comma-separated
    action          TEXT NOT NULL,            -- inbox, junk, reject or tempfail
    reason          TEXT NOT NULL,
    details         TEXT NOT NULL             -- the header fields the checks wrote
);
CREATE INDEX verdicts_message_id ON verdicts (message_id);
CREATE INDEX verdicts_received_at ON verdicts (received_at);

-- Greylisting (`greylist = true`): a (client network, sender, recipient) triplet seen for the
-- first time is deferred; a retry after `greylist_delay` passes it, and a passed triplet passes
-- at once for 35 days after it was last seen. The network is the client's /24 (IPv4) or /64
-- (IPv6), so a sender's retries from another address of its pool still match.
CREATE TABLE greylist (
    network         TEXT NOT NULL,
    sender          TEXT NOT NULL,            -- lowercase; '' for the null sender
    recipient       TEXT NOT NULL,            -- lowercase
    first_seen      INTEGER NOT NULL,
    passed_at       INTEGER,
    last_seen       INTEGER NOT NULL,
    PRIMARY KEY (network, sender, recipient)
);
CREATE INDEX greylist_last_seen ON greylist (last_seen);

-- Allow and block lists of inbound mail (`mailctl filter allow|block`): a sender address or
-- @domain, for every account (`account` empty) or for one (its address). A block refuses
-- the sender at RCPT; an allow skips spam scoring (never virus scanning).
CREATE TABLE filter_rules (
    pattern         TEXT NOT NULL,            -- lowercase: user@domain or @domain
    account         TEXT NOT NULL,            -- lowercase address, or '' for every account
    kind            TEXT NOT NULL CHECK (kind IN ('allow', 'block')),
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (pattern, account)
);

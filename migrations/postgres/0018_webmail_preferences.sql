-- The webmail's preferences of each member: the display name and signature of each address
-- they send as (the account or one of its aliases), and the senders whose remote content
-- (images, style sheets) they chose to always show.
CREATE TABLE webmail_identities (
    account_id      BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    address         TEXT NOT NULL,            -- lower case
    display_name    TEXT NOT NULL DEFAULT '',
    signature       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, address)
);

CREATE TABLE webmail_trusted_senders (
    account_id      BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    sender          TEXT NOT NULL,            -- lower case
    added_at        BIGINT NOT NULL,
    PRIMARY KEY (account_id, sender)
);

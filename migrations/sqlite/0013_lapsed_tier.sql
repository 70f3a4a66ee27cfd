-- An account whose member moved down to a tier without a mailbox (guest or free): it is
-- suspended (no login, inbound mail refused with 550 5.2.1) and keeps its mail; `tier` keeps
-- the last tier that had a mailbox. Moving it back up to vip or higher clears this.
ALTER TABLE accounts ADD COLUMN lapsed_tier TEXT CHECK (lapsed_tier IN ('guest', 'free'));

-- BODYSTRUCTURE beside the cached ENVELOPE: both are computed from the bytes in memory at
-- delivery and APPEND and written with the message's row, so FETCH never writes the index.
ALTER TABLE messages ADD COLUMN bodystructure BYTEA;

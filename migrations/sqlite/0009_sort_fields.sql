-- What SORT and THREAD need of a message's header (RFC 5256: sent date, base subject, first
-- From/To/Cc mailbox, display names, Message-ID, In-Reply-To, References), as JSON, computed
-- from the bytes in memory at delivery and APPEND and written with the row, so sorting and
-- threading never read the files. Rows from before have none until `mailbox reindex`.
ALTER TABLE messages ADD COLUMN sort_fields TEXT;

-- How far the message files are known to be on stable storage: every messages row whose id is
-- at most through_id names a file (and directory entries) that was synced. The group commit
-- syncs a batch's files beside its transaction, not before it, so after a power cut a row
-- above this mark may name a file that never reached the disk (its delivery was never
-- acknowledged); the server's start looks at those rows only. One row, written by the store's
-- writer at most once a second; none until the first start after this migration.
CREATE TABLE files_synced (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    through_id      BIGINT NOT NULL
);

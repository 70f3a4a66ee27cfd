-- A mailbox's counts (messages, unseen, deleted, bytes) are summed per distinct flag set
-- from this index alone (a few groups, not a string test per message): STATUS, the webmail's
-- folder tree.
CREATE INDEX messages_mailbox_flags ON messages(mailbox_id, flags, size);

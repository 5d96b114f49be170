-- Issue 9 (DESIGN invariant 4): every create record carries an id made by the API (a UUID; records
-- queued before this change use their SQS messageId). The rows keep it, so the consumers can tell a
-- redelivery (same id: nothing changes) from a collision (same parent and number, another id: Redis
-- handed a number out twice after losing writes). NULL: a row written before this change, or a chat
-- or message row created ahead of its own create record (an edit, or a message before its chat);
-- the create record then adopts the row.
-- The unique key on messages also lets a collided message, re-numbered by the consumer, be found
-- again on redelivery instead of being re-numbered twice.

ALTER TABLE chats
  ADD COLUMN record_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER number;

ALTER TABLE messages
  ADD COLUMN record_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER number,
  ADD UNIQUE KEY uq_messages_record_id (record_id);

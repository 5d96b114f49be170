-- Issue 13.10: edits of a message are ordered by a version taken from Redis when the edit is accepted
-- (per message: max(Redis TIME in µs, last version + 1), see shared/adapters/counters.ts), not by
-- the wall clocks of the containers that accepted them. 0: never edited. Portable ALTER (MariaDB 10.11
-- and MySQL 8.0 both add a defaulted column in place).
ALTER TABLE messages ADD COLUMN edit_version BIGINT UNSIGNED NOT NULL DEFAULT 0;

-- Rows already edited keep their order: their version is their updated_at in µs (the unit new
-- versions use), read as UTC whatever the session time zone (TIMESTAMPDIFF does no conversion).
UPDATE messages SET edit_version = TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', updated_at) WHERE updated_at > created_at;

-- DESIGN invariant 5: chats_count and messages_count lag by at most an hour. The job that keeps them
-- (shared/services/counts.ts) remembers here how far it got, one row per derived count column, so
-- each run only recounts the parents that received rows since the last one, and a run that stopped
-- midway (failure, time budget) is resumed by the next one. The rules are in
-- shared/domain/count-refresh.ts; in short:
--   safe_id           every child row with id <= safe_id is reflected in the counts
--   candidate_id      the highest child id of the last completed window, read at candidate_read_at;
--                     becomes safe_id once a later window that started SETTLE after that read completes
--   window_*          the window being scanned: (safe_id, window_high], scanned up to window_cursor,
--                     read at window_read_at; window_promotes_to is what safe_id becomes when it completes
--   sweep_cursor      the parent id an unfinished full recount ({"full": true}) has reached; NULL: none
-- No index beyond the primary key: the table has one row per counter.

CREATE TABLE IF NOT EXISTS count_refresh_state (
  counter            VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  safe_id            BIGINT UNSIGNED NOT NULL DEFAULT 0,
  candidate_id       BIGINT UNSIGNED NULL,
  candidate_read_at  DATETIME(3) NULL,
  window_high        BIGINT UNSIGNED NULL,
  window_read_at     DATETIME(3) NULL,
  window_cursor      BIGINT UNSIGNED NULL,
  window_promotes_to BIGINT UNSIGNED NULL,
  sweep_cursor       BIGINT UNSIGNED NULL,
  last_completed_at  DATETIME(3) NULL,
  updated_at         DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (counter)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Both counters start from nothing: the first window covers every existing row (in chunks).
INSERT INTO count_refresh_state (counter) VALUES ('chats.messages_count'), ('applications.chats_count')
  ON DUPLICATE KEY UPDATE counter = counter;

import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Message, Paging } from '../../domain/schemas';
import { mysqlPool } from '../mysql';
import { execute, iso, placeholders, query, type WriteResult } from './rows';

/** One message row to upsert. */
export interface MessageRow {
  chatId: number;
  number: number;
  /** The create record's id (DESIGN invariant 4: a redelivery carries the same one). */
  recordId: string;
  content: string;
  createdAt: Date;
}

/** One edit to apply: its content replaces the row's if its `version` is higher than the row's edit_version. */
export interface MessageEdit {
  chatId: number;
  number: number;
  content: string;
  updatedAt: Date;
  version: number;
}

/** A message row as stored, keyed by its chat id (what the consumer indexes after writing). */
export interface StoredMessage {
  chatId: number;
  number: number;
  /** Null for a row an edit wrote ahead of its create record. */
  recordId: string | null;
  content: string;
  createdAt: string;
  updatedAt: string;
}

const SELECT_ONE = `
  SELECT m.number, m.content, m.created_at, m.updated_at
    FROM messages m
    JOIN chats c ON c.id = m.chat_id
    JOIN applications a ON a.id = c.application_id
   WHERE a.token = ? AND c.number = ? AND m.number = ?`;

/**
 * One statement: the first branch says whether the application and the chat exist (one row by the
 * token index, then uq_chats_application_number), the second is the page (a range of
 * uq_messages_chat_number in number order). A UNION has no order of its own: the outer ORDER BY (at
 * most limit + 1 rows) makes the page's order certain.
 */
const SELECT_PAGE = `
  (SELECT 'parent' AS kind, c.id AS chat_id, NULL AS number, NULL AS content, NULL AS created_at, NULL AS updated_at
     FROM applications a
     LEFT JOIN chats c ON c.application_id = a.id AND c.number = ?
    WHERE a.token = ?)
  UNION ALL
  (SELECT 'message', NULL, m.number, m.content, m.created_at, m.updated_at
     FROM messages m
     JOIN chats c ON c.id = m.chat_id
     JOIN applications a ON a.id = c.application_id
    WHERE a.token = ? AND c.number = ?
    ORDER BY m.number
    LIMIT ? OFFSET ?)
  ORDER BY kind = 'message', number`;

/**
 * Idempotent on uq_messages_chat_number: a redelivered create (same record id) changes nothing. If
 * an edit got there first (it inserts the row with its own time as created_at and no record id), the
 * create keeps the edited content, adopts the row and moves created_at back to the creation time. A
 * row holding another record id is left as it is: the consumer reads the ids back and re-numbers the
 * colliding message. created_at is assigned before record_id on purpose (left-to-right evaluation).
 */
const UPSERT = (rows: number) => `
  INSERT INTO messages (chat_id, number, record_id, content, created_at, updated_at)
  VALUES ${placeholders(rows, 6)}
  ON DUPLICATE KEY UPDATE
    created_at = IF(record_id IS NULL OR record_id = VALUES(record_id), LEAST(created_at, VALUES(created_at)), created_at),
    record_id = COALESCE(record_id, VALUES(record_id))`;

/**
 * Edits, the highest edit_version wins (a version taken from Redis per message, so containers' clocks
 * do not matter): an edit with a lower version (older, delivered late) changes nothing. MySQL assigns
 * left to right, so content and updated_at are compared against the row's edit_version before that
 * column moves. updated_at moves forward with every applied edit, by 1 ms at least even when the
 * winning edit's container clock was behind, so the search document (versioned by updated_at) is
 * replaced too. Multi-row: two edits of one message in a batch resolve to the higher version. An edit
 * whose create has not arrived inserts the row (created_at provisional, see UPSERT).
 * VALUES() rather than the 8.0.19 row alias: MariaDB has only VALUES().
 */
const APPLY_EDITS = (rows: number) => `
  INSERT INTO messages (chat_id, number, content, created_at, updated_at, edit_version)
  VALUES ${placeholders(rows, 6)}
  ON DUPLICATE KEY UPDATE
    content = IF(VALUES(edit_version) > edit_version, VALUES(content), content),
    updated_at = IF(VALUES(edit_version) > edit_version, GREATEST(VALUES(updated_at), updated_at + INTERVAL 1000 MICROSECOND), updated_at),
    edit_version = GREATEST(edit_version, VALUES(edit_version))`;

/** The rows as they are after a batch's writes, by uq_messages_chat_number (one range per pair). */
const SELECT_STORED = (pairs: number) => `
  SELECT chat_id, number, record_id, content, created_at, updated_at
    FROM messages
   WHERE ${Array.from({ length: pairs }, () => '(chat_id = ? AND number = ?)').join(' OR ')}`;

/** Where messages with these record ids live (a re-numbered collision is found again on redelivery). */
const SELECT_BY_RECORD_IDS = (count: number) => `
  SELECT chat_id, number, record_id FROM messages WHERE record_id IN (${Array(count).fill('?').join(', ')})`;

const toMessage = (row: RowDataPacket): Message => ({
  number: Number(row.number),
  content: String(row.content),
  created_at: iso(row.created_at),
  updated_at: iso(row.updated_at),
});

export type MessagePage = { messages: Message[] } | { missing: 'application' | 'chat' };

/** What an upsert of create rows did. */
export interface UpsertOutcome {
  /**
   * Every row was a fresh insert: none met an existing row (a redelivery, an edit's row, another
   * record's number, its own record id elsewhere), so each row holds exactly the record written.
   * False when the server cannot tell (a single-row statement reports no counts).
   */
  allInserted: boolean;
}

/**
 * Reads the answer to `INSERT … ON DUPLICATE KEY UPDATE` of `rows` rows. The server counts a row
 * that met an existing one under `Duplicates` only when it changed or when the connection has
 * CLIENT_FOUND_ROWS (mysql2's default); without that flag an unchanged duplicate (a redelivery)
 * shows as neither a duplicate nor an affected row. So: every row inserted when the statement
 * reports all its records, no duplicate, and one affected row per record (an insert counts 1, a
 * changed duplicate 2, an unchanged one 1 with the flag and 0 without). A single-row INSERT reports
 * no `info`: unknown, so false.
 */
export function everyRowInserted(rows: number, { affectedRows, info }: WriteResult): boolean {
  const counts = /Records:\s*(\d+)\s+Duplicates:\s*(\d+)/.exec(info ?? '');
  if (!counts) return false;
  return Number(counts[1]) === rows && Number(counts[2]) === 0 && affectedRows === rows;
}

export interface MessageStore {
  find(token: string, chatNumber: number, number: number): Promise<Message | undefined>;
  list(token: string, chatNumber: number, paging: Paging): Promise<MessagePage>;
  upsert(rows: MessageRow[]): Promise<UpsertOutcome>;
  applyEdits(edits: MessageEdit[]): Promise<void>;
  stored(keys: { chatId: number; number: number }[]): Promise<StoredMessage[]>;
  /** Where the messages with these record ids are stored, keyed by record id. */
  placesOf(recordIds: string[]): Promise<Map<string, { chatId: number; number: number }>>;
}

export function mysqlMessages(pool: Pool = mysqlPool()): MessageStore {
  return {
    async find(token, chatNumber, number) {
      const [row] = await query(pool, SELECT_ONE, [token, chatNumber, number]);
      return row ? toMessage(row) : undefined;
    },
    async list(token, chatNumber, { page, limit }) {
      const rows = await query(pool, SELECT_PAGE, [chatNumber, token, token, chatNumber, limit, (page - 1) * limit]);
      const parent = rows.find((row) => row.kind === 'parent');
      if (!parent) return { missing: 'application' };
      if (parent.chat_id === null) return { missing: 'chat' };
      return { messages: rows.filter((row) => row.kind === 'message').map(toMessage) };
    },
    async upsert(rows) {
      if (rows.length === 0) return { allInserted: true };
      const result = await execute(pool, UPSERT(rows.length), rows.flatMap((r) => [r.chatId, r.number, r.recordId, r.content, r.createdAt, r.createdAt]));
      return { allInserted: everyRowInserted(rows.length, result) };
    },
    async applyEdits(edits) {
      if (edits.length === 0) return;
      await execute(pool, APPLY_EDITS(edits.length), edits.flatMap((e) => [e.chatId, e.number, e.content, e.updatedAt, e.updatedAt, e.version]));
    },
    async stored(keys) {
      if (keys.length === 0) return [];
      const rows = await query(pool, SELECT_STORED(keys.length), keys.flatMap((k) => [k.chatId, k.number]));
      return rows.map((row) => ({
        chatId: Number(row.chat_id),
        number: Number(row.number),
        recordId: row.record_id === null ? null : String(row.record_id),
        content: String(row.content),
        createdAt: iso(row.created_at),
        updatedAt: iso(row.updated_at),
      }));
    },
    async placesOf(recordIds) {
      if (recordIds.length === 0) return new Map();
      const rows = await query(pool, SELECT_BY_RECORD_IDS(recordIds.length), recordIds);
      return new Map(rows.map((row) => [String(row.record_id), { chatId: Number(row.chat_id), number: Number(row.number) }]));
    },
  };
}

/** The statements, for the EXPLAIN checks in the tests. */
export const messageStatements = { SELECT_ONE, SELECT_PAGE, SELECT_STORED, SELECT_BY_RECORD_IDS };

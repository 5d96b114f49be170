import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Chat, Paging } from '../../domain/schemas';
import { mysqlPool } from '../mysql';
import { execute, iso, placeholders, query } from './rows';

/** One chat row to upsert. */
export interface ChatRow {
  applicationId: number;
  number: number;
  /** The create record's id; absent for a chat row written ahead of its record (by a message). */
  recordId?: string;
  createdAt: Date;
}

const SELECT_ONE = `
  SELECT c.number, c.messages_count, c.created_at, c.updated_at
    FROM chats c
    JOIN applications a ON a.id = c.application_id
   WHERE a.token = ? AND c.number = ?`;

/**
 * One statement answers both "does the application exist" (the first branch, one row by the token
 * index) and the page (the second, a range of uq_chats_application_number in number order). A UNION
 * has no order of its own: the outer ORDER BY (at most limit + 1 rows) makes the page's order certain.
 */
const SELECT_PAGE = `
  (SELECT 'application' AS kind, NULL AS number, NULL AS messages_count, NULL AS created_at, NULL AS updated_at
     FROM applications WHERE token = ?)
  UNION ALL
  (SELECT 'chat', c.number, c.messages_count, c.created_at, c.updated_at
     FROM chats c
     JOIN applications a ON a.id = c.application_id
    WHERE a.token = ?
    ORDER BY c.number
    LIMIT ? OFFSET ?)
  ORDER BY kind = 'chat', number`;

/**
 * Idempotent on uq_chats_application_number: a redelivered record changes nothing. A chat first
 * created by the message consumer (its message arrived first) keeps the earliest created_at and
 * adopts the record id of its create record; a row that has another record id keeps it (the
 * consumer reads it back to see the collision).
 */
const UPSERT = (rows: number) => `
  INSERT INTO chats (application_id, number, record_id, created_at, updated_at)
  VALUES ${placeholders(rows, 5)}
  ON DUPLICATE KEY UPDATE created_at = LEAST(created_at, VALUES(created_at)), updated_at = LEAST(updated_at, VALUES(updated_at)),
    record_id = COALESCE(record_id, VALUES(record_id))`;

const SELECT_IDS = (pairs: number) => `
  SELECT id, application_id, number, record_id FROM chats
   WHERE ${Array(pairs).fill('(application_id = ? AND number = ?)').join(' OR ')}`;

export const chatKey = (applicationId: number, number: number) => `${applicationId}:${number}`;

const toChat = (row: RowDataPacket): Chat => ({
  number: Number(row.number),
  messages_count: Number(row.messages_count),
  created_at: iso(row.created_at),
  updated_at: iso(row.updated_at),
});

export interface ChatStore {
  find(token: string, number: number): Promise<Chat | undefined>;
  /** The page of chats, or undefined when the application does not exist. */
  list(token: string, paging: Paging): Promise<Chat[] | undefined>;
  upsert(rows: ChatRow[]): Promise<void>;
  /** Database ids of the given chats, keyed by chatKey(applicationId, number); missing ones are absent. */
  ids(chats: { applicationId: number; number: number }[]): Promise<Map<string, number>>;
  /** The record id each given chat row holds (null: none yet), keyed like `ids`. */
  recordIds(chats: { applicationId: number; number: number }[]): Promise<Map<string, string | null>>;
}

export function mysqlChats(pool: Pool = mysqlPool()): ChatStore {
  async function selectIds(chats: { applicationId: number; number: number }[]): Promise<Map<string, RowDataPacket>> {
    if (chats.length === 0) return new Map();
    const rows = await query(pool, SELECT_IDS(chats.length), chats.flatMap((c) => [c.applicationId, c.number]));
    return new Map(rows.map((row) => [chatKey(Number(row.application_id), Number(row.number)), row]));
  }
  return {
    async find(token, number) {
      const [row] = await query(pool, SELECT_ONE, [token, number]);
      return row ? toChat(row) : undefined;
    },
    async list(token, { page, limit }) {
      const rows = await query(pool, SELECT_PAGE, [token, token, limit, (page - 1) * limit]);
      if (!rows.some((row) => row.kind === 'application')) return undefined;
      return rows.filter((row) => row.kind === 'chat').map(toChat);
    },
    async upsert(rows) {
      if (rows.length === 0) return;
      await execute(pool, UPSERT(rows.length), rows.flatMap((r) => [r.applicationId, r.number, r.recordId ?? null, r.createdAt, r.createdAt]));
    },
    async ids(chats) {
      return new Map([...(await selectIds(chats))].map(([key, row]) => [key, Number(row.id)]));
    },
    async recordIds(chats) {
      return new Map([...(await selectIds(chats))].map(([key, row]) => [key, row.record_id === null ? null : String(row.record_id)]));
    },
  };
}

/** The statements, for the EXPLAIN checks in the tests. */
export const chatStatements = { SELECT_ONE, SELECT_PAGE, SELECT_IDS };

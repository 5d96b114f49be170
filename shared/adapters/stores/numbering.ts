import type { Pool } from 'mysql2/promise';
import { mysqlPool } from '../mysql';
import { query } from './rows';

/**
 * Does this parent exist in MySQL? One row by uq_applications_token, then at most one probe each of
 * uq_chats_application_number and uq_messages_chat_number (0 probes nothing). Asked only when Redis
 * says "unknown", before answering 404 (DESIGN invariant 4).
 */
const CONFIRM = `
  SELECT a.id AS application_id, c.id AS chat_id, m.id AS message_id
    FROM applications a
    LEFT JOIN chats c ON c.application_id = a.id AND c.number = ?
    LEFT JOIN messages m ON m.chat_id = c.id AND m.number = ?
   WHERE a.token = ?`;

/**
 * An application's counters as MySQL knows them: every chat number and its highest message number.
 * A range of uq_chats_application_number, each MAX one descent of uq_messages_chat_number.
 */
const COUNTERS = `
  SELECT c.number, (SELECT MAX(m.number) FROM messages m WHERE m.chat_id = c.id) AS last_message
    FROM chats c
   WHERE c.application_id = ?`;

export interface ParentCheck {
  applicationId?: number;
  chat: boolean;
  message: boolean;
}

/** The highest numbers MySQL holds for one application: its chats, and each chat's messages. */
export interface StoredNumbering {
  lastChat: number;
  lastMessages: Map<number, number>;
}

export interface NumberingStore {
  confirm(token: string, chatNumber?: number, messageNumber?: number): Promise<ParentCheck>;
  numbering(applicationId: number): Promise<StoredNumbering>;
}

export function mysqlNumbering(pool: Pool = mysqlPool()): NumberingStore {
  return {
    async confirm(token, chatNumber = 0, messageNumber = 0) {
      const [row] = await query(pool, CONFIRM, [chatNumber, messageNumber, token]);
      if (!row) return { chat: false, message: false };
      return { applicationId: Number(row.application_id), chat: row.chat_id !== null, message: row.message_id !== null };
    },
    async numbering(applicationId) {
      const rows = await query(pool, COUNTERS, [applicationId]);
      const lastMessages = new Map(rows.map((row) => [Number(row.number), Number(row.last_message ?? 0)]));
      let lastChat = 0;
      for (const number of lastMessages.keys()) lastChat = Math.max(lastChat, number);
      return { lastChat, lastMessages };
    },
  };
}

/** The statements, for the EXPLAIN checks in the tests. */
export const numberingStatements = { CONFIRM, COUNTERS };

import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { App } from '../../domain/schemas';
import { execute, iso, query } from './rows';
import { mysqlPool } from '../mysql';

const SELECT_BY_TOKEN = `
  SELECT token, name, chats_count, created_at, updated_at
    FROM applications
   WHERE token = ?`;

const INSERT = `INSERT INTO applications (token, name, chats_count, created_at, updated_at) VALUES (?, ?, 0, ?, ?)`;

const RENAME = `UPDATE applications SET name = ?, updated_at = ? WHERE token = ?`;

const SELECT_IDS_BY_TOKENS = (count: number) => `SELECT id, token FROM applications WHERE token IN (${Array(count).fill('?').join(', ')})`;

const toApp = (row: RowDataPacket): App => ({
  token: row.token,
  name: row.name,
  chats_count: Number(row.chats_count),
  created_at: iso(row.created_at),
  updated_at: iso(row.updated_at),
});

export interface ApplicationStore {
  insert(token: string, name: string, now: Date): Promise<void>;
  find(token: string): Promise<App | undefined>;
  rename(token: string, name: string, now: Date): Promise<boolean>;
  /** Database ids of the given tokens (the unknown ones are absent). */
  idsByToken(tokens: string[]): Promise<Map<string, number>>;
}

export function mysqlApplications(pool: Pool = mysqlPool()): ApplicationStore {
  return {
    async insert(token, name, now) {
      await execute(pool, INSERT, [token, name, now, now]);
    },
    async find(token) {
      const [row] = await query(pool, SELECT_BY_TOKEN, [token]);
      return row ? toApp(row) : undefined;
    },
    async rename(token, name, now) {
      const { affectedRows } = await execute(pool, RENAME, [name, now, token]);
      return affectedRows > 0;
    },
    async idsByToken(tokens) {
      if (tokens.length === 0) return new Map();
      const rows = await query(pool, SELECT_IDS_BY_TOKENS(tokens.length), tokens);
      return new Map(rows.map((row) => [String(row.token), Number(row.id)]));
    },
  };
}

/** The statements, for the EXPLAIN checks in the tests. */
export const applicationStatements = { SELECT_BY_TOKEN, SELECT_IDS_BY_TOKENS };

import type { Pool, RowDataPacket } from 'mysql2/promise';
import { guarded } from '../../domain/errors';
import { isMysqlOutage, mysqlPool } from '../mysql';

/** Runs one statement; an unreachable database becomes a 503, a bad statement stays a bug. */
export async function query<T extends RowDataPacket[]>(pool: Pool, sql: string, params: unknown[] = []): Promise<T> {
  return guarded('database', async () => (await pool.query<T>(sql, params))[0], isMysqlOutage);
}

export async function execute(pool: Pool, sql: string, params: unknown[] = []): Promise<{ affectedRows: number }> {
  return guarded('database', async () => (await pool.query(sql, params))[0] as { affectedRows: number }, isMysqlOutage);
}

export const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString();

/** `(?, ?, ?), (?, ?, ?)…` for a multi-row VALUES list. */
export const placeholders = (rows: number, columns: number) =>
  Array.from({ length: rows }, () => `(${Array.from({ length: columns }, () => '?').join(', ')})`).join(', ');

export const defaultPool = () => mysqlPool();

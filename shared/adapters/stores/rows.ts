import type { Pool, RowDataPacket } from 'mysql2/promise';
import { guarded } from '../../domain/errors';
import { isMysqlOutage, mysqlPool, queryTimeoutOf } from '../mysql';

/**
 * One statement with the pool's deadline. A statement that timed out may still be running on the
 * server, and a fatal error leaves the connection unusable: either way the connection is destroyed
 * rather than handed to the next caller.
 */
async function run(pool: Pool, sql: string, params: unknown[]): Promise<unknown> {
  const connection = await pool.getConnection();
  try {
    const [result] = await connection.query({ sql, timeout: queryTimeoutOf(pool) }, params);
    connection.release();
    return result;
  } catch (error) {
    if (isMysqlOutage(error)) connection.destroy();
    else connection.release();
    throw error;
  }
}

/** Runs one statement; an unreachable or silent database becomes a 503, a bad statement stays a bug. */
export async function query<T extends RowDataPacket[]>(pool: Pool, sql: string, params: unknown[] = []): Promise<T> {
  return guarded('database', async () => (await run(pool, sql, params)) as T, isMysqlOutage);
}

/** What the server answers a write: rows affected and, for a multi-row INSERT, `Records: N  Duplicates: D  Warnings: W`. */
export interface WriteResult {
  affectedRows: number;
  info?: string;
}

export async function execute(pool: Pool, sql: string, params: unknown[] = []): Promise<WriteResult> {
  return guarded('database', async () => (await run(pool, sql, params)) as WriteResult, isMysqlOutage);
}

export const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString();

/** `(?, ?, ?), (?, ?, ?)…` for a multi-row VALUES list. */
export const placeholders = (rows: number, columns: number) =>
  Array.from({ length: rows }, () => `(${Array.from({ length: columns }, () => '?').join(', ')})`).join(', ');

export const defaultPool = () => mysqlPool();

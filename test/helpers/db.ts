import { createPool, type Pool } from 'mysql2/promise';
import { mysqlOptions } from '../../shared/adapters/mysql';

let pool: Pool | undefined;

/** The test stage's database, for asserting what the consumers persisted. */
export function testDb(): Pool {
  pool ??= createPool({ ...mysqlOptions(), connectionLimit: 2 });
  return pool;
}

export async function closeTestDb(): Promise<void> {
  await pool?.end();
  pool = undefined;
}

export async function rows<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
  const [result] = await testDb().query(sql, params);
  return result as T[];
}

/** Chat numbers persisted for an application. */
export async function persistedChatNumbers(token: string): Promise<number[]> {
  const result = await rows<{ number: number }>(
    'SELECT c.number FROM chats c JOIN applications a ON a.id = c.application_id WHERE a.token = ? ORDER BY c.number',
    [token],
  );
  return result.map((r) => r.number);
}

/** Message numbers persisted for a chat. */
export async function persistedMessageNumbers(token: string, chatNumber: number): Promise<number[]> {
  const result = await rows<{ number: number }>(
    `SELECT m.number FROM messages m JOIN chats c ON c.id = m.chat_id JOIN applications a ON a.id = c.application_id
      WHERE a.token = ? AND c.number = ? ORDER BY m.number`,
    [token, chatNumber],
  );
  return result.map((r) => r.number);
}

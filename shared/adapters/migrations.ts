import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

const FILE_NAME = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

/** Reads NNN_name.sql files in version order. */
export function readMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((file) => FILE_NAME.test(file))
    .sort()
    .map((file) => {
      const [, version, name] = FILE_NAME.exec(file)!;
      const sql = readFileSync(join(dir, file), 'utf8');
      return { version: version!, name: name!, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const LOCK = 'chat_system_schema_migrations';

/**
 * Applies the migrations not yet recorded, in order, each recorded in schema_migrations once it
 * succeeded. A named lock keeps two deployers from migrating at once. An applied file whose text
 * changed is an error: migrations are append-only. The connection needs `multipleStatements`.
 */
export async function applyMigrations(connection: Connection, migrations: Migration[]): Promise<Migration[]> {
  await connection.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version VARCHAR(32) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    checksum CHAR(64) NOT NULL,
    applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  const [[lock]] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, 60) AS acquired', [LOCK]);
  if (lock?.acquired !== 1) throw new Error('another migration run holds the schema lock');
  try {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT version, checksum FROM schema_migrations');
    const applied = new Map(rows.map((row) => [String(row.version), String(row.checksum)]));
    const done: Migration[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(`migration ${migration.version}_${migration.name} changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      await connection.query(migration.sql);
      await connection.query('INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      done.push(migration);
    }
    return done;
  } finally {
    await connection.query('SELECT RELEASE_LOCK(?)', [LOCK]);
  }
}

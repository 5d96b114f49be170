import { createConnection } from 'mysql2/promise';
import { mysqlOptions } from '../../shared/adapters/mysql';
import { migrate, provisionDatabases } from '../../infra/local/platform';
import { messagesIndexName, MESSAGES_INDEX_VERSION } from '../../shared/domain/search';
import { dropTarget, isolatedTarget } from '../helpers/search';

const connect = () => createConnection(mysqlOptions());

describe('migrations', () => {
  it('apply to an empty database, then a second run applies nothing and fails nothing', async () => {
    // A stage of its own gets a fresh database (chat_migrations_check).
    const stage = 'migrations_check';
    await provisionDatabases([stage]);
    const admin = await connect();
    await admin.query('DROP DATABASE IF EXISTS chat_migrations_check');
    await admin.query('CREATE DATABASE chat_migrations_check');
    try {
      const first = await migrate(stage);
      const second = await migrate(stage);

      expect(first[0]).toBe('001_create_tables');
      expect(second).toEqual([]);
      const [rows] = await admin.query<any[]>('SELECT version FROM chat_migrations_check.schema_migrations ORDER BY version');
      expect(rows.map((r) => `${r.version}`)).toEqual(first.map((name) => name.slice(0, 3)));
    } finally {
      await admin.query('DROP DATABASE IF EXISTS chat_migrations_check');
      await admin.end();
    }
  });

  it('creates InnoDB utf8mb4 tables with the unique keys of DESIGN §3', async () => {
    const db = await connect();
    const [tables] = await db.query<any[]>(
      `SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('applications', 'chats', 'messages')`,
    );
    const [keys] = await db.query<any[]>(
      `SELECT TABLE_NAME AS tbl, INDEX_NAME AS name, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS columns
         FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'
        GROUP BY TABLE_NAME, INDEX_NAME`,
    );
    await db.end();

    expect(tables).toHaveLength(3);
    for (const table of tables) {
      expect(table.engine).toBe('InnoDB');
      expect(table.collation).toMatch(/^utf8mb4_/);
    }
    const unique = keys.map((k) => `${k.tbl}(${k.columns})`);
    expect(unique).toEqual(expect.arrayContaining(['applications(token)', 'chats(application_id,number)', 'messages(chat_id,number)']));
  });
});

describe('the migrate Lambda (run after a deploy)', () => {
  it('applies the SQL migrations, then creates the messages search index behind its alias; a second run changes nothing', async () => {
    // A stage prefix of its own, so the index is created here; the handler reads it from its environment.
    const target = isolatedTarget('migrate');
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const previous = process.env.OPENSEARCH_INDEX_PREFIX;
    process.env.OPENSEARCH_INDEX_PREFIX = target.prefix;
    try {
      const run = () => {
        let handler!: () => Promise<{ applied: string[]; searchIndex: { index: string; created: boolean; reindexed?: unknown } }>;
        jest.isolateModules(() => {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          handler = require('../../functions/ops/migrate').handler;
        });
        return handler();
      };

      const first = await run();
      const second = await run();

      // The current definition's index (a stage on an older one is moved: search-index.test.ts).
      const current = messagesIndexName(target.prefix, MESSAGES_INDEX_VERSION);
      expect(first).toEqual({ applied: [], searchIndex: { index: current, created: true } });
      expect(second.searchIndex).toEqual({ index: current, created: false });
      const { body } = await target.client.indices.getAlias({ name: `${target.prefix}messages` });
      expect(Object.keys(body)).toEqual([current]);
    } finally {
      process.env.OPENSEARCH_INDEX_PREFIX = previous;
      jest.restoreAllMocks();
      await dropTarget(target);
    }
  });
});

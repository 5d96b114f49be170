import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { applyMigrations, readMigrations } from '../../shared/adapters/migrations';
import { mysqlOptions } from '../../shared/adapters/mysql';
import { defaultSearchTarget } from '../../shared/adapters/search-index';
import { log } from '../../shared/http/log';
import { migrateMessagesIndex } from '../../shared/services/reindex';

/**
 * Applies infra/migrations (packaged with this function) to the stage's database, then brings the
 * messages search index to the definition in code: creates it behind its alias if the stage has none,
 * and moves a live index built from an older definition (e.g. messages_v1) to a new one rebuilt from
 * MySQL, swapping the alias atomically (docs/search.md). Operators invoke it after a deploy:
 * `npx sls invoke --stage prod -f migrate`. Idempotent.
 */
export const handler = async () => {
  const connection = await createConnection({ ...mysqlOptions(), multipleStatements: true });
  try {
    const dir = join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'infra', 'migrations');
    const applied = (await applyMigrations(connection, readMigrations(dir))).map((m) => `${m.version}_${m.name}`);
    log('info', 'migrations applied', { applied });
    const searchIndex = await migrateMessagesIndex({ db: connection, target: defaultSearchTarget(), log: (line) => log('info', line, {}) });
    log('info', 'search index ready', { ...searchIndex });
    return { applied, searchIndex };
  } finally {
    await connection.end();
  }
};

import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { applyMigrations, readMigrations } from '../../shared/adapters/migrations';
import { mysqlOptions } from '../../shared/adapters/mysql';
import { ensureMessagesIndex } from '../../shared/adapters/search-index';
import { log } from '../../shared/http/log';

/**
 * Applies infra/migrations (packaged with this function) to the stage's database, then creates the
 * messages search index behind its alias if the stage has none. Operators invoke it after a deploy:
 * `npx sls invoke --stage prod -f migrate`. Idempotent. A live index built from an older definition
 * is reported (`searchIndex.upToDate: false`), not rebuilt here: that is `npm run search:reindex`.
 */
export const handler = async () => {
  const connection = await createConnection({ ...mysqlOptions(), multipleStatements: true });
  try {
    const dir = join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'infra', 'migrations');
    const applied = (await applyMigrations(connection, readMigrations(dir))).map((m) => `${m.version}_${m.name}`);
    log('info', 'migrations applied', { applied });
    const searchIndex = await ensureMessagesIndex();
    log('info', 'search index ready', { ...searchIndex });
    return { applied, searchIndex };
  } finally {
    await connection.end();
  }
};

import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { applyMigrations, readMigrations } from '../../shared/adapters/migrations';
import { mysqlOptions } from '../../shared/adapters/mysql';
import { log } from '../../shared/http/log';

/**
 * Applies infra/migrations (packaged with this function) to the stage's database. Operators invoke
 * it after a deploy: `npx sls invoke --stage prod -f migrate`. Idempotent.
 */
export const handler = async () => {
  const connection = await createConnection({ ...mysqlOptions(), multipleStatements: true });
  try {
    const dir = join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'infra', 'migrations');
    const applied = (await applyMigrations(connection, readMigrations(dir))).map((m) => `${m.version}_${m.name}`);
    log('info', 'migrations applied', { applied });
    return { applied };
  } finally {
    await connection.end();
  }
};

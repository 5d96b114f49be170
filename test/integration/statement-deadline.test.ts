import type { RowDataPacket } from 'mysql2/promise';
import { createMysqlPool, queryTimeoutOf, withStatementTimeout } from '../../shared/adapters/mysql';
import { query } from '../../shared/adapters/stores/rows';
import { config } from '../../shared/config';
import { ServiceUnavailable } from '../../shared/domain/errors';

describe('a MySQL statement over its deadline (issue 13.3)', () => {
  const pool = createMysqlPool({ ...config().mysql, queryTimeoutMs: 500 });
  afterAll(() => pool.end());

  it('is a ServiceUnavailable, and the pool keeps serving afterwards (the busy connection is not reused)', async () => {
    await expect(query(pool, 'SELECT SLEEP(5) AS slept')).rejects.toBeInstanceOf(ServiceUnavailable);

    const [row] = await query<RowDataPacket[]>(pool, 'SELECT 1 AS one');
    expect(row).toEqual({ one: 1 });
  });

  it('the consumers view of the pool has its own, longer deadline', async () => {
    const consumers = withStatementTimeout(pool, 3000);

    expect(queryTimeoutOf(consumers)).toBe(3000);
    expect(queryTimeoutOf(pool)).toBe(500);
    const [row] = await query<RowDataPacket[]>(consumers, 'SELECT SLEEP(1) AS slept');
    expect(Number(row!.slept)).toBe(0);
  });
});

// The measured phases of `npm run bench` that are not the create path or the consumer: reads, Redis
// durability, POST → searchable, and the counts job. Each returns its figure and its raw floor.
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { createPool, type RowDataPacket } from 'mysql2/promise';
import { load, percentile, round, until, type LoadResult } from './load';
import type { BenchData } from './data';

/** GET /apps/{token} through the API, and its floor: the same SELECT from a pool of this process. */
export async function getApp(base: string, data: BenchData, count: number, concurrency: number) {
  return load(count, concurrency, async () => {
    const response = await fetch(`${base}/apps/${data.token}`);
    await response.arrayBuffer();
    return response.status === 200;
  });
}

export async function rawSelectApp(data: BenchData, count: number, concurrency: number): Promise<LoadResult> {
  const { mysqlOptions } = await import('../../shared/adapters/mysql');
  const { mysqlApplications } = await import('../../shared/adapters/stores/applications');
  const pool = createPool({ ...mysqlOptions(), connectionLimit: concurrency });
  try {
    const applications = mysqlApplications(pool);
    await load(100, concurrency, async () => (await applications.find(data.token)) !== undefined);
    return await load(count, concurrency, async () => (await applications.find(data.token)) !== undefined);
  } finally {
    await pool.end();
  }
}

/**
 * The numbering script under Redis' two AOF policies: `appendfsync always` (fsync before every reply:
 * what the resilience work asks for locally) against `everysec`. The server's own setting is put back
 * afterwards, whatever happens.
 */
export async function luaByFsync(measure: () => Promise<LoadResult>): Promise<{ always: LoadResult; everysec: LoadResult; original: string; aof: boolean }> {
  const { config } = await import('../../shared/config');
  const admin = new Redis(config().redis.url);
  const [, original] = (await admin.config('GET', 'appendfsync')) as [string, string];
  const [, appendonly] = (await admin.config('GET', 'appendonly')) as [string, string];
  try {
    await admin.config('SET', 'appendfsync', 'everysec');
    await measure();
    const everysec = await measure();
    await admin.config('SET', 'appendfsync', 'always');
    await measure();
    const always = await measure();
    return { always, everysec, original, aof: appendonly === 'yes' };
  } finally {
    await admin.config('SET', 'appendfsync', original);
    admin.disconnect();
  }
}

/**
 * POST → searchable, one message at a time: from the POST to the first search through the API that
 * finds it (queue, delivery window, consumer, MySQL, `_bulk`, the index's refresh). The floor: one
 * document written with the same `_bulk` straight into the index, until a search finds it (the
 * refresh interval alone).
 */
export async function postToSearchable(base: string, data: BenchData, chatNumber: number, samples: number) {
  const { indexMessages, searchMessages } = await import('../../shared/adapters/search-index');
  const e2e: number[] = [];
  const floor: number[] = [];
  const word = () => `zq${Math.random().toString(36).slice(2, 10)}`;
  for (let i = 0; i < samples; i++) {
    const unique = word();
    const t0 = performance.now();
    const response = await fetch(`${base}/apps/${data.token}/chats/${chatNumber}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: `searchable ${unique} now` }),
    });
    if (response.status !== 201) throw new Error(`POST answered ${response.status}`);
    await until(async () => {
      const found = await fetch(`${base}/apps/${data.token}/chats/${chatNumber}/messages/search?q=${unique}`);
      return found.status === 200 && ((await found.json()) as { total: number }).total > 0;
    }, 30_000, 10);
    e2e.push(performance.now() - t0);

    const direct = word();
    const t1 = performance.now();
    const at = new Date().toISOString();
    await indexMessages([{ token: data.token, chatNumber, number: 1_000_000 + i, content: `searchable ${direct} now`, createdAt: at, updatedAt: at }]);
    await until(async () => (await searchMessages({ token: data.token, chatNumber, q: direct, page: 1, limit: 1 })).total > 0, 30_000, 10);
    floor.push(performance.now() - t1);
  }
  const summary = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)) };
  };
  return { e2e: summary(e2e), floor: summary(floor) };
}

/**
 * The counts job (shared/services/counts.ts, as the schedule runs it) over 10^5 and 10^6 messages in a
 * database of the bench's own (`chat_bench`: never the test or local stage's), seeded with multi-row
 * inserts and INSERT … SELECT doubling, then dropped. The floor: one GROUP BY over the same messages,
 * the least any exact recount must read.
 */
// TRUNCATE, not DELETE: emptying 10^6 rows row by row would take longer than seeding them.
// The job's state goes back to what the migration creates.
const EMPTY_TABLES =
  'SET FOREIGN_KEY_CHECKS = 0; TRUNCATE messages; TRUNCATE chats; TRUNCATE applications; SET FOREIGN_KEY_CHECKS = 1; ' +
  "DELETE FROM count_refresh_state; INSERT INTO count_refresh_state (counter) VALUES ('chats.messages_count'), ('applications.chats_count')";

export async function countsJob(sizes: number[], deadlineMs: number) {
  const { localEnvironment } = await import('../../infra/local/environment');
  const { migrate, provisionDatabases } = await import('../../infra/local/platform');
  const { parseConfig } = await import('../../shared/config');
  const { mysqlOptions } = await import('../../shared/adapters/mysql');
  const { openCountsStore } = await import('../../shared/adapters/counts');
  const { recomputeCounts } = await import('../../shared/services/counts');
  await provisionDatabases(['bench']);
  await migrate('bench');
  const pool = createPool({ ...mysqlOptions(parseConfig(localEnvironment('bench')).mysql), connectionLimit: 2, multipleStatements: true });
  const results: { messages: number; chats: number; seedSeconds: number; incrementalMs: number; fullMs: number; floorMs: number }[] = [];
  const CHATS = 1000;
  try {
    await pool.query(EMPTY_TABLES);
    await pool.query("INSERT INTO applications (token, name, chats_count, created_at, updated_at) VALUES ('bench-counts', 'counts', 0, NOW(), NOW())");
    const chatRows = Array.from({ length: CHATS }, (_, i) => `(LAST_INSERT_ID(), ${i + 1}, 0, NOW(), NOW())`);
    const [[app]] = await pool.query<RowDataPacket[]>("SELECT id FROM applications WHERE token = 'bench-counts'");
    await pool.query(`INSERT INTO chats (application_id, number, messages_count, created_at, updated_at) VALUES ${chatRows.join(',').replaceAll('LAST_INSERT_ID()', String(app!.id))}`);
    let seeded = 0;
    let seedSeconds = 0;
    for (const size of sizes) {
      if (Date.now() > deadlineMs) break;
      const t0 = performance.now();
      if (seeded === 0) {
        // The first 10^5: multi-row inserts of 5,000 rows, numbers 1..size/CHATS in every chat.
        const perChat = Math.ceil(size / CHATS);
        for (let from = 1; from <= perChat; from += 5) {
          const numbers = Array.from({ length: Math.min(5, perChat - from + 1) }, (_, k) => from + k);
          await pool.query(
            `INSERT INTO messages (chat_id, number, content, created_at, updated_at)
             SELECT c.id, n.number, CONCAT('counted message ', n.number), NOW(), NOW() FROM chats c
               JOIN (${numbers.map((n) => `SELECT ${n} AS number`).join(' UNION ALL ')}) n WHERE c.application_id = ?`,
            [app!.id],
          );
        }
        seeded = perChat * CHATS;
      }
      // Then double with INSERT … SELECT (numbers shifted past the existing ones) until the size is reached.
      while (seeded < size) {
        const [[highest]] = await pool.query<RowDataPacket[]>('SELECT MAX(number) AS top FROM messages');
        const take = Math.min(seeded, size - seeded);
        await pool.query(
          `INSERT INTO messages (chat_id, number, content, created_at, updated_at)
           SELECT chat_id, number + ?, content, created_at, updated_at FROM messages ORDER BY id LIMIT ?`,
          [Number(highest!.top), take],
        );
        seeded += take;
      }
      seedSeconds += (performance.now() - t0) / 1000;
      const options = { settleMs: 0 };
      const deps = { openStore: () => openCountsStore(pool) };
      const t1 = performance.now();
      const incremental = await recomputeCounts(options, deps);
      const incrementalMs = performance.now() - t1;
      const t2 = performance.now();
      const full = await recomputeCounts({ ...options, full: true }, deps);
      const fullMs = performance.now() - t2;
      if (!incremental.complete || !full.complete) throw new Error('counts job: a run stopped before completing');
      const t3 = performance.now();
      await pool.query('SELECT chat_id, COUNT(*) AS n FROM messages GROUP BY chat_id');
      const floorMs = performance.now() - t3;
      const [[check]] = await pool.query<RowDataPacket[]>('SELECT SUM(messages_count) AS total FROM chats');
      if (Number(check!.total) !== seeded) throw new Error(`counts job: chats hold ${check!.total} messages in their counts, ${seeded} exist`);
      results.push({ messages: seeded, chats: CHATS, seedSeconds: round(seedSeconds, 1), incrementalMs: round(incrementalMs), fullMs: round(fullMs), floorMs: round(floorMs) });
    }
  } finally {
    await pool.query(EMPTY_TABLES).catch(() => undefined);
    await pool.end();
  }
  return results;
}

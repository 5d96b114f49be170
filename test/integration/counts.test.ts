import { randomBytes } from 'node:crypto';
import { createPool, type Pool, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import { countStatements, countsStore, openCountsStore, type CountsStore } from '../../shared/adapters/counts';
import { mysqlOptions, mysqlPool } from '../../shared/adapters/mysql';
import { COUNTERS, type CounterName } from '../../shared/domain/count-refresh';
import { recomputeCounts, type RecomputeOptions } from '../../shared/services/counts';
import { localPorts } from '../../infra/local/environment';
import { eventually } from '../helpers/eventually';

// Seeds rows exactly as the consumers write them (INSERT … ON DUPLICATE KEY UPDATE), on a pool of its
// own so a test can hold a transaction open while the job runs on the job's pool.
let db: Pool;
beforeAll(() => {
  db = createPool({ ...mysqlOptions(), connectionLimit: 4 });
});
afterAll(async () => {
  await db.end();
  await mysqlPool().end();
});

const token = () => `counts-${randomBytes(12).toString('base64url')}`;

async function createApp(): Promise<number> {
  const [result] = await db.query<ResultSetHeader>('INSERT INTO applications (token, name) VALUES (?, ?)', [token(), 'counts test']);
  return result.insertId;
}

/** Chats numbered from..to of an app; returns their ids by number. */
async function seedChats(appId: number, from: number, to: number): Promise<number[]> {
  const rows = Array.from({ length: to - from + 1 }, (_, i) => [appId, from + i, new Date(), new Date()]);
  await db.query(
    'INSERT INTO chats (application_id, number, created_at, updated_at) VALUES ? ON DUPLICATE KEY UPDATE updated_at = updated_at',
    [rows],
  );
  const [ids] = await db.query<RowDataPacket[]>('SELECT id FROM chats WHERE application_id = ? AND number BETWEEN ? AND ? ORDER BY number', [appId, from, to]);
  return ids.map((row) => Number(row.id));
}

async function seedMessages(chatId: number, from: number, to: number, connection: Pick<Pool, 'query'> = db): Promise<void> {
  const rows = Array.from({ length: to - from + 1 }, (_, i) => [chatId, from + i, `message ${from + i}`, new Date(), new Date()]);
  await connection.query(
    'INSERT INTO messages (chat_id, number, content, created_at, updated_at) VALUES ? ON DUPLICATE KEY UPDATE content = content',
    [rows],
  );
}

/** What the counts should be for an app: stored next to the truth, per chat and for the app. */
async function countsOf(appId: number) {
  const [[app]] = await db.query<RowDataPacket[]>(
    'SELECT a.chats_count AS stored, (SELECT COUNT(*) FROM chats c WHERE c.application_id = a.id) AS actual FROM applications a WHERE a.id = ?',
    [appId],
  );
  const [chats] = await db.query<RowDataPacket[]>(
    `SELECT c.id, c.messages_count AS stored, (SELECT COUNT(*) FROM messages m WHERE m.chat_id = c.id) AS actual
       FROM chats c WHERE c.application_id = ? ORDER BY c.id`,
    [appId],
  );
  return { app: { stored: Number(app!.stored), actual: Number(app!.actual) }, chats: chats.map((c) => ({ id: Number(c.id), stored: Number(c.stored), actual: Number(c.actual) })) };
}

async function expectExact(appId: number): Promise<void> {
  const counts = await countsOf(appId);
  expect(counts.app.stored).toBe(counts.app.actual);
  expect(counts.chats.filter((c) => c.stored !== c.actual)).toEqual([]);
}

const messagesCount = async (chatId: number) =>
  Number((await db.query<RowDataPacket[]>('SELECT messages_count AS n FROM chats WHERE id = ?', [chatId]))[0][0]!.n);

// The tests run several runs in a row, faster than any real transaction could stay open: no settle
// delay, except where the settle delay itself is under test.
const run = (options: RecomputeOptions = {}, openStore?: () => Promise<CountsStore>) =>
  recomputeCounts({ settleMs: 0, ...options }, openStore ? { openStore } : undefined);

/** A store whose methods can be wrapped, to pause, fail or interleave writes in the middle of a run. */
async function instrumentedStore(wrap: (store: CountsStore) => Partial<CountsStore>): Promise<CountsStore> {
  const store = await openCountsStore();
  return { ...store, ...wrap(store) };
}

describe('recomputeCounts (DESIGN invariant 5)', () => {
  it('makes every count exact in one run, and a second run changes nothing', async () => {
    const appId = await createApp();
    const chatIds = await seedChats(appId, 1, 20);
    for (const [i, chatId] of chatIds.entries()) await seedMessages(chatId, 1, 5 + i);

    const first = await run();
    const second = await run();

    await expectExact(appId);
    const counts = await countsOf(appId);
    expect(counts.app.stored).toBe(20);
    expect(counts.chats.map((c) => c.stored)).toEqual(chatIds.map((_, i) => 5 + i));
    expect(first.complete).toBe(true);
    expect(first.rowsUpdated).toBeGreaterThanOrEqual(21);
    expect(second.rowsUpdated).toBe(0);
  });

  it('rewrites only the parents that received rows since the last run', async () => {
    const appId = await createApp();
    const chatIds = await seedChats(appId, 1, 10);
    for (const chatId of chatIds) await seedMessages(chatId, 1, 3);
    await run();

    await seedMessages(chatIds[2]!, 4, 6);
    await seedMessages(chatIds[7]!, 4, 4);
    await seedMessages(chatIds[9]!, 4, 9);
    await seedChats(appId, 11, 12);
    const report = await run();

    expect(report.counters['chats.messages_count']!.rowsUpdated).toBe(3);
    expect(report.counters['applications.chats_count']!.rowsUpdated).toBe(1);
    expect(report.rowsUpdated).toBe(4);
    await expectExact(appId);
  });

  it('counts the rows persisted during a run in the next run, losing none', async () => {
    const appId = await createApp();
    const chatIds = await seedChats(appId, 1, 6);
    for (const chatId of chatIds) await seedMessages(chatId, 1, 4);
    const before = await countsOf(appId);
    let interleaved = false;
    const writeDuringRun = async () => {
      if (interleaved) return;
      interleaved = true;
      // Into a chat this run has recounted already, one it has not reached yet, and a brand-new chat.
      await seedMessages(chatIds[0]!, 5, 7);
      await seedMessages(chatIds[5]!, 5, 8);
      const [newChat] = await seedChats(appId, 7, 7);
      await seedMessages(newChat!, 1, 2);
    };

    // Small chunks, so the run is still scanning when the rows arrive.
    const during = await run({ childChunk: 4, parentBatch: 1 }, () =>
      instrumentedStore((store) => ({
        async recountParents(counter, ids) {
          const recounts = await store.recountParents(counter, ids);
          if (counter === 'chats.messages_count' && ids.includes(chatIds[0]!)) await writeDuringRun();
          return recounts;
        },
      })),
    );

    expect(interleaved).toBe(true);
    expect(during.complete).toBe(true);
    // Exact for everything persisted before the run started; the rest may or may not be in yet.
    const middle = await countsOf(appId);
    for (const chat of before.chats) {
      const now = middle.chats.find((c) => c.id === chat.id)!;
      expect(now.stored).toBeGreaterThanOrEqual(chat.actual);
      expect(now.stored).toBeLessThanOrEqual(now.actual);
    }
    await run();
    await expectExact(appId);
  });

  it('counts a row whose lower id commits after runs read a higher one (the settle delay)', async () => {
    const appId = await createApp();
    const [lateChat, otherChat] = await seedChats(appId, 1, 2);
    await seedMessages(lateChat!, 1, 2);
    await run();
    const slow = await db.getConnection();
    try {
      // A consumer's transaction takes an id, then another consumer commits a higher one first, and
      // two runs go by (faster than the settle delay) before the first transaction commits.
      await slow.beginTransaction();
      await seedMessages(lateChat!, 3, 3, slow);
      await seedMessages(otherChat!, 1, 1);
      const settleMs = 5_000;
      await run({ settleMs });
      await run({ settleMs });
      expect(await messagesCount(lateChat!)).toBe(2);
      expect(await messagesCount(otherChat!)).toBe(1);
      await slow.commit();

      await run({ settleMs });

      expect(await messagesCount(lateChat!)).toBe(3);
    } finally {
      slow.release();
    }
  });

  it('recovers from a run whose statement fails midway: the next run makes every count exact', async () => {
    const appId = await createApp();
    const chatIds = await seedChats(appId, 1, 8);
    for (const chatId of chatIds) await seedMessages(chatId, 1, 3);
    let writes = 0;

    const failing = run({ childChunk: 3, parentBatch: 1 }, () =>
      instrumentedStore((store) => ({
        async writeCounts(counter, counts) {
          if (++writes === 3) throw new Error('injected: the database went away');
          return store.writeCounts(counter, counts);
        },
      })),
    );

    await expect(failing).rejects.toThrow('injected');
    expect((await countsOf(appId)).chats.some((c) => c.stored !== c.actual)).toBe(true);
    await seedMessages(chatIds[1]!, 4, 5);
    const next = await run();
    expect(next.skipped).toBe(false);
    await expectExact(appId);
  });

  it('recovers from a run whose connection is killed midway', async () => {
    const appId = await createApp();
    const chatIds = await seedChats(appId, 1, 8);
    for (const chatId of chatIds) await seedMessages(chatId, 1, 2);
    let killed = false;

    const doomed = run({ childChunk: 2, parentBatch: 1 }, async () => {
      const connection = await mysqlPool().getConnection();
      const store = countsStore(connection);
      return {
        ...store,
        async touchedParents(counter, after, upTo) {
          if (counter === 'chats.messages_count' && !killed && after > 0) {
            killed = true;
            await db.query(`KILL CONNECTION ${connection.threadId}`);
          }
          return store.touchedParents(counter, after, upTo);
        },
      };
    });

    await expect(doomed).rejects.toThrow();
    expect(killed).toBe(true);
    const next = await eventually(async () => {
      const report = await run();
      expect(report.skipped).toBe(false);
      return report;
    });
    expect(next.complete).toBe(true);
    await expectExact(appId);
  });

  it('lets only one run at a time work: an overlapping run is skipped, and the counts stay exact', async () => {
    const appId = await createApp();
    const chatIds = await seedChats(appId, 1, 4);
    for (const chatId of chatIds) await seedMessages(chatId, 1, 3);
    let paused = false;
    let resume!: () => void;
    const gate = new Promise<void>((resolve) => (resume = resolve));

    const first = run({}, () =>
      instrumentedStore((store) => ({
        async touchedParents(counter, after, upTo) {
          paused = true;
          await gate;
          return store.touchedParents(counter, after, upTo);
        },
      })),
    );
    await eventually(() => expect(paused).toBe(true));
    const second = await run();
    resume();

    expect(second.skipped).toBe(true);
    expect((await first).skipped).toBe(false);
    await expectExact(appId);
  });

  it('repairs counts outside the window only on a full run ({"full": true})', async () => {
    const appId = await createApp();
    const chatIds = await seedChats(appId, 1, 3);
    for (const chatId of chatIds) await seedMessages(chatId, 1, 2);
    await run();
    await run();
    await db.query('UPDATE chats SET messages_count = 99 WHERE id = ?', [chatIds[1]]);

    const incremental = await run();
    expect(await messagesCount(chatIds[1]!)).toBe(99);
    expect(incremental.rowsUpdated).toBe(0);

    const full = await run({ full: true });
    expect(full.counters['chats.messages_count']!.sweep!.done).toBe(true);
    expect(full.rowsUpdated).toBeGreaterThanOrEqual(1);
    await expectExact(appId);
  });
});

describe('recomputeCounts at scale: ≥ 200,000 messages over ≥ 1,000 chats', () => {
  const CHATS = 1_000;
  const PER_CHAT = 200;
  let appId: number;

  // 1..1000 from digits: portable (no engine sequence tables, no recursion limits).
  const digits = '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
  const numbers = `(SELECT a.d + 10 * b.d + 100 * c.d + 1 AS n FROM ${digits} a CROSS JOIN ${digits} b CROSS JOIN ${digits} c)`;

  beforeAll(async () => {
    const startedAt = Date.now();
    appId = await createApp();
    await db.query(
      `INSERT INTO chats (application_id, number, created_at, updated_at)
       SELECT ?, n.n, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) FROM ${numbers} n WHERE n.n <= ?
       ON DUPLICATE KEY UPDATE updated_at = updated_at`,
      [appId, CHATS],
    );
    // 100 chats (20,000 messages) per statement, like many consumer batches.
    for (let first = 1; first <= CHATS; first += 100) {
      await db.query(
        `INSERT INTO messages (chat_id, number, content, created_at, updated_at)
         SELECT c.id, n.n, CONCAT('message ', n.n), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3)
           FROM chats c CROSS JOIN ${numbers} n
          WHERE c.application_id = ? AND c.number BETWEEN ? AND ? AND n.n <= ?
         ON DUPLICATE KEY UPDATE content = content`,
        [appId, first, first + 99, PER_CHAT],
      );
    }
    console.log(`counts at scale: seeded ${CHATS} chats and ${CHATS * PER_CHAT} messages in ${Date.now() - startedAt} ms`);
  }, 300_000);

  // The test database outlives the run (KEEP_SERVICES): left there, these rows would pile up run after
  // run and every whole-table job of a later test (the search reindex copies every message) would pay
  // for them. Deleted in the same 100-chat slices they were written in.
  afterAll(async () => {
    for (let first = 1; first <= CHATS; first += 100) {
      await db.query(
        `DELETE m FROM messages m JOIN chats c ON c.id = m.chat_id
          WHERE c.application_id = ? AND c.number BETWEEN ? AND ?`,
        [appId, first, first + 99],
      );
    }
  }, 300_000);

  it('counts them with an incremental run, then a full run recounts everything in chunks', async () => {
    const incremental = await run();
    console.log(`counts at scale: incremental run over the new rows: ${incremental.durationMs} ms, ${JSON.stringify(incremental.counters)}`);
    await expectExact(appId);
    expect(incremental.counters['chats.messages_count']!.chunks).toBeGreaterThanOrEqual(10);

    await db.query('UPDATE chats SET messages_count = 0 WHERE application_id = ?', [appId]);
    await db.query('UPDATE applications SET chats_count = 0 WHERE id = ?', [appId]);
    const full = await run({ full: true });
    console.log(`counts at scale: full run: ${full.durationMs} ms, ${JSON.stringify(full.counters)}`);

    expect(full.complete).toBe(true);
    expect(full.counters['chats.messages_count']!.sweep!.done).toBe(true);
    expect(full.counters['chats.messages_count']!.chunks).toBeGreaterThanOrEqual(CHATS / 500);
    expect(full.rowsUpdated).toBeGreaterThanOrEqual(CHATS + 1);
    const counts = await countsOf(appId);
    expect(counts.app.stored).toBe(CHATS);
    expect(counts.chats.every((c) => c.stored === PER_CHAT)).toBe(true);
  }, 300_000);

  it('resumes a full run that stopped midway where it stopped, in the next run', async () => {
    await db.query('UPDATE chats SET messages_count = 1 WHERE application_id = ?', [appId]);
    let sweepChunks = 0;

    const stopped = run({ full: true }, () =>
      instrumentedStore((store) => ({
        async recountRange(counter, after, upTo) {
          if (counter === 'chats.messages_count' && ++sweepChunks === 3) throw new Error('injected: Lambda timed out');
          return store.recountRange(counter, after, upTo);
        },
      })),
    );
    await expect(stopped).rejects.toThrow('injected');

    const resumed = await run();
    const sweep = resumed.counters['chats.messages_count']!.sweep!;
    expect(sweep.from).toBeGreaterThan(0);
    expect(sweep.done).toBe(true);
    await expectExact(appId);
  }, 300_000);

  it('serves every statement of the job from an index: no full scan of chats or messages (EXPLAIN)', async () => {
    const [chats] = await db.query<RowDataPacket[]>('SELECT id FROM chats WHERE application_id = ? ORDER BY id', [appId]);
    const chatIds = chats.map((c) => Number(c.id));
    const [[bounds]] = await db.query<RowDataPacket[]>('SELECT MAX(m.id) AS maxMessage, MAX(c.id) AS maxChat FROM messages m, chats c WHERE c.id = m.chat_id AND c.application_id = ?', [appId]);
    const maxMessage = Number(bounds!.maxMessage);
    const maxChat = Number(bounds!.maxChat);
    // Realistic arguments: a chunk of the window, a batch of parents, a chunk of the parent key range.
    const cases: Record<CounterName, { parent: string; child: string; ids: number[]; childWindow: [number, number] }> = {
      'chats.messages_count': { parent: 'chats', child: 'messages', ids: chatIds.slice(100, 200), childWindow: [maxMessage - 20_000, maxMessage] },
      'applications.chats_count': { parent: 'applications', child: 'chats', ids: [appId], childWindow: [maxChat - 500, maxChat] },
    };
    const big = new Set(['chats', 'messages']);
    const plans: string[] = [];
    for (const counter of COUNTERS) {
      const s = countStatements(counter);
      const { parent, child, ids, childWindow } = cases[counter];
      const statements: Array<[string, string, unknown[]]> = [
        ['maxChildId', s.maxChildId, []],
        ['touchedParents', s.touchedParents, childWindow],
        ['recountParents', s.recountParents, [ids]],
        ['recountRange', s.recountRange, counter === 'chats.messages_count' ? [chatIds[100]! - 1, chatIds[599]!] : [appId - 1, appId + 499]],
        ['recountTail', s.recountTail, [ids[ids.length - 1]! - 1]],
        ['parentBound', s.parentBound, [ids[0]! - 1, 499]],
        ['writeCounts', s.writeCounts(ids.length), [...ids.flatMap((id) => [id, 1]), ids]],
      ];
      for (const [name, sql, values] of statements) {
        const [rows] = await db.query<RowDataPacket[]>(`EXPLAIN ${sql}`, values);
        // EXPLAIN names aliases: p is the parent table, c the child table.
        for (const row of rows) {
          const table = row.table === 'p' ? parent : row.table === 'c' ? child : row.table;
          plans.push(`${counter} ${name}: ${table ?? '-'} ${row.type ?? '-'} ${row.key ?? '-'}`);
          if (big.has(table)) expect({ counter, name, table, type: row.type }).toEqual({ counter, name, table, type: expect.not.stringMatching(/^(ALL|index)$/) });
        }
      }
    }
    console.log(`counts: query plans\n${plans.join('\n')}`);
  });
});

describe('the deployed recomputeCounts function', () => {
  const invoke = async (payload: unknown) => {
    const url = `http://127.0.0.1:${localPorts().testLambda}/2015-03-31/functions/chat-system-test-recomputeCounts/invocations`;
    const response = await fetch(url, { method: 'POST', body: JSON.stringify(payload) });
    return { status: response.status, functionError: response.headers.get('x-amz-function-error'), body: (await response.json()) as any };
  };

  it('recomputes the counts when invoked through the Lambda API, and fully on {"full": true}', async () => {
    const appId = await createApp();
    const chatIds = await seedChats(appId, 1, 3);
    for (const chatId of chatIds) await seedMessages(chatId, 1, 4);

    const scheduled = await invoke({ version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });

    expect(scheduled).toMatchObject({ status: 200, functionError: null, body: { skipped: false, full: false, complete: true } });
    await expectExact(appId);

    await db.query('UPDATE chats SET messages_count = 0 WHERE id = ?', [chatIds[0]]);
    const full = await invoke({ full: true });

    expect(full).toMatchObject({ status: 200, functionError: null, body: { skipped: false, full: true, complete: true } });
    expect(await messagesCount(chatIds[0]!)).toBe(4);
  });

  it('rejects a malformed event as a function error', async () => {
    const { functionError, body } = await invoke({ full: 'yes' });

    expect(functionError).toBeTruthy();
    expect(JSON.stringify(body)).toMatch(/full/);
  });
});

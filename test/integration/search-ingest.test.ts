import Redis from 'ioredis';
import { redisCounters } from '../../shared/adapters/counters';
import { mysqlNumbering } from '../../shared/adapters/stores/numbering';
import { config } from '../../shared/config';
import { counterRecovery } from '../../shared/services/recovery';
import { randomUUID } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { createPool, type Pool } from 'mysql2/promise';
import { mysqlOptions } from '../../shared/adapters/mysql';
import { defaultSearchTarget } from '../../shared/adapters/search-index';
import { mysqlApplications } from '../../shared/adapters/stores/applications';
import { chatKey, mysqlChats } from '../../shared/adapters/stores/chats';
import { messageStatements, mysqlMessages } from '../../shared/adapters/stores/messages';
import type { MessageRecord } from '../../shared/domain/records';
import type { QueueItem } from '../../shared/queue/batch-handler';
import { persistenceService, searchIndexOf, type MessageIndex } from '../../shared/services/persistence';
import { persistedMessageNumbers, rows } from '../helpers/db';
import { givenApp, givenChat } from '../helpers/fixtures';
import { chatDocumentCount } from '../helpers/search';

/*
 * The messages consumer's use case against the real MySQL and OpenSearch, with the search index
 * injected: the consumer itself runs inside the test API, whose OpenSearch cannot be taken away.
 */

let pool: Pool;
let unreachable: Client;
let redis: Redis;

beforeAll(() => {
  pool = createPool({ ...mysqlOptions(), connectionLimit: 2 });
  redis = new Redis(config().redis.url);
  // Port 9 (discard) has no listener: every request is refused at once.
  unreachable = new Client({ node: 'http://127.0.0.1:9', requestTimeout: 2000, maxRetries: 0 });
});
afterAll(async () => {
  await pool.end();
  await unreachable.close();
  redis.disconnect();
});

const consumerWith = (search: MessageIndex) =>
  persistenceService({
    applications: mysqlApplications(pool),
    chats: mysqlChats(pool),
    messages: mysqlMessages(pool),
    search,
    counters: redisCounters(redis),
    // Collisions never happen here (every record has its own id): the recovery needs no queue depth.
    recovery: counterRecovery({ counters: redisCounters(redis), numbering: mysqlNumbering(pool), queues: { depth: async () => 0 }, margin: 0 }),
  });

const item = (body: MessageRecord): QueueItem<MessageRecord> => ({ id: randomUUID(), body, receiveCount: 1 });

const copiesPerNumber = async (token: string, chat: number) =>
  rows<{ number: number; copies: number }>(
    `SELECT m.number, COUNT(*) AS copies FROM messages m JOIN chats c ON c.id = m.chat_id JOIN applications a ON a.id = c.application_id
      WHERE a.token = ? AND c.number = ? GROUP BY m.number ORDER BY m.number`,
    [token, chat],
  );

describe('persistMessages (the messages consumer use case) with the search index injected', () => {
  it('throws the outage (the whole batch is retried), keeps MySQL free of duplicates, and indexes them once OpenSearch is back', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const createdAt = new Date(Date.now() - 5000).toISOString();
    const batch = [1, 2, 3].map((number) => item({ type: 'message.created', token, chatNumber: chat, number, content: `outage ${number}`, createdAt }));
    batch.push(item({ type: 'message.updated', token, chatNumber: chat, number: 2, content: 'outage 2 edited', updatedAt: new Date().toISOString() }));

    const down = consumerWith(searchIndexOf({ client: unreachable, prefix: defaultSearchTarget().prefix })).persistMessages(batch);

    await expect(down).rejects.toThrow(/search is unavailable/);
    expect(await persistedMessageNumbers(token, chat)).toEqual([1, 2, 3]);
    expect(await chatDocumentCount(token, chat)).toBe(0);

    // SQS redelivers the same records; OpenSearch is back.
    const back = await consumerWith(searchIndexOf()).persistMessages(batch);

    expect(back.failures).toEqual([]);
    expect(back.stored.map((i) => i.id)).toEqual(batch.map((i) => i.id));
    expect((await copiesPerNumber(token, chat)).map((r) => [r.number, Number(r.copies)])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(await chatDocumentCount(token, chat)).toBe(3);
  });

  it('maps per-item outcomes back to their records: only the failed item fails, a stale one is a success', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const createdAt = new Date().toISOString();
    const batch = [1, 2, 3].map((number) => item({ type: 'message.created', token, chatNumber: chat, number, content: `mixed ${number}`, createdAt }));
    const calls: number[] = [];
    const flaky: MessageIndex = {
      async index(messages) {
        calls.push(messages.length);
        return messages.map((message) =>
          message.number === 2
            ? { ok: false, status: 429, reason: 'es_rejected_execution_exception: queue full', retryable: true }
            : message.number === 3
              ? { ok: true, result: 'stale' }
              : { ok: true, result: 'created' },
        );
      },
    };

    const result = await consumerWith(flaky).persistMessages(batch);

    expect(calls).toEqual([3]);
    expect(result.failures).toEqual([{ id: batch[1]!.id, reason: expect.stringContaining('queue full') }]);
    expect(result.stored.map((i) => i.body.number)).toEqual([1, 3]);
  });

  it('a record that cannot be stored in MySQL is not indexed and fails alone; its batch-mates are stored and indexed', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const createdAt = new Date().toISOString();
    const good = item({ type: 'message.created', token, chatNumber: chat, number: 1, content: 'fine', createdAt });
    // A record of an application MySQL does not know: it fails before any write.
    const orphan = item({ type: 'message.created', token: 'C'.repeat(22), chatNumber: 1, number: 1, content: 'no app', createdAt });

    const result = await consumerWith(searchIndexOf()).persistMessages([orphan, good]);

    expect(result.failures.map((f) => f.id)).toEqual([orphan.id]);
    expect(result.stored.map((i) => i.id)).toEqual([good.id]);
    expect(await chatDocumentCount(token, chat)).toBe(1);
  });
});

describe("the consumer's read-back of a batch's rows", () => {
  it('is served by uq_messages_chat_number (one range per (chat, number) pair), never a full scan', async () => {
    const plan = await rows<{ table: string; type: string; key: string | null }>(`EXPLAIN ${messageStatements.SELECT_STORED(3)}`, [1, 1, 1, 2, 2, 1]);

    expect(plan.map(({ type, key }) => ({ type, key }))).toEqual([{ type: 'range', key: 'uq_messages_chat_number' }]);
  });
});

describe("the create upsert's answer (the consumer skips the read-back when every row was freshly inserted)", () => {
  // The server counts an unchanged duplicate (a redelivery) as a duplicate only with CLIENT_FOUND_ROWS.
  it.each([
    ["with CLIENT_FOUND_ROWS (mysql2's default)", []],
    ['without CLIENT_FOUND_ROWS', ['-FOUND_ROWS']],
  ])('says every row was inserted only when none met an existing row, %s', async (_name, flags) => {
    const flagged = createPool({ ...mysqlOptions(), connectionLimit: 1, flags });
    try {
      const token = await givenApp();
      const [app] = await rows<{ id: number }>('SELECT id FROM applications WHERE token = ?', [token]);
      const applicationId = Number(app!.id);
      const chats = mysqlChats(flagged);
      await chats.upsert([{ applicationId, number: 1, createdAt: new Date() }]);
      const chatId = (await chats.ids([{ applicationId, number: 1 }])).get(chatKey(applicationId, 1))!;
      const store = mysqlMessages(flagged);
      const row = (number: number, recordId: string = randomUUID()) => ({ chatId, number, recordId, content: `row ${number}`, createdAt: new Date() });
      const fresh = [row(1), row(2)];

      expect(await store.upsert(fresh)).toEqual({ allInserted: true });
      // A redelivery: the same records, nothing changes.
      expect(await store.upsert(fresh)).toEqual({ allInserted: false });
      // A collision (another record id at number 1) next to a fresh row.
      expect(await store.upsert([row(1), row(3)])).toEqual({ allInserted: false });
      // An edit's row, written ahead of its create, next to a fresh row.
      await store.applyEdits([{ chatId, number: 4, content: 'edited first', updatedAt: new Date(), version: 1 }]);
      expect(await store.upsert([row(4), row(5)])).toEqual({ allInserted: false });
      // A record already stored under another number (re-numbered after a collision) next to a fresh row.
      expect(await store.upsert([row(6, fresh[0]!.recordId), row(7)])).toEqual({ allInserted: false });
      // One row alone: the server reports no counts, so the consumer reads it back.
      expect(await store.upsert([row(8)])).toEqual({ allInserted: false });
      expect(await store.upsert([row(9), row(10)])).toEqual({ allInserted: true });
    } finally {
      await flagged.end();
    }
  });
});

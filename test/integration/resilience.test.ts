import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { localPorts } from '../../infra/local/environment';
import { logPath } from '../../infra/local/paths';
import { config } from '../../shared/config';
import { tokenRef } from '../../shared/http/log';
import { api } from '../helpers/api';
import { persistedChatNumbers, persistedMessageNumbers, rows } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat, givenMessage, range } from '../helpers/fixtures';
import { startSecondApi, type SecondApi } from '../helpers/second-api';

/*
 * Issue 9: nothing acknowledged is lost when Redis loses writes, clients retry (Idempotency-Key) or
 * one token floods the create routes. Redis is the test stage's own database (db 1); tests here
 * snapshot, restore and flush it on purpose, under the integration-test lock.
 */

/** Every key of the stage's Redis database as DUMP gives it, with its TTL. */
async function snapshot(redis: Redis): Promise<[string, Buffer, number][]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.dumpBuffer(key).pttl(key);
  const replies = (await pipeline.exec())!;
  return keys.flatMap((key, i): [string, Buffer, number][] => {
    const dump = replies[2 * i]![1] as Buffer | null;
    const ttl = replies[2 * i + 1]![1] as number;
    return dump ? [[key, dump, ttl > 0 ? ttl : 0]] : [];
  });
}

/** Puts the snapshot back over the current data, as a restored snapshot or a failover to a lagging replica does. */
async function restore(redis: Redis, keys: [string, Buffer, number][]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const [key, dump, ttl] of keys) pipeline.restore(key, ttl, dump, 'REPLACE');
  await pipeline.exec();
}

const contentsOf = async (token: string, chat: number) =>
  (
    await rows<{ content: string }>(
      `SELECT m.content FROM messages m JOIN chats c ON c.id = m.chat_id JOIN applications a ON a.id = c.application_id
        WHERE a.token = ? AND c.number = ? ORDER BY m.content`,
      [token, chat],
    )
  ).map((row) => row.content);

const apiLog = () => readFileSync(logPath(`api-test-${localPorts().testHttp}`), 'utf8');

const messagesPath = (token: string, chat: number) => `/api/v1/apps/${token}/chats/${chat}/messages`;

let redis: Redis;
let second: SecondApi;
let bases: string[];

beforeAll(async () => {
  redis = new Redis(config().redis.url);
  // A second instance, as behind a load balancer, configured like the first (instances of one stage
  // share their limits: a bucket is one Redis key, whoever refills it).
  second = await startSecondApi(localPorts().testHttp + 10);
  bases = [process.env.TEST_API_URL!, second.url];
});
afterAll(async () => {
  redis?.disconnect();
  await second?.stop();
});

describe('Redis rolls back (a restored snapshot, a failover to a lagging replica)', () => {
  it('keeps every acknowledged message exactly once: a collision is re-numbered, logged and the counter healed', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const acked: string[] = [];
    for (const i of range(1, 3)) acked.push(`before ${i} ${token}`);
    for (const content of acked) await givenMessage(token, chat, content);
    const saved = await snapshot(redis);
    const between = range(1, 3).map((i) => `between ${i} ${token}`);
    for (const content of between) await givenMessage(token, chat, content);
    acked.push(...between);
    await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual(range(1, 6)), { timeoutMs: 60_000 });

    await restore(redis, saved);
    const after = range(1, 3).map((i) => `after ${i} ${token}`);
    const numbers = [];
    for (const content of after) numbers.push(await givenMessage(token, chat, content));
    acked.push(...after);

    // The rolled-back counter handed 4 out again (and 5, 6, unless the consumer healed it first: it
    // may take the first collision before the third POST): the consumer kept those messages elsewhere.
    expect(numbers[0]).toBe(4);
    await eventually(async () => expect(await contentsOf(token, chat)).toEqual([...acked].sort()), { timeoutMs: 60_000 });
    expect(apiLog()).toMatch(new RegExp(`message number collision.*"token":"${tokenRef(token)}"`));
    // Healed: the next message takes a number above every stored one.
    const stored = await persistedMessageNumbers(token, chat);
    expect(await givenMessage(token, chat, `healed ${token}`)).toBeGreaterThan(Math.max(...stored));
  });

  it('merges a colliding chat into the existing one, logs it and heals the chat counter', async () => {
    const token = await givenApp();
    await givenChat(token);
    const saved = await snapshot(redis);
    expect(await givenChat(token)).toBe(2);
    await eventually(async () => expect(await persistedChatNumbers(token)).toEqual([1, 2]), { timeoutMs: 60_000 });

    await restore(redis, saved);
    expect(await givenChat(token)).toBe(2);

    await eventually(() => expect(apiLog()).toMatch(new RegExp(`chat number collision.*"token":"${tokenRef(token)}"`)), { timeoutMs: 60_000 });
    expect(await givenChat(token)).toBeGreaterThan(2);
  });
});

describe('Redis loses everything (FLUSHDB, a new empty node)', () => {
  it('recovers the counters from MySQL: creates, edits and searches of existing parents work, numbers never repeat', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    await givenMessage(token, chat, 'first');
    await givenMessage(token, chat, 'second');
    await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual([1, 2]), { timeoutMs: 60_000 });

    await redis.flushdb();

    // Concurrent recoveries on two instances: every number distinct and above the stored ones.
    const responses = await Promise.all(
      range(1, 10).map((i) => api('POST', messagesPath(token, chat), { baseUrl: bases[i % 2], body: { content: `after the loss ${i}` } })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    const numbers = responses.map((r) => r.body.number);
    expect(new Set(numbers).size).toBe(10);
    expect(Math.min(...numbers)).toBeGreaterThan(2);

    const newChat = await api('POST', `/api/v1/apps/${token}/chats`);
    expect(newChat.status).toBe(201);
    expect(newChat.body.number).toBeGreaterThan(chat);
    expect((await api('PUT', `${messagesPath(token, chat)}/1`, { body: { content: 'edited after the loss' } })).status).toBe(202);
    expect((await api('GET', `${messagesPath(token, chat)}/search?q=first`)).status).toBe(200);
    expect((await api('POST', `/api/v1/apps/${'x'.repeat(32)}/chats`)).status).toBe(404);
    expect((await api('POST', messagesPath(token, 9999), { body: { content: 'no such chat' } })).status).toBe(404);

    await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual([1, 2, ...numbers.sort((a, b) => a - b)]), {
      timeoutMs: 60_000,
    });
  });
});

describe('Idempotency-Key', () => {
  it('the same key and body answers the same number and stores one message; another body is 422', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const key = randomUUID();
    const send = (content: string) => api('POST', messagesPath(token, chat), { body: { content }, headers: { 'Idempotency-Key': key } });

    const first = await send('only once');
    const again = await send('only once');
    const other = await send('something else');

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.number).toBe(first.body.number);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    await eventually(async () => expect(await contentsOf(token, chat)).toEqual(['only once']), { timeoutMs: 60_000 });
  });

  it('ten copies at once on two instances: one record; the rest replay it or get 409 + Retry-After', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const key = randomUUID();
    const send = (base: string) =>
      api('POST', messagesPath(token, chat), { baseUrl: base, body: { content: 'sent ten times' }, headers: { 'Idempotency-Key': key } });

    const responses = await Promise.all(range(1, 10).map((i) => send(bases[i % 2]!)));

    const created = responses.filter((r) => r.status === 201);
    const busy = responses.filter((r) => r.status === 409);
    expect(created.length + busy.length).toBe(10);
    expect(created.length).toBeGreaterThan(0);
    expect(new Set(created.map((r) => r.body.number)).size).toBe(1);
    for (const response of busy) {
      expect(response.body.error.code).toBe('idempotency_key_in_flight');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const retried = await eventually(async () => {
      const response = await send(bases[0]!);
      expect(response.status).toBe(201);
      return response;
    });
    expect(retried.body.number).toBe(created[0]!.body.number);
    await eventually(async () => expect(await contentsOf(token, chat)).toEqual(['sent ten times']), { timeoutMs: 60_000 });
  });

  it('chats: the same key answers the same chat number', async () => {
    const token = await givenApp();
    const headers = { 'Idempotency-Key': 'chat-key-1' };
    const first = await api('POST', `/api/v1/apps/${token}/chats`, { headers });
    const again = await api('POST', `/api/v1/apps/${token}/chats`, { headers });

    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.number).toBe(first.body.number);
    expect((await api('POST', `/api/v1/apps/${token}/chats`)).body.number).toBe(first.body.number + 1);
  });

  it('POST /apps: keys are global, so they must be UUIDs; the same key returns the same application', async () => {
    const key = randomUUID();
    const first = await api('POST', '/api/v1/apps', { body: { name: 'keyed' }, headers: { 'Idempotency-Key': key } });
    const again = await api('POST', '/api/v1/apps', { body: { name: 'keyed' }, headers: { 'Idempotency-Key': key } });
    const other = await api('POST', '/api/v1/apps', { body: { name: 'another' }, headers: { 'Idempotency-Key': key } });
    const notUuid = await api('POST', '/api/v1/apps', { body: { name: 'keyed' }, headers: { 'Idempotency-Key': 'short' } });

    expect([first.status, again.status, other.status, notUuid.status]).toEqual([201, 201, 422, 400]);
    expect(again.body.token).toBe(first.body.token);
    expect(await rows('SELECT id FROM applications WHERE name = ? AND token = ?', ['keyed', first.body.token])).toHaveLength(1);
  });
});

describe('rate limit per token on the create routes', () => {
  // An instance of its own with a low create rate: the other tests' instances keep the generous default.
  let lowRateApi: SecondApi;
  beforeAll(async () => {
    lowRateApi = await startSecondApi(localPorts().testHttp + 13, { RATE_LIMIT_BURST: '8', RATE_LIMIT_PER_SECOND: '0.01' });
  });
  afterAll(async () => lowRateApi?.stop());

  it('answers 429 rate_limited + Retry-After once the bucket is empty, per token', async () => {
    const token = await givenApp();
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 10; i++) {
      const response = await api('POST', `/api/v1/apps/${token}/chats`, { baseUrl: lowRateApi.url });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }

    // That instance allows a burst of 8 and refills one every 100 s.
    expect(statuses).toEqual([...Array(8).fill(201), 429, 429]);
    expect(limited!.body.error.code).toBe('rate_limited');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another token has its own bucket.
    expect((await api('POST', `/api/v1/apps/${await givenApp()}/chats`, { baseUrl: lowRateApi.url })).status).toBe(201);
  });
});

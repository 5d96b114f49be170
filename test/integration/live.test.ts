import { readFileSync, statSync } from 'node:fs';
import Redis from 'ioredis';
import { localPorts } from '../../infra/local/environment';
import { logPath } from '../../infra/local/paths';
import { chatConnectionsKey, redisConnections } from '../../shared/adapters/connections';
import { api } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat, givenMessage, range } from '../helpers/fixtures';
import { type LiveClient, numbersOf, openLive, refusalStatus } from '../helpers/live-client';
import { drainDeadLetters, queueDepth, queueUrl } from '../helpers/queues';

/*
 * Live updates end to end: real WebSocket clients (the `ws` package) on the test API's WebSocket
 * port (serverless-offline, HTTP + 1), messages created over HTTP, persisted by the consumer, pushed
 * through serverless-offline's @connections endpoint. Waits are bounds (eventually), not timings.
 */
const redis = new Redis(process.env.REDIS_URL!);
const connections = redisConnections(redis);
const clients: LiveClient[] = [];
const BOUND = { timeoutMs: 60_000 };

const open = async (token: string, chat: number) => {
  const client = await openLive(token, chat);
  clients.push(client);
  return client;
};
const messagesOf = (token: string, chat: number) => `/api/v1/apps/${token}/chats/${chat}/messages`;
const queueDrained = () => eventually(async () => expect(await queueDepth(queueUrl('messages'))).toBe(0), BOUND);
const registered = (token: string, chat: number) => redis.zrange(chatConnectionsKey({ token, chatNumber: chat }), 0, -1);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  redis.disconnect();
});

describe('live updates over the WebSocket API', () => {
  it('two clients on one chat and one on another receive exactly their chat’s messages, each once, in number order', async () => {
    const token = await givenApp();
    const [chatA, chatB] = [await givenChat(token), await givenChat(token)];
    const [a1, a2, b1] = [await open(token, chatA), await open(token, chatA), await open(token, chatB)];

    await Promise.all(range(1, 6).map((i) => givenMessage(token, chatA, `to A #${i}`)));
    await Promise.all(range(1, 3).map((i) => givenMessage(token, chatB, `to B #${i}`)));

    await eventually(() => {
      for (const client of [a1, a2]) expect([...numbersOf(client)].sort((x, y) => x - y)).toEqual(range(1, 6));
      expect([...numbersOf(b1)].sort((x, y) => x - y)).toEqual(range(1, 3));
    }, BOUND);
    // Nothing more arrives once every record is handled: each message exactly once.
    await queueDrained();
    for (const client of [a1, a2]) {
      expect(client.events).toHaveLength(6);
      expect(new Set(client.events.map((event) => event.content))).toEqual(new Set(range(1, 6).map((i) => `to A #${i}`)));
      expect(client.events.every((event) => event.type === 'message.created' && event.chat_number === chatA)).toBe(true);
    }
    expect(b1.events).toHaveLength(3);
    expect(b1.events.every((event) => event.chat_number === chatB && event.content.startsWith('to B'))).toBe(true);
    // Within a frame (one per batch), numbers ascend.
    for (const { events } of [...a1.frames, ...a2.frames, ...b1.frames]) {
      expect(events.map((event) => event.number)).toEqual([...events.map((event) => event.number)].sort((x, y) => x - y));
    }
    // What is pushed is what the API serves.
    const stored = await api('GET', `${messagesOf(token, chatA)}/1`);
    expect(a1.events.find((event) => event.number === 1)).toEqual({ type: 'message.created', chat_number: chatA, ...stored.body });
  });

  it('an edit arrives as message.updated with the new content', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const client = await open(token, chat);
    const number = await givenMessage(token, chat, 'first draft');
    await eventually(() => expect(numbersOf(client)).toEqual([number]), BOUND);

    expect((await api('PUT', `${messagesOf(token, chat)}/${number}`, { body: { content: 'second draft' } })).status).toBe(202);

    await eventually(() => expect(client.events.filter((event) => event.type === 'message.updated')).toHaveLength(1), BOUND);
    const edit = client.events.find((event) => event.type === 'message.updated')!;
    expect(edit).toMatchObject({ chat_number: chat, number, content: 'second draft' });
    expect(Date.parse(edit.updated_at)).toBeGreaterThan(Date.parse(edit.created_at));
  });

  it('a client that disconnects is removed; a connection API Gateway calls gone (410) is removed; the batch still succeeds', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const staying = await open(token, chat);
    const leaving = await open(token, chat);
    await eventually(async () => expect(await registered(token, chat)).toHaveLength(2), BOUND);

    await leaving.close();
    // $disconnect removes it.
    await eventually(async () => expect(await registered(token, chat)).toHaveLength(1), BOUND);
    // A connection whose $disconnect was lost (registered a minute ago, no socket): the push gets a 410.
    await redisConnections(redis, { now: () => Date.now() - 60_000 }).add({ token, chatNumber: chat }, 'lost-connection');
    expect(await registered(token, chat)).toContain('lost-connection');

    const number = await givenMessage(token, chat, 'after the leave');

    await eventually(() => expect(numbersOf(staying)).toEqual([number]), BOUND);
    expect(leaving.events).toEqual([]);
    // The 410 removed it (and its reverse key); the live client stays.
    await eventually(async () => expect(await registered(token, chat)).toHaveLength(1), BOUND);
    expect(await registered(token, chat)).not.toContain('lost-connection');
    expect(await connections.chatOf('lost-connection')).toBeUndefined();
    // The batch succeeded: the message is stored, the queue drained, none of its records went to the
    // DLQ (the stage's DLQ may hold other files' poison records, so look for this application's).
    await queueDrained();
    expect((await api('GET', `${messagesOf(token, chat)}/${number}`)).status).toBe(200);
    expect((await drainDeadLetters('messages')).filter((message) => message.Body?.includes(token))).toEqual([]);
  });

  it('refuses an unknown token or chat (404) and a malformed one (400), checked in Redis', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    expect(await refusalStatus({ token: 'unknownTokenXXXXXXXXXX', chat: 1 })).toBe(404);
    expect(await refusalStatus({ token, chat: chat + 1 })).toBe(404);
    expect(await refusalStatus({ token, chat: 'abc' })).toBe(400);
    expect(await refusalStatus({ chat })).toBe(400);
    // A chat that is numbered but not yet persisted is known (DESIGN invariant 3).
    const fresh = await givenChat(token);
    const client = await open(token, fresh);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it('answers {"action":"ping"} with a pong, and anything else with an unknown_action error', async () => {
    const token = await givenApp();
    const client = await open(token, await givenChat(token));

    client.send({ action: 'ping' });
    await eventually(() => expect(client.replies).toEqual([{ type: 'pong' }]), BOUND);
    client.send({ action: 'dance' });
    await eventually(() => expect(client.replies).toHaveLength(2), BOUND);
    expect(client.replies[1]).toMatchObject({ error: { code: 'unknown_action' } });
  });

  it('holds many connections on many chats; push latency (measured, not asserted)', async () => {
    const CHATS = 5;
    const PER_CHAT = 8;
    const MESSAGES_PER_CHAT = 12;
    const token = await givenApp();
    const chats = await Promise.all(range(1, CHATS).map(() => givenChat(token)));
    const subscribers = await Promise.all(chats.flatMap((chat) => range(1, PER_CHAT).map(() => open(token, chat).then((client) => ({ chat, client })))));
    const logFile = logPath(`api-test-${localPorts().testHttp}`);
    const logOffset = statSync(logFile).size;

    // Three waves, each awaited by every client, so the figures cover several batches.
    const acknowledgedAt = new Map<string, number>();
    const WAVES = 3;
    for (const wave of range(1, WAVES)) {
      for (const i of range(1, MESSAGES_PER_CHAT / WAVES)) {
        await Promise.all(
          chats.map(async (chat) => {
            const number = await givenMessage(token, chat, `load ${wave}.${i}`);
            acknowledgedAt.set(`${chat}:${number}`, Date.now());
          }),
        );
      }
      await eventually(() => {
        for (const { client } of subscribers) expect(client.events).toHaveLength((wave * MESSAGES_PER_CHAT) / WAVES);
      }, BOUND);
    }

    await queueDrained();
    for (const { chat, client } of subscribers) {
      expect([...numbersOf(client)].sort((x, y) => x - y)).toEqual(range(1, MESSAGES_PER_CHAT));
      expect(client.events.every((event) => event.chat_number === chat)).toBe(true);
    }

    // Persist → client: each frame's arrival after the end of its batch's persistence (the consumer's
    // "live updates pushed" log line; batches of one queue are delivered one at a time).
    const persisted = readFileSync(logFile, 'utf8')
      .slice(logOffset)
      .split('\n')
      .flatMap((line) => {
        const start = line.indexOf('{"level"');
        if (start < 0 || !line.includes('"live updates pushed"')) return [];
        return [JSON.parse(line.slice(start)).persistedAt as number];
      })
      .sort((a, b) => a - b);
    const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];
    const frames = subscribers.flatMap(({ client }) => client.frames);
    const persistToClient = frames.flatMap(({ receivedAt }) => {
      const batch = persisted.filter((at) => at <= receivedAt).pop();
      return batch === undefined ? [] : [receivedAt - batch];
    });
    const acknowledgedToClient = subscribers.flatMap(({ chat, client }) =>
      client.frames.flatMap(({ events, receivedAt }) => events.map((event) => receivedAt - acknowledgedAt.get(`${chat}:${event.number}`)!)),
    );
    console.log(
      `live updates: ${subscribers.length} connections on ${CHATS} chats held, ${CHATS * MESSAGES_PER_CHAT} messages, ` +
        `${frames.length} frames over ${persisted.length} batches; persist → client p50 ${percentile(persistToClient, 50)} ms, ` +
        `p95 ${percentile(persistToClient, 95)} ms; 201 → client p50 ${percentile(acknowledgedToClient, 50)} ms, p95 ${percentile(acknowledgedToClient, 95)} ms`,
    );
  });
});

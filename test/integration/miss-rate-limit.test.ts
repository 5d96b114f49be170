import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { localPorts, websocketPortOf } from '../../infra/local/environment';
import { config } from '../../shared/config';
import { api, type ApiResponse } from '../helpers/api';
import { givenApp, givenChat, givenMessage } from '../helpers/fixtures';
import { refusalStatus } from '../helpers/live-client';
import { startSecondApi, type SecondApi } from '../helpers/second-api';

/*
 * Issue 9, CLARIFICATIONS "Redis loss and collisions": a request naming a chat or message Redis does
 * not know is confirmed against MySQL before its 404, behind the rate limit. Two buckets: the
 * application's (the one its creates take from) and a global one for all tokens (every unknown token
 * starts with a full bucket of its own). A bucket is one Redis key whoever refills it, so each low
 * limit runs on an API instance of its own; the main test API keeps the generous defaults.
 */

const searchOf = (token: string, chat: number) => `/api/v1/apps/${token}/chats/${chat}/messages/search?q=hello`;
const randomToken = () => randomBytes(24).toString('base64url');

/** The statuses of `count` requests made one after the other. */
async function statusesOf(count: number, request: (i: number) => Promise<{ status: number }>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await request(i)).status);
  return statuses;
}

function expectRateLimited(response: ApiResponse) {
  expect(response.status).toBe(429);
  expect(response.body.error.code).toBe('rate_limited');
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe("misses take a token of the application's bucket before MySQL is asked", () => {
  // A burst of 5 refilled at one token per 100 s: nothing comes back while the test runs.
  const port = localPorts().testHttp + 100;
  let lowRateApi: SecondApi;
  beforeAll(async () => {
    lowRateApi = await startSecondApi(port, { RATE_LIMIT_BURST: '5', RATE_LIMIT_PER_SECOND: '0.01' });
  });
  afterAll(async () => lowRateApi?.stop());

  it('searches of a chat that does not exist: 404 for the burst, then 429; a search of an existing chat still answers 200', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    const statuses = await statusesOf(7, () => api('GET', searchOf(token, chat + 1000), { baseUrl: lowRateApi.url }));

    expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429]);
    expectRateLimited(await api('GET', searchOf(token, chat + 1000), { baseUrl: lowRateApi.url }));
    // A chat Redis knows takes no token: its bucket is empty, and it is searched as before.
    expect((await api('GET', searchOf(token, chat), { baseUrl: lowRateApi.url })).status).toBe(200);
    // The misses spent the bucket the token's creates take from.
    expectRateLimited(await api('POST', `/api/v1/apps/${token}/chats`, { baseUrl: lowRateApi.url }));
  });

  it('edits in a chat that does not exist: 404 for the burst, then 429; an edit of an existing message is accepted', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const message = await givenMessage(token, chat, 'hello');
    const edit = (chatNumber: number, number: number) =>
      api('PUT', `/api/v1/apps/${token}/chats/${chatNumber}/messages/${number}`, { body: { content: 'edited' }, baseUrl: lowRateApi.url });

    const statuses = await statusesOf(7, () => edit(chat + 1000, 1));

    expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429]);
    expectRateLimited(await edit(chat, message + 1000));
    expect((await edit(chat, message)).status).toBe(202);
  });

  it('WebSocket connects to a chat that does not exist: refused with 404 for the burst, then 429', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    const statuses = await statusesOf(7, async () => ({ status: await refusalStatus({ token, chat: chat + 1000 }, websocketPortOf(port)) }));

    expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429]);
  });
});

describe('misses of all tokens share a global bucket of MySQL confirmations', () => {
  const port = localPorts().testHttp + 103;
  const bucket = '{miss-confirmations}';
  let redis: Redis;
  let lowGlobalApi: SecondApi;
  beforeAll(async () => {
    redis = new Redis(config().redis.url);
    // Given a full global bucket: an earlier run may have left it empty (it refills at this
    // instance's rate, one token per 100 s).
    await redis.del(bucket);
    lowGlobalApi = await startSecondApi(port, { MISS_CONFIRMATION_BURST: '3', MISS_CONFIRMATION_PER_SECOND: '0.01' });
  });
  afterAll(async () => {
    await lowGlobalApi?.stop();
    // The other files' instances start from a full bucket too.
    await redis?.del(bucket);
    redis?.disconnect();
  });

  it('random tokens (each with a full bucket of its own) get 404 for the global burst, then 429; requests Redis knows are not affected', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    const statuses = await statusesOf(5, () => api('GET', searchOf(randomToken(), 1), { baseUrl: lowGlobalApi.url }));

    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    expectRateLimited(await api('POST', `/api/v1/apps/${randomToken()}/chats`, { baseUrl: lowGlobalApi.url }));
    expect((await api('GET', searchOf(token, chat), { baseUrl: lowGlobalApi.url })).status).toBe(200);
    expect((await api('POST', `/api/v1/apps/${token}/chats/${chat}/messages`, { body: { content: 'hello' }, baseUrl: lowGlobalApi.url })).status).toBe(201);
  });
});

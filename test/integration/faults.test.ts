import { localPorts } from '../../infra/local/environment';
import { api } from '../helpers/api';
import { persistedChatNumbers } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat } from '../helpers/fixtures';
import { startSecondApi, type SecondApi } from '../helpers/second-api';

/** A port nothing listens on: an API instance pointed at it sees that dependency down. */
const CLOSED_PORT = '9';

describe('a dependency down on the create paths', () => {
  let withoutSqs: SecondApi;
  let withoutRedis: SecondApi;

  beforeAll(async () => {
    [withoutSqs, withoutRedis] = await Promise.all([
      startSecondApi(localPorts().testHttp + 70, { SQS_PORT: CLOSED_PORT }),
      startSecondApi(localPorts().testHttp + 80, { REDIS_PORT: CLOSED_PORT }),
    ]);
  });
  afterAll(async () => Promise.all([withoutSqs?.stop(), withoutRedis?.stop()]));

  it('SQS down → 503 with Retry-After; the number is burnt, never handed out twice, and the next one persists', async () => {
    const token = await givenApp();

    const failed = await api('POST', `/api/v1/apps/${token}/chats`, { baseUrl: withoutSqs.url });
    const next = await api('POST', `/api/v1/apps/${token}/chats`);

    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('5');
    expect(failed.body.error.code).toBe('service_unavailable');
    expect(next.body).toEqual({ number: 2 });
    await eventually(async () => expect(await persistedChatNumbers(token)).toEqual([2]));
  });

  it('Redis down → 503 on chat and message creates, and nothing is enqueued', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    const chatResponse = await api('POST', `/api/v1/apps/${token}/chats`, { baseUrl: withoutRedis.url });
    const messageResponse = await api('POST', `/api/v1/apps/${token}/chats/${chat}/messages`, { baseUrl: withoutRedis.url, body: { content: 'x' } });

    expect(chatResponse.status).toBe(503);
    expect(messageResponse.status).toBe(503);
    expect(messageResponse.body.error.message).toMatch(/redis/);
    expect((await api('POST', `/api/v1/apps/${token}/chats`)).body).toEqual({ number: 2 });
  });
});

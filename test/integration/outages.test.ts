import { localPorts } from '../../infra/local/environment';
import { api, type ApiResponse } from '../helpers/api';
import { persistedMessageNumbers } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat } from '../helpers/fixtures';
import { outageProxy, type OutageProxy } from '../helpers/outage-proxy';
import { startSecondApi, type SecondApi } from '../helpers/second-api';

/*
 * DESIGN invariant 8: a dependency that goes down and comes back is used again by the same process
 * without a restart; meanwhile clients get 503 + Retry-After, never a 500 or a hang. An API instance
 * reaches MySQL, Redis, SQS and OpenSearch through proxies this test cuts and restores (the shared
 * servers keep running for everyone else); what it acknowledged is persisted by the test stage's
 * consumers. Bounded: each request must answer within the fetch bound below.
 */
const ANSWER_BOUND_MS = 15_000;

const ports = localPorts();
const services = { mysql: ports.mysql, redis: ports.redis, sqs: ports.sqs, opensearch: ports.opensearch } as const;
type Dependency = keyof typeof services;
const ENV_PORT: Record<Dependency, string> = { mysql: 'MYSQL_PORT', redis: 'REDIS_PORT', sqs: 'SQS_PORT', opensearch: 'OPENSEARCH_PORT' };

let proxies: Record<Dependency, OutageProxy>;
let second: SecondApi;

beforeAll(async () => {
  const entries = await Promise.all(
    (Object.keys(services) as Dependency[]).map(async (name, i) => [name, await outageProxy(ports.testHttp + 20 + i, services[name])] as const),
  );
  proxies = Object.fromEntries(entries) as Record<Dependency, OutageProxy>;
  second = await startSecondApi(
    ports.testHttp + 14,
    Object.fromEntries(entries.map(([name, proxy]) => [ENV_PORT[name], String(proxy.port)])),
  );
});
afterAll(async () => {
  await second?.stop();
  await Promise.all(Object.values(proxies ?? {}).map((proxy) => proxy.close()));
});

const call = (method: string, path: string, body?: unknown) =>
  api(method, path, { baseUrl: second.url, body, headers: {} }).catch((error: Error) => {
    throw new Error(`${method} ${path} did not answer: ${error.message}`);
  });

function expectUnavailable(response: ApiResponse) {
  expect(response.status).toBe(503);
  expect(response.body.error.code).toBe('service_unavailable');
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe.each([
  ['redis', 'a chat create', (token: string) => call('POST', `/api/v1/apps/${token}/chats`)],
  ['sqs', 'a message create', (token: string, chat: number) => call('POST', `/api/v1/apps/${token}/chats/${chat}/messages`, { content: 'during the outage' })],
  ['mysql', 'an application read', (token: string) => call('GET', `/api/v1/apps/${token}`)],
  ['opensearch', 'a search', (token: string, chat: number) => call('GET', `/api/v1/apps/${token}/chats/${chat}/messages/search?q=outage`)],
] as const)('%s goes down and comes back', (dependency, what, request) => {
  it(`${what}: 503 + Retry-After while it is down, served again by the same process once it is back; acked messages persist`, async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const acked: number[] = [];
    const create = async (content: string) => {
      const response = await call('POST', `/api/v1/apps/${token}/chats/${chat}/messages`, { content });
      if (response.status === 201) acked.push(response.body.number);
      return response;
    };
    expect((await create('before the outage')).status).toBe(201);

    await proxies[dependency].down();
    try {
      const during = await Promise.race([
        request(token, chat),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ANSWER_BOUND_MS} ms: a hang`)), ANSWER_BOUND_MS)),
      ]);
      expectUnavailable(during);
      // Traffic meanwhile: whatever is acknowledged must persist.
      for (let i = 0; i < 3; i++) expect([201, 503]).toContain((await create(`during ${i}`)).status);
    } finally {
      await proxies[dependency].up();
    }

    await eventually(async () => expect([200, 201]).toContain((await request(token, chat)).status), { timeoutMs: 30_000 });
    expect((await create('after the outage')).status).toBe(201);
    await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual(expect.arrayContaining(acked)), { timeoutMs: 60_000 });
  });
});

// The create path and its raw floor: the numbering Lua script and SendMessage issued straight from
// Node with fresh clients, then the create-message handler invoked in this process (no HTTP), then
// POST …/messages through serverless-offline. Same record size, same concurrency, same process.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { load, type LoadResult } from './load';

export interface BenchApp {
  token: string;
  chatNumber: number;
}

const content = (i: number) => `bench message ${i} unbelievable`;

/** One message record as the API enqueues it, for the raw SendMessage floor. */
const recordBody = (app: BenchApp, i: number) =>
  JSON.stringify({ type: 'message.created', token: app.token, chatNumber: app.chatNumber, number: i + 1, content: content(i), createdAt: new Date().toISOString() });

/** Raw clients with the SDK's and ioredis' defaults, as a developer would write them. */
export async function rawClients() {
  const { config } = await import('../../shared/config');
  const { numberingScripts, appKey } = await import('../../shared/adapters/counters');
  const redis = new Redis(config().redis.url);
  const sqs = new SQSClient({ region: config().sqs.region, endpoint: config().sqs.endpoint });
  // A queue of the bench's own: raw sends must not reach the consumers of the stage.
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `chat-system-bench-raw-${process.pid}` }));
  const sha = (await redis.script('LOAD', numberingScripts.CREATE)) as string;
  // The create script as the API calls it without an Idempotency-Key (rate limit set out of reach):
  // KEYS app hash, rate bucket, key; ARGV chat, capacity, refill/s, has key, fingerprint, record id,
  // record time, lease ms, key ttl s. Replies {'ok', number}.
  const lua = async (app: BenchApp) => {
    const key = appKey(app.token);
    const args = [app.chatNumber, 1e9, 1e9, '0', '', randomUUID(), new Date().toISOString(), 10_000, 86_400];
    const [kind, number] = (await redis.evalsha(sha, 3, key, `${key}:rate`, `${key}:idem:`, ...args)) as [string, number];
    return kind === 'ok' ? number : 0;
  };
  return {
    lua,
    send: (app: BenchApp, i: number) => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: recordBody(app, i) })),
    async close() {
      await sqs.send(new DeleteQueueCommand({ QueueUrl }));
      sqs.destroy();
      redis.disconnect();
    },
  };
}

export type RawClients = Awaited<ReturnType<typeof rawClients>>;

export const rawPhases = (raw: RawClients, app: BenchApp, count: number, concurrency: number) => ({
  lua: () => load(count, concurrency, async () => (await raw.lua(app)) > 0),
  send: () => load(count, concurrency, async (i) => void (await raw.send(app, i))),
  luaThenSend: () =>
    load(count, concurrency, async (i) => {
      if ((await raw.lua(app)) <= 0) return false;
      await raw.send(app, i);
    }),
});

/** An API Gateway HTTP API (v2) event for POST …/messages, as serverless-offline builds it. */
function createMessageEvent(app: BenchApp, i: number, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  const path = `/api/v1/apps/${app.token}/chats/${app.chatNumber}/messages`;
  return {
    version: '2.0',
    routeKey: 'POST /api/v1/apps/{token}/chats/{chatNumber}/messages',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    pathParameters: { token: app.token, chatNumber: String(app.chatNumber) },
    body: JSON.stringify({ content: content(i) }),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: 'POST /api/v1/apps/{token}/chats/{chatNumber}/messages',
      stage: '$default',
      time: '',
      timeEpoch: Date.now(),
    },
  };
}

/** The create-message handler called in this process, as Lambda would call it (no HTTP). */
export async function inProcessCreate(app: BenchApp, count: number, concurrency: number): Promise<LoadResult> {
  const { create } = await import('../../functions/http/messages');
  return load(count, concurrency, async (i) => {
    const context = { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
    const response = await create(createMessageEvent(app, i) as never, context);
    return response.statusCode === 201;
  });
}

/** POST …/messages through the API over HTTP (fetch keeps connections alive). */
export function apiCreate(base: string, app: BenchApp, count: number, concurrency: number, headers: (i: number) => Record<string, string> = () => ({})) {
  return load(count, concurrency, async (i) => {
    const response = await fetch(`${base}/apps/${app.token}/chats/${app.chatNumber}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers(i) },
      body: JSON.stringify({ content: content(i) }),
    });
    await response.arrayBuffer();
    return response.status === 201;
  });
}

/**
 * The create-message handler behind the thinnest possible HTTP layer (node:http, one route, no
 * framework): separates what HTTP itself costs from what serverless-offline's emulation costs.
 */
export async function thinHttpServer(): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const { create } = await import('../../functions/http/messages');
  const route = /^\/api\/v1\/apps\/([^/]+)\/chats\/(\d+)\/messages$/;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const match = route.exec(request.url ?? '');
      if (!match || request.method !== 'POST') {
        response.writeHead(404).end();
        return;
      }
      const event = createMessageEvent({ token: match[1]!, chatNumber: Number(match[2]) }, 0, request.headers as Record<string, string>);
      event.body = Buffer.concat(chunks).toString('utf8');
      const context = { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
      create(event as never, context).then(
        (result) => response.writeHead(result.statusCode, (result as { headers?: Record<string, string> }).headers).end(result.body),
        () => response.writeHead(500).end(),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

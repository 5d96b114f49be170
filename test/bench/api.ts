// Endpoint throughput and latency, and POST → persisted, through the test stage's API (ratios are the
// point: absolute numbers depend on the machine). Part of `npm run bench` (test/bench/run.ts).
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startApi } from '../../infra/local/api';
import { localPorts } from '../../infra/local/environment';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '400' }, concurrency: { type: 'string', default: '16' } } });
const REQUESTS = Math.min(Number(values.requests), 5000);
const CONCURRENCY = Math.min(Number(values.concurrency), 64);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (n: number) => Math.round(n * 10) / 10;

async function call(base: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Runs `count` requests, `concurrency` at a time; reports throughput and latency percentiles. */
async function load(name: string, count: number, request: (i: number) => Promise<{ status: number }>) {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        const { status } = await request(i);
        latencies.push(performance.now() - t0);
        if (status >= 300) errors++;
      }
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  latencies.sort((a, b) => a - b);
  const row = { endpoint: name, requests: count, errors, 'req/s': round(count / seconds), p50_ms: round(percentile(latencies, 50)), p95_ms: round(percentile(latencies, 95)), p99_ms: round(percentile(latencies, 99)) };
  return row;
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function benchApi(): Promise<void> {
  const ports = localPorts();
  const api = await startApi({ stage: 'test', httpPort: ports.testHttp, lambdaPort: ports.testLambda, delivery: true, output: 'log' });
  try {
    const base = `${api.url}/api/v1`;
    const { body: app } = await call(base, 'POST', '/apps', { name: 'bench' });
    const token: string = app.token;
    await call(base, 'POST', `/apps/${token}/chats`);
    // Warm every function once so cold starts do not count.
    await call(base, 'POST', `/apps/${token}/chats/1/messages`, { content: 'warm-up' });
    await until(async () => (await call(base, 'GET', `/apps/${token}/chats/1/messages/1`)).status === 200);

    const rows = [];
    rows.push(await load('POST /apps/{token}/chats', REQUESTS, () => call(base, 'POST', `/apps/${token}/chats`)));
    rows.push(await load('POST …/chats/1/messages', REQUESTS, (i) => call(base, 'POST', `/apps/${token}/chats/1/messages`, { content: `bench message ${i} unbelievable` })));
    const total = REQUESTS + 1;
    const drainStart = performance.now();
    await until(async () => (await call(base, 'GET', `/apps/${token}/chats/1/messages/${total}`)).status === 200, 120_000);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    rows.push(await load('GET …/messages/{n}', REQUESTS, (i) => call(base, 'GET', `/apps/${token}/chats/1/messages/${(i % total) + 1}`)));
    rows.push(await load('GET …/messages?page&limit', REQUESTS, (i) => call(base, 'GET', `/apps/${token}/chats/1/messages?page=${(i % 10) + 1}&limit=20`)));
    rows.push(await load('GET /apps/{token}', REQUESTS, () => call(base, 'GET', `/apps/${token}`)));
    console.table(rows);

    // End to end: from POST to readable through the API (queue → consumer → MySQL), one at a time.
    const endToEnd: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const { body } = await call(base, 'POST', `/apps/${token}/chats/1/messages`, { content: `end to end ${i}` });
      await until(async () => (await call(base, 'GET', `/apps/${token}/chats/1/messages/${body.number}`)).status === 200);
      endToEnd.push(performance.now() - t0);
    }
    endToEnd.sort((a, b) => a - b);
    console.log(`POST → persisted (20 messages, one at a time): p50 ${round(percentile(endToEnd, 50))} ms, p95 ${round(percentile(endToEnd, 95))} ms`);
    console.log(`consumer drain: the ${REQUESTS} queued messages were all persisted ${round(drainSeconds)} s after the last POST answered`);
  } finally {
    await api.stop();
  }
}

// The cost of the Idempotency-Key path (issue 9): POST …/messages with a fresh key per request versus
// without a key, through the test stage's API, 16 in flight, phases alternated and repeated after a
// warm-up. A key adds a second Redis call (marking the key done after SendMessage) and the key's hash.
// Run under the integration-test lock: `flock /tmp/chat-it.lock npx tsx test/bench/idempotency.ts`.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startApi } from '../../infra/local/api';
import { localPorts } from '../../infra/local/environment';

const REQUESTS = Number(process.env.IDEMPOTENCY_BENCH_REQUESTS ?? 400);
const IN_FLIGHT = 16;

async function post(url: string, body: unknown, key?: string): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(key ? { 'Idempotency-Key': key } : {}) };
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  await response.arrayBuffer();
  return response.status;
}

async function phase(url: string, keyed: boolean): Promise<{ rate: number; p50: number; errors: number }> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < REQUESTS) {
        const t0 = performance.now();
        if ((await post(url, { content: `idempotency bench ${next}` }, keyed ? randomUUID() : undefined)) !== 201) errors++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { rate: REQUESTS / ((performance.now() - startedAt) / 1000), p50: latencies[Math.floor(latencies.length / 2)]!, errors };
}

async function main() {
  const ports = localPorts();
  const api = await startApi({ stage: 'test', httpPort: ports.testHttp, lambdaPort: ports.testLambda, delivery: true, output: 'log' });
  try {
    const base = `${api.url}/api/v1`;
    const app = (await (await fetch(`${base}/apps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"idempotency bench"}' })).json()) as { token: string };
    await post(`${base}/apps/${app.token}/chats`, {});
    const url = `${base}/apps/${app.token}/chats/1/messages`;
    await phase(url, false);
    await phase(url, true);
    const results: Record<'plain' | 'keyed', { rate: number; p50: number; errors: number }[]> = { plain: [], keyed: [] };
    for (let round = 0; round < 3; round++) {
      for (const keyed of round % 2 ? [true, false] : [false, true]) results[keyed ? 'keyed' : 'plain'].push(await phase(url, keyed));
    }
    const line = (name: string, rows: { rate: number; p50: number; errors: number }[]) =>
      `${name}: ${rows.map((r) => `${Math.round(r.rate)}/s p50 ${r.p50.toFixed(1)} ms${r.errors ? ` (${r.errors} errors)` : ''}`).join(', ')}`;
    console.log(line('POST message without a key', results.plain));
    console.log(line('POST message with a key   ', results.keyed));
    const median = (rows: { rate: number }[]) => rows.map((r) => r.rate).sort((a, b) => a - b)[1]!;
    console.log(`keyed / plain throughput (medians): ${(median(results.keyed) / median(results.plain)).toFixed(2)}`);
  } finally {
    await api.stop();
  }
}

void main();

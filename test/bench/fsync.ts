// The cost of `appendfsync always` (issue 9): the numbering script's throughput with Redis fsyncing
// every write versus once a second, 16 calls in flight, on the local Redis (CONFIG SET, restored after).
// Alternating phases, repeated, warm client: ratios count, not absolute numbers. `tsx test/bench/fsync.ts`.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { localPorts } from '../../infra/local/environment';
import { DEFAULT_LIMITS, redisCounters } from '../../shared/adapters/counters';

const IN_FLIGHT = 16;
const CALLS = Number(process.env.FSYNC_CALLS ?? 3000);
// A database no stage uses, so the bench never touches the stages' counters.
const redis = new Redis({ host: '127.0.0.1', port: localPorts().redis, db: 15 });

async function rate(token: string): Promise<number> {
  const counters = redisCounters(redis, { ...DEFAULT_LIMITS, burst: 1e6, perSecond: 1e6, keyTtlSeconds: 60, leaseMs: 1000 });
  let next = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < CALLS) await counters.nextMessage(token, 1, { recordId: randomUUID(), createdAt: new Date().toISOString() });
    }),
  );
  return CALLS / ((performance.now() - startedAt) / 1000);
}

async function main() {
  const [, before] = (await redis.config('GET', 'appendfsync')) as [string, string];
  const token = `fsyncbench${randomUUID().replaceAll('-', '')}`;
  await redis.hset(`{app:${token}}`, 'chats', 1);
  const results: Record<string, number[]> = { always: [], everysec: [] };
  try {
    await rate(token); // warm: scripts loaded, connection up
    for (let round = 0; round < 3; round++) {
      for (const mode of round % 2 ? ['everysec', 'always'] : ['always', 'everysec']) {
        await redis.config('SET', 'appendfsync', mode);
        results[mode]!.push(await rate(token));
      }
    }
  } finally {
    await redis.config('SET', 'appendfsync', before);
    await redis.del(`{app:${token}}`, `{app:${token}}:rate`);
    redis.disconnect();
  }
  const summary = (values: number[]) => `${Math.round(Math.min(...values))}-${Math.round(Math.max(...values))} ops/s (median ${Math.round(values.sort((a, b) => a - b)[1]!)})`;
  console.log(`numbering script, ${IN_FLIGHT} in flight: appendfsync always ${summary(results.always!)}, everysec ${summary(results.everysec!)}`);
  console.log(`always / everysec: ${(results.always![1]! / results.everysec![1]!).toFixed(2)} (restored appendfsync ${before})`);
}

void main();

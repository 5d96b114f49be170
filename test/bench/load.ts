// The load generator every phase of `npm run bench` shares: a fixed number of operations, a fixed
// number in flight, from this one process on loopback. Throughput and latency percentiles.
import { performance } from 'node:perf_hooks';

export interface LoadResult {
  ops: number;
  errors: number;
  opsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

export const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Runs `count` operations, `concurrency` at a time. An operation that throws or answers false is an error. */
export async function load(count: number, concurrency: number, operation: (i: number) => Promise<boolean | void>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: unknown;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        try {
          if ((await operation(i)) === false) errors++;
        } catch (error) {
          errors++;
          firstError ??= error;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  if (errors > count / 100) throw new Error(`${errors} of ${count} operations failed${firstError ? `: ${(firstError as Error).message}` : ''}`);
  latencies.sort((a, b) => a - b);
  return {
    ops: count,
    errors,
    opsPerSecond: round(count / seconds),
    p50: round(percentile(latencies, 50), 2),
    p95: round(percentile(latencies, 95), 2),
    p99: round(percentile(latencies, 99), 2),
  };
}

/** Waits until `check` holds, polling; a bound, not a measurement. */
export async function until(check: () => Promise<boolean>, timeoutMs = 60_000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Retries an assertion until it passes or the time is up, then rethrows its last failure. For state
 * that converges asynchronously (queue → consumer → MySQL); not a timing assertion.
 */
export async function eventually<T>(assertion: () => Promise<T> | T, { timeoutMs = 30_000, intervalMs = 200 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(intervalMs);
    }
  }
}

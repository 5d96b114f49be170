/** A dependency check: resolves when the dependency answers, rejects otherwise. */
export type Probe = () => Promise<unknown>;

export interface DependencyHealth {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  dependencies: Record<string, DependencyHealth>;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function check(probe: Probe, timeoutMs: number): Promise<DependencyHealth> {
  const startedAt = performance.now();
  const latency = () => Math.round((performance.now() - startedAt) * 10) / 10;
  try {
    await withTimeout(probe(), timeoutMs);
    return { status: 'up', latency_ms: latency() };
  } catch (error) {
    return { status: 'down', latency_ms: latency(), error: error instanceof Error ? error.message : String(error) };
  }
}

/** Checks every dependency in parallel, each bounded by its own timeout. */
export async function checkHealth(probes: Record<string, Probe>, timeoutMs = 1500): Promise<HealthReport> {
  const names = Object.keys(probes);
  const results = await Promise.all(names.map((name) => check(probes[name]!, timeoutMs)));
  const dependencies = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
  const status = results.every((result) => result.status === 'up') ? 'ok' : 'unavailable';
  return { status, dependencies };
}

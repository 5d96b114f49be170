import { describeError, log } from '../http/log';

/** A dependency check: resolves when the dependency answers, rejects otherwise. */
export type Probe = () => Promise<unknown>;

/** What the public health answer says of a dependency: no error text (host names, addresses), only status and latency. */
export interface DependencyHealth {
  status: 'up' | 'down';
  latency_ms: number;
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  dependencies: Record<string, DependencyHealth>;
  /** Local stages only: which SQS-compatible server answers (elasticmq or localstack). */
  sqs_backend?: string;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function check(name: string, probe: Probe, timeoutMs: number): Promise<DependencyHealth> {
  const startedAt = performance.now();
  const latency = () => Math.round((performance.now() - startedAt) * 10) / 10;
  try {
    await withTimeout(probe(), timeoutMs);
    return { status: 'up', latency_ms: latency() };
  } catch (error) {
    // The details are for operators: the log has them, the public answer does not.
    log('warn', 'health: dependency down', { dependency: name, ...describeError(error) });
    return { status: 'down', latency_ms: latency() };
  }
}

/** Checks every dependency in parallel, each bounded by its own timeout. */
export async function checkHealth(probes: Record<string, Probe>, timeoutMs = 1500, sqsBackend?: string): Promise<HealthReport> {
  const names = Object.keys(probes);
  const results = await Promise.all(names.map((name) => check(name, probes[name]!, timeoutMs)));
  const dependencies = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
  const status = results.every((result) => result.status === 'up') ? 'ok' : 'unavailable';
  return { status, dependencies, ...(sqsBackend === undefined ? {} : { sqs_backend: sqsBackend }) };
}

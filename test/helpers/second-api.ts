import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { ROOT } from '../../infra/local/environment';
import { logPath } from '../../infra/local/paths';
import { isAlive, waitUntilReady } from '../../infra/local/process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SecondApi {
  url: string;
  stop(): Promise<void>;
  /** SIGKILL of the whole instance (serverless-offline with its consumers, and its delivery loops). */
  kill(): Promise<void>;
}

/**
 * Another API instance of the test stage (serverless-offline; no SQS delivery unless asked) on its own
 * ports, like a second server behind the load balancer. `env` overrides what its Lambdas see (e.g.
 * REDIS_PORT, or MESSAGES_QUEUE_URL with `delivery`: its consumers then read that queue).
 */
export async function startSecondApi(httpPort: number, env: Record<string, string> = {}, { delivery = false } = {}): Promise<SecondApi> {
  const logFile = logPath(`api-test-${httpPort}`);
  const out = openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'infra/local/cli.ts', 'api', '--stage', 'test', '--http-port', String(httpPort), '--lambda-port', String(httpPort + 2), ...(delivery ? [] : ['--no-delivery'])],
    { cwd: ROOT, detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env, EXIT_WITH_PARENT: String(process.pid) } },
  );
  child.unref();
  const url = `http://127.0.0.1:${httpPort}`;
  await waitUntilReady('second API', async () => (await fetch(`${url}/api/v1/health`).catch(() => undefined)) !== undefined, {
    timeoutMs: 120_000,
    logFile,
    pid: child.pid,
  });
  const ended = async (graceMs: number) => {
    for (let waited = 0; waited < graceMs && isAlive(child.pid!); waited += 100) await sleep(100);
    return !isAlive(child.pid!);
  };
  return {
    url,
    async stop() {
      process.kill(-child.pid!, 'SIGTERM');
      if (!(await ended(10_000))) process.kill(-child.pid!, 'SIGKILL');
    },
    async kill() {
      process.kill(-child.pid!, 'SIGKILL');
      await ended(10_000);
    },
  };
}

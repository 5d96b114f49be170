import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { ROOT } from '../../infra/local/environment';
import { logPath } from '../../infra/local/paths';
import { isAlive, waitUntilReady } from '../../infra/local/process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SecondApi {
  url: string;
  stop(): Promise<void>;
}

/**
 * Another API instance of the test stage (serverless-offline, no SQS delivery) on its own ports, like
 * a second server behind the load balancer. `env` overrides what its Lambdas see (e.g. REDIS_PORT).
 */
export async function startSecondApi(httpPort: number, env: Record<string, string> = {}): Promise<SecondApi> {
  const logFile = logPath(`api-test-${httpPort}`);
  const out = openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'infra/local/cli.ts', 'api', '--stage', 'test', '--http-port', String(httpPort), '--lambda-port', String(httpPort + 2), '--no-delivery'],
    { cwd: ROOT, detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env, EXIT_WITH_PARENT: String(process.pid) } },
  );
  child.unref();
  const url = `http://127.0.0.1:${httpPort}`;
  await waitUntilReady('second API', async () => (await fetch(`${url}/api/v1/health`).catch(() => undefined)) !== undefined, {
    timeoutMs: 120_000,
    logFile,
    pid: child.pid,
  });
  return {
    url,
    async stop() {
      process.kill(-child.pid!, 'SIGTERM');
      for (let i = 0; i < 100 && isAlive(child.pid!); i++) await sleep(100);
      if (isAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
    },
  };
}

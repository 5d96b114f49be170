import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { localEnvironment, localPorts, queues, ROOT } from '../../infra/local/environment';
import { logPath } from '../../infra/local/paths';
import { ensureChromium } from '../../infra/local/install';
import { emptyQueue, ensureServices, localSqsClient, prepareStage, provisionDatabases } from '../../infra/local/platform';
import { isAlive, waitUntilReady } from '../../infra/local/process';

export interface PlatformState {
  startedServices: string[];
  apiPid: number;
}

declare global {
  var __platform: PlatformState | undefined;
}

/** Empties the test stage's queues, so records left by an interrupted run do not leak into this one. */
async function purgeTestQueues(): Promise<void> {
  const env = localEnvironment('test');
  const sqs = localSqsClient('test');
  for (const key of Object.keys(queues)) {
    for (const url of [env[`${key.toUpperCase()}_QUEUE_URL`], env[`${key.toUpperCase()}_DLQ_URL`]]) {
      await emptyQueue(sqs, url!);
    }
  }
  sqs.destroy();
}

/**
 * Starts whatever service is not running yet (reusing the rest), prepares the test stage, and runs
 * the test stage's API (serverless-offline + SQS delivery) in a child process on TEST_HTTP_PORT.
 */
export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  console.log('');
  const services = await ensureServices();
  // The docs page test drives a real browser (Debian's chromium, or CHROMIUM_PATH); a no-op when present.
  ensureChromium();
  await provisionDatabases(['test']);
  await prepareStage('test');
  await purgeTestQueues();

  const ports = localPorts();
  const logFile = logPath(`api-test-${ports.testHttp}`);
  const out = openSync(logFile, 'w');
  const api = spawn(
    process.execPath,
    ['--import', 'tsx', 'infra/local/cli.ts', 'api', '--stage', 'test', '--http-port', String(ports.testHttp), '--lambda-port', String(ports.testLambda)],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', out, out],
      // Retries after a failed record in 1 s instead of the queue's visibility timeout.
      env: { ...process.env, LOCAL_SQS_RETRY_DELAY_SECONDS: '1', EXIT_WITH_PARENT: String(process.pid) },
    },
  );
  api.unref();
  const healthUrl = `http://127.0.0.1:${ports.testHttp}/api/v1/health`;
  await waitUntilReady('the test API (serverless-offline)', async () => (await fetch(healthUrl).catch(() => undefined)) !== undefined, {
    timeoutMs: 180_000,
    logFile,
    pid: api.pid,
  });
  globalThis.__platform = { startedServices: services.started, apiPid: api.pid! };
  if (!isAlive(api.pid!)) throw new Error(`the test API exited; see ${logFile}`);
}

// What every benchmark of `npm run bench` needs once: the test stage's environment, its services
// started or reused, its schema, queues and index; and afterwards the services it started stopped.
import { spawn } from 'node:child_process';
import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { localEnvironment, ROOT, websocketPortOf } from '../../infra/local/environment';
import { logPath } from '../../infra/local/paths';
import { isPortOpen } from '../../infra/local/process';
import { until } from './load';
import { ensureServices, prepareStage, provisionDatabases, stopServices } from '../../infra/local/platform';

Object.assign(process.env, localEnvironment('test'), { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

/**
 * The handlers the bench calls in its own process log a line per request, as in Lambda; those lines
 * go (synchronously, like a Lambda's stdout) to .local/logs/bench-in-process.log instead of burying
 * the bench's table. Errors stay on stderr.
 */
function applicationLogToFile(): void {
  const fd = openSync(logPath('bench-in-process'), 'a');
  const write = (...args: unknown[]) => writeSync(fd, `${format(...args)}\n`);
  console.log = write;
  console.warn = write;
  console.info = write;
}

export async function onTestStage(benchmarks: () => Promise<void>): Promise<void> {
  const services = await ensureServices();
  try {
    await provisionDatabases(['test']);
    await prepareStage('test');
    applicationLogToFile();
    await benchmarks();
  } finally {
    if (services.started.length) await stopServices();
  }
}

/** A new application with one chat on the test stage: what the profiling scripts create messages in. */
export async function profileTarget(): Promise<{ token: string; chatNumber: number }> {
  const { services } = await import('../../shared/services');
  const app = await services.applications().create('profile');
  await services.chats().createChat(app.token);
  return { token: app.token, chatNumber: 1 };
}

/**
 * The test stage's serverless-offline under `node --cpu-prof` (NODE_OPTIONS refuses the flag), for the
 * profiling scripts; the profile is written to `profileDir` when it stops (SIGINT). Its output goes to
 * `logFile` when given (the invocation lines: `Duration: … ms`).
 */
export async function profiledOffline(profileDir: string, httpPort: number, lambdaPort: number, logFile?: string) {
  const output = logFile ? openSync(logFile, 'w') : 'ignore';
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start', '--stage', 'test'], {
    cwd: ROOT,
    stdio: ['ignore', output, logFile ? output : 'inherit'],
    env: { ...process.env, HTTP_PORT: String(httpPort), LAMBDA_PORT: String(lambdaPort), WEBSOCKET_PORT: String(websocketPortOf(httpPort)), SLS_TELEMETRY_DISABLED: '1' },
  });
  await until(async () => (await isPortOpen(httpPort)) && (await isPortOpen(lambdaPort)), 120_000, 200);
  return {
    url: `http://127.0.0.1:${httpPort}`,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

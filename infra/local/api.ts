import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { localEnvironment, queues, ROOT, SERVICE, websocketPortOf } from './environment';
import { logPath } from './paths';
import { localSqsClient } from './platform';
import { isPortOpen, LauncherError, waitUntilReady } from './process';
import { QueueDelivery } from './sqs-delivery';

export interface ApiOptions {
  stage: string;
  httpPort: number;
  lambdaPort: number;
  /** Run the SQS → consumer delivery loops too (a second API instance for load tests does not). */
  delivery: boolean;
  /** Delivery starts once this has resolved too (the stage's queues exist). */
  deliveryAfter?: Promise<unknown>;
  /** Where serverless-offline's output goes: the terminal, or a log file under .local/logs. */
  output: 'inherit' | 'log';
  retryDelaySeconds?: number;
  log?: (line: string) => void;
}

export interface RunningApi {
  url: string;
  /** The WebSocket API (live updates). */
  websocketUrl: string;
  logFile?: string;
  stop(): Promise<void>;
}

/**
 * Runs the functions under serverless-offline (HTTP on httpPort, Lambda invoke API on lambdaPort,
 * the schedule events) and, with `delivery`, one SQS delivery loop per queue of infra/queues.json.
 */
export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const { stage, httpPort, lambdaPort } = options;
  // Live updates: the WebSocket server moves with the HTTP port (serverless.yml reads WEBSOCKET_PORT).
  const websocketPort = websocketPortOf(httpPort);
  for (const port of [httpPort, lambdaPort, websocketPort]) {
    if (await isPortOpen(port)) throw new LauncherError(`port ${port} is already in use; stop what holds it or move HTTP_PORT / LAMBDA_PORT`);
  }
  const logFile = options.output === 'log' ? logPath(`api-${stage}-${httpPort}`) : undefined;
  const stdio = logFile ? (['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')] as const) : (['ignore', 'inherit', 'inherit'] as const);
  // The real node process (`npx sls` would leave it running when killed), in our process group so a
  // Ctrl-C or a signal to the group reaches it too.
  const offline: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start', '--stage', stage],
    {
      cwd: ROOT,
      stdio: [...stdio],
      env: {
        ...process.env,
        HTTP_PORT: String(httpPort),
        LAMBDA_PORT: String(lambdaPort),
        WEBSOCKET_PORT: String(websocketPort),
        SLS_TELEMETRY_DISABLED: '1',
      },
    },
  );
  let exited = false;
  // However this launcher ends (even by an uncaught error), its serverless-offline ends with it.
  const killOnExit = () => {
    if (!exited) offline.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  offline.once('exit', () => {
    exited = true;
    process.removeListener('exit', killOnExit);
  });
  const url = `http://127.0.0.1:${httpPort}`;
  const stopOffline = async () => {
    if (exited) return;
    offline.kill('SIGTERM');
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (!exited) offline.kill('SIGKILL');
  };
  try {
    await waitUntilReady(
      'serverless-offline',
      async () => !exited && (await isPortOpen(httpPort)) && (await isPortOpen(lambdaPort)) && (await isPortOpen(websocketPort)),
      { timeoutMs: 120_000, logFile: logFile ?? 'the output above', pid: offline.pid },
    );
  } catch (error) {
    await stopOffline();
    throw error;
  }

  const deliveries: QueueDelivery[] = [];
  if (options.delivery) {
    try {
      await options.deliveryAfter;
    } catch (error) {
      await stopOffline();
      throw error;
    }
    const env = localEnvironment(stage);
    const sqs = localSqsClient(stage);
    for (const [key, queue] of Object.entries(queues)) {
      const delivery = new QueueDelivery(
        {
          queueUrl: env[`${key.toUpperCase()}_QUEUE_URL`]!,
          functionName: `${SERVICE}-${stage}-${queue.consumer}`,
          batchSize: queue.batchSize,
          windowSeconds: queue.maximumBatchingWindow,
        },
        {
          sqs,
          lambdaEndpoint: `http://127.0.0.1:${lambdaPort}`,
          region: env.AWS_REGION!,
          retryDelaySeconds: options.retryDelaySeconds,
          log: options.log,
        },
      );
      delivery.start();
      deliveries.push(delivery);
    }
  }

  return {
    url,
    websocketUrl: `ws://127.0.0.1:${websocketPort}`,
    logFile,
    async stop() {
      await Promise.all(deliveries.map((delivery) => delivery.stop()));
      await stopOffline();
    },
  };
}

import { parseArgs } from 'node:util';
import { startApi } from './api';
import { localPorts, SERVICE } from './environment';
import { LOCAL_DIR } from './paths';
import { ensureSearchIndex, ensureServices, LOCAL_STAGES, migrate, prepareStage, provisionDatabases, reindexSearch, stopServices, type ServicesState } from './platform';
import { LauncherError, detail, isAlive, step } from './process';

// The launcher itself talks to local SQS on Node 20; the SDK's upgrade notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: tsx infra/local/cli.ts <command>
  start                 services + migrations + queues, then the API on :HTTP_PORT (Ctrl-C stops the API)
  services              install and start the services, prepare every local stage, then exit
  stop                  stop the services this launcher started (reused ones are left alone)
  migrate [--stage S]   apply infra/migrations to the stage's database and create its search index (default: local)
  reindex [--stage S]   rebuild the stage's messages search index from its database, then swap the alias
  api [--stage S] [--http-port N] [--lambda-port N] [--no-delivery]
                        serverless-offline + SQS delivery, against running services
  invoke <function> [--stage S] [--data JSON]
                        invoke a function through serverless-offline's Lambda endpoint
  counts [--full] [--stage S]
                        run recomputeCounts now (the API must be running); --full recounts every parent`;

/** Resolves on Ctrl-C or SIGTERM, or when the process named by EXIT_WITH_PARENT is gone (a test run). */
async function waitForSignal(): Promise<void> {
  const parent = Number(process.env.EXIT_WITH_PARENT);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    process.once('SIGHUP', resolve);
    if (parent > 0) {
      setInterval(() => {
        if (!isAlive(parent)) resolve();
      }, 1000).unref();
    }
  });
}

/** Invokes a function through serverless-offline's Lambda endpoint and prints what it returned. */
async function invoke(lambdaPort: number, functionName: string, payload: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${functionName}/invocations`, {
    method: 'POST',
    body: payload,
  }).catch(() => {
    throw new LauncherError(`nothing answers on the Lambda port ${lambdaPort}: is \`npm start\` running?`);
  });
  const text = await response.text();
  console.log(text);
  if (!response.ok || response.headers.get('x-amz-function-error')) process.exitCode = 1;
}

async function prepareStages(state: ServicesState): Promise<void> {
  await provisionDatabases();
  for (const stage of LOCAL_STAGES) await prepareStage(stage);
  if (state.started.length) detail(`started: ${state.started.join(', ')} (data and logs in ${LOCAL_DIR}; npm run stop stops them)`);
}

async function startServicesAndStages(): Promise<void> {
  const state = await ensureServices();
  step('preparing databases and queues');
  await prepareStages(state);
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stage: { type: 'string', default: 'local' },
      'http-port': { type: 'string' },
      'lambda-port': { type: 'string' },
      'no-delivery': { type: 'boolean', default: false },
      data: { type: 'string' },
      full: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  const ports = localPorts();
  const httpPort = Number(values['http-port'] ?? ports.http);
  const lambdaPort = Number(values['lambda-port'] ?? ports.lambda);
  const startedAt = Date.now();

  switch (command) {
    case 'start': {
      const state = await ensureServices();
      // serverless-offline needs no service to start (functions connect on first use): it starts while
      // the databases, index and queues are prepared, and SQS delivery begins once both are done.
      step(`preparing databases and queues; starting the API (serverless-offline, stage local) on 127.0.0.1:${httpPort}`);
      const stagesPrepared = prepareStages(state);
      const [api] = await Promise.all([
        startApi({ stage: 'local', httpPort, lambdaPort, delivery: true, deliveryAfter: stagesPrepared, output: 'inherit', log: (line) => detail(`[sqs] ${line}`) }),
        stagesPrepared,
      ]);
      step(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${api.url}/api/v1/health — Ctrl-C stops the API`);
      detail(`API docs: ${api.url}/api/v1/docs — live updates: ${api.websocketUrl}/?token=TOKEN&chat=N`);
      await waitForSignal();
      step('stopping the API (services keep running; npm run stop stops them)');
      await api.stop();
      return;
    }
    case 'services':
      await startServicesAndStages();
      step(`services ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      return;
    case 'stop': {
      const stopped = await stopServices();
      step(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing to stop: no service started by this launcher is running');
      return;
    }
    case 'migrate': {
      await provisionDatabases([values.stage!]);
      const applied = await migrate(values.stage!);
      step(applied.length ? `applied ${applied.join(', ')}` : 'schema up to date');
      await ensureSearchIndex(values.stage!);
      return;
    }
    case 'reindex': {
      const report = await reindexSearch(values.stage!);
      step(`${report.from} → ${report.to}: ${report.messages} messages in ${report.chunks} chunks, ${report.seconds} s`);
      return;
    }
    case 'api': {
      const retry = process.env.LOCAL_SQS_RETRY_DELAY_SECONDS;
      const api = await startApi({
        stage: values.stage!,
        httpPort,
        lambdaPort,
        delivery: !values['no-delivery'],
        output: 'inherit',
        retryDelaySeconds: retry === undefined ? undefined : Number(retry),
        log: (line) => console.log(`[sqs] ${line}`),
      });
      console.log(`API ready: ${api.url} (WebSocket ${api.websocketUrl})`);
      await waitForSignal();
      await api.stop();
      return;
    }
    case 'invoke': {
      const [fn] = rest;
      if (!fn) throw new LauncherError('invoke needs a function name, e.g. recomputeCounts');
      await invoke(lambdaPort, `${SERVICE}-${values.stage}-${fn}`, values.data ?? '{}');
      return;
    }
    case 'counts':
      await invoke(lambdaPort, `${SERVICE}-${values.stage}-recomputeCounts`, JSON.stringify({ full: values.full }));
      return;
    default:
      console.log(USAGE);
      if (!values.help) process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof LauncherError) console.error(`✖ ${error.message}`);
  else console.error(error);
  process.exit(1);
});

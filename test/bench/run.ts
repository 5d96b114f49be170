// npm run bench [-- --quick] [-- --only create,read,fsync,ingest,e2e,counts]
//
// The figures of DESIGN §5 and issue 10 in one run on the test stage, each beside its raw floor from
// the same run (the same work issued straight from Node), as a ratio. Loads are bounded and on
// loopback; every client is warmed before each measured phase; the create and read phases are
// repeated in alternating order and report their spread. Prints a table; the full run writes
// docs/bench/results.json and docs/bench/ratios.svg (a --quick or --only run writes under .local/bench/).
// Run it under the integration-test lock: it purges the test stage's queues when it is done.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { onTestStage } from './stage';
import { startApi } from '../../infra/local/api';
import { localEnvironment, localPorts, queues, ROOT, SERVICE } from '../../infra/local/environment';
import { localSqsClient } from '../../infra/local/platform';
import { QueueDelivery } from '../../infra/local/sqs-delivery';
import { apiCreate, inProcessCreate, rawClients, rawPhases, thinHttpServer } from './create';
import { benchData } from './data';
import { consumerHandlerInProcess, consumerIngest, rawIngest } from './ingest';
import type { LoadResult } from './load';
import { countsJob, getApp, luaByFsync, postToSearchable, rawSelectApp } from './phases';
import { figure, machine, printTable, ratioChart, writeResults, type Figure } from './report';
import { costPerMillionMessages, DEFAULT_SIZES, fixedMonthlyCost, PRICE_LIST_DATE, PRICES } from './cost';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const QUICK = values.quick!;
const GROUPS = ['create', 'read', 'fsync', 'ingest', 'e2e', 'counts'];
const only = values.only ? new Set(values.only.split(',')) : undefined;
const wanted = (group: string) => !only || only.has(group);
/** The bench's own output; console.log is the application's log (see stage.ts). */
const say = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

const SETTINGS = QUICK
  ? { requests: 600, concurrency: 16, rounds: 2, warmUp: 100, ingest: { 1: 200, 10: 1_000, 100: 4_000 } as Record<number, number>, consumerBatches: 10, e2eSamples: 5, counts: [100_000] }
  : { requests: 3_000, concurrency: 16, rounds: 2, warmUp: 200, ingest: { 1: 1_000, 10: 4_000, 100: 20_000 } as Record<number, number>, consumerBatches: 30, e2eSamples: 20, counts: [100_000, 1_000_000] };
/** The whole run stays under 10 minutes: a phase group that would start after this is skipped. */
const BUDGET_MS = 9 * 60_000;

async function serverVersions() {
  const { mysqlPool } = await import('../../shared/adapters/mysql');
  const { redisClient } = await import('../../shared/adapters/redis');
  const env = localEnvironment('test');
  const [[row]] = (await mysqlPool().query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
  const info = await redisClient().info('server');
  const opensearch = (await (await fetch(env.OPENSEARCH_URL!)).json()) as { version: { number: string } };
  const pom = readFileSync(join(ROOT, 'infra/local/jvm/elasticmq/pom.xml'), 'utf8');
  return {
    mariadb: row.v,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? '?',
    opensearch: opensearch.version.number,
    elasticmq: /elasticmq-server_[\d.]+<\/artifactId>\s*<version>([^<]+)/.exec(pom)?.[1] ?? '?',
  };
}

onTestStage(async () => {
  const startedAt = Date.now();
  const overBudget = (group: string) => {
    if (Date.now() - startedAt < BUDGET_MS) return false;
    progress(`skipping ${group}: the run is at its time budget`);
    return true;
  };
  const runMachine = await machine(await serverVersions());
  const data = await benchData();
  const figures: Figure[] = [];
  const extra: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  /** A group that fails is reported as failed; the others still run, and the clean-up always does. */
  const group = async (name: string, run: () => Promise<void>) => {
    progress(`${name}…`);
    try {
      await run();
    } catch (error) {
      errors[name] = (error as Error).stack ?? String(error);
      progress(`${name} failed: ${(error as Error).message}`);
    }
  };
  const { requests, concurrency, rounds, warmUp } = SETTINGS;
  const ports = localPorts();
  const lambdaEndpoint = `http://127.0.0.1:${ports.testLambda}`;
  // No delivery while the create and read phases run: the raw floors run without consumers too.
  const apiStartedAt = Date.now();
  const api = await startApi({ stage: 'test', httpPort: ports.testHttp, lambdaPort: ports.testLambda, delivery: false, output: 'log' });
  extra.apiStartSeconds = (Date.now() - apiStartedAt) / 1000;
  const base = `${api.url}/api/v1`;
  const raw = await rawClients();
  const extraCleanUps: (() => Promise<void>)[] = [];
  try {
    const chat = { token: data.token, chatNumber: await data.newChat() };
    const rawCreate = rawPhases(raw, chat, requests, concurrency);

    if (wanted('create') && !overBudget('create')) await group('create', async () => {
      const runId = Date.now().toString(36);
      // Diagnostic: the same handler behind a bare node:http server in this process, to tell what HTTP
      // costs from what serverless-offline's emulation costs.
      const thin = await thinHttpServer();
      extraCleanUps.push(() => thin.close());
      const phases: [string, (count: number) => Promise<LoadResult>][] = [
        ['raw: Lua numbering script', (n) => rawPhases(raw, chat, n, concurrency).lua()],
        ['raw: SendMessage', (n) => rawPhases(raw, chat, n, concurrency).send()],
        ['raw: Lua + SendMessage', (n) => rawPhases(raw, chat, n, concurrency).luaThenSend()],
        ['create handler, in process', (n) => inProcessCreate(chat, n, concurrency)],
        ['create handler behind bare node:http', (n) => apiCreate(`${thin.url}/api/v1`, chat, n, concurrency)],
        ['POST …/messages (API)', (n) => apiCreate(base, chat, n, concurrency)],
        ['POST …/messages + Idempotency-Key', (n) => apiCreate(base, chat, n, concurrency, (i) => ({ 'Idempotency-Key': `bench-${runId}-${n}-${i}-${Math.random()}` }))],
      ];
      const results = new Map<string, LoadResult[]>(phases.map(([name]) => [name, []]));
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? phases : [...phases].reverse();
        for (const [name, run] of order) {
          await run(warmUp);
          results.get(name)!.push(await run(requests));
        }
      }
      const rate = (name: string) => results.get(name)!.map((r) => r.opsPerSecond);
      const latency = (name: string) => {
        const rs = results.get(name)!;
        const mid = (k: 'p50' | 'p95') => Math.round(rs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rs.length / 2)]! * 10) / 10;
        return { p50: mid('p50'), p95: mid('p95') };
      };
      const floorName = 'raw: Lua + SendMessage';
      for (const [name] of phases) {
        const isRaw = name.startsWith('raw:');
        const target = name === 'create handler, in process' ? 0.9 : name === 'POST …/messages (API)' ? 0.6 : undefined;
        figures.push(
          figure({ group: 'create', phase: name, unit: 'ops/s', ...latency(name), floorPhase: isRaw ? undefined : floorName, target }, rate(name), isRaw ? undefined : rate(floorName)),
        );
      }
      // One request at a time: the handler's duration as Lambda would bill it (cost model).
      await inProcessCreate(chat, 50, 1);
      const single = await inProcessCreate(chat, QUICK ? 100 : 300, 1);
      extra.createHandlerMsOneAtATime = Math.round((1000 / single.opsPerSecond) * 100) / 100;
    });

    if (wanted('read') && !overBudget('read')) await group('read', async () => {
      const api: number[] = [];
      const floor: number[] = [];
      let last: LoadResult | undefined;
      await getApp(base, data, warmUp, concurrency);
      for (let round = 0; round < rounds; round++) {
        const measureApi = async () => {
          last = await getApp(base, data, requests, concurrency);
          api.push(last.opsPerSecond);
        };
        const measureFloor = async () => floor.push((await rawSelectApp(data, requests, concurrency)).opsPerSecond);
        if (round % 2 === 0) await measureApi().then(measureFloor);
        else await measureFloor().then(measureApi);
      }
      figures.push(figure({ group: 'read', phase: 'GET /apps/{token} (API)', unit: 'ops/s', p50: last?.p50, p95: last?.p95, floorPhase: 'raw: the same SELECT' }, api, floor));
    });

    if (wanted('fsync') && !overBudget('fsync')) await group('fsync', async () => {
      const { always, everysec, original, aof } = await luaByFsync(() => rawCreate.lua());
      figures.push(
        figure(
          { group: 'fsync', phase: 'raw: Lua, appendfsync always', unit: 'ops/s', p50: always.p50, p95: always.p95, floorPhase: 'the same, everysec', note: `server setting ${original} restored; appendonly ${aof ? 'yes' : 'no'}` },
          [always.opsPerSecond],
          [everysec.opsPerSecond],
        ),
      );
    });

    if (wanted('ingest') && !overBudget('ingest')) await group('ingest', async () => {
      const consumer: Record<number, number> = {};
      const floor: Record<number, number> = {};
      const sizes = [1, 10, 100];
      for (const [i, batchSize] of sizes.entries()) {
        const records = SETTINGS.ingest[batchSize]!;
        const measureFloor = async () => (floor[batchSize] = await rawIngest(data, batchSize, records));
        const measureConsumer = async () => {
          const result = await consumerIngest(data, lambdaEndpoint, batchSize, records);
          consumer[batchSize] = result.rowsPerSecond;
          extra[`ingestBatch${batchSize}`] = { records, ...result };
        };
        if (i % 2 === 0) await measureFloor().then(measureConsumer);
        else await measureConsumer().then(measureFloor);
        figures.push(
          figure(
            { group: 'ingest', phase: `consumer ingest, batch ${batchSize}`, unit: 'rows/s', floorPhase: `raw upsert + _bulk, batch ${batchSize}`, target: 0.5, note: `${records} records queued first` },
            [consumer[batchSize]!],
            [floor[batchSize]!],
          ),
        );
      }
      extra.batchingSpeedUp = {
        consumer: { batch10: +(consumer[10]! / consumer[1]!).toFixed(1), batch100: +(consumer[100]! / consumer[1]!).toFixed(1) },
        raw: { batch10: +(floor[10]! / floor[1]!).toFixed(1), batch100: +(floor[100]! / floor[1]!).toFixed(1) },
      };
      const inProcess = await consumerHandlerInProcess(data, 100, SETTINGS.consumerBatches);
      extra.consumerHandlerMsPerBatch100 = inProcess.msPerBatch;
      figures.push(
        figure({ group: 'ingest', phase: 'consumer handler in process, batch 100', unit: 'rows/s', floorPhase: 'raw upsert + _bulk, batch 100' }, [inProcess.rowsPerSecond], [floor[100]!]),
      );
    });

    if (wanted('e2e') && !overBudget('e2e')) await group('e2e', async () => {
      const env = localEnvironment('test');
      const sqs = localSqsClient('test');
      const deliveries = Object.entries(queues).map(
        ([key, queue]) =>
          new QueueDelivery(
            { queueUrl: env[`${key.toUpperCase()}_QUEUE_URL`]!, functionName: `${SERVICE}-test-${queue.consumer}`, batchSize: queue.batchSize, windowSeconds: queue.maximumBatchingWindow },
            { sqs, lambdaEndpoint, region: env.AWS_REGION!, retryDelaySeconds: 1 },
          ),
      );
      deliveries.forEach((delivery) => delivery.start());
      try {
        const e2eChat = await data.newChat();
        await postToSearchable(base, data, e2eChat, 2);
        const { e2e, floor } = await postToSearchable(base, data, e2eChat, SETTINGS.e2eSamples);
        figures.push(figure({ group: 'e2e', phase: 'POST → searchable, p50', unit: 'ms', floorPhase: '_bulk → searchable, p50' }, [e2e.p50], [floor.p50]));
        figures.push(figure({ group: 'e2e', phase: 'POST → searchable, p95', unit: 'ms', floorPhase: '_bulk → searchable, p95' }, [e2e.p95], [floor.p95]));
      } finally {
        await Promise.all(deliveries.map((delivery) => delivery.stop()));
        sqs.destroy();
      }
    });

    if (wanted('counts') && !overBudget('counts')) await group('counts', async () => {
      const counts = await countsJob(SETTINGS.counts, startedAt + BUDGET_MS);
      extra.counts = counts;
      for (const run of counts) {
        const size = `10^${Math.round(Math.log10(run.messages))}`;
        figures.push(figure({ group: 'counts', phase: `counts job, incremental, ${size} messages`, unit: 'ms', floorPhase: 'one GROUP BY over them' }, [run.incrementalMs], [run.floorMs]));
        figures.push(figure({ group: 'counts', phase: `counts job, full, ${size} messages`, unit: 'ms', floorPhase: 'one GROUP BY over them' }, [run.fullMs], [run.floorMs]));
      }
    });
  } finally {
    for (const cleanUp of extraCleanUps) await cleanUp();
    await raw.close();
    await api.stop();
    await data.cleanUp();
  }

  printTable(figures);
  const ingest100 = extra.ingestBatch100 as { sqsRequestsPerRecord: number } | undefined;
  const cost =
    extra.createHandlerMsOneAtATime !== undefined && extra.consumerHandlerMsPerBatch100 !== undefined && ingest100
      ? {
          priceListDate: PRICE_LIST_DATE,
          prices: PRICES,
          sizes: DEFAULT_SIZES,
          inputs: {
            createMs: extra.createHandlerMsOneAtATime as number,
            consumerBatchMs: extra.consumerHandlerMsPerBatch100 as number,
            batchSize: 100,
            sqsRequestsPerMessage: 1 + ingest100.sqsRequestsPerRecord,
          },
          perMillionMessages: costPerMillionMessages({
            createMs: extra.createHandlerMsOneAtATime as number,
            consumerBatchMs: extra.consumerHandlerMsPerBatch100 as number,
            batchSize: 100,
            sqsRequestsPerMessage: 1 + ingest100.sqsRequestsPerRecord,
          }),
          fixedMonthly: fixedMonthlyCost(),
        }
      : undefined;
  if (cost) say(`cost model (USD): ${JSON.stringify({ perMillionMessages: cost.perMillionMessages, fixedMonthly: cost.fixedMonthly })}`);
  say(JSON.stringify(extra));
  for (const [name, error] of Object.entries(errors)) say(`FAILED ${name}: ${error}`);
  const results = {
    generatedAt: new Date().toISOString(),
    mode: QUICK ? 'quick' : 'full',
    groups: only ? [...only] : GROUPS,
    settings: SETTINGS,
    machine: { ...runMachine, loadAverageAtEnd: loadavg().map((n) => Math.round(n * 100) / 100) },
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    figures,
    errors,
    details: extra,
    cost,
  };
  const directory = QUICK || only ? join(ROOT, '.local', 'bench') : join(ROOT, 'docs', 'bench');
  writeResults(directory, results, ratioChart(figures, `npm run bench, ${results.generatedAt.slice(0, 10)}: ${runMachine.cpu}, ${runMachine.memoryGiB} GiB`));
  say(`wrote ${directory}/results.json and ratios.svg (${results.durationSeconds} s)`);
  if (Object.keys(errors).length) process.exitCode = 1;
}).then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

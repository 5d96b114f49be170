// Development aid: where consumer ingest's time goes at batch 100 (hold the integration lock):
//   PROFILE_DIR=/tmp/prof npx tsx test/bench/profile-ingest.ts   (serverless-offline under --cpu-prof)
//   npx tsx test/bench/profile-ingest.ts                         (timings only)
// Prints: the rate against the raw statements; per batch, the wall time of each delivery stage
// (receive, invoke, delete) and the handler's own duration as serverless-offline reports it; the CPU
// each process used during the ingest (serverless-offline, this process, the services); the
// consumer's statements timed one by one in process; and with PROFILE_DIR, serverless-offline's self
// time by owner during the ingest.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { onTestStage, profiledOffline } from './stage';
import { benchData, type BenchData } from './data';
import { consumerIngest, rawIngest } from './ingest';
import { monotonicMicros, selfTimeByOwner } from './cpu-profile';
import { round } from './load';
import { startApi } from '../../infra/local/api';
import { localPorts } from '../../infra/local/environment';
import { logPath } from '../../infra/local/paths';
import type { BatchTimings } from '../../infra/local/sqs-delivery';

const RECORDS = Number(process.env.BENCH_COUNT ?? 20_000);
const BATCH = 100;
const PROFILE_DIR = process.env.PROFILE_DIR;
const say = (line: string) => process.stdout.write(`${line}\n`);

const mean = (values: number[]) => round(values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length), 1);
const median = (values: number[]) => round([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0, 1);

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The whole machine's busy CPU seconds so far (every core), from /proc/stat. */
function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

/** The services' processes, found by their command line (whichever worktree started them). */
function servicePids(): Record<string, number[]> {
  const patterns: Record<string, RegExp> = { mariadb: /mariadbd|mysqld/, redis: /redis-server/, elasticmq: /elasticmq/i, opensearch: /opensearch/i };
  const found: Record<string, number[]> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    for (const [name, pattern] of Object.entries(patterns)) {
      if (pattern.test(cmdline) && !cmdline.includes('profile-ingest')) (found[name] ??= []).push(Number(entry));
    }
  }
  return found;
}

/** Wraps every method of `target` so each call's wall time is added under `name.method`. */
function timed<T extends object>(name: string, target: T, sink: Map<string, number[]>): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const startedAt = performance.now();
        try {
          return await value.apply(object, args);
        } finally {
          const label = `${name}.${String(key)}`;
          (sink.get(label) ?? sink.set(label, []).get(label)!).push(performance.now() - startedAt);
        }
      };
    },
  });
}

/** The consumer's use case in this process with every store and the index timed: ms per batch per statement. */
async function statementsInProcess(data: BenchData, batches: number): Promise<Record<string, number>> {
  const { persistenceService, searchIndexOf } = await import('../../shared/services/persistence');
  const { services } = await import('../../shared/services');
  const { mysqlPool, withStatementTimeout } = await import('../../shared/adapters/mysql');
  const { mysqlApplications } = await import('../../shared/adapters/stores/applications');
  const { mysqlChats } = await import('../../shared/adapters/stores/chats');
  const { mysqlMessages } = await import('../../shared/adapters/stores/messages');
  const { config } = await import('../../shared/config');
  const { redisCounters } = await import('../../shared/adapters/counters');
  const pool = withStatementTimeout(mysqlPool(), config().mysql.consumerQueryTimeoutMs);
  const sink = new Map<string, number[]>();
  const persistence = persistenceService({
    applications: timed('applications', mysqlApplications(pool), sink),
    chats: timed('chats', mysqlChats(pool), sink),
    messages: timed('messages', mysqlMessages(pool), sink),
    search: timed('search', searchIndexOf(), sink),
    // Only a collision asks the counters (none here).
    counters: redisCounters(),
    recovery: services.recovery(),
  });
  const live = timed('live', services.live(), sink);
  const chatNumber = await data.newChat();
  const createdAt = new Date().toISOString();
  const totals: number[] = [];
  for (let batch = 0; batch <= batches; batch++) {
    const items = Array.from({ length: BATCH }, (_, k) => {
      const number = batch * BATCH + k + 1;
      return { id: `profile-${number}`, receiveCount: 1, body: { type: 'message.created' as const, id: randomUUID(), token: data.token, chatNumber, number, content: `profile ${number}`, createdAt } };
    });
    if (batch === 1) sink.clear(); // batch 0 warms the pools
    const startedAt = performance.now();
    const result = await persistence.persistMessages(items);
    await live.notifyPersisted(result.stored.map((item) => item.body), result.rows ?? []);
    if (batch > 0) totals.push(performance.now() - startedAt);
    if (result.failures.length) throw new Error(`in process: ${result.failures.length} records failed`);
  }
  return { total: mean(totals), ...Object.fromEntries([...sink.entries()].map(([label, ms]) => [label, round(ms.reduce((a, b) => a + b, 0) / batches, 2)])) };
}

onTestStage(async () => {
  const ports = localPorts();
  const lambdaEndpoint = `http://127.0.0.1:${ports.testLambda}`;
  const profiledLog = logPath('profile-ingest-offline');
  const api = PROFILE_DIR
    ? await profiledOffline(PROFILE_DIR, ports.testHttp, ports.testLambda, profiledLog)
    : await startApi({ stage: 'test', httpPort: ports.testHttp, lambdaPort: ports.testLambda, delivery: false, output: 'log' });
  const apiLog = PROFILE_DIR ? profiledLog : ('logFile' in api ? api.logFile! : profiledLog);
  const offlinePid = 'pid' in api ? api.pid : undefined;
  const data = await benchData();
  let window: { from: number; to: number } | undefined;
  try {
    // Warm-up: the handler's module, the pools, the index, the SQS clients.
    await consumerIngest(data, lambdaEndpoint, BATCH, 1_000);
    await rawIngest(data, BATCH, 1_000);

    const floor = await rawIngest(data, BATCH, RECORDS);
    const pids = { ...servicePids(), bench: [process.pid], ...(offlinePid ? { 'serverless-offline': [offlinePid] } : {}) };
    const cpuOf = (): Record<string, number> => ({
      ...Object.fromEntries(Object.entries(pids).map(([name, list]) => [name, list.reduce((sum, pid) => sum + cpuSeconds(pid), 0)])),
      'machine (all)': machineBusySeconds(),
    });
    const logOffset = statSync(apiLog).size;
    const batches: (BatchTimings & { at: number })[] = [];
    let cpuAtFirstBatch: Record<string, number> | undefined;
    let firstBatchAt = 0;
    const result = await consumerIngest(data, lambdaEndpoint, BATCH, RECORDS, (timings) => {
      if (!cpuAtFirstBatch) {
        cpuAtFirstBatch = cpuOf();
        firstBatchAt = performance.now();
      }
      batches.push({ ...timings, at: monotonicMicros() });
    });
    const cpuAtEnd = cpuOf();
    const cpuWallSeconds = (performance.now() - firstBatchAt) / 1000;
    const first = batches[0]!;
    window = { from: first.at - (first.receiveMs + first.invokeMs + first.settleMs) * 1000, to: batches.at(-1)!.at };
    const seconds = (window.to - window.from) / 1e6;

    const durations = [...readFileSync(apiLog, 'utf8').slice(logOffset).matchAll(/\(λ: persistMessages\) RequestId: \S+\s+Duration: ([\d.]+) ms/g)].map((m) => Number(m[1]));
    say(`consumer ingest, batch ${BATCH}: ${result.rowsPerSecond} rows/s; raw upsert + _bulk: ${floor} rows/s; ratio ${round(result.rowsPerSecond / floor, 2)}`);
    say(`batches: ${batches.length}, ${round(seconds, 2)} s from the first receive to the last delete`);
    say('per batch, wall ms (mean / median):');
    for (const key of ['receiveMs', 'invokeMs', 'settleMs'] as const) say(`  ${key.padEnd(10)} ${mean(batches.map((b) => b[key]))} / ${median(batches.map((b) => b[key]))}`);
    say(`  handler    ${mean(durations)} / ${median(durations)}  (serverless-offline's Duration, ${durations.length} invocations)`);
    say(`CPU during the ingest (s of CPU per s of wall; 2 cores = 2.0), first batch delivered → end:`);
    for (const [name, before] of Object.entries(cpuAtFirstBatch ?? {})) say(`  ${name.padEnd(18)} ${round((cpuAtEnd[name]! - before) / cpuWallSeconds, 2)}`);
    say(`consumer use case in process, ms per batch of ${BATCH} by call: ${JSON.stringify(await statementsInProcess(data, 30))}`);
  } catch (error) {
    await api.stop();
    await data.cleanUp();
    throw error;
  }
  await api.stop();
  if (PROFILE_DIR && window) {
    const newest = readdirSync(PROFILE_DIR)
      .filter((name) => name.endsWith('.cpuprofile'))
      .map((name) => join(PROFILE_DIR, name))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
    const { totalMs, owners, functions } = selfTimeByOwner(newest, window);
    say(`serverless-offline self time during the ingest (${totalMs} ms sampled, ${newest}):`);
    for (const { owner, ms, share } of owners) say(`  ${String(share).padStart(5)} %  ${String(ms).padStart(6)} ms  ${owner}`);
    say('busiest functions:');
    for (const { owner, ms, share } of functions) say(`  ${String(share).padStart(5)} %  ${String(ms).padStart(6)} ms  ${owner}`);
  }
  await data.cleanUp();
}).then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

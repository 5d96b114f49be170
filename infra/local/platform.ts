import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, PurgeQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Client } from '@opensearch-project/opensearch';
import { createConnection, type ConnectionOptions } from 'mysql2/promise';
import { mysqlOptions } from '../../shared/adapters/mysql';
import { parseConfig } from '../../shared/config';
import { applyMigrations, readMigrations } from '../../shared/adapters/migrations';
import type { SearchTarget } from '../../shared/adapters/search-index';
import { migrateMessagesIndex, reindexMessages, type ReindexReport } from '../../shared/services/reindex';
import { deadLetterQueueName, localEnvironment, localPorts, queueName, queues, ROOT, sqsBackend } from './environment';
import { LOCAL_DIR, servicePaths } from './paths';
import { detail, isAlive, isPortOpen, LauncherError, readPid, step, stopDaemon } from './process';
import { adminConnection, mariadb } from './services/mariadb';
import { elasticmq } from './services/elasticmq';
import { localstack } from './services/localstack';
import { opensearch } from './services/opensearch';
import { redis } from './services/redis';
import type { LocalService } from './services/types';

/** The stages that share the local services: `npm start` uses local, `npm test` uses test. */
export const LOCAL_STAGES = ['local', 'test'];


function localServices(): LocalService[] {
  const ports = localPorts();
  const sqs = sqsBackend() === 'localstack' ? localstack(ports.sqs) : elasticmq(ports.sqs, LOCAL_STAGES);
  return [mariadb(ports.mysql), redis(ports.redis), sqs, opensearch(ports.opensearch)];
}

/** Every service the launcher may have started, whichever SQS backend this run uses. */
const ALL_SERVICE_IDS = ['mariadb', 'redis', 'elasticmq', 'localstack', 'opensearch'];

export interface ServicesState {
  started: string[];
  reused: string[];
}

/**
 * Installs what is missing and starts every service that is not already answering on its port,
 * in parallel (OpenSearch takes longest). Returns which were started and which were reused.
 */
export async function ensureServices(): Promise<ServicesState> {
  const services = localServices();
  step('checking installed software');
  for (const service of services) service.install();
  const state: ServicesState = { started: [], reused: [] };
  await Promise.all(
    services.map(async (service) => {
      if (await isPortOpen(service.port)) {
        if (!(await service.isReady())) {
          throw new LauncherError(`port ${service.port} is taken by something that is not a ready ${service.name}; stop it or move the port`);
        }
        const origin = startedByLauncher(service.id) ? 'started earlier by this launcher' : 'not ours: left alone by npm run stop';
        detail(`${service.name}: already running on 127.0.0.1:${service.port} (${origin})`);
        await service.configureReused?.();
        state.reused.push(service.name);
        return;
      }
      step(`starting ${service.name} on 127.0.0.1:${service.port}`);
      const startedAt = Date.now();
      await service.start();
      detail(`${service.name}: ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      state.started.push(service.name);
    }),
  );
  return state;
}

/** True when the application user can already reach every stage's database (nothing to provision). */
async function databasesReachable(stages: string[]): Promise<boolean> {
  for (const stage of stages) {
    const connection = await stageConnection(stage).catch(() => undefined);
    if (!connection) return false;
    await connection.end();
  }
  return true;
}

/**
 * Creates each stage's database and the application user, idempotently. A reused server where they
 * already exist needs no administrator login.
 */
export async function provisionDatabases(stages = LOCAL_STAGES): Promise<void> {
  if (await databasesReachable(stages)) return;
  const { mysql } = localPorts();
  const connection = await adminConnection(mysql).catch((error: Error) => {
    throw new LauncherError(
      `cannot administer the MySQL server on 127.0.0.1:${mysql} (${error.message}). ` +
        'For a server this launcher did not start, set MYSQL_ADMIN_USER / MYSQL_ADMIN_PASSWORD, or move MYSQL_PORT.',
    );
  });
  try {
    for (const stage of stages) {
      const env = localEnvironment(stage);
      await connection.query(
        `CREATE DATABASE IF NOT EXISTS \`${env.MYSQL_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      );
      for (const host of ['127.0.0.1', 'localhost']) {
        await connection.query(`CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?`, [env.MYSQL_USER, host, env.MYSQL_PASSWORD]);
        await connection.query(`GRANT ALL PRIVILEGES ON \`${env.MYSQL_DATABASE}\`.* TO ?@?`, [env.MYSQL_USER, host]);
      }
    }
  } finally {
    await connection.end();
  }
}

/** A connection to a stage's database as the application user, with the options the Lambdas use. */
function stageConnection(stage: string, extra: ConnectionOptions = {}) {
  return createConnection({ ...mysqlOptions(parseConfig(localEnvironment(stage)).mysql), ...extra });
}

/** Applies infra/migrations to a stage's database, as the application user. */
export async function migrate(stage: string): Promise<string[]> {
  const connection = await stageConnection(stage, { multipleStatements: true });
  try {
    const applied = await applyMigrations(connection, readMigrations(join(ROOT, 'infra', 'migrations')));
    return applied.map((m) => `${m.version}_${m.name}`);
  } finally {
    await connection.end();
  }
}

/**
 * Creates a stage's queues and DLQs from infra/queues.json through the SQS API, so a reused SQS
 * server (another ElasticMQ, LocalStack) gets them too. CreateQueue is idempotent.
 */
export async function ensureQueues(stage: string): Promise<void> {
  const sqs = localSqsClient(stage);
  try {
    for (const [key, queue] of Object.entries(queues)) {
      await createQueueWithDeadLetters(sqs, queueName(stage, key), deadLetterQueueName(stage, key), queue);
    }
  } finally {
    sqs.destroy();
  }
}

/** Creates a queue and its DLQ (idempotent), the queue redriving to the DLQ; returns both URLs. */
export async function createQueueWithDeadLetters(
  sqs: SQSClient,
  name: string,
  deadLetterName: string,
  { visibilityTimeout, maxReceiveCount }: { visibilityTimeout: number; maxReceiveCount: number },
): Promise<{ queueUrl: string; deadLetterUrl: string }> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: deadLetterName }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeout),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl!, deadLetterUrl: dlq.QueueUrl! };
}

/**
 * Empties a queue for good. PurgeQueue alone is not enough locally: ElasticMQ does not persist a purge,
 * so the purged messages come back when it restarts (its deletes are persisted). So the visible
 * messages are received and deleted, ten calls at a time, then a purge takes the ones in flight.
 */
export async function emptyQueue(sqs: SQSClient, queueUrl: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }))),
    );
    const groups = replies.map((reply) => reply.Messages ?? []).filter((group) => group.length > 0);
    if (groups.length === 0) break;
    await Promise.all(
      groups.map((group) =>
        sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: group.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) })),
      ),
    );
    deleted += groups.flat().length;
  }
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  return deleted;
}

/** An SQS client for a local stage's queues (local SQS servers accept any credentials). */
export function localSqsClient(stage: string): SQSClient {
  const env = localEnvironment(stage);
  return new SQSClient({
    region: env.AWS_REGION,
    endpoint: env.SQS_ENDPOINT,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  });
}

/** Everything a stage needs once the services run: database, user, schema, search index, queues. */
export async function prepareStage(stage: string): Promise<void> {
  const applied = await migrate(stage);
  detail(`${stage}: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}`);
  await ensureSearchIndex(stage);
  await ensureQueues(stage);
}

// --- Search index (issue 5): the OpenSearch counterpart of the SQL migrations -----------------------

async function withSearchTarget<T>(stage: string, use: (target: SearchTarget) => Promise<T>): Promise<T> {
  const env = localEnvironment(stage);
  const client = new Client({ node: env.OPENSEARCH_URL, requestTimeout: 30_000 });
  try {
    return await use({ client, prefix: env.OPENSEARCH_INDEX_PREFIX ?? '' });
  } finally {
    await client.close();
  }
}

/** Rebuilds a stage's messages index from its database and swaps the alias (npm run search:reindex). */
export async function reindexSearch(stage: string, log: (line: string) => void = detail): Promise<ReindexReport> {
  const db = await stageConnection(stage);
  try {
    return await withSearchTarget(stage, (target) => reindexMessages({ db, target, log }));
  } finally {
    await db.end();
  }
}

/**
 * Creates the stage's messages index behind its alias when missing. When the live index was built
 * from another definition (shared/domain/search.ts changed), rebuilds it from the database.
 */
export async function ensureSearchIndex(stage: string): Promise<void> {
  const db = await stageConnection(stage);
  try {
    const result = await withSearchTarget(stage, (target) => migrateMessagesIndex({ db, target, log: detail }));
    if (result.created) detail(`${stage}: created search index ${result.index}`);
  } finally {
    await db.end();
  }
}

/** Stops one service if this launcher started it (its pid file names a live process); false otherwise. */
export async function stopService(id: string): Promise<boolean> {
  const { pidFile, dir } = servicePaths(id);
  return readPid(pidFile) !== undefined && stopDaemon(pidFile, dir);
}

/** Stops the services this launcher started (it recorded their pids); reused ones are left alone. */
export async function stopServices(): Promise<string[]> {
  const stopped = await Promise.all(ALL_SERVICE_IDS.map(async (id) => ((await stopService(id)) ? [id] : [])));
  return stopped.flat();
}

/** True when the service running under this id was started by this launcher (so it may stop it). */
export function startedByLauncher(id: string): boolean {
  const pid = readPid(servicePaths(id).pidFile);
  return pid !== undefined && isAlive(pid);
}

/**
 * One of the running services, by id (mariadb, redis, elasticmq or localstack, opensearch), for
 * the tests that stop a real service and start it again (DESIGN invariant 8).
 */
export function localService(id: string): LocalService {
  const service = localServices().find((candidate) => candidate.id === id);
  if (!service) throw new LauncherError(`no local service "${id}" on this SQS backend (${sqsBackend()})`);
  return service;
}

export function hasLocalState(): boolean {
  return existsSync(LOCAL_DIR) && readdirSync(LOCAL_DIR).length > 0;
}

import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createMysqlPool } from '../../shared/adapters/mysql';
import { createOpensearchClient } from '../../shared/adapters/opensearch';
import { createRedisClient } from '../../shared/adapters/redis';
import { redisCounters } from '../../shared/adapters/counters';
import { searchMessages } from '../../shared/adapters/search-index';
import { createSqsClient, sqsQueue } from '../../shared/adapters/sqs';
import { mysqlMessages } from '../../shared/adapters/stores/messages';
import { parseConfig, REQUEST_BUDGET_MS, worstCaseMs } from '../../shared/config';
import { ServiceUnavailable } from '../../shared/domain/errors';
import { localEnvironment } from '../../infra/local/environment';

/**
 * A dependency that accepts connections and never answers: the worst kind of outage, since nothing
 * fails on its own. Each adapter must give up with a ServiceUnavailable before the HTTP Lambda's
 * 10 s timeout; the jest timeout of each test is that bound (not a timing assert).
 */
const LAMBDA_TIMEOUT_MS = 10_000;
let silent: Server;
const sockets = new Set<Socket>();
let port: number;

beforeAll(async () => {
  // Credentials must resolve, or the SDK fails before it ever connects.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const silentConfig = () => {
  const url = `http://127.0.0.1:${port}`;
  return parseConfig({
    ...localEnvironment('test', {}),
    MYSQL_PORT: String(port),
    REDIS_URL: `redis://127.0.0.1:${port}/1`,
    SQS_ENDPOINT: url,
    CHATS_QUEUE_URL: `${url}/000000000000/chats`,
    MESSAGES_QUEUE_URL: `${url}/000000000000/messages`,
    OPENSEARCH_URL: url,
  });
};

describe('every dependency call has a deadline inside the request (a server that never answers)', () => {
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('the default deadlines of two calls in a row leave time to answer', () => {
    const worst = worstCaseMs(silentConfig());
    expect(worst.redis + worst.sqs).toBeLessThanOrEqual(REQUEST_BUDGET_MS);
    expect(worst.redis + worst.opensearch).toBeLessThanOrEqual(REQUEST_BUDGET_MS);
    expect(worst.mysql).toBeLessThanOrEqual(REQUEST_BUDGET_MS);
  });

  it("RDS Proxy's ConnectionBorrowTimeout is below the per-statement deadline (so below the Lambda timeout)", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const infra = require('../../infra/resources.js');
    const settings: Record<string, string> = { 'sls:stage': 'prod' };
    const resolveVariable = async (name: string) => settings[name] ?? (name.includes('VPC_ID') ? 'vpc-1' : name.includes('VPC_SUBNET_IDS') ? 'subnet-1,subnet-2' : null);
    const { Resources } = await infra.resources({ resolveVariable });
    const borrowSeconds = Resources.DatabaseProxyTargetGroup.Properties.ConnectionPoolConfigurationInfo.ConnectionBorrowTimeout;

    expect(borrowSeconds * 1000).toBeLessThan(silentConfig().mysql.queryTimeoutMs);
    expect(borrowSeconds * 1000).toBeLessThan(LAMBDA_TIMEOUT_MS);
  });

  it('config refuses deadlines that add up past the budget', () => {
    expect(() => parseConfig({ ...localEnvironment('test', {}), SQS_REQUEST_TIMEOUT_MS: '5000', SQS_MAX_ATTEMPTS: '2' })).toThrow(/Redis \+ SQS/);
  });

  it(
    'SQS SendMessage → ServiceUnavailable',
    async () => {
      const config = silentConfig();
      const client = createSqsClient(config.sqs);
      try {
        const send = sqsQueue(client, config.sqs.queueUrls).send('chats', { type: 'chat.created' });
        await expect(send).rejects.toBeInstanceOf(ServiceUnavailable);
        // It reached the silent server and gave up on it (not, say, a credentials error).
        await expect(send.catch((error: ServiceUnavailable) => Promise.reject(error.cause))).rejects.toMatchObject({ name: 'TimeoutError' });
      } finally {
        client.destroy();
      }
    },
    LAMBDA_TIMEOUT_MS,
  );

  it(
    'Redis (a numbering script) → ServiceUnavailable',
    async () => {
      const redis = createRedisClient(silentConfig().redis);
      try {
        await expect(redisCounters(redis).nextChat('tX3b9vQ2mJ0cYk1sZr7dLw5pHq8nFe4a', { recordId: 'r1', createdAt: new Date(0).toISOString() })).rejects.toBeInstanceOf(ServiceUnavailable);
      } finally {
        redis.disconnect();
      }
    },
    LAMBDA_TIMEOUT_MS,
  );

  it(
    'MySQL (a read) → ServiceUnavailable',
    async () => {
      const pool = createMysqlPool(silentConfig().mysql);
      try {
        await expect(mysqlMessages(pool).find('tX3b9vQ2mJ0cYk1sZr7dLw5pHq8nFe4a', 1, 1)).rejects.toBeInstanceOf(ServiceUnavailable);
      } finally {
        await pool.end().catch(() => undefined);
      }
    },
    LAMBDA_TIMEOUT_MS,
  );

  it(
    'OpenSearch (a search) → ServiceUnavailable',
    async () => {
      const config = silentConfig();
      const client = createOpensearchClient(config.opensearch);
      try {
        const search = searchMessages(
          { token: 'tX3b9vQ2mJ0cYk1sZr7dLw5pHq8nFe4a', chatNumber: 1, q: 'hello', page: 1, limit: 20 },
          { client, prefix: config.opensearch.indexPrefix },
        );
        await expect(search).rejects.toBeInstanceOf(ServiceUnavailable);
      } finally {
        await client.close();
      }
    },
    LAMBDA_TIMEOUT_MS,
  );
});

import { spawn } from 'node:child_process';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { api } from '../helpers/api';
import { rows } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { startSecondApi } from '../helpers/second-api';
import { localPorts } from '../../infra/local/environment';
import { isPortOpen } from '../../infra/local/process';

describe('GET /api/v1/health', () => {
  it('reports MySQL, Redis, every queue and OpenSearch up, with latencies', async () => {
    const { status, body } = await api('GET', '/api/v1/health');

    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(Object.keys(body.dependencies).sort()).toEqual(
      ['mysql', 'opensearch', 'redis', 'sqs:chats', 'sqs:chats-dlq', 'sqs:messages', 'sqs:messages-dlq'].sort(),
    );
    for (const dependency of Object.values<any>(body.dependencies)) {
      expect(dependency).toEqual({ status: 'up', latency_ms: expect.any(Number) });
    }
    // A local stage names its SQS server (SQS_BACKEND, elasticmq by default).
    expect(body.sqs_backend).toBe(process.env.SQS_BACKEND ?? 'elasticmq');
  });

  it('runs on the real servers: MariaDB, Redis with AOF, an OpenSearch 2.19 node, an SQS API', async () => {
    const [row] = await rows('SELECT VERSION() AS version');
    expect(row.version).toMatch(/MariaDB|^8\./);

    const redis = new Redis(process.env.REDIS_URL!);
    const [, appendonly] = (await redis.config('GET', 'appendonly')) as string[];
    redis.disconnect();
    expect(appendonly).toBe('yes');

    const opensearch = (await (await fetch(process.env.OPENSEARCH_URL!)).json()) as any;
    expect(opensearch.version.distribution).toBe('opensearch');
    expect(opensearch.version.number).toMatch(/^2\.19\./);

    const sqs = await fetch(`${process.env.SQS_ENDPOINT}/?Action=ListQueues`);
    expect(await sqs.text()).toContain('chat-system-test-chats');
  });

  it('answers 503 naming Redis when the Redis it uses stops, and 200 again when it is back', async () => {
    // A throwaway Redis on its own port, and an API instance wired to it: stopping it harms no one.
    const port = localPorts().redis + 20 + Math.floor(Math.random() * 20);
    const startRedis = () => spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    let redis = startRedis();
    await eventually(async () => expect(await isPortOpen(port)).toBe(true));
    const second = await startSecondApi(localPorts().testHttp + 50, { REDIS_PORT: String(port) });
    try {
      expect((await api('GET', '/api/v1/health', { baseUrl: second.url })).status).toBe(200);

      redis.kill('SIGKILL');
      await eventually(async () => expect(await isPortOpen(port)).toBe(false));
      const down = await api('GET', '/api/v1/health', { baseUrl: second.url });

      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBeTruthy();
      expect(down.body.status).toBe('unavailable');
      expect(down.body.dependencies.redis).toEqual({ status: 'down', latency_ms: expect.any(Number) });
      // No error text (addresses, host names) in the public answer.
      expect(JSON.stringify(down.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect/);
      expect(down.body.dependencies.mysql.status).toBe('up');
      expect(down.body.dependencies.opensearch.status).toBe('up');

      redis = startRedis();
      await eventually(async () => expect((await api('GET', '/api/v1/health', { baseUrl: second.url })).status).toBe(200));
    } finally {
      redis.kill('SIGKILL');
      await second.stop();
      await sleep(10);
    }
  });
});

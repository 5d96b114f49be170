import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRedisClient } from '../../shared/adapters/redis';
import { parseConfig } from '../../shared/config';
import { localEnvironment } from '../../infra/local/environment';
import { eventually } from '../helpers/eventually';

/** A port that was just free: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Redis connection errors in the log', () => {
  afterEach(() => jest.restoreAllMocks());

  it('an outage writes one JSON line, not one "Unhandled error event" per reconnect attempt', async () => {
    const errorLines = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const config = parseConfig({ ...localEnvironment('test', {}), REDIS_URL: `redis://127.0.0.1:${await closedPort()}/1` });
    const redis = createRedisClient(config.redis);
    let attempts = 0;
    redis.on('error', () => (attempts += 1));
    try {
      await eventually(() => expect(attempts).toBeGreaterThanOrEqual(4), { timeoutMs: 10_000 });

      const lines = errorLines.mock.calls.map((args) => String(args[0]));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'ERROR', message: 'redis connection error', code: 'ECONNREFUSED' });
    } finally {
      redis.disconnect();
    }
  });
});

import { join } from 'node:path';
import Redis from 'ioredis';
import { ensureDebianPackages } from '../install';
import { servicePaths } from '../paths';
import { startDaemon, waitUntilReady } from '../process';
import type { LocalService } from './types';

const DURABILITY: [string, string][] = [
  ['appendonly', 'yes'],
  ['appendfsync', 'always'],
  ['maxmemory-policy', 'noeviction'],
];

export function redis(port: number): LocalService {
  const paths = servicePaths('redis');
  return {
    id: 'redis',
    name: 'Redis',
    port,
    install: () => ensureDebianPackages({ 'redis-server': 'redis-server' }),
    async start() {
      const pid = startDaemon('redis-server', [
        '--bind', '127.0.0.1',
        '--port', String(port),
        '--dir', paths.dir,
        // AOF, fsynced on every write (DESIGN invariant 4): a counter acknowledged to a client must
        // survive a crash, or the next number would repeat one already handed out. README "Failure
        // behaviour" gives the cost. noeviction: keys with a TTL (Idempotency-Keys) must not be evicted.
        ...DURABILITY.flatMap(([name, value]) => [`--${name}`, value]),
        '--daemonize', 'no',
        '--pidfile', join(paths.dir, 'redis.pid'),
      ], paths);
      await waitUntilReady('Redis', () => this.isReady(), { timeoutMs: 20_000, logFile: paths.logFile, pid });
    },
    /** A Redis started before (by an older launcher, or by hand) gets the same durability settings. */
    async configureReused() {
      const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await client.connect();
        for (const [name, value] of DURABILITY) await client.config('SET', name, value);
      } finally {
        client.disconnect();
      }
    },
    async isReady() {
      const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined); // a refused connection is the answer "not ready", not an error
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    },
  };
}

import { join } from 'node:path';
import Redis from 'ioredis';
import { ensureDebianPackages } from '../install';
import { servicePaths } from '../paths';
import { startDaemon, waitUntilReady } from '../process';
import type { LocalService } from './types';

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
        // AOF: the counters that number chats and messages must survive a restart.
        '--appendonly', 'yes',
        '--appendfsync', 'everysec',
        '--daemonize', 'no',
        '--pidfile', join(paths.dir, 'redis.pid'),
      ], paths);
      await waitUntilReady('Redis', () => this.isReady(), { timeoutMs: 20_000, logFile: paths.logFile, pid });
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

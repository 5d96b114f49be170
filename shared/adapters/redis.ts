import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { config } from '../config';

let client: Redis | Cluster | undefined;

/**
 * Commands fail fast when Redis is unreachable (one retry, short timeouts) so a request answers 503
 * instead of hanging until the Lambda timeout; the client reconnects by itself when Redis is back.
 */
const FAIL_FAST: RedisOptions = {
  connectTimeout: 2000,
  commandTimeout: 3000,
  maxRetriesPerRequest: 1,
  retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
};

/**
 * The one Redis connection of this container. `cluster` mode (MemoryDB, which only runs clustered,
 * with ACL users and TLS) uses ioredis' Cluster: every key the app uses carries the application's hash
 * tag, so each script touches one slot. `standalone`: local Redis, ElastiCache without cluster mode.
 */
export function redisClient(): Redis | Cluster {
  if (client) return client;
  const { url, mode, tls } = config().redis;
  if (mode === 'cluster') {
    const parsed = new URL(url);
    client = new Cluster([{ host: parsed.hostname, port: Number(parsed.port || 6379) }], {
      // MemoryDB's TLS certificates name the cluster endpoint, not the node addresses it redirects to.
      dnsLookup: (address, callback) => callback(null, address),
      redisOptions: {
        ...FAIL_FAST,
        username: decodeURIComponent(parsed.username) || undefined,
        password: decodeURIComponent(parsed.password) || undefined,
        tls: tls || parsed.protocol === 'rediss:' ? {} : undefined,
      },
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1000),
      slotsRefreshTimeout: 2000,
    });
  } else {
    client = new Redis(url, FAIL_FAST);
  }
  return client;
}

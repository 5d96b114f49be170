import Redis, { Cluster, ReplyError, type RedisOptions } from 'ioredis';
import { config, type Config } from '../config';
import { describeError, log } from '../http/log';

/** At most one "Redis unreachable" line per this many ms per client: reconnect attempts are not news. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Without an `error` listener ioredis prints "Unhandled error event" (not JSON) on every reconnect
 * attempt. One JSON line per interval, with how many errors it stands for.
 */
export function logRedisErrors(redis: Redis | Cluster, intervalMs = ERROR_LOG_INTERVAL_MS): void {
  let lastLoggedAt = -Infinity;
  let suppressed = 0;
  redis.on('error', (error: unknown) => {
    const now = Date.now();
    if (now - lastLoggedAt < intervalMs) {
      suppressed += 1;
      return;
    }
    log('error', 'redis connection error', { ...describeError(error), suppressedSinceLast: suppressed });
    lastLoggedAt = now;
    suppressed = 0;
  });
}

/**
 * A Redis connection whose commands fail fast when Redis is unreachable or silent: a command is
 * rejected commandTimeout after it is issued, queued or not, so a request answers 503 instead of
 * hanging until the Lambda timeout; the client reconnects by itself when Redis is back.
 *
 * `cluster` mode (MemoryDB, which only runs clustered, with ACL users and TLS) uses ioredis' Cluster:
 * every key the app uses carries the application's hash tag, so each script touches one slot.
 * `standalone`: local Redis, ElastiCache without cluster mode.
 */
export function createRedisClient(redis: Config['redis'] = config().redis): Redis | Cluster {
  const failFast: RedisOptions = {
    connectTimeout: redis.connectTimeoutMs,
    commandTimeout: redis.commandTimeoutMs,
    maxRetriesPerRequest: redis.maxRetries,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  };
  let client: Redis | Cluster;
  if (redis.mode === 'cluster') {
    const parsed = new URL(redis.url);
    client = new Cluster([{ host: parsed.hostname, port: Number(parsed.port || 6379) }], {
      // MemoryDB's TLS certificates name the cluster endpoint, not the node addresses it redirects to.
      dnsLookup: (address, callback) => callback(null, address),
      redisOptions: {
        ...failFast,
        username: decodeURIComponent(parsed.username) || undefined,
        password: decodeURIComponent(parsed.password) || undefined,
        tls: redis.tls || parsed.protocol === 'rediss:' ? {} : undefined,
      },
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1000),
      slotsRefreshTimeout: redis.connectTimeoutMs,
    });
  } else {
    client = new Redis(redis.url, failFast);
  }
  logRedisErrors(client);
  return client;
}

let client: Redis | Cluster | undefined;

/** The one Redis connection of this container. */
export function redisClient(): Redis | Cluster {
  client ??= createRedisClient();
  return client;
}

/** Error replies that mean "this server cannot serve now" (loading, failover, out of memory…), not a bad command. */
const REDIS_OUTAGE_REPLIES = /^(LOADING|BUSY|READONLY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|NOREPLICAS|OOM)\b/;

/**
 * Redis unreachable or silent (connection errors, timeouts, retries exhausted) is an outage, and so
 * is an error reply saying the server cannot serve now; any other error reply (a script bug, a wrong
 * type) is a bug.
 */
export function isRedisOutage(error: unknown): boolean {
  if (error instanceof ReplyError) return REDIS_OUTAGE_REPLIES.test((error as Error).message);
  return true;
}

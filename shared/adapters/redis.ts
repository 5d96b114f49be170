import Redis, { ReplyError } from 'ioredis';
import { config, type Config } from '../config';
import { describeError, log } from '../http/log';

/** At most one "Redis unreachable" line per this many ms per client: reconnect attempts are not news. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Without an `error` listener ioredis prints "Unhandled error event" (not JSON) on every reconnect
 * attempt. One JSON line per interval, with how many errors it stands for.
 */
export function logRedisErrors(redis: Redis, intervalMs = ERROR_LOG_INTERVAL_MS): void {
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
 * hanging until the Lambda timeout.
 */
export function createRedisClient(redis: Config['redis'] = config().redis): Redis {
  const client = new Redis(redis.url, {
    connectTimeout: redis.connectTimeoutMs,
    commandTimeout: redis.commandTimeoutMs,
    maxRetriesPerRequest: redis.maxRetries,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  logRedisErrors(client);
  return client;
}

let client: Redis | undefined;

/** The one Redis connection of this container. */
export function redisClient(): Redis {
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

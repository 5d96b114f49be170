import Redis from 'ioredis';
import { config } from '../config';

let client: Redis | undefined;

/**
 * The one Redis connection of this container. Commands fail fast when Redis is unreachable
 * (one retry, short timeouts) so a request answers 503 instead of hanging until the Lambda timeout.
 */
export function redisClient(): Redis {
  client ??= new Redis(config().redis.url, {
    connectTimeout: 2000,
    commandTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  return client;
}

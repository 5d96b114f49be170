import { z } from 'zod';
import { queues } from '../infra/queues.json';

/** The queues the application sends to, keyed as in infra/queues.json. */
export type QueueKey = keyof typeof queues;
export const QUEUE_KEYS = Object.keys(queues) as QueueKey[];

const port = z.coerce.number().int().min(1).max(65535);
const url = z.string().url();
/** A deadline in milliseconds: long enough to be real, short enough to fit in a request. */
const millis = (fallback: number) => z.coerce.number().int().min(50).max(30_000).default(fallback);
const retries = (fallback: number) => z.coerce.number().int().min(0).max(3).default(fallback);

/** A host name or URL on this machine (127.0.0.0/8, localhost, ::1): traffic that never leaves the host. */
function isLoopback(hostOrUrl: string): boolean {
  let host = hostOrUrl;
  try {
    host = new URL(hostOrUrl).hostname;
  } catch {
    /* a bare host name */
  }
  return /^(127(\.\d{1,3}){3}|localhost|\[::1\]|::1)$/i.test(host);
}

const EnvironmentSchema = z.object({
  STAGE: z.string().min(1),
  MYSQL_HOST: z.string().min(1),
  MYSQL_PORT: port.default(3306),
  MYSQL_USER: z.string().min(1),
  MYSQL_PASSWORD: z.string(),
  MYSQL_DATABASE: z.string().min(1),
  MYSQL_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(2),
  MYSQL_CONNECT_TIMEOUT_MS: millis(2000),
  MYSQL_QUERY_TIMEOUT_MS: millis(4000),
  /** Queue consumers' statements (multi-row upserts of up to 100 records) within their 30 s timeout. */
  MYSQL_CONSUMER_QUERY_TIMEOUT_MS: millis(20_000),
  MYSQL_TLS: z.enum(['true', 'false']).default('false'),
  REDIS_URL: url,
  // standalone: one Redis node (local, ElastiCache non-cluster); cluster: MemoryDB / cluster mode.
  REDIS_MODE: z.enum(['standalone', 'cluster']).default('standalone'),
  REDIS_TLS: z.enum(['true', 'false']).default('false'),
  // Create routes, per application token: a token bucket of RATE_LIMIT_BURST refilled at
  // RATE_LIMIT_PER_SECOND (generous defaults: a limit against runaways, not a quota).
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).default(2000),
  RATE_LIMIT_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(1000),
  // Requests that miss in Redis and are confirmed against MySQL (one indexed lookup each), for all
  // tokens together: a bucket of MISS_CONFIRMATION_BURST refilled at MISS_CONFIRMATION_PER_SECOND.
  // Each miss also takes a token of its application's bucket above (creates took it already).
  MISS_CONFIRMATION_BURST: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  MISS_CONFIRMATION_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(500),
  IDEMPOTENCY_KEY_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(24 * 3600),
  // Numbers a counter recovery adds above MySQL's highest and the queues' depth.
  RECOVERY_MARGIN: z.coerce.number().int().min(0).max(1_000_000).default(100),
  REDIS_CONNECT_TIMEOUT_MS: millis(1000),
  REDIS_COMMAND_TIMEOUT_MS: millis(1500),
  REDIS_MAX_RETRIES: retries(1),
  SQS_ENDPOINT: url.optional(),
  SQS_CONNECT_TIMEOUT_MS: millis(1000),
  SQS_REQUEST_TIMEOUT_MS: millis(2000),
  SQS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(3).default(2),
  /** Local stages only: which SQS-compatible server runs (health reports it there). */
  SQS_BACKEND: z.enum(['elasticmq', 'localstack']).optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  OPENSEARCH_URL: url,
  OPENSEARCH_AUTH: z.enum(['none', 'sigv4']).default('none'),
  OPENSEARCH_INDEX_PREFIX: z.string().default(''),
  OPENSEARCH_REQUEST_TIMEOUT_MS: millis(2500),
  OPENSEARCH_MAX_RETRIES: retries(1),
  CHATS_QUEUE_URL: url,
  CHATS_DLQ_URL: url,
  MESSAGES_QUEUE_URL: url,
  MESSAGES_DLQ_URL: url,
  // Live updates: where PostToConnection goes (the WebSocket API's stage URL; locally serverless-offline's port).
  WEBSOCKET_ENDPOINT: url,
}).superRefine((env, problems) => {
  // On AWS nothing travels in plaintext: MySQL through RDS Proxy with TLS, Redis over rediss,
  // OpenSearch, SQS and @connections over HTTPS. Only a service on this machine (127.0.0.1: the local
  // stages, and the launcher's and tests' own stages) goes without: its traffic never leaves the host.
  const demand = (ok: boolean, endpoint: string | undefined, path: string, message: string) =>
    ok || endpoint === undefined || isLoopback(endpoint) || problems.addIssue({ code: 'custom', path: [path], message: `${message} unless it is on 127.0.0.1` });
  demand(env.MYSQL_TLS === 'true', env.MYSQL_HOST, 'MYSQL_TLS', 'must be true');
  demand(env.REDIS_URL.startsWith('rediss://'), env.REDIS_URL, 'REDIS_URL', 'must be rediss:// (TLS)');
  demand(env.OPENSEARCH_URL.startsWith('https://'), env.OPENSEARCH_URL, 'OPENSEARCH_URL', 'must be https://');
  demand(env.WEBSOCKET_ENDPOINT.startsWith('https://'), env.WEBSOCKET_ENDPOINT, 'WEBSOCKET_ENDPOINT', 'must be https://');
  demand(env.SQS_ENDPOINT === undefined || env.SQS_ENDPOINT.startsWith('https://'), env.SQS_ENDPOINT, 'SQS_ENDPOINT', 'must be https://');
});

export type Environment = z.infer<typeof EnvironmentSchema>;

export interface Config {
  stage: string;
  mysql: { host: string; port: number; user: string; password: string; database: string; poolSize: number; connectTimeoutMs: number; queryTimeoutMs: number; consumerQueryTimeoutMs: number; tls: boolean };
  redis: { url: string; mode: 'standalone' | 'cluster'; tls: boolean; connectTimeoutMs: number; commandTimeoutMs: number; maxRetries: number };
  limits: { burst: number; perSecond: number; keyTtlSeconds: number; recoveryMargin: number; missConfirmations: { burst: number; perSecond: number } };
  sqs: {
    region: string;
    endpoint?: string;
    backend?: 'elasticmq' | 'localstack';
    connectTimeoutMs: number;
    requestTimeoutMs: number;
    maxAttempts: number;
    queueUrls: Record<QueueKey, string>;
    deadLetterQueueUrls: Record<QueueKey, string>;
  };
  opensearch: { url: string; auth: 'none' | 'sigv4'; region: string; indexPrefix: string; requestTimeoutMs: number; maxRetries: number };
  websocket: { endpoint: string; region: string };
}

/**
 * The HTTP functions' Lambda timeout is 10 s (serverless.yml). A request makes at most two dependency
 * calls in sequence (Redis then SQS, Redis then OpenSearch, or MySQL), and must still have time to
 * answer 503 + Retry-After: the worst case of the two slowest must stay under this budget.
 */
export const REQUEST_BUDGET_MS = 8000;

/** The longest one call to each dependency can take, retries included, before it is an outage. */
export function worstCaseMs(c: Pick<Config, 'mysql' | 'redis' | 'sqs' | 'opensearch'>): Record<'mysql' | 'redis' | 'sqs' | 'opensearch', number> {
  return {
    // A pool connection is made (connect timeout) and the statement runs (query timeout).
    mysql: c.mysql.connectTimeoutMs + c.mysql.queryTimeoutMs,
    // commandTimeout bounds a command from the moment it is issued, queued or not.
    redis: c.redis.commandTimeoutMs,
    // Each attempt may spend both timeouts; the SDK's backoff between attempts is under 100 ms here.
    sqs: c.sqs.maxAttempts * (c.sqs.connectTimeoutMs + c.sqs.requestTimeoutMs + 100),
    opensearch: (c.opensearch.maxRetries + 1) * c.opensearch.requestTimeoutMs,
  };
}

function checkBudget(c: Config): string[] {
  const worst = worstCaseMs(c);
  const paths: [string, number][] = [
    ['Redis + SQS (creates, edits)', worst.redis + worst.sqs],
    ['Redis + OpenSearch (search)', worst.redis + worst.opensearch],
    ['MySQL (reads)', worst.mysql],
  ];
  return paths
    .filter(([, ms]) => ms > REQUEST_BUDGET_MS)
    .map(([path, ms]) => `deadlines of ${path} add up to ${ms} ms, over the ${REQUEST_BUDGET_MS} ms a request may spend on dependencies`);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates an environment; throws naming every missing or invalid variable. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = EnvironmentSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return env[name] === undefined ? `${name} is missing` : `${name} is invalid (${issue.message})`;
    });
    throw new ConfigError(`configuration: ${problems.join('; ')}`);
  }
  const e = result.data;
  const parsed: Config = {
    stage: e.STAGE,
    mysql: {
      host: e.MYSQL_HOST,
      port: e.MYSQL_PORT,
      user: e.MYSQL_USER,
      password: e.MYSQL_PASSWORD,
      database: e.MYSQL_DATABASE,
      poolSize: e.MYSQL_POOL_SIZE,
      connectTimeoutMs: e.MYSQL_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: e.MYSQL_QUERY_TIMEOUT_MS,
      consumerQueryTimeoutMs: e.MYSQL_CONSUMER_QUERY_TIMEOUT_MS,
      tls: e.MYSQL_TLS === 'true',
    },
    redis: {
      url: e.REDIS_URL,
      mode: e.REDIS_MODE,
      tls: e.REDIS_TLS === 'true',
      connectTimeoutMs: e.REDIS_CONNECT_TIMEOUT_MS,
      commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      maxRetries: e.REDIS_MAX_RETRIES,
    },
    limits: {
      burst: e.RATE_LIMIT_BURST,
      perSecond: e.RATE_LIMIT_PER_SECOND,
      keyTtlSeconds: e.IDEMPOTENCY_KEY_TTL_SECONDS,
      recoveryMargin: e.RECOVERY_MARGIN,
      missConfirmations: { burst: e.MISS_CONFIRMATION_BURST, perSecond: e.MISS_CONFIRMATION_PER_SECOND },
    },
    sqs: {
      region: e.AWS_REGION,
      endpoint: e.SQS_ENDPOINT,
      backend: e.SQS_BACKEND,
      connectTimeoutMs: e.SQS_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: e.SQS_REQUEST_TIMEOUT_MS,
      maxAttempts: e.SQS_MAX_ATTEMPTS,
      queueUrls: { chats: e.CHATS_QUEUE_URL, messages: e.MESSAGES_QUEUE_URL },
      deadLetterQueueUrls: { chats: e.CHATS_DLQ_URL, messages: e.MESSAGES_DLQ_URL },
    },
    opensearch: {
      url: e.OPENSEARCH_URL,
      auth: e.OPENSEARCH_AUTH,
      region: e.AWS_REGION,
      indexPrefix: e.OPENSEARCH_INDEX_PREFIX,
      requestTimeoutMs: e.OPENSEARCH_REQUEST_TIMEOUT_MS,
      maxRetries: e.OPENSEARCH_MAX_RETRIES,
    },
    websocket: { endpoint: e.WEBSOCKET_ENDPOINT, region: e.AWS_REGION },
  };
  const overBudget = checkBudget(parsed);
  if (overBudget.length > 0) throw new ConfigError(`configuration: ${overBudget.join('; ')}`);
  return parsed;
}

let cached: Config | undefined;

/** The process configuration, read from the environment once per container. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

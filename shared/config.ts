import { z } from 'zod';
import { queues } from '../infra/queues.json';

/** The queues the application sends to, keyed as in infra/queues.json. */
export type QueueKey = keyof typeof queues;
export const QUEUE_KEYS = Object.keys(queues) as QueueKey[];

const port = z.coerce.number().int().min(1).max(65535);
const url = z.string().url();

/** The stages that run on the local services (127.0.0.1), never on AWS. */
const LOCAL_STAGES = new Set(['local', 'test']);

const EnvironmentSchema = z.object({
  STAGE: z.string().min(1),
  MYSQL_HOST: z.string().min(1),
  MYSQL_PORT: port.default(3306),
  MYSQL_USER: z.string().min(1),
  MYSQL_PASSWORD: z.string(),
  MYSQL_DATABASE: z.string().min(1),
  MYSQL_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(2),
  MYSQL_TLS: z.enum(['true', 'false']).default('false'),
  REDIS_URL: url,
  SQS_ENDPOINT: url.optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  OPENSEARCH_URL: url,
  OPENSEARCH_AUTH: z.enum(['none', 'sigv4']).default('none'),
  OPENSEARCH_INDEX_PREFIX: z.string().default(''),
  CHATS_QUEUE_URL: url,
  CHATS_DLQ_URL: url,
  MESSAGES_QUEUE_URL: url,
  MESSAGES_DLQ_URL: url,
}).superRefine((env, problems) => {
  // On AWS nothing travels in plaintext: MySQL through RDS Proxy with TLS, Redis over rediss,
  // OpenSearch and SQS over HTTPS. Only the local stages, on 127.0.0.1, go without.
  if (LOCAL_STAGES.has(env.STAGE)) return;
  const demand = (ok: boolean, path: string, message: string) => ok || problems.addIssue({ code: 'custom', path: [path], message });
  demand(env.MYSQL_TLS === 'true', 'MYSQL_TLS', 'must be true outside the local stages');
  demand(env.REDIS_URL.startsWith('rediss://'), 'REDIS_URL', 'must be rediss:// (TLS) outside the local stages');
  demand(env.OPENSEARCH_URL.startsWith('https://'), 'OPENSEARCH_URL', 'must be https:// outside the local stages');
  demand(env.SQS_ENDPOINT === undefined || env.SQS_ENDPOINT.startsWith('https://'), 'SQS_ENDPOINT', 'must be https:// outside the local stages');
});

export type Environment = z.infer<typeof EnvironmentSchema>;

export interface Config {
  stage: string;
  mysql: { host: string; port: number; user: string; password: string; database: string; poolSize: number; tls: boolean };
  redis: { url: string };
  sqs: { region: string; endpoint?: string; queueUrls: Record<QueueKey, string>; deadLetterQueueUrls: Record<QueueKey, string> };
  opensearch: { url: string; auth: 'none' | 'sigv4'; region: string; indexPrefix: string };
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
  return {
    stage: e.STAGE,
    mysql: {
      host: e.MYSQL_HOST,
      port: e.MYSQL_PORT,
      user: e.MYSQL_USER,
      password: e.MYSQL_PASSWORD,
      database: e.MYSQL_DATABASE,
      poolSize: e.MYSQL_POOL_SIZE,
      tls: e.MYSQL_TLS === 'true',
    },
    redis: { url: e.REDIS_URL },
    sqs: {
      region: e.AWS_REGION,
      endpoint: e.SQS_ENDPOINT,
      queueUrls: { chats: e.CHATS_QUEUE_URL, messages: e.MESSAGES_QUEUE_URL },
      deadLetterQueueUrls: { chats: e.CHATS_DLQ_URL, messages: e.MESSAGES_DLQ_URL },
    },
    opensearch: {
      url: e.OPENSEARCH_URL,
      auth: e.OPENSEARCH_AUTH,
      region: e.AWS_REGION,
      indexPrefix: e.OPENSEARCH_INDEX_PREFIX,
    },
  };
}

let cached: Config | undefined;

/** The process configuration, read from the environment once per container. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

// Types for environment.js, which stays CommonJS JavaScript so serverless.yml can load it too.
export const SERVICE: string;
export const ROOT: string;
export interface LocalPorts {
  mysql: number;
  redis: number;
  sqs: number;
  opensearch: number;
  http: number;
  lambda: number;
  /** serverless-offline's WebSocket port: HTTP + 1. */
  websocket: number;
  testHttp: number;
  testLambda: number;
  testWebsocket: number;
}
export function localPorts(env?: NodeJS.ProcessEnv): LocalPorts;
export function websocketPortOf(httpPort: number): number;
export function sqsBackend(env?: NodeJS.ProcessEnv): 'elasticmq' | 'localstack';
export function localEnvironment(stage?: string, env?: NodeJS.ProcessEnv): Record<string, string>;
export function queueName(stage: string, key: string): string;
export function deadLetterQueueName(stage: string, key: string): string;
export interface QueueDefinition {
  consumer: string;
  consumerHandler: string;
  consumerTimeout: number;
  batchSize: number;
  maximumBatchingWindow: number;
  visibilityTimeout: number;
  maxReceiveCount: number;
  messageRetentionPeriod: number;
}
export const queues: Record<string, QueueDefinition>;

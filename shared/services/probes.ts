import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { opensearchClient } from '../adapters/opensearch';
import { mysqlPool } from '../adapters/mysql';
import { redisClient } from '../adapters/redis';
import { sqsClient } from '../adapters/sqs';
import { config, QUEUE_KEYS } from '../config';
import type { Probe } from './health';

/** One probe per real dependency: MySQL, Redis, every queue and its DLQ, OpenSearch. */
export function dependencyProbes(): Record<string, Probe> {
  const { queueUrls, deadLetterQueueUrls } = config().sqs;
  const queueProbe = (QueueUrl: string): Probe => () =>
    sqsClient().send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  const probes: Record<string, Probe> = {
    mysql: () => mysqlPool().query('SELECT 1'),
    redis: () => redisClient().ping(),
    opensearch: async () => {
      const { body } = await opensearchClient().cluster.health({ timeout: '1s' });
      if (body.status === 'red') throw new Error('cluster status red');
    },
  };
  for (const key of QUEUE_KEYS) {
    probes[`sqs:${key}`] = queueProbe(queueUrls[key]);
    probes[`sqs:${key}-dlq`] = queueProbe(deadLetterQueueUrls[key]);
  }
  return probes;
}

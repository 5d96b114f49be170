import { queues } from '../../infra/queues.json';
import consumers from '../../infra/consumers.js';
import { elasticmqConfig } from '../../infra/local/services/elasticmq';

describe('the queue definition (infra/queues.json)', () => {
  it.each(Object.entries(queues))('%s: visibility timeout is at least 6x its consumer timeout', (_key, queue) => {
    expect(queue.visibilityTimeout).toBeGreaterThanOrEqual(6 * queue.consumerTimeout);
  });

  it.each(Object.entries(queues))('%s: bounded retries before the DLQ, batches AWS accepts', (_key, queue) => {
    expect(queue.maxReceiveCount).toBe(5);
    expect(queue.batchSize).toBeGreaterThanOrEqual(1);
    // Standard queues take up to 10,000 with a batching window, up to 10 without one.
    expect(queue.batchSize <= 10 || queue.maximumBatchingWindow >= 1).toBe(true);
  });

  it('generates one consumer per queue reporting partial batch failures', () => {
    const functions = consumers();

    for (const queue of Object.values(queues)) {
      const consumer = functions[queue.consumer]!;
      const sqs = consumer.events[0]!.sqs;
      expect(sqs.batchSize).toBe(queue.batchSize);
      expect(sqs.maximumBatchingWindow).toBe(queue.maximumBatchingWindow);
      expect(sqs.functionResponseType).toBe('ReportBatchItemFailures');
      expect(consumer.timeout).toBe(queue.consumerTimeout);
    }
  });

  it('gives ElasticMQ the same queues, DLQs and redrive for every local stage', () => {
    const config = elasticmqConfig(9324, ['local', 'test'], '/tmp/x');

    for (const stage of ['local', 'test']) {
      for (const [key, queue] of Object.entries(queues)) {
        expect(config).toContain(`"chat-system-${stage}-${key}-dlq"`);
        expect(config).toContain(`deadLettersQueue { name = "chat-system-${stage}-${key}-dlq", maxReceiveCount = ${queue.maxReceiveCount} }`);
      }
    }
  });
});

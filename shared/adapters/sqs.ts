import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { config, type QueueKey } from '../config';
import { guarded } from '../domain/errors';

let client: SQSClient | undefined;

/** The one SQS client of this container; locally it points at the SQS-compatible server. */
export function sqsClient(): SQSClient {
  const { region, endpoint } = config().sqs;
  client ??= new SQSClient({ region, endpoint, maxAttempts: 2 });
  return client;
}

/** A queue the API enqueues records to. */
export interface RecordQueue {
  send(queue: QueueKey, record: object): Promise<void>;
}

/** Sends one record with one SendMessage; resolves only once SQS has accepted (stored) it. */
export function sqsQueue(client: SQSClient = sqsClient(), queueUrls = config().sqs.queueUrls): RecordQueue {
  return {
    async send(queue, record) {
      await guarded('queue', () => client.send(new SendMessageCommand({ QueueUrl: queueUrls[queue], MessageBody: JSON.stringify(record) })));
    },
  };
}

/** How many records a queue holds, waiting or being processed (approximate, as SQS counts them). */
export interface QueueDepth {
  depth(queue: QueueKey): Promise<number>;
}

export function sqsQueueDepth(client: SQSClient = sqsClient(), queueUrls = config().sqs.queueUrls): QueueDepth {
  return {
    async depth(queue) {
      const { Attributes = {} } = await guarded('queue', () =>
        client.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrls[queue],
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
          }),
        ),
      );
      return Object.values(Attributes).reduce((sum, value) => sum + Number(value ?? 0), 0);
    },
  };
}

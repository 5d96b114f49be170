import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
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

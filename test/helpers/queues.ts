import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { sqsBackend } from '../../infra/local/environment';
import { localSqsClient } from '../../infra/local/platform';

const sqs = localSqsClient('test');

export const closeQueues = () => sqs.destroy();

export type QueueKey = 'chats' | 'messages';

export const queueUrl = (key: QueueKey) => process.env[`${key.toUpperCase()}_QUEUE_URL`]!;
export const deadLetterQueueUrl = (key: QueueKey) => process.env[`${key.toUpperCase()}_DLQ_URL`]!;

export async function sendRaw(key: QueueKey, body: string): Promise<string> {
  const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(key), MessageBody: body }));
  return MessageId!;
}

/** Messages in a queue, visible or in flight. */
export async function queueDepth(url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

/** Takes every message currently in a dead-letter queue (deleting none; they stay in flight briefly). */
export async function drainDeadLetters(key: QueueKey): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl(key), MaxNumberOfMessages: 10, VisibilityTimeout: 30, MessageSystemAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return out;
    out.push(...Messages);
  }
}

/**
 * LocalStack loses its queues and messages when it restarts (even with PERSISTENCE=1), so a test that
 * restarts the SQS server runs on ElasticMQ only: `describeIfSqsKeepsQueuesOnRestart(...)`.
 */
export const describeIfSqsKeepsQueuesOnRestart = sqsBackend() === 'elasticmq' ? describe : describe.skip;

import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { config, type Config, type QueueKey } from '../config';
import { guarded } from '../domain/errors';
import { encodeRecord } from '../domain/transport';

/**
 * An SQS client whose every call has a deadline: connection and response timeouts per attempt, and
 * a bounded number of attempts, so a request answers 503 within its Lambda timeout (config.ts).
 */
export function createSqsClient(sqs: Config['sqs'] = config().sqs): SQSClient {
  return new SQSClient({
    region: sqs.region,
    endpoint: sqs.endpoint,
    maxAttempts: sqs.maxAttempts,
    // Without throwOnRequestTimeout the SDK only logs a breach of requestTimeout and keeps waiting.
    requestHandler: { connectionTimeout: sqs.connectTimeoutMs, requestTimeout: sqs.requestTimeoutMs, throwOnRequestTimeout: true },
  });
}

let client: SQSClient | undefined;

/** The one SQS client of this container; locally it points at the SQS-compatible server. */
export function sqsClient(): SQSClient {
  client ??= createSqsClient();
  return client;
}

/** Error codes that mean "SQS cannot take this now" (retry later), whatever their HTTP status. */
const SQS_OUTAGE_CODES = new Set([
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'ThrottlingException',
  'Throttling',
  'RequestThrottled',
  'KmsThrottled',
  'OverLimit',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/**
 * Classified by error code, not by HTTP class: throttling, a missing queue (a deploy in progress),
 * network errors and 5xx are outages (503 + Retry-After). InvalidMessageContents, a message too long
 * and other 4xx are bad input or a bug: never a 503, which a client would retry forever.
 */
export function isSqsOutage(error: unknown): boolean {
  const { name, code, Code, $metadata } = (error ?? {}) as { name?: string; code?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  if ([name, code, Code].some((value) => value !== undefined && SQS_OUTAGE_CODES.has(value))) return true;
  const status = $metadata?.httpStatusCode;
  // No HTTP status: the request never got an answer (refused, reset, DNS, timed out).
  if (status === undefined) return true;
  return status >= 500;
}

/** A queue the API enqueues records to. */
export interface RecordQueue {
  send(queue: QueueKey, record: object): Promise<void>;
}

/** Sends one record with one SendMessage; resolves only once SQS has accepted (stored) it. */
export function sqsQueue(client: SQSClient = sqsClient(), queueUrls = config().sqs.queueUrls): RecordQueue {
  return {
    async send(queue, record) {
      await guarded('queue', () => client.send(new SendMessageCommand({ QueueUrl: queueUrls[queue], MessageBody: encodeRecord(record) })), isSqsOutage);
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
        isSqsOutage,
      );
      return Object.values(Attributes).reduce((sum, value) => sum + Number(value ?? 0), 0);
    },
  };
}

import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * Delivers SQS batches to a function the way the AWS event source mapping does, because
 * serverless-offline ignores `sqs` events and serverless-offline-sqs deletes every record whatever
 * the handler answers. Per batch: gather up to `batchSize` records within `windowSeconds`, invoke the
 * function through serverless-offline's Lambda endpoint, delete the records that succeeded, and
 * leave the ones in `batchItemFailures` (all of them when the invocation itself failed) to become
 * visible again, so the queue's redrive policy moves a record failing too often to its DLQ.
 */
export interface DeliveryTarget {
  queueUrl: string;
  functionName: string;
  batchSize: number;
  windowSeconds: number;
}

export interface DeliveryOptions {
  sqs: SQSClient;
  lambdaEndpoint: string;
  region: string;
  /**
   * Local-only shortcut: a failed record becomes visible again after this many seconds instead of
   * the queue's visibility timeout (minutes), so retries and redrive can be watched, and tested.
   */
  retryDelaySeconds?: number;
  log?: (line: string) => void;
  /**
   * Batches in flight at once (default LOCAL_CONCURRENT_BATCHES). The AWS event source mapping polls
   * with several pollers from the start and invokes the function concurrently; one batch at a time
   * left the consumer idle while SQS round trips ran, at a tenth of the database's rate (npm run bench).
   */
  concurrentBatches?: number;
}

/** AWS starts an SQS event source mapping with five pollers; two cores run three batches well. */
export const LOCAL_CONCURRENT_BATCHES = 3;

export interface BatchOutcome {
  received: number;
  failed: string[];
  invocationError?: string;
}

const SQS_RECEIVE_MAX = 10;

function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** Which records failed, read as AWS reads a ReportBatchItemFailures response. */
export function failedRecordIds(records: SQSRecord[], response: unknown): string[] {
  const all = records.map((record) => record.messageId);
  if (response === null || response === undefined || response === '') return [];
  const failures = (response as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return all;
  const ids = new Set(all);
  const failed = failures.map((failure) => failure?.itemIdentifier);
  // AWS treats an empty or unknown identifier as a failure of the whole batch.
  if (failed.some((id) => typeof id !== 'string' || !ids.has(id))) return all;
  return [...new Set(failed as string[])];
}

async function invoke(endpoint: string, functionName: string, event: SQSEvent): Promise<{ result?: unknown; error?: string }> {
  const response = await fetch(`${endpoint}/2015-03-31/functions/${functionName}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  const text = await response.text();
  if (!response.ok || response.headers.get('x-amz-function-error')) {
    return { error: `${response.status} ${response.headers.get('x-amz-function-error') ?? ''} ${text}`.trim() };
  }
  return { result: text ? JSON.parse(text) : undefined };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class QueueDelivery {
  private stopped = false;
  private loops: Promise<void>[] = [];
  private queueArn?: string;

  constructor(
    private readonly target: DeliveryTarget,
    private readonly options: DeliveryOptions,
  ) {}

  start(): void {
    const loops = this.options.concurrentBatches ?? LOCAL_CONCURRENT_BATCHES;
    this.loops = Array.from({ length: Math.max(1, loops) }, () => this.run());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const outcome = await this.deliverOneBatch();
        if (outcome.received > 0) {
          const failed = outcome.invocationError ? `invocation failed: ${outcome.invocationError}` : `${outcome.failed.length} failed`;
          this.options.log?.(`${this.target.functionName}: ${outcome.received} records, ${failed}`);
        }
      } catch (error) {
        if (this.stopped) break;
        this.options.log?.(`${this.target.functionName}: delivery error: ${(error as Error).message}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** Receives one batch (up to batchSize within the window), delivers it, settles each record. */
  async deliverOneBatch(): Promise<BatchOutcome> {
    const { sqs, region } = this.options;
    const { queueUrl, batchSize, windowSeconds, functionName } = this.target;
    this.queueArn ??= (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const messages: Message[] = [];
    const deadline = Date.now() + windowSeconds * 1000;
    do {
      // SQS returns at most 10 records a call: once records flow, the rest of the batch is asked for in
      // parallel, so a batch of 100 costs two round trips instead of ten. The first call long-polls.
      const wanted = batchSize - messages.length;
      const calls = messages.length === 0 ? 1 : Math.ceil(wanted / SQS_RECEIVE_MAX);
      const replies = await Promise.all(
        Array.from({ length: calls }, (_, i) =>
          sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: queueUrl,
              MaxNumberOfMessages: Math.min(SQS_RECEIVE_MAX, wanted - i * SQS_RECEIVE_MAX),
              // Short long-polls keep stop() prompt while still not spinning on an empty queue.
              WaitTimeSeconds: messages.length === 0 ? 1 : 0,
              MessageSystemAttributeNames: ['All'],
              MessageAttributeNames: ['All'],
            }),
          ),
        ),
      );
      const Messages = replies.flatMap((reply) => reply.Messages ?? []);
      messages.push(...Messages);
      if (Messages.length === 0 && messages.length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    } while (messages.length > 0 && messages.length < batchSize && Date.now() < deadline && !this.stopped);
    if (messages.length === 0) return { received: 0, failed: [] };

    const records = messages.map((message) => toRecord(message, this.queueArn ?? queueUrl, region));
    const { result, error } = await invoke(this.options.lambdaEndpoint, functionName, { Records: records });
    const failed = error ? records.map((r) => r.messageId) : failedRecordIds(records, result);
    const failedSet = new Set(failed);
    const succeeded = records.filter((r) => !failedSet.has(r.messageId));
    // In parallel, as the receives: one round trip per batch instead of one per ten records.
    await Promise.all(
      chunks(succeeded, SQS_RECEIVE_MAX).map((group) =>
        sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: group.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
          }),
        ),
      ),
    );
    if (this.options.retryDelaySeconds !== undefined) {
      const retry = records.filter((r) => failedSet.has(r.messageId));
      for (const group of chunks(retry, SQS_RECEIVE_MAX)) {
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: group.map((r, i) => ({
              Id: String(i),
              ReceiptHandle: r.receiptHandle,
              VisibilityTimeout: this.options.retryDelaySeconds,
            })),
          }),
        );
      }
    }
    return { received: records.length, failed, invocationError: error };
  }
}

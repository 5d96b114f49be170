import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { performance } from 'node:perf_hooks';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * Delivers SQS batches to a function the way the AWS event source mapping does, because
 * serverless-offline ignores `sqs` events and serverless-offline-sqs deletes every record whatever
 * the handler answers. Per batch: gather up to `batchSize` records and at most 6 MB of event within
 * `windowSeconds`, invoke the function through serverless-offline's Lambda endpoint, delete the
 * records that succeeded, and leave the ones in `batchItemFailures` (all of them when the function
 * failed) to become visible again, so the queue's redrive policy moves a record failing too often to
 * its DLQ.
 *
 * A delivery-side error (the invoke endpoint down or answering an error of its own) is not the
 * function's failure: SQS counts every receive towards the DLQ, so the batch is kept in hand and
 * nothing more is received until the endpoint takes it. The same holds when the function failed
 * because a dependency is down (it throws ServiceUnavailable, see shared/queue/batch-handler.ts):
 * the records are not at fault, and the local retry shortcut would otherwise spend their receives
 * within seconds of an outage and move acknowledged records to the DLQ. (On AWS a failed batch is
 * invisible for the queue's visibility timeout, 3 minutes, five receives: a quarter of an hour.)
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
  /** The largest event one invocation may carry; AWS's (and serverless-offline's) 6 MB by default. */
  maxEventBytes?: number;
  log?: (line: string) => void;
  /**
   * Batches in flight at once (default LOCAL_CONCURRENT_BATCHES). The AWS event source mapping polls
   * with several pollers from the start and invokes the function concurrently; one batch at a time
   * left the consumer idle while SQS round trips ran, at a tenth of the database's rate (npm run bench).
   */
  concurrentBatches?: number;
  /** Called after each delivered batch with where its time went (the ingest profile: test/bench/profile-ingest.ts). */
  onBatchTimings?: (timings: BatchTimings) => void;
}

/** One batch's wall time per stage, in ms: gathering it from SQS, the invocation, the deletes. */
export interface BatchTimings {
  records: number;
  receiveMs: number;
  invokeMs: number;
  settleMs: number;
}

/** AWS starts an SQS event source mapping with five pollers; two cores run three batches well. */
export const LOCAL_CONCURRENT_BATCHES = 3;

export interface BatchOutcome {
  received: number;
  failed: string[];
  invocationError?: string;
  /** The invoke endpoint (or a dependency of the function) could not take the batch: nothing failed, the batch is held for a retry. */
  deliveryError?: string;
  /** Records delivered successfully whose delete SQS refused: they come back, and the consumer is idempotent. */
  undeleted?: string[];
}

const SQS_RECEIVE_MAX = 10;
/** serverless-offline's invoke endpoint refuses larger bodies (413), as AWS caps an invocation payload. */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;
/** `{"Records":[` and `]}` around the records. */
const EVENT_ENVELOPE_BYTES = Buffer.byteLength('{"Records":[]}');

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

/** The bytes a record adds to the event (its JSON and a separating comma). */
export const recordBytes = (record: SQSRecord) => Buffer.byteLength(JSON.stringify(record)) + 1;

/**
 * The next batch: records in order while both bounds hold (count and event bytes). A record that
 * alone exceeds the byte bound still goes, alone: AWS delivers what SQS accepted.
 */
export function takeBatch<T>(items: T[], sizeOf: (item: T) => number, maxCount: number, maxBytes: number): { batch: T[]; rest: T[] } {
  let bytes = EVENT_ENVELOPE_BYTES;
  let count = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (count >= maxCount || (count > 0 && bytes + size > maxBytes)) break;
    bytes += size;
    count += 1;
  }
  return { batch: items.slice(0, count), rest: items.slice(count) };
}

type Invocation =
  | { kind: 'result'; result: unknown }
  | { kind: 'functionError'; error: string }
  | { kind: 'tooLarge'; error: string }
  | { kind: 'deliveryError'; error: string };

/** The error type the consumers throw when MySQL or OpenSearch is unreachable. */
const DEPENDENCY_OUTAGE = 'ServiceUnavailable';

/**
 * The type of the error a failed invocation threw: Lambda's `errorType` (the error's name).
 * serverless-offline always answers "Error" there, so its trace's first line ("Name: message") says.
 */
export function functionErrorType(payload: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { errorType, trace, stackTrace } = parsed as { errorType?: unknown; trace?: unknown; stackTrace?: unknown };
  const declared = typeof errorType === 'string' ? errorType : undefined;
  if (declared !== undefined && declared !== 'Error') return declared;
  const lines = trace ?? stackTrace;
  const first = Array.isArray(lines) && typeof lines[0] === 'string' ? lines[0] : '';
  return /^(\w+):/.exec(first)?.[1] ?? declared;
}

async function invoke(endpoint: string, functionName: string, event: SQSEvent): Promise<Invocation> {
  let response: Response;
  try {
    response = await fetch(`${endpoint}/2015-03-31/functions/${functionName}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
  } catch (error) {
    return { kind: 'deliveryError', error: `invoke endpoint unreachable: ${(error as Error).cause ?? (error as Error).message}` };
  }
  const text = await response.text();
  const functionError = response.headers.get('x-amz-function-error');
  if (functionError) {
    const error = `${response.status} ${functionError} ${text}`.trim();
    // A dependency is down: the records are not at fault; held like an endpoint outage.
    if (functionErrorType(text) === DEPENDENCY_OUTAGE) return { kind: 'deliveryError', error: `a dependency of the function is down: ${error}` };
    // The function ran and failed (threw, timed out): AWS counts that against every record.
    return { kind: 'functionError', error };
  }
  if (response.status === 413) return { kind: 'tooLarge', error: `413 ${text}`.trim() };
  // Any other error is the endpoint's own (not found, overloaded, restarting): the function never ran.
  if (!response.ok) return { kind: 'deliveryError', error: `invoke endpoint answered ${response.status} ${text}`.trim() };
  return { kind: 'result', result: text ? JSON.parse(text) : undefined };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class QueueDelivery {
  private stopped = false;
  private loops: Promise<void>[] = [];
  private queueArn?: string;
  /**
   * Received, not yet delivered: the overflow of a full batch, or a batch the endpoint could not take.
   * Shared by the concurrent batches: each takes all of it when it gathers, and gives back what it
   * does not deliver, so a record is only ever in one batch.
   */
  private held: SQSRecord[] = [];
  /** Set while the invoke endpoint, or the function's dependency, cannot take batches: nothing more is received meanwhile. */
  private endpointDown = false;

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
    let backoffMs = 250;
    while (!this.stopped) {
      try {
        const outcome = await this.deliverOneBatch();
        if (outcome.deliveryError) {
          this.options.log?.(`${this.target.functionName}: ${outcome.deliveryError}; holding ${this.held.length} records, not receiving`);
          await sleep(backoffMs);
          backoffMs = Math.min(backoffMs * 2, 5000);
          continue;
        }
        backoffMs = 250;
        if (outcome.received > 0) {
          const failed = outcome.invocationError ? `invocation failed: ${outcome.invocationError}` : `${outcome.failed.length} failed`;
          this.options.log?.(`${this.target.functionName}: ${outcome.received} records, ${failed}`);
        }
      } catch (error) {
        if (this.stopped) break;
        this.options.log?.(`${this.target.functionName}: delivery error: ${(error as Error).message}; retrying`);
        await sleep(1000);
      }
    }
  }

  /** Receives until the batch is full (count or bytes) or the window closes; nothing while the endpoint is down. */
  private async gather(): Promise<SQSRecord[]> {
    const { sqs, region, maxEventBytes = MAX_EVENT_BYTES } = this.options;
    const { queueUrl, batchSize, windowSeconds } = this.target;
    this.queueArn ??= (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    const records = this.held;
    this.held = [];
    if (this.endpointDown) {
      // Another batch holds the records and retries them: wait instead of spinning on an empty hand
      // (a loop of resolved promises would starve the event loop, that batch's retry included).
      if (records.length === 0) await sleep(250);
      return records;
    }
    let bytes = records.reduce((sum, record) => sum + recordBytes(record), EVENT_ENVELOPE_BYTES);
    const deadline = Date.now() + windowSeconds * 1000;
    while (records.length < batchSize && bytes < maxEventBytes && !this.stopped) {
      // What overshoots the byte bound is held for the next batch (takeBatch).
      const wanted = batchSize - records.length;
      const calls = records.length === 0 ? 1 : Math.ceil(wanted / SQS_RECEIVE_MAX);
      const replies = await this.receive(calls, wanted, records.length === 0).catch((error: unknown) => {
        // SQS went away with records already in hand: deliver those (they are received, and would
        // otherwise sit invisible for the whole visibility timeout). With none, the loop retries.
        if (records.length === 0) throw error;
        this.options.log?.(`${this.target.functionName}: receive failed (${(error as Error).message}); delivering the ${records.length} records in hand`);
        return undefined;
      });
      if (!replies) break;
      const Messages = replies.flatMap((reply) => reply.Messages ?? []);
      for (const message of Messages) {
        const record = toRecord(message, this.queueArn ?? queueUrl, region);
        records.push(record);
        bytes += recordBytes(record);
      }
      if (records.length === 0 || Date.now() >= deadline) break;
      if (Messages.length === 0) await sleep(50);
    }
    return records;
  }

  /**
   * `calls` ReceiveMessage calls in parallel for up to `wanted` records. SQS returns at most 10 a call:
   * once records flow, the rest of a batch is asked for at once, so a batch of 100 costs two round
   * trips instead of ten. The first call of a batch long-polls briefly: stop() stays prompt, and an
   * empty queue is not spun on.
   */
  private receive(calls: number, wanted: number, longPoll: boolean) {
    const { sqs } = this.options;
    return Promise.all(
      Array.from({ length: calls }, (_, i) =>
        sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.target.queueUrl,
            MaxNumberOfMessages: Math.min(SQS_RECEIVE_MAX, wanted - i * SQS_RECEIVE_MAX),
            WaitTimeSeconds: longPoll ? 1 : 0,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        ),
      ),
    );
  }

  /** Receives one batch (up to batchSize and 6 MB within the window), delivers it, settles each record. */
  async deliverOneBatch(): Promise<BatchOutcome> {
    const startedAt = performance.now();
    const gathered = await this.gather();
    if (gathered.length === 0) return { received: 0, failed: [] };
    const { batch, rest } = takeBatch(gathered, recordBytes, this.target.batchSize, this.options.maxEventBytes ?? MAX_EVENT_BYTES);
    this.held.push(...rest);
    const timings = this.options.onBatchTimings && { records: batch.length, receiveMs: performance.now() - startedAt, invokeMs: 0, settleMs: 0 };
    const outcome = await this.deliverAndSettle(batch, timings);
    if (timings) this.options.onBatchTimings!(timings);
    this.endpointDown = outcome.deliveryError !== undefined;
    return outcome;
  }

  /**
   * Invokes the function with the records and settles them. A 413 (the event over the endpoint's
   * limit despite the bound) splits the records in halves; a record alone too large fails, as AWS
   * would fail it. A delivery-side error holds the records, in order, for the next attempt.
   */
  private async deliverAndSettle(batch: SQSRecord[], timings?: BatchTimings): Promise<BatchOutcome> {
    const invokedAt = performance.now();
    const invocation = await invoke(this.options.lambdaEndpoint, this.target.functionName, { Records: batch });
    if (timings) timings.invokeMs += performance.now() - invokedAt;
    if (invocation.kind === 'deliveryError') {
      this.held = [...batch, ...this.held];
      return { received: batch.length, failed: [], deliveryError: invocation.error };
    }
    if (invocation.kind === 'tooLarge' && batch.length > 1) {
      const middle = Math.ceil(batch.length / 2);
      const first = await this.deliverAndSettle(batch.slice(0, middle), timings);
      if (first.deliveryError) {
        this.held.splice(middle, 0, ...batch.slice(middle));
        return { ...first, received: batch.length };
      }
      const second = await this.deliverAndSettle(batch.slice(middle), timings);
      const undeleted = [...(first.undeleted ?? []), ...(second.undeleted ?? [])];
      return {
        received: batch.length,
        failed: [...first.failed, ...second.failed],
        invocationError: [first.invocationError, second.invocationError].filter(Boolean).join('; ') || undefined,
        deliveryError: second.deliveryError,
        ...(undeleted.length ? { undeleted } : {}),
      };
    }
    const invocationError = invocation.kind === 'result' ? undefined : invocation.error;
    const failed = invocation.kind === 'result' ? failedRecordIds(batch, invocation.result) : batch.map((r) => r.messageId);
    const failedSet = new Set(failed);
    const settledAt = performance.now();
    const undeleted = await this.settle(
      batch.filter((r) => !failedSet.has(r.messageId)),
      batch.filter((r) => failedSet.has(r.messageId)),
    );
    if (timings) timings.settleMs += performance.now() - settledAt;
    return { received: batch.length, failed, invocationError, ...(undeleted.length ? { undeleted } : {}) };
  }

  /**
   * Deletes what succeeded and, locally, makes the failures visible again sooner. SQS answers a batch
   * call per entry: failed entries are retried once, and deletes that still fail are reported (those
   * records come back and are delivered again; the consumers are idempotent).
   */
  private async settle(succeeded: SQSRecord[], failed: SQSRecord[]): Promise<string[]> {
    const { sqs, retryDelaySeconds } = this.options;
    const { queueUrl, functionName } = this.target;
    const undeleted: string[] = [];
    // The groups in parallel, as the receives: one round trip per batch instead of one per ten records.
    const deleteGroup = async (group: SQSRecord[]) => {
      let pending = group;
      for (let attempt = 1; attempt <= 2 && pending.length > 0; attempt++) {
        const { Failed = [] } = await sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })) }),
        );
        const failedIds = new Set(Failed.map((entry) => entry.Id));
        if (attempt === 2 || Failed.length === 0) {
          for (const entry of Failed) {
            const record = pending[Number(entry.Id)];
            if (record) undeleted.push(record.messageId);
            this.options.log?.(`${functionName}: could not delete ${record?.messageId}: ${entry.Code} ${entry.Message ?? ''}; it will be delivered again`);
          }
        }
        pending = pending.filter((_, i) => failedIds.has(String(i)));
      }
    };
    await Promise.all(chunks(succeeded, SQS_RECEIVE_MAX).map(deleteGroup));
    if (retryDelaySeconds !== undefined) {
      for (const group of chunks(failed, SQS_RECEIVE_MAX)) {
        const { Failed = [] } = await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: group.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle, VisibilityTimeout: retryDelaySeconds })),
          }),
        );
        // Harmless: those records come back after the queue's own visibility timeout instead.
        for (const entry of Failed) this.options.log?.(`${functionName}: could not shorten the visibility of ${group[Number(entry.Id)]?.messageId}: ${entry.Code}`);
      }
    }
    return undeleted;
  }
}

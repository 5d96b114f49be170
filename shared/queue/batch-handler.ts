import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { z } from 'zod';
import { ServiceUnavailable } from '../domain/errors';
import { describeError, log } from '../http/log';
import { addLambdaContext } from '../observability/logger';
import { flushMetrics, recordMetric } from '../observability/metrics';

/** One queue record after its body was parsed and validated. */
export interface QueueItem<T> {
  id: string;
  body: T;
  receiveCount: number;
}

/** The correlation id a record carries from the request that enqueued it (older records have none). */
const correlationIdOf = (body: unknown): string | undefined => {
  const value = (body as { correlationId?: unknown } | null)?.correlationId;
  return typeof value === 'string' ? value : undefined;
};

/** A record the consumer could not process, with the reason (logged, and retried by SQS). */
export interface ItemFailure {
  id: string;
  reason: string;
}

export type BatchProcessor<T> = (items: QueueItem<T>[]) => Promise<ItemFailure[]>;

function parseBody<S extends z.ZodType>(schema: S, body: string): { ok: true; value: z.infer<S> } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const result = schema.safeParse(json);
  return result.success ? { ok: true, value: result.data } : { ok: false, reason: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

/**
 * The one SQS batch consumer shape: parse and validate every record, hand the valid ones to
 * `process`, and report as `batchItemFailures` the malformed ones plus those `process` says failed,
 * so SQS retries only those (and moves a record failing `maxReceiveCount` times to the DLQ). If
 * `process` throws, every valid record of the batch is reported failed: nothing is dropped.
 *
 * A dependency outage (ServiceUnavailable: MySQL or OpenSearch unreachable) is no record's fault, so
 * it fails the invocation itself: the event source mapping backs off on function errors instead of
 * feeding the next batches to a dead database, the consumer's Errors alarm fires, and the local
 * delivery holds the batch until the dependency is back rather than spending its receives.
 */
export function batchHandler<S extends z.ZodType>(name: string, schema: S, process: BatchProcessor<z.infer<S>>) {
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    addLambdaContext(context);
    const failures: ItemFailure[] = [];
    const items: QueueItem<z.infer<S>>[] = [];
    const correlationOf = new Map<string, string>();
    const now = Date.now();
    let oldestSentAt = now;
    for (const record of event.Records) {
      const sentAt = Number(record.attributes.SentTimestamp);
      if (Number.isFinite(sentAt) && sentAt > 0) oldestSentAt = Math.min(oldestSentAt, sentAt);
      const parsed = parseBody(schema, record.body);
      if (parsed.ok) {
        items.push({ id: record.messageId, body: parsed.value, receiveCount: Number(record.attributes.ApproximateReceiveCount) });
        const correlationId = correlationIdOf(parsed.value);
        if (correlationId) correlationOf.set(record.messageId, correlationId);
      } else failures.push({ id: record.messageId, reason: `malformed record: ${parsed.reason}` });
    }
    if (items.length > 0) {
      try {
        failures.push(...(await process(items)));
      } catch (error) {
        log('error', `${name}: batch failed`, { requestId: context?.awsRequestId, records: items.length, ...describeError(error) });
        if (error instanceof ServiceUnavailable) {
          recordMetric('ConsumerOutages', 1, 'Count', { consumer: name });
          flushMetrics();
          throw error;
        }
        failures.push(...items.map((item) => ({ id: item.id, reason: 'batch failed' })));
      }
    }
    for (const failure of failures) {
      log('warn', `${name}: record failed`, {
        requestId: context?.awsRequestId,
        messageId: failure.id,
        correlation_id: correlationOf.get(failure.id),
        reason: failure.reason,
      });
    }
    const batchItemFailures: SQSBatchItemFailure[] = [...new Set(failures.map((f) => f.id))].map((itemIdentifier) => ({ itemIdentifier }));
    log('info', `${name}: batch done`, {
      requestId: context?.awsRequestId,
      records: event.Records.length,
      failed: batchItemFailures.length,
      // The requests whose records this batch carried: a search by correlation id finds this line.
      correlationIds: [...new Set(correlationOf.values())],
    });
    const consumer = { consumer: name };
    recordMetric('ConsumerBatchSize', event.Records.length, 'Count', consumer);
    recordMetric('RecordsPersisted', event.Records.length - batchItemFailures.length, 'Count', consumer);
    recordMetric('RecordFailures', batchItemFailures.length, 'Count', consumer);
    // Queue lag: how long the oldest record of the batch waited between SendMessage and this consumer.
    recordMetric('QueueLag', now - oldestSentAt, 'Milliseconds', consumer);
    flushMetrics();
    return { batchItemFailures };
  };
}

import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { z } from 'zod';
import { describeError, log } from '../http/log';

/** One queue record after its body was parsed and validated. */
export interface QueueItem<T> {
  id: string;
  body: T;
  receiveCount: number;
}

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
 */
export function batchHandler<S extends z.ZodType>(name: string, schema: S, process: BatchProcessor<z.infer<S>>) {
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    const failures: ItemFailure[] = [];
    const items: QueueItem<z.infer<S>>[] = [];
    for (const record of event.Records) {
      const parsed = parseBody(schema, record.body);
      if (parsed.ok) items.push({ id: record.messageId, body: parsed.value, receiveCount: Number(record.attributes.ApproximateReceiveCount) });
      else failures.push({ id: record.messageId, reason: `malformed record: ${parsed.reason}` });
    }
    if (items.length > 0) {
      try {
        failures.push(...(await process(items)));
      } catch (error) {
        log('error', `${name}: batch failed`, { requestId: context?.awsRequestId, records: items.length, ...describeError(error) });
        failures.push(...items.map((item) => ({ id: item.id, reason: 'batch failed' })));
      }
    }
    for (const failure of failures) {
      log('warn', `${name}: record failed`, { requestId: context?.awsRequestId, messageId: failure.id, reason: failure.reason });
    }
    log('info', `${name}: batch done`, { requestId: context?.awsRequestId, records: event.Records.length, failed: failures.length });
    const batchItemFailures: SQSBatchItemFailure[] = [...new Set(failures.map((f) => f.id))].map((itemIdentifier) => ({ itemIdentifier }));
    return { batchItemFailures };
  };
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { ServiceUnavailable } from '../../shared/domain/errors';
import { eventually } from '../helpers/eventually';
import { failedRecordIds, functionErrorType, MAX_EVENT_BYTES, QueueDelivery, takeBatch, type BatchOutcome } from '../../infra/local/sqs-delivery';

const records = ['a', 'b', 'c'].map((messageId) => ({ messageId }) as SQSRecord);

describe('failedRecordIds (how AWS reads a ReportBatchItemFailures response)', () => {
  it('treats an empty response or an empty list as full success', () => {
    expect(failedRecordIds(records, undefined)).toEqual([]);
    expect(failedRecordIds(records, null)).toEqual([]);
    expect(failedRecordIds(records, {})).toEqual([]);
    expect(failedRecordIds(records, { batchItemFailures: [] })).toEqual([]);
  });

  it('retries only the listed records', () => {
    expect(failedRecordIds(records, { batchItemFailures: [{ itemIdentifier: 'b' }] })).toEqual(['b']);
  });

  it('fails the whole batch when an identifier is empty or unknown', () => {
    expect(failedRecordIds(records, { batchItemFailures: [{ itemIdentifier: '' }] })).toEqual(['a', 'b', 'c']);
    expect(failedRecordIds(records, { batchItemFailures: [{ itemIdentifier: 'zzz' }] })).toEqual(['a', 'b', 'c']);
  });
});

describe('QueueDelivery (against an in-memory SQS and a local invoke endpoint)', () => {
  /** Just enough SQS: visible messages, receives counted per message, per-entry batch answers. */
  class FakeSqs {
    messages = new Map<string, { body: string; inFlight: boolean; receives: number }>();
    receiveCalls = 0;
    deleted: string[] = [];
    visibilityChanges = 0;
    /** Receipt handles whose first delete attempt fails (SQS answers per entry). */
    failDeleteOnce = new Set<string>();
    failDeleteAlways = new Set<string>();
    /** Receive calls after this many fail, as when the SQS server goes away mid-batch. */
    receivesBeforeOutage = Infinity;

    add(count: number, body: (i: number) => string) {
      for (let i = 0; i < count; i++) this.messages.set(`m${this.messages.size + 1}`, { body: body(i), inFlight: false, receives: 0 });
    }

    async send(command: { constructor: { name: string }; input: any }) {
      const { input } = command;
      switch (command.constructor.name) {
        case 'GetQueueAttributesCommand':
          return { Attributes: { QueueArn: 'arn:aws:sqs:us-east-1:000000000000:q' } };
        case 'ReceiveMessageCommand': {
          this.receiveCalls += 1;
          if (this.receiveCalls > this.receivesBeforeOutage) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          const visible = [...this.messages.entries()].filter(([, m]) => !m.inFlight).slice(0, input.MaxNumberOfMessages);
          // A long poll on an empty queue waits (briefly here), as SQS does.
          if (visible.length === 0 && input.WaitTimeSeconds) await new Promise((resolve) => setTimeout(resolve, 20));
          return {
            Messages: visible.map(([id, m]) => {
              m.inFlight = true;
              m.receives += 1;
              return { MessageId: id, ReceiptHandle: id, Body: m.body, Attributes: { ApproximateReceiveCount: String(m.receives) } };
            }),
          };
        }
        case 'DeleteMessageBatchCommand': {
          const Failed: { Id: string; Code: string; SenderFault: boolean }[] = [];
          for (const entry of input.Entries) {
            if (this.failDeleteAlways.has(entry.ReceiptHandle) || this.failDeleteOnce.delete(entry.ReceiptHandle)) {
              Failed.push({ Id: entry.Id, Code: 'InternalError', SenderFault: false });
            } else {
              this.messages.delete(entry.ReceiptHandle);
              this.deleted.push(entry.ReceiptHandle);
            }
          }
          return { Failed };
        }
        case 'ChangeMessageVisibilityBatchCommand':
          this.visibilityChanges += input.Entries.length;
          return { Failed: [] };
        default:
          throw new Error(`unexpected ${command.constructor.name}`);
      }
    }
  }

  /** An invoke endpoint like serverless-offline's: 413 above 6 MiB, else every record succeeds. */
  let server: Server;
  let endpoint: string;
  let eventSizes: number[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      const parts: Buffer[] = [];
      request.on('data', (part: Buffer) => parts.push(part));
      request.on('end', () => {
        const size = Buffer.concat(parts).byteLength;
        eventSizes.push(size);
        response.writeHead(size > MAX_EVENT_BYTES ? 413 : 200, { 'content-type': 'application/json' });
        response.end(size > MAX_EVENT_BYTES ? '{"message":"Payload content length greater than maximum allowed"}' : '{"batchItemFailures":[]}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    eventSizes = [];
  });

  const deliveryOf = (sqs: FakeSqs, lambdaEndpoint = endpoint, maxEventBytes?: number) =>
    new QueueDelivery(
      { queueUrl: 'http://sqs/q', functionName: 'consumer', batchSize: 100, windowSeconds: 0 },
      { sqs: sqs as unknown as SQSClient, lambdaEndpoint, region: 'us-east-1', retryDelaySeconds: 1, maxEventBytes },
    );

  const drain = async (delivery: QueueDelivery, sqs: FakeSqs) => {
    const outcomes: BatchOutcome[] = [];
    for (let i = 0; i < 50 && sqs.messages.size > 0; i++) outcomes.push(await delivery.deliverOneBatch());
    return outcomes;
  };

  it('bounds a batch by bytes as well as count: 90 records of 60 KB all arrive, none fails, none is received twice', async () => {
    const sqs = new FakeSqs();
    // A 10,000-character message of control characters is ~60 KB once escaped as \u0001 in the record.
    sqs.add(90, (i) => JSON.stringify({ n: i, content: '\u0001'.repeat(10_000) }));

    const outcomes = await drain(deliveryOf(sqs), sqs);

    expect(sqs.messages.size).toBe(0);
    expect(outcomes.flatMap((o) => o.failed)).toEqual([]);
    expect(Math.max(...eventSizes)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(eventSizes.length).toBeGreaterThan(1);
    expect(sqs.deleted).toHaveLength(90);
    expect(new Set(sqs.deleted).size).toBe(90);
  });

  it('a record that alone exceeds the byte bound is still delivered, alone', async () => {
    const sqs = new FakeSqs();
    sqs.add(3, (i) => (i === 1 ? 'x'.repeat(5000) : 'small'));

    const outcomes = await drain(deliveryOf(sqs, endpoint, 2000), sqs);

    expect(outcomes.map((o) => o.received)).toEqual([1, 1, 1]);
    expect(outcomes.flatMap((o) => o.failed)).toEqual([]);
    expect(sqs.messages.size).toBe(0);
  });

  it('while the invoke endpoint is down, nothing fails and nothing more is received; the held batch goes once it is back', async () => {
    const sqs = new FakeSqs();
    sqs.add(5, (i) => `record ${i}`);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const downEndpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const delivery = deliveryOf(sqs, downEndpoint);

    const first = await delivery.deliverOneBatch();
    const receivesWhileDown = sqs.receiveCalls;
    const second = await delivery.deliverOneBatch();

    expect(first.deliveryError).toMatch(/unreachable/);
    expect(first.failed).toEqual([]);
    expect(second.deliveryError).toBeDefined();
    expect(sqs.receiveCalls).toBe(receivesWhileDown);
    expect(sqs.visibilityChanges).toBe(0);
    expect([...sqs.messages.values()].map((m) => m.receives)).toEqual([1, 1, 1, 1, 1]);

    (delivery as unknown as { options: { lambdaEndpoint: string } }).options.lambdaEndpoint = endpoint;
    const third = await delivery.deliverOneBatch();

    expect(third).toMatchObject({ received: 5, failed: [] });
    expect(sqs.messages.size).toBe(0);
  });

  /** An invoke endpoint whose function throws `error` (a serverless-offline answer: errorType is always "Error"). */
  async function failingEndpoint(error: Error): Promise<{ url: string; close(): Promise<void> }> {
    const failing = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        response.end(JSON.stringify({ errorMessage: error.message, errorType: 'Error', trace: error.stack!.split('\n') }));
      });
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(failing.address() as AddressInfo).port}`, close: () => new Promise((resolve) => failing.close(() => resolve())) };
  }

  it('holds the batch, receiving nothing more, while the function reports a dependency outage; delivers it once the dependency is back', async () => {
    const sqs = new FakeSqs();
    sqs.add(5, (i) => `record ${i}`);
    const failing = await failingEndpoint(new ServiceUnavailable('database'));
    const delivery = deliveryOf(sqs, failing.url);
    try {
      const first = await delivery.deliverOneBatch();
      const receivesDuringOutage = sqs.receiveCalls;
      const second = await delivery.deliverOneBatch();

      expect(first).toMatchObject({ received: 5, failed: [] });
      expect(first.deliveryError).toMatch(/dependency of the function is down/);
      expect(second.deliveryError).toBeDefined();
      expect(sqs.receiveCalls).toBe(receivesDuringOutage);
      expect(sqs.visibilityChanges).toBe(0);
      expect([...sqs.messages.values()].map((m) => m.receives)).toEqual([1, 1, 1, 1, 1]);
    } finally {
      await failing.close();
    }

    (delivery as unknown as { options: { lambdaEndpoint: string } }).options.lambdaEndpoint = endpoint;
    expect(await delivery.deliverOneBatch()).toMatchObject({ received: 5, failed: [] });
    expect(sqs.messages.size).toBe(0);
  });

  it('with several batches in flight, the ones with nothing in hand wait while one holds the records (no spinning), and the held batch goes once the dependency is back', async () => {
    const sqs = new FakeSqs();
    sqs.add(5, (i) => `record ${i}`);
    const failing = await failingEndpoint(new ServiceUnavailable('search'));
    const lines: string[] = [];
    const delivery = new QueueDelivery(
      { queueUrl: 'http://sqs/q', functionName: 'consumer', batchSize: 100, windowSeconds: 0 },
      { sqs: sqs as unknown as SQSClient, lambdaEndpoint: failing.url, region: 'us-east-1', retryDelaySeconds: 1, concurrentBatches: 3, log: (line) => lines.push(line) },
    );
    delivery.start();
    try {
      await eventually(async () => expect(lines.some((line) => line.includes('dependency of the function is down'))).toBe(true), { timeoutMs: 5_000 });
      (delivery as unknown as { options: { lambdaEndpoint: string } }).options.lambdaEndpoint = endpoint;
      await eventually(async () => expect(sqs.messages.size).toBe(0), { timeoutMs: 10_000 });
      expect([...new Set(sqs.deleted)]).toHaveLength(5);
    } finally {
      await delivery.stop();
      await failing.close();
    }
  });

  it('fails every record of a batch whose function threw anything else (SQS retries them, then the DLQ)', async () => {
    const sqs = new FakeSqs();
    sqs.add(3, (i) => `record ${i}`);
    const failing = await failingEndpoint(new TypeError('a bug'));
    try {
      const outcome = await deliveryOf(sqs, failing.url).deliverOneBatch();

      expect(outcome.deliveryError).toBeUndefined();
      expect(outcome.failed).toEqual(['m1', 'm2', 'm3']);
      expect(sqs.visibilityChanges).toBe(3);
    } finally {
      await failing.close();
    }
  });

  it('delivers the records already in hand when SQS goes away while a batch is being gathered', async () => {
    const sqs = new FakeSqs();
    sqs.add(25, (i) => `record ${i}`);
    sqs.receivesBeforeOutage = 1;
    const delivery = new QueueDelivery(
      { queueUrl: 'http://sqs/q', functionName: 'consumer', batchSize: 100, windowSeconds: 5 },
      { sqs: sqs as unknown as SQSClient, lambdaEndpoint: endpoint, region: 'us-east-1' },
    );

    const outcome = await delivery.deliverOneBatch();

    expect(outcome).toMatchObject({ received: 10, failed: [] });
    expect(sqs.deleted).toHaveLength(10);
  });

  it('retries the entries DeleteMessageBatch refused, and reports those it still cannot delete', async () => {
    const sqs = new FakeSqs();
    sqs.add(4, (i) => `record ${i}`);
    sqs.failDeleteOnce.add('m2');
    sqs.failDeleteAlways.add('m4');

    const outcome = await deliveryOf(sqs).deliverOneBatch();

    expect(outcome.failed).toEqual([]);
    expect(sqs.deleted.sort()).toEqual(['m1', 'm2', 'm3']);
    expect(outcome.undeleted).toEqual(['m4']);
  });
});

describe('takeBatch', () => {
  it('stops at the count or the byte bound, whichever comes first, and never returns an empty batch', () => {
    const size = (n: number) => n;
    expect(takeBatch([10, 10, 10], size, 2, 1000).batch).toEqual([10, 10]);
    expect(takeBatch([400, 400, 400], size, 10, 1000).batch).toEqual([400, 400]);
    expect(takeBatch([5000, 1], size, 10, 1000)).toEqual({ batch: [5000], rest: [1] });
  });
});

describe('functionErrorType', () => {
  it("reads Lambda's errorType, and the trace's first line where serverless-offline says only Error", () => {
    expect(functionErrorType(JSON.stringify({ errorType: 'ServiceUnavailable', errorMessage: 'x' }))).toBe('ServiceUnavailable');
    expect(functionErrorType(JSON.stringify({ errorType: 'Error', trace: ['ServiceUnavailable: database is unavailable', '    at x'] }))).toBe('ServiceUnavailable');
    expect(functionErrorType(JSON.stringify({ errorType: 'Error', trace: ['Error: boom'] }))).toBe('Error');
    expect(functionErrorType(JSON.stringify({ errorType: 'Error' }))).toBe('Error');
    expect(functionErrorType('not json')).toBeUndefined();
    expect(functionErrorType('null')).toBeUndefined();
  });
});

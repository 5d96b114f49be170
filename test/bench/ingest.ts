// Consumer ingest capacity, and its raw floor. For each batch size: a queue filled first with fresh
// message records of one new chat, then the stage's consumer fed by the local delivery loop (receive,
// invoke through serverless-offline's Lambda endpoint, delete) until the queue is empty: rows/s
// persisted into MySQL and indexed in OpenSearch. The floor: the same multi-row upsert and the same
// `_bulk`, issued straight from this process at the same batch size, one batch after the other.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GetQueueAttributesCommand, PurgeQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { localEnvironment, queues, SERVICE } from '../../infra/local/environment';
import { localSqsClient } from '../../infra/local/platform';
import { QueueDelivery, type BatchTimings } from '../../infra/local/sqs-delivery';
import { round, until } from './load';
import type { BenchData } from './data';

export interface IngestResult {
  batchSize: number;
  records: number;
  /** Consumer path: queue → delivery → consumer → MySQL + OpenSearch, rows/s. */
  rowsPerSecond: number;
  /** The same statements issued directly, rows/s. */
  rawRowsPerSecond: number;
  seconds: number;
}

const text = (i: number) => `ingest bench message ${i} about the deadline of the release`;

/** Sends `count` records to the queue, 10 per SendMessageBatch, `inFlight` calls at a time. */
async function fill(queueUrl: string, count: number, body: (i: number) => object, inFlight = 8): Promise<void> {
  const sqs = localSqsClient('test');
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const start = next;
        next = Math.min(count, next + 10);
        const entries = Array.from({ length: next - start }, (_, k) => ({ Id: String(k), MessageBody: JSON.stringify(body(start + k)) }));
        const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        if (Failed.length) throw new Error(`fill: ${Failed.length} records refused: ${Failed[0]!.Message}`);
      }
    }),
  );
  sqs.destroy();
}

async function queueDepth(queueUrl: string, sqs = localSqsClient('test')): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** The consumer path: fill, then deliver with `pollers` loops until the queue is empty. */
export async function consumerIngest(data: BenchData, lambdaEndpoint: string, batchSize: number, records: number, onBatchTimings?: (timings: BatchTimings) => void) {
  const env = localEnvironment('test');
  const queueUrl = env.MESSAGES_QUEUE_URL!;
  const sqs = localSqsClient('test');
  // Counts what the delivery asks of SQS (receives, deletes, attributes), for the cost model.
  let sqsRequests = 0;
  sqs.middlewareStack.add(
    (next) => async (args) => {
      sqsRequests++;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countRequests' },
  );
  // Whatever the earlier phases left in the queue belongs to the bench's own application.
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  const chatNumber = await data.newChat();
  const createdAt = new Date().toISOString();
  await fill(queueUrl, records, (i) => ({ type: 'message.created', id: randomUUID(), token: data.token, chatNumber, number: i + 1, content: text(i), createdAt }));
  await until(async () => (await queueDepth(queueUrl, sqs)) >= records, 30_000, 100);

  const queue = queues.messages!;
  // The run ends when the last batch was settled, not when the poll below noticed: the poll can be
  // sparse (every GetQueueAttributes is work for ElasticMQ, on the cores the delivery uses).
  let lastSettledAt = 0;
  const delivery = new QueueDelivery(
    { queueUrl, functionName: `${SERVICE}-test-${queue.consumer}`, batchSize, windowSeconds: queue.maximumBatchingWindow },
    // A failed batch (a deadlock between concurrent batches, say) is retried after 1 s, as in the tests,
    // not after the queue's 180 s visibility timeout.
    {
      sqs,
      lambdaEndpoint,
      region: env.AWS_REGION!,
      retryDelaySeconds: 1,
      onBatchTimings: (timings) => {
        lastSettledAt = performance.now();
        onBatchTimings?.(timings);
      },
    },
  );
  const depth = localSqsClient('test');
  const startedAt = performance.now();
  sqsRequests = 0;
  delivery.start();
  try {
    await until(async () => (await queueDepth(queueUrl, depth)) === 0, 300_000, 250);
  } finally {
    await delivery.stop();
    sqs.destroy();
    depth.destroy();
  }
  const seconds = (lastSettledAt - startedAt) / 1000;
  await data.expectPersisted(chatNumber, records);
  return { rowsPerSecond: round(records / seconds), seconds: round(seconds, 2), sqsRequestsPerRecord: round(sqsRequests / records, 3) };
}

/** The floor: the consumer's own upsert statement and `_bulk`, batch after batch, from this process. */
export async function rawIngest(data: BenchData, batchSize: number, records: number): Promise<number> {
  const { mysqlMessages } = await import('../../shared/adapters/stores/messages');
  const { indexMessages } = await import('../../shared/adapters/search-index');
  const store = mysqlMessages();
  const chatNumber = await data.newChat();
  const chatId = await data.chatId(chatNumber);
  const createdAt = new Date();
  const startedAt = performance.now();
  for (let start = 0; start < records; start += batchSize) {
    const rows = Array.from({ length: Math.min(batchSize, records - start) }, (_, k) => ({ chatId, number: start + k + 1, content: text(start + k), createdAt, recordId: randomUUID() }));
    await store.upsert(rows);
    const outcomes = await indexMessages(
      rows.map((row) => ({ token: data.token, chatNumber, number: row.number, content: row.content, createdAt: createdAt.toISOString(), updatedAt: createdAt.toISOString() })),
    );
    if (outcomes.some((outcome) => !outcome.ok)) throw new Error('raw ingest: a document failed to index');
  }
  const rate = records / ((performance.now() - startedAt) / 1000);
  await data.expectPersisted(chatNumber, records);
  return round(rate);
}

/** The messages consumer's handler called in this process on SQS events of `batchSize` records: ms per batch. */
export async function consumerHandlerInProcess(data: BenchData, batchSize: number, batches: number): Promise<{ msPerBatch: number; rowsPerSecond: number }> {
  const { handler } = await import('../../functions/queue/persist-messages');
  const chatNumber = await data.newChat();
  const createdAt = new Date().toISOString();
  const event = (batch: number) => ({
    Records: Array.from({ length: batchSize }, (_, k) => {
      const number = batch * batchSize + k + 1;
      return {
        messageId: `bench-${chatNumber}-${number}`,
        receiptHandle: 'bench',
        body: JSON.stringify({ type: 'message.created', id: randomUUID(), token: data.token, chatNumber, number, content: text(number), createdAt }),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'bench', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
        awsRegion: 'us-east-1',
      };
    }),
  });
  const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 30_000 } as never;
  await handler(event(0) as never, context);
  const startedAt = performance.now();
  for (let batch = 1; batch <= batches; batch++) {
    const { batchItemFailures } = await handler(event(batch) as never, context);
    if (batchItemFailures.length) throw new Error(`consumer in process: ${batchItemFailures.length} records failed`);
  }
  const ms = performance.now() - startedAt;
  await data.expectPersisted(chatNumber, (batches + 1) * batchSize);
  return { msPerBatch: round(ms / batches, 2), rowsPerSecond: round((batches * batchSize) / (ms / 1000)) };
}

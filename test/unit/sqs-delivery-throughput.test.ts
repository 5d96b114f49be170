import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { QueueDelivery } from '../../infra/local/sqs-delivery';
import { eventually } from '../helpers/eventually';

/** An in-memory queue behind the SQSClient interface, counting how many calls of each kind overlap. */
function fakeQueue(size: number) {
  const waiting: Message[] = Array.from({ length: size }, (_, i) => ({ MessageId: `m${i}`, ReceiptHandle: `r${i}`, Body: '{}' }));
  const deleted = new Set<string>();
  const inFlight = { receive: 0, delete: 0 };
  const maxInFlight = { receive: 0, delete: 0 };
  const track = async <T>(kind: 'receive' | 'delete', work: () => T): Promise<T> => {
    inFlight[kind]++;
    maxInFlight[kind] = Math.max(maxInFlight[kind], inFlight[kind]);
    await sleep(5); // a network round trip, so that calls issued together overlap
    inFlight[kind]--;
    return work();
  };
  const sqs = {
    async send(command: unknown) {
      if (command instanceof GetQueueAttributesCommand) return { Attributes: { QueueArn: 'arn:aws:sqs:us-east-1:000000000000:fake' } };
      if (command instanceof ReceiveMessageCommand) {
        return track('receive', () => ({ Messages: waiting.splice(0, command.input.MaxNumberOfMessages ?? 1) }));
      }
      if (command instanceof DeleteMessageBatchCommand) {
        return track('delete', () => {
          for (const entry of command.input.Entries ?? []) deleted.add(entry.ReceiptHandle!);
          return { Successful: [], Failed: [] };
        });
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  } as unknown as SQSClient;
  return { sqs, deleted, maxInFlight };
}

/** A Lambda invoke endpoint that succeeds for every record, counting overlapping invocations. */
async function fakeLambda() {
  const state = { inFlight: 0, maxInFlight: 0, records: 0 };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      state.records += (JSON.parse(Buffer.concat(chunks).toString()) as { Records: unknown[] }).Records.length;
      await sleep(20);
      state.inFlight--;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ batchItemFailures: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { state, endpoint, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const target = (batchSize: number) => ({ queueUrl: 'http://fake/queue', functionName: 'consumer', batchSize, windowSeconds: 1 });

describe('local SQS delivery throughput (the event source mapping is not one SQS call at a time)', () => {
  it('fills a batch of 100 with parallel receives and settles it with parallel deletes', async () => {
    // Given a queue holding a full batch
    const queue = fakeQueue(100);
    const lambda = await fakeLambda();
    try {
      // When one batch is delivered
      const outcome = await new QueueDelivery(target(100), { sqs: queue.sqs, lambdaEndpoint: lambda.endpoint, region: 'us-east-1' }).deliverOneBatch();

      // Then all 100 records went in one invocation and were deleted, the SQS calls overlapping
      expect(outcome).toEqual({ received: 100, failed: [], invocationError: undefined });
      expect(queue.deleted.size).toBe(100);
      expect(queue.maxInFlight.receive).toBeGreaterThan(1);
      expect(queue.maxInFlight.delete).toBeGreaterThan(1);
    } finally {
      await lambda.close();
    }
  });

  it('keeps several batches in flight, as AWS pollers do, and delivers every record once', async () => {
    // Given a queue of 300 records and batches of 10
    const queue = fakeQueue(300);
    const lambda = await fakeLambda();
    const delivery = new QueueDelivery(target(10), { sqs: queue.sqs, lambdaEndpoint: lambda.endpoint, region: 'us-east-1', concurrentBatches: 3 });
    try {
      // When the delivery runs until the queue is drained
      delivery.start();
      await eventually(() => expect(queue.deleted.size).toBe(300));

      // Then invocations overlapped and no record was delivered twice
      expect(lambda.state.maxInFlight).toBeGreaterThan(1);
      expect(lambda.state.records).toBe(300);
    } finally {
      await delivery.stop();
      await lambda.close();
    }
  });
});

import { ServiceUnavailable } from '../../shared/domain/errors';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { ChatRecord, MessageRecord } from '../../shared/domain/records';
import { httpHandler } from '../../shared/http/handler';
import { created } from '../../shared/http/responses';
import { writeThroughProcessConsole } from '../../shared/observability/logger';
import { recordMetric } from '../../shared/observability/metrics';
import { batchHandler } from '../../shared/queue/batch-handler';
import { chatService } from '../../shared/services/chats';
import { httpEvent, lambdaContext } from '../helpers/events';
import { captureJsonOutput } from '../helpers/output';

/** A chat service whose queue keeps what it is sent, numbering 1, 2, 3… */
function recordingChats() {
  const sent: { queue: string; record: any }[] = [];
  let last = 0;
  const service = chatService({
    counters: {
      nextChat: async (_token: string, record: object) => ({ fresh: { number: ++last, ...record } }),
      nextMessage: async (_token: string, _chat: number, record: object) => ({ fresh: { number: ++last, ...record } }),
    } as any,
    recovery: {} as any,
    queue: { send: async (queue, record) => void sent.push({ queue, record }) },
    chats: {} as any,
    messages: {} as any,
    clock: { now: () => new Date('2026-01-01T00:00:00Z') },
  });
  return { service, sent };
}

const sqsRecord = (messageId: string, body: unknown, sentAt: number): SQSRecord =>
  ({
    messageId,
    body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(sentAt) },
  }) as unknown as SQSRecord;

describe('observability', () => {
  let output: ReturnType<typeof captureJsonOutput>;
  beforeEach(() => {
    output = captureJsonOutput();
  });
  afterEach(() => output.restore());

  it('carries API Gateway\'s request id into the logs and the queue record, one id per concurrent request', async () => {
    const { service, sent } = recordingChats();
    const createChat = httpHandler(async () => created({ number: await service.createChat('T'.repeat(22)) }));
    const request = (id: string) => createChat(httpEvent({ requestContext: { ...httpEvent().requestContext, requestId: id } }), lambdaContext);

    await Promise.all([request('api-req-a'), request('api-req-b')]);

    expect(sent.map((s) => s.record.correlationId).sort()).toEqual(['api-req-a', 'api-req-b']);
    expect(ChatRecord.parse(sent[0]!.record).correlationId).toMatch(/^api-req-/);
    const requests = output.logs().filter((line) => line.message === 'request');
    expect(requests.map((line) => [line.apiRequestId, line.correlation_id]).sort()).toEqual([
      ['api-req-a', 'api-req-a'],
      ['api-req-b', 'api-req-b'],
    ]);
    expect(requests[0]).toMatchObject({ level: 'INFO', service: 'chat-system' });
  });

  it('falls back to the invocation id under serverless-offline, whose HTTP events all carry one constant request id', async () => {
    const { service, sent } = recordingChats();
    const createChat = httpHandler(async () => created({ number: await service.createChat('T'.repeat(22)) }));

    await createChat(httpEvent({ requestContext: { ...httpEvent().requestContext, requestId: 'offlineContext_resourceId' } }), lambdaContext);

    expect(sent[0]!.record.correlationId).toBe(lambdaContext.awsRequestId);
  });

  it('counts creates by route and writes the invocation\'s metrics when it ends', async () => {
    const handler = httpHandler(async () => {
      recordMetric('SomethingCounted', 2);
      expect(output.metrics().find((m) => m.name === 'SomethingCounted')).toBeUndefined();
      return created({ number: 1 });
    });

    await handler(httpEvent({ routeKey: 'POST /api/v1/apps/{token}/chats' }), lambdaContext);

    const metrics = output.metrics();
    expect(metrics.find((m) => m.name === 'SomethingCounted')).toMatchObject({ value: 2, unit: 'Count', service: 'chat-system' });
    expect(metrics.find((m) => m.name === 'Created')).toMatchObject({ value: 1, route: 'POST /api/v1/apps/{token}/chats' });
    expect(metrics.every((m) => m._aws.CloudWatchMetrics[0].Namespace === 'ChatSystem')).toBe(true);
  });

  it('gives a consumer batch its size, outcome and queue lag as metrics, and the records\' correlation ids in its log', async () => {
    const now = Date.now();
    const message = (number: number) => ({ type: 'message.created', token: 'T'.repeat(22), chatNumber: 1, number, content: 'hi', createdAt: new Date(now).toISOString() });
    const handler = batchHandler('persistMessages', MessageRecord, async (items) => [{ id: items[1]!.id, reason: 'bad row' }]);
    const event: SQSEvent = {
      Records: [
        sqsRecord('m1', { ...message(1), correlationId: 'api-req-1' }, now - 5_000),
        sqsRecord('m2', { ...message(2), correlationId: 'api-req-2' }, now - 1_000),
        sqsRecord('m3', message(3), now - 2_000),
        sqsRecord('m4', { not: 'a record' }, now),
      ],
    };

    const response = await handler(event, lambdaContext);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m2', 'm4']);
    const metric = (name: string) => output.metrics().find((m) => m.name === name);
    expect(metric('ConsumerBatchSize')).toMatchObject({ value: 4, consumer: 'persistMessages' });
    expect(metric('RecordsPersisted')).toMatchObject({ value: 2 });
    expect(metric('RecordFailures')).toMatchObject({ value: 2 });
    expect(metric('QueueLag')).toMatchObject({ unit: 'Milliseconds' });
    expect(metric('QueueLag')!.value).toBeGreaterThanOrEqual(5_000);
    const logs = output.logs();
    expect(logs.find((line) => line.message === 'persistMessages: batch done')!.correlationIds.sort()).toEqual(['api-req-1', 'api-req-2']);
    expect(logs.find((line) => line.message === 'persistMessages: record failed' && line.messageId === 'm2')).toMatchObject({ level: 'WARN', correlation_id: 'api-req-2' });
  });

  it('fails the whole invocation when a dependency is down (no record is at fault), with a ConsumerOutages metric; any other throw fails every record', async () => {
    const now = Date.now();
    const event: SQSEvent = { Records: [sqsRecord('m1', { type: 'message.created', token: 'T'.repeat(22), chatNumber: 1, number: 1, content: 'hi', createdAt: new Date(now).toISOString() }, now)] };

    const outage = batchHandler('persistMessages', MessageRecord, async () => {
      throw new ServiceUnavailable('database');
    });
    await expect(outage(event, lambdaContext)).rejects.toThrow(ServiceUnavailable);
    expect(output.metrics().find((m) => m.name === 'ConsumerOutages')).toMatchObject({ value: 1, consumer: 'persistMessages' });

    const bug = batchHandler('persistMessages', MessageRecord, async () => {
      throw new TypeError('a bug');
    });
    expect((await bug(event, lambdaContext)).batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });

  it('writes through the process console off Lambda, through Powertools\' own (bare JSON lines) on Lambda', () => {
    const own = { log: () => undefined };
    expect(writeThroughProcessConsole({ console: own }).console).not.toBe(own);
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';
    try {
      expect(writeThroughProcessConsole({ console: own }).console).toBe(own);
    } finally {
      delete process.env.AWS_EXECUTION_ENV;
    }
  });

  it('accepts records without a correlation id (enqueued before it existed)', () => {
    expect(() => ChatRecord.parse({ type: 'chat.created', token: 'T'.repeat(22), number: 1, createdAt: '2026-01-01T00:00:00.000Z' })).not.toThrow();
  });
});

import { DeleteQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { localPorts } from '../../infra/local/environment';
import { createQueueWithDeadLetters, localSqsClient } from '../../infra/local/platform';
import { api } from '../helpers/api';
import { persistedMessageNumbers, rows } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat, range } from '../helpers/fixtures';
import { queueDepth } from '../helpers/queues';
import { startSecondApi, type SecondApi } from '../helpers/second-api';

/*
 * DESIGN invariant 2 against a crash: the process running a consumer is SIGKILLed in the middle of
 * its batches (received, partly written to MySQL and OpenSearch, not deleted). After SQS redelivers
 * them to a new process, every acknowledged message is in MySQL and in the index exactly once, under
 * the number its client was given: nothing lost, nothing duplicated.
 *
 * The instances here read queues of their own, with a short visibility timeout (the stage's is
 * three minutes), so the test stage's consumers cannot take these records and a killed batch comes
 * back within seconds.
 */
const MESSAGES = 1500;
const VISIBILITY_SECONDS = 5;
const port = localPorts().testHttp + 110;
const sqs = localSqsClient('test');
const suffix = `crash-${process.pid}`;
const queueUrls: Record<string, string> = {};

async function createQueues(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const key of ['chats', 'messages']) {
    const name = `chat-system-test-${suffix}-${key}`;
    const { queueUrl, deadLetterUrl } = await createQueueWithDeadLetters(sqs, name, `${name}-dlq`, {
      visibilityTimeout: VISIBILITY_SECONDS,
      maxReceiveCount: 5,
    });
    queueUrls[key] = queueUrl;
    queueUrls[`${key}-dlq`] = deadLetterUrl;
    env[`${key.toUpperCase()}_QUEUE_URL`] = queueUrl;
    env[`${key.toUpperCase()}_DLQ_URL`] = deadLetterUrl;
  }
  return env;
}

let instance: SecondApi | undefined;
afterAll(async () => {
  await instance?.stop();
  await Promise.all(Object.values(queueUrls).map((url) => sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined)));
  sqs.destroy();
});

/** Creates `count` messages through `baseUrl`, 16 in flight; returns the numbers the API acknowledged. */
async function createMessages(baseUrl: string, token: string, chat: number, count: number): Promise<number[]> {
  const acked: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const response = await api('POST', `/api/v1/apps/${token}/chats/${chat}/messages`, { baseUrl, body: { content: `crashproof ${i}` } });
      expect(response.status).toBe(201);
      acked.push(response.body.number);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return acked;
}

describe('a consumer process killed mid-batch', () => {
  it('loses and duplicates nothing: after redelivery every acked message is in MySQL and the index once', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const queues = await createQueues();

    // Fill the queue first (an instance without delivery), so the consumer then works through full batches.
    instance = await startSecondApi(port, queues);
    const acked = await createMessages(instance.url, token, chat, MESSAGES);
    await instance.stop();
    expect(acked.sort((a, b) => a - b)).toEqual(range(1, MESSAGES));

    // An instance with delivery, killed as soon as its first batches have landed in MySQL.
    instance = await startSecondApi(port, queues, { delivery: true });
    await eventually(async () => expect((await persistedMessageNumbers(token, chat)).length).toBeGreaterThan(0), { timeoutMs: 60_000, intervalMs: 20 });
    await instance.kill();
    const persistedAtKill = (await persistedMessageNumbers(token, chat)).length;
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrls.messages, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }),
    );
    // The kill caught batches in flight: received, not deleted (and some not written yet).
    expect(Number(Attributes.ApproximateNumberOfMessagesNotVisible)).toBeGreaterThan(0);
    expect(persistedAtKill).toBeLessThan(MESSAGES);

    // A new process; SQS hands the killed batches out again once their visibility timeout ends.
    instance = await startSecondApi(port, queues, { delivery: true });
    await eventually(async () => expect(await queueDepth(queueUrls.messages!)).toBe(0), { timeoutMs: 120_000 });

    expect(await persistedMessageNumbers(token, chat)).toEqual(range(1, MESSAGES));
    const [counted] = await rows<{ records: number }>(
      `SELECT COUNT(DISTINCT m.record_id) AS records FROM messages m JOIN chats c ON c.id = m.chat_id JOIN applications a ON a.id = c.application_id
        WHERE a.token = ? AND c.number = ?`,
      [token, chat],
    );
    expect(Number(counted?.records)).toBe(MESSAGES);
    expect(await queueDepth(queueUrls['messages-dlq']!)).toBe(0);
    await eventually(async () => {
      const { body } = await api('GET', `/api/v1/apps/${token}/chats/${chat}/messages/search?q=crashproof&limit=1`);
      expect(body.total).toBe(MESSAGES);
    }, { timeoutMs: 30_000 });
  });
});

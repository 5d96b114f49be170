import { randomUUID } from 'node:crypto';
import { persistedChatNumbers, persistedMessageNumbers, testDb } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat } from '../helpers/fixtures';
import { drainDeadLetters, queueDepth, queueUrl, sendRaw } from '../helpers/queues';
import { queues } from '../../infra/queues.json';

const chatRecord = (token: string, number: number) =>
  JSON.stringify({ type: 'chat.created', id: randomUUID(), token, number, createdAt: new Date().toISOString() });
const messageRecord = (token: string, chatNumber: number, number: number) =>
  JSON.stringify({ type: 'message.created', id: randomUUID(), token, chatNumber, number, content: `message ${number}`, createdAt: new Date().toISOString() });

/** Waits for `expected` in the queue's DLQ; checks it got there after maxReceiveCount receives. */
const deadLetterBodies = async (key: 'chats' | 'messages', expected: string) => {
  const messages = await eventually(
    async () => {
      const dead = await drainDeadLetters(key);
      expect(dead.map((m) => m.Body)).toContain(expected);
      return dead;
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  const receives = Number(messages.find((m) => m.Body === expected)!.Attributes?.ApproximateReceiveCount);
  expect(receives).toBeGreaterThanOrEqual(queues[key].maxReceiveCount);
  return messages.map((m) => m.Body);
};

describe('queue → consumer → MySQL (the local event source mapping)', () => {
  it('a malformed record is retried alone and redriven to the DLQ; its batch-mates persist once', async () => {
    const token = await givenApp();
    const poison = JSON.stringify({ type: 'not-a-chat', marker: randomUUID() });
    const valid = [chatRecord(token, 1), chatRecord(token, 2)];

    await Promise.all([sendRaw('chats', valid[0]!), sendRaw('chats', poison), sendRaw('chats', valid[1]!)]);

    await eventually(async () => expect(await persistedChatNumbers(token)).toEqual([1, 2]));
    const dead = await deadLetterBodies('chats', poison);
    expect(dead).not.toContain(valid[0]);
    expect(dead).not.toContain(valid[1]);
    await eventually(async () => expect(await queueDepth(queueUrl('chats'))).toBe(0));
  });

  it('redelivering the same record never duplicates a row', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const record = messageRecord(token, chat, 1);

    await sendRaw('messages', record);
    await sendRaw('messages', record);
    await eventually(async () => expect(await queueDepth(queueUrl('messages'))).toBe(0));
    await sendRaw('messages', record);
    await eventually(async () => expect(await queueDepth(queueUrl('messages'))).toBe(0));

    expect(await persistedMessageNumbers(token, chat)).toEqual([1]);
  });

  it('a record MySQL rejects is isolated from its batch-mates, which persist; it reaches the DLQ after maxReceiveCount', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const poison = `rejected by MySQL ${randomUUID()}`;
    const records = [1, 2, 3].map((number) =>
      JSON.stringify({ type: 'message.created', token, chatNumber: chat, number, content: number === 2 ? poison : `message ${number}`, createdAt: new Date().toISOString() }),
    );
    // A record valid for the schema that the database itself refuses: the multi-row INSERT fails as a
    // whole, and the consumer must isolate the one row at fault.
    await testDb().query(`CREATE TRIGGER reject_poison_message BEFORE INSERT ON messages FOR EACH ROW
      BEGIN IF NEW.content = '${poison}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'rejected by the test trigger'; END IF; END`);
    try {
      await Promise.all(records.map((record) => sendRaw('messages', record)));

      await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual([1, 3]));
      const dead = await deadLetterBodies('messages', records[1]!);
      expect(dead).not.toContain(records[0]);
      expect(dead).not.toContain(records[2]);
    } finally {
      await testDb().query('DROP TRIGGER IF EXISTS reject_poison_message');
    }
  });
});

describe('batches bounded by bytes (issue 13.4)', () => {
  it('~90 records of 60 KB (over 6 MB together) all persist; none reaches the DLQ', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    // 10,000 control characters: a valid message whose record is ~60 KB once escaped as \u0001.
    const content = '\u0001'.repeat(9_990);
    const records = Array.from({ length: 90 }, (_, i) =>
      JSON.stringify({ type: 'message.created', token, chatNumber: chat, number: i + 1, content: `${i}`.padStart(10, '0') + content, createdAt: new Date().toISOString() }),
    );
    expect(records.reduce((sum, record) => sum + Buffer.byteLength(record), 0)).toBeGreaterThan(6 * 1024 * 1024 * 0.85);

    await Promise.all(records.map((record) => sendRaw('messages', record)));

    await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toHaveLength(90), { timeoutMs: 90_000, intervalMs: 1000 });
    await eventually(async () => expect(await queueDepth(queueUrl('messages'))).toBe(0), { timeoutMs: 60_000 });
    const dead = await drainDeadLetters('messages');
    expect(dead.filter((m) => m.Body?.includes(token))).toEqual([]);
  });
});

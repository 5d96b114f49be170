import { randomUUID } from 'node:crypto';
import type { MessageRecord } from '../../shared/domain/records';
import { api } from '../helpers/api';
import { persistedMessageNumbers, rows } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat, givenMessage } from '../helpers/fixtures';
import { queueDepth, queueUrl, sendRaw } from '../helpers/queues';
import { chatDocumentCount, indexedMessage, refreshSearch } from '../helpers/search';

const messagesOf = (token: string, chat: number) => `/api/v1/apps/${token}/chats/${chat}/messages`;

/** Searches through the API after a `_refresh`, so every write the consumer finished is visible. */
const numbersFound = async (token: string, chat: number, q: string) => {
  await refreshSearch();
  const response = await api('GET', `${messagesOf(token, chat)}/search?${new URLSearchParams({ q })}`);
  expect(response.status).toBe(200);
  return (response.body.data as { number: number }[]).map((hit) => hit.number);
};

async function storedRow(token: string, chat: number, number: number) {
  const [row] = await rows<{ content: string; created_at: Date; updated_at: Date; copies: number }>(
    `SELECT m.content, m.created_at, m.updated_at, (SELECT COUNT(*) FROM messages x WHERE x.chat_id = m.chat_id AND x.number = m.number) AS copies
       FROM messages m JOIN chats c ON c.id = m.chat_id JOIN applications a ON a.id = c.application_id
      WHERE a.token = ? AND c.number = ? AND m.number = ?`,
    [token, chat, number],
  );
  return row;
}

/** Until MySQL holds `content` for the message, then until the index does (the consumer writes both). */
async function storedAndIndexed(token: string, chat: number, number: number, content: string) {
  await eventually(async () => expect((await storedRow(token, chat, number))?.content).toBe(content));
  await eventually(async () => expect((await indexedMessage(token, chat, number))?.content).toBe(content));
}

/** Until the messages queue is empty (nothing visible nor in flight): every record sent was handled. */
const queueDrained = () => eventually(async () => expect(await queueDepth(queueUrl('messages'))).toBe(0), { timeoutMs: 60_000 });

const send = (record: MessageRecord) => sendRaw('messages', JSON.stringify(record));

describe('PUT …/messages/{number}', () => {
  it('→ 202 {number}; GET then shows the new content, the new text is found and a word only in the old one no longer is', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const number = await givenMessage(token, chat, 'original wording with zebra');
    await eventually(async () => expect(await numbersFound(token, chat, 'zebr')).toEqual([number]));

    const response = await api('PUT', `${messagesOf(token, chat)}/${number}`, { body: { content: 'edited wording with giraffe' } });

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ number });
    await eventually(async () => {
      const message = await api('GET', `${messagesOf(token, chat)}/${number}`);
      expect(message.body.content).toBe('edited wording with giraffe');
      expect(Date.parse(message.body.updated_at)).toBeGreaterThan(Date.parse(message.body.created_at));
    });
    await eventually(async () => expect(await numbersFound(token, chat, 'iraf')).toEqual([number]));
    expect(await numbersFound(token, chat, 'zebr')).toEqual([]);
    expect(await numbersFound(token, chat, 'wording')).toEqual([number]);
    expect(await chatDocumentCount(token, chat)).toBe(1);
  });

  it('an edit sent right after the create (before the message is persisted) is applied', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const number = await givenMessage(token, chat, 'first draft');

    expect((await api('PUT', `${messagesOf(token, chat)}/${number}`, { body: { content: 'final text' } })).status).toBe(202);

    await storedAndIndexed(token, chat, number, 'final text');
  });

  it('unknown application, chat or message number → 404; bad body or number → 400; the message is unchanged', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const number = await givenMessage(token, chat, 'hello');
    const put = (path: string, body: unknown = { content: 'x' }) => api('PUT', path, { body });

    const statuses = [
      (await put(`${messagesOf('B'.repeat(22), 1)}/1`)).status,
      (await put(`${messagesOf(token, chat + 1)}/1`)).status,
      (await put(`${messagesOf(token, chat)}/${number + 1}`)).status,
      (await put(`${messagesOf(token, chat)}/${number}`, { content: '  ' })).status,
      (await put(`${messagesOf(token, chat)}/${number}`, {})).status,
      (await put(`${messagesOf(token, chat)}/0`)).status,
    ];

    expect(statuses).toEqual([404, 404, 404, 400, 400, 400]);
    await eventually(async () => expect((await storedRow(token, chat, number))?.content).toBe('hello'));
  });

  it('an older edit delivered after a newer one does not win, in MySQL nor in search', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const number = await givenMessage(token, chat, 'created text');
    await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual([number]));
    const base = { type: 'message.updated' as const, token, chatNumber: chat, number };
    const now = Date.now();

    await send({ ...base, content: 'newer edit pelican', updatedAt: new Date(now + 2000).toISOString() });
    await eventually(async () => expect((await storedRow(token, chat, number))?.content).toBe('newer edit pelican'));
    await send({ ...base, content: 'older edit flamingo', updatedAt: new Date(now + 1000).toISOString() });
    await queueDrained();

    const row = await storedRow(token, chat, number);
    expect(row?.content).toBe('newer edit pelican');
    expect(new Date(row!.updated_at).toISOString()).toBe(new Date(now + 2000).toISOString());
    expect(await numbersFound(token, chat, 'lican')).toEqual([number]);
    expect(await numbersFound(token, chat, 'flamin')).toEqual([]);
    expect((await indexedMessage(token, chat, number))?.updated_at).toBe(new Date(now + 2000).toISOString());
  });

  it('edits are ordered by their version from Redis, not by the clocks of the containers that took them', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const number = await givenMessage(token, chat, 'created text');
    await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual([number]));
    const base = { type: 'message.updated' as const, token, chatNumber: chat, number };
    const now = Date.now();
    const version = now * 1000;

    // The first edit was taken by a container whose clock runs a minute ahead; the second, accepted
    // later (a higher version), by one with a correct clock. The second must win, in either delivery order.
    await send({ ...base, content: 'second edit heron', updatedAt: new Date(now).toISOString(), editVersion: version + 2 });
    await eventually(async () => expect((await storedRow(token, chat, number))?.content).toBe('second edit heron'));
    await send({ ...base, content: 'first edit ibis', updatedAt: new Date(now + 60_000).toISOString(), editVersion: version + 1 });
    await queueDrained();

    expect((await storedRow(token, chat, number))?.content).toBe('second edit heron');
    expect(await numbersFound(token, chat, 'heron')).toEqual([number]);
    expect(await numbersFound(token, chat, 'ibis')).toEqual([]);
  });

  it('two edits in the same millisecond: the higher version wins, and the search document follows it', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const number = await givenMessage(token, chat, 'created text');
    await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual([number]));
    const base = { type: 'message.updated' as const, token, chatNumber: chat, number };
    const updatedAt = new Date(Date.now() + 1000).toISOString();
    const version = Date.parse(updatedAt) * 1000;

    await send({ ...base, content: 'earlier edit osprey', updatedAt, editVersion: version });
    await storedAndIndexed(token, chat, number, 'earlier edit osprey');
    await send({ ...base, content: 'later edit puffin', updatedAt, editVersion: version + 1 });

    await storedAndIndexed(token, chat, number, 'later edit puffin');
  });

  it('PUTs through the API carry increasing versions: the last accepted edit wins', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const number = await givenMessage(token, chat, 'created text');

    for (const word of ['one', 'two', 'three', 'four', 'five']) {
      expect((await api('PUT', `${messagesOf(token, chat)}/${number}`, { body: { content: `edit ${word}` } })).status).toBe(202);
    }

    await eventually(async () => expect((await storedRow(token, chat, number))?.content).toBe('edit five'));
    await queueDrained();
    expect((await storedRow(token, chat, number))?.content).toBe('edit five');
    const [row] = await rows<{ edit_version: string }>(
      `SELECT m.edit_version FROM messages m JOIN chats c ON c.id = m.chat_id JOIN applications a ON a.id = c.application_id
        WHERE a.token = ? AND c.number = ? AND m.number = ?`,
      [token, chat, number],
    );
    expect(Number(row!.edit_version)).toBeGreaterThan(Date.parse('2020-01-01') * 1000);
  });

  it('an edit delivered before its create: the row is written with the edit, and the late create keeps the edited content', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const createdAt = new Date(Date.now() - 60_000).toISOString();
    const updatedAt = new Date().toISOString();

    await send({ type: 'message.updated', token, chatNumber: chat, number: 1, content: 'edited before created', updatedAt });
    await eventually(async () => expect((await storedRow(token, chat, 1))?.content).toBe('edited before created'));
    await send({ type: 'message.created', id: randomUUID(), token, chatNumber: chat, number: 1, content: 'original', createdAt });
    await queueDrained();

    const row = await storedRow(token, chat, 1);
    expect({ content: row?.content, copies: Number(row?.copies) }).toEqual({ content: 'edited before created', copies: 1 });
    expect(new Date(row!.created_at).toISOString()).toBe(createdAt);
    expect(await indexedMessage(token, chat, 1)).toEqual(
      expect.objectContaining({ content: 'edited before created', created_at: createdAt, updated_at: updatedAt }),
    );
    expect(await numbersFound(token, chat, 'origin')).toEqual([]);
  });
});

describe('redelivery to the messages consumer', () => {
  it('the same records delivered again (creates and edits) leave one row and one document per message', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const createdAt = new Date(Date.now() - 10_000).toISOString();
    const records: MessageRecord[] = [
      { type: 'message.created', id: randomUUID(), token, chatNumber: chat, number: 1, content: 'redelivered one', createdAt },
      { type: 'message.created', id: randomUUID(), token, chatNumber: chat, number: 2, content: 'redelivered two', createdAt },
      { type: 'message.updated', token, chatNumber: chat, number: 2, content: 'redelivered two, edited', updatedAt: new Date().toISOString() },
    ];

    for (let round = 0; round < 3; round++) for (const record of records) await send(record);
    await queueDrained();

    expect(await persistedMessageNumbers(token, chat)).toEqual([1, 2]);
    expect(await chatDocumentCount(token, chat)).toBe(2);
    expect(await numbersFound(token, chat, 'redelivered')).toEqual([1, 2]);
    expect((await indexedMessage(token, chat, 2))?.content).toBe('redelivered two, edited');
  });
});

import { api } from '../helpers/api';
import { applicationStatements } from '../../shared/adapters/stores/applications';
import { chatStatements } from '../../shared/adapters/stores/chats';
import { messageStatements } from '../../shared/adapters/stores/messages';
import { persistedChatNumbers, persistedMessageNumbers, rows } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat, givenMessage, range } from '../helpers/fixtures';

const messagesOf = (token: string, chat: number) => `/api/v1/apps/${token}/chats/${chat}/messages`;

describe('messages', () => {
  it('POST numbers messages 1, 2, 3… per chat', async () => {
    const token = await givenApp();
    const [c1, c2] = [await givenChat(token), await givenChat(token)];

    const numbers = [
      await givenMessage(token, c1, 'a'),
      await givenMessage(token, c1, 'b'),
      await givenMessage(token, c2, 'c'),
    ];

    expect(numbers).toEqual([1, 2, 1]);
  });

  it('a message created right after its chat (before the chat is persisted) → 201, and both rows persist', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const message = await api('POST', messagesOf(token, chat), { body: { content: 'first!' } });

    expect(message.status).toBe(201);
    await eventually(async () => {
      expect(await persistedChatNumbers(token)).toEqual([chat]);
      expect(await persistedMessageNumbers(token, chat)).toEqual([1]);
    });
  });

  it('GET one message and the list in number order, with paging', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    for (const content of ['one', 'two', 'three']) await givenMessage(token, chat, content);
    await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual(range(1, 3)));

    const two = await api('GET', `${messagesOf(token, chat)}/2`);
    const page = await api('GET', `${messagesOf(token, chat)}?page=2&limit=2`);

    expect(two.body).toEqual({ number: 2, content: 'two', created_at: expect.any(String), updated_at: expect.any(String) });
    expect(page.body).toEqual({ data: [expect.objectContaining({ number: 3, content: 'three' })], page: 2, limit: 2 });
  });

  it('round-trips Arabic, CJK, emoji and other 4-byte characters through queue, consumer and MySQL', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const content = 'مرحبا بالعالم — 你好，世界 — こんにちは — 😀👍🏽🇪🇬 — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 — \u0000 — "quotes" \\ \n new line';
    const number = await givenMessage(token, chat, content);

    const fetched = await eventually(async () => {
      const response = await api('GET', `${messagesOf(token, chat)}/${number}`);
      expect(response.status).toBe(200);
      return response.body;
    });

    expect(fetched.content).toBe(content);
  });

  it('accepts exactly 10,000 characters, even 4-byte ones (counts characters, not bytes)', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    expect((await api('POST', messagesOf(token, chat), { body: { content: '😀'.repeat(10_000) } })).status).toBe(201);
  });

  it.each([
    ['no body', undefined],
    ['no content', {}],
    ['empty content', { content: '' }],
    ['blank content', { content: ' \n\t ' }],
    ['content over 10,000 characters', { content: 'x'.repeat(10_001) }],
    ['non-string content', { content: { text: 'x' } }],
  ])('POST with %s → 400', async (_case, body) => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const response = await api('POST', messagesOf(token, chat), { body });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_error');
  });

  it('POST to a chat number never handed out, or to an unknown application → 404', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    const unknownChat = await api('POST', messagesOf(token, chat + 1), { body: { content: 'x' } });
    const unknownApp = await api('POST', messagesOf('X'.repeat(32), 1), { body: { content: 'x' } });

    expect(unknownChat.status).toBe(404);
    expect(unknownChat.body.error.message).toMatch(/chat/);
    expect(unknownApp.status).toBe(404);
    expect(unknownApp.body.error.message).toMatch(/application/);
  });

  it('GET an unknown message, a message of an unknown chat, bad numbers', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    await givenMessage(token, chat, 'x');
    await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual([1]));

    expect((await api('GET', `${messagesOf(token, chat)}/2`)).status).toBe(404);
    expect((await api('GET', `${messagesOf(token, 999)}/1`)).status).toBe(404);
    expect((await api('GET', messagesOf(token, 999))).status).toBe(404);
    expect((await api('GET', `${messagesOf(token, chat)}/0`)).status).toBe(400);
    expect((await api('GET', `${messagesOf(token, chat)}/x`)).status).toBe(400);
    expect((await api('GET', `${messagesOf(token, chat)}?limit=1000`)).status).toBe(400);
  });

  it('every statement of the reads and consumers is served by an index (EXPLAIN: no full scan)', async () => {
    const token = await givenApp();
    const statements: [string, unknown[]][] = [
      [applicationStatements.SELECT_BY_TOKEN, [token]],
      [applicationStatements.SELECT_IDS_BY_TOKENS(2), [token, 'x'.repeat(32)]],
      [chatStatements.SELECT_ONE, [token, 1]],
      [chatStatements.SELECT_PAGE, [token, token, 20, 40]],
      [chatStatements.SELECT_IDS(2), [1, 1, 1, 2]],
      [messageStatements.SELECT_ONE, [token, 1, 1]],
      [messageStatements.SELECT_PAGE, [1, token, token, 1, 20, 0]],
    ];
    for (const [sql, params] of statements) {
      const plan = await rows<{ table: string | null; type: string | null }>(`EXPLAIN ${sql}`, params);
      const fullScans = plan.filter((step) => step.type === 'ALL' && step.table !== null && !step.table.startsWith('<union'));
      expect({ sql, fullScans }).toEqual({ sql, fullScans: [] });
    }
  });
});

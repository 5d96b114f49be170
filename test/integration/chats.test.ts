import { api } from '../helpers/api';
import { persistedChatNumbers } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat, range } from '../helpers/fixtures';

describe('chats', () => {
  it('POST numbers chats 1, 2, 3… per application, with or without an empty JSON body', async () => {
    const [first, second] = [await givenApp(), await givenApp()];

    const a1 = await api('POST', `/api/v1/apps/${first}/chats`);
    const a2 = await api('POST', `/api/v1/apps/${first}/chats`, { body: {} });
    const b1 = await api('POST', `/api/v1/apps/${second}/chats`);

    expect([a1.status, a2.status, b1.status]).toEqual([201, 201, 201]);
    expect([a1.body, a2.body, b1.body]).toEqual([{ number: 1 }, { number: 2 }, { number: 1 }]);
  });

  it('the consumer persists them; GET shows one and the list pages them in number order', async () => {
    const token = await givenApp();
    for (let i = 0; i < 5; i++) await givenChat(token);
    await eventually(async () => expect(await persistedChatNumbers(token)).toEqual(range(1, 5)));

    const one = await api('GET', `/api/v1/apps/${token}/chats/3`);
    const page2 = await api('GET', `/api/v1/apps/${token}/chats?page=2&limit=2`);
    const page4 = await api('GET', `/api/v1/apps/${token}/chats?page=4&limit=2`);
    const all = await api('GET', `/api/v1/apps/${token}/chats`);

    expect(one.status).toBe(200);
    expect(one.body).toEqual({ number: 3, messages_count: 0, created_at: expect.any(String), updated_at: expect.any(String) });
    expect(page2.body).toEqual({ data: [expect.objectContaining({ number: 3 }), expect.objectContaining({ number: 4 })], page: 2, limit: 2 });
    expect(page4.body).toEqual({ data: [], page: 4, limit: 2 });
    expect(all.body.limit).toBe(20);
    expect(all.body.data.map((chat: { number: number }) => chat.number)).toEqual(range(1, 5));
  });

  it('POST for an unknown application → 404, and takes no number', async () => {
    const response = await api('POST', `/api/v1/apps/${'Z'.repeat(32)}/chats`);

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });

  it('POST with a non-empty body → 400', async () => {
    const token = await givenApp();

    expect((await api('POST', `/api/v1/apps/${token}/chats`, { body: { number: 7 } })).status).toBe(400);
  });

  it.each(['abc', '0', '-1', '1.5', '1e3', '2147483648', '99999999999999999999', '%20'])('GET chat "%s" → 400', async (number) => {
    const token = await givenApp();
    const response = await api('GET', `/api/v1/apps/${token}/chats/${number}`);

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_error');
  });

  it('GET an unknown chat or a chat of an unknown application → 404', async () => {
    const token = await givenApp();

    expect((await api('GET', `/api/v1/apps/${token}/chats/2147483647`)).status).toBe(404);
    expect((await api('GET', `/api/v1/apps/${'Y'.repeat(32)}/chats/1`)).status).toBe(404);
    expect((await api('GET', `/api/v1/apps/${'Y'.repeat(32)}/chats`)).status).toBe(404);
  });

  it.each(['page=0', 'page=-1', 'page=x', 'limit=0', 'limit=101', 'limit=abc', 'limit=', 'page=1.5'])('list with %s → 400', async (query) => {
    const token = await givenApp();
    const response = await api('GET', `/api/v1/apps/${token}/chats?${query}`);

    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/page|limit/);
  });
});

import { localPorts } from '../../infra/local/environment';
import { ensureMessagesIndex } from '../../shared/adapters/search-index';
import { SEARCH_LIMITS } from '../../shared/domain/search';
import { api } from '../helpers/api';
import { givenApp, givenChat, range } from '../helpers/fixtures';
import { startSecondApi, type SecondApi } from '../helpers/second-api';
import { givenMessages } from '../helpers/search';

const messagesOf = (token: string, chat: number) => `/api/v1/apps/${token}/chats/${chat}/messages`;

const searchPath = (token: string, chat: number, query: Record<string, string>) =>
  `${messagesOf(token, chat)}/search?${new URLSearchParams(query).toString()}`;

const search = (token: string, chat: number, q: string, paging: Record<string, string> = {}) => api('GET', searchPath(token, chat, { q, ...paging }));

const numbers = async (token: string, chat: number, q: string) => {
  const response = await search(token, chat, q);
  expect(response.status).toBe(200);
  return (response.body.data as { number: number }[]).map((hit) => hit.number);
};

const LITERAL = 'literal "quoted" a*b key:value back\\slash {braces} OR AND';

beforeAll(async () => {
  // The global setup created the test stage's index; this keeps the file runnable alone.
  await ensureMessagesIndex();
});

describe('GET …/messages/search through the API', () => {
  let token: string;
  let other: string;
  let chat: number;
  let sibling: number;
  let otherChat: number;

  beforeAll(async () => {
    [token, other] = [await givenApp('search'), await givenApp('search other')];
    [chat, sibling, otherChat] = [await givenChat(token), await givenChat(token), await givenChat(other)];
    await givenMessages(token, chat, [
      'That was an absolutely unbelievable ending!',
      'Nothing to see here',
      'مرحبا بالعالم، كيف حالك؟',
      '我们明天去北京大学看看',
      'party time 🎉🎊 with the family',
      LITERAL,
    ]);
    await givenMessages(token, sibling, ['unbelievable, in the sibling chat']);
    await givenMessages(other, otherChat, ['unbelievable, in another application']);
  });

  it('finds a message by a 4-letter fragment from the middle of a long word, and marks the match', async () => {
    const response = await search(token, chat, 'liev');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: [
        {
          number: 1,
          content: 'That was an absolutely unbelievable ending!',
          created_at: expect.any(String),
          updated_at: expect.any(String),
          highlight: [expect.stringContaining('unbe<em>liev</em>able')],
        },
      ],
      page: 1,
      limit: 20,
      total: 1,
    });
  });

  it('finds a message by a 2-letter fragment', async () => {
    expect(await numbers(token, chat, 'ee')).toEqual([2]);
  });

  it('finds Arabic, CJK and emoji content by a fragment', async () => {
    expect(await numbers(token, chat, 'عالم')).toEqual([3]);
    expect(await numbers(token, chat, '北京')).toEqual([4]);
    expect(await numbers(token, chat, '🎉🎊')).toEqual([5]);
  });

  it("returns only the asked chat's messages (not the same word in another chat or application)", async () => {
    const response = await search(token, chat, 'unbeliev');

    expect(response.body.data.map((hit: { number: number }) => hit.number)).toEqual([1]);
    expect(response.body.total).toBe(1);
    expect((await search(token, sibling, 'unbeliev')).body.data.map((hit: { content: string }) => hit.content)).toEqual(['unbelievable, in the sibling chat']);
    expect((await search(other, otherChat, 'unbeliev')).body.data.map((hit: { content: string }) => hit.content)).toEqual([
      'unbelievable, in another application',
    ]);
  });

  it('searches special characters and operator words literally, never a 5xx', async () => {
    for (const q of ['"quoted"', 'a*b', 'key:value', 'back\\slash', '{braces}', 'OR AND', 'literal OR', '"quoted" AND a*b']) {
      expect({ q, numbers: await numbers(token, chat, q) }).toEqual({ q, numbers: [6] });
    }
    for (const q of ['*:*', '" OR "', '\\\\', '{ }', 'a OR b', '((', '~1 ^2 /re/', 'NOT', '&& ||', '[x TO y]']) {
      const response = await search(token, chat, q);
      expect({ q, status: response.status < 500 }).toEqual({ q, status: true });
    }
  });

  it('pages through the matches; pages and total agree', async () => {
    const pages = await givenChat(token);
    await givenMessages(token, pages, range(1, 25).map((i) => `repeat item ${i}`));

    const responses = await Promise.all([1, 2, 3].map((page) => search(token, pages, 'peat', { page: String(page), limit: '10' })));

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(responses.map((r) => r.body.total)).toEqual([25, 25, 25]);
    expect(responses.map((r) => r.body.data.length)).toEqual([10, 10, 5]);
    expect(responses.map((r) => [r.body.page, r.body.limit])).toEqual([
      [1, 10],
      [2, 10],
      [3, 10],
    ]);
    const seen = responses.flatMap((r) => r.body.data.map((hit: { number: number }) => hit.number));
    expect(seen.sort((a: number, b: number) => a - b)).toEqual(range(1, 25));
  });

  it('autocomplete?keyword= is the same search', async () => {
    const autocomplete = await api('GET', `${messagesOf(token, chat)}/autocomplete?keyword=liev`);
    const searched = await search(token, chat, 'liev');

    expect(autocomplete.status).toBe(200);
    expect(autocomplete.body).toEqual(searched.body);
  });

  it('q missing, empty, blank or too long → 400 (and `search` is never read as a message number)', async () => {
    const cases: [string, Record<string, string>][] = [
      ['missing', {}],
      ['empty', { q: '' }],
      ['blank', { q: '   ' }],
      ['too long', { q: 'a'.repeat(SEARCH_LIMITS.maxQueryLength + 1) }],
      ['bad limit', { q: 'liev', limit: '0' }],
    ];
    for (const [name, query] of cases) {
      const response = await api('GET', searchPath(token, chat, query));
      expect({ name, status: response.status, code: response.body.error?.code }).toEqual({ name, status: 400, code: 'validation_error' });
      expect(response.body.error.message).not.toMatch(/message number/);
    }
    const autocomplete = await api('GET', `${messagesOf(token, chat)}/autocomplete`);
    expect(autocomplete.status).toBe(400);
    expect(autocomplete.body.error.message).toMatch(/keyword/);
  });

  it('a one-character query is accepted (rules: search-rules.test.ts)', async () => {
    expect(await numbers(token, chat, 'x')).toEqual([]);
    // 6 has `b` as a word (a*b), 1 only inside one.
    expect(await numbers(token, chat, 'b')).toEqual([6, 1]);
  });

  it('a query of exactly the maximum length is accepted', async () => {
    expect((await search(token, chat, 'liev '.repeat(SEARCH_LIMITS.maxQueryLength / 5))).status).toBe(200);
  });

  it('unknown token or chat → 404', async () => {
    const unknownToken = await search('A'.repeat(22), 1, 'liev');
    const unknownChat = await search(token, 999, 'liev');
    const unknownChatAutocomplete = await api('GET', `${messagesOf(token, 999)}/autocomplete?keyword=liev`);

    expect([unknownToken.status, unknownChat.status, unknownChatAutocomplete.status]).toEqual([404, 404, 404]);
    expect(unknownChat.body.error.message).toBe('chat 999 not found');
  });

  it('a chat numbered but with nothing indexed yet answers an empty page, not 404', async () => {
    const fresh = await givenChat(token);

    expect((await search(token, fresh, 'liev')).body).toEqual({ data: [], page: 1, limit: 20, total: 0 });
  });

  it('GET …/messages/{number} still reads a message (the literal routes do not shadow it)', async () => {
    expect((await api('GET', `${messagesOf(token, chat)}/2`)).body.content).toBe('Nothing to see here');
  });
});

describe('search with OpenSearch down', () => {
  let withoutSearch: SecondApi;

  beforeAll(async () => {
    withoutSearch = await startSecondApi(localPorts().testHttp + 90, { OPENSEARCH_PORT: '9' });
  });
  afterAll(async () => withoutSearch?.stop());

  it('→ 503 with Retry-After; unknown chats are still 404 and bad queries 400', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    const down = await api('GET', searchPath(token, chat, { q: 'liev' }), { baseUrl: withoutSearch.url });
    const autocomplete = await api('GET', `${messagesOf(token, chat)}/autocomplete?keyword=liev`, { baseUrl: withoutSearch.url });
    const unknown = await api('GET', searchPath(token, 999, { q: 'liev' }), { baseUrl: withoutSearch.url });
    const invalid = await api('GET', searchPath(token, chat, { q: ' ' }), { baseUrl: withoutSearch.url });

    expect([down.status, autocomplete.status, unknown.status, invalid.status]).toEqual([503, 503, 404, 400]);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(down.body.error.code).toBe('service_unavailable');
  });
});

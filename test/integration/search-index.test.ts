import { Client } from '@opensearch-project/opensearch';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import {
  defaultSearchTarget,
  ensureMessagesIndex,
  indexMessages,
  messagesAliasMembers,
  refreshMessagesIndex,
  searchMessages,
  type SearchTarget,
} from '../../shared/adapters/search-index';
import { ServiceUnavailable, ValidationError } from '../../shared/domain/errors';
import {
  ARABIC_OPTIONAL_MARKS,
  messagesAlias,
  messagesIndexName,
  MESSAGES_INDEX_VERSION,
  normaliseSearchText,
  type SearchableMessage,
} from '../../shared/domain/search';
import { MESSAGES_CHUNK_SQL, migrateMessagesIndex, reindexMessages } from '../../shared/services/reindex';
import { dropTarget, isolatedTarget, searchable, seedMessages, testDatabase, uniqueToken } from '../helpers/search';

/** Indexes messages through the alias, asserts every write succeeded, and makes them searchable. */
async function given(messages: SearchableMessage[], target: SearchTarget = defaultSearchTarget()) {
  const outcomes = await indexMessages(messages, target);
  expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  await refreshMessagesIndex(target);
  return outcomes;
}

const search = (token: string, chatNumber: number, q: string, paging: { page?: number; limit?: number } = {}, target?: SearchTarget) =>
  searchMessages({ token, chatNumber, q, page: paging.page ?? 1, limit: paging.limit ?? 20 }, target);

const numbers = async (token: string, chatNumber: number, q: string, target?: SearchTarget) =>
  (await search(token, chatNumber, q, {}, target)).hits.map((hit) => hit.number);

beforeAll(async () => {
  // The global setup created the test stage's index (prepareStage); this keeps the file runnable alone.
  await ensureMessagesIndex();
});

describe('search: substrings in any script', () => {
  const token = uniqueToken();

  beforeAll(async () => {
    await given([
      searchable(token, 1, 1, 'That was an absolutely unbelievable ending!'),
      searchable(token, 1, 2, 'Nothing to see here'),
      searchable(token, 1, 3, 'مرحبا بالعالم، كيف حالك؟'),
      searchable(token, 1, 4, 'مَرْحَبًا يا صديقي'),
      searchable(token, 1, 5, '我们明天去北京大学看看'),
      searchable(token, 1, 6, 'party time 🎉🎊 with the 👨‍👩‍👧 family'),
      searchable(token, 1, 7, 'नमस्ते दुनिया'),
      searchable(token, 1, 8, 'ÉCOLE Straße İstanbul'),
    ]);
  });

  it('finds a message by a 4-letter fragment from the middle of a long word, case-insensitively', async () => {
    expect(await numbers(token, 1, 'liev')).toEqual([1]);
    expect(await numbers(token, 1, 'LIEVA')).toEqual([1]);
    expect(await numbers(token, 1, 'solutely')).toEqual([1]);
  });

  it('finds 2-letter fragments', async () => {
    expect(await numbers(token, 1, 'ee')).toEqual([2]);
    expect(await numbers(token, 1, 'bs')).toEqual([1]);
    expect(await numbers(token, 1, 'nb')).toEqual([1, 8]);
  });

  it('matches the whole fragment contiguously, not its letters scattered', async () => {
    // "bl", "le" and "ev" all occur in "unbelievable", "blev" does not.
    expect(await numbers(token, 1, 'blev')).toEqual([]);
  });

  it('requires every word of the query', async () => {
    expect(await numbers(token, 1, 'liev ending')).toEqual([1]);
    expect(await numbers(token, 1, 'liev here')).toEqual([]);
  });

  it('finds Arabic by a fragment, with or without the optional vowel marks', async () => {
    expect(await numbers(token, 1, 'عالم')).toEqual([3]);
    expect(await numbers(token, 1, 'رحب')).toEqual([3, 4]);
    expect(await numbers(token, 1, 'صدي')).toEqual([4]);
  });

  it('finds CJK text, which has no spaces, by a fragment', async () => {
    expect(await numbers(token, 1, '北京')).toEqual([5]);
    expect(await numbers(token, 1, '京大')).toEqual([5]);
  });

  it('finds emoji, including a joined emoji sequence, and Devanagari with its combining marks', async () => {
    expect(await numbers(token, 1, '🎉🎊')).toEqual([6]);
    expect(await numbers(token, 1, '👨‍👩‍👧')).toEqual([6]);
    expect(await numbers(token, 1, 'मस्ते')).toEqual([7]);
  });

  it('lowercases beyond ASCII', async () => {
    expect(await numbers(token, 1, 'école')).toEqual([8]);
    expect(await numbers(token, 1, 'STRASSE')).toEqual([]);
    expect(await numbers(token, 1, 'straße')).toEqual([8]);
  });
});

describe('search: scope', () => {
  it('returns only the asked chat of the asked application', async () => {
    const token = uniqueToken();
    const other = uniqueToken();
    await given([
      searchable(token, 1, 1, 'the fragment zyxw is here'),
      searchable(token, 2, 1, 'the fragment zyxw in chat two'),
      searchable(other, 1, 1, 'the fragment zyxw in another app'),
    ]);

    const result = await search(token, 1, 'zyxw');

    expect(result).toMatchObject({ total: 1, hits: [{ number: 1, content: 'the fragment zyxw is here' }] });
    expect(await numbers(token, 2, 'zyxw')).toEqual([1]);
    expect((await search(token, 3, 'zyxw')).total).toBe(0);
  });
});

describe('search: literal text', () => {
  const token = uniqueToken();
  const texts = [
    'a "quoted" word',
    'glob a*b and c:d',
    'path back\\slash',
    'json {x} braces',
    'cats OR dogs',
    'this AND that NOT those',
    '(p) [b] ~t^2 && || -m +p /re/ <tag> 100% $var #hash @me',
  ];

  beforeAll(async () => {
    await given(texts.map((text, i) => searchable(token, 1, i + 1, text)));
  });

  it.each([
    ['"quoted"', [1]],
    ['a*b', [2]],
    ['c:d', [2]],
    ['back\\slash', [3]],
    ['{x}', [4]],
    ['OR', [1, 5]],
    ['AND', [2, 6]],
    ['NOT', [6]],
    ['&& ||', [7]],
    ['/re/ <tag>', [7]],
    ['100% $var', [7]],
    ['~t^2', [7]],
  ])('searches %s as the characters it is, never an error', async (q, expected) => {
    expect((await numbers(token, 1, q)).sort((a, b) => a - b)).toEqual(expected);
  });

  it('searches a query of one-character words as characters the messages must all contain', async () => {
    expect((await numbers(token, 1, 'a b')).sort((a, b) => a - b)).toEqual([2, 3, 4, 7]);
    await expect(search(token, 1, ' ')).rejects.toThrow(ValidationError);
  });
});

describe('search: ranking, paging, highlight', () => {
  it('ranks the exact word first, then the exact phrase, then substrings by number', async () => {
    const token = uniqueToken();
    await given([
      searchable(token, 1, 1, 'concatenate these'),
      searchable(token, 1, 2, 'a category of its own'),
      searchable(token, 1, 3, 'the cat sat'),
    ]);

    expect(await numbers(token, 1, 'cat')).toEqual([3, 1, 2]);

    const phrases = uniqueToken();
    await given([
      searchable(phrases, 1, 1, 'apple pies are red'),
      searchable(phrases, 1, 2, 'a red apple'),
      searchable(phrases, 1, 3, 'redder apples'),
    ]);
    expect(await numbers(phrases, 1, 'red apple')).toEqual([2, 1, 3]);
  });

  it('pages through every match once, with a total that agrees', async () => {
    const token = uniqueToken();
    await given([
      ...Array.from({ length: 25 }, (_, i) => searchable(token, 1, i + 1, `message ${i + 1} has xxqjyy inside`)),
      ...Array.from({ length: 5 }, (_, i) => searchable(token, 1, 26 + i, `message ${26 + i} does not`)),
    ]);

    const pages = await Promise.all([1, 2, 3, 4].map((page) => search(token, 1, 'qj', { page, limit: 10 })));

    expect(pages.map((p) => p.total)).toEqual([25, 25, 25, 25]);
    expect(pages.map((p) => p.hits.length)).toEqual([10, 10, 5, 0]);
    expect(pages.flatMap((p) => p.hits.map((h) => h.number))).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('returns the message fields and marks each match in an HTML-escaped fragment', async () => {
    const token = uniqueToken();
    const message = searchable(token, 1, 1, 'An unbelievable <b>story</b>: I believe it');
    await given([message]);

    const { hits } = await search(token, 1, 'liev');

    expect(hits).toEqual([
      {
        number: 1,
        content: message.content,
        created_at: message.createdAt,
        updated_at: message.updatedAt,
        highlight: ['An unbe<em>liev</em>able &lt;b&gt;story&lt;&#x2F;b&gt;: I be<em>liev</em>e it'],
      },
    ]);
  });
});

describe('indexing: idempotent and ordered by version', () => {
  it('keeps the newer version when an older one arrives later, and reports the late one as done', async () => {
    const token = uniqueToken();
    const newer = searchable(token, 1, 1, 'edited text pqrs', '2025-03-02T00:00:00.000Z');
    const older = searchable(token, 1, 1, 'original text wxyz', '2025-03-01T00:00:00.000Z');

    await given([newer]);
    const outcomes = await indexMessages([older]);
    await refreshMessagesIndex();

    expect(outcomes).toEqual([{ ok: true, result: 'stale' }]);
    expect(await numbers(token, 1, 'pqrs')).toEqual([1]);
    expect(await numbers(token, 1, 'wxyz')).toEqual([]);
  });

  it('writes the same documents twice without duplicates, and maps one result to each input in order', async () => {
    const token = uniqueToken();
    const messages = [1, 2, 3].map((n) => searchable(token, 1, n, `dup check ${n} mmkk`));

    const first = await given(messages);
    const second = await given(messages);

    expect(first.map((o) => o.ok && o.result)).toEqual(['created', 'created', 'created']);
    expect(second.map((o) => o.ok && o.result)).toEqual(['updated', 'updated', 'updated']);
    expect((await search(token, 1, 'mmkk')).total).toBe(3);
  });

  it('reports a failed item on its own, its batch-mates still written', async () => {
    const token = uniqueToken();
    // A number beyond the integer mapping stands for any document OpenSearch rejects on its own.
    const rejected = searchable(token, 1, 2 ** 31, 'never stored ggff');

    const outcomes = await indexMessages([searchable(token, 1, 1, 'stored fine xggffx'), rejected, searchable(token, 1, 3, 'also xggffx')]);
    await refreshMessagesIndex();

    expect(outcomes[0]).toEqual({ ok: true, result: 'created' });
    expect(outcomes[1]).toMatchObject({ ok: false, retryable: false });
    expect(outcomes[2]).toEqual({ ok: true, result: 'created' });
    expect(await numbers(token, 1, 'ggff')).toEqual([1, 3]);
  });
});

describe('the index behind the alias', () => {
  it('is created once, as the alias write index, by concurrent callers', async () => {
    const target = isolatedTarget('ensure');
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => ensureMessagesIndex(target)));

      expect(results.filter((r) => r.created)).toHaveLength(1);
      const current = messagesIndexName(target.prefix, MESSAGES_INDEX_VERSION);
      expect(results.every((r) => r.index === current && r.upToDate)).toBe(true);
      expect(await messagesAliasMembers(target)).toEqual([{ index: current, version: MESSAGES_INDEX_VERSION, isWriteIndex: true, filtered: false }]);
      expect((await ensureMessagesIndex(target)).created).toBe(false);
    } finally {
      await dropTarget(target);
    }
  });
});

describe('the query normalisation and the index analyzers agree', () => {
  it('every analyzer drops exactly the marks the query drops (ARABIC_OPTIONAL_MARKS), and lowercases', async () => {
    const target = isolatedTarget('analyze');
    try {
      await ensureMessagesIndex(target);
      const analyze = async (analyzer: string, text: string) => {
        const { body } = await target.client.indices.analyze({ index: messagesAlias(target.prefix), body: { analyzer, text } });
        return (body.tokens ?? []).map((token) => token.token);
      };
      const marked = ARABIC_OPTIONAL_MARKS.map((code) => `ب${String.fromCodePoint(code)}`).join('');

      expect(normaliseSearchText(marked)).toBe('ب'.repeat(ARABIC_OPTIONAL_MARKS.length));
      expect(new Set(await analyze('content_characters', marked))).toEqual(new Set(['ب']));
      expect(await analyze('content_words', 'مَرْحَبًا Hello')).toEqual(['مرحبا', 'hello']);
      expect(await analyze('content_initials', 'مَرْحَبًا Hello 北京')).toEqual(['م', 'h', '北', '京']);
      expect(await analyze('content_substrings', 'كتبً')).toEqual(['كت', 'تب']);
    } finally {
      await dropTarget(target);
    }
  });
});

describe('reindex from MySQL', () => {
  let db: Connection;
  let target: SearchTarget;

  beforeAll(async () => {
    db = await testDatabase();
    target = isolatedTarget('reindex');
  });

  afterAll(async () => {
    await dropTarget(target);
    await db.end();
  });

  it('reads each chunk with one indexed query', async () => {
    const [plan] = await db.query<RowDataPacket[]>(`EXPLAIN ${MESSAGES_CHUNK_SQL}`, [0, 1000]);

    const byTable = Object.fromEntries(plan.map((row) => [row.table, row]));
    expect(plan.map((row) => row.table)).toEqual(['m', 'c', 'a']);
    expect(byTable.m.Extra ?? '').not.toMatch(/filesort|temporary/);
    expect(byTable.m).toMatchObject({ key: 'PRIMARY', type: 'range' });
    expect(byTable.c).toMatchObject({ key: 'PRIMARY', type: 'eq_ref' });
    expect(byTable.a).toMatchObject({ key: 'PRIMARY', type: 'eq_ref' });
  });

  it('gives the same results as before, while concurrent searches all succeed', async () => {
    const token = uniqueToken();
    const messages = Array.from({ length: 120 }, (_, i) =>
      searchable(token, 1 + (i % 3), i + 1, `reindex ${i + 1} ${['alpha beta', 'gamma delta', 'epsilon zeta', 'مرحبا', '北京大学', '🎉🎊'][i % 6]}`),
    );
    await seedMessages(db, messages);
    await ensureMessagesIndex(target);
    await given(messages, target);
    const queries: [number, string][] = [
      [1, 'alpha'],
      [2, 'lta'],
      [3, 'psil'],
      [1, 'رحب'],
      [2, '京大'],
      [3, '🎉🎊'],
      [1, 'reindex 1'],
    ];
    const snapshot = () => Promise.all(queries.map(([chat, q]) => search(token, chat, q, { limit: 100 }, target)));
    const before = await snapshot();

    let searching = true;
    const during: { total: number }[] = [];
    const failures: unknown[] = [];
    const searcher = (async () => {
      while (searching) {
        await search(token, 1, 'alpha', { limit: 100 }, target).then(
          (result) => during.push(result),
          (error) => failures.push(error),
        );
      }
    })();
    const report = await reindexMessages({ db, target, chunkSize: 25 });
    searching = false;
    await searcher;

    expect(report.from).toBe(messagesIndexName(target.prefix, MESSAGES_INDEX_VERSION));
    expect(report.to).toBe(messagesIndexName(target.prefix, MESSAGES_INDEX_VERSION + 1));
    expect(report.messages).toBeGreaterThanOrEqual(messages.length);
    expect(await messagesAliasMembers(target)).toEqual([
      { index: messagesIndexName(target.prefix, MESSAGES_INDEX_VERSION + 1), version: MESSAGES_INDEX_VERSION + 1, isWriteIndex: true, filtered: false },
    ]);
    expect((await target.client.indices.exists({ index: report.from })).body).toBe(false);
    expect(await snapshot()).toEqual(before);
    expect(failures).toEqual([]);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((result) => result.total === before[0]!.total)).toBe(true);
  });

  it('keeps a consumer write made during the copy, even when the copy read an older row', async () => {
    const token = uniqueToken();
    const original = searchable(token, 1, 1, 'first draft hhjj');
    const edited = searchable(token, 1, 1, 'final text kkll', new Date(Date.parse(original.updatedAt) + 60_000).toISOString());
    const created = searchable(token, 1, 2, 'arrived during the copy hhjj');
    await seedMessages(db, [original]);
    await given([original], target);

    // The consumer acts right after the copy read its first chunk: MySQL first, then the alias.
    let consumerRan = false;
    const racingDb = {
      query: async (...args: Parameters<Connection['query']>) => {
        const result = await (db.query as (...a: unknown[]) => Promise<unknown>)(...args);
        if (!consumerRan && (args[0] as unknown) === MESSAGES_CHUNK_SQL) {
          consumerRan = true;
          await db.query('UPDATE messages m JOIN chats c ON c.id = m.chat_id JOIN applications a ON a.id = c.application_id SET m.content = ?, m.updated_at = ? WHERE a.token = ? AND m.number = 1', [
            edited.content,
            new Date(edited.updatedAt),
            token,
          ]);
          await db.query(
            `INSERT INTO messages (chat_id, number, content, created_at, updated_at)
             SELECT c.id, 2, ?, ?, ? FROM chats c JOIN applications a ON a.id = c.application_id WHERE a.token = ? AND c.number = 1`,
            [created.content, new Date(created.createdAt), new Date(created.updatedAt), token],
          );
          expect((await indexMessages([edited, created], target)).every((o) => o.ok)).toBe(true);
        }
        return result;
      },
    } as unknown as Connection;
    await reindexMessages({ db: racingDb, target, chunkSize: 100_000 });

    expect(consumerRan).toBe(true);
    expect(await numbers(token, 1, 'kkll', target)).toEqual([1]);
    expect(await numbers(token, 1, 'hhjj', target)).toEqual([2]);
  });
});

describe('moving a stage from the v1 definition', () => {
  let db: Connection;
  let target: SearchTarget;

  beforeAll(async () => {
    db = await testDatabase();
    target = isolatedTarget('migrate');
  });

  afterAll(async () => {
    await dropTarget(target);
    await db.end();
  });

  it('rebuilds messages_v1 into v2 behind the alias, after which one-character queries work; a second run changes nothing', async () => {
    const token = uniqueToken();
    const messages = [searchable(token, 1, 1, 'hello from v1'), searchable(token, 1, 2, 'كتبً رسالة')];
    await seedMessages(db, messages);
    // The v1 definition as far as this test needs it: bigram `content`, standard `content.words`, no one-character fields.
    const v1 = messagesIndexName(target.prefix, 1);
    await target.client.indices.create({
      index: v1,
      body: {
        settings: { index: { max_ngram_diff: 0 }, analysis: { tokenizer: { bigrams: { type: 'ngram', min_gram: 2, max_gram: 2 } }, analyzer: { substrings: { type: 'custom', tokenizer: 'bigrams', filter: ['lowercase'] } } } },
        mappings: {
          _meta: { definition: 'v1' },
          properties: {
            token: { type: 'keyword' },
            chat_number: { type: 'keyword' },
            number: { type: 'integer' },
            content: { type: 'text', analyzer: 'substrings', fields: { words: { type: 'text', analyzer: 'standard' } } },
            created_at: { type: 'date' },
            updated_at: { type: 'date' },
          },
        },
        aliases: { [messagesAlias(target.prefix)]: { is_write_index: true } },
      } as never,
    });
    await given(messages, target);
    expect(await numbers(token, 1, 'h', target)).toEqual([]);

    const migration = await migrateMessagesIndex({ db, target });

    expect(migration.reindexed).toMatchObject({ from: v1, to: messagesIndexName(target.prefix, 2) });
    expect(await messagesAliasMembers(target)).toEqual([{ index: messagesIndexName(target.prefix, 2), version: 2, isWriteIndex: true, filtered: false }]);
    expect(await numbers(token, 1, 'h', target)).toEqual([1]);
    expect(await numbers(token, 1, 'بً', target)).toEqual([2]);
    expect(await migrateMessagesIndex({ db, target })).toEqual({ index: messagesIndexName(target.prefix, 2), created: false });
  });
});

describe('when OpenSearch cannot be reached', () => {
  const unreachable: SearchTarget = { client: new Client({ node: 'http://127.0.0.1:9', maxRetries: 0, requestTimeout: 2000 }), prefix: 'test_' };

  afterAll(() => unreachable.client.close());

  it('throws ServiceUnavailable (503 + Retry-After) from every operation', async () => {
    const token = uniqueToken();

    await expect(search(token, 1, 'hello', {}, unreachable)).rejects.toThrow(ServiceUnavailable);
    await expect(indexMessages([searchable(token, 1, 1, 'hello')], unreachable)).rejects.toThrow(ServiceUnavailable);
    await expect(ensureMessagesIndex(unreachable)).rejects.toMatchObject({ status: 503, headers: { 'Retry-After': expect.any(String) } });
  });

  it('but lets a real error through as it is', async () => {
    const missing: SearchTarget = { client: defaultSearchTarget().client, prefix: 'test_no_such_stage_' };

    const error = await search(uniqueToken(), 1, 'hello', {}, missing).catch((e: unknown) => e);

    expect(error).not.toBeInstanceOf(ServiceUnavailable);
    expect(error).toMatchObject({ statusCode: 404 });
  });
});

import { ValidationError } from '../../shared/domain/errors';
import {
  buildSearchQuery,
  chatRouting,
  messageDocumentId,
  messagesIndexDefinition,
  messageWrite,
  RANK_TIERS,
  searchWords,
  SEARCH_LIMITS,
} from '../../shared/domain/search';

const request = { token: 'tok_A', chatNumber: 7, q: 'hello', page: 1, limit: 20 };
const filters = (body: ReturnType<typeof buildSearchQuery>) => body.query.bool.filter as Record<string, any>[];

describe('buildSearchQuery', () => {
  it('scopes every search to the token and the chat, as filters', () => {
    const body = buildSearchQuery(request);

    expect(filters(body)).toEqual(expect.arrayContaining([{ term: { token: 'tok_A' } }, { term: { chat_number: 7 } }]));
  });

  it('requires each word of two or more characters as a substring of content', () => {
    const body = buildSearchQuery({ ...request, q: 'lieva  ab x' });

    expect(filters(body).slice(2)).toEqual([{ match_phrase: { content: { query: 'lieva' } } }, { match_phrase: { content: { query: 'ab' } } }]);
  });

  it('passes query syntax through as literal text, never to a query parser', () => {
    const queries = ['"quoted" a*b c:d back\\slash {x} OR AND NOT', '(p) [b] ~t^2 && || -m +p /re/'];

    for (const q of queries) {
      const body = buildSearchQuery({ ...request, q });

      expect(JSON.stringify(body)).not.toMatch(/query_string|simple_query_string|"regexp"|"wildcard"|"prefix"|"fuzzy"/);
      const words = filters(body)
        .slice(2)
        .map((clause) => clause.match_phrase.content.query);
      expect(words).toEqual(q.split(' '));
    }
  });

  it('ranks by constant-score tiers (phrase, then whole words), never by index-wide term statistics', () => {
    const body = buildSearchQuery({ ...request, q: 'red apple' });

    expect(body.query.bool.should).toEqual([
      { constant_score: { filter: { match_phrase: { 'content.words': { query: 'red apple' } } }, boost: RANK_TIERS.phrase } },
      { constant_score: { filter: { match: { 'content.words': { query: 'red', operator: 'and' } } }, boost: RANK_TIERS.exactWord } },
      { constant_score: { filter: { match: { 'content.words': { query: 'apple', operator: 'and' } } }, boost: RANK_TIERS.exactWord } },
    ]);
    expect(body.sort).toEqual([{ _score: { order: 'desc' } }, { number: { order: 'asc' } }]);
  });

  it('makes each tier outweigh every lower tier met by all the words', () => {
    expect(RANK_TIERS.phrase).toBeGreaterThan(SEARCH_LIMITS.maxWords * RANK_TIERS.exactWord);
  });

  it('pages with from = (page - 1) × limit and counts every match', () => {
    expect(buildSearchQuery({ ...request, page: 1, limit: 20 })).toMatchObject({ from: 0, size: 20, track_total_hits: true });
    expect(buildSearchQuery({ ...request, page: 3, limit: 25 })).toMatchObject({ from: 50, size: 25 });
    expect(buildSearchQuery({ ...request, page: 100, limit: 100 })).toMatchObject({ from: 9900, size: 100 });
  });

  it('refuses pages beyond the result window and non-positive paging', () => {
    expect(() => buildSearchQuery({ ...request, page: 101, limit: 100 })).toThrow(ValidationError);
    expect(() => buildSearchQuery({ ...request, page: 0 })).toThrow(ValidationError);
    expect(() => buildSearchQuery({ ...request, limit: 0 })).toThrow(ValidationError);
    expect(() => buildSearchQuery({ ...request, page: 1.5 })).toThrow(ValidationError);
  });

  it('highlights the substring matches of content, HTML-escaped, with <em> marks', () => {
    const body = buildSearchQuery({ ...request, q: 'liev' });

    expect(body.highlight).toMatchObject({ encoder: 'html', pre_tags: ['<em>'], post_tags: ['</em>'] });
    expect(body.highlight.highlight_query).toEqual({ bool: { should: [{ match_phrase: { content: { query: 'liev' } } }] } });
  });
});

describe('searchWords', () => {
  it('ignores one-character words and duplicates (case-insensitively)', () => {
    expect(searchWords(' a Chat  b chat x zz ')).toEqual(['Chat', 'zz']);
  });

  it('counts characters, not UTF-16 units: one emoji is one character', () => {
    expect(() => searchWords('🎉')).toThrow(ValidationError);
    expect(searchWords('🎉🎊 猫 北京')).toEqual(['🎉🎊', '北京']);
  });

  it('rejects a query with no word of two characters, an empty one, and oversized ones', () => {
    expect(() => searchWords('a b c')).toThrow(/at least 2 characters/);
    expect(() => searchWords('   ')).toThrow(ValidationError);
    expect(() => searchWords('x'.repeat(SEARCH_LIMITS.maxQueryLength + 1))).toThrow(/at most/);
    expect(() => searchWords(Array.from({ length: SEARCH_LIMITS.maxWords + 1 }, (_, i) => `w${i}`).join(' '))).toThrow(/words/);
  });
});

describe('message documents', () => {
  const message = {
    token: 'tok_A',
    chatNumber: 7,
    number: 42,
    content: 'Hello',
    createdAt: '2025-01-02T03:04:05.678Z',
    updatedAt: '2025-01-02T03:04:06.789Z',
  };

  it('derive id and routing from (token, chat, number), so re-delivery overwrites one document per chat shard', () => {
    expect(messageDocumentId('tok_A', 7, 42)).toBe('tok_A:7:42');
    expect(chatRouting('tok_A', 7)).toBe('tok_A:7');
    expect(messageWrite(message)).toMatchObject({ id: 'tok_A:7:42', routing: 'tok_A:7' });
  });

  it('carry updated_at in epoch milliseconds as their external version', () => {
    const write = messageWrite(message);

    expect(write.version).toBe(Date.parse('2025-01-02T03:04:06.789Z'));
    expect(write.document).toEqual({
      token: 'tok_A',
      chat_number: 7,
      number: 42,
      content: 'Hello',
      created_at: '2025-01-02T03:04:05.678Z',
      updated_at: '2025-01-02T03:04:06.789Z',
    });
  });

  it('refuse a message without a valid updatedAt', () => {
    expect(() => messageWrite({ ...message, updatedAt: 'yesterday' })).toThrow(/updatedAt/);
  });
});

describe('the index definition', () => {
  it('is strict, with every field the documents carry', () => {
    const { mappings } = messagesIndexDefinition;

    expect(mappings.dynamic).toBe('strict');
    expect(Object.keys(mappings.properties).sort()).toEqual(Object.keys(messageWrite({
      token: 't', chatNumber: 1, number: 1, content: 'c', createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z',
    }).document).sort());
  });
});

import { ValidationError } from '../../shared/domain/errors';
import {
  ARABIC_OPTIONAL_MARKS,
  buildSearchQuery,
  normaliseSearchText,
  pickHighlight,
  chatRouting,
  messageDocumentId,
  messagesIndexDefinition,
  messageWrite,
  RANK_TIERS,
  searchWords,
  SEARCH_LIMITS,
  type SearchQueryBody,
  type SearchRequest,
} from '../../shared/domain/search';

const request = { token: 'tok_A', chatNumber: 7, q: 'hello', page: 1, limit: 20 };
const build = (overrides: Partial<SearchRequest> = {}): SearchQueryBody => {
  const body = buildSearchQuery({ ...request, ...overrides });
  if (body === null) throw new Error('expected a search body');
  return body;
};
const filters = (body: ReturnType<typeof build>) => body.query.bool.filter as Record<string, any>[];

describe('buildSearchQuery', () => {
  it('scopes every search to the token and the chat, as filters', () => {
    const body = build();

    expect(filters(body)).toEqual(expect.arrayContaining([{ term: { token: 'tok_A' } }, { term: { chat_number: 7 } }]));
  });

  it('requires each word of two or more characters as a substring of content', () => {
    const body = build({ q: 'lieva  ab x' });

    expect(filters(body).slice(2)).toEqual([{ match_phrase: { content: { query: 'lieva' } } }, { match_phrase: { content: { query: 'ab' } } }]);
  });

  it('passes query syntax through as literal text, never to a query parser', () => {
    const queries = ['"quoted" a*b c:d back\\slash {x} OR AND NOT', '(p) [b] ~t^2 && || -m +p /re/'];

    for (const q of queries) {
      const body = build({ q });

      expect(JSON.stringify(body)).not.toMatch(/query_string|simple_query_string|"regexp"|"wildcard"|"prefix"|"fuzzy"/);
      const words = filters(body)
        .slice(2)
        .map((clause) => clause.match_phrase.content.query);
      expect(words).toEqual(q.split(' '));
    }
  });

  it('ranks by constant-score tiers (phrase, then whole words), never by index-wide term statistics', () => {
    const body = build({ q: 'red apple' });

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
    expect(build({ page: 1, limit: 20 })).toMatchObject({ from: 0, size: 20, track_total_hits: true });
    expect(build({ page: 3, limit: 25 })).toMatchObject({ from: 50, size: 25 });
    expect(build({ page: 100, limit: 100 })).toMatchObject({ from: 9900, size: 100 });
  });

  it('refuses pages beyond the result window and non-positive paging', () => {
    expect(() => buildSearchQuery({ ...request, page: 101, limit: 100 })).toThrow(ValidationError);
    expect(() => buildSearchQuery({ ...request, page: 0 })).toThrow(ValidationError);
    expect(() => buildSearchQuery({ ...request, limit: 0 })).toThrow(ValidationError);
    expect(() => buildSearchQuery({ ...request, page: 1.5 })).toThrow(ValidationError);
  });

  it('highlights the substring matches of content, HTML-escaped, with <em> marks', () => {
    const body = build({ q: 'liev' });

    expect(body.highlight).toMatchObject({ encoder: 'html', pre_tags: ['<em>'], post_tags: ['</em>'] });
    expect(Object.keys(body.highlight.fields)).toEqual(['content']);
    expect(body.highlight.fields.content!.highlight_query).toEqual({ bool: { should: [{ match_phrase: { content: { query: 'liev' } } }] } });
  });

  it('matches a one-character query anywhere (content.chars) and ranks words starting with it higher', () => {
    const body = build({ q: '?' });

    expect(filters(body).slice(2)).toEqual([{ match: { 'content.chars': { query: '?' } } }]);
    expect(body.query.bool.should).toEqual([
      { constant_score: { filter: { match: { 'content.words': { query: '?', operator: 'and' } } }, boost: RANK_TIERS.exactWord } },
      { constant_score: { filter: { match: { 'content.initials': { query: '?' } } }, boost: RANK_TIERS.wordStart } },
    ]);
    expect(Object.keys(body.highlight.fields)).toEqual(['content.chars']);
  });

  it('is no request at all when every word normalises to nothing', () => {
    expect(buildSearchQuery({ ...request, q: '\u064b\u064b \u0640' })).toBeNull();
  });

  it('with fuzzy, accepts a word one edit away for words of four characters or more, ranked below substrings', () => {
    const body = build({ q: 'recieve ok', fuzzy: true });
    const [recieve, ok] = filters(body).slice(2);

    expect(ok).toEqual({ match_phrase: { content: { query: 'ok' } } });
    expect(recieve).toEqual({
      bool: {
        should: [
          { match_phrase: { content: { query: 'recieve' } } },
          { match: { 'content.words': expect.objectContaining({ query: 'recieve', fuzziness: 'AUTO:4,201' }) } },
        ],
        minimum_should_match: 1,
      },
    });
    expect(body.query.bool.should).toContainEqual({ constant_score: { filter: { match_phrase: { content: { query: 'recieve' } } }, boost: RANK_TIERS.substring } });
    expect(Object.keys(body.highlight.fields)).toEqual(['content', 'content.words']);
    expect(JSON.stringify(build({ q: 'recieve ok' }))).not.toMatch(/fuzziness/);
  });
});

describe('pickHighlight', () => {
  it('takes the first field that marks a match, else the first field, else nothing', () => {
    const fields = ['content', 'content.words'];

    expect(pickHighlight(fields, { content: ['a <em>b</em>'], 'content.words': ['<em>x</em>'] })).toEqual(['a <em>b</em>']);
    expect(pickHighlight(fields, { content: ['plain start'], 'content.words': ['<em>recieve</em> it'] })).toEqual(['<em>recieve</em> it']);
    expect(pickHighlight(fields, { content: ['plain start'] })).toEqual(['plain start']);
    expect(pickHighlight(fields, undefined)).toEqual([]);
  });
});

describe('searchWords', () => {
  it('ignores one-character words next to longer ones, and duplicates (case-insensitively)', () => {
    expect(searchWords(' a Chat  b chat x zz ')).toEqual(['Chat', 'zz']);
  });

  it('counts characters, not UTF-16 units: one emoji is one character', () => {
    expect(searchWords('🎉')).toEqual(['🎉']);
    expect(searchWords('🎉🎊 猫 北京')).toEqual(['🎉🎊', '北京']);
  });

  it('keeps one-character words when there is nothing longer: any script, digits, punctuation', () => {
    expect(searchWords('h')).toEqual(['h']);
    expect(searchWords('a b A')).toEqual(['a', 'b']);
    for (const q of ['?', '#', '-', '0', 'ب', '猫', '🎉']) expect(searchWords(q)).toEqual([q]);
  });

  it('counts a word after dropping the optional Arabic marks, as the index does (issue 13 point 7)', () => {
    // "بً" is two code points, one letter once the tanween is dropped: a one-character query.
    expect(searchWords('بً')).toEqual(['ب']);
    // "ًً" normalises to nothing and is ignored, not fatal.
    expect(searchWords('zebraquux ًً')).toEqual(['zebraquux']);
    expect(searchWords('مَرْحَبًا')).toEqual(['مرحبا']);
    expect(searchWords('ًً ـ')).toEqual([]);
  });

  it('rejects an empty query and oversized ones', () => {
    expect(() => searchWords('   ')).toThrow(ValidationError);
    expect(() => searchWords('')).toThrow(ValidationError);
    expect(() => searchWords('x'.repeat(SEARCH_LIMITS.maxQueryLength + 1))).toThrow(/at most/);
    expect(() => searchWords(Array.from({ length: SEARCH_LIMITS.maxWords + 1 }, (_, i) => `w${i}`).join(' '))).toThrow(/words/);
  });
});

describe('normaliseSearchText', () => {
  it('drops every optional mark the index char filter drops, and nothing else', () => {
    const marks = ARABIC_OPTIONAL_MARKS.map((code) => String.fromCodePoint(code)).join('');

    expect(normaliseSearchText(`ك${marks}تب`)).toBe('كتب');
    expect(normaliseSearchText('naïve 北京 🎉 كتب')).toBe('naïve 北京 🎉 كتب');
    expect(messagesIndexDefinition.settings.analysis.char_filter.arabic_optional_marks.mappings).toHaveLength(ARABIC_OPTIONAL_MARKS.length);
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

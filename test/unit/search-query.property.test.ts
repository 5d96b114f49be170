import fc from 'fast-check';
import { ValidationError } from '../../shared/domain/errors';
import { ARABIC_OPTIONAL_MARKS, buildSearchQuery, RANK_TIERS, SEARCH_LIMITS, searchWords } from '../../shared/domain/search';

/*
 * Properties of the query builder over arbitrary text: any script, marks, emoji, punctuation, query
 * syntax, white space of every kind. Whatever a client types, the builder either answers a body made
 * of plain match clauses scoped to the chat, or a ValidationError, never anything else.
 */

const MARKS = ARABIC_OPTIONAL_MARKS.map((code) => String.fromCodePoint(code));
const SYNTAX = ['"', '*', ':', '\\', '{', '}', '(', ')', '[', ']', '~', '^', '/', '&&', '||', 'OR', 'AND', 'NOT', '-', '+', '?', '#'];
const SPACES = [' ', '  ', '\t', '\n', '\u00a0', '\u3000'];

/** Text mixing every kind of character a client may send, spaces and marks included. */
const queryText = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
      fc.constantFrom(...MARKS, ...SYNTAX, ...SPACES, 'ب', 'كتب', '北京', '🎉', '👨‍👩‍👧'),
    ),
    { minLength: 1, maxLength: 30 },
  )
  .map((parts) => parts.join(''));

const request = (q: string, fuzzy: boolean, page = 1, limit = 20) => ({ token: 'tok_A', chatNumber: 7, q, page, limit, fuzzy });
const characters = (text: string) => [...text].length;

describe('buildSearchQuery over arbitrary text', () => {
  it('answers a scoped body of plain match clauses with the asked page, null, or a ValidationError; never anything else', () => {
    fc.assert(
      fc.property(queryText, fc.boolean(), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 100 }), (q, fuzzy, page, limit) => {
        let body: ReturnType<typeof buildSearchQuery>;
        try {
          body = buildSearchQuery(request(q, fuzzy, page, limit));
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          return;
        }
        if (body === null) {
          expect(searchWords(q)).toEqual([]);
          return;
        }
        // Paging: within the result window (the service answers pages past it empty, without a query).
        expect(page * limit).toBeLessThanOrEqual(SEARCH_LIMITS.maxResultWindow);
        expect([body.from, body.size]).toEqual([(page - 1) * limit, limit]);
        const json = JSON.stringify(body);
        expect(json).not.toMatch(/query_string|simple_query_string|"regexp"|"wildcard"|"prefix"|"script"/);
        expect(body.query.bool.filter.slice(0, 2)).toEqual([{ term: { token: 'tok_A' } }, { term: { chat_number: 7 } }]);
        expect(body.query.bool.filter).toHaveLength(2 + searchWords(q).length);
        expect(json.includes('fuzziness')).toBe(fuzzy && searchWords(q).some((word) => characters(word) >= SEARCH_LIMITS.minFuzzyWordLength));
      }),
      { numRuns: 500 },
    );
  });

  it('searches words that are non-empty, without white space or optional marks, all ≥ 2 characters or all one character', () => {
    fc.assert(
      fc.property(queryText, (q) => {
        let words: string[];
        try {
          words = searchWords(q);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          return;
        }
        expect(words.length).toBeLessThanOrEqual(SEARCH_LIMITS.maxWords);
        for (const word of words) {
          expect(word).not.toMatch(/\s/u);
          expect(MARKS.some((mark) => word.includes(mark))).toBe(false);
          expect(characters(word)).toBeGreaterThan(0);
        }
        const lengths = new Set(words.map((word) => (characters(word) >= SEARCH_LIMITS.minWordLength ? 'long' : 'one')));
        expect(lengths.size).toBeLessThanOrEqual(1);
        expect(new Set(words.map((word) => word.toLowerCase())).size).toBe(words.length);
      }),
      { numRuns: 500 },
    );
  });

  it('ignores optional marks wherever they are inserted (the index drops them too)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('كتب', 'رسالة', 'zebra', 'ب', 'x', '北京', ' '), { minLength: 1, maxLength: 12 }), fc.array(fc.nat()), (parts, positions) => {
        const plain = parts.join('');
        fc.pre(plain.trim() !== '');
        const chars = [...plain];
        for (const [i, position] of positions.entries()) chars.splice(position % (chars.length + 1), 0, MARKS[i % MARKS.length]!);
        const marked = chars.join('');
        fc.pre(characters(marked) <= SEARCH_LIMITS.maxQueryLength);

        const outcome = (q: string) => {
          try {
            return searchWords(q);
          } catch (error) {
            return (error as Error).message;
          }
        };
        expect(outcome(marked)).toEqual(outcome(plain));
      }),
      { numRuns: 300 },
    );
  });

  it('is stable: the searched words, typed again, are searched the same', () => {
    fc.assert(
      fc.property(queryText, (q) => {
        let words: string[];
        try {
          words = searchWords(q);
        } catch {
          return;
        }
        fc.pre(words.length > 0);
        expect(searchWords(words.join(' '))).toEqual(words);
      }),
      { numRuns: 300 },
    );
  });

  it('orders the tiers lexicographically for any number of words', () => {
    const most = (tier: number) => SEARCH_LIMITS.maxWords * tier;
    expect(RANK_TIERS.phrase).toBeGreaterThan(most(RANK_TIERS.exactWord) + most(RANK_TIERS.wordStart) + most(RANK_TIERS.substring));
    expect(RANK_TIERS.exactWord).toBeGreaterThan(most(RANK_TIERS.wordStart) + most(RANK_TIERS.substring));
    expect(RANK_TIERS.wordStart).toBeGreaterThan(most(RANK_TIERS.substring));
  });
});

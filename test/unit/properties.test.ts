import fc from 'fast-check';
import { ValidationError } from '../../shared/domain/errors';
import { ChatPath, LIMITS, MessagePath, Paging } from '../../shared/domain/schemas';
import { buildSearchQuery, SEARCH_LIMITS, searchWords } from '../../shared/domain/search';

/*
 * Properties of the domain's parsing, for any input (fast-check generates them, shrinking a failure
 * to its smallest case): every input is either accepted with the right value or refused as a
 * validation error, never an exception of another kind (which the API would answer with a 500).
 */
const token = 'tX3b9vQ2mJ0cYk1sZr7dLw5pHq8nFe4a';
const digits = (n: number) => String(n);

describe('path numbers', () => {
  it('every integer from 1 to 2^31 - 1 parses to itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: LIMITS.maxNumber }), fc.integer({ min: 1, max: LIMITS.maxNumber }), (chat, message) => {
        expect(MessagePath.parse({ token, chatNumber: digits(chat), messageNumber: digits(message) })).toEqual({
          token,
          chatNumber: chat,
          messageNumber: message,
        });
      }),
    );
  });

  it('any other string is refused, never thrown on', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 14 }), (text) => {
        const result = ChatPath.safeParse({ token, chatNumber: text });
        const valid = /^[1-9][0-9]{0,9}$/.test(text) && Number(text) <= LIMITS.maxNumber;
        expect(result.success).toBe(valid);
        if (valid) expect(result.data?.chatNumber).toBe(Number(text));
      }),
    );
  });
});

describe('paging', () => {
  it('accepts every page ≥ 1 (to 1,000,000) and limit 1..100, defaults the missing ones', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: LIMITS.pageSizeMax }), { nil: undefined }),
        (page, limit) => {
          const query = { ...(page === undefined ? {} : { page: digits(page) }), ...(limit === undefined ? {} : { limit: digits(limit) }) };
          expect(Paging.parse(query)).toEqual({ page: page ?? 1, limit: limit ?? LIMITS.pageSizeDefault });
        },
      ),
    );
  });

  it('refuses anything else without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String)), (value) => {
        const result = Paging.safeParse({ limit: value });
        const valid = /^[0-9]{1,10}$/.test(value) && Number(value) >= 1 && Number(value) <= LIMITS.pageSizeMax;
        expect(result.success).toBe(valid);
      }),
    );
  });
});

describe('search query building', () => {
  it('for any text and paging: a validation error, or a body scoped to the chat with the asked page', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 250, unit: fc.constantFrom('a', 'B', ' ', '\t', 'é', 'ش', '字', '😀', '"', '*', '~', ':', '(', '\\', '0') }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: LIMITS.pageSizeMax }),
        fc.integer({ min: 1, max: LIMITS.maxNumber }),
        (q, page, limit, chatNumber) => {
          let body;
          try {
            body = buildSearchQuery({ token, chatNumber, q, page, limit });
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            return;
          }
          // No word left after normalisation: nothing to search, an empty page (not an error).
          if (body === null) {
            expect(searchWords(q)).toEqual([]);
            return;
          }
          expect(page * limit).toBeLessThanOrEqual(SEARCH_LIMITS.maxResultWindow);
          expect(body.from).toBe((page - 1) * limit);
          expect(body.size).toBe(limit);
          // Scoped: the token and the chat are filters, whatever the text.
          expect(JSON.stringify(body.query.bool.filter)).toContain(JSON.stringify({ term: { token } }));
          expect(JSON.stringify(body.query.bool.filter)).toContain(JSON.stringify({ term: { chat_number: chatNumber } }));
          // Literal: the text reaches OpenSearch only as the `query` of match clauses, never as syntax.
          expect(JSON.stringify(body)).not.toContain('query_string');
        },
      ),
    );
  });
});

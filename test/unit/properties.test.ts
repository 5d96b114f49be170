import fc from 'fast-check';
import { ChatPath, LIMITS, MessagePath, Paging } from '../../shared/domain/schemas';

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

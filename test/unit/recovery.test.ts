import type { Allowance, ChatNumbering, Counters } from '../../shared/adapters/counters';
import type { NumberingStore } from '../../shared/adapters/stores/numbering';
import { NotFound, RateLimited } from '../../shared/domain/errors';
import { counterRecovery } from '../../shared/services/recovery';

const allowed: Allowance = { ok: true };

/**
 * A recovery over fakes: MySQL knows app 7 with chats 1 (5 messages) and 2 (none); 3 + 4 records
 * queued. `buckets` say what the rate limits answer; `calls` records the tokens taken and the lookups.
 */
function given(
  found: Awaited<ReturnType<NumberingStore['confirm']>>,
  buckets: { application?: Allowance; missConfirmations?: Allowance; redis?: ChatNumbering } = {},
) {
  const raised: [string, [string, number][], boolean][] = [];
  const calls: string[] = [];
  const counters = {
    raise: async (token: string, values: Map<string, number>, create: boolean) => void raised.push([token, [...values], create]),
    takeApplicationToken: async (token: string) => (calls.push(`application token of ${token}`), buckets.application ?? allowed),
    takeMissConfirmationToken: async () => (calls.push('miss confirmation token'), buckets.missConfirmations ?? allowed),
    chatNumbering: async () => (calls.push('redis'), buckets.redis ?? { missing: 'chat' }),
  } as unknown as Counters;
  const numbering: NumberingStore = {
    confirm: async () => (calls.push('mysql'), found),
    numbering: async () => ({ lastChat: 2, lastMessages: new Map([[1, 5], [2, 0]]) }),
  };
  const queues = { depth: async (queue: 'chats' | 'messages') => (queue === 'chats' ? 3 : 4) };
  return { raised, calls, recovery: counterRecovery({ counters, numbering, queues, margin: 10 }) };
}

describe('counter recovery', () => {
  beforeEach(() => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('an application MySQL does not know is a 404, and nothing is raised', async () => {
    const { raised, recovery } = given({ chat: false, message: false });

    await expect(recovery.confirmMiss({ token: 'T' }, 'application')).rejects.toThrow(NotFound);
    expect(raised).toEqual([]);
  });

  it('a chat above the counter that MySQL does not hold either is a 404', async () => {
    const { recovery } = given({ applicationId: 7, chat: false, message: false });

    await expect(recovery.confirmMiss({ token: 'T', chatNumber: 9 }, 'chat')).rejects.toThrow('chat 9 not found');
  });

  it('a known parent raises every chat counter to MySQL + queued + margin, and `chats` last', async () => {
    const { raised, recovery } = given({ applicationId: 7, chat: true, message: false });

    await recovery.confirmMiss({ token: 'T', chatNumber: 1 }, 'chat');

    expect(raised).toEqual([
      ['T', [['m:1', 5 + 4 + 10], ['m:2', 0 + 4 + 10]], true],
      ['T', [['chats', 2 + 3 + 10]], true],
    ]);
  });

  describe('the rate limits in front of MySQL', () => {
    it('a miss takes a token of the application and one of the global bucket, then asks MySQL', async () => {
      const { calls, recovery } = given({ applicationId: 7, chat: false, message: false });

      await expect(recovery.confirmMiss({ token: 'T', chatNumber: 9 }, 'chat')).rejects.toThrow(NotFound);
      expect(calls).toEqual(['application token of T', 'miss confirmation token', 'mysql']);
    });

    it("a create's miss does not take a second token of the application (its numbering call took one)", async () => {
      const { calls, recovery } = given({ applicationId: 7, chat: false, message: false });

      await expect(recovery.confirmMiss({ token: 'T', chatNumber: 9 }, 'chat', { applicationTokenTaken: true })).rejects.toThrow(NotFound);
      expect(calls).toEqual(['miss confirmation token', 'mysql']);
    });

    it("an application's empty bucket is a 429 with Retry-After, and neither the global bucket nor MySQL is asked", async () => {
      const { calls, recovery } = given({ chat: false, message: false }, { application: { rateLimited: { retryAfterMs: 2500 } } });

      const error = await recovery.confirmMiss({ token: 'T', chatNumber: 9 }, 'chat').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RateLimited);
      expect((error as RateLimited).status).toBe(429);
      expect((error as RateLimited).code).toBe('rate_limited');
      expect((error as RateLimited).headers['Retry-After']).toBe('3');
      expect(calls).toEqual(['application token of T']);
    });

    it('an empty global bucket is a 429 too, whatever the token (random tokens start with full buckets)', async () => {
      const { calls, recovery } = given({ chat: false, message: false }, { missConfirmations: { rateLimited: { retryAfterMs: 10 } } });

      await expect(recovery.confirmMiss({ token: 'random' }, 'application', { applicationTokenTaken: true })).rejects.toThrow(RateLimited);
      expect(calls).toEqual(['miss confirmation token']);
    });

    it('knownChat on a chat Redis knows takes no token and asks no MySQL: one round trip, as before', async () => {
      const { calls, recovery } = given({ chat: false, message: false }, { redis: { lastMessage: 4 } });

      await expect(recovery.knownChat('T', 1)).resolves.toEqual({ lastMessage: 4 });
      expect(calls).toEqual(['redis']);
    });

    it('knownChat on a miss is limited before MySQL', async () => {
      const { calls, recovery } = given({ chat: false, message: false }, { application: { rateLimited: { retryAfterMs: 1000 } } });

      await expect(recovery.knownChat('T', 9)).rejects.toThrow(RateLimited);
      expect(calls).toEqual(['redis', 'application token of T']);
    });
  });
});

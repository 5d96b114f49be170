import type { Counters, Numbered } from '../../shared/adapters/counters';
import { IdempotencyKeyInFlight, IdempotencyKeyReused, RateLimited } from '../../shared/domain/errors';
import { chatService } from '../../shared/services/chats';
import type { CounterRecovery } from '../../shared/services/recovery';

/** A chat service whose numbering script answers `outcome`; records what it enqueues and confirms. */
function given(outcome: Numbered) {
  const sent: object[] = [];
  const confirmed: string[] = [];
  const counters = {
    nextMessage: async () => outcome,
    nextChat: async () => outcome,
    confirmKey: async (_token: string, key: string) => void confirmed.push(key),
  } as unknown as Counters;
  const service = chatService({
    counters,
    recovery: {} as CounterRecovery,
    queue: { send: async (_queue, record) => void sent.push(record) },
    chats: {} as never,
    messages: {} as never,
    clock: { now: () => new Date('2026-11-29T10:00:00.000Z') },
    newRecordId: () => 'fresh-id',
  });
  return { service, sent, confirmed };
}

describe('creates with an Idempotency-Key', () => {
  it('a retry after an unclear failure re-sends the stored record: same number, same id, same time', async () => {
    const { service, sent, confirmed } = given({ resend: { number: 7, recordId: 'first-id', createdAt: '2026-11-29T09:59:00.000Z' } });

    expect(await service.createMessage('T', 1, 'hello', 'key-1')).toBe(7);

    expect(sent).toEqual([expect.objectContaining({ id: 'first-id', number: 7, createdAt: '2026-11-29T09:59:00.000Z', content: 'hello' })]);
    expect(confirmed).toEqual(['key-1']);
  });

  it('a replay of a done key answers the number and enqueues nothing', async () => {
    const { service, sent } = given({ replay: { number: 7 } });

    expect(await service.createChat('T', 'key-1')).toBe(7);
    expect(sent).toEqual([]);
  });

  it.each([
    [{ keyMismatch: true } as Numbered, IdempotencyKeyReused, 422],
    [{ keyBusy: { retryAfterMs: 1500 } } as Numbered, IdempotencyKeyInFlight, 409],
    [{ rateLimited: { retryAfterMs: 250 } } as Numbered, RateLimited, 429],
  ])('%j is refused with its status and a Retry-After where it applies', async (outcome, type, status) => {
    const { service, sent } = given(outcome);

    const error = await service.createMessage('T', 1, 'hello', 'key-1').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(type);
    expect((error as RateLimited).status).toBe(status);
    if (status !== 422) expect((error as RateLimited).headers['Retry-After']).toBe(status === 409 ? '2' : '1');
    expect(sent).toEqual([]);
  });

  it('a new record carries the id made for it', async () => {
    const { service, sent, confirmed } = given({ fresh: { number: 3, recordId: 'fresh-id', createdAt: '2026-11-29T10:00:00.000Z' } });

    expect(await service.createChat('T')).toBe(3);
    expect(sent).toEqual([{ type: 'chat.created', id: 'fresh-id', token: 'T', number: 3, createdAt: '2026-11-29T10:00:00.000Z' }]);
    expect(confirmed).toEqual([]);
  });
});

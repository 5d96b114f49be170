import type { Counters } from '../../shared/adapters/counters';
import type { NumberingStore } from '../../shared/adapters/stores/numbering';
import { NotFound } from '../../shared/domain/errors';
import { counterRecovery } from '../../shared/services/recovery';

/** A recovery over fakes: MySQL knows app 7 with chats 1 (5 messages) and 2 (none); 3 + 4 records queued. */
function given(found: Awaited<ReturnType<NumberingStore['confirm']>>) {
  const raised: [string, [string, number][], boolean][] = [];
  const counters = {
    raise: async (token: string, values: Map<string, number>, create: boolean) => void raised.push([token, [...values], create]),
  } as unknown as Counters;
  const numbering: NumberingStore = {
    confirm: async () => found,
    numbering: async () => ({ lastChat: 2, lastMessages: new Map([[1, 5], [2, 0]]) }),
  };
  const queues = { depth: async (queue: 'chats' | 'messages') => (queue === 'chats' ? 3 : 4) };
  return { raised, recovery: counterRecovery({ counters, numbering, queues, margin: 10 }) };
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
});

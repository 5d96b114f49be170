import type { ConnectionRegistry } from '../../shared/adapters/connections';
import type { ConnectionPusher, PushOutcome } from '../../shared/adapters/websocket-push';
import { framesOf, liveEventsByChat, type ChatAddress, type LiveEvent } from '../../shared/domain/live';
import type { MessageRecord } from '../../shared/domain/records';
import type { SearchableMessage } from '../../shared/domain/search';
import { liveService } from '../../shared/services/live';

const T = 'tokenAAAAAAAAAAAAAAAA';
const created = (chatNumber: number, number: number, content = `m${number}`): MessageRecord => ({
  type: 'message.created',
  token: T,
  chatNumber,
  number,
  content,
  createdAt: '2026-01-01T00:00:00.000Z',
});
const row = (chatNumber: number, number: number, content = `m${number}`): SearchableMessage => ({
  token: T,
  chatNumber,
  number,
  content,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
});

describe('liveEventsByChat', () => {
  it('groups by chat, orders by number (create before edit), carries the stored row, drops duplicates and rowless records', () => {
    const edit: MessageRecord = { type: 'message.updated', token: T, chatNumber: 1, number: 2, content: 'ignored', updatedAt: '2026-01-01T00:00:01.000Z' };
    const byChat = liveEventsByChat(
      [created(1, 3), edit, created(2, 1), created(1, 2), created(1, 3), created(1, 9)],
      [row(1, 2, 'edited'), row(1, 3), row(2, 1)],
    );

    const chat1 = [...byChat.values()].find(({ chat }) => chat.chatNumber === 1)!;
    expect(chat1.events.map((event) => [event.type, event.number, event.content])).toEqual([
      ['message.created', 2, 'edited'],
      ['message.updated', 2, 'edited'],
      ['message.created', 3, 'm3'],
    ]);
    expect(chat1.events[0]).toEqual({
      type: 'message.created',
      chat_number: 1,
      number: 2,
      content: 'edited',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:01.000Z',
    });
    expect([...byChat.values()].map(({ chat }) => chat.chatNumber).sort()).toEqual([1, 2]);
  });
});

describe('framesOf', () => {
  const event = (number: number, size: number): LiveEvent => ({
    type: 'message.created',
    chat_number: 1,
    number,
    content: 'x'.repeat(size),
    created_at: '',
    updated_at: '',
  });

  it('is one JSON array per batch when it fits', () => {
    const frames = framesOf([event(1, 10), event(2, 10)]);
    expect(frames).toHaveLength(1);
    expect((JSON.parse(frames[0]!) as LiveEvent[]).map((e) => e.number)).toEqual([1, 2]);
  });

  it('splits in order below the size limit', () => {
    const frames = framesOf([event(1, 400), event(2, 400), event(3, 400)], 1000);
    expect(frames.map((frame) => (JSON.parse(frame) as LiveEvent[]).map((e) => e.number))).toEqual([[1, 2], [3]]);
    for (const frame of frames) expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(1000);
  });
});

describe('liveService.notifyPersisted', () => {
  function setup(outcomes: Record<string, PushOutcome | 'throw'>) {
    const registry = new Map<string, string[]>([
      ['1', ['a', 'b', 'gone']],
      ['2', ['c']],
    ]);
    const removedGone: string[] = [];
    const refreshed: string[] = [];
    const posted: [string, string][] = [];
    const connections: ConnectionRegistry = {
      add: async () => undefined,
      chatOf: async () => undefined,
      ofChat: async (chat: ChatAddress) => registry.get(String(chat.chatNumber)) ?? [],
      refresh: async (_chat, ids) => void refreshed.push(...ids),
      remove: async () => undefined,
      removeGone: async (_chat, id) => (removedGone.push(id), true),
    };
    const pusher: ConnectionPusher = {
      post: async (id, frame) => {
        posted.push([id, frame]);
        const outcome = outcomes[id] ?? { ok: true };
        if (outcome === 'throw') throw new Error('unexpected');
        return outcome;
      },
    };
    const recovery = { knownChat: async () => ({ lastMessage: 0 }) };
    return { live: liveService({ recovery, connections, pusher }), removedGone, refreshed, posted };
  }

  it('pushes each chat’s events once per connection, removes a gone one, counts a failed one, and never throws', async () => {
    const { live, removedGone, refreshed, posted } = setup({
      gone: { ok: false, gone: true, error: new Error('410') },
      b: { ok: false, gone: false, error: new Error('timeout') },
    });

    const report = await live.notifyPersisted([created(1, 1), created(1, 2), created(2, 1)], [row(1, 1), row(1, 2), row(2, 1)]);

    expect(report).toEqual({ connections: 4, frames: 2, failed: 1, gone: 1 });
    expect(posted.map(([id]) => id).sort()).toEqual(['a', 'b', 'c', 'gone']);
    expect(JSON.parse(posted.find(([id]) => id === 'a')![1]).map((e: LiveEvent) => e.number)).toEqual([1, 2]);
    expect(removedGone).toEqual(['gone']);
    expect(refreshed.sort()).toEqual(['a', 'c']);
  });

  it('a broken pusher or registry is logged and counted, not thrown', async () => {
    const { live } = setup({ a: 'throw' });
    await expect(live.notifyPersisted([created(1, 1)], [row(1, 1)])).resolves.toMatchObject({ failed: 1 });
  });

  it('does nothing for a batch nobody listens to', async () => {
    const { live, posted } = setup({});
    await expect(live.notifyPersisted([created(7, 1)], [row(7, 1)])).resolves.toEqual({ connections: 0, frames: 0, failed: 0, gone: 0 });
    expect(posted).toEqual([]);
  });
});

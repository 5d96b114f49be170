import type { Counters } from '../../shared/adapters/counters';
import type { ApplicationStore } from '../../shared/adapters/stores/applications';
import { chatKey, type ChatStore } from '../../shared/adapters/stores/chats';
import { everyRowInserted, type MessageStore, type StoredMessage } from '../../shared/adapters/stores/messages';
import { ServiceUnavailable } from '../../shared/domain/errors';
import type { MessageRecord } from '../../shared/domain/records';
import type { SearchableMessage } from '../../shared/domain/search';
import type { QueueItem } from '../../shared/queue/batch-handler';
import { persistenceService, writeIsolating } from '../../shared/services/persistence';
import type { CounterRecovery } from '../../shared/services/recovery';

describe('writeIsolating', () => {
  it('writes the whole batch with one statement when it succeeds', async () => {
    const write = jest.fn(async () => undefined);

    expect(await writeIsolating([1, 2, 3, 4], write)).toEqual([]);
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('splits a failing batch until only the bad rows fail', async () => {
    const written: number[] = [];
    const write = async (rows: number[]) => {
      if (rows.includes(3) || rows.includes(6)) throw new Error('bad row');
      written.push(...rows);
    };

    const failed = await writeIsolating([1, 2, 3, 4, 5, 6, 7, 8], write);

    expect(failed.map((f) => f.item)).toEqual([3, 6]);
    expect(written.sort()).toEqual([1, 2, 4, 5, 7, 8]);
  });

  it('throws an outage at once, for the whole batch to fail (no splitting against a dead database)', async () => {
    const write = jest.fn(async () => {
      throw new ServiceUnavailable('database');
    });

    await expect(writeIsolating([1, 2, 3, 4], write)).rejects.toThrow(ServiceUnavailable);
    expect(write).toHaveBeenCalledTimes(1);
  });
});

describe('everyRowInserted (the answer of a create upsert)', () => {
  // The answers MariaDB 10.11 gave for `INSERT … ON DUPLICATE KEY UPDATE` with the messages UPSERT's
  // update clause, with mysql2's default CLIENT_FOUND_ROWS and without it.
  it.each([
    ['3 fresh rows', 3, { affectedRows: 3, info: 'Records: 3  Duplicates: 0  Warnings: 0' }, true],
    ['3 redelivered rows (FOUND_ROWS)', 3, { affectedRows: 3, info: 'Records: 3  Duplicates: 3  Warnings: 0' }, false],
    ['3 redelivered rows (no FOUND_ROWS: not counted as duplicates)', 3, { affectedRows: 0, info: 'Records: 3  Duplicates: 0  Warnings: 0' }, false],
    ['a collision and a fresh row (FOUND_ROWS)', 2, { affectedRows: 2, info: 'Records: 2  Duplicates: 1  Warnings: 0' }, false],
    ['a collision and a fresh row (no FOUND_ROWS)', 2, { affectedRows: 1, info: 'Records: 2  Duplicates: 0  Warnings: 0' }, false],
    ['a row adopted (changed) and a fresh row', 2, { affectedRows: 3, info: 'Records: 2  Duplicates: 1  Warnings: 0' }, false],
    ['one fresh row (a single-row INSERT reports no counts)', 1, { affectedRows: 1, info: '' }, false],
    ['fewer records than rows sent', 3, { affectedRows: 2, info: 'Records: 2  Duplicates: 0  Warnings: 0' }, false],
    ['no info at all', 2, { affectedRows: 2 }, false],
  ])('%s', (_name, rows, answer, expected) => {
    expect(everyRowInserted(rows, answer)).toBe(expected);
  });
});

describe('persistMessages: which rows it reads back', () => {
  const token = 'a'.repeat(24);
  const createdAt = '2026-11-29T10:00:00.123Z';
  const create = (number: number): QueueItem<MessageRecord> => ({
    id: `m${number}`,
    receiveCount: 1,
    body: { type: 'message.created', id: `r${number}`, token, chatNumber: 1, number, content: `hello ${number}`, createdAt },
  });
  const edit = (number: number): QueueItem<MessageRecord> => ({
    id: `e${number}`,
    receiveCount: 1,
    body: { type: 'message.updated', token, chatNumber: 1, number, content: `edited ${number}`, updatedAt: '2026-11-29T10:00:01.000Z', editVersion: 5 },
  });
  const storedRow = (number: number, recordId: string | null, content: string): StoredMessage => ({
    chatId: 7,
    number,
    recordId,
    content,
    createdAt,
    updatedAt: '2026-11-29T10:00:01.000Z',
  });

  function consumer(allInserted: boolean, held: StoredMessage[] = []) {
    const stored = jest.fn(async (keys: { chatId: number; number: number }[]) => held.filter((row) => keys.some((k) => k.chatId === row.chatId && k.number === row.number)));
    const indexed: SearchableMessage[] = [];
    const service = persistenceService({
      applications: { idsByToken: async () => new Map([[token, 3]]) } as unknown as ApplicationStore,
      chats: { ids: async () => new Map([[chatKey(3, 1), 7]]), upsert: async () => undefined } as unknown as ChatStore,
      messages: { upsert: async () => ({ allInserted }), applyEdits: async () => undefined, stored, placesOf: async () => new Map() } as unknown as MessageStore,
      search: {
        index: async (documents) => {
          indexed.push(...documents);
          return documents.map(() => ({ ok: true as const, result: 'created' as const }));
        },
      },
      counters: {} as Counters,
      recovery: {} as CounterRecovery,
    });
    return { service, stored, indexed };
  }

  it('reads nothing back when the upsert inserted every row, and indexes the records as written', async () => {
    const { service, stored, indexed } = consumer(true);

    const result = await service.persistMessages([create(1), create(2)]);

    expect(result.failures).toEqual([]);
    expect(stored).not.toHaveBeenCalled();
    expect(indexed).toEqual([
      { token, chatNumber: 1, number: 1, content: 'hello 1', createdAt, updatedAt: createdAt },
      { token, chatNumber: 1, number: 2, content: 'hello 2', createdAt, updatedAt: createdAt },
    ]);
  });

  it('reads the rows back when some row met an existing one (a redelivery, a collision, an edit ahead of its create)', async () => {
    const { service, stored, indexed } = consumer(false, [storedRow(1, 'r1', 'edited before'), storedRow(2, 'r2', 'hello 2')]);

    await service.persistMessages([create(1), create(2)]);

    expect(stored).toHaveBeenCalledWith([
      { chatId: 7, number: 1 },
      { chatId: 7, number: 2 },
    ]);
    expect(indexed.map((document) => document.content)).toEqual(['edited before', 'hello 2']);
  });

  it('reads back a freshly inserted row that an edit of the same batch wrote over, and only that one', async () => {
    const { service, stored, indexed } = consumer(true, [storedRow(2, 'r2', 'edited 2')]);

    await service.persistMessages([create(1), create(2), edit(2)]);

    expect(stored).toHaveBeenCalledWith([{ chatId: 7, number: 2 }]);
    expect(indexed.map((document) => document.content)).toEqual(['hello 1', 'edited 2']);
  });
});

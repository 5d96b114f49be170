import type { ApplicationStore } from '../adapters/stores/applications';
import { chatKey, type ChatStore } from '../adapters/stores/chats';
import type { MessageStore } from '../adapters/stores/messages';
import { ServiceUnavailable } from '../domain/errors';
import type { ChatRecord, MessageRecord } from '../domain/records';
import type { ItemFailure, QueueItem } from '../queue/batch-handler';

export interface PersistenceDeps {
  applications: ApplicationStore;
  chats: ChatStore;
  messages: MessageStore;
}

export interface PersistResult<T> {
  failures: ItemFailure[];
  stored: QueueItem<T>[];
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Writes all items with one statement. When it fails for a reason other than an outage (a bad row),
 * splits the items in halves, recursively, so only the rows at fault fail and their batch-mates are
 * written. An outage fails every item at once: retrying halves against a dead database is pointless.
 */
export async function writeIsolating<T>(items: T[], write: (items: T[]) => Promise<void>): Promise<{ item: T; error: unknown }[]> {
  if (items.length === 0) return [];
  try {
    await write(items);
    return [];
  } catch (error) {
    if (error instanceof ServiceUnavailable || items.length === 1) return items.map((item) => ({ item, error }));
    const middle = Math.ceil(items.length / 2);
    return [...(await writeIsolating(items.slice(0, middle), write)), ...(await writeIsolating(items.slice(middle), write))];
  }
}

function splitByApplication<T extends { token: string }>(items: QueueItem<T>[], ids: Map<string, number>) {
  const known: (QueueItem<T> & { applicationId: number })[] = [];
  const failures: ItemFailure[] = [];
  for (const item of items) {
    const applicationId = ids.get(item.body.token);
    if (applicationId === undefined) failures.push({ id: item.id, reason: `application ${item.body.token} not found` });
    else known.push({ ...item, applicationId });
  }
  return { known, failures };
}

export const persistenceService = ({ applications, chats, messages }: PersistenceDeps) => ({
  /** One SELECT for the applications' ids, one multi-row upsert of the chats. */
  async persistChats(items: QueueItem<ChatRecord>[]): Promise<PersistResult<ChatRecord>> {
    const ids = await applications.idsByToken([...new Set(items.map((item) => item.body.token))]);
    const { known, failures } = splitByApplication(items, ids);
    const failed = await writeIsolating(known, (batch) =>
      chats.upsert(batch.map((item) => ({ applicationId: item.applicationId, number: item.body.number, createdAt: new Date(item.body.createdAt) }))),
    );
    failures.push(...failed.map(({ item, error }) => ({ id: item.id, reason: reason(error) })));
    const failedIds = new Set(failures.map((f) => f.id));
    return { failures, stored: items.filter((item) => !failedIds.has(item.id)) };
  },

  /**
   * Resolves the applications and chats (creating a chat row whose message arrived before its own
   * record: DESIGN invariant 3), then one multi-row upsert of the messages.
   */
  async persistMessages(items: QueueItem<MessageRecord>[]): Promise<PersistResult<MessageRecord>> {
    const appIds = await applications.idsByToken([...new Set(items.map((item) => item.body.token))]);
    const { known, failures } = splitByApplication(items, appIds);

    const wanted = new Map<string, { applicationId: number; number: number; createdAt: Date }>();
    for (const item of known) {
      const key = chatKey(item.applicationId, item.body.chatNumber);
      const createdAt = new Date(item.body.createdAt);
      const seen = wanted.get(key);
      if (!seen || createdAt < seen.createdAt) wanted.set(key, { applicationId: item.applicationId, number: item.body.chatNumber, createdAt });
    }
    let chatIds = await chats.ids([...wanted.values()]);
    const missing = [...wanted.entries()].filter(([key]) => !chatIds.has(key)).map(([, chat]) => chat);
    if (missing.length > 0) {
      await chats.upsert(missing);
      chatIds = new Map([...chatIds, ...(await chats.ids(missing))]);
    }

    const rows = known.flatMap((item) => {
      const chatId = chatIds.get(chatKey(item.applicationId, item.body.chatNumber));
      if (chatId === undefined) {
        failures.push({ id: item.id, reason: `chat ${item.body.chatNumber} could not be created` });
        return [];
      }
      return [{ item, row: { chatId, number: item.body.number, content: item.body.content, createdAt: new Date(item.body.createdAt) } }];
    });
    const failed = await writeIsolating(rows, (batch) => messages.upsert(batch.map(({ row }) => row)));
    failures.push(...failed.map(({ item, error }) => ({ id: item.item.id, reason: reason(error) })));
    const failedIds = new Set(failures.map((f) => f.id));
    return { failures, stored: items.filter((item) => !failedIds.has(item.id)) };
  },
});

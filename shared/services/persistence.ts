import { defaultSearchTarget, indexMessages, type IndexOutcome, type SearchTarget } from '../adapters/search-index';
import type { ApplicationStore } from '../adapters/stores/applications';
import { chatKey, type ChatStore } from '../adapters/stores/chats';
import type { MessageStore } from '../adapters/stores/messages';
import { ServiceUnavailable } from '../domain/errors';
import type { ChatRecord, MessageRecord } from '../domain/records';
import type { SearchableMessage } from '../domain/search';
import type { ItemFailure, QueueItem } from '../queue/batch-handler';

/** The search index as the messages consumer sees it: one `_bulk`, one outcome per message, in order. */
export interface MessageIndex {
  index(messages: SearchableMessage[]): Promise<IndexOutcome[]>;
}

export const searchIndexOf = (target: SearchTarget = defaultSearchTarget()): MessageIndex => ({
  index: (messages) => indexMessages(messages, target),
});

export interface PersistenceDeps {
  applications: ApplicationStore;
  chats: ChatStore;
  messages: MessageStore;
  search: MessageIndex;
}

export interface PersistResult<T> {
  failures: ItemFailure[];
  stored: QueueItem<T>[];
  /** Live updates: what MySQL holds for the written messages (as indexed), for the consumer's notifier. */
  rows?: SearchableMessage[];
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

export const persistenceService = ({ applications, chats, messages, search }: PersistenceDeps) => ({
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
   * A batch of the messages queue, creates and edits mixed: resolves the applications and chats
   * (creating a chat row whose message arrived before its own record: DESIGN invariant 3), then one
   * multi-row upsert of the creates and one of the edits, then one `_bulk` of what MySQL now holds
   * for every written message (read back in one SELECT), each document versioned by its updated_at.
   * A record is stored only when both writes succeeded; the others are failures, retried by SQS
   * (MySQL's writes are idempotent, the index's versions make re-indexing idempotent too).
   */
  async persistMessages(items: QueueItem<MessageRecord>[]): Promise<PersistResult<MessageRecord>> {
    const appIds = await applications.idsByToken([...new Set(items.map((item) => item.body.token))]);
    const { known, failures } = splitByApplication(items, appIds);

    const wanted = new Map<string, { applicationId: number; number: number; createdAt: Date }>();
    for (const item of known) {
      const key = chatKey(item.applicationId, item.body.chatNumber);
      const createdAt = new Date(recordTime(item.body));
      const seen = wanted.get(key);
      if (!seen || createdAt < seen.createdAt) wanted.set(key, { applicationId: item.applicationId, number: item.body.chatNumber, createdAt });
    }
    let chatIds = await chats.ids([...wanted.values()]);
    const missing = [...wanted.entries()].filter(([key]) => !chatIds.has(key)).map(([, chat]) => chat);
    if (missing.length > 0) {
      await chats.upsert(missing);
      chatIds = new Map([...chatIds, ...(await chats.ids(missing))]);
    }

    const resolved = known.flatMap((item) => {
      const chatId = chatIds.get(chatKey(item.applicationId, item.body.chatNumber));
      if (chatId === undefined) {
        failures.push({ id: item.id, reason: `chat ${item.body.chatNumber} could not be created` });
        return [];
      }
      return [{ item, chatId }];
    });
    const creates = resolved.flatMap(({ item, chatId }) =>
      item.body.type === 'message.created'
        ? [{ item, row: { chatId, number: item.body.number, content: item.body.content, createdAt: new Date(item.body.createdAt) } }]
        : [],
    );
    const edits = resolved.flatMap(({ item, chatId }) =>
      item.body.type === 'message.updated'
        ? [{ item, row: { chatId, number: item.body.number, content: item.body.content, updatedAt: new Date(item.body.updatedAt) } }]
        : [],
    );
    // Creates first: an edit in the same batch as its create then finds the row and wins on updated_at.
    const failed = [
      ...(await writeIsolating(creates, (batch) => messages.upsert(batch.map(({ row }) => row)))),
      ...(await writeIsolating(edits, (batch) => messages.applyEdits(batch.map(({ row }) => row)))),
    ];
    failures.push(...failed.map(({ item, error }) => ({ id: item.item.id, reason: reason(error) })));
    let failedIds = new Set(failures.map((f) => f.id));
    const written = resolved.filter(({ item }) => !failedIds.has(item.id));

    const indexed = await indexWritten(written, messages, search);
    failures.push(...indexed.failures);
    failedIds = new Set(failures.map((f) => f.id));
    return { failures, stored: items.filter((item) => !failedIds.has(item.id)), rows: indexed.documents };
  },
});

const recordTime = (record: MessageRecord) => (record.type === 'message.created' ? record.createdAt : record.updatedAt);

/**
 * Indexes the rows MySQL holds for the written records, in one `_bulk`, and returns the records whose
 * document could not be written. Indexing the row rather than the record keeps the index equal to
 * MySQL whatever the order of delivery (a late create of an edited message indexes the edited
 * content; its version, the row's updated_at, is the one already indexed). A `stale` outcome (a newer
 * version is indexed) is a success. OpenSearch unreachable fails every written record of the batch.
 */
async function indexWritten(
  written: { item: QueueItem<MessageRecord>; chatId: number }[],
  messages: MessageStore,
  search: MessageIndex,
): Promise<{ failures: ItemFailure[]; documents: SearchableMessage[] }> {
  if (written.length === 0) return { failures: [], documents: [] };
  const keyOf = (chatId: number, number: number) => `${chatId}:${number}`;
  const unique = new Map<string, { chatId: number; number: number; token: string; chatNumber: number }>();
  for (const { item, chatId } of written) {
    unique.set(keyOf(chatId, item.body.number), { chatId, number: item.body.number, token: item.body.token, chatNumber: item.body.chatNumber });
  }
  const rows = new Map((await messages.stored([...unique.values()])).map((row) => [keyOf(row.chatId, row.number), row]));
  const documents: SearchableMessage[] = [];
  const documentOf = new Map<string, number>();
  for (const [key, message] of unique) {
    const row = rows.get(key);
    if (!row) continue;
    documentOf.set(key, documents.length);
    documents.push({ token: message.token, chatNumber: message.chatNumber, number: message.number, content: row.content, createdAt: row.createdAt, updatedAt: row.updatedAt });
  }

  let outcomes: IndexOutcome[];
  try {
    outcomes = await search.index(documents);
  } catch (error) {
    if (!(error instanceof ServiceUnavailable)) throw error;
    return { failures: written.map(({ item }) => ({ id: item.id, reason: reason(error) })), documents };
  }
  const failures = written.flatMap(({ item, chatId }) => {
    const position = documentOf.get(keyOf(chatId, item.body.number));
    if (position === undefined) return [{ id: item.id, reason: 'message row not found after writing it' }];
    const outcome = outcomes[position]!;
    return outcome.ok ? [] : [{ id: item.id, reason: `search index: ${outcome.reason}` }];
  });
  return { failures, documents };
}

import { defaultSearchTarget, indexMessages, type IndexOutcome, type SearchTarget } from '../adapters/search-index';
import type { ApplicationStore } from '../adapters/stores/applications';
import { chatKey, type ChatStore } from '../adapters/stores/chats';
import type { MessageStore } from '../adapters/stores/messages';
import type { Counters } from '../adapters/counters';
import { ServiceUnavailable } from '../domain/errors';
import { editVersionOf, recordIdOf, type ChatRecord, type MessageCreatedRecord, type MessageRecord } from '../domain/records';
import { log } from '../http/log';
import { recordMetric } from '../observability/metrics';
import type { MessageRow, StoredMessage } from '../adapters/stores/messages';
import type { CounterRecovery } from './recovery';
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
  counters: Counters;
  recovery: CounterRecovery;
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
 * written. An outage is thrown: it is no record's fault, retrying halves against a dead database is
 * pointless, and the whole batch fails (see batchHandler).
 */
export async function writeIsolating<T>(items: T[], write: (items: T[]) => Promise<void>): Promise<{ item: T; error: unknown }[]> {
  if (items.length === 0) return [];
  try {
    await write(items);
    return [];
  } catch (error) {
    if (error instanceof ServiceUnavailable) throw error;
    if (items.length === 1) return [{ item: items[0]!, error }];
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

export const persistenceService = ({ applications, chats, messages, search, counters, recovery }: PersistenceDeps) => ({
  /**
   * One SELECT for the applications' ids, one multi-row upsert of the chats, one SELECT reading back
   * the record ids the rows hold. A row holding another record id is a collision (Redis handed the
   * number out twice after losing writes): messages address chats by number, so the two cannot be
   * told apart later; the record is merged into the existing chat, made visible (error log with
   * both ids, ChatCollisions metric) and the application's counters are healed past MySQL's.
   */
  async persistChats(items: QueueItem<ChatRecord>[]): Promise<PersistResult<ChatRecord>> {
    const ids = await applications.idsByToken([...new Set(items.map((item) => item.body.token))]);
    const { known, failures } = splitByApplication(items, ids);
    const failed = await writeIsolating(known, (batch) =>
      chats.upsert(
        batch.map((item) => ({
          applicationId: item.applicationId,
          number: item.body.number,
          recordId: recordIdOf(item.body, item.id),
          createdAt: new Date(item.body.createdAt),
        })),
      ),
    );
    failures.push(...failed.map(({ item, error }) => ({ id: item.id, reason: reason(error) })));
    const failedIds = new Set(failures.map((f) => f.id));
    const written = known.filter((item) => !failedIds.has(item.id));

    const held = await chats.recordIds(written.map((item) => ({ applicationId: item.applicationId, number: item.body.number })));
    const healed = new Set<string>();
    for (const item of written) {
      const recordId = recordIdOf(item.body, item.id);
      const existing = held.get(chatKey(item.applicationId, item.body.number));
      if (existing === recordId) continue;
      log('error', 'chat number collision: the record was merged into the existing chat', {
        token: item.body.token,
        number: item.body.number,
        recordId,
        existingRecordId: existing,
      });
      recordMetric('ChatCollisions');
      if (!healed.has(item.body.token)) {
        healed.add(item.body.token);
        await recovery.rebuild(item.body.token, item.applicationId, 'chat collision');
      }
    }
    return { failures, stored: items.filter((item) => !failedIds.has(item.id)) };
  },

  /**
   * A batch of the messages queue, creates and edits mixed: resolves the applications and chats
   * (creating a chat row whose message arrived before its own record: DESIGN invariant 3), then one
   * multi-row upsert of the creates and one of the edits, then one `_bulk` of what MySQL now holds
   * for every written message (read back in one SELECT, except the rows a create upsert freshly
   * inserted, which hold exactly their records), each document versioned by its updated_at.
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
        ? [{ item, row: { chatId, number: item.body.number, recordId: recordIdOf(item.body, item.id), content: item.body.content, createdAt: new Date(item.body.createdAt) } }]
        : [],
    );
    const edits = resolved.flatMap(({ item, chatId }) =>
      item.body.type === 'message.updated'
        ? [{ item, row: { chatId, number: item.body.number, content: item.body.content, updatedAt: new Date(item.body.updatedAt), version: editVersionOf(item.body) } }]
        : [],
    );
    // Creates first: an edit in the same batch as its create then finds the row and applies over it.
    const inserted = new Set<QueueItem<MessageRecord>>();
    const failed = [
      ...(await writeIsolating(creates, async (batch) => {
        const { allInserted } = await messages.upsert(batch.map(({ row }) => row));
        if (allInserted) for (const { item } of batch) inserted.add(item);
      })),
      ...(await writeIsolating(edits, (batch) => messages.applyEdits(batch.map(({ row }) => row)))),
    ];
    failures.push(...failed.map(({ item, error }) => ({ id: item.item.id, reason: reason(error) })));
    let failedIds = new Set(failures.map((f) => f.id));
    const written: Placed[] = resolved.filter(({ item }) => !failedIds.has(item.id)).map(({ item, chatId }) => ({ item, chatId, number: item.body.number }));

    // A create whose statement inserted every row holds exactly its record, so it is neither read back
    // nor checked for a collision, unless an edit of this batch wrote over it (npm run bench: the
    // read-back was one statement in four of an ingest batch). The other rows are read back.
    const editedPlaces = new Set(edits.map(({ row }) => placeKey(row.chatId, row.number)));
    const asInserted = new Map(
      creates
        .filter(({ item, row }) => inserted.has(item) && !editedPlaces.has(placeKey(row.chatId, row.number)))
        .map(({ row }) => [placeKey(row.chatId, row.number), storedAsInserted(row)]),
    );
    const rows = await readBack(
      written.filter(({ chatId, number }) => !asInserted.has(placeKey(chatId, number))),
      messages,
    );
    for (const [key, row] of asInserted) rows.set(key, row);
    const collided = written.filter(({ item, chatId, number }) => {
      if (item.body.type !== 'message.created') return false;
      return rows.get(placeKey(chatId, number))?.recordId !== recordIdOf(item.body, item.id);
    });
    let placed = written;
    if (collided.length > 0) {
      const moved = await renumberCollisions(collided as Placed<MessageCreatedRecord>[], { messages, counters, recovery, failures });
      placed = written.flatMap((entry) => (collided.includes(entry) ? (moved.get(entry) ?? []) : [entry]));
      for (const [key, row] of await readBack([...moved.values()], messages)) rows.set(key, row);
    }

    const indexed = await indexWritten(placed, rows, search);
    failures.push(...indexed.failures);
    failedIds = new Set(failures.map((f) => f.id));
    return { failures, stored: items.filter((item) => !failedIds.has(item.id)), rows: indexed.documents };
  },
});

/** A written message record and where its row is (a collided create moves to a new number). */
interface Placed<T extends MessageRecord = MessageRecord> {
  item: QueueItem<T> & { applicationId: number };
  chatId: number;
  number: number;
}

const placeKey = (chatId: number, number: number) => `${chatId}:${number}`;

/** The row a create's upsert inserted: the record as written (updated_at starts at created_at, see UPSERT). */
const storedAsInserted = (row: MessageRow): StoredMessage => ({
  chatId: row.chatId,
  number: row.number,
  recordId: row.recordId,
  content: row.content,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.createdAt.toISOString(),
});

/** The rows of the placed records as MySQL holds them now, in one SELECT. */
async function readBack(placed: Placed[], messages: MessageStore): Promise<Map<string, StoredMessage>> {
  const keys = new Map(placed.map(({ chatId, number }) => [placeKey(chatId, number), { chatId, number }]));
  if (keys.size === 0) return new Map();
  return new Map((await messages.stored([...keys.values()])).map((row) => [placeKey(row.chatId, row.number), row]));
}

/**
 * The collision path (DESIGN invariant 4): a create whose (chat, number) holds another record id.
 * A record found elsewhere by its id was re-numbered by an earlier delivery: it stays there. The
 * others heal their application's counters past MySQL's (and the queues'), take the next free number
 * from Redis and are written there; each is an error log line with both ids and a MessageCollisions
 * metric. The client was told the old number: README "Failure behaviour" says what it sees.
 */
async function renumberCollisions(
  collided: Placed<MessageCreatedRecord>[],
  { messages, counters, recovery, failures }: { messages: MessageStore; counters: Counters; recovery: CounterRecovery; failures: ItemFailure[] },
): Promise<Map<Placed, Placed>> {
  const moved = new Map<Placed, Placed>();
  const places = await messages.placesOf(collided.map(({ item }) => recordIdOf(item.body, item.id)));
  const healed = new Set<string>();
  for (const entry of collided) {
    const { item, chatId } = entry;
    const recordId = recordIdOf(item.body, item.id);
    const place = places.get(recordId);
    if (place) {
      moved.set(entry, { ...entry, chatId: place.chatId, number: place.number });
      continue;
    }
    if (!healed.has(item.body.token)) {
      healed.add(item.body.token);
      await recovery.rebuild(item.body.token, item.applicationId, 'message collision');
    }
    const next = await counters.renumberMessage(item.body.token, item.body.chatNumber);
    if ('missing' in next) {
      failures.push({ id: item.id, reason: `collision: no new number (${next.missing} missing in Redis)` });
      continue;
    }
    await messages.upsert([{ chatId, number: next.number, recordId, content: item.body.content, createdAt: new Date(item.body.createdAt) }]);
    log('error', 'message number collision: the message was kept under the next free number', {
      token: item.body.token,
      chatNumber: item.body.chatNumber,
      number: item.body.number,
      recordId,
      keptAs: next.number,
    });
    recordMetric('MessageCollisions');
    moved.set(entry, { ...entry, number: next.number });
  }
  return moved;
}

const recordTime = (record: MessageRecord) => (record.type === 'message.created' ? record.createdAt : record.updatedAt);

/**
 * Indexes the rows MySQL holds for the placed records, in one `_bulk`, and returns the records whose
 * document could not be written. Indexing the row rather than the record keeps the index equal to
 * MySQL whatever the order of delivery (a late create of an edited message indexes the edited
 * content; its version, the row's updated_at, is the one already indexed). A `stale` outcome (a newer
 * version is indexed) is a success.
 */
async function indexWritten(placed: Placed[], rows: Map<string, StoredMessage>, search: MessageIndex): Promise<{ failures: ItemFailure[]; documents: SearchableMessage[] }> {
  if (placed.length === 0) return { failures: [], documents: [] };
  const documents: SearchableMessage[] = [];
  const documentOf = new Map<string, number>();
  for (const { item, chatId, number } of placed) {
    const key = placeKey(chatId, number);
    const row = rows.get(key);
    if (!row || documentOf.has(key)) continue;
    documentOf.set(key, documents.length);
    documents.push({ token: item.body.token, chatNumber: item.body.chatNumber, number, content: row.content, createdAt: row.createdAt, updatedAt: row.updatedAt });
  }

  // OpenSearch unreachable throws ServiceUnavailable: the whole batch fails (see batchHandler).
  const outcomes = await search.index(documents);
  const failures = placed.flatMap(({ item, chatId, number }) => {
    const position = documentOf.get(placeKey(chatId, number));
    if (position === undefined) return [{ id: item.id, reason: 'message row not found after writing it' }];
    const outcome = outcomes[position]!;
    return outcome.ok ? [] : [{ id: item.id, reason: `search index: ${outcome.reason}` }];
  });
  return { failures, documents };
}

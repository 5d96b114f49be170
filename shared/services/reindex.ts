import type { Connection, Pool, RowDataPacket } from 'mysql2/promise';
import {
  createMessagesIndex,
  deleteIndices,
  ensureMessagesIndex,
  indexMessages,
  messagesAliasMembers,
  messagesIndexVersions,
  putIndexSettings,
  refreshMessagesIndex,
  updateMessagesAlias,
  type SearchTarget,
} from '../adapters/search-index';
import { MESSAGES_INDEX_VERSION, messagesIndexName, type SearchableMessage } from '../domain/search';

export interface ReindexDeps {
  db: Pool | Connection;
  target: SearchTarget;
  chunkSize?: number;
  log?: (line: string) => void;
}

export interface ReindexReport {
  from: string;
  to: string;
  messages: number;
  chunks: number;
  seconds: number;
}

/**
 * One chunk of messages with their app token and chat number, after a keyset cursor: a range scan of
 * messages' PRIMARY KEY plus two eq_ref joins on the parents' PRIMARY KEYs. No OFFSET: every chunk
 * costs the same, however deep. STRAIGHT_JOIN (MySQL and MariaDB alike) keeps the optimizer from
 * starting at the small parent tables, which would read every message and sort them for each chunk.
 */
export const MESSAGES_CHUNK_SQL = `SELECT STRAIGHT_JOIN m.id, a.token, c.number AS chat_number, m.number, m.content, m.created_at, m.updated_at
  FROM messages m
  JOIN chats c ON c.id = m.chat_id
  JOIN applications a ON a.id = c.application_id
 WHERE m.id > ?
 ORDER BY m.id
 LIMIT ?`;

interface MessageRow extends RowDataPacket {
  id: number | string;
  token: string;
  chat_number: number;
  number: number;
  content: string;
  created_at: Date;
  updated_at: Date;
}

const toSearchable = (row: MessageRow): SearchableMessage => ({
  token: row.token,
  chatNumber: row.chat_number,
  number: row.number,
  content: row.content,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const WRITE_ATTEMPTS = 3;

async function copyChunk(messages: SearchableMessage[], index: string, target: SearchTarget): Promise<void> {
  let pending = messages;
  for (let attempt = 1; ; attempt++) {
    const outcomes = await indexMessages(pending, target, index);
    const failed = pending.filter((_, i) => !outcomes[i]!.ok);
    if (failed.length === 0) return;
    const reasons = outcomes.flatMap((o) => (o.ok ? [] : [o]));
    if (attempt >= WRITE_ATTEMPTS || reasons.some((o) => !o.retryable)) {
      throw new Error(`reindex: ${failed.length} messages could not be written to ${index}: ${reasons[0]!.reason}`);
    }
    pending = failed;
  }
}

/**
 * Rebuilds the messages index from MySQL into `messages_v{N+1}` and moves the alias to it, while
 * searches keep answering from the current index:
 *
 * 1. create v{N+1} (at least v{MESSAGES_INDEX_VERSION}) (refresh off while loading) and, in ONE alias change, make it the alias's write
 *    index but hidden from searches (alias filter `match_none`). From here every consumer write lands
 *    in v{N+1}; every earlier write is already in MySQL (consumers write MySQL first), so the copy
 *    below, which starts afterwards, sees it. External versions keep the copy from overwriting a
 *    newer consumer write with the row it read earlier.
 * 2. copy MySQL in keyset chunks, one `_bulk` per chunk.
 * 3. refresh, then in ONE alias change drop the old index and unhide v{N+1}: searches switch atomically.
 * 4. delete the old index.
 *
 * The price of this order: messages written during the copy become searchable at step 3, not at once.
 * Not for two concurrent runs (the second fails creating the same index).
 */
export async function reindexMessages({ db, target, chunkSize = 1000, log = () => undefined }: ReindexDeps): Promise<ReindexReport> {
  const startedAt = performance.now();
  await ensureMessagesIndex(target);
  const members = await messagesAliasMembers(target);
  const current = members.find((member) => !member.filtered) ?? members[members.length - 1]!;
  const versions = await messagesIndexVersions(target);
  // Past every index of the stage, and at least the definition's version (v1 → v2 for the v2 definition).
  const next = messagesIndexName(target.prefix, Math.max(MESSAGES_INDEX_VERSION, Math.max(0, ...versions) + 1));

  log(`creating ${next}`);
  await createMessagesIndex(next, { refresh_interval: '-1' }, target);
  await updateMessagesAlias(
    [
      // An interrupted earlier run may have left its own hidden write index: drop it from the alias.
      ...members.filter((member) => member.index !== current.index).map((member) => ({ remove: { index: member.index } })),
      { add: { index: current.index, is_write_index: false } },
      { add: { index: next, is_write_index: true, filter: { match_none: {} } } },
    ],
    target,
  );

  let cursor: number | string = 0;
  let messages = 0;
  let chunks = 0;
  for (;;) {
    const [rows]: [MessageRow[], unknown] = await db.query<MessageRow[]>(MESSAGES_CHUNK_SQL, [cursor, chunkSize]);
    if (rows.length === 0) break;
    await copyChunk(rows.map(toSearchable), next, target);
    cursor = rows[rows.length - 1]!.id;
    messages += rows.length;
    chunks += 1;
    if (chunks % 50 === 0) log(`copied ${messages} messages`);
    if (rows.length < chunkSize) break;
  }

  await putIndexSettings(next, { refresh_interval: null }, target);
  await refreshMessagesIndex(target, next);
  await updateMessagesAlias([{ remove: { index: current.index } }, { add: { index: next, is_write_index: true } }], target);
  log(`alias now on ${next}; deleting ${current.index}`);
  await deleteIndices(
    members.map((member) => member.index),
    target,
  );
  const report = { from: current.index, to: next, messages, chunks, seconds: Math.round((performance.now() - startedAt) / 100) / 10 };
  log(`reindexed ${messages} messages into ${next} in ${report.seconds} s`);
  return report;
}

export interface IndexMigration {
  /** The index searches read afterwards. */
  index: string;
  created: boolean;
  /** Set when the live index was built from another definition and was rebuilt from MySQL. */
  reindexed?: ReindexReport;
}

/**
 * The search counterpart of the SQL migrations, for every stage (the local launcher's prepareStage and
 * the migrate Lambda): creates the current index behind the alias when the stage has none, and moves a
 * stage whose live index was built from another definition (e.g. v1 before the one-character
 * subfields) to a new index rebuilt from MySQL, swapping the alias atomically. Idempotent.
 */
export async function migrateMessagesIndex(deps: ReindexDeps): Promise<IndexMigration> {
  const ensured = await ensureMessagesIndex(deps.target);
  if (ensured.upToDate) return { index: ensured.index, created: ensured.created };
  deps.log?.(`${ensured.index} was built from another definition; reindexing`);
  const reindexed = await reindexMessages(deps);
  return { index: reindexed.to, created: ensured.created, reindexed };
}

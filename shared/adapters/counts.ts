import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { CounterName, RefreshState } from '../domain/count-refresh';
import { mysqlPool } from './mysql';

/** The most parent ids one statement lists (see countStatements). */
export const PARENT_LIST_LIMIT = 100;

/** Which child rows each count column counts. Identifiers only: never user input. */
const COUNTED: Record<CounterName, { parent: string; column: string; child: string; parentKey: string }> = {
  'chats.messages_count': { parent: 'chats', column: 'messages_count', child: 'messages', parentKey: 'chat_id' },
  'applications.chats_count': { parent: 'applications', column: 'chats_count', child: 'chats', parentKey: 'application_id' },
};

/**
 * The count job's statements, per counter. Every one is bounded and served by an index (checked with
 * EXPLAIN in test/integration/counts.test.ts):
 * - child ids through the child's primary key (a range of ids),
 * - children of given parents through the (parent_id, number) unique key, index only,
 * - parents through their primary key: a range of ids, or a list of at most PARENT_LIST_LIMIT ids
 *   (below eq_range_index_dive_limit, 200 on both engines, so the optimizer counts the list exactly
 *   instead of guessing from statistics, and never prefers a table scan for it).
 * Reads are plain consistent reads: they lock nothing, so the consumers' inserts never wait for them.
 */
export function countStatements(counter: CounterName) {
  const { parent, column, child, parentKey } = COUNTED[counter];
  // A correlated COUNT per parent: an index-only range of (parent_id, number) each, and no GROUP BY
  // (so no temporary table, and nothing for ONLY_FULL_GROUP_BY to disagree about between engines).
  const recount = (where: string) =>
    `SELECT p.id AS parentId, p.${column} AS stored,
            (SELECT COUNT(*) FROM ${child} c WHERE c.${parentKey} = p.id) AS actual
       FROM ${parent} p
      WHERE ${where}`;
  return {
    maxChildId: `SELECT MAX(id) AS high FROM ${child}`,
    /** The parents that received a child in (after, upTo]. */
    touchedParents: `SELECT DISTINCT ${parentKey} AS parentId FROM ${child} WHERE id > ? AND id <= ?`,
    /** At most PARENT_LIST_LIMIT ids. */
    recountParents: recount('p.id IN (?)'),
    recountRange: recount('p.id > ? AND p.id <= ?'),
    recountTail: recount('p.id > ?'),
    /** The id `size` parents after `after` (null: fewer remain). */
    parentBound: `SELECT id FROM ${parent} WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?`,
    /**
     * One statement writes a batch of counts. updated_at is assigned itself on purpose: a count is
     * derived data, not a change to the chat or application, so it must not move updated_at even if
     * the column ever gets ON UPDATE CURRENT_TIMESTAMP.
     */
    writeCounts: (rows: number) =>
      `UPDATE ${parent} SET ${column} = CASE id ${'WHEN ? THEN ? '.repeat(rows)}END, updated_at = updated_at WHERE id IN (?)`,
  };
}

const STATE_COLUMNS = `safe_id, candidate_id, candidate_read_at, window_high, window_read_at, window_cursor,
  window_promotes_to, sweep_cursor, last_completed_at`;

// Named locks are server-wide: the database name keeps stages sharing a server apart.
const LOCK_NAME = "CONCAT(DATABASE(), '.recompute_counts')";

/** MySQL error numbers worth one more try: the statement was rolled back, nothing was written. */
const TRANSIENT = new Set([1213 /* ER_LOCK_DEADLOCK */, 1205 /* ER_LOCK_WAIT_TIMEOUT */]);

export interface Recount {
  parentId: number;
  stored: number;
  actual: number;
}

/** The count job's view of MySQL, over one dedicated connection (the named lock belongs to it). */
export interface CountsStore {
  /** GET_LOCK without waiting: false when another run holds it. */
  tryLock(): Promise<boolean>;
  /** The database clock (UTC): the one clock every run agrees on. */
  now(): Promise<Date>;
  readState(counter: CounterName): Promise<RefreshState>;
  saveState(counter: CounterName, state: RefreshState): Promise<void>;
  maxChildId(counter: CounterName): Promise<number>;
  touchedParents(counter: CounterName, after: number, upTo: number): Promise<number[]>;
  recountParents(counter: CounterName, parentIds: number[]): Promise<Recount[]>;
  /** Parents in (after, upTo]; upTo null: every parent after `after`. */
  recountRange(counter: CounterName, after: number, upTo: number | null): Promise<Recount[]>;
  parentBound(counter: CounterName, after: number, size: number): Promise<number | null>;
  /** Writes the counts in one statement; returns the rows written. */
  writeCounts(counter: CounterName, counts: Recount[]): Promise<number>;
  /** Releases the lock, and returns the connection to the pool (after a failure: closes it). */
  close(failed: boolean): Promise<void>;
}

const toDate = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(value as Date));
const toId = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

async function withTransientRetry<T>(statement: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      const errno = (error as { errno?: number }).errno;
      if (attempt >= attempts || errno === undefined || !TRANSIENT.has(errno)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

export function countsStore(connection: PoolConnection): CountsStore {
  const rows = async <T>(sql: string, values: unknown[] = []) => (await connection.query<RowDataPacket[]>(sql, values))[0] as T[];
  const recounts = (result: Array<{ parentId: unknown; stored: unknown; actual: unknown }>): Recount[] =>
    result.map((r) => ({ parentId: Number(r.parentId), stored: Number(r.stored), actual: Number(r.actual) }));

  return {
    async tryLock() {
      const [row] = await rows<{ acquired: number | null }>(`SELECT GET_LOCK(${LOCK_NAME}, 0) AS acquired`);
      return row?.acquired === 1;
    },
    async now() {
      const [row] = await rows<{ now: Date }>('SELECT UTC_TIMESTAMP(3) AS now');
      return new Date(row!.now);
    },
    async readState(counter) {
      const [row] = await rows<Record<string, unknown>>(`SELECT ${STATE_COLUMNS} FROM count_refresh_state WHERE counter = ?`, [counter]);
      if (!row) throw new Error(`count_refresh_state has no row for ${counter}: apply the migrations`);
      const high = toId(row.window_high);
      const candidateId = toId(row.candidate_id);
      return {
        safeId: Number(row.safe_id),
        candidate: candidateId === null ? null : { id: candidateId, readAt: toDate(row.candidate_read_at)! },
        window:
          high === null
            ? null
            : { high, readAt: toDate(row.window_read_at)!, cursor: Number(row.window_cursor), promotesTo: toId(row.window_promotes_to) },
        sweepCursor: toId(row.sweep_cursor),
        lastCompletedAt: toDate(row.last_completed_at),
      };
    },
    async saveState(counter, state) {
      const { window, candidate } = state;
      await connection.query(
        `UPDATE count_refresh_state
            SET safe_id = ?, candidate_id = ?, candidate_read_at = ?, window_high = ?, window_read_at = ?, window_cursor = ?,
                window_promotes_to = ?, sweep_cursor = ?, last_completed_at = ?, updated_at = UTC_TIMESTAMP(3)
          WHERE counter = ?`,
        [
          state.safeId,
          candidate?.id ?? null,
          candidate?.readAt ?? null,
          window?.high ?? null,
          window?.readAt ?? null,
          window?.cursor ?? null,
          window?.promotesTo ?? null,
          state.sweepCursor,
          state.lastCompletedAt,
          counter,
        ],
      );
    },
    async maxChildId(counter) {
      const [row] = await rows<{ high: unknown }>(countStatements(counter).maxChildId);
      return toId(row?.high) ?? 0;
    },
    async touchedParents(counter, after, upTo) {
      const result = await rows<{ parentId: unknown }>(countStatements(counter).touchedParents, [after, upTo]);
      return result.map((r) => Number(r.parentId));
    },
    async recountParents(counter, parentIds) {
      if (parentIds.length === 0) return [];
      if (parentIds.length > PARENT_LIST_LIMIT) throw new RangeError(`at most ${PARENT_LIST_LIMIT} parents per statement`);
      return recounts(await rows(countStatements(counter).recountParents, [parentIds]));
    },
    async recountRange(counter, after, upTo) {
      const statements = countStatements(counter);
      return recounts(await rows(upTo === null ? statements.recountTail : statements.recountRange, upTo === null ? [after] : [after, upTo]));
    },
    async parentBound(counter, after, size) {
      const [row] = await rows<{ id: unknown }>(countStatements(counter).parentBound, [after, size - 1]);
      return toId(row?.id);
    },
    async writeCounts(counter, counts) {
      if (counts.length === 0) return 0;
      if (counts.length > PARENT_LIST_LIMIT) throw new RangeError(`at most ${PARENT_LIST_LIMIT} parents per statement`);
      const values = [...counts.flatMap((c) => [c.parentId, c.actual]), counts.map((c) => c.parentId)];
      const [result] = await withTransientRetry(() => connection.query<ResultSetHeader>(countStatements(counter).writeCounts(counts.length), values));
      return result.affectedRows;
    },
    async close(failed) {
      try {
        // Explicitly, even after a failure: the server would release the lock with the session, but
        // only once it notices the socket closed, and a run right after must not find it still held.
        await connection.query({ sql: `SELECT RELEASE_LOCK(${LOCK_NAME})`, timeout: 5000 });
        await connection.query({ sql: 'SET SESSION innodb_lock_wait_timeout = DEFAULT', timeout: 5000 });
      } catch {
        failed = true; // a broken connection (killed, timed out): the server drops it and its lock
      }
      // After a failure the connection's state is unknown: never hand it back to the pool.
      if (failed) connection.destroy();
      else connection.release();
    },
  };
}

/**
 * A store on a connection of its own from the container's pool. Its lock waits are short: an UPDATE
 * of counts waiting behind a consumer's transaction (which holds shared locks on the chats its
 * messages reference) would otherwise hold its own row locks, and block other consumers, for up to
 * 50 s. It gives up after 5 s instead and is retried (withTransientRetry), or left to the next run.
 */
export async function openCountsStore(pool: Pool = mysqlPool()): Promise<CountsStore> {
  const connection = await pool.getConnection();
  try {
    await connection.query('SET SESSION innodb_lock_wait_timeout = 5');
  } catch (error) {
    connection.destroy();
    throw error;
  }
  return countsStore(connection);
}

import { openCountsStore, PARENT_LIST_LIMIT, type CountsStore, type Recount } from '../adapters/counts';
import {
  advanceWindow,
  completeWindow,
  COUNTERS,
  DEFAULT_SETTLE_MS,
  openWindow,
  windowDone,
  type CounterName,
} from '../domain/count-refresh';
import { log } from '../http/log';

export interface CountsDeps {
  openStore: () => Promise<CountsStore>;
}

export interface RecomputeOptions {
  /** Recount every parent, not only those that received rows (resumed by later runs if cut short). */
  full?: boolean;
  /** Epoch ms after which no new chunk starts; the next run resumes where this one stopped. */
  deadline?: number;
  settleMs?: number;
  /** Child ids per scanned chunk of the window. */
  childChunk?: number;
  /** Touched parents per recount-and-write statement pair (at most PARENT_LIST_LIMIT). */
  parentBatch?: number;
  /** Parents per key range of a full recount. */
  sweepChunk?: number;
}

export interface CounterReport {
  /** Child ids scanned this run: (from, to]; done when the window was completed. */
  window: { from: number; to: number; done: boolean };
  /** Parent ids a full recount covered this run, done when it reached the last parent; null: none due. */
  sweep: { from: number; to: number | null; done: boolean } | null;
  chunks: number;
  parentsRecounted: number;
  /** Rows whose count changed and was written. */
  rowsUpdated: number;
}

export interface CountsReport {
  /** Another run holds the lock; this one did nothing. */
  skipped: boolean;
  full: boolean;
  /** Every due window and sweep finished (false: stopped at the deadline, the next run resumes). */
  complete: boolean;
  rowsUpdated: number;
  durationMs: number;
  counters: Partial<Record<CounterName, CounterReport>>;
}

/**
 * A chunk of 20,000 child ids is read through the primary key in tens of milliseconds. Touched parents
 * go 100 to a statement (PARENT_LIST_LIMIT), a full recount 500 parents to a key range: each
 * statement reads and locks little, so none holds up the consumers or runs long.
 */
const DEFAULTS = { childChunk: 20_000, parentBatch: PARENT_LIST_LIMIT, sweepChunk: 500 };

/**
 * Recomputes chats_count and messages_count (DESIGN invariant 5) with set-based statements, chunked:
 * each counter's window of new child ids is scanned in id ranges, the parents they touched are
 * recounted 100 at a time, and only counts that differ are written. `{full: true}` recounts every
 * parent, 500 per primary key range. Progress is saved after every chunk, so a run that fails or runs
 * out of time is resumed by the next one; the work is idempotent, so redoing a chunk is harmless.
 *
 * Runs are serialised by a named lock held by the run's connection: a second run while one is in
 * progress returns `skipped` at once, and a run that dies releases the lock with its connection. One
 * writer at a time is what makes "read the count, then write it" safe: a count read at T is exact for
 * every row committed before T, and any row committed after T is in a later window (see
 * shared/domain/count-refresh.ts), so a later run writes it.
 */
export async function recomputeCounts(
  options: RecomputeOptions = {},
  deps: CountsDeps = { openStore: () => openCountsStore() },
): Promise<CountsReport> {
  const startedAt = Date.now();
  const full = options.full ?? false;
  const settings = { ...DEFAULTS, settleMs: DEFAULT_SETTLE_MS, deadline: Number.POSITIVE_INFINITY, ...withoutUndefined(options) };
  const report: CountsReport = { skipped: false, full, complete: true, rowsUpdated: 0, durationMs: 0, counters: {} };
  const store = await deps.openStore();
  let failed = true;
  try {
    if (!(await store.tryLock())) {
      report.skipped = true;
      log('warn', 'recomputeCounts: another run holds the lock; skipped');
    } else {
      const job = new CountJob(store, settings);
      if (full) for (const counter of COUNTERS) await job.requestSweep(counter);
      // The windows first: they are what keeps the lag bounded while a long full recount progresses.
      for (const counter of COUNTERS) report.counters[counter] = await job.refreshWindow(counter);
      for (const counter of COUNTERS) await job.sweep(counter, report.counters[counter]!);
      const counters = Object.values(report.counters);
      report.complete = counters.every((c) => c.window.done && (c.sweep === null || c.sweep.done));
      report.rowsUpdated = counters.reduce((sum, c) => sum + c.rowsUpdated, 0);
    }
    failed = false;
  } finally {
    await store.close(failed);
  }
  report.durationMs = Date.now() - startedAt;
  log('info', 'recomputeCounts: done', { ...report });
  return report;
}

class CountJob {
  constructor(
    private readonly store: CountsStore,
    private readonly settings: Required<Omit<RecomputeOptions, 'full'>>,
  ) {}

  private timeLeft(): boolean {
    return Date.now() < this.settings.deadline;
  }

  async requestSweep(counter: CounterName): Promise<void> {
    const state = await this.store.readState(counter);
    await this.store.saveState(counter, { ...state, sweepCursor: 0 });
  }

  async refreshWindow(counter: CounterName): Promise<CounterReport> {
    const { store } = this;
    let state = await store.readState(counter);
    if (!state.window) state = openWindow(state, await store.maxChildId(counter), await store.now(), this.settings.settleMs);
    await store.saveState(counter, state);
    const window = state.window!;
    const counterReport: CounterReport = {
      window: { from: window.cursor, to: window.cursor, done: false },
      sweep: null,
      chunks: 0,
      parentsRecounted: 0,
      rowsUpdated: 0,
    };
    // Parents already recounted by this run: a busy chat is recounted once per run, not once per chunk.
    // (A row it receives after its recount has an id above the window's safe start, so a later window
    // covers it: see shared/domain/count-refresh.ts.)
    const done = new Set<number>();
    const batchSize = Math.min(this.settings.parentBatch, PARENT_LIST_LIMIT);
    let cursor = window.cursor;
    while (cursor < window.high && this.timeLeft()) {
      const upTo = Math.min(cursor + this.settings.childChunk, window.high);
      const touched = (await store.touchedParents(counter, cursor, upTo)).filter((id) => !done.has(id));
      for (let i = 0; i < touched.length; i += batchSize) {
        const batch = touched.slice(i, i + batchSize);
        await this.write(counter, counterReport, await store.recountParents(counter, batch));
        for (const id of batch) done.add(id);
      }
      cursor = upTo;
      state = advanceWindow(state, cursor);
      await store.saveState(counter, state);
      counterReport.chunks++;
      counterReport.window.to = cursor;
    }
    if (windowDone(state.window!)) {
      state = completeWindow(state, await store.now());
      await store.saveState(counter, state);
      counterReport.window.done = true;
    }
    return counterReport;
  }

  async sweep(counter: CounterName, counterReport: CounterReport): Promise<void> {
    const { store } = this;
    let state = await store.readState(counter);
    if (state.sweepCursor === null) return;
    const sweep: NonNullable<CounterReport['sweep']> = { from: state.sweepCursor, to: state.sweepCursor, done: false };
    counterReport.sweep = sweep;
    while (state.sweepCursor !== null && this.timeLeft()) {
      const after = state.sweepCursor;
      const upTo = await store.parentBound(counter, after, this.settings.sweepChunk);
      await this.write(counter, counterReport, await store.recountRange(counter, after, upTo));
      state = { ...state, sweepCursor: upTo };
      await store.saveState(counter, state);
      counterReport.chunks++;
      sweep.to = upTo;
    }
    sweep.done = state.sweepCursor === null;
  }

  /** Writes the counts that differ from what is stored, up to PARENT_LIST_LIMIT per statement. */
  private async write(counter: CounterName, counterReport: CounterReport, recounts: Recount[]): Promise<void> {
    counterReport.parentsRecounted += recounts.length;
    const changed = recounts.filter((r) => r.stored !== r.actual);
    for (let i = 0; i < changed.length; i += PARENT_LIST_LIMIT) {
      counterReport.rowsUpdated += await this.store.writeCounts(counter, changed.slice(i, i + PARENT_LIST_LIMIT));
    }
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import { z } from 'zod';
import { ValidationError } from './errors';

/**
 * The derived count columns (DESIGN invariant 5), each "parent.column" = number of child rows.
 * messages_count first: it is the bigger job, and independent of chats_count.
 */
export const COUNTERS = ['chats.messages_count', 'applications.chats_count'] as const;
export type CounterName = (typeof COUNTERS)[number];

/**
 * How far the count job got for one counter (table count_refresh_state). Child ids are the
 * auto-increment ids of the child table (messages for messages_count, chats for chats_count).
 *
 * Why a settle delay instead of a plain "max id seen" watermark: auto-increment ids are handed out
 * when a row is inserted, not when its transaction commits, so a row with a lower id can become
 * visible after a run has already read a higher MAX(id). Advancing the watermark to that MAX(id)
 * would lose such a row forever. Every row is committed (or rolled back) within SETTLE of getting its
 * id, though: the consumers insert with short autocommit statements inside a 30 s Lambda, and a
 * dropped connection rolls its transaction back. So a MAX(id) read at time T covers only rows that are
 * all committed by T + SETTLE, and `safeId` advances to such a MAX(id) only when a window that started
 * at or after T + SETTLE has scanned past it. Until then the next window starts from the old `safeId`
 * again: the rows between are re-scanned (an overlap of about one schedule interval), which costs a
 * re-read but never a lost row. The scan reads ids through the primary key, so a re-scan is cheap, and
 * recounting a parent whose count is already right writes nothing.
 */
export interface RefreshState {
  safeId: number;
  candidate: { id: number; readAt: Date } | null;
  window: RefreshWindow | null;
  /** The parent id an unfinished full recount has reached (0: not started), null when none is due. */
  sweepCursor: number | null;
  lastCompletedAt: Date | null;
}

export interface RefreshWindow {
  /** Child ids in (safeId, high] are scanned; high is MAX(id) read at readAt. */
  high: number;
  readAt: Date;
  /** Scanned up to here (resumed from here by the next run if this one stops). */
  cursor: number;
  /** What safeId becomes when the window completes; null: it stays. */
  promotesTo: number | null;
}

/**
 * Rows are committed within this long of getting their id (see RefreshState). Ten times the
 * consumers' Lambda timeout; far below the schedule interval, so in steady state every run promotes
 * the previous run's high mark and the overlap is one interval.
 */
export const DEFAULT_SETTLE_MS = 5 * 60_000;

/** Starts a window over (safeId, high] unless one is in progress (then that one is resumed). */
export function openWindow(state: RefreshState, high: number, now: Date, settleMs: number): RefreshState {
  if (state.window) return state;
  const { candidate } = state;
  const settled = candidate !== null && now.getTime() - candidate.readAt.getTime() >= settleMs;
  const promotesTo = settled ? Math.max(candidate.id, state.safeId) : null;
  return { ...state, window: { high: Math.max(high, state.safeId), readAt: now, cursor: state.safeId, promotesTo } };
}

export function advanceWindow(state: RefreshState, cursor: number): RefreshState {
  if (!state.window) throw new Error('no window in progress');
  return { ...state, window: { ...state.window, cursor } };
}

export const windowDone = (window: RefreshWindow) => window.cursor >= window.high;

/**
 * Closes a fully scanned window: safeId moves to the promotion decided when it opened, and this
 * window's high mark becomes the next candidate. An older candidate that could not be promoted yet is
 * kept instead: it settles sooner than this one.
 */
export function completeWindow(state: RefreshState, now: Date): RefreshState {
  const { window } = state;
  if (!window || !windowDone(window)) throw new Error('the window is not fully scanned');
  const promoted = window.promotesTo !== null;
  return {
    ...state,
    safeId: promoted ? Math.max(state.safeId, window.promotesTo!) : state.safeId,
    candidate: promoted || state.candidate === null ? { id: window.high, readAt: window.readAt } : state.candidate,
    window: null,
    lastCompletedAt: now,
  };
}

/** The payload of a run: the EventBridge schedule's event, or `{"full": true}` on demand. */
const RecomputeCountsEvent = z.object({ full: z.boolean().default(false) });
export type RecomputeCountsEvent = z.infer<typeof RecomputeCountsEvent>;

export function parseRecomputeCountsEvent(event: unknown): RecomputeCountsEvent {
  const result = RecomputeCountsEvent.safeParse(event ?? {});
  if (result.success) return result.data;
  throw new ValidationError(`invalid event: ${result.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
}

import {
  advanceWindow,
  completeWindow,
  openWindow,
  parseRecomputeCountsEvent,
  type RefreshState,
} from '../../shared/domain/count-refresh';
import { ValidationError } from '../../shared/domain/errors';

const SETTLE = 5 * 60_000;
const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));
const initial: RefreshState = { safeId: 0, candidate: null, window: null, sweepCursor: null, lastCompletedAt: null };

/** One whole run: open (or resume) the window, scan it all, close it. */
function runAt(state: RefreshState, maxId: number, minutes: number, settleMs = SETTLE): RefreshState {
  const open = openWindow(state, maxId, at(minutes), settleMs);
  return completeWindow(advanceWindow(open, open.window!.high), at(minutes));
}

describe('the count job window (shared/domain/count-refresh)', () => {
  it('scans from the safe id to the max id, and resumes an unfinished window instead of opening another', () => {
    const open = openWindow({ ...initial, safeId: 100 }, 250, at(0), SETTLE);
    expect(open.window).toEqual({ high: 250, readAt: at(0), cursor: 100, promotesTo: null });

    const stopped = advanceWindow(open, 180);
    const resumed = openWindow(stopped, 400, at(20), SETTLE);

    expect(resumed.window).toEqual({ high: 250, readAt: at(0), cursor: 180, promotesTo: null });
  });

  it('moves the safe id only to a max id read at least the settle delay before the window opened', () => {
    const first = runAt(initial, 100, 0);
    expect(first).toMatchObject({ safeId: 0, candidate: { id: 100, readAt: at(0) } });

    const second = runAt(first, 180, 20);
    expect(second).toMatchObject({ safeId: 100, candidate: { id: 180, readAt: at(20) } });

    const third = runAt(second, 260, 40);
    expect(third).toMatchObject({ safeId: 180, candidate: { id: 260 } });
  });

  it('keeps re-scanning from the old safe id while runs come faster than the settle delay', () => {
    const first = runAt(initial, 100, 0);
    const quick = runAt(first, 120, 1);
    const quicker = runAt(quick, 130, 2);

    // The older candidate is kept: it settles first.
    expect(quicker).toMatchObject({ safeId: 0, candidate: { id: 100, readAt: at(0) } });
    const later = openWindow(quicker, 140, at(6), SETTLE);
    expect(later.window).toMatchObject({ cursor: 0, high: 140, promotesTo: 100 });
  });

  it('never loses a row that commits after two quick runs read higher ids (it would without the delay)', () => {
    // Id 105 is taken at minute 0 and committed at minute 3; runs at minutes 1 and 2 read max ids 110, 120.
    const late = 105;
    const beforeCommit = runAt(runAt(runAt(initial, 100, 0), 110, 1), 120, 2);
    const withDelay = openWindow(beforeCommit, 130, at(3), SETTLE);
    expect(withDelay.window!.cursor).toBeLessThan(late);

    const noDelay = runAt(runAt(runAt(initial, 100, 0, 0), 110, 1, 0), 120, 2, 0);
    expect(openWindow(noDelay, 130, at(3), 0).window!.cursor).toBeGreaterThan(late);
  });

  it('refuses to complete a window that is not fully scanned', () => {
    const open = openWindow(initial, 100, at(0), SETTLE);
    expect(() => completeWindow(advanceWindow(open, 50), at(1))).toThrow(/not fully scanned/);
  });
});

describe('parseRecomputeCountsEvent', () => {
  it('reads a scheduled event as an incremental run and {"full": true} as a full one', () => {
    expect(parseRecomputeCountsEvent({ version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} })).toEqual({ full: false });
    expect(parseRecomputeCountsEvent(undefined)).toEqual({ full: false });
    expect(parseRecomputeCountsEvent({ full: true })).toEqual({ full: true });
  });

  it('rejects a malformed payload', () => {
    expect(() => parseRecomputeCountsEvent({ full: 'yes' })).toThrow(ValidationError);
  });
});

// One live-update step of the Logs screen: which traces changed since the
// newest transaction shown, summarized under the screen's filter.
//
// Cheap first, because it runs every second on every open Logs tab:
//  1. the project's newest transaction (a streamed one-row query); nothing
//     newer → done;
//  2. the traces with spans newer than `after` (spans shape, only their ids);
//  3. a few traces: each summarized by itself, one after another
//     (`root_span_id = '…'` is pushed down, so the store reads that trace
//     only); many: one summary query over the project for traces with a
//     newer span.
// Each step is asked after the one before, so every trace that qualifies up
// to the returned `newest` is in `rows`.
import { btql } from '../../api/btql';
import { latestXactQuery, logsQuery, touchedTracesQuery } from './query';
import type { LogRow } from './useLogRows';

const MAX_TOUCHED = 10; // more changed traces than this: one summary query instead
const LIVE_LIMIT = 1000; // more than this in one step: the caller starts over

export type LiveStep = { rows: LogRow[]; newest: string } | 'overflow';

/** The newest `_xact_id` among `rows` and `than` (fixed-width ids: string order). */
export function newestXact(rows: { _xact_id?: string }[], than = ''): string {
  let best = than;
  for (const r of rows) if (r._xact_id && r._xact_id > best) best = r._xact_id;
  return best;
}

/** Newest first: by the trace's newest transaction, then its root span id, as the server orders. */
function byNewest(a: LogRow, b: LogRow): number {
  const x = (b._xact_id ?? '').localeCompare(a._xact_id ?? '');
  return x || (b.root_span_id ?? b.id).localeCompare(a.root_span_id ?? a.id);
}

export async function liveStep(
  projectId: string,
  filter: string | null,
  after: string,
  signal: AbortSignal,
): Promise<LiveStep> {
  const probe = await btql<{ _xact_id?: string }>(latestXactQuery(projectId), signal);
  const top = newestXact(probe.data);
  if (top <= after) return { rows: [], newest: after };

  const touched = await btql<{ _xact_id?: string; root_span_id?: string }>(
    touchedTracesQuery(projectId, after, MAX_TOUCHED * 10),
    signal,
  );
  const roots = new Set(touched.data.map((s) => s.root_span_id));
  const newest = newestXact(touched.data, top);
  if (!touched.cursor && roots.size <= MAX_TOUCHED && !roots.has(undefined)) {
    // One at a time: every /btql is a heavy request, and a key may run only a
    // couple at once (--heavy-per-key); each of these reads one trace.
    const rows: LogRow[] = [];
    for (const root of roots) {
      const r = await btql<LogRow>(logsQuery(projectId, filter, { limit: 1, root }), signal);
      rows.push(...r.data);
    }
    return { rows: rows.sort(byNewest), newest };
  }

  const r = await btql<LogRow>(logsQuery(projectId, filter, { limit: LIVE_LIMIT, after }), signal);
  if (r.cursor) return 'overflow';
  return { rows: r.data, newest: newestXact(r.data, top) };
}

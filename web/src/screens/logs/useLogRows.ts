// The rows of the Logs screen: the first page of a project's traces (summary
// shape, newest first), further pages by cursor as the table scrolls, and
// live updates (live.ts) every second while the tab is visible and live is not
// paused. Traces a live step returns replace the rows of the same traces and
// go on top, which keeps the list newest first without duplicates. A new
// filter or project starts over; answers of an older start are dropped.
import { useCallback, useEffect, useRef, useState } from 'react';
import { btql } from '../../api/btql';
import { liveStep, newestXact } from './live';
import { logsQuery } from './query';

export interface LogRow {
  id: string;
  span_id?: string;
  root_span_id?: string;
  created?: string | null;
  _xact_id?: string;
  span_attributes?: { name?: string | null; type?: string | null } | null;
  input?: unknown;
  output?: unknown;
  expected?: unknown;
  error?: unknown;
  metadata?: Record<string, unknown> | null;
  scores?: Record<string, number | null> | null;
  metrics?: Record<string, number | null> | null;
  span_type_info?: { has_error?: boolean } | null;
  num_spans?: number;
}

export const PAGE_SIZE = 100;
const POLL_MS = 1000;

export function traceKey(row: LogRow): string {
  return row.root_span_id ?? row.id;
}

export type LiveState = 'live' | 'paused' | 'hidden' | 'error';

export interface LogRowsState {
  status: 'loading' | 'done' | 'error';
  rows: LogRow[];
  error: Error | null; // of the first page
  hasMore: boolean;
  loadingMore: boolean;
  moreError: Error | null;
  live: LiveState;
  liveError: Error | null;
  arrived: number; // rows live updates added since the first page
}

const START: LogRowsState = {
  status: 'loading',
  rows: [],
  error: null,
  hasMore: false,
  loadingMore: false,
  moreError: null,
  live: 'live',
  liveError: null,
  arrived: 0,
};

function visible(): boolean {
  return document.visibilityState === 'visible';
}

export function useLogRows(
  projectId: string | undefined,
  filter: string | null,
  paused: boolean,
): LogRowsState & { loadMore: () => void; retryMore: () => void; reload: () => void } {
  const [state, setState] = useState<LogRowsState>(START);
  const [generation, setGeneration] = useState(0);
  const run = useRef(0); // bumps at every start; answers of older runs are dropped
  const cursor = useRef<string | null>(null);
  const newest = useRef('');
  const busyMore = useRef(false);
  const failedMore = useRef(false); // then only retryMore() asks again, not every render

  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  // The first page.
  useEffect(() => {
    if (!projectId) return;
    const mine = ++run.current;
    const ctl = new AbortController();
    cursor.current = null;
    newest.current = '';
    busyMore.current = false;
    failedMore.current = false;
    setState((s) => ({ ...START, live: s.live }));
    btql<LogRow>(logsQuery(projectId, filter, { limit: PAGE_SIZE }), ctl.signal).then(
      (r) => {
        if (mine !== run.current) return;
        cursor.current = r.cursor ?? null;
        newest.current = newestXact(r.data);
        setState((s) => ({ ...s, status: 'done', rows: r.data, hasMore: !!cursor.current }));
      },
      (error: Error) => {
        if (mine !== run.current || ctl.signal.aborted) return;
        setState((s) => ({ ...s, status: 'error', error }));
      },
    );
    return () => ctl.abort();
  }, [projectId, filter, generation]);

  const loaded = state.status === 'done';

  // Live updates while the first page is shown, not paused and the tab visible.
  useEffect(() => {
    if (!projectId || !loaded) return;
    if (paused) {
      setState((s) => ({ ...s, live: 'paused' }));
      return;
    }
    const mine = run.current;
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    const stopped = () => ctl.signal.aborted || mine !== run.current;

    const schedule = () => {
      clearTimeout(timer);
      if (!stopped() && visible()) timer = setTimeout(() => void poll(), POLL_MS);
    };
    const poll = async () => {
      if (inFlight || stopped()) return;
      if (busyMore.current) return schedule(); // one query of this screen at a time (heavy-request limits)
      inFlight = true;
      try {
        const step = await liveStep(projectId, filter, newest.current, ctl.signal);
        if (stopped()) return;
        if (step === 'overflow') {
          reload(); // too many new traces to merge: start over from the newest
          return;
        }
        newest.current = step.newest;
        if (step.rows.length) {
          const fresh = new Set(step.rows.map(traceKey));
          setState((s) => ({
            ...s,
            rows: [...step.rows, ...s.rows.filter((row) => !fresh.has(traceKey(row)))],
            arrived: s.arrived + step.rows.filter((row) => !s.rows.some((o) => traceKey(o) === traceKey(row))).length,
            live: 'live',
            liveError: null,
          }));
        } else {
          setState((s) => (s.live === 'live' && !s.liveError ? s : { ...s, live: 'live', liveError: null }));
        }
      } catch (e) {
        if (stopped()) return;
        setState((s) => ({ ...s, live: 'error', liveError: e as Error }));
      } finally {
        inFlight = false;
        schedule();
      }
    };
    const onVisibility = () => {
      setState((s) => ({ ...s, live: visible() ? 'live' : 'hidden' }));
      if (visible()) void poll();
      else clearTimeout(timer);
    };
    setState((s) => ({ ...s, live: visible() ? 'live' : 'hidden' }));
    document.addEventListener('visibilitychange', onVisibility);
    schedule();
    return () => {
      ctl.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [projectId, filter, loaded, paused, reload]);

  // The next page, when the table's end comes into view.
  const fetchMore = useCallback(() => {
    if (!projectId || busyMore.current || !cursor.current) return;
    const mine = run.current;
    busyMore.current = true;
    setState((s) => ({ ...s, loadingMore: true, moreError: null }));
    btql<LogRow>(logsQuery(projectId, filter, { limit: PAGE_SIZE, cursor: cursor.current })).then(
      (r) => {
        if (mine !== run.current) return;
        cursor.current = r.cursor ?? null;
        busyMore.current = false;
        setState((s) => {
          // A trace live updates moved to the top is already shown, newer.
          const shown = new Set(s.rows.map(traceKey));
          const more = r.data.filter((row) => !shown.has(traceKey(row)));
          return { ...s, rows: [...s.rows, ...more], hasMore: !!cursor.current, loadingMore: false };
        });
      },
      (error: Error) => {
        if (mine !== run.current) return;
        busyMore.current = false;
        failedMore.current = true; // keep the cursor: the "Retry" button asks again
        setState((s) => ({ ...s, loadingMore: false, moreError: error }));
      },
    );
  }, [projectId, filter]);
  const loadMore = useCallback(() => {
    if (!failedMore.current) fetchMore();
  }, [fetchMore]);
  const retryMore = useCallback(() => {
    failedMore.current = false;
    fetchMore();
  }, [fetchMore]);

  return { ...state, loadMore, retryMore, reload };
}

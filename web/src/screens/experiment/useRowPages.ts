// Pages an experiment's summary rows in as the table scrolls: the first page
// and the matching count on any change of the query, then the next page (by
// cursor) when the table reports its end is in view. A sorted read, or one
// asked for `all` rows, is a single page (the server does not page sorted
// queries). A newer query aborts the older one's requests.
import { useCallback, useEffect, useRef, useState } from 'react';
import { MAX_ROWS, rowCount, rowsPage, type RowFilter, type Sort, type SummaryRow } from './query';

export interface RowPages {
  rows: SummaryRow[]; // while `stale`, the previous query's rows
  stale: boolean; // a new query is loading; `rows` are the old one's
  rowsKey: string; // which query `rows` answer (changes when new rows replace old ones)
  total: number | null; // matching traces, once counted
  done: boolean; // every page is loaded
  loading: boolean;
  error: Error | null;
  loadMore: () => void;
  retry: () => void;
}

interface State {
  key: string; // the query this state is for
  rows: SummaryRow[];
  rowsKey: string; // the query `rows` answer (an older one while stale)
  stale: boolean;
  cursor: string | null;
  done: boolean;
  total: number | null;
  loading: boolean;
  error: Error | null;
}

const START: State = { key: '', rows: [], rowsKey: '', stale: false, cursor: null, done: false, total: null, loading: true, error: null };

export function useRowPages(experimentId: string, filter: RowFilter, sort: Sort | null, all: boolean): RowPages {
  const [state, setState] = useState<State>(START);
  const [generation, setGeneration] = useState(0);
  const current = useRef<{ ctl: AbortController; state: State; busy: boolean } | null>(null);

  const single = Boolean(sort) || all;
  const key = JSON.stringify([experimentId, filter.filter, filter.search, sort?.score, sort?.dir, all, generation]);

  useEffect(() => {
    const ctl = new AbortController();
    // The old rows stay on screen (marked stale) until the new query's first page.
    const old = current.current?.state ?? START;
    const me = { ctl, state: { ...START, key, rows: old.rows, rowsKey: old.rowsKey, stale: old.rows.length > 0 }, busy: true };
    current.current = me;
    const update = (patch: Partial<State>) => {
      if (ctl.signal.aborted) return;
      me.state = { ...me.state, ...patch };
      setState(me.state);
    };
    setState(me.state);
    rowsPage(experimentId, filter, { sort, all }, ctl.signal).then(
      (page) => {
        me.busy = false;
        const cursor = single ? null : (page.cursor ?? null);
        update({ rows: page.data, rowsKey: key, stale: false, cursor, done: !cursor, loading: false });
        // Counted after the first page, so the page (and the summary beside it) go first
        // through the two heavy slots (docs/configuration.md, --heavy-per-key).
        if (!cursor) update({ total: page.data.length < MAX_ROWS || !single ? page.data.length : null });
        if (me.state.total === null) {
          rowCount(experimentId, filter, ctl.signal).then(
            (total) => update({ total }),
            () => undefined, // a refused filter was already reported by the page
          );
        }
      },
      (error: Error) => {
        me.busy = false;
        update({ rows: [], rowsKey: key, stale: false, loading: false, error });
      },
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [experimentId, filter.filter, filter.search, sort?.score, sort?.dir, all, generation]);

  const loadMore = useCallback(() => {
    const me = current.current;
    if (!me || me.busy || me.state.done || me.state.error || !me.state.cursor) return;
    me.busy = true;
    const { ctl } = me;
    const update = (patch: Partial<State>) => {
      if (ctl.signal.aborted) return;
      me.state = { ...me.state, ...patch };
      setState(me.state);
    };
    update({ loading: true });
    rowsPage(experimentId, filter, { cursor: me.state.cursor }, ctl.signal).then(
      (page) => {
        me.busy = false;
        const cursor = page.cursor ?? null;
        update({ rows: me.state.rows.concat(page.data), cursor, done: !cursor, loading: false });
      },
      (error: Error) => {
        me.busy = false;
        update({ loading: false, error });
      },
    );
  }, [experimentId, filter]);

  const retry = useCallback(() => setGeneration((g) => g + 1), []);
  // Until the effect for a new query has run, the state still holds the old
  // query's: already show it as stale, in the same render as the new controls.
  if (state.key !== key) {
    return { ...START, rows: state.rows, rowsKey: state.rowsKey, stale: state.rows.length > 0, loadMore, retry };
  }
  return { ...state, loadMore, retry };
}

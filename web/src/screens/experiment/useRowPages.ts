// Pages an experiment's summary rows in as the table scrolls: the first page
// and the matching count on any change of the query, then the next page (by
// cursor) when the table reports its end is in view. A sorted read, or one
// asked for `all` rows, is a single page (the server does not page sorted
// queries). A newer query aborts the older one's requests.
import { useCallback, useEffect, useRef, useState } from 'react';
import { rowCount, rowsPage, type RowFilter, type Sort, type SummaryRow } from './query';

export interface RowPages {
  rows: SummaryRow[];
  total: number | null; // matching traces, once counted
  done: boolean; // every page is loaded
  loading: boolean;
  error: Error | null;
  loadMore: () => void;
  retry: () => void;
}

interface State {
  rows: SummaryRow[];
  cursor: string | null;
  done: boolean;
  total: number | null;
  loading: boolean;
  error: Error | null;
}

const START: State = { rows: [], cursor: null, done: false, total: null, loading: true, error: null };

export function useRowPages(experimentId: string, filter: RowFilter, sort: Sort | null, all: boolean): RowPages {
  const [state, setState] = useState<State>(START);
  const [generation, setGeneration] = useState(0);
  const current = useRef<{ ctl: AbortController; state: State; busy: boolean } | null>(null);

  const single = Boolean(sort) || all;

  useEffect(() => {
    const ctl = new AbortController();
    const me = { ctl, state: START, busy: true };
    current.current = me;
    const update = (patch: Partial<State>) => {
      if (ctl.signal.aborted) return;
      me.state = { ...me.state, ...patch };
      setState(me.state);
    };
    setState(START);
    rowsPage(experimentId, filter, { sort, all }, ctl.signal).then(
      (page) => {
        me.busy = false;
        const cursor = single ? null : (page.cursor ?? null);
        update({ rows: page.data, cursor, done: !cursor, loading: false });
      },
      (error: Error) => {
        me.busy = false;
        update({ loading: false, error });
      },
    );
    // After the page: it takes the first heavy slot (docs/configuration.md).
    rowCount(experimentId, filter, ctl.signal).then(
      (total) => update({ total }),
      () => undefined, // the page's own request reports the error
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
  return { ...state, loadMore, retry };
}

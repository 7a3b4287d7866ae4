// Runs an async load when its dependencies change and tracks its state; a
// newer load or unmount aborts the older one (its result is dropped).
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

export type AsyncState<T> =
  | { status: 'loading'; value?: T }
  | { status: 'done'; value: T }
  | { status: 'error'; error: Error; value?: T };

export function useAsync<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
): AsyncState<T> & { reload: () => void } {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ status: 'loading', value: s.value }));
    loadRef.current(ctl.signal).then(
      (value) => {
        if (!ctl.signal.aborted) setState({ status: 'done', value });
      },
      (error: Error) => {
        if (!ctl.signal.aborted) setState((s) => ({ status: 'error', error, value: s.value }));
      },
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

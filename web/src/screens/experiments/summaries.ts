// Each experiment's score and metric means, from GET /experiment-comparison2
// (data plane) without a base: two requests in flight at a time, each
// result stored as it arrives so the table's cells fill in one by one.
import { useEffect, useState } from 'react';
import { data } from '../../api/client';
import { forEachLimited, HEAVY_IN_FLIGHT, retryBusy } from '../projects/pool';

export interface ExperimentSummary {
  scores: Record<string, { name: string; score: number }>;
  metrics: Record<string, { name: string; metric: number; unit: string }>;
}

/** Settled summaries by experiment id: a summary, or the error its request met. */
export type Summaries = Map<string, ExperimentSummary | Error>;

export function loadSummary(experimentId: string, signal: AbortSignal): Promise<ExperimentSummary> {
  return data<ExperimentSummary>('/experiment-comparison2', { query: { experiment_id: experimentId }, signal });
}

interface SummariesState {
  ids: readonly string[] | undefined; // what the rest is about
  summaries: Summaries;
  done: boolean;
  throttled: boolean;
}

/**
 * The summaries of `ids`, filling in; `done` once every one has settled.
 * Until the load for new `ids` starts, the answer is an empty one (never the
 * previous ids' summaries).
 */
export function useSummaries(ids: readonly string[] | undefined): {
  summaries: Summaries;
  done: boolean;
  throttled: boolean; // the server answered 429 at least once: loading waits for it
} {
  const [state, setState] = useState<SummariesState>(() => ({
    ids: undefined,
    summaries: new Map(),
    done: false,
    throttled: false,
  }));
  useEffect(() => {
    if (!ids) return;
    const ctl = new AbortController();
    const update = (change: (s: SummariesState) => Partial<SummariesState>) =>
      setState((s) => (ctl.signal.aborted ? s : { ...s, ...change(s) }));
    setState({ ids, summaries: new Map(), done: false, throttled: false });
    void forEachLimited(
      ids,
      HEAVY_IN_FLIGHT,
      async (id) => {
        let result: ExperimentSummary | Error;
        try {
          result = await retryBusy(
            () => loadSummary(id, ctl.signal),
            ctl.signal,
            () => update(() => ({ throttled: true })),
          );
        } catch (e) {
          result = e as Error;
        }
        update((s) => ({ summaries: new Map(s.summaries).set(id, result) }));
      },
      ctl.signal,
    ).then(() => update(() => ({ done: true })));
    return () => ctl.abort();
  }, [ids]);
  if (state.ids !== ids) return { summaries: EMPTY, done: false, throttled: false };
  return { summaries: state.summaries, done: state.done, throttled: state.throttled };
}

const EMPTY: Summaries = new Map();

/** Score names across the settled summaries, sorted. */
export function scoreNames(summaries: Summaries): string[] {
  const names = new Set<string>();
  for (const s of summaries.values()) if (!(s instanceof Error)) Object.keys(s.scores).forEach((n) => names.add(n));
  return [...names].sort((a, b) => a.localeCompare(b));
}

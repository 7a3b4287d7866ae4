// Running many data-plane requests for one screen: a bounded number in
// flight, each result reported as it arrives so a table fills in cell by
// cell, and a retry when the server answers 429.
import { ApiError } from '../../api/client';

// Summaries and BTQL are "heavy" requests, of which the server runs at most
// two per key at once by default (--heavy-per-key, docs/configuration.md). The
// API client queues past two as well; lanes of two here keep the order in
// which a table's cells fill in and leave nothing queued once the screen goes.
export const HEAVY_IN_FLIGHT = 2;

// Pauses between retries of a 429 the client's own few retries did not get
// past: 1 s, doubling up to 10 s. A split data plane's outbound rate limit (100
// control-plane lookups a minute per token, docs/outbound.md) can refuse for
// up to a minute.
const FIRST_PAUSE_MS = 1000;
const MAX_PAUSE_MS = 10_000;

/** Runs `work` over `items` with at most `limit` in flight; stops starting new ones once `signal` aborts. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  let next = 0;
  async function lane() {
    while (!signal.aborted && next < items.length) {
      const item = items[next++];
      await work(item);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * `call()`, again after a pause each time the server answers 429 (busy or
 * rate-limited), until it answers otherwise or `signal` aborts. `onBusy` is
 * told of each 429, so a screen can say why it is still loading.
 */
export async function retryBusy<T>(call: () => Promise<T>, signal: AbortSignal, onBusy?: () => void): Promise<T> {
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(2 * pause, MAX_PAUSE_MS)) {
    try {
      return await call();
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 429 || signal.aborted) throw e;
      onBusy?.();
      await sleep(pause, signal);
    }
  }
}

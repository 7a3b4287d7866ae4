// Running many data-plane requests for one screen: a bounded number in
// flight, each result reported as it arrives so a table fills in cell by
// cell, and a retry when the server answers 429.
import { ApiError } from '../../api/client';

// Summaries and BTQL are "heavy" requests, of which the server runs at most
// two per key at once by default (--heavy-per-key, docs/configuration.md);
// more in flight would only earn 429s.
export const HEAVY_IN_FLIGHT = 2;

const RETRIES_429 = 5;

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
 * `call()`, again after a pause when the server is busy (429: another tab or
 * screen holds the key's heavy slots); the server asks for one second.
 */
export async function retryBusy<T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 429 || attempt > RETRIES_429 || signal.aborted) throw e;
      await sleep(1000 * attempt, signal);
    }
  }
}

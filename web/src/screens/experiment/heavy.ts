// The screen's "heavy" requests (BTQL and comparisons) one queue, at most two
// running: the server runs at most two heavy requests per key at once
// (--heavy-per-key, docs/configuration.md) and answers the next with 429.
//
// A request that is no longer wanted (its AbortSignal fired) is not cancelled
// on the network: the server would go on running it anyway, so its slot is
// held until the answer arrives and the answer is then dropped. That keeps the
// count here equal to what the server counts. A 429 (another screen or tab
// holds the key's slots) is retried after the pause the server asks for.
import { ApiError } from '../../api/client';

const MAX_RUNNING = 2;
const RETRIES_429 = 5;

interface Job {
  call: () => Promise<unknown>;
  signal?: AbortSignal;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

let running = 0;
const queue: Job[] = [];

function abortError(): Error {
  return new DOMException('The request was aborted', 'AbortError');
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function attempt(job: Job): Promise<unknown> {
  for (let n = 1; ; n++) {
    try {
      return await job.call();
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 429 || n > RETRIES_429 || job.signal?.aborted) throw e;
      await pause(1000 * n);
    }
  }
}

function pump(): void {
  while (running < MAX_RUNNING && queue.length) {
    const job = queue.shift()!;
    if (job.signal?.aborted) {
      job.reject(abortError());
      continue;
    }
    running++;
    attempt(job)
      .then(
        (v) => (job.signal?.aborted ? job.reject(abortError()) : job.resolve(v)),
        (e) => job.reject(job.signal?.aborted ? abortError() : e),
      )
      .finally(() => {
        running--;
        pump();
      });
  }
}

/** Runs `call` (which must not take `signal` itself) when a heavy slot is free. */
export function heavy<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    queue.push({ call, signal, resolve: resolve as (v: unknown) => void, reject });
    pump();
  });
}

// Runs `work` over `items` with at most `limit` calls in flight, reporting
// each result (or error) as it arrives so a table can fill in cell by cell.
// Stops starting new calls once `signal` aborts.
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

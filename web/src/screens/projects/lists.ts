// Whole lists of control-plane objects: GET /v1/<object> answers at most 1000
// objects, newest first, so the next page starts after the last one seen.
import { control } from '../../api/client';

const PAGE = 1000;

export async function listAll<T extends { id: string }>(
  object: 'project' | 'experiment' | 'dataset',
  query: Record<string, string>,
  signal?: AbortSignal,
): Promise<T[]> {
  const all: T[] = [];
  for (;;) {
    const after = all.length ? all[all.length - 1].id : undefined;
    const page = await control<{ objects: T[] }>(`/v1/${object}`, {
      query: { ...query, limit: PAGE, starting_after: after },
      signal,
    });
    all.push(...page.objects);
    if (page.objects.length < PAGE) return all;
  }
}

/** The newest of some ISO timestamps (null when there are none). */
export function newest(...times: (string | null | undefined)[]): string | null {
  let best: string | null = null;
  let bestMs = -Infinity;
  for (const t of times) {
    if (!t) continue;
    const ms = Date.parse(t);
    if (!Number.isNaN(ms) && ms > bestMs) {
      best = t;
      bestMs = ms;
    }
  }
  return best;
}

// The trace as a tree: spans (light rows, without input/output/metadata)
// linked by `span_parents`, children ordered by start time, and the flat list
// of visible rows a virtual list draws. Built once per load in O(n log n);
// flattening is O(visible rows), so a 10,000-span trace stays quick to
// collapse and expand.

export interface SpanRow {
  id: string; // the row id: what feedback and the detail fetch name
  span_id?: string | null;
  span_parents?: string[] | null;
  root_span_id?: string | null;
  span_attributes?: { name?: unknown; type?: unknown; [k: string]: unknown } | null;
  metrics?: Record<string, unknown> | null;
  scores?: Record<string, unknown> | null;
  created?: string | null;
  error?: unknown;
}

export interface SpanNode {
  row: SpanRow;
  name: string;
  kind: string; // span_attributes.type, '' when absent
  start: number | null; // seconds since the epoch
  end: number | null;
  depth: number;
  pos: number; // 1-based place among its siblings
  parent: SpanNode | null;
  children: SpanNode[];
}

export interface TraceTree {
  roots: SpanNode[];
  byId: Map<string, SpanNode>; // by row id
  count: number;
  start: number | null; // the earliest start of any span
  end: number | null; // the latest end (or start) of any span
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
}

function nodeOf(row: SpanRow): SpanNode {
  const attrs = row.span_attributes ?? {};
  return {
    row,
    name: text(attrs.name) || text(row.span_id) || row.id,
    kind: text(attrs.type),
    start: num(row.metrics?.start),
    end: num(row.metrics?.end),
    depth: 0,
    pos: 1,
    parent: null,
    children: [],
  };
}

/** Earlier start first; spans without a start after those with one; then creation order. */
function compareNodes(a: SpanNode, b: SpanNode): number {
  if (a.start !== null && b.start !== null && a.start !== b.start) return a.start - b.start;
  if (a.start === null && b.start !== null) return 1;
  if (b.start === null && a.start !== null) return -1;
  // Same start (times have millisecond precision): the SDK's order of creation.
  const ea = num(a.row.span_attributes?.exec_counter);
  const eb = num(b.row.span_attributes?.exec_counter);
  if (ea !== null && eb !== null && ea !== eb) return ea - eb;
  const ca = a.row.created ?? '';
  const cb = b.row.created ?? '';
  return ca < cb ? -1 : ca > cb ? 1 : a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0;
}

/**
 * Links rows into a tree. A span whose parent is not in the trace is a root;
 * spans caught in a parent cycle are made roots too, so every row shows once.
 */
export function buildTree(rows: SpanRow[]): TraceTree {
  const nodes = rows.map(nodeOf);
  const bySpanId = new Map<string, SpanNode>();
  for (const n of nodes) if (n.row.span_id && !bySpanId.has(n.row.span_id)) bySpanId.set(n.row.span_id, n);
  const candidates: SpanNode[] = [];
  for (const n of nodes) {
    const parentId = n.row.span_parents?.[0];
    const parent = parentId ? bySpanId.get(parentId) : undefined;
    if (parent && parent !== n) {
      n.parent = parent;
      parent.children.push(n);
    } else {
      candidates.push(n);
    }
  }
  const roots: SpanNode[] = [];
  const placed = new Set<SpanNode>();
  const place = (root: SpanNode) => {
    roots.push(root);
    root.parent = null;
    root.depth = 0;
    root.pos = roots.length;
    const stack = [root];
    while (stack.length) {
      const n = stack.pop()!;
      placed.add(n);
      n.children.sort(compareNodes);
      n.children.forEach((c, i) => {
        c.depth = n.depth + 1;
        c.pos = i + 1;
        stack.push(c);
      });
    }
  };
  candidates.sort(compareNodes).forEach(place);
  // What is left hangs in a cycle: cut it at its earliest member.
  for (const n of [...nodes].sort(compareNodes)) {
    if (placed.has(n)) continue;
    n.parent?.children.splice(n.parent.children.indexOf(n), 1);
    place(n);
  }

  let start: number | null = null;
  let end: number | null = null;
  const byId = new Map<string, SpanNode>();
  for (const n of nodes) {
    byId.set(n.row.id, n);
    if (n.start !== null) start = start === null ? n.start : Math.min(start, n.start);
    const last = n.end ?? n.start;
    if (last !== null) end = end === null ? last : Math.max(end, last);
  }
  return { roots, byId, count: nodes.length, start, end };
}

/** Each score's mean over the spans that carry it as a number, by name (sorted). */
export function scoreMeans(tree: TraceTree): [string, number][] {
  const sums = new Map<string, { sum: number; n: number }>();
  tree.byId.forEach((node) => {
    for (const [k, v] of Object.entries(node.row.scores ?? {})) {
      if (typeof v !== 'number') continue;
      const acc = sums.get(k) ?? { sum: 0, n: 0 };
      acc.sum += v;
      acc.n++;
      sums.set(k, acc);
    }
  });
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, a]) => [k, a.sum / a.n]);
}

/** The rows shown, depth first, skipping the children of collapsed spans. */
export function visibleRows(tree: TraceTree, collapsed: ReadonlySet<string>): SpanNode[] {
  const out: SpanNode[] = [];
  const stack = [...tree.roots].reverse();
  while (stack.length) {
    const n = stack.pop()!;
    out.push(n);
    if (collapsed.has(n.row.id)) continue;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  return out;
}

/** Seconds the span ran, or null when it has no start or end. */
export function durationOf(n: SpanNode): number | null {
  return n.start !== null && n.end !== null ? Math.max(0, n.end - n.start) : null;
}

/** Where the span's bar sits in the trace's time range, in percent. */
export function barOf(tree: TraceTree, n: SpanNode): { left: number; width: number } | null {
  if (n.start === null || tree.start === null || tree.end === null) return null;
  const total = tree.end - tree.start;
  if (total <= 0) return { left: 0, width: 100 };
  const left = ((n.start - tree.start) / total) * 100;
  const width = (((n.end ?? n.start) - n.start) / total) * 100;
  return { left: Math.min(100, Math.max(0, left)), width: Math.min(100 - left, Math.max(0, width)) };
}

/** The spans from the root down to `n` (for expanding a collapsed path). */
export function ancestorsOf(n: SpanNode): SpanNode[] {
  const out: SpanNode[] = [];
  for (let p = n.parent; p; p = p.parent) out.push(p);
  return out;
}

const KNOWN_KINDS = new Set(['llm', 'task', 'score', 'function', 'eval', 'tool', 'automation', 'facet', 'preprocessor']);

/** A class-safe kind: logged kinds are free text; only known ones get their own colour. */
export function kindClass(kind: string): string {
  return KNOWN_KINDS.has(kind) ? kind : 'other';
}

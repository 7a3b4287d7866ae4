// The Experiment screen's reads: the comparison summary (GET
// /experiment-comparison2) and BTQL over the experiment's `summary` shape (one
// row per trace, docs/btql.md). Queries are sent as the JSON AST so that score
// names are path keys (any character) and the user's filter text is parsed as
// one expression (`{"btql": text}`), never as more clauses.
import { data } from '../../api/client';
import { quote, type BtqlResult } from '../../api/btql';

export interface ScoreSummary {
  name: string;
  score: number;
  diff?: number;
  improvements: number;
  regressions: number;
}

export interface MetricSummary {
  name: string;
  metric: number;
  unit: string;
  diff?: number;
  improvements: number;
  regressions: number;
}

export interface Comparison {
  scores: Record<string, ScoreSummary>;
  metrics: Record<string, MetricSummary>;
}

export function comparison(experimentId: string, baseId: string | null, signal?: AbortSignal): Promise<Comparison> {
  const query = { experiment_id: experimentId, base_experiment_id: baseId ?? undefined };
  return data<Comparison>('/experiment-comparison2', { query, signal });
}

/** A summary-shape row (the fields this screen reads). */
export interface SummaryRow {
  id: string;
  root_span_id?: string;
  comparison_key?: string;
  input?: unknown;
  output?: unknown;
  expected?: unknown;
  metadata?: unknown;
  error?: unknown;
  scores?: Record<string, number | null> | null;
  metrics?: Record<string, number | null> | null;
}

type Expr = Record<string, unknown>;

const ident = (...name: string[]): Expr => ({ op: 'ident', name });
const call = (name: string, ...args: Expr[]): Expr => ({ op: 'function', name: ident(name), args });
const literal = (value: unknown): Expr => ({ op: 'literal', value });

function source(experimentId: string): Expr {
  return { op: 'function', name: ident('experiment'), args: [literal(experimentId)], shape: 'summary' };
}

/** What narrows the rows: a BTQL filter expression and full-text words. */
export interface RowFilter {
  filter: string; // BTQL expression text, '' for none
  search: string; // words, '' for none
}

function filterExpr(f: RowFilter): Expr | null {
  const parts: Expr[] = [];
  if (f.filter.trim()) parts.push({ btql: f.filter });
  if (f.search.trim()) parts.push({ btql: `MATCH ${quote(f.search.trim())}` });
  if (!parts.length) return null;
  return parts.length === 1 ? parts[0] : { op: 'and', children: parts };
}

async function run<Row>(query: Expr, signal?: AbortSignal): Promise<BtqlResult<Row>> {
  return data<BtqlResult<Row>>('/btql', { body: { query, fmt: 'json' }, signal });
}

export interface Sort {
  score: string;
  dir: 'asc' | 'desc';
}

/** Rows per page when paging with a cursor. */
export const PAGE_SIZE = 1000;
/** The server's largest limit: a sorted query cannot page, so it asks for this many at once. */
export const MAX_ROWS = 100000;

/**
 * One page of summary rows, newest first, or sorted by a score. The server
 * refuses a cursor for a sorted query, so a sorted read is one page of up to
 * MAX_ROWS rows; `all` asks for that too (to filter every row here).
 */
export function rowsPage(
  experimentId: string,
  f: RowFilter,
  opts: { sort?: Sort | null; cursor?: string | null; all?: boolean },
  signal?: AbortSignal,
): Promise<BtqlResult<SummaryRow>> {
  const q: Expr = { from: source(experimentId), preview_length: 200 };
  const filter = filterExpr(f);
  if (filter) q.filter = filter;
  if (opts.sort) {
    q.sort = [{ expr: ident('scores', opts.sort.score), dir: opts.sort.dir }];
    q.limit = MAX_ROWS;
  } else if (opts.all) {
    q.limit = MAX_ROWS;
  } else {
    q.limit = PAGE_SIZE;
    if (opts.cursor) q.cursor = opts.cursor;
  }
  return run<SummaryRow>(q, signal);
}

/** How many traces match (the M of "N of M rows"). */
export async function rowCount(experimentId: string, f: RowFilter, signal?: AbortSignal): Promise<number> {
  const q: Expr = { from: source(experimentId), measures: [{ expr: call('count', literal(1)), alias: 'n' }] };
  const filter = filterExpr(f);
  if (filter) q.filter = filter;
  const r = await run<{ n: number }>(q, signal);
  return Number(r.data[0]?.n ?? 0);
}

/** The base experiment's mean of each score per comparison_key (the mean over its traces with that key). */
export type BaseScores = Map<string, Record<string, number | null>>;

export async function baseScores(baseId: string, scoreNames: string[], signal?: AbortSignal): Promise<BaseScores> {
  const out: BaseScores = new Map();
  if (!scoreNames.length) return out;
  const q: Expr = {
    from: source(baseId),
    dimensions: [{ expr: ident('comparison_key'), alias: 'k' }],
    measures: scoreNames.map((name, i) => ({ expr: call('avg', ident('scores', name)), alias: `s${i}` })),
    limit: MAX_ROWS,
  };
  const r = await run<Record<string, unknown>>(q, signal);
  for (const row of r.data) {
    if (typeof row.k !== 'string') continue;
    const scores: Record<string, number | null> = {};
    scoreNames.forEach((name, i) => {
      const v = row[`s${i}`];
      scores[name] = typeof v === 'number' ? v : null;
    });
    out.set(row.k, scores);
  }
  return out;
}

/** Per-score differences of one row against its base (only where both have a number). */
export function rowDiffs(row: SummaryRow, base: BaseScores | null, scoreNames: string[]): Record<string, number> {
  const diffs: Record<string, number> = {};
  if (!base || !row.comparison_key) return diffs;
  const b = base.get(row.comparison_key);
  if (!b) return diffs;
  for (const name of scoreNames) {
    const cur = row.scores?.[name];
    const was = b[name];
    if (typeof cur === 'number' && typeof was === 'number') diffs[name] = cur - was;
  }
  return diffs;
}

export function isRegression(diffs: Record<string, number>): boolean {
  return Object.values(diffs).some((d) => d < 0);
}

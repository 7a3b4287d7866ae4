// The Logs screen's filters: how they live in the URL query (so a filtered
// view is a link) and the BTQL they become. Every user value reaches the
// query through quote() or as a quoted field name, never spliced in raw; the
// free "Filter (BTQL)" text is the one exception, by design, and the server
// parses it (a bad one is a 400 the screen shows).
import { quote } from '../../api/btql';

export interface LogFilters {
  search: string; // full-text words (MATCH)
  score: string; // a score name
  scoreMin: string; // 0..1, as typed
  scoreMax: string;
  metaPath: string; // dotted path under metadata, e.g. `user.id`
  metaValue: string;
  from: string; // RFC 3339 (UTC), inclusive
  to: string; // RFC 3339 (UTC), inclusive
  btql: string; // a free BTQL filter expression
}

// URL query parameter of each filter.
const PARAMS: Record<keyof LogFilters, string> = {
  search: 'search',
  score: 'score',
  scoreMin: 'score_min',
  scoreMax: 'score_max',
  metaPath: 'meta_path',
  metaValue: 'meta_value',
  from: 'from',
  to: 'to',
  btql: 'filter',
};

export const NO_FILTERS: LogFilters = {
  search: '',
  score: '',
  scoreMin: '',
  scoreMax: '',
  metaPath: '',
  metaValue: '',
  from: '',
  to: '',
  btql: '',
};

export function filtersFromSearch(search: URLSearchParams): LogFilters {
  const f = { ...NO_FILTERS };
  for (const key of Object.keys(PARAMS) as (keyof LogFilters)[]) f[key] = search.get(PARAMS[key]) ?? '';
  return f;
}

/** The query string ("" or "?a=b...") for these filters, other parameters dropped. */
export function filtersToSearch(f: LogFilters): string {
  const p = new URLSearchParams();
  for (const key of Object.keys(PARAMS) as (keyof LogFilters)[]) {
    const v = f[key].trim();
    if (v) p.set(PARAMS[key], v);
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function hasFilters(f: LogFilters): boolean {
  return Object.values(f).some((v) => v.trim() !== '');
}

/** A field name quoted for BTQL text (`"a""b"` stands for a"b). */
export function quoteName(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '""')}"`;
}

/** `metadata.user.id` style path: each dotted part quoted. */
function fieldPath(root: string, dotted: string): string {
  const parts = dotted
    .split('.')
    .map((p) => p.trim())
    .filter(Boolean);
  return [root, ...parts.map(quoteName)].join('.');
}

/** A value typed in a form: numbers and booleans also match their string spelling. */
function equalsTyped(path: string, raw: string): string {
  const v = raw.trim();
  if (v === 'true' || v === 'false') return `(${path} = ${v} or ${path} = ${quote(v)})`;
  if (v !== '' && Number.isFinite(Number(v)) && /^-?[0-9.eE+-]+$/.test(v))
    return `(${path} = ${Number(v)} or ${path} = ${quote(v)})`;
  return `${path} = ${quote(raw)}`;
}

/** A number typed in a form, or null when it is not one. */
function numberOf(raw: string): number | null {
  const v = raw.trim();
  if (!v) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** The end of the span a typed time covers: a whole minute or second. */
function inclusiveEnd(iso: string): string | null {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const d = new Date(t);
  const slack = d.getUTCSeconds() === 0 && d.getUTCMilliseconds() === 0 ? 59_999 : 999;
  return new Date(t + (d.getUTCMilliseconds() === 0 ? slack : 0)).toISOString();
}

function isoOf(value: string): string | null {
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** The filters as one BTQL expression (terms joined by `and`), or null for none. */
export function filterExpression(f: LogFilters): string | null {
  const terms: string[] = [];
  // First, on lines of its own, so the server's error positions map back to it.
  if (f.btql.trim()) terms.push(`(\n${f.btql.trim()}\n)`); // the newline also ends a trailing `--` comment
  if (f.search.trim()) terms.push(`match ${quote(f.search.trim())}`);
  if (f.score.trim()) {
    const path = fieldPath('scores', f.score.trim());
    const min = numberOf(f.scoreMin);
    const max = numberOf(f.scoreMax);
    if (min === null && max === null) terms.push(`${path} is not null`);
    if (min !== null) terms.push(`${path} >= ${min}`);
    if (max !== null) terms.push(`${path} <= ${max}`);
  }
  if (f.metaPath.trim()) terms.push(equalsTyped(fieldPath('metadata', f.metaPath), f.metaValue));
  const from = f.from.trim() ? isoOf(f.from) : null;
  if (from) terms.push(`created >= ${quote(from)}`);
  const to = f.to.trim() ? inclusiveEnd(f.to) : null;
  if (to) terms.push(`created <= ${quote(to)}`);
  return terms.length ? terms.join(' and ') : null;
}

/** Problems the form can tell before asking the server. */
export function filterProblems(f: LogFilters): string[] {
  const out: string[] = [];
  if ((f.scoreMin.trim() || f.scoreMax.trim()) && !f.score.trim()) out.push('Choose a score to filter by.');
  if (f.scoreMin.trim() && numberOf(f.scoreMin) === null) out.push('The minimum score is not a number.');
  if (f.scoreMax.trim() && numberOf(f.scoreMax) === null) out.push('The maximum score is not a number.');
  if (f.metaValue.trim() && !f.metaPath.trim()) out.push('Name the metadata field to match.');
  if (f.from.trim() && !isoOf(f.from)) out.push('The start time is not a time.');
  if (f.to.trim() && !isoOf(f.to)) out.push('The end time is not a time.');
  return out;
}

export interface PageOptions {
  limit: number;
  cursor?: string | null;
  /** Only traces with a span newer than this transaction id (live updates). */
  after?: string | null;
  /** Only this trace (its root span id; the store reads that trace alone). */
  root?: string | null;
}

// The line of logsQuery's text where the free BTQL filter starts.
const USER_FILTER_LINE = 3;

/**
 * The summary-shape query of a project's logs: one row per trace, newest
 * first. `filter` is filterExpression's; its free BTQL text starts a line.
 */
export function logsQuery(projectId: string, filter: string | null, opts: PageOptions): string {
  const terms: string[] = [];
  if (filter) terms.push(`(${filter})`);
  if (opts.after) terms.push(`any_span(_xact_id > ${quote(opts.after)})`);
  if (opts.root) terms.unshift(`root_span_id = ${quote(opts.root)}`); // a top-level term, so it is pushed down
  const clauses = [`from: project_logs(${quote(projectId)}) summary`];
  if (terms.length) clauses.push(`filter: ${terms.join(' and ')}`);
  clauses.push(`limit: ${opts.limit}`);
  if (opts.cursor) clauses.push(`cursor: ${quote(opts.cursor)}`);
  return clauses.join('\n');
}

/**
 * The server's message about a refused query, with positions ("line 3,
 * column 7") told in the free BTQL filter's own lines.
 */
export function refusalMessage(message: string, f: LogFilters): string {
  const text = f.btql.trim();
  if (!text) return message;
  const lines = text.split('\n').length;
  return message.replace(/line (\d+), column (\d+)/, (all, line: string, column: string) => {
    const n = Number(line) - (USER_FILTER_LINE - 1);
    if (n < 1) return all;
    if (n > lines) return 'the end of the filter';
    return lines === 1 ? `column ${column}` : `line ${n}, column ${column}`;
  });
}

/**
 * The newest transaction in a project's logs: a streamed spans query that
 * stops after the first row, so live polling stays cheap while nothing new
 * arrives.
 */
export function latestXactQuery(projectId: string): string {
  return [`select: _xact_id`, `from: project_logs(${quote(projectId)}) spans`, `limit: 1`].join('\n');
}

/** The spans newer than a transaction id: which traces they belong to. */
export function touchedTracesQuery(projectId: string, after: string, limit: number): string {
  return [
    `select: _xact_id, root_span_id`,
    `from: project_logs(${quote(projectId)}) spans`,
    `filter: _xact_id > ${quote(after)}`,
    `limit: ${limit}`,
  ].join('\n');
}

/** A `datetime-local` input's value (local time) for an RFC 3339 time. */
export function toLocalInput(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const d = new Date(t);
  const two = (n: number) => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  const base = `${day}T${two(d.getHours())}:${two(d.getMinutes())}`;
  return d.getSeconds() ? `${base}:${two(d.getSeconds())}` : base;
}

/** An RFC 3339 time (UTC) for a `datetime-local` value, or "" when empty or invalid. */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const t = new Date(value).getTime(); // no zone: local time
  return Number.isNaN(t) ? '' : new Date(t).toISOString();
}

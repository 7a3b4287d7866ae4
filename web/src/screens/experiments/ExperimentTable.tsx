// The experiments table: one row per experiment, one column per score (its
// mean) and the duration / token / cost metrics, every column sortable. A
// plain table up to VIRTUAL_FROM rows, the shared virtual table beyond.
import type { ReactNode } from 'react';
import type { Experiment } from '../../api/objects';
import { formatCost, formatDuration, formatScore, formatTime, formatTokens } from '../../components/format';
import { VirtualTable, type Column, type SortDir } from '../../components/VirtualTable';
import { Link, navigate } from '../../router';
import type { ExperimentSummary } from './summaries';

const VIRTUAL_FROM = 200;

export interface ExperimentRow {
  exp: Experiment;
  href: string;
  createdMs: number; // NaN when unknown
  creator: string;
  commit: string | null;
  summary: ExperimentSummary | Error | undefined; // undefined: not loaded yet
}

export interface Sort {
  key: string;
  dir: SortDir;
}

type SortValue = number | string | null;

interface ExpColumn extends Column<ExperimentRow> {
  value?: (row: ExperimentRow) => SortValue; // sortable when present
  firstDir?: SortDir;
}

function metricOf(row: ExperimentRow, name: string): number | null {
  const s = row.summary;
  if (!s || s instanceof Error) return null;
  const m = s.metrics[name]?.metric;
  return typeof m === 'number' ? m : null;
}

function scoreOf(row: ExperimentRow, name: string): number | null {
  const s = row.summary;
  if (!s || s instanceof Error) return null;
  const v = s.scores[name]?.score;
  return typeof v === 'number' ? v : null;
}

/** A summary-backed cell: pending, failed, or the formatted value. */
function summaryCell(row: ExperimentRow, v: number | null, format: (v: number | null) => string): ReactNode {
  if (row.summary === undefined)
    return (
      <span className="exp-pending">
        …<span className="visually-hidden">loading</span>
      </span>
    );
  if (row.summary instanceof Error)
    return (
      <span className="exp-failed" title={row.summary.message}>
        error
      </span>
    );
  return format(v);
}

export function experimentColumns(
  scores: string[],
  selected: ReadonlySet<string>,
  toggle: (id: string) => void,
): ExpColumn[] {
  const metric = (key: string, header: string, format: (v: number | null) => string): ExpColumn => ({
    key,
    header,
    width: 124,
    align: 'right',
    firstDir: 'asc',
    value: (r) => metricOf(r, key),
    render: (r) => summaryCell(r, metricOf(r, key), format),
  });
  return [
    {
      key: 'select',
      header: 'Select',
      width: 80,
      render: (r) => (
        <input
          type="checkbox"
          aria-label={`Select ${r.exp.name}`}
          checked={selected.has(r.exp.id)}
          onClick={(e) => e.stopPropagation()}
          onChange={() => toggle(r.exp.id)}
        />
      ),
    },
    {
      key: 'name',
      header: 'Name',
      width: 240,
      firstDir: 'asc',
      value: (r) => r.exp.name,
      render: (r) => (
        <Link href={r.href} onClick={(e) => e.stopPropagation()}>
          {r.exp.name}
        </Link>
      ),
    },
    {
      key: 'created',
      header: 'Created',
      width: 180,
      value: (r) => (Number.isNaN(r.createdMs) ? null : r.createdMs),
      render: (r) => formatTime(r.exp.created),
    },
    { key: 'creator', header: 'Creator', width: 200, firstDir: 'asc', value: (r) => r.creator, render: (r) => r.creator },
    {
      key: 'commit',
      header: 'Commit',
      width: 90,
      firstDir: 'asc',
      value: (r) => r.commit,
      render: (r) =>
        r.commit ? (
          <code title={r.commit}>{r.commit.slice(0, 7)}</code>
        ) : (
          '—'
        ),
    },
    ...scores.map(
      (name): ExpColumn => ({
        key: `score:${name}`,
        header: name,
        width: 110,
        align: 'right',
        value: (r) => scoreOf(r, name),
        render: (r) => summaryCell(r, scoreOf(r, name), formatScore),
      }),
    ),
    metric('duration', 'Duration', formatDuration),
    metric('total_tokens', 'Total tokens', formatTokens),
    metric('estimated_cost', 'Est. cost', formatCost),
  ];
}

function compare(a: SortValue, b: SortValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

/** Rows in the sort's order; rows without a value go last either way. */
export function sortRows(rows: ExperimentRow[], columns: ExpColumn[], sort: Sort): ExperimentRow[] {
  const col = columns.find((c) => c.key === sort.key);
  if (!col?.value) return rows;
  const value = col.value;
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...rows].sort((x, y) => {
    const a = value(x);
    const b = value(y);
    if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
    return sign * compare(a, b) || y.createdMs - x.createdMs;
  });
}

/** The next sort after a click on `key`'s header. */
export function nextSort(columns: ExpColumn[], sort: Sort, key: string): Sort {
  if (sort.key === key) return { key, dir: sort.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: columns.find((c) => c.key === key)?.firstDir ?? 'desc' };
}

export function ExperimentTable({
  rows,
  columns,
  sort,
  onSort,
}: {
  rows: ExperimentRow[];
  columns: ExpColumn[];
  sort: Sort;
  onSort: (key: string) => void;
}) {
  if (rows.length >= VIRTUAL_FROM)
    return (
      <VirtualTable
        label="Experiments"
        columns={columns.map((c) => ({ ...c, sortable: !!c.value }))}
        rows={rows}
        rowKey={(r) => r.exp.id}
        sort={sort}
        onSort={onSort}
        onOpen={(r) => navigate(r.href)}
      />
    );
  return (
    <div className="exp-table-wrap">
      <table className="table exp-table" aria-label="Experiments">
        <thead>
          <tr>
            {columns.map((c) => {
              const dir = sort.key === c.key ? sort.dir : undefined;
              return (
                <th
                  key={c.key}
                  scope="col"
                  className={c.align === 'right' ? 'num' : undefined}
                  aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : undefined}
                >
                  {c.value ? (
                    <button type="button" className="exp-sort" onClick={() => onSort(c.key)}>
                      {c.header}
                      <span aria-hidden="true">{dir ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.exp.id} data-experiment-id={r.exp.id}>
              {columns.map((c) => (
                <td key={c.key} className={c.align === 'right' ? 'num' : undefined} data-col={c.key}>
                  {c.render(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

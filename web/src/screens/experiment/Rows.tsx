// The experiment's rows (one per trace) in a virtual table: previews as plain
// text, one column per score (sortable on the server), metadata, duration and
// tokens; a BTQL filter box and a full-text search box; with a base, each
// score's change against the base rows with the same input (comparison_key)
// and a toggle that keeps only the rows where some score went down. The
// applied filter, search, sort and toggle live in the URL (?filter=, ?search=,
// ?sort=desc:<score>, ?regressions=1), so a view is a link and Back undoes.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client';
import { previewText } from '../../components/JsonView';
import { Empty, ErrorView, Loading } from '../../components/States';
import { VirtualTable, type Column } from '../../components/VirtualTable';
import { formatDiff, formatDuration, formatScore, formatTokens } from '../../components/format';
import { useAsync } from '../../components/useAsync';
import { navigate, pathOf, setQueryParams, useLocation } from '../../router';
import { baseScores, isRegression, MAX_ROWS, PAGE_SIZE, rowDiffs, type RowFilter, type Sort, type SummaryRow } from './query';
import { useRowPages } from './useRowPages';

interface Props {
  org: string;
  project: string;
  experimentId: string;
  scoreNames: string[]; // the summary's ([] until it answers: then the loaded rows' names)
  base: { id: string; name: string } | null;
}

interface Row {
  row: SummaryRow;
  diffs: Record<string, number>;
}

function Text({ value }: { value: unknown }) {
  const text = previewText(value, 300);
  return <span title={text}>{text}</span>;
}

function tokens(m: SummaryRow['metrics']): number | null {
  if (!m) return null;
  if (typeof m.total_tokens === 'number') return m.total_tokens;
  const p = m.prompt_tokens;
  const c = m.completion_tokens;
  if (typeof p === 'number' || typeof c === 'number') return (p ?? 0) + (c ?? 0);
  return null;
}

const NO_FILTER: RowFilter = { filter: '', search: '' };

function namesInRows(rows: SummaryRow[]): string[] {
  const names = new Set<string>();
  for (const r of rows.slice(0, PAGE_SIZE)) for (const k of Object.keys(r.scores ?? {})) names.add(k);
  return [...names].sort();
}

function parseSort(text: string | null): Sort | null {
  const m = text ? /^(asc|desc):(.+)$/s.exec(text) : null;
  return m ? { dir: m[1] as Sort['dir'], score: m[2] } : null;
}

const setApplied = (f: RowFilter) => setQueryParams({ filter: f.filter, search: f.search });
const setSort = (s: Sort | null) => setQueryParams({ sort: s ? `${s.dir}:${s.score}` : null });
const setOnlyRegressions = (on: boolean) => setQueryParams({ regressions: on ? '1' : null });

export function Rows({ org, project, experimentId, scoreNames: summaryNames, base }: Props) {
  const { search: params } = useLocation();
  const appliedFilter = params.get('filter') ?? '';
  const appliedSearch = params.get('search') ?? '';
  const applied: RowFilter = useMemo(
    () => ({ filter: appliedFilter, search: appliedSearch }),
    [appliedFilter, appliedSearch],
  );
  const [draft, setDraft] = useState<RowFilter>(applied);
  useEffect(() => setDraft(applied), [applied]); // Back / a link changes what is applied
  const sort = parseSort(params.get('sort'));
  const onlyRegressions = params.get('regressions') === '1';
  const regressionsOnly = Boolean(base) && onlyRegressions;

  const pages = useRowPages(experimentId, applied, sort, regressionsOnly);
  const fallbackNames = useMemo(() => namesInRows(pages.rows), [pages.rows]);
  const scoreNames = summaryNames.length ? summaryNames : fallbackNames;
  const baseMap = useAsync(
    (signal) => (base ? baseScores(base.id, scoreNames, signal) : Promise.resolve(null)),
    [base?.id, scoreNames.join('\u0000')],
  );
  const baseValue = baseMap.status === 'done' ? baseMap.value : null;

  const rows: Row[] = useMemo(() => {
    const all = pages.rows.map((row) => ({ row, diffs: rowDiffs(row, baseValue, scoreNames) }));
    return regressionsOnly ? all.filter((r) => isRegression(r.diffs)) : all;
  }, [pages.rows, baseValue, scoreNames, regressionsOnly]);

  const columns = useMemo(() => {
    const cols: Column<Row>[] = [
      { key: 'input', header: 'Input', width: 240, render: (r) => <Text value={r.row.input} /> },
      { key: 'output', header: 'Output', width: 240, render: (r) => <Text value={r.row.output} /> },
      { key: 'expected', header: 'Expected', width: 200, render: (r) => <Text value={r.row.expected} /> },
    ];
    for (const name of scoreNames) {
      cols.push({
        key: `score:${name}`,
        header: name,
        width: 110,
        align: 'right',
        sortable: true,
        render: (r) => formatScore(r.row.scores?.[name]),
      });
      if (base) {
        cols.push({
          key: `diff:${name}`,
          header: `${name} Δ`,
          width: 100,
          align: 'right',
          render: (r) => {
            const d = r.diffs[name];
            if (typeof d !== 'number') return '';
            const cls = d > 0 ? 'diff-good' : d < 0 ? 'diff-bad' : undefined;
            return <span className={cls}>{formatDiff(d)}</span>;
          },
        });
      }
    }
    cols.push(
      { key: 'metadata', header: 'Metadata', width: 200, render: (r) => <Text value={r.row.metadata} /> },
      {
        key: 'duration',
        header: 'Duration',
        width: 100,
        align: 'right',
        render: (r) => formatDuration(r.row.metrics?.duration),
      },
      { key: 'tokens', header: 'Tokens', width: 90, align: 'right', render: (r) => formatTokens(tokens(r.row.metrics)) },
    );
    return cols;
  }, [scoreNames, base]);

  function onSort(key: string) {
    if (!key.startsWith('score:')) return;
    const score = key.slice('score:'.length);
    // desc → asc → unsorted
    if (sort?.score !== score) setSort({ score, dir: 'desc' });
    else if (sort.dir === 'desc') setSort({ score, dir: 'asc' });
    else setSort(null);
  }

  function apply(e: FormEvent) {
    e.preventDefault();
    setApplied({ ...draft });
  }

  function clear() {
    setDraft(NO_FILTER);
    setApplied(NO_FILTER);
  }

  function open(r: Row) {
    const root = r.row.root_span_id ?? r.row.id;
    navigate(pathOf('app', org, 'p', project, 'trace', 'experiment', experimentId, root));
  }

  const badQuery = pages.error instanceof ApiError && pages.error.status === 400 ? pages.error : null;
  const filtered = Boolean(applied.filter.trim() || applied.search.trim());

  let body;
  if (pages.error && !badQuery && !pages.rows.length) body = <ErrorView error={pages.error} onRetry={pages.retry} />;
  else if (badQuery) body = null;
  else if (pages.loading && !pages.rows.length) body = <Loading what="rows" />;
  else if (regressionsOnly && baseMap.status === 'loading') body = <Loading what="the base rows" />;
  else if (!pages.rows.length)
    body = <Empty>{filtered ? 'No rows match the filter.' : 'No rows yet.'}</Empty>;
  else if (!rows.length) body = <Empty>No row regressed against {base?.name}.</Empty>;
  else
    body = (
      <div className={pages.stale ? 'exp-stale' : undefined} aria-busy={pages.stale}>
        <VirtualTable
          key={pages.rowsKey} // new rows start at the top
          label="Rows"
          columns={columns}
          rows={rows}
          rowKey={(r) => r.row.root_span_id ?? r.row.id}
          sort={sort ? { key: `score:${sort.score}`, dir: sort.dir } : null}
          onSort={onSort}
          onOpen={open}
          rowClassName={(r) => (isRegression(r.diffs) ? 'exp-regressed' : undefined)}
          onEndReached={pages.done ? undefined : pages.loadMore}
          height="60vh"
        />
      </div>
    );

  const shown = regressionsOnly ? rows.length : pages.rows.length;
  return (
    <section className="exp-rows" aria-label="Rows">
      <form className="exp-filters" onSubmit={apply} role="search" aria-label="Filter rows">
        <label htmlFor="exp-filter">Filter (BTQL)</label>
        <input
          id="exp-filter"
          className="mono exp-filter-input"
          placeholder={`scores.${scoreNames[0] ?? 'accuracy'} < 1 and metadata.model = 'm'`}
          spellCheck={false}
          value={draft.filter}
          onChange={(e) => setDraft({ ...draft, filter: e.target.value })}
        />
        <label htmlFor="exp-search">Search</label>
        <input
          id="exp-search"
          type="search"
          placeholder="words in any field"
          value={draft.search}
          onChange={(e) => setDraft({ ...draft, search: e.target.value })}
        />
        <button type="submit">Apply</button>
        <button type="button" onClick={clear} disabled={!filtered && !draft.filter && !draft.search}>
          Clear
        </button>
        {base && (
          <label className="exp-toggle">
            <input type="checkbox" checked={onlyRegressions} onChange={(e) => setOnlyRegressions(e.target.checked)} />
            Only regressions
          </label>
        )}
      </form>
      {badQuery && (
        <p className="form-error exp-filter-error" role="alert">
          {badQuery.message}
        </p>
      )}
      {baseMap.status === 'error' && (
        <p className="form-error" role="alert">
          Could not read the base rows: {baseMap.error.message}
        </p>
      )}
      {!badQuery && (
        <p className="exp-count" aria-live="polite">
          <span data-testid="row-count">
            {pages.stale || (regressionsOnly && baseMap.status === 'loading')
              ? 'Loading rows…'
              : regressionsOnly
              ? `${shown.toLocaleString('en-US')} regressed of ${pages.rows.length.toLocaleString('en-US')} rows`
              : `${shown.toLocaleString('en-US')} of ${pages.total === null ? '…' : pages.total.toLocaleString('en-US')} rows`}
          </span>
          {(sort || regressionsOnly) && pages.total !== null && pages.total > MAX_ROWS && (
            <span className="exp-note"> (sorted and filtered views read the first {MAX_ROWS.toLocaleString('en-US')})</span>
          )}
          {pages.loading && !pages.stale && pages.rows.length > 0 && <span className="exp-note"> loading more…</span>}
          {pages.error && !badQuery && pages.rows.length > 0 && (
            <span className="form-error" role="alert">
              {' '}
              {pages.error.message}{' '}
              <button type="button" onClick={pages.retry}>
                Retry
              </button>
            </span>
          )}
        </p>
      )}
      {body}
    </section>
  );
}

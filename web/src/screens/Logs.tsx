// A project's logs: one row per trace, newest first, live while the tab is
// visible; full-text search and filters kept in the URL; a row opens its
// trace. Logged values are attacker-controlled and only ever become text.
import { useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { projectByName } from '../api/objects';
import { Empty, ErrorView, Loading } from '../components/States';
import { previewText } from '../components/JsonView';
import { formatCost, formatDuration, formatScore, formatTime, formatTokens } from '../components/format';
import { useAsync } from '../components/useAsync';
import { VirtualTable, type Column } from '../components/VirtualTable';
import { navigate, pathOf, useLocation, useParams } from '../router';
import { LogFilterForm } from './logs/LogFilterForm';
import {
  filterExpression,
  filtersFromSearch,
  filtersToSearch,
  hasFilters,
  NO_FILTERS,
  refusalMessage,
  type LogFilters,
} from './logs/query';
import { traceKey, useLogRows, type LogRow, type LogRowsState } from './logs/useLogRows';
import './Logs.css';

const MAX_SCORE_COLUMNS = 8;

export function Logs() {
  const { org, project } = useParams();
  const loc = useLocation();
  const search = loc.search.toString();
  const filters = useMemo(() => filtersFromSearch(new URLSearchParams(search)), [search]);
  const filter = useMemo(() => filterExpression(filters), [filters]);
  const proj = useAsync(() => projectByName(org, project), [org, project]);
  const projectId = proj.status === 'done' ? proj.value.id : undefined;
  const [paused, setPaused] = useState(false);
  const logs = useLogRows(projectId, filter, paused);
  // The score names of the rows loaded (asking the server for every name would read every
  // row). Joined into one string so updates that add no name keep the columns as they are.
  const scoreKey = useMemo(() => {
    const names = new Set<string>();
    for (const row of logs.rows) for (const k of Object.keys(row.scores ?? {})) names.add(k);
    return [...names].sort().join('\u0000');
  }, [logs.rows]);
  const scoreNames = useMemo(() => (scoreKey ? scoreKey.split('\u0000') : []), [scoreKey]);
  const columnNames = useMemo(() => scoreNames.slice(0, MAX_SCORE_COLUMNS), [scoreNames]);

  if (proj.status !== 'done')
    return (
      <section className="logs">
        <h1>Logs</h1>
        {proj.status === 'error' ? (
          <ErrorView error={proj.error} onRetry={proj.reload} />
        ) : (
          <Loading what="the project" />
        )}
      </section>
    );

  const apply = (f: LogFilters) => navigate(loc.path + filtersToSearch(f));
  const open = (row: LogRow) =>
    navigate(pathOf('app', org, 'p', project, 'trace', 'project_logs', projectId!, traceKey(row)));
  const filterRefused = logs.status === 'error' && logs.error instanceof ApiError && logs.error.status === 400;

  return (
    <section className="logs">
      <div className="logs-head">
        <h1>Logs</h1>
        <LiveIndicator state={logs} />
        <label className="logs-pause">
          <input type="checkbox" checked={paused} onChange={(e) => setPaused(e.target.checked)} /> Pause live
        </label>
      </div>
      <LogFilterForm key={search} value={filters} scoreNames={scoreNames} onApply={apply} />
      {filterRefused ? (
        <div className="form-error logs-refused" role="alert">
          <strong>The filter was refused:</strong> {refusalMessage(logs.error!.message, filters)}
        </div>
      ) : logs.status === 'error' ? (
        <ErrorView error={logs.error!} onRetry={logs.reload} />
      ) : logs.status === 'loading' ? (
        <Loading what="logs" />
      ) : logs.rows.length === 0 ? (
        hasFilters(filters) ? (
          <Empty>
            <p>No logs match these filters.</p>
            <button type="button" onClick={() => apply(NO_FILTERS)}>
              Clear filters
            </button>
          </Empty>
        ) : (
          <NoLogsYet project={project} />
        )
      ) : (
        <LogTable state={logs} scoreNames={columnNames} onOpen={open} />
      )}
    </section>
  );
}

function LiveIndicator({ state }: { state: LogRowsState }) {
  let text: string;
  if (state.status !== 'done') text = '';
  else if (state.live === 'paused') text = 'Live updates paused';
  else if (state.live === 'hidden') text = 'Live updates wait while this tab is hidden';
  else if (state.live === 'error') text = `Live updates failed: ${state.liveError?.message ?? 'unknown error'}`;
  else text = state.arrived ? `Live · ${state.arrived} new` : 'Live';
  return (
    <span className={`logs-live logs-live-${state.live}`} role="status" aria-live="polite">
      {text && (
        <>
          <span className="logs-live-dot" aria-hidden="true" />
          {text}
        </>
      )}
    </span>
  );
}

function NoLogsYet({ project }: { project: string }) {
  const snippet = [
    `import { initLogger } from 'braintrust';`,
    ``,
    `// BRAINTRUST_APP_URL=${window.location.origin} BRAINTRUST_API_KEY=<your key>`,
    `const logger = initLogger({ projectName: ${JSON.stringify(project)} });`,
    `logger.log({ input: 'What is 2 + 2?', output: '4', scores: { correct: 1 } });`,
    `await logger.flush();`,
  ].join('\n');
  return (
    <Empty>
      <p>
        <strong>No logs yet.</strong> Rows the SDK logs to this project appear here within a second.
      </p>
      <pre className="logs-snippet">
        <code>{snippet}</code>
      </pre>
    </Empty>
  );
}

function tokensOf(m: Record<string, number | null> | null | undefined): number | null {
  if (!m) return null;
  if (typeof m.total_tokens === 'number') return m.total_tokens;
  const p = m.prompt_tokens;
  const c = m.completion_tokens;
  if (typeof p !== 'number' && typeof c !== 'number') return null;
  return (p ?? 0) + (c ?? 0);
}

function Preview({ value }: { value: unknown }) {
  const text = previewText(value, 300);
  return <span title={text}>{text}</span>;
}

function LogTable({
  state,
  scoreNames,
  onOpen,
}: {
  state: ReturnType<typeof useLogRows>;
  scoreNames: string[];
  onOpen: (row: LogRow) => void;
}) {
  const columns = useMemo<Column<LogRow>[]>(
    () => [
      { key: 'created', header: 'Created', width: 185, render: (r) => formatTime(r.created) },
      {
        key: 'name',
        header: 'Name',
        width: 140,
        render: (r) => (
          <>
            {r.span_type_info?.has_error && <span className="logs-error-badge">error</span>}
            {r.span_attributes?.name ?? ''}
          </>
        ),
      },
      { key: 'input', header: 'Input', width: 270, render: (r) => <Preview value={r.input} /> },
      { key: 'output', header: 'Output', width: 235, render: (r) => <Preview value={r.output ?? r.error} /> },
      ...scoreNames.map<Column<LogRow>>((name) => ({
        key: `score:${name}`,
        header: name,
        width: 110,
        align: 'right',
        render: (r) => formatScore(r.scores?.[name]),
      })),
      {
        key: 'duration',
        header: 'Duration',
        width: 100,
        align: 'right',
        render: (r) => formatDuration(r.metrics?.duration),
      },
      { key: 'tokens', header: 'Tokens', width: 90, align: 'right', render: (r) => formatTokens(tokensOf(r.metrics)) },
      {
        key: 'cost',
        header: 'Cost',
        width: 90,
        align: 'right',
        render: (r) => formatCost(r.metrics?.estimated_cost),
      },
    ],
    [scoreNames],
  );
  return (
    <>
      <VirtualTable
        label="Logs"
        columns={columns}
        rows={state.rows}
        rowKey={traceKey}
        onOpen={onOpen}
        onEndReached={state.hasMore ? state.loadMore : undefined}
        height="65vh"
      />
      <div className="logs-foot">
        {state.loadingMore ? (
          <span role="status">Loading more…</span>
        ) : state.moreError ? (
          <span role="alert" className="form-error">
            Could not load more: {state.moreError.message}{' '}
            <button type="button" onClick={state.retryMore}>
              Retry
            </button>
          </span>
        ) : (
          <span>
            {state.rows.length.toLocaleString('en-US')} trace{state.rows.length === 1 ? '' : 's'}
            {state.hasMore ? ' (scroll for more)' : ''}
          </span>
        )}
      </div>
    </>
  );
}

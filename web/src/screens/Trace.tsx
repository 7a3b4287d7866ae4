// The trace view (/app/:org/p/:project/trace/:objectType/:objectId/:rootSpanId):
// the trace's span tree with its timing waterfall on the left, the selected
// span's detail with the human score form on the right. The tree loads light
// (no payloads); a span's input, output and metadata are fetched when it is
// selected and kept per span. The selected span is in the URL (`?span=<row id>`),
// so a link can point at one span.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import type { SavedFeedback } from '../components/FeedbackForm';
import { formatDuration, formatScore } from '../components/format';
import { ErrorView, Loading } from '../components/States';
import { useAsync, type AsyncState } from '../components/useAsync';
import { Link, setQueryParam, useLocation, useParams } from '../router';
import { SpanDetail } from './trace/SpanDetail';
import { SpanTree } from './trace/SpanTree';
import {
  isObjectType,
  loadObject,
  loadScoreNames,
  loadSpanRow,
  loadSpans,
  MAX_SPANS,
  type ObjectType,
} from './trace/load';
import { ancestorsOf, buildTree, scoreMeans, visibleRows, type SpanRow, type TraceTree } from './trace/model';
import './Trace.css';

export function Trace() {
  const { org, project, objectType, objectId, rootSpanId } = useParams();
  if (!isObjectType(objectType))
    return <ErrorView error={new ApiError(404, 'NotFoundError', `Unknown kind of object '${objectType}'`)} />;
  return (
    <TraceScreen
      key={`${objectType}/${objectId}/${rootSpanId}`}
      org={org}
      project={project}
      objectType={objectType}
      objectId={objectId}
      rootSpanId={rootSpanId}
    />
  );
}

function TraceScreen(props: {
  org: string;
  project: string;
  objectType: ObjectType;
  objectId: string;
  rootSpanId: string;
}) {
  const { org, project, objectType, objectId, rootSpanId } = props;
  // The object is checked first (its project must be the URL's), so another
  // project's or organization's id never reaches the data plane's reads.
  const loaded = useAsync(
    async (signal) => {
      const object = await loadObject(org, project, objectType, objectId, signal);
      const spans = await loadSpans(objectType, objectId, rootSpanId, signal);
      return { object, spans, tree: buildTree(spans.rows) };
    },
    [org, project, objectType, objectId, rootSpanId],
  );

  if (loaded.status === 'error') return <ErrorView error={loaded.error} onRetry={loaded.reload} />;
  if (loaded.status === 'loading') return <Loading what="the trace" />;
  const { object, spans, tree } = loaded.value;
  if (!tree.count)
    return (
      <ErrorView error={new ApiError(404, 'NotFoundError', `Trace '${rootSpanId}' not found in ${object.label}`)} />
    );
  return (
    <TraceLoaded
      {...props}
      tree={tree}
      truncated={spans.truncated}
      objectLabel={object.label}
      objectHref={object.href}
    />
  );
}

function TraceLoaded({
  objectType,
  objectId,
  rootSpanId,
  tree,
  truncated,
  objectLabel,
  objectHref,
}: {
  objectType: ObjectType;
  objectId: string;
  rootSpanId: string;
  tree: TraceTree;
  truncated: boolean;
  objectLabel: string;
  objectHref: string;
}) {
  const loc = useLocation();
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const rows = useMemo(() => visibleRows(tree, collapsed), [tree, collapsed]);
  // The trace's root: the span the URL names (a trace with orphans has more than one top row).
  const root = useMemo(() => tree.roots.find((n) => n.row.span_id === rootSpanId) ?? tree.roots[0], [tree, rootSpanId]);
  const wanted = loc.search.get('span');
  const selectedId = wanted && tree.byId.has(wanted) ? wanted : root.row.id;
  const selected = tree.byId.get(selectedId)!;

  // A span chosen by URL inside a collapsed subtree: open the path to it.
  useEffect(() => {
    const hidden = ancestorsOf(selected).filter((a) => collapsed.has(a.row.id));
    if (hidden.length)
      setCollapsed((c) => {
        const next = new Set(c);
        hidden.forEach((a) => next.delete(a.row.id));
        return next;
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected]);

  const toggle = useCallback((rowId: string) => {
    setCollapsed((c) => {
      const next = new Set(c);
      if (!next.delete(rowId)) next.add(rowId);
      return next;
    });
  }, []);
  const select = useCallback((rowId: string) => setQueryParam('span', rowId, { replace: true }), []);

  // Payloads, fetched on selection and cached per span for this page.
  const cache = useRef(new Map<string, Record<string, unknown> | null>());
  const fetched = useAsync(
    async (signal) => {
      let row = cache.current.get(selectedId);
      if (row === undefined) {
        row = await loadSpanRow(objectType, objectId, selectedId, signal);
        cache.current.set(selectedId, row);
      }
      return { rowId: selectedId, row };
    },
    [selectedId],
  );
  // Until the load for this selection has run, the previous span's row is no answer.
  const full: AsyncState<Record<string, unknown> | null> & { reload: () => void } =
    fetched.status === 'done' && fetched.value.rowId === selectedId
      ? { status: 'done', value: fetched.value.row, reload: fetched.reload }
      : fetched.status === 'error'
        ? { status: 'error', error: fetched.error, reload: fetched.reload }
        : { status: 'loading', reload: fetched.reload };

  // Scores change with human feedback: the re-fetched row's scores replace the light row's.
  const [scoresVersion, setScoresVersion] = useState(0);
  useEffect(() => {
    if (full.status !== 'done' || !full.value) return;
    const fresh = (full.value.scores ?? null) as SpanRow['scores'];
    if (JSON.stringify(fresh) === JSON.stringify(selected.row.scores ?? null)) return;
    selected.row.scores = fresh;
    setScoresVersion((v) => v + 1);
  }, [full.status, full.value, selected]);
  const means = useMemo(() => scoreMeans(tree), [tree, scoresVersion]);

  // The object's score names: at once for experiments and datasets; for logs,
  // which can be large, only once someone starts a review.
  const [namesWanted, setNamesWanted] = useState(objectType !== 'project_logs');
  const wantNames = useCallback(() => setNamesWanted(true), []);
  const objectNames = useAsync(
    async (s) => (namesWanted ? loadScoreNames(objectType, objectId, s).catch(() => []) : []),
    [objectType, objectId, namesWanted],
  );
  const [addedNames, setAddedNames] = useState<string[]>([]);
  const scoreNames = useMemo(
    () => [...new Set([...means.map(([n]) => n), ...(objectNames.value ?? []), ...addedNames])].sort(),
    [means, objectNames.value, addedNames],
  );
  const onSaved = useCallback(
    (saved: SavedFeedback) => {
      cache.current.delete(selectedId);
      fetched.reload();
      const names = Object.keys(saved.scores ?? {});
      if (names.length) setAddedNames((a) => [...a, ...names]);
    },
    [selectedId, fetched.reload],
  );

  const total = tree.start !== null && tree.end !== null ? tree.end - tree.start : null;
  const errors = useMemo(() => {
    let n = 0;
    tree.byId.forEach((s) => {
      if (s.row.error !== null && s.row.error !== undefined) n++;
    });
    return n;
  }, [tree]);
  const parents = useMemo(() => [...tree.byId.values()].filter((n) => n.children.length).map((n) => n.row.id), [tree]);

  return (
    <div className="trace-screen">
      <nav className="trace-crumbs" aria-label="Breadcrumb">
        <Link href={objectHref}>{objectLabel}</Link>
        <span aria-hidden="true"> / </span>
        <span>Trace</span>
      </nav>
      <div className="trace-title">
        <h1>
          Trace <span className="trace-title-name">{root.name}</span>
        </h1>
        <p className="trace-stats">
          {tree.count.toLocaleString('en-US')} {tree.count === 1 ? 'span' : 'spans'} · {formatDuration(total)}
          {errors > 0 && <span className="trace-stats-errors"> · {errors.toLocaleString('en-US')} with errors</span>}
          <span className="mono trace-id" title="Root span id">
            {' '}
            · {rootSpanId}
          </span>
        </p>
        <div className="trace-actions">
          <button type="button" onClick={() => setCollapsed(new Set())} disabled={!collapsed.size}>
            Expand all
          </button>
          <button type="button" onClick={() => setCollapsed(new Set(parents))} disabled={!parents.length}>
            Collapse all
          </button>
        </div>
      </div>
      {means.length > 0 && (
        <ul className="trace-scores" aria-label="Trace scores">
          {means.map(([name, mean]) => (
            <li key={name}>
              <span className="trace-score-name">{name}</span> {formatScore(mean)}
            </li>
          ))}
        </ul>
      )}
      {truncated && (
        <p className="trace-truncated" role="status">
          This trace has more than {MAX_SPANS.toLocaleString('en-US')} spans; the first{' '}
          {MAX_SPANS.toLocaleString('en-US')} are shown.
        </p>
      )}
      <div className="trace-panes">
        <SpanTree
          tree={tree}
          rows={rows}
          collapsed={collapsed}
          onToggle={toggle}
          selectedId={selectedId}
          onSelect={select}
        />
        <SpanDetail
          key={selectedId}
          node={selected}
          full={full}
          objectType={objectType}
          objectId={objectId}
          scoreNames={scoreNames}
          onReviewStart={wantNames}
          onSaved={onSaved}
        />
      </div>
    </div>
  );
}

// One dataset: its rows newest first (BTQL `dataset('<id>') spans`, paged by
// cursor into a virtual table) with each row's version, a Version select that
// re-reads an older snapshot (`?version=<pretty xact>` in the URL, read-only),
// and on the latest version add / edit / delete a row, written as the SDK
// writes them (./datasets/rows.ts).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { datasetByName, projectByName, type Dataset as DatasetObject } from '../api/objects';
import { previewText, JsonView } from '../components/JsonView';
import { Empty, ErrorView, Loading } from '../components/States';
import { VirtualTable, type Column } from '../components/VirtualTable';
import { useAsync } from '../components/useAsync';
import { formatTime } from '../components/format';
import { setQueryParam, useLocation, useParams } from '../router';
import { RowForm } from './datasets/RowForm';
import {
  addRow,
  countRows,
  deleteRow,
  readRows,
  readVersions,
  replaceRow,
  type DatasetRow,
  type RowFields,
  type VersionInfo,
} from './datasets/rows';
import { compareXactDesc, decimalXact, prettyXact, xactTime } from './datasets/xact';
import './Datasets.css';

export function Dataset() {
  const { org, project, dataset: name } = useParams();
  const loc = useLocation();
  const versionParam = loc.search.get('version');
  const meta = useAsync(
    async () => {
      const p = await projectByName(org, project);
      return datasetByName(p.id, name);
    },
    [org, project, name],
  );

  if (meta.status === 'error') return <ErrorView error={meta.error} onRetry={meta.reload} />;
  if (meta.status === 'loading') return <Loading what="the dataset" />;
  let version: string | null = null;
  if (versionParam) {
    version = decimalXact(versionParam);
    if (!version)
      return (
        <ErrorView
          error={new Error(`'${versionParam}' is not a version: use 16 hex digits or the 19-digit decimal form.`)}
        />
      );
  }
  return <DatasetView key={meta.value.id} dataset={meta.value} version={version} />;
}

type Mode = { kind: 'view' } | { kind: 'add' } | { kind: 'edit'; row: DatasetRow } | { kind: 'delete'; row: DatasetRow };

interface RowsState {
  status: 'loading' | 'done' | 'error';
  rows: DatasetRow[];
  cursor: string | null;
  error?: Error;
  key?: string; // the snapshot the rows are of: `<dataset id>@<version>`
  more?: boolean; // a next page is being read
  moreError?: Error;
}

function useRows(datasetId: string, version: string | null, generation: number) {
  const [state, setState] = useState<RowsState>({ status: 'loading', rows: [], cursor: null });
  const stateRef = useRef(state);
  stateRef.current = state;
  const epoch = useRef(0); // bumped by every first-page read: older pages are dropped
  const busy = useRef(false);

  useEffect(() => {
    const ctl = new AbortController();
    const mine = ++epoch.current;
    busy.current = true;
    const key = `${datasetId}@${version ?? 'latest'}`;
    // A refresh keeps the rows in view while it reads; another snapshot starts empty.
    setState((s) => ({ status: 'loading', rows: s.key === key ? s.rows : [], cursor: null, key }));
    readRows(datasetId, version, null, ctl.signal).then(
      (page) => {
        if (epoch.current !== mine) return;
        busy.current = false;
        setState({ status: 'done', rows: page.rows, cursor: page.cursor, key });
      },
      (error: Error) => {
        if (epoch.current !== mine) return;
        busy.current = false;
        setState({ status: 'error', rows: [], cursor: null, error, key });
      },
    );
    return () => ctl.abort();
  }, [datasetId, version, generation]);

  const loadMore = useCallback(() => {
    const s = stateRef.current;
    if (busy.current || s.status !== 'done' || !s.cursor || s.moreError) return;
    busy.current = true;
    const mine = epoch.current;
    setState((t) => ({ ...t, more: true }));
    readRows(datasetId, version, s.cursor).then(
      (page) => {
        if (epoch.current !== mine) return;
        busy.current = false;
        setState((t) => ({ ...t, rows: [...t.rows, ...page.rows], cursor: page.cursor, more: false }));
      },
      (error: Error) => {
        if (epoch.current !== mine) return;
        busy.current = false;
        setState((t) => ({ ...t, more: false, moreError: error }));
      },
    );
  }, [datasetId, version]);

  return { ...state, loadMore };
}

function versionLabel(xact: string): string {
  const t = xactTime(xact);
  return t ? `${prettyXact(xact)} · ${formatTime(t)}` : prettyXact(xact);
}

function DatasetView({ dataset, version }: { dataset: DatasetObject; version: string | null }) {
  const [generation, setGeneration] = useState(0);
  const refresh = () => setGeneration((g) => g + 1);
  const rows = useRows(dataset.id, version, generation);
  const count = useAsync((signal) => countRows(dataset.id, version, signal), [dataset.id, version, generation]);
  const versions = useAsync(
    async (signal): Promise<VersionInfo[]> => {
      const [latest, old] = await Promise.all([
        readVersions(dataset.id, null, signal),
        version ? readVersions(dataset.id, version, signal) : Promise.resolve([]),
      ]);
      const all = new Map<string, VersionInfo>();
      for (const v of [...latest, ...old]) if (!all.has(v.xact)) all.set(v.xact, v);
      if (version && !all.has(version)) all.set(version, { xact: version, rows: 0 });
      return [...all.values()].sort((a, b) => compareXactDesc(a.xact, b.xact));
    },
    [dataset.id, version, generation],
  );
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>({ kind: 'view' });
  const [notice, setNotice] = useState<string | null>(null);
  const readOnly = version !== null;

  // A change of version drops what was being edited.
  useEffect(() => setMode({ kind: 'view' }), [version]);

  const selected = useMemo(
    () => (selectedId === null ? undefined : rows.rows.find((r) => r.id === selectedId)),
    [rows.rows, selectedId],
  );

  const columns: Column<DatasetRow>[] = [
    { key: 'input', header: 'Input', width: 300, render: (r) => <span className="mono">{previewText(r.input, 160)}</span> },
    {
      key: 'expected',
      header: 'Expected',
      width: 240,
      render: (r) => <span className="mono">{previewText(r.expected, 160)}</span>,
    },
    {
      key: 'metadata',
      header: 'Metadata',
      width: 220,
      render: (r) => <span className="mono">{previewText(r.metadata, 160)}</span>,
    },
    {
      key: 'tags',
      header: 'Tags',
      width: 140,
      render: (r) => (Array.isArray(r.tags) ? r.tags.join(', ') : ''),
    },
    {
      key: 'version',
      header: 'Version',
      width: 160,
      render: (r) => (
        <span className="mono" title={r._xact_id}>
          {prettyXact(r._xact_id)}
        </span>
      ),
    },
    { key: 'created', header: 'Created', width: 180, render: (r) => formatTime(r.created ?? null) },
  ];

  function afterWrite(message: string, select: string | null) {
    setMode({ kind: 'view' });
    setSelectedId(select);
    setNotice(message);
    refresh();
  }

  async function submitAdd(fields: RowFields) {
    const id = await addRow(dataset.id, fields);
    afterWrite('Row added.', id);
  }

  async function submitEdit(row: DatasetRow, fields: RowFields) {
    await replaceRow(dataset.id, row, fields);
    afterWrite('Row saved as a new version.', row.id);
  }

  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  async function confirmDelete(row: DatasetRow) {
    setDeleting(true);
    setDeleteError(null);
    try {
      await deleteRow(dataset.id, row.id);
      afterWrite('Row deleted.', null);
    } catch (e) {
      setDeleteError(`Not deleted: ${(e as Error).message}`);
    } finally {
      setDeleting(false);
    }
  }

  const pickVersion = (value: string) => {
    setNotice(null);
    setQueryParam('version', value === 'latest' ? null : value);
  };

  return (
    <section className="dataset">
      <div className="dataset-header">
        <h1>{dataset.name}</h1>
        <span className="dataset-count" aria-live="polite">
          {count.status === 'done'
            ? `${count.value.toLocaleString('en-US')} ${count.value === 1 ? 'row' : 'rows'}`
            : count.status === 'error'
              ? 'row count unavailable'
              : ''}
        </span>
        <span className="spacer" />
        <label htmlFor="dataset-version">Version</label>
        <select
          id="dataset-version"
          value={version ? prettyXact(version) : 'latest'}
          onChange={(e) => pickVersion(e.target.value)}
        >
          <option value="latest">latest</option>
          {(versions.value ?? (version ? [{ xact: version, rows: 0 }] : [])).map((v) => (
            <option key={v.xact} value={prettyXact(v.xact)}>
              {versionLabel(v.xact)}
            </option>
          ))}
        </select>
        {!readOnly && (
          <button
            type="button"
            className="primary"
            onClick={() => {
              setNotice(null);
              setMode({ kind: 'add' });
            }}
          >
            Add row
          </button>
        )}
      </div>
      {dataset.description && <p className="dataset-description">{dataset.description}</p>}
      {versions.status === 'error' && (
        <p className="form-error" role="alert">
          The versions could not be read: {versions.error.message}
        </p>
      )}
      {readOnly && (
        <p className="dataset-readonly" role="status">
          Viewing version <span className="mono">{prettyXact(version!)}</span> as it was then (read-only).{' '}
          <button type="button" className="link" onClick={() => pickVersion('latest')}>
            Back to latest
          </button>
        </p>
      )}
      {notice && (
        <p className="form-ok" role="status">
          {notice}
        </p>
      )}
      {mode.kind === 'add' && (
        <RowForm
          title="Add a row"
          submitLabel="Add row"
          onSubmit={submitAdd}
          onCancel={() => setMode({ kind: 'view' })}
        />
      )}
      {rows.status === 'error' ? (
        <ErrorView error={rows.error!} onRetry={refresh} />
      ) : rows.status === 'loading' && rows.rows.length === 0 ? (
        <Loading what="rows" />
      ) : rows.rows.length === 0 ? (
        <Empty>
          {readOnly
            ? 'The dataset had no rows at this version.'
            : 'This dataset has no rows yet. Add one here, or insert rows with the SDK (dataset.insert).'}
        </Empty>
      ) : (
        <>
          <VirtualTable
            label="Dataset rows"
            columns={columns}
            rows={rows.rows}
            rowKey={(r) => r.id}
            height={`min(${rows.rows.length * 36 + 4}px, ${selected || mode.kind !== 'view' ? '40vh' : '65vh'})`}
            onOpen={(r) => {
              setSelectedId(r.id);
              setDeleteError(null);
              if (mode.kind !== 'add') setMode({ kind: 'view' });
            }}
            rowClassName={(r) => (r.id === selectedId ? 'dataset-selected' : undefined)}
            onEndReached={rows.cursor ? rows.loadMore : undefined}
          />
          <p className="dataset-paging">
            {rows.rows.length.toLocaleString('en-US')} rows shown
            {rows.more ? ' · loading more…' : rows.cursor ? ' · scroll for more' : ''}
            {rows.status === 'loading' ? ' · refreshing…' : ''}
          </p>
          {rows.moreError && (
            <p className="form-error" role="alert">
              The next rows could not be read: {rows.moreError.message}
            </p>
          )}
        </>
      )}
      {selected && mode.kind === 'edit' && mode.row.id === selected.id && (
        <RowForm
          key={`${selected.id}-${selected._xact_id}`}
          title="Edit row"
          initial={selected}
          submitLabel="Save row"
          onSubmit={(f) => submitEdit(selected, f)}
          onCancel={() => setMode({ kind: 'view' })}
        />
      )}
      {selected && mode.kind !== 'edit' && (
        <RowDetail
          row={selected}
          readOnly={readOnly}
          confirming={mode.kind === 'delete' && mode.row.id === selected.id}
          deleting={deleting}
          deleteError={deleteError}
          onEdit={() => {
            setNotice(null);
            setMode({ kind: 'edit', row: selected });
          }}
          onDelete={() => {
            setNotice(null);
            setDeleteError(null);
            setMode({ kind: 'delete', row: selected });
          }}
          onConfirmDelete={() => void confirmDelete(selected)}
          onCancelDelete={() => setMode({ kind: 'view' })}
          onClose={() => setSelectedId(null)}
        />
      )}
    </section>
  );
}

function RowDetail(props: {
  row: DatasetRow;
  readOnly: boolean;
  confirming: boolean;
  deleting: boolean;
  deleteError: string | null;
  onEdit: () => void;
  onDelete: () => void;
  onConfirmDelete: () => void;
  onCancelDelete: () => void;
  onClose: () => void;
}) {
  const { row } = props;
  return (
    <section className="dataset-detail" aria-label="Selected row">
      <div className="dataset-detail-head">
        <h2>
          Row <span className="mono">{row.id}</span>
        </h2>
        <span className="dataset-muted">
          version <span className="mono">{prettyXact(row._xact_id)}</span> · created {formatTime(row.created ?? null)}
        </span>
        <span className="spacer" />
        {!props.readOnly && !props.confirming && (
          <>
            <button type="button" onClick={props.onEdit}>
              Edit row
            </button>
            <button type="button" className="dataset-danger" onClick={props.onDelete}>
              Delete row
            </button>
          </>
        )}
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
      {props.confirming && (
        <div className="dataset-confirm" role="alertdialog" aria-label="Confirm delete" aria-describedby="dataset-confirm-text">
          <p id="dataset-confirm-text">
            Delete this row? The delete is a new version of the dataset; older versions still show the row.
          </p>
          <button type="button" className="dataset-danger-solid" disabled={props.deleting} onClick={props.onConfirmDelete}>
            {props.deleting ? 'Deleting…' : 'Confirm delete'}
          </button>
          <button type="button" disabled={props.deleting} onClick={props.onCancelDelete} autoFocus>
            Cancel
          </button>
        </div>
      )}
      {props.deleteError && (
        <p className="form-error" role="alert">
          {props.deleteError}
        </p>
      )}
      <dl className="dataset-values">
        <dt>Input</dt>
        <dd>
          <JsonView value={row.input} />
        </dd>
        <dt>Expected</dt>
        <dd>
          <JsonView value={row.expected} />
        </dd>
        <dt>Metadata</dt>
        <dd>
          <JsonView value={row.metadata} />
        </dd>
        <dt>Tags</dt>
        <dd>{Array.isArray(row.tags) && row.tags.length ? row.tags.join(', ') : '—'}</dd>
      </dl>
    </section>
  );
}

// The dataset's rows over the data plane, read and written the way the SDK
// does: BTQL `dataset('<id>') spans` (newest first, paged by cursor, `version`
// for an older snapshot), and writes to /v1/dataset/<id>/insert.
import { btql, quote } from '../../api/btql';
import { data } from '../../api/client';
import { compareXactDesc } from './xact';

export interface DatasetRow {
  id: string;
  _xact_id: string;
  created?: string | null;
  input?: unknown;
  expected?: unknown;
  metadata?: Record<string, unknown> | null;
  tags?: string[] | null;
  span_id?: string;
  root_span_id?: string;
  origin?: unknown;
}

export interface RowsPage {
  rows: DatasetRow[];
  cursor: string | null;
}

export const PAGE_SIZE = 200;

interface BtqlBody {
  query: string;
  fmt: 'json';
  version?: string;
}

async function query<Row>(text: string, version: string | null, signal?: AbortSignal) {
  if (!version) return btql<Row>(text, signal);
  const body: BtqlBody = { query: text, fmt: 'json', version };
  return data<{ data: Row[]; cursor?: string | null }>('/btql', { body, signal });
}

/** One page of rows, newest first; `cursor` continues a previous page. */
export async function readRows(
  datasetId: string,
  version: string | null,
  cursor: string | null,
  signal?: AbortSignal,
): Promise<RowsPage> {
  let text = `from: dataset(${quote(datasetId)}) spans | limit: ${PAGE_SIZE}`;
  if (cursor) text += ` | cursor: ${quote(cursor)}`;
  const r = await query<DatasetRow>(text, version, signal);
  return { rows: r.data, cursor: r.cursor ?? null };
}

export interface VersionInfo {
  xact: string; // decimal wire form
  rows: number; // rows of the snapshot read that carry this version
}

/** The distinct `_xact_id`s of the rows in a snapshot (latest, or `version`), newest first. */
export async function readVersions(datasetId: string, version: string | null, signal?: AbortSignal) {
  const text =
    `dimensions: _xact_id | measures: count(1) as n | from: dataset(${quote(datasetId)}) spans` +
    ` | sort: _xact_id desc | limit: 1000`;
  const r = await query<{ _xact_id: string; n: number }>(text, version, signal);
  return r.data
    .filter((v) => typeof v._xact_id === 'string')
    .map((v): VersionInfo => ({ xact: v._xact_id, rows: v.n }))
    .sort((a, b) => compareXactDesc(a.xact, b.xact));
}

/** How many rows the snapshot (latest, or `version`) holds. */
export async function countRows(datasetId: string, version: string | null, signal?: AbortSignal): Promise<number> {
  const r = await query<{ n: number }>(`measures: count(1) as n | from: dataset(${quote(datasetId)}) spans`, version, signal);
  return r.data[0]?.n ?? 0;
}

/** The live row count the SDK's `dataset.summarize()` reads (GET /dataset-summary). */
export async function rowCount(datasetId: string, signal?: AbortSignal): Promise<number> {
  const r = await data<{ total_records: number }>('/dataset-summary', { query: { dataset_id: datasetId }, signal });
  return r.total_records;
}

export interface RowFields {
  input?: unknown;
  expected?: unknown;
  metadata?: unknown;
  tags?: string[];
}

async function insert(datasetId: string, event: Record<string, unknown>): Promise<string> {
  const r = await data<{ row_ids: string[] }>(`/v1/dataset/${encodeURIComponent(datasetId)}/insert`, {
    body: { events: [event] },
  });
  return r.row_ids?.[0] ?? String(event.id);
}

/** A new row, as the SDK's `dataset.insert()` writes it. */
export function addRow(datasetId: string, fields: RowFields): Promise<string> {
  return insert(datasetId, { ...fields, created: new Date().toISOString() }); // the server assigns the id
}

/**
 * A new version of an existing row. The form shows the row whole, so what it
 * holds is the row: a replace — the SDK's `insert()` with the row's `id` (an
 * upsert), not `update()`'s merge, which would keep metadata keys the user
 * removed. The server keeps the row's first `created`; its span ids and
 * `origin` are carried over so the row keeps its identity.
 */
export function replaceRow(datasetId: string, row: DatasetRow, fields: RowFields): Promise<string> {
  const event: Record<string, unknown> = { id: row.id, ...fields, created: new Date().toISOString() };
  if (row.span_id) event.span_id = row.span_id;
  if (row.root_span_id) event.root_span_id = row.root_span_id;
  if (row.origin !== undefined && row.origin !== null) event.origin = row.origin;
  return insert(datasetId, event);
}

/** As the SDK's `dataset.delete(id)`: a version that deletes the row. */
export async function deleteRow(datasetId: string, id: string): Promise<void> {
  await insert(datasetId, { id, _object_delete: true, created: new Date().toISOString() });
}

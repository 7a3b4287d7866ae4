// What the trace view reads: the object the trace belongs to (control plane),
// the trace's spans without their payloads, one span's whole row on demand,
// and the score names the object uses (data plane, BTQL).
import { btql, quote } from '../../api/btql';
import { ApiError, control } from '../../api/client';
import { projectByName, type Dataset, type Experiment } from '../../api/objects';
import { pathOf } from '../../router';
import type { SpanRow } from './model';

export type ObjectType = 'experiment' | 'dataset' | 'project_logs';

export function isObjectType(s: string): s is ObjectType {
  return s === 'experiment' || s === 'dataset' || s === 'project_logs';
}

export interface TraceObject {
  type: ObjectType;
  id: string;
  label: string; // "Experiment 'x'", "Logs", "Dataset 'y'"
  href: string; // the object's page in the app
}

export const MAX_SPANS = 100000;

const LIGHT_FIELDS = 'id, span_id, span_parents, root_span_id, span_attributes, metrics, scores, created, error';

function source(type: ObjectType, id: string): string {
  return `${type}(${quote(id)})`;
}

function notFound(message: string): ApiError {
  return new ApiError(404, 'NotFoundError', message);
}

/**
 * The object named by the URL, checked to belong to the URL's project (an id
 * of another project or organization is "not found", like an unknown one).
 */
export async function loadObject(
  org: string,
  projectName: string,
  type: ObjectType,
  id: string,
  signal: AbortSignal,
): Promise<TraceObject> {
  const project = await projectByName(org, projectName);
  const base = ['app', org, 'p', project.name];
  if (type === 'project_logs') {
    if (id !== project.id) throw notFound(`The logs of '${id}' are not in project '${projectName}'`);
    return { type, id, label: 'Logs', href: pathOf(...base, 'logs') };
  }
  const path = `/v1/${type}/${encodeURIComponent(id)}`;
  const obj = await control<Experiment | Dataset>(path, { signal });
  if (obj.project_id !== project.id) throw notFound(`No ${type} '${id}' in project '${projectName}'`);
  return type === 'experiment'
    ? { type, id, label: `Experiment ${obj.name}`, href: pathOf(...base, 'experiments', obj.name) }
    : { type, id, label: `Dataset ${obj.name}`, href: pathOf(...base, 'datasets', obj.name) };
}

/** The trace's spans, light: no input, output, expected or metadata. */
export async function loadSpans(
  type: ObjectType,
  id: string,
  rootSpanId: string,
  signal: AbortSignal,
): Promise<{ rows: SpanRow[]; truncated: boolean }> {
  const query = [
    `from: ${source(type, id)} spans`,
    `filter: root_span_id = ${quote(rootSpanId)}`,
    `select: ${LIGHT_FIELDS}`,
    `limit: ${MAX_SPANS}`,
  ].join(' | ');
  const res = await btql<SpanRow>(query, signal);
  return { rows: res.data, truncated: res.data.length >= MAX_SPANS && !!res.cursor };
}

/** One span's whole row (input, output, expected, metadata, comments…), or null. */
export async function loadSpanRow(
  type: ObjectType,
  id: string,
  rowId: string,
  signal?: AbortSignal,
): Promise<Record<string, unknown> | null> {
  const query = `from: ${source(type, id)} spans | filter: id = ${quote(rowId)} | limit: 1`;
  const res = await btql(query, signal);
  return res.data[0] ?? null;
}

/** The score names the object's rows carry (for the human score form). */
export async function loadScoreNames(type: ObjectType, id: string, signal: AbortSignal): Promise<string[]> {
  const query = [
    `from: ${source(type, id)} spans`,
    'filter: scores is not null',
    'unpivot: scores as (score_name, score_value)',
    'dimensions: score_name',
    'measures: count(1) as n',
    'limit: 1000',
  ].join(' | ');
  const res = await btql<{ score_name?: unknown }>(query, signal);
  return res.data.map((r) => r.score_name).filter((n): n is string => typeof n === 'string');
}

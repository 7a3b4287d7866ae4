// Helpers for the span-store tests: transaction ids, BTQL / fetch paging,
// raw row writes and the access log. 127.0.0.1 only (through lib/http.mjs).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { api, ok } from './http.mjs';

/** The wire form of an `_xact_id`: a fixed-width 19-digit decimal string. */
export const XACT_RE = /^\d{19}$/;
const MASK64 = (1n << 64n) - 1n;
const LOW48 = (1n << 48n) - 1n;
const PREFIX = 0x0de1n << 48n;

export function assertXact(x, what = '_xact_id') {
  assert.equal(typeof x, 'string', `${what} should be a string, got ${JSON.stringify(x)}`);
  assert.match(x, XACT_RE, `${what} should be 19 decimal digits`);
  assert.equal(BigInt(x) >> 48n, 0x0de1n, `${what} ${x} should carry the 0x0DE1 prefix`);
}

/** The UI's 16-hex "pretty" form: hex16((xact · 205891132094649) mod 2^64). */
export function prettyXact(xact) {
  return ((BigInt(xact) * 205891132094649n) & MASK64).toString(16).padStart(16, '0');
}

/** Back from the pretty form to the 19-digit decimal string. */
export function xactFromPretty(pretty) {
  return (PREFIX | ((BigInt(`0x${pretty}`) * 1522336535492693385n) & LOW48)).toString();
}

/** The BTQL JSON AST the SDK's object fetchers send. */
export function btqlAst(objectType, id, { filter, limit, cursor } = {}) {
  const q = {
    select: [{ op: 'star' }],
    from: { op: 'function', name: { op: 'ident', name: [objectType] }, args: [{ op: 'literal', value: id }] },
  };
  if (filter !== undefined) q.filter = filter;
  if (limit !== undefined) q.limit = limit;
  if (cursor !== undefined) q.cursor = cursor;
  return q;
}

/** Small AST builders: ident(['a','b']), lit(v), eq(a,b), ne(a,b), isNull(a), and(...), or(...), not(a). */
export const ast = {
  ident: (name) => ({ op: 'ident', name: Array.isArray(name) ? name : [name] }),
  lit: (value) => ({ op: 'literal', value }),
  eq: (field, value) => ({ op: 'eq', left: ast.ident(field), right: ast.lit(value) }),
  ne: (field, value) => ({ op: 'ne', left: ast.ident(field), right: ast.lit(value) }),
  isNull: (field) => ({ op: 'isnull', expr: ast.ident(field) }),
  isNotNull: (field) => ({ op: 'isnotnull', expr: ast.ident(field) }),
  and: (...children) => ({ op: 'and', children }),
  or: (...children) => ({ op: 'or', children }),
  not: (expr) => ({ op: 'not', expr }),
};

/** POST /btql; returns the api() result (not asserted). */
export function btql(baseUrl, key, query, extra = {}) {
  return api(baseUrl, '/btql', { key, body: { query, fmt: 'json', ...extra } });
}

/**
 * Reads every row of an object through BTQL, following cursors.
 * Returns {rows, pages, cursors}. Throws on a non-200 page or a runaway loop.
 */
export async function btqlAll(baseUrl, key, objectType, id, { limit, filter, version, maxPages = 10_000 } = {}) {
  const rows = [];
  const cursors = [];
  let cursor;
  let pages = 0;
  for (;;) {
    const r = await btql(baseUrl, key, btqlAst(objectType, id, { filter, limit, cursor }), version === undefined ? {} : { version });
    const body = ok(r, `btql page ${pages + 1}`);
    assert.ok(Array.isArray(body.data), `btql data should be an array: ${r.text.slice(0, 300)}`);
    rows.push(...body.data);
    pages++;
    if (!body.cursor) break;
    assert.ok(!cursors.includes(body.cursor), `btql repeated a cursor on page ${pages}`);
    cursors.push(body.cursor);
    cursor = body.cursor;
    assert.ok(pages < maxPages, `btql did not finish within ${maxPages} pages`);
  }
  return { rows, pages, cursors };
}

/**
 * Reads every row through GET (or POST) /v1/{objectType}/{id}/fetch, following cursors.
 * Returns {rows, pages, pageSizes}.
 */
export async function fetchAll(baseUrl, key, objectType, id, { limit, version, method = 'GET', maxPages = 10_000 } = {}) {
  const rows = [];
  const pageSizes = [];
  let cursor;
  for (;;) {
    const params = {};
    if (limit !== undefined) params.limit = limit;
    if (version !== undefined) params.version = version;
    if (cursor !== undefined) params.cursor = cursor;
    const path = `/v1/${objectType}/${id}/fetch`;
    const r = method === 'GET'
      ? await api(baseUrl, path, { key, query: params })
      : await api(baseUrl, path, { key, body: params });
    const body = ok(r, `fetch page ${pageSizes.length + 1}`);
    assert.ok(Array.isArray(body.events), `fetch events should be an array: ${r.text.slice(0, 300)}`);
    rows.push(...body.events);
    pageSizes.push(body.events.length);
    if (!body.cursor || body.events.length === 0) break;
    cursor = body.cursor;
    assert.ok(pageSizes.length < maxPages, `fetch did not finish within ${maxPages} pages`);
  }
  return { rows, pages: pageSizes.length, pageSizes };
}

/** GET /xact-id as text (asserts 200 and the 19-digit form). */
export async function currentXact(baseUrl, key) {
  const r = await api(baseUrl, '/xact-id', { key });
  assert.equal(r.status, 200, `/xact-id: ${r.status} ${r.text}`);
  const x = r.text.trim();
  // An empty store has committed nothing yet: all zeros.
  if (x !== '0'.repeat(19)) assertXact(x, '/xact-id');
  else assert.match(x, XACT_RE);
  return x;
}

/** POST /v1/{objectType}/{id}/insert {events}; asserts 200, returns row_ids. */
export async function insertRows(baseUrl, key, objectType, id, events) {
  const r = await api(baseUrl, `/v1/${objectType}/${id}/insert`, { key, body: { events } });
  const body = ok(r, `insert into ${objectType} ${id}`);
  assert.ok(Array.isArray(body.row_ids), `insert answer should carry row_ids: ${r.text}`);
  return body.row_ids;
}

/** Map id → row; asserts ids are unique. */
export function byId(rows, what = 'rows') {
  const m = new Map();
  for (const r of rows) {
    assert.ok(!m.has(r.id), `${what}: id ${r.id} appears twice`);
    m.set(r.id, r);
  }
  return m;
}

/** Fields the server adds on read; strip them to compare written content. */
export function content(row, drop = []) {
  const out = { ...row };
  for (const k of ['_xact_id', 'created', 'is_root', 'project_id', 'experiment_id', 'dataset_id', 'log_id', 'comments', 'span_id', 'root_span_id', 'org_id', ...drop]) delete out[k];
  return out;
}

/**
 * The access-log lines (one JSON object per request on stdout) of a deployment's
 * processes, parsed; non-JSON lines are skipped. `name` narrows to one process.
 */
export function accessLog(dep, name) {
  const out = [];
  for (const p of dep.procs) {
    if (name && p.name !== name) continue;
    let text = '';
    try {
      text = fs.readFileSync(p.stdoutFile, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push({ proc: p.name, ...JSON.parse(line) });
      } catch {
        /* partial line */
      }
    }
  }
  return out;
}

/** Polls accessLog until `pred` matches an entry (stdout may be flushed late). */
export async function waitForAccessLog(dep, pred, { timeoutMs = 5000 } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const hit = accessLog(dep).filter(pred);
    if (hit.length || Date.now() > until) return hit;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Creates a project with one experiment and one dataset through REST on `baseUrl`.
 * Returns {project, experiment, dataset} (the REST objects).
 */
export async function makeObjects(baseUrl, key, prefix = 'rows') {
  const suffix = Math.random().toString(16).slice(2, 10);
  const project = ok(await api(baseUrl, '/v1/project', { key, body: { name: `${prefix}-proj-${suffix}` } }), 'create project');
  const experiment = ok(await api(baseUrl, '/v1/experiment', { key, body: { project_id: project.id, name: `${prefix}-exp-${suffix}` } }), 'create experiment');
  const dataset = ok(await api(baseUrl, '/v1/dataset', { key, body: { project_id: project.id, name: `${prefix}-ds-${suffix}` } }), 'create dataset');
  return { project, experiment, dataset };
}

// POST /btql, first slice: select *, from experiment|dataset|project_logs (one
// id), filter with eq / ne / is null / and / or / not (SQL three-valued logic:
// a missing field is null), limit, cursor — as the JSON AST and as text.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, withLogs } from '../lib/server.mjs';
import { api, ok } from '../lib/http.mjs';
import { assertXact, ast, btqlAll, btqlAst, insertRows, makeObjects } from '../lib/rows.mjs';

const { ident, lit, eq, ne, isNull, isNotNull, and, or, not } = ast;

describe('BTQL first slice', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  let url;
  let key;
  let objs;
  let E;

  before(async () => {
    dep = await startServe();
    url = dep.dataUrl;
    key = dep.apiKey;
    objs = await makeObjects(url, key, 'btql');
    E = objs.experiment.id;
    await insertRows(url, key, 'experiment', E, [
      { id: 'r1', span_id: 's1', root_span_id: 't1', input: 'a', metadata: { env: 'prod', n: 1 }, scores: { acc: 1 } },
      { id: 'r2', span_id: 's2', root_span_id: 't1', span_parents: ['s1'], input: 'b', metadata: { env: 'dev', n: 2 }, scores: { acc: 0 } },
      { id: 'r3', span_id: 's3', root_span_id: 't3', input: 'c', metadata: { env: null }, output: { x: [1, 2, 3] } },
      { id: 'r4', span_id: 's4', root_span_id: 't4', input: 'd' },
      { id: 'r5', span_id: 's5', root_span_id: 't1', span_parents: ['s1'], input: 'e', span_attributes: { name: 'acc', type: 'score', purpose: 'scorer' } },
    ]);
  });
  after(async () => {
    await dep?.stop();
  });

  async function ids(filter, extra = {}) {
    const { rows } = await btqlAll(url, key, 'experiment', E, { filter, ...extra });
    return rows.map((r) => r.id).sort();
  }
  async function textIds(filterText) {
    const r = ok(await api(url, '/btql', { key, body: { query: `select: * | from: experiment('${E}') | filter: ${filterText}` } }), filterText);
    assert.equal(r.cursor, null);
    return r.data.map((x) => x.id).sort();
  }

  // [text, AST, expected ids]
  const CASES = [
    ["id = 'r1'", eq('id', 'r1'), ['r1']],
    ["'r1' = id", { op: 'eq', left: lit('r1'), right: ident('id') }, ['r1']],
    ["root_span_id = 't1'", eq('root_span_id', 't1'), ['r1', 'r2', 'r5']],
    ["metadata.env = 'prod'", eq(['metadata', 'env'], 'prod'), ['r1']],
    ["metadata.env != 'prod'", ne(['metadata', 'env'], 'prod'), ['r2']],
    ["metadata.env <> 'prod'", ne(['metadata', 'env'], 'prod'), ['r2']],
    ['metadata.env IS NULL', isNull(['metadata', 'env']), ['r3', 'r4', 'r5']],
    ['metadata.env is not null', isNotNull(['metadata', 'env']), ['r1', 'r2']],
    ["NOT metadata.env = 'prod'", not(eq(['metadata', 'env'], 'prod')), ['r2']],
    ["metadata.env = 'prod' OR metadata.env = 'dev'", or(eq(['metadata', 'env'], 'prod'), eq(['metadata', 'env'], 'dev')), ['r1', 'r2']],
    ["root_span_id = 't1' AND metadata.n = 2", and(eq('root_span_id', 't1'), eq(['metadata', 'n'], 2)), ['r2']],
    ["id = 'r1' or id = 'r2' and metadata.n = 1", or(eq('id', 'r1'), and(eq('id', 'r2'), eq(['metadata', 'n'], 1))), ['r1']],
    ["(id = 'r1' or id = 'r2') and metadata.n = 2", and(or(eq('id', 'r1'), eq('id', 'r2')), eq(['metadata', 'n'], 2)), ['r2']],
    ['scores.acc = 0', eq(['scores', 'acc'], 0), ['r2']],
    ['metadata.n = 1.0', eq(['metadata', 'n'], 1.0), ['r1']],
    ['is_root = true', eq('is_root', true), ['r1', 'r3', 'r4']],
    ["id = 'nope'", eq('id', 'nope'), []],
    ["id = 'r1' and id = 'r2'", and(eq('id', 'r1'), eq('id', 'r2')), []],
    // The SDK's trace span fetch (trace.getSpans inside scorers).
    ["root_span_id = 't1' and (span_attributes.purpose is null or span_attributes.purpose != 'scorer')",
      and(eq('root_span_id', 't1'), or(isNull(['span_attributes', 'purpose']), ne(['span_attributes', 'purpose'], 'scorer'))), ['r1', 'r2']],
  ];

  it('filters: AST and text forms give the same, SQL-null-aware results', withLogs(async () => {
    const failures = [];
    for (const [text, tree, want] of CASES) {
      const viaAst = await ids(tree);
      const viaText = await textIds(text);
      if (JSON.stringify(viaAst) !== JSON.stringify(want)) failures.push(`AST ${JSON.stringify(tree)} → ${JSON.stringify(viaAst)}, want ${JSON.stringify(want)}`);
      if (JSON.stringify(viaText) !== JSON.stringify(want)) failures.push(`text ${text} → ${JSON.stringify(viaText)}, want ${JSON.stringify(want)}`);
    }
    assert.deepEqual(failures, [], failures.join('\n'));
  }));

  it('AST details: array index paths, left/right and/or, an embedded btql text filter', withLogs(async () => {
    assert.deepEqual(await ids(eq(['output', 'x', 1], 2)), ['r3']);
    assert.deepEqual(await ids(eq(['output', 'x', -1], 3)), ['r3'], 'negative index counts from the end');
    assert.deepEqual(await ids({ op: 'or', left: eq('id', 'r1'), right: eq('id', 'r4') }), ['r1', 'r4']);
    assert.deepEqual(await ids({ op: 'is', left: ident(['metadata', 'env']), right: lit(null) }), ['r3', 'r4', 'r5']);
    assert.deepEqual(await ids({ btql: "metadata.env = 'dev'" }), ['r2']);
    assert.deepEqual(await ids({ op: 'and', children: [] }), ['r1', 'r2', 'r3', 'r4', 'r5'], 'an empty AND is true');
  }));

  it('response shape; limit counts rows; cursors continue; text limit clause', withLogs(async () => {
    const r = ok(await api(url, '/btql', { key, body: { query: btqlAst('experiment', E, { limit: 2 }), fmt: 'json' } }));
    assert.deepEqual(Object.keys(r).sort(), ['cursor', 'data', 'freshness_state', 'realtime_state', 'schema']);
    assert.equal(r.data.length, 2);
    assert.equal(typeof r.cursor, 'string');
    assertXact(r.freshness_state.last_considered_xact_id);
    for (const row of r.data) assertXact(row._xact_id);
    const all = await btqlAll(url, key, 'experiment', E, { limit: 2 });
    assert.equal(all.pages, 3);
    assert.deepEqual(all.rows.map((x) => x.id).sort(), ['r1', 'r2', 'r3', 'r4', 'r5']);
    const t = ok(await api(url, '/btql', { key, body: { query: `select: * | from: experiment('${E}') | limit: 3` } }));
    assert.equal(t.data.length, 3);
    assert.ok(t.cursor);
    const t2 = ok(await api(url, '/btql', { key, body: { query: `select: * | from: experiment('${E}') | limit: 3 | cursor: '${t.cursor}'` } }));
    assert.deepEqual([...t.data, ...t2.data].map((x) => x.id).sort(), ['r1', 'r2', 'r3', 'r4', 'r5']);
    assert.equal(t2.cursor, null);
    // A filtered, limited page.
    const f = await btqlAll(url, key, 'experiment', E, { filter: eq('root_span_id', 't1'), limit: 1 });
    assert.deepEqual(f.rows.map((x) => x.id).sort(), ['r1', 'r2', 'r5']);
    // limit 0 → no rows.
    assert.deepEqual(ok(await api(url, '/btql', { key, body: { query: btqlAst('experiment', E, { limit: 0 }) } })).data, []);
  }));

  it('from dataset and project_logs; several ids read their union, a repeated id once', withLogs(async () => {
    await insertRows(url, key, 'dataset', objs.dataset.id, [{ id: 'd1', input: 1 }, { id: 'd2', input: 2 }]);
    await insertRows(url, key, 'project_logs', objs.project.id, [{ id: 'l1', input: 1 }]);
    assert.deepEqual((await btqlAll(url, key, 'dataset', objs.dataset.id, { filter: ne('id', 'd1') })).rows.map((r) => r.id), ['d2']);
    assert.deepEqual((await btqlAll(url, key, 'project_logs', objs.project.id)).rows.map((r) => r.id), ['l1']);
    const text = ok(await api(url, '/btql', { key, body: { query: `from: project_logs('${objs.project.id}') | select: *` } }));
    assert.deepEqual(text.data.map((r) => r.id), ['l1']);
    // An id of the wrong type is simply not found.
    assert.equal((await api(url, '/btql', { key, body: { query: btqlAst('experiment', objs.dataset.id) } })).status, 404);
    const once = ok(await api(url, '/btql', { key, body: { query: `from: experiment('${E}')` } }));
    const twice = ok(await api(url, '/btql', { key, body: { query: `from: experiment('${E}', '${E}')` } }));
    assert.deepEqual(twice.data.map((r) => r.id), once.data.map((r) => r.id));
  }));
});

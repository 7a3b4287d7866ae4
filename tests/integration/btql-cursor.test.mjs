// BTQL cursors under concurrent writes: paging through an experiment with
// `limit: 7` while another loop inserts new rows, adds spans to existing
// traces and merges into existing rows. The union of the pages must be exactly
// the snapshot the first page was read at (its freshness_state
// .last_considered_xact_id, read again with `version`): every row once, none
// skipped, each in its snapshot version. Spans shape and traces shape.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, sleep, startServe, withLogs } from '../lib/server.mjs';
import { ok } from '../lib/http.mjs';
import { btql, insertRows, makeObjects } from '../lib/rows.mjs';

const PAGE = 7;
const created = (i) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();

function query(E, shape, { limit, cursor } = {}) {
  const q = {
    select: [{ op: 'star' }],
    from: { op: 'function', name: { op: 'ident', name: ['experiment'] }, args: [{ op: 'literal', value: E }], shape },
  };
  if (limit !== undefined) q.limit = limit;
  if (cursor !== undefined) q.cursor = cursor;
  return q;
}

/** Keeps writing until stop() — new rows or traces, spans of old traces, merges. */
function startWriter(url, key, E, { traces }) {
  const state = { writes: 0, stopped: false, error: null };
  const loop = (async () => {
    for (let i = 0; !state.stopped; i++) {
      const old = `${traces ? 't' : 'e'}${String(i % 20).padStart(2, '0')}`;
      const rows = [
        { id: `late-${i}`, span_id: `late-${i}`, root_span_id: `late-${i}`, created: created(1000 + i), input: `late ${i}` },
        { id: old, _is_merge: true, metadata: { touched: i } },
      ];
      if (traces) rows.push({ id: `${old}-late-${i}`, span_id: `${old}-late-${i}`, root_span_id: old, span_parents: [old], created: created(2000 + i) });
      await insertRows(url, key, 'experiment', E, rows);
      state.writes++;
      await sleep(3);
    }
  })().catch((e) => {
    state.error = e;
  });
  state.stop = async () => {
    state.stopped = true;
    await loop;
    if (state.error) throw state.error;
  };
  return state;
}

async function pageThrough(url, key, E, shape, writer) {
  const first = ok(await btql(url, key, query(E, shape, { limit: PAGE })), 'first page');
  const version = first.freshness_state?.last_considered_xact_id;
  assert.equal(typeof version, 'string', `the first page names its snapshot: ${JSON.stringify(first.freshness_state)}`);
  const writesAtFirstPage = writer.writes;
  const pages = [first.data];
  let cursor = first.cursor;
  while (cursor) {
    await sleep(25); // let the writer commit between pages
    const page = ok(await btql(url, key, query(E, shape, { limit: PAGE, cursor })), `page ${pages.length + 1}`);
    pages.push(page.data);
    cursor = page.cursor;
    assert.ok(pages.length < 200, 'paging does not end');
  }
  return { pages, version, writesDuring: writer.writes - writesAtFirstPage };
}

async function snapshot(url, key, E, shape, version) {
  const r = ok(await btql(url, key, query(E, shape, { limit: 1000 }), { version }), 'snapshot read');
  assert.ok(!r.cursor || r.data.length < 1000, 'the snapshot fits one page');
  return r.data;
}

function compare(pages, snap, what) {
  const seen = new Map();
  const repeats = [];
  for (const row of pages.flat()) {
    if (seen.has(row.id)) repeats.push(row.id);
    seen.set(row.id, row);
  }
  assert.deepEqual(repeats, [], `${what}: rows repeated across pages`);
  const want = new Map(snap.map((r) => [r.id, r]));
  const skipped = [...want.keys()].filter((id) => !seen.has(id)).sort();
  const extra = [...seen.keys()].filter((id) => !want.has(id)).sort();
  assert.deepEqual({ skipped, extra }, { skipped: [], extra: [] }, `${what}: the pages differ from the first page's snapshot`);
  const stale = [...want.values()].filter((r) => seen.get(r.id)._xact_id !== r._xact_id).map((r) => r.id);
  assert.deepEqual(stale, [], `${what}: rows not in their snapshot version`);
}

describe('BTQL cursors under concurrent inserts', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  let url;
  let key;
  before(async () => {
    dep = await startServe();
    url = dep.dataUrl;
    key = dep.apiKey;
  });
  after(async () => {
    await dep?.stop();
  });

  it('spans shape: the pages are the first page\'s snapshot, each row once', withLogs(async () => {
    const E = (await makeObjects(url, key, 'cursor-spans')).experiment.id;
    const early = [];
    for (let i = 0; i < 50; i++) {
      const id = `e${String(i).padStart(2, '0')}`;
      early.push({ id, span_id: id, root_span_id: id, created: created(i), input: `early ${i}` });
    }
    await insertRows(url, key, 'experiment', E, early);
    const writer = startWriter(url, key, E, { traces: false });
    let result;
    try {
      await sleep(20);
      result = await pageThrough(url, key, E, 'spans', writer);
    } finally {
      await writer.stop();
    }
    assert.ok(result.pages.length >= Math.ceil(50 / PAGE), `at least ${Math.ceil(50 / PAGE)} pages, got ${result.pages.length}`);
    assert.ok(result.writesDuring > 0, 'the writer committed while paging');
    for (const p of result.pages) assert.ok(p.length <= PAGE, `a spans page holds at most ${PAGE} rows`);
    const snap = await snapshot(url, key, E, 'spans', result.version);
    for (const r of early) assert.ok(snap.some((s) => s.id === r.id), `the snapshot holds ${r.id}`);
    compare(result.pages, snap, 'spans');
  }));

  it('traces shape: whole traces, each span once, as of the first page', withLogs(async () => {
    const E = (await makeObjects(url, key, 'cursor-traces')).experiment.id;
    const early = [];
    for (let t = 0; t < 20; t++) {
      const root = `t${String(t).padStart(2, '0')}`;
      early.push({ id: root, span_id: root, root_span_id: root, created: created(3 * t), input: `trace ${t}` });
      for (let c = 0; c < 2; c++) {
        early.push({ id: `${root}-c${c}`, span_id: `${root}-c${c}`, root_span_id: root, span_parents: [root], created: created(3 * t + 1 + c) });
      }
    }
    await insertRows(url, key, 'experiment', E, early);
    const writer = startWriter(url, key, E, { traces: true });
    let result;
    try {
      await sleep(20);
      result = await pageThrough(url, key, E, 'traces', writer);
    } finally {
      await writer.stop();
    }
    assert.ok(result.writesDuring > 0, 'the writer committed while paging');
    for (const p of result.pages) {
      const traces = new Set(p.map((r) => r.root_span_id));
      assert.ok(traces.size <= PAGE, `a traces page holds at most ${PAGE} traces, got ${traces.size}`);
    }
    // A trace is never split across pages.
    const pageOf = new Map();
    result.pages.forEach((p, i) => {
      for (const r of p) {
        assert.ok(!pageOf.has(r.root_span_id) || pageOf.get(r.root_span_id) === i, `trace ${r.root_span_id} split across pages`);
        pageOf.set(r.root_span_id, i);
      }
    });
    const snap = await snapshot(url, key, E, 'traces', result.version);
    for (const r of early) assert.ok(snap.some((s) => s.id === r.id), `the snapshot holds ${r.id}`);
    compare(result.pages, snap, 'traces');
  }));
});

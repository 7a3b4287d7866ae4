// Reading the past: `version=` on /v1 fetch and BTQL (the 19-digit decimal
// _xact_id or its 16-hex pretty form), the deprecated max_xact_id cursor,
// /dataset-summary, and /xact-id as the watermark.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, startSplit, withLogs } from '../lib/server.mjs';
import { api, ok } from '../lib/http.mjs';
import { assertXact, ast, btqlAll, byId, currentXact, fetchAll, insertRows, makeObjects, prettyXact, xactFromPretty } from '../lib/rows.mjs';

describe('xact id forms (pure)', () => {
  it('pretty form round-trips and matches the documented example', () => {
    assert.equal(prettyXact('1000192656880881099'), '81cd05ee665fdfb3');
    assert.equal(xactFromPretty('81cd05ee665fdfb3'), '1000192656880881099');
    for (const x of ['1000198258115477504', '1000198258116657155', ((0xde1n << 48n) | 1n).toString(), ((0xde1n << 48n) | ((1n << 48n) - 1n)).toString()]) {
      const p = prettyXact(x);
      assert.match(p, /^[0-9a-f]{16}$/);
      assert.equal(xactFromPretty(p), x);
    }
  });
});

function defineVersionTests(label, start) {
  describe(`rows: versions (${label})`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let url;
    let key;
    let objs;
    const X = {}; // xact of each step
    const ids = (rows) => rows.map((r) => r.id).sort();

    before(async () => {
      dep = await start();
      url = dep.dataUrl;
      key = dep.apiKey;
      objs = await makeObjects(url, key, 'ver');
      const E = objs.experiment.id;
      const D = objs.dataset.id;
      X.empty = await currentXact(url, key);
      // step 1: a and b; step 2: merge into a; step 3: c; step 4: delete b; step 5: replace a.
      const steps = [
        [{ id: 'a', input: 'a1', metadata: { v: 1 } }, { id: 'b', input: 'b1' }],
        [{ id: 'a', _is_merge: true, metadata: { w: 2 }, output: 'a2' }],
        [{ id: 'c', input: 'c3' }],
        [{ id: 'b', _object_delete: true }],
        [{ id: 'a', input: 'a5' }],
      ];
      for (let i = 0; i < steps.length; i++) {
        await insertRows(url, key, 'experiment', E, steps[i]);
        await insertRows(url, key, 'dataset', D, steps[i]);
        X[i + 1] = await currentXact(url, key);
      }
    });
    after(async () => {
      await dep?.stop();
    });

    const EXPECT = {
      1: { a: { input: 'a1', metadata: { v: 1 } }, b: { input: 'b1' } },
      2: { a: { input: 'a1', metadata: { v: 1, w: 2 }, output: 'a2' }, b: { input: 'b1' } },
      3: { a: { input: 'a1', metadata: { v: 1, w: 2 }, output: 'a2' }, b: { input: 'b1' }, c: { input: 'c3' } },
      4: { a: { input: 'a1', metadata: { v: 1, w: 2 }, output: 'a2' }, c: { input: 'c3' } },
      5: { a: { input: 'a5' }, c: { input: 'c3' } },
    };
    function check(rows, step, what) {
      const m = byId(rows, what);
      assert.deepEqual([...m.keys()].sort(), Object.keys(EXPECT[step]).sort(), `${what}: ids at step ${step}`);
      for (const [id, want] of Object.entries(EXPECT[step])) {
        const r = m.get(id);
        for (const f of ['input', 'output', 'metadata']) assert.deepEqual(r[f], want[f], `${what}: ${id}.${f} at step ${step}`);
        assert.ok(r._xact_id <= X[step], `${what}: ${id}._xact_id ${r._xact_id} ≤ version ${X[step]}`);
      }
    }

    it('fetch version= (decimal and pretty, GET and POST) returns the state as of that transaction', withLogs(async () => {
      for (const kind of ['experiment', 'dataset']) {
        const oid = objs[kind].id;
        for (let step = 1; step <= 5; step++) {
          for (const version of [X[step], prettyXact(X[step])]) {
            check((await fetchAll(url, key, kind, oid, { version })).rows, step, `${kind} GET version=${version}`);
            check((await fetchAll(url, key, kind, oid, { version, method: 'POST' })).rows, step, `${kind} POST version=${version}`);
          }
        }
        check((await fetchAll(url, key, kind, oid)).rows, 5, `${kind} latest`);
        // Before the first write: nothing.
        assert.deepEqual((await fetchAll(url, key, kind, oid, { version: X.empty })).rows, []);
      }
    }));

    it('BTQL version (decimal and pretty) returns the old state, with filters and cursors', withLogs(async () => {
      for (const kind of ['experiment', 'dataset']) {
        const oid = objs[kind].id;
        for (let step = 1; step <= 5; step++) {
          for (const version of [X[step], prettyXact(X[step])]) {
            check((await btqlAll(url, key, kind, oid, { version })).rows, step, `${kind} btql version=${version}`);
            // Paged one row at a time, the pinned version holds on every page.
            check((await btqlAll(url, key, kind, oid, { version, limit: 1 })).rows, step, `${kind} btql paged version=${version}`);
          }
        }
        const old = await btqlAll(url, key, kind, oid, { version: X[3], filter: ast.eq('id', 'b') });
        assert.deepEqual(old.rows.map((r) => r.input), ['b1'], 'a deleted row is visible at an older version');
        const now = await btqlAll(url, key, kind, oid, { filter: ast.eq('id', 'b') });
        assert.deepEqual(now.rows, []);
      }
    }));

    it('version + cursor on /v1 fetch; the deprecated max_xact_id + max_root_span_id cursor resumes after that key', withLogs(async () => {
      const E = objs.experiment.id;
      const paged = await fetchAll(url, key, 'experiment', E, { version: X[3], limit: 1 });
      assert.equal(paged.pages >= 3, true, `one trace per page: ${paged.pageSizes}`);
      check(paged.rows, 3, 'paged fetch at version 3');
      // Newest first: c (step 3), a (step 2), b (step 1).
      assert.deepEqual(paged.rows.map((r) => r.id), ['c', 'a', 'b']);
      const afterC = ok(await api(url, `/v1/experiment/${E}/fetch`, { key, query: { version: X[3], max_xact_id: paged.rows[0]._xact_id, max_root_span_id: paged.rows[0].root_span_id ?? 'c' } }));
      assert.deepEqual(afterC.events.map((r) => r.id), ['a', 'b'], `resumes after c: ${JSON.stringify(afterC.events.map((r) => r.id))}`);
    }));

    it('/dataset-summary counts the current rows; /xact-id is ≥ every _xact_id and stays put without writes', withLogs(async () => {
      const s = ok(await api(url, '/dataset-summary', { key, query: { dataset_id: objs.dataset.id } }));
      assert.deepEqual(s, { total_records: 2 });
      const { dataset } = await makeObjects(url, key, 'empty');
      assert.deepEqual(ok(await api(url, '/dataset-summary', { key, query: { dataset_id: dataset.id } })), { total_records: 0 });
      const top = await currentXact(url, key);
      assertXact(top);
      for (const kind of ['experiment', 'dataset']) {
        for (const r of (await fetchAll(url, key, kind, objs[kind].id)).rows) assert.ok(top >= r._xact_id);
      }
      assert.equal(top, X[5], 'no write since step 5');
      assert.ok(X[1] < X[2] && X[2] < X[3] && X[3] < X[4] && X[4] < X[5], 'watermark increases with every write');
      assert.ok(X.empty < X[1]);
    }));

    it('a version newer than the watermark reads the current state', withLogs(async () => {
      const future = (BigInt(X[5]) + 1000n).toString();
      check((await fetchAll(url, key, 'experiment', objs.experiment.id, { version: future })).rows, 5, 'future version');
      const pretty = ids((await btqlAll(url, key, 'experiment', objs.experiment.id, { version: prettyXact(future) })).rows);
      assert.deepEqual(pretty, ['a', 'c']);
    }));
  });
}

defineVersionTests('serve', () => startServe());
defineVersionTests('control + data', () => startSplit());

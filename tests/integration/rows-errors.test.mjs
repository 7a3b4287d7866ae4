// Bad input to the row endpoints: a 4xx JSON {Code, Message} and NOTHING
// written (the rows of every object and the /xact-id watermark are unchanged).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, randomSuffix, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, expectError, ok, rawRequest } from '../lib/http.mjs';
import { btqlAst, currentXact, fetchAll, insertRows, makeObjects } from '../lib/rows.mjs';

function defineErrorTests(label, start) {
  describe(`rows: bad input (${label})`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let url;
    let key;
    let objs;
    let E;
    let D;
    let P;
    let foreign; // {experiment, dataset, project} of another org

    before(async () => {
      dep = await start();
      url = dep.dataUrl;
      key = dep.apiKey;
      objs = await makeObjects(url, key, 'err');
      E = objs.experiment.id;
      D = objs.dataset.id;
      P = objs.project.id;
      await insertRows(url, key, 'experiment', E, [{ id: 'e-seed', input: 'seed', scores: { a: 0.5 } }]);
      await insertRows(url, key, 'dataset', D, [{ id: 'd-seed', input: 'seed' }]);
      await insertRows(url, key, 'project_logs', P, [{ id: 'p-seed', input: 'seed' }]);
      const b = await dep.admin(['create-org', '--org-name', uniqueName('err-org-b'), '--user-email', `b-${randomSuffix(3)}@example.test`]);
      foreign = await makeObjects(url, b.api_key, 'err-b');
    });
    after(async () => {
      await dep?.stop();
    });

    async function state() {
      const rows = {};
      for (const [kind, oid] of [['experiment', E], ['dataset', D], ['project_logs', P]]) {
        rows[kind] = (await fetchAll(url, key, kind, oid)).rows;
      }
      return { xact: await currentXact(url, key), rows };
    }

    const send = (path, body, opts = {}) => api(url, path, { key, body, method: 'POST', ...opts });
    const good = (i) => ({ id: `good-${i}`, input: i, scores: { s: 0.5 } });
    const logs3Good = (i) => ({ ...good(i), experiment_id: E });

    // [name, path, body (object or raw string), expected status, message regex?]
    const CASES = () => [
      ['malformed JSON (insert)', `/v1/experiment/${E}/insert`, '{"events": [', 400],
      ['malformed JSON (logs3)', '/logs3', '{"rows": [{"id": 1,]}', 400],
      ['malformed JSON (feedback)', `/v1/experiment/${E}/feedback`, 'not json', 400],
      ['malformed JSON (/v1/insert)', '/v1/insert', '[', 400],
      ['body is an array', `/v1/experiment/${E}/insert`, [good(1)], 400],
      ['events missing', `/v1/experiment/${E}/insert`, {}, 400],
      ['events not an array', `/v1/experiment/${E}/insert`, { events: { id: 'x' } }, 400],
      ['rows not an array (logs3)', '/logs3', { rows: 'x', api_version: 2 }, 400],
      ['rows missing (logs3)', '/logs3', { api_version: 2 }, 400],
      ['rows an object that is not an overflow ref', '/logs3', { rows: { type: 'other', key: 'k' } }, 400],
      ['a row that is not an object', `/v1/experiment/${E}/insert`, { events: [good(1), 42] }, 400, /events\[1\]/],
      ['a logs3 row that is not an object', '/logs3', { rows: [logs3Good(1), ['x']] }, 400, /rows\[1\]/],
      ['score 1.5', `/v1/experiment/${E}/insert`, { events: [{ id: 'x', scores: { accuracy: 1.5 } }] }, 400, /accuracy/],
      ['score -0.1', `/v1/project_logs/${P}/insert`, { events: [{ id: 'x', scores: { a: -0.1 } }] }, 400],
      ['score "x"', `/v1/experiment/${E}/insert`, { events: [{ id: 'x', scores: { a: 'x' } }] }, 400],
      ['scores not an object', `/v1/experiment/${E}/insert`, { events: [{ id: 'x', scores: [1] }] }, 400],
      ['metrics non-number', `/v1/experiment/${E}/insert`, { events: [{ id: 'x', metrics: { start: 'soon' } }] }, 400, /metrics/],
      ['metrics not an object', `/v1/experiment/${E}/insert`, { events: [{ id: 'x', metrics: 5 }] }, 400],
      ['tags not strings', `/v1/experiment/${E}/insert`, { events: [{ id: 'x', tags: ['ok', 1] }] }, 400, /tags/],
      ['tags a string', `/v1/dataset/${D}/insert`, { events: [{ id: 'x', tags: 'a' }] }, 400],
      ['id not a string', `/v1/experiment/${E}/insert`, { events: [{ id: 7 }] }, 400],
      ['metadata not an object', `/v1/experiment/${E}/insert`, { events: [{ id: 'x', metadata: 'm' }] }, 400],
      ['span_parents not strings', `/v1/experiment/${E}/insert`, { events: [{ id: 'x', span_parents: [1] }] }, 400],
      ['_is_merge not a boolean', `/v1/experiment/${E}/insert`, { events: [{ id: 'x', _is_merge: 'yes' }] }, 400],
      ['_merge_paths malformed', `/v1/experiment/${E}/insert`, { events: [{ id: 'x', _is_merge: true, _merge_paths: ['metadata'] }] }, 400],
      ['_array_delete malformed', `/v1/experiment/${E}/insert`, { events: [{ id: 'x', _is_merge: true, _array_delete: [{ path: 'tags' }] }] }, 400],
      ['unknown experiment id (path)', `/v1/experiment/${crypto.randomUUID()}/insert`, { events: [good(1)] }, 404],
      ['malformed object id (path)', '/v1/experiment/not-a-uuid/insert', { events: [good(1)] }, 404],
      ['a project id as a dataset id', `/v1/dataset/${P}/insert`, { events: [good(1)] }, 404],
      ['foreign experiment (path)', () => `/v1/experiment/${foreign.experiment.id}/insert`, { events: [good(1)] }, 404],
      ['foreign dataset feedback', () => `/v1/dataset/${foreign.dataset.id}/feedback`, { feedback: [{ id: 'x', comment: 'c' }] }, 404],
      ['foreign project logs', () => `/v1/project_logs/${foreign.project.id}/insert`, { events: [good(1)] }, 404],
      ['unknown experiment id (logs3)', '/logs3', { rows: [{ id: 'x', experiment_id: crypto.randomUUID() }] }, 404],
      ['foreign experiment id (logs3)', '/logs3', () => ({ rows: [logs3Good(1), { id: 'x', experiment_id: foreign.experiment.id }] }), 404],
      ['foreign project (logs3)', '/logs3', () => ({ rows: [{ id: 'x', project_id: foreign.project.id, log_id: 'g' }] }), 404],
      ['malformed experiment_id (logs3)', '/logs3', { rows: [{ id: 'x', experiment_id: 'nope' }] }, [400, 404]],
      ['a row naming two objects', '/logs3', { rows: [{ id: 'x', experiment_id: E, dataset_id: D }] }, 400, /more than one/],
      ['a row naming no object', '/logs3', { rows: [logs3Good(1), { id: 'x', input: 1 }] }, 400, /rows\[1\]/],
      ['project_id without log_id g', '/logs3', { rows: [{ id: 'x', project_id: P, log_id: 'q' }] }, 400],
      ['one bad row among 100 good ones (logs3)', '/logs3', { rows: [...Array.from({ length: 50 }, (_, i) => logs3Good(i)), { id: 'bad', experiment_id: E, scores: { s: 2 } }, ...Array.from({ length: 49 }, (_, i) => logs3Good(100 + i))] }, 400, /rows\[50\]\.scores/],
      ['one bad row among 100 good ones (insert)', `/v1/experiment/${E}/insert`, { events: [...Array.from({ length: 99 }, (_, i) => good(i)), { id: 'bad', tags: [null] }] }, 400, /events\[99\]/],
      ['/v1/insert: a bad row in one object rejects all objects', '/v1/insert', { experiment: { [E]: { events: [good(1)] } }, dataset: { [D]: { events: [{ id: 'x', metadata: 1 }] } }, project_logs: { [P]: { events: [good(2)] } } }, 400],
      ['/v1/insert: a foreign object rejects all objects', '/v1/insert', () => ({ experiment: { [E]: { events: [good(1)] }, [foreign.experiment.id]: { events: [good(2)] } } }), 404],
      ['/v1/insert: an unknown object type', '/v1/insert', { experiment: { [E]: { events: [good(1)] } }, widgets: {} }, 400],
      ['/v1/insert: events not an array', '/v1/insert', { experiment: { [E]: { events: 'x' } } }, 400],
      ['feedback missing', `/v1/experiment/${E}/feedback`, {}, 400],
      ['feedback without id', `/v1/experiment/${E}/feedback`, { feedback: [{ scores: { a: 1 } }] }, 400],
      ['feedback with a bad score', `/v1/experiment/${E}/feedback`, { feedback: [{ id: 'e-seed', scores: { a: 0.1 } }, { id: 'e-seed', scores: { a: 3 } }] }, 400],
      ['feedback with nothing to record', `/v1/experiment/${E}/feedback`, { feedback: [{ id: 'e-seed' }] }, 400],
      ['feedback with a bad source', `/v1/experiment/${E}/feedback`, { feedback: [{ id: 'e-seed', comment: 'c', source: 'robot' }] }, 400],
      ['feedback comment not a string', `/v1/experiment/${E}/feedback`, { feedback: [{ id: 'e-seed', comment: { text: 'c' } }] }, 400],
      ['scores on dataset feedback', `/v1/dataset/${D}/feedback`, { feedback: [{ id: 'd-seed', scores: { a: 1 } }] }, 400],
      ['api_version not an integer', '/logs3', { rows: [logs3Good(1)], api_version: 'two' }, 400],
      ['unknown overflow key', '/logs3', { rows: { type: 'logs3_overflow', key: 'no-such-key' } }, 404],
    ];

    it('every bad request is a 4xx {Code, Message} naming the problem, and nothing is written', withLogs(async () => {
      const before1 = await state();
      const failures = [];
      for (const [name, pathOrFn, bodyOrFn, status, msg] of CASES()) {
        const path = typeof pathOrFn === 'function' ? pathOrFn() : pathOrFn;
        const body = typeof bodyOrFn === 'function' ? bodyOrFn() : bodyOrFn;
        const opts = typeof body === 'string' ? { headers: { 'Content-Type': 'application/json' } } : {};
        const r = await send(path, body, opts);
        try {
          expectError(r, status, name);
          if (msg) assert.match(r.json.Message, msg, `${name}: message should name the problem`);
        } catch (e) {
          failures.push(`${name}: ${e.message.split('\n')[0]} ${r.text.slice(0, 200)}`);
        }
      }
      assert.deepEqual(failures, [], failures.join('\n'));
      const after1 = await state();
      assert.equal(after1.xact, before1.xact, '/xact-id unchanged: no transaction was committed');
      assert.deepEqual(after1.rows, before1.rows, 'rows unchanged');
    }));

    it('a rejected batch is all-or-nothing even when the good rows come first and span objects', withLogs(async () => {
      const before1 = await state();
      const r = await send('/logs3', {
        rows: [
          { id: 'mix-1', experiment_id: E, input: 1 },
          { id: 'mix-2', dataset_id: D, input: 2 },
          { id: 'mix-3', project_id: P, log_id: 'g', input: 3 },
          { id: 'mix-4', experiment_id: E, metrics: { tokens: 'many' } },
        ],
      });
      expectError(r, 400);
      assert.match(r.json.Message, /rows\[3\]/);
      const after1 = await state();
      assert.deepEqual(after1, before1);
      // The same batch without the bad row is accepted.
      ok(await send('/logs3', { rows: [{ id: 'mix-1', experiment_id: E, input: 1 }, { id: 'mix-2', dataset_id: D, input: 2 }] }));
      assert.ok((await currentXact(url, key)) > before1.xact);
    }));

    it('bad cursors, versions, limits and BTQL are 400 with a JSON error', withLogs(async () => {
      const badCursors = [
        'garbage',
        Buffer.from('{"v":2,"s":"1000000000000000000","k":["1000000000000000000","x"]}').toString('base64url'),
        Buffer.from('{"v":1,"s":"nope","k":["1","x"]}').toString('base64url'),
        Buffer.from('[1,2,3]').toString('base64url'),
        '!!!!',
      ];
      for (const cursor of badCursors) {
        expectError(await api(url, `/v1/experiment/${E}/fetch`, { key, query: { cursor } }), 400, `GET fetch cursor=${cursor}`);
        expectError(await api(url, `/v1/experiment/${E}/fetch`, { key, body: { cursor } }), 400, `POST fetch cursor=${cursor}`);
        expectError(await api(url, '/btql', { key, body: { query: btqlAst('experiment', E, { cursor }) } }), 400, `btql cursor=${cursor}`);
      }
      for (const version of ['abc', '12x', '0x10', '-1', 'ffffffffffffffffff', 'zzzzzzzzzzzzzzzz']) {
        expectError(await api(url, `/v1/experiment/${E}/fetch`, { key, query: { version } }), 400, `GET fetch version=${version}`);
        expectError(await api(url, `/v1/experiment/${E}/fetch`, { key, body: { version } }), 400, `POST fetch version=${version}`);
        expectError(await api(url, '/btql', { key, body: { query: btqlAst('experiment', E), version } }), 400, `btql version=${version}`);
      }
      expectError(await api(url, `/v1/experiment/${E}/fetch`, { key, body: { version: { x: 1 } } }), 400, 'version object');
      expectError(await api(url, `/v1/experiment/${E}/fetch`, { key, query: { limit: -1 } }), 400, 'limit -1');
      expectError(await api(url, `/v1/experiment/${E}/fetch`, { key, query: { limit: 'ten' } }), 400, 'limit ten');
      expectError(await api(url, `/v1/experiment/${E}/fetch`, { key, body: { limit: 'ten' } }), 400, 'POST limit ten');
      expectError(await api(url, `/v1/experiment/${E}/fetch`, { key, query: { max_xact_id: '1000000000000000000' } }), 400, 'max_xact_id without max_root_span_id');
      expectError(await api(url, '/btql', { key, body: { query: btqlAst('experiment', E, { limit: 100_001 }) } }), 400, 'btql limit over 100000');
      expectError(await api(url, '/btql', { key, body: { query: btqlAst('experiment', E, { limit: -5 }) } }), 400, 'btql negative limit');

      // Parse errors carry a position.
      const parse = expectError(await api(url, '/btql', { key, body: { query: `select: * | from: experiment('${E}') | filter: id = ` } }), 400, 'btql parse error');
      assert.match(parse.Message, /line \d+, column \d+/i, `parse error names a position: ${parse.Message}`);
      const parse2 = expectError(await api(url, '/btql', { key, body: { query: `select: * | from: experiment('${E}') | filter: (id = 'x'` } }), 400, 'unbalanced paren');
      assert.match(parse2.Message, /line \d+, column \d+/i);
      const q3 = `from: experiment('${E}') | bogus: 1`;
      const parse3 = expectError(await api(url, '/btql', { key, body: { query: q3 } }), 400, 'unknown clause');
      assert.match(parse3.Message, new RegExp(`line 1, column ${q3.indexOf('bogus') + 1}\\b`), `unknown clause at its column: ${parse3.Message}`);
      const q4 = `select: *\n| from: experiment('${E}')\n| filter: id = 'a' and and`;
      const parse4 = expectError(await api(url, '/btql', { key, body: { query: q4 } }), 400, 'error on line 3');
      assert.match(parse4.Message, /line 3, column \d+/, `multi-line position: ${parse4.Message}`);
      // Unsupported operators / sources / shapes.
      const unsupported = [
        btqlAst('experiment', E, { filter: { op: 'frobnicate', left: { op: 'ident', name: ['id'] }, right: { op: 'literal', value: 1 } } }),
        { ...btqlAst('experiment', E), from: { op: 'function', name: { op: 'ident', name: ['no_such_source'] }, args: [{ op: 'literal', value: E }] } },
        btqlAst('experiment', E, { filter: { op: 'eq', left: { op: 'ident', name: ['id'] } } }),
        btqlAst('experiment', E, { filter: 'id = 1' }),
        { select: [{ op: 'star' }] },
      ];
      for (const q of unsupported) {
        const r = expectError(await api(url, '/btql', { key, body: { query: q } }), 400, `btql ${JSON.stringify(q).slice(0, 120)}`);
        assert.match(r.Message, /BTQL|query|from|filter/i);
      }
      const frob = await api(url, '/btql', { key, body: { query: unsupported[0] } });
      assert.match(frob.json.Message, /frobnicate/, 'the unsupported op is named');
      expectError(await api(url, '/btql', { key, body: {} }), 400, 'btql without query');
      expectError(await api(url, '/btql', { key, body: { query: 42 } }), 400, 'btql query a number');
      expectError(await api(url, '/btql', { key, body: { query: btqlAst('experiment', E), fmt: 'parquet' } }), 400, 'btql fmt');
      expectError(await api(url, '/btql', { key, body: { query: btqlAst('experiment', crypto.randomUUID()) } }), 404, 'btql unknown experiment');
      expectError(await api(url, '/btql', { key, body: { query: btqlAst('experiment', foreign.experiment.id) } }), 404, 'btql foreign experiment');
      expectError(await api(url, `/v1/experiment/${foreign.experiment.id}/fetch`, { key }), 404, 'fetch foreign experiment');
      expectError(await api(url, '/dataset-summary', { key, query: { dataset_id: foreign.dataset.id } }), 404, 'summary foreign dataset');
      expectError(await api(url, '/dataset-summary', { key, query: { dataset_id: crypto.randomUUID() } }), 404, 'summary unknown dataset');
      expectError(await api(url, '/dataset-summary', { key }), 400, 'summary without dataset_id');
    }));

    it('a deleted experiment / project: its rows cannot be written or read (404)', withLogs(async () => {
      const o = await makeObjects(url, key, 'gone');
      await insertRows(url, key, 'experiment', o.experiment.id, [{ id: 'a', input: 1 }]);
      await insertRows(url, key, 'dataset', o.dataset.id, [{ id: 'a', input: 1 }]);
      await insertRows(url, key, 'project_logs', o.project.id, [{ id: 'a', input: 1 }]);
      ok(await api(url, `/v1/experiment/${o.experiment.id}`, { key, method: 'DELETE' }));
      const x0 = await currentXact(url, key);
      expectError(await api(url, `/v1/experiment/${o.experiment.id}/insert`, { key, body: { events: [{ id: 'b' }] } }), 404, 'insert into a deleted experiment');
      expectError(await api(url, '/logs3', { key, body: { rows: [{ id: 'b', experiment_id: o.experiment.id }] } }), 404, 'logs3 into a deleted experiment');
      expectError(await api(url, `/v1/experiment/${o.experiment.id}/fetch`, { key }), 404, 'fetch of a deleted experiment');
      expectError(await api(url, '/btql', { key, body: { query: btqlAst('experiment', o.experiment.id) } }), 404, 'btql of a deleted experiment');
      ok(await api(url, `/v1/project/${o.project.id}`, { key, method: 'DELETE' }));
      expectError(await api(url, `/v1/dataset/${o.dataset.id}/insert`, { key, body: { events: [{ id: 'b' }] } }), 404, 'dataset of a deleted project');
      expectError(await api(url, `/v1/project_logs/${o.project.id}/insert`, { key, body: { events: [{ id: 'b' }] } }), 404, 'logs of a deleted project');
      expectError(await api(url, `/v1/project_logs/${o.project.id}/fetch`, { key }), 404);
      expectError(await api(url, '/dataset-summary', { key, query: { dataset_id: o.dataset.id } }), 404);
      assert.equal(await currentXact(url, key), x0, 'nothing written');
    }));

    it('no key, a wrong key: 401 and nothing written', withLogs(async () => {
      const before1 = await state();
      for (const k of [undefined, 'sk-wrong']) {
        expectError(await api(url, '/logs3', { key: k, body: { rows: [logs3Good(1)] } }), 401, `logs3 key=${k}`);
        expectError(await api(url, `/v1/experiment/${E}/insert`, { key: k, body: { events: [good(1)] } }), 401);
        expectError(await api(url, `/v1/experiment/${E}/fetch`, { key: k }), 401);
        expectError(await api(url, '/btql', { key: k, body: { query: btqlAst('experiment', E) } }), 401);
        expectError(await api(url, '/xact-id', { key: k }), 401);
      }
      assert.deepEqual(await state(), before1);
    }));
  });
}

defineErrorTests('serve', () => startServe());
defineErrorTests('control + data', () => startSplit());

describe('rows: /logs3 payload limit', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  before(async () => {
    dep = await startServe({ env: { TRACEVAULT_LOGS3_PAYLOAD_MAX_BYTES: '4096' } });
  });
  after(async () => {
    await dep?.stop();
  });

  it('/version advertises the limit; a larger /logs3 body is 413 JSON and writes nothing; the flag overrides too', withLogs(async () => {
    const v = ok(await api(dep.url, '/version'));
    assert.equal(v.logs3_payload_max_bytes, 4096);
    const { experiment } = await makeObjects(dep.url, dep.apiKey, 'limit');
    const x0 = await currentXact(dep.url, dep.apiKey);
    const mk = (n) => JSON.stringify({ rows: [{ id: 'big', experiment_id: experiment.id, input: 'x'.repeat(n) }], api_version: 2 });
    const over = mk(4200);
    assert.ok(Buffer.byteLength(over) > 4096);
    const r = await api(dep.url, '/logs3', { key: dep.apiKey, body: over, headers: { 'Content-Type': 'application/json' } });
    expectError(r, 413, '/logs3 over the limit');
    assert.match(r.json.Message, /4096|overflow/i);
    // Chunked (no Content-Length) too.
    const chunked = await rawRequest(dep.url, '/logs3', {
      method: 'POST',
      headers: { Authorization: `Bearer ${dep.apiKey}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: [over.slice(0, 2000), over.slice(2000)],
    });
    assert.equal(chunked.status, 413, chunked.body.toString());
    assert.equal(await currentXact(dep.url, dep.apiKey), x0, 'nothing written');
    assert.deepEqual((await fetchAll(dep.url, dep.apiKey, 'experiment', experiment.id)).rows, []);
    // Just under the limit is fine; other routes keep the general body limit.
    const under = mk(3800);
    assert.ok(Buffer.byteLength(under) <= 4096);
    ok(await api(dep.url, '/logs3', { key: dep.apiKey, body: under, headers: { 'Content-Type': 'application/json' } }), 'under the limit');
    ok(await api(dep.url, `/v1/experiment/${experiment.id}/insert`, { key: dep.apiKey, body: { events: [{ id: 'rest', input: 'y'.repeat(10_000) }] } }), '/v1 insert is not bound by the logs3 limit');
    assert.equal((await fetchAll(dep.url, dep.apiKey, 'experiment', experiment.id)).rows.length, 2);
  }));

  it('--logs3-payload-max-bytes sets the limit', withLogs(async () => {
    const d2 = await startServe({ extraArgs: ['--logs3-payload-max-bytes', '10000'] });
    try {
      assert.equal(ok(await api(d2.url, '/version')).logs3_payload_max_bytes, 10000);
      const { experiment } = await makeObjects(d2.url, d2.apiKey, 'flag');
      const body = JSON.stringify({ rows: [{ id: 'b', experiment_id: experiment.id, input: 'z'.repeat(10_001) }] });
      expectError(await api(d2.url, '/logs3', { key: d2.apiKey, body, headers: { 'Content-Type': 'application/json' } }), 413);
    } finally {
      await d2.stop();
    }
  }));
});

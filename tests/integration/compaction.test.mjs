// Compaction through the HTTP API: the same reads (fetch, BTQL with filters,
// MATCH, traces, snapshots by version) answer identically before
// `tracevault admin compact --wait`, after it, and after a restart; /metrics
// shows the backlog drain; the CLI refuses bad usage.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { BIN, SKIP_NO_BINARY, restartServe, startServe, withLogs } from '../lib/server.mjs';
import { api, ok } from '../lib/http.mjs';
import { btql, fetchAll, insertRows, makeObjects } from '../lib/rows.mjs';

const run = promisify(execFile);

describe('compaction over HTTP', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  before(async () => {
    dep = await startServe({ env: { TRACEVAULT_BACKGROUND_COMPACTION: 'false' } });
  });
  after(async () => {
    await dep?.stop();
  });

  it('answers identically before and after admin compact --wait and a restart', withLogs(async () => {
    let url = dep.dataUrl;
    const key = dep.apiKey;
    const objs = await makeObjects(url, key, 'cmp');
    const E = objs.experiment.id;
    const rows = [];
    for (let t = 0; t < 6; t++) {
      rows.push({ id: `root${t}`, span_id: `root${t}`, root_span_id: `root${t}`, input: { q: `question ${t}` }, output: `Answer number ${t} about Zebras`, scores: { acc: t / 10 } });
      for (let c = 0; c < 3; c++) {
        rows.push({ id: `c${t}-${c}`, span_id: `c${t}-${c}`, root_span_id: `root${t}`, span_parents: [`root${t}`], output: c % 2 ? 'xylophone music' : 'x marks the spot', metadata: { model: c ? 'small' : 'large' } });
      }
    }
    await insertRows(url, key, 'experiment', E, rows.slice(0, 12));
    const v1 = (await fetchAll(url, key, 'experiment', E)).rows[0]._xact_id;
    await insertRows(url, key, 'experiment', E, rows.slice(12));
    await insertRows(url, key, 'experiment', E, [{ id: 'root1', _is_merge: true, metadata: { reviewed: true }, tags: ['good'] }]);
    ok(await api(url, `/v1/experiment/${E}/feedback`, { key, body: { feedback: [{ id: 'root2', comment: 'looks right' }] } }));

    const reads = async () => {
      const out = {};
      out.fetch = (await fetchAll(url, key, 'experiment', E)).rows;
      out.fetchPaged = (await fetchAll(url, key, 'experiment', E, { limit: 2 })).rows;
      out.asOf = (await fetchAll(url, key, 'experiment', E, { version: v1 })).rows;
      for (const [name, q] of Object.entries({
        match: `select: * | from: experiment('${E}') | filter: output MATCH 'zebras'`,
        matchX: `select: * | from: experiment('${E}') | filter: output MATCH 'x'`,
        root: `select: * | from: experiment('${E}') | filter: root_span_id = 'root3'`,
        meta: `select: * | from: experiment('${E}') | filter: metadata.model = 'large'`,
        range: `select: * | from: experiment('${E}') | filter: scores.acc >= 0.3 and scores.acc < 0.5`,
      })) {
        out[name] = ok(await btql(url, key, q), name).data;
      }
      return out;
    };
    const before = await reads();
    assert.equal(before.match.length, 6);
    assert.equal(before.matchX.length, 12, "'x' matches the word x, not xylophone");
    assert.deepEqual(before.range.map((r) => r.id).sort(), ['root3', 'root4']);
    const { stdout } = await run(BIN, ['admin', 'compact', '--url', url, '--api-key', key, '--wait', '--object', `experiment:${E}`]);
    const report = JSON.parse(stdout);
    assert.equal(report.objects, 1);
    assert.ok(report.rows >= rows.length, JSON.stringify(report));
    assert.ok(report.bytes > 0 && report.raw_bytes > 0);
    assert.deepEqual(await reads(), before, 'after compaction');
    const metrics = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${key}` } })).text();
    assert.match(metrics, /tracevault_store_wal_backlog_rows 0/);
    assert.match(metrics, /tracevault_store_indexing_lag_seconds 0/);
    dep = await restartServe(dep);
    url = dep.dataUrl;
    assert.deepEqual(await reads(), before, 'after a restart');
  }));

  it('admin compact refuses bad usage and foreign objects', async () => {
    const bad = await run(BIN, ['admin', 'compact', '--url', dep.dataUrl, '--wait']).catch((e) => e);
    assert.equal(bad.code, 2, 'no API key is a usage error');
    const foreign = await run(BIN, ['admin', 'compact', '--url', dep.dataUrl, '--api-key', dep.apiKey, '--wait',
      '--object', 'experiment:00000000-0000-4000-8000-000000000000']).catch((e) => e);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /404/);
    const malformed = await api(dep.dataUrl, '/v1/admin/compact', { key: dep.apiKey, body: { object_ids: ['nonsense'] } });
    assert.equal(malformed.status, 400);
  });
});

// Undecodable rows in a data directory (docs/storage-format.md, "Quarantine"):
// an older build stored a metadata number outside the double range as the
// text `Infinity`, which is not JSON. The test makes such a data dir for real
// — rows written through the API, compacted and not, then the poisoned WAL
// chunk appended by the test tool tv-store-poison (built beside the server,
// tests/tools/store_poison.cc) while the server is stopped — and checks that
// `tracevault admin quarantine` finds (--dry-run), records and lists it, and
// that the server then serves every other row, reports the quarantine on
// /metrics and purges the object.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { BIN, SKIP_NO_BINARY, runAdmin, startServe, withLogs } from '../lib/server.mjs';
import { api, ok } from '../lib/http.mjs';
import { fetchAll, insertRows, makeObjects } from '../lib/rows.mjs';

const run = promisify(execFile);
const POISON = path.join(path.dirname(BIN), 'tv-store-poison');

function metric(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `/metrics has no ${name}`);
  return Number(line.split(' ')[1]);
}

async function ids(dep, id) {
  const { rows } = await fetchAll(dep.dataUrl, dep.apiKey, 'experiment', id);
  return rows.map((r) => r.id).sort();
}

describe('quarantine of undecodable rows', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  let expA;
  let expB;
  let orgId;
  before(async () => {
    assert.ok(fs.existsSync(POISON), `${POISON} is missing: build the tv-store-poison target`);
    dep = await startServe({ env: { TRACEVAULT_BACKGROUND_COMPACTION: 'false' } });
    const url = dep.dataUrl;
    const key = dep.apiKey;
    orgId = ok(await api(url, '/api/apikey/login', { method: 'POST', key })).org_info[0].id;
    const objs = await makeObjects(url, key, 'quarantine');
    expA = objs.experiment;
    expB = ok(await api(url, '/v1/experiment', { key, body: { project_id: objs.project.id, name: `${expA.name}-b` } }));
    await insertRows(url, key, 'experiment', expA.id, [{ id: 'a1', input: 'one' }, { id: 'a2', input: 'two' }]);
    await insertRows(url, key, 'experiment', expB.id, [{ id: 'b1', input: 'bee' }]);
    // Part of A in a segment, part in the WAL.
    await run(BIN, ['admin', 'compact', '--url', url, '--api-key', key, '--wait']);
    await insertRows(url, key, 'experiment', expA.id, [{ id: 'a3', input: 'three', metadata: { n: 3 } }]);
  });
  after(async () => {
    await dep?.stop();
  });

  it('refuses to run while a server uses the data dir', withLogs(async () => {
    const r = await runAdmin(dep.dataDir, ['quarantine', '--dry-run']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /stop it first/);
  }));

  it('finds, records and lists the poisoned row; the server serves the rest', withLogs(async () => {
    const dataDir = dep.dataDir;
    const opts = { ...dep.opts, dataDir, tmpDir: dep.tmpDir, apiKey: dep.apiKey };
    await dep.stop({ keepTmp: true });
    dep = null;
    const { stdout: chunk } = await run(POISON, [dataDir, `experiment:${expA.id}`, orgId, expA.project_id, 'poison']);
    assert.match(chunk.trim(), /^wal\/\d{19}-0badc0de\.tvwal$/);

    const dry = await runAdmin(dataDir, ['quarantine', '--dry-run']);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.equal(dry.json.recorded, false);
    assert.equal(dry.json.undecodable_rows, 1);
    assert.equal(dry.json.objects_with_undecodable_rows, 1);
    assert.equal(dry.json.rows[0].object_id, `experiment:${expA.id}`);
    assert.equal(dry.json.rows[0].source_key, chunk.trim());
    const listedBefore = await runAdmin(dataDir, ['quarantine', '--list']);
    assert.equal(listedBefore.json.recorded, 0, 'a dry run records nothing');

    const fix = await runAdmin(dataDir, ['quarantine']);
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    assert.equal(fix.json.recorded, true);
    assert.equal(fix.json.undecodable_rows, 1);
    assert.deepEqual(fix.json.errors, []);

    const listed = await runAdmin(dataDir, ['quarantine', '--list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.json.recorded, 1);
    const rec = listed.json.rows[0];
    assert.equal(rec.object_id, `experiment:${expA.id}`);
    assert.equal(rec.position, 0);
    assert.match(rec.reason, /not JSON/);
    assert.ok(rec.raw.includes('"metadata":{"n":Infinity}'), rec.raw);
    assert.ok(rec.raw.includes('"id":"poison"'), rec.raw);

    dep = await startServe(opts);
    assert.deepEqual(await ids(dep, expA.id), ['a1', 'a2', 'a3', 'poison-ok']);
    assert.deepEqual(await ids(dep, expB.id), ['b1']);
    const btql = ok(await api(dep.dataUrl, '/btql', {
      key: dep.apiKey,
      body: { query: `select: id | from: experiment('${expA.id}') | filter: metadata.n = 1`, fmt: 'json' },
    }));
    assert.deepEqual(btql.data.map((r) => r.id), ['poison-ok']);
    const metrics = await api(dep.dataUrl, '/metrics', { key: dep.apiKey });
    assert.equal(metric(metrics.text, 'tracevault_store_quarantined_rows'), 1);
    assert.equal(metric(metrics.text, 'tracevault_compaction_failing_objects'), 0);
    assert.equal(metric(metrics.text, 'tracevault_store_wal_backlog_rows'), 0, 'the repair compacted the object');
  }));

  it('purges the object, its quarantined row included', withLogs(async () => {
    const r = ok(await api(dep.dataUrl, `/v1/experiment/${expA.id}/purge`, { key: dep.apiKey, body: { all: true } }));
    assert.ok(r.versions_removed >= 4, JSON.stringify(r));
    assert.deepEqual(await ids(dep, expA.id), []);
    assert.deepEqual(await ids(dep, expB.id), ['b1']);
    const metrics = await api(dep.dataUrl, '/metrics', { key: dep.apiKey });
    assert.equal(metric(metrics.text, 'tracevault_store_quarantined_rows'), 0);
  }));
});

// Purge (GDPR): POST /v1/{object}/{id}/purge removes rows for good. A unique
// string written into a row, a comment on it, a later merge and an attachment
// — some compacted into segments, some still in the WAL — must be gone from
// every file the store wrote (the local object folder, and s3rver's data
// folder on S3) once the purge answers; other rows stay intact; bad input is
// a 4xx that changes nothing. The servers run with store compression off so
// that grepping the bytes is meaningful (compressed bytes would hide the
// string either way).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { BIN, SKIP_NO_BINARY, randomSuffix, restartServe, startServe, uniqueName, withLogs } from '../lib/server.mjs';
import { api, expectError, ok, rawRequest } from '../lib/http.mjs';
import { byId, currentXact, fetchAll, insertRows, makeObjects } from '../lib/rows.mjs';

const run = promisify(execFile);

// Every file under `dir` whose bytes contain `needle`.
function grep(dir, needle) {
  const hits = [];
  const want = Buffer.from(needle);
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.readFileSync(p).includes(want)) hits.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return hits;
}

async function compact(dep) {
  const { stdout } = await run(BIN, ['admin', 'compact', '--url', dep.dataUrl, '--api-key', dep.apiKey, '--wait']);
  return JSON.parse(stdout);
}

function definePurgeTests(label, { env = {}, storeDirs }) {
  describe(`purge: ${label}`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let url;
    let key;
    let orgId;
    before(async () => {
      dep = await startServe({
        env: { TRACEVAULT_STORE_COMPRESSION: 'false', TRACEVAULT_BACKGROUND_COMPACTION: 'false', ...env },
      });
      url = dep.dataUrl;
      key = dep.apiKey;
      orgId = ok(await api(url, '/api/apikey/login', { method: 'POST', key })).org_info[0].id;
    });
    after(async () => {
      await dep?.stop();
    });
    const dirs = () => storeDirs(dep);
    const found = (needle) => dirs().flatMap((d) => grep(d, needle));

    it('removes a row, its history, comments and attachment from every file; keeps the rest', withLogs(async () => {
      const objs = await makeObjects(url, key, 'purge');
      const E = objs.experiment.id;
      const secret = `zsecret${randomSuffix(8)}`;
      const keep = `zkeep${randomSuffix(8)}`;
      // An attachment whose bytes carry the secret.
      const attKey = crypto.randomUUID();
      const att = ok(await api(url, '/attachment', { key, body: { key: attKey, filename: 'a.txt', content_type: 'text/plain', org_id: orgId } }));
      const target = new URL(att.signedUrl);
      const body = Buffer.from(`attachment ${secret} bytes`);
      const up = await rawRequest(target.origin, target.pathname, { method: 'PUT', headers: { 'Content-Length': String(body.length), ...att.headers }, body });
      assert.ok(up.status < 300, `PUT attachment: ${up.status}`);
      ok(await api(url, '/attachment/status', { key, body: { key: attKey, org_id: orgId, status: { upload_status: 'done' } } }));

      await insertRows(url, key, 'experiment', E, [
        { id: 'p1', input: `tell me about ${secret}`, output: 'ok', metadata: { note: secret },
          attachment: { type: 'braintrust_attachment', key: attKey, filename: 'a.txt', content_type: 'text/plain' } },
        { id: 'k1', input: `keep ${keep}`, output: 'fine' },
      ]);
      ok(await api(url, `/v1/experiment/${E}/feedback`, { key, body: { feedback: [{ id: 'p1', comment: `remember ${secret}`, scores: { s: 1 } }] } }));
      const report = await compact(dep);
      assert.ok(report.segments_written >= 1, `compaction wrote a segment: ${JSON.stringify(report)}`);
      // After compaction: a merge of p1 and a new row in the same request, in the WAL.
      await insertRows(url, key, 'experiment', E, [
        { id: 'p1', _is_merge: true, output: `merged ${secret}` },
        { id: 'k2', input: `also ${keep}`, output: 'two' },
      ]);
      assert.ok(found(secret).length >= 2, `the secret is visible in the store's bytes before the purge: ${found(secret)}`);

      const x0 = await currentXact(url, key);
      const receipt = ok(await api(url, `/v1/experiment/${E}/purge`, { key, body: { ids: ['p1'] } }), 'purge');
      assert.equal(receipt.object_id, `experiment:${E}`);
      assert.ok(receipt.ids.includes('p1'));
      assert.ok(receipt.ids.length >= 2, `the comment on p1 goes too: ${JSON.stringify(receipt.ids)}`);
      assert.ok(receipt.versions_removed >= 3, JSON.stringify(receipt));
      assert.ok(receipt.segments_rewritten >= 1 && receipt.chunks_rewritten >= 1, JSON.stringify(receipt));
      assert.deepEqual(receipt.attachment_keys, [attKey]);
      assert.equal(receipt.attachments_deleted, 1);
      assert.ok(receipt.objects_deleted >= 2 && receipt.bytes_deleted > 0, JSON.stringify(receipt));
      assert.equal(await currentXact(url, key), x0, 'a purge is not a write');

      assert.deepEqual(found(secret), [], 'no file of the store holds the purged string');
      const rows = byId((await fetchAll(url, key, 'experiment', E)).rows);
      assert.ok(!rows.has('p1'));
      assert.equal(rows.get('k1').input, `keep ${keep}`);
      assert.equal(rows.get('k2').input, `also ${keep}`);
      const gone = await api(url, '/attachment', { key, query: { key: attKey, org_id: orgId, filename: 'a.txt', content_type: 'text/plain' } });
      assert.ok(gone.status === 404 || gone.json?.status?.upload_status !== 'done', `attachment status after purge: ${gone.status} ${gone.text}`);

      // Still gone after compaction and a restart; the rest unchanged.
      await compact(dep);
      dep = await restartServe(dep);
      const after = byId((await fetchAll(dep.dataUrl, key, 'experiment', E)).rows);
      assert.deepEqual([...after.keys()].sort(), ['k1', 'k2']);
      assert.deepEqual(found(secret), []);
      assert.ok(found(keep).length >= 1, 'kept rows are still stored');
    }));

    it('refuses bad purges with a 4xx and changes nothing', withLogs(async () => {
      const objs = await makeObjects(dep.dataUrl, key, 'purge-bad');
      const E = objs.experiment.id;
      await insertRows(dep.dataUrl, key, 'experiment', E, [{ id: 'a', input: 'x' }]);
      const before = (await fetchAll(dep.dataUrl, key, 'experiment', E)).rows;
      const p = (b) => api(dep.dataUrl, `/v1/experiment/${E}/purge`, { key, body: b });
      expectError(await p({}), 400, 'empty body');
      expectError(await p({ ids: [] }), 400, 'no ids');
      expectError(await p({ ids: ['a'], all: true }), 400, 'ids and all');
      expectError(await p({ ids: [''] }), 400, 'empty id');
      expectError(await p({ ids: 'a' }), 400, 'ids not a list');
      expectError(await p({ ids: ['a'], extra: 1 }), 400, 'unknown field');
      expectError(await api(dep.dataUrl, `/v1/experiment/${crypto.randomUUID()}/purge`, { key, body: { ids: ['a'] } }), 404, 'unknown experiment');
      const b = await dep.admin(['create-org', '--org-name', uniqueName('purge-b'), '--user-email', `pb-${randomSuffix(3)}@example.test`]);
      expectError(await api(dep.dataUrl, `/v1/experiment/${E}/purge`, { key: b.api_key, body: { all: true } }), 404, 'another org');
      assert.deepEqual((await fetchAll(dep.dataUrl, key, 'experiment', E)).rows, before);
    }));

    it('purges a whole object with {"all": true}', withLogs(async () => {
      const objs = await makeObjects(dep.dataUrl, key, 'purge-all');
      const L = objs.project.id;
      const word = `zall${randomSuffix(8)}`;
      await insertRows(dep.dataUrl, key, 'project_logs', L, [{ id: 'l1', input: word }, { id: 'l2', output: word }]);
      await compact(dep);
      await insertRows(dep.dataUrl, key, 'project_logs', L, [{ id: 'l3', input: word }]);
      const receipt = ok(await api(dep.dataUrl, `/v1/project_logs/${L}/purge`, { key, body: { all: true } }));
      assert.equal(receipt.all, true);
      assert.ok(receipt.versions_removed >= 3, JSON.stringify(receipt));
      assert.deepEqual((await fetchAll(dep.dataUrl, key, 'project_logs', L)).rows, []);
      assert.deepEqual(found(word), []);
      // The object still takes writes.
      await insertRows(dep.dataUrl, key, 'project_logs', L, [{ id: 'l4', input: 'after' }]);
      assert.deepEqual((await fetchAll(dep.dataUrl, key, 'project_logs', L)).rows.map((r) => r.id), ['l4']);
    }));
  });
}

definePurgeTests('local object store', { storeDirs: (dep) => [path.join(dep.dataDir, 'data')] });

const endpoint = process.env.TV_TEST_S3_ENDPOINT;
const s3Data = process.env.TV_TEST_S3_DATA_DIR;
if (endpoint && s3Data) {
  const bucketPrefix = `purge-${randomSuffix(4)}`;
  definePurgeTests('S3 (s3rver)', {
    env: {
      TRACEVAULT_OBJECT_STORE: `s3://tv-purge/${bucketPrefix}`,
      TRACEVAULT_S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
    storeDirs: (dep) => [path.join(dep.dataDir, 'data'), s3Data],
  });
} else {
  describe('purge: S3 (s3rver)', () => {
    it('needs TV_TEST_S3_ENDPOINT and TV_TEST_S3_DATA_DIR (scripts/test.sh starts s3rver)', { skip: 'no S3 endpoint' }, () => {});
  });
}

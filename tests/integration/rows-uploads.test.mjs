// Signed uploads by raw HTTP: the /logs3 overflow flow (POST /logs3/overflow →
// PUT signedUrl → POST /logs3 {rows:{type:"logs3_overflow",key}}) and
// attachments (POST /attachment → PUT → POST /attachment/status → GET
// /attachment → GET downloadUrl). The servers run with a small logs3 limit so
// the overflow path is the only way in for a large batch.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, randomSuffix, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, expectError, ok, rawRequest } from '../lib/http.mjs';
import { byId, currentXact, fetchAll, makeObjects, waitForAccessLog } from '../lib/rows.mjs';

const LIMIT = 8192;

function defineUploadTests(label, start) {
  describe(`signed uploads: ${label}`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let url;
    let key;
    let objs;
    let orgId;
    let foreign; // {key, orgId, experiment}

    before(async () => {
      dep = await start({ env: { TRACEVAULT_LOGS3_PAYLOAD_MAX_BYTES: String(LIMIT) } });
      url = dep.dataUrl;
      key = dep.apiKey;
      objs = await makeObjects(url, key, 'up');
      orgId = ok(await api(dep.appUrl, '/api/apikey/login', { method: 'POST', key })).org_info[0].id;
      const b = await dep.admin(['create-org', '--org-name', uniqueName('up-org-b'), '--user-email', `b-${randomSuffix(3)}@example.test`]);
      foreign = { key: b.api_key, orgId: b.org_id, ...(await makeObjects(url, b.api_key, 'up-b')) };
    });
    after(async () => {
      await dep?.stop();
    });

    const split = (u) => [new URL(u).origin, new URL(u).pathname + new URL(u).search];
    const put = (u, body, headers = {}) => rawRequest(...split(u), { method: 'PUT', headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers }, body });
    const get = (u) => rawRequest(...split(u));
    function assertSignedUrl(u) {
      const parsed = new URL(u);
      assert.equal(parsed.origin, new URL(url).origin, `signed URL ${u} points at the data plane`);
      assert.match(parsed.pathname, /^\/upload\/[0-9a-f]{64}$/, `signed URL path: ${parsed.pathname}`);
    }

    it('overflow: a batch above the logs3 limit goes in through the signed upload, byte-exact, once', withLogs(async () => {
      const E = objs.experiment.id;
      const P = objs.project.id;
      const big = `<<${crypto.randomBytes(12_000).toString('base64')}>>`;
      const rows = [
        { id: 'ov-1', experiment_id: E, input: big, output: 'é ✓ 😀', scores: { s: 1 } },
        { id: 'ov-2', project_id: P, log_id: 'g', input: 'log row' },
      ];
      const payload = JSON.stringify({ rows, api_version: 2 });
      assert.ok(Buffer.byteLength(payload) > LIMIT);
      expectError(await api(url, '/logs3', { key, body: payload, headers: { 'Content-Type': 'application/json' } }), 413, 'direct /logs3');

      const ov = ok(await api(url, '/logs3/overflow', {
        key,
        body: { content_type: 'application/json', size_bytes: Buffer.byteLength(payload), rows: [{ object_ids: { experiment_id: E }, is_delete: false, input_row: { byte_size: 100 } }, { object_ids: { project_id: P, log_id: 'g' } }] },
      }), '/logs3/overflow');
      assert.equal(ov.method, 'PUT');
      assertSignedUrl(ov.signedUrl);
      assert.equal(typeof ov.key, 'string');
      assert.ok(ov.key.length > 0);
      assert.ok(ov.headers && typeof ov.headers === 'object');

      // Referencing the key before the upload: refused, nothing written.
      const x0 = await currentXact(url, key);
      expectError(await api(url, '/logs3', { key, body: { rows: { type: 'logs3_overflow', key: ov.key }, api_version: 2 } }), 400, 'overflow ref before upload');
      // The upload takes no key; the headers the server gave are enough.
      const up = await put(ov.signedUrl, payload, ov.headers);
      assert.ok(up.status >= 200 && up.status < 300, `PUT signedUrl: ${up.status} ${up.body}`);
      assert.equal(await currentXact(url, key), x0, 'an upload alone writes no rows');

      const done = ok(await api(url, '/logs3', { key, body: { rows: { type: 'logs3_overflow', key: ov.key }, api_version: 2 } }), 'overflow ref');
      assert.deepEqual(done.row_ids, ['ov-1', 'ov-2']);
      const e = byId((await fetchAll(url, key, 'experiment', E)).rows);
      assert.ok(e.get('ov-1').input === big, 'input byte-exact');
      assert.equal(e.get('ov-1').output, 'é ✓ 😀');
      const p = byId((await fetchAll(url, key, 'project_logs', P)).rows);
      assert.equal(p.get('ov-2').input, 'log row');
      assert.equal(e.get('ov-1')._xact_id, p.get('ov-2')._xact_id, 'one overflow payload = one transaction');

      // The key is consumed: a replay is refused and writes nothing.
      const x1 = await currentXact(url, key);
      const replay = await api(url, '/logs3', { key, body: { rows: { type: 'logs3_overflow', key: ov.key }, api_version: 2 } });
      assert.ok([400, 404].includes(replay.status), `replayed overflow key: ${replay.status} ${replay.text}`);
      assert.equal(await currentXact(url, key), x1);
      // Another org cannot use A's key either (checked before consumption in tenancy.test.mjs).
    }));

    it('overflow: bad payloads and bad requests are refused and write nothing', withLogs(async () => {
      const E = objs.experiment.id;
      const x0 = await currentXact(url, key);
      const mk = async (content_type = 'application/json') => ok(await api(url, '/logs3/overflow', { key, body: { content_type, size_bytes: 10, rows: [{ object_ids: { experiment_id: E } }] } }));
      // Not JSON.
      const a = await mk();
      const pa = await put(a.signedUrl, 'this is not json', a.headers);
      assert.ok(pa.status >= 200 && pa.status < 300, `PUT: ${pa.status}`);
      expectError(await api(url, '/logs3', { key, body: { rows: { type: 'logs3_overflow', key: a.key } } }), 400, 'non-JSON payload');
      // JSON without a rows array.
      const b = await mk();
      await put(b.signedUrl, JSON.stringify({ rows: 'nope' }), b.headers);
      expectError(await api(url, '/logs3', { key, body: { rows: { type: 'logs3_overflow', key: b.key } } }), 400, 'payload without rows');
      // A payload with one bad row.
      const c = await mk();
      await put(c.signedUrl, JSON.stringify({ rows: [{ id: 'ok', experiment_id: E }, { id: 'bad', experiment_id: E, scores: { s: 7 } }] }), c.headers);
      expectError(await api(url, '/logs3', { key, body: { rows: { type: 'logs3_overflow', key: c.key } } }), 400, 'payload with a bad row');
      // A payload naming an experiment of another org.
      const d = await mk();
      await put(d.signedUrl, JSON.stringify({ rows: [{ id: 'x', experiment_id: foreign.experiment.id }] }), d.headers);
      expectError(await api(url, '/logs3', { key, body: { rows: { type: 'logs3_overflow', key: d.key } } }), 404, 'payload naming a foreign object');
      // Unknown key; malformed references.
      expectError(await api(url, '/logs3', { key, body: { rows: { type: 'logs3_overflow', key: crypto.randomUUID() } } }), 404, 'unknown key');
      expectError(await api(url, '/logs3', { key, body: { rows: { type: 'logs3_overflow' } } }), 400, 'no key');
      expectError(await api(url, '/logs3', { key, body: { rows: { type: 'logs3_overflow', key: 5 } } }), 400, 'key not a string');
      // /logs3/overflow request validation.
      expectError(await api(url, '/logs3/overflow', { key, body: { rows: 'x' } }), 400, 'rows not an array');
      expectError(await api(url, '/logs3/overflow', { key, body: { rows: [{}] } }), 400, 'row without object_ids');
      expectError(await api(url, '/logs3/overflow', { key, body: { rows: [{ object_ids: { experiment_id: crypto.randomUUID() } }] } }), 404, 'unknown object');
      expectError(await api(url, '/logs3/overflow', { key, body: { rows: [{ object_ids: { experiment_id: foreign.experiment.id } }] } }), 404, 'foreign object');
      ok(await api(url, '/logs3/overflow', { key, body: { rows: [{ object_ids: { experiment_id: E } }] } }), 'a minimal overflow request');
      assert.equal(await currentXact(url, key), x0, 'nothing written');
      assert.deepEqual((await fetchAll(url, key, 'experiment', E)).rows.filter((r) => ['ok', 'bad', 'x'].includes(r.id)), []);
    }));

    it('attachments: request an upload URL, PUT the bytes, mark done, read the status and download the exact bytes', withLogs(async () => {
      const attKey = crypto.randomUUID();
      const bytes = Buffer.concat([crypto.randomBytes(50_000), Buffer.from([0, 255, 10, 13])]);
      const req = ok(await api(url, '/attachment', { key, body: { key: attKey, filename: 'pic.png', content_type: 'image/png', org_id: orgId } }), 'POST /attachment');
      assertSignedUrl(req.signedUrl);
      assert.ok(req.headers && typeof req.headers === 'object', 'headers is required by the SDK');
      // Before the upload: not done.
      const pending = ok(await api(url, '/attachment', { key, query: { key: attKey, org_id: orgId, filename: 'pic.png', content_type: 'image/png' } }));
      assert.equal(pending.status.upload_status, 'uploading');
      const up = await put(req.signedUrl, bytes, req.headers);
      assert.ok(up.status >= 200 && up.status < 300, `PUT: ${up.status} ${up.body}`);
      assert.deepEqual(ok(await api(url, '/attachment/status', { key, body: { key: attKey, org_id: orgId, status: { upload_status: 'done' } } })), { status: 'success' });
      const meta = ok(await api(url, '/attachment', { key, query: { key: attKey, org_id: orgId, filename: 'pic.png', content_type: 'image/png' } }));
      assert.deepEqual(meta.status, { upload_status: 'done' });
      assertSignedUrl(meta.downloadUrl);
      const dl = await get(meta.downloadUrl);
      assert.equal(dl.status, 200);
      assert.ok(dl.body.equals(bytes), `downloaded ${dl.body.length} bytes, uploaded ${bytes.length}`);
      assert.match(dl.headers['content-type'] ?? '', /^image\/png/);
      // No key needed for the signed URLs; the data plane logged the PUT, without its token.
      const logged = await waitForAccessLog(dep, (l) => l.method === 'PUT' && l.request_id === up.headers['x-request-id']);
      assert.equal(logged[0]?.path, '/upload/[redacted]');
      assert.equal(logged.length, 1, 'the PUT reached the server once');
      assert.ok(logged[0].status >= 200 && logged[0].status < 300);

      // The download URL cannot be used to upload, the upload URL cannot download.
      const overwrite = await put(meta.downloadUrl, Buffer.from('evil'));
      assert.ok([403, 405].includes(overwrite.status), `PUT to a download URL: ${overwrite.status}`);
      const readUpload = await get(req.signedUrl);
      assert.ok([403, 405].includes(readUpload.status), `GET of an upload URL: ${readUpload.status}`);
      const again = await get(meta.downloadUrl);
      assert.ok(again.body.equals(bytes), 'bytes unchanged after the refused PUT');
      // Unknown tokens.
      const unknown = `${new URL(url).origin}/upload/${crypto.randomBytes(32).toString('hex')}`;
      assert.equal((await get(unknown)).status, 404);
      assert.equal((await put(unknown, Buffer.from('x'))).status, 404);
      assert.equal((await get(`${new URL(url).origin}/upload/short`)).status, 404);
    }));

    it('attachments: error status, unknown keys, bad requests, other orgs', withLogs(async () => {
      const k2 = crypto.randomUUID();
      ok(await api(url, '/attachment', { key, body: { key: k2, filename: 'f.txt', content_type: 'text/plain', org_id: orgId } }));
      ok(await api(url, '/attachment/status', { key, body: { key: k2, org_id: orgId, status: { upload_status: 'error', error_message: 'disk on fire' } } }));
      const meta = ok(await api(url, '/attachment', { key, query: { key: k2, org_id: orgId } }));
      assert.deepEqual(meta.status, { upload_status: 'error', error_message: 'disk on fire' });

      expectError(await api(url, '/attachment', { key, query: { key: crypto.randomUUID(), org_id: orgId } }), 404, 'unknown attachment key');
      expectError(await api(url, '/attachment', { key, query: { org_id: orgId } }), 400, 'no key');
      expectError(await api(url, '/attachment', { key, body: { filename: 'x', org_id: orgId } }), 400, 'POST without key');
      expectError(await api(url, '/attachment', { key, body: { key: '../escape', org_id: orgId } }), 400, 'key with a path');
      expectError(await api(url, '/attachment', { key, body: { key: 'a/b', org_id: orgId } }), 400, 'key with a slash');
      expectError(await api(url, '/attachment/status', { key, body: { key: k2, org_id: orgId, status: { upload_status: 'maybe' } } }), 400, 'bad status');
      expectError(await api(url, '/attachment/status', { key, body: { key: k2, org_id: orgId } }), 400, 'no status');
      expectError(await api(url, '/attachment/status', { key, body: { key: crypto.randomUUID(), org_id: orgId, status: { upload_status: 'done' } } }), 404, 'status of an unknown key');
      // Another org's id: not found, for every attachment route.
      expectError(await api(url, '/attachment', { key, body: { key: crypto.randomUUID(), org_id: foreign.orgId } }), 404, 'POST /attachment in another org');
      expectError(await api(url, '/attachment', { key: foreign.key, query: { key: k2, org_id: orgId } }), 404, "B reads A's attachment");
      expectError(await api(url, '/attachment/status', { key: foreign.key, body: { key: k2, org_id: orgId, status: { upload_status: 'done' } } }), 404, "B marks A's attachment");
      // B's own attachment with the same key is a different one.
      ok(await api(url, '/attachment', { key: foreign.key, body: { key: k2, filename: 'b.txt', org_id: foreign.orgId } }));
      const still = ok(await api(url, '/attachment', { key, query: { key: k2, org_id: orgId } }));
      assert.equal(still.status.upload_status, 'error', "B's attachment with the same key does not touch A's");
      // No key at all.
      expectError(await api(url, '/attachment', { body: { key: crypto.randomUUID(), org_id: orgId } }), 401);
      expectError(await api(url, '/logs3/overflow', { body: { rows: [] } }), 401);
    }));
  });
}

defineUploadTests('serve', (o) => startServe(o));
defineUploadTests('control + data', (o) => startSplit(o));

// Cross-cutting HTTP contract: info routes, auth-before-routing, error shape,
// request ids, gzip, body limits, malformed input, unknown ids.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, client, expectError, expectStatus, ok, rawRequest } from '../lib/http.mjs';

const MAX_BODY = 4096;

// Targets: serve; control+data through the data-plane URL; through the control-plane URL.
const TARGETS = [
  ['serve', () => startServe({ maxBodyBytes: MAX_BODY }), (d) => d.url],
  ['control + data, via data-plane URL', () => startSplit({ maxBodyBytes: MAX_BODY }), (d) => d.dataUrl],
  ['control + data, via control-plane URL', () => startSplit({ maxBodyBytes: MAX_BODY }), (d) => d.controlUrl],
];

for (const [label, start, pickUrl] of TARGETS) describe(`basic HTTP contract (${label})`, { skip: SKIP_NO_BINARY }, () => {
  let dep;
  let srv; // {url, apiKey}
  let c;
  before(async () => {
    dep = await start();
    srv = { url: pickUrl(dep), apiKey: dep.apiKey };
    c = client(srv.url, srv.apiKey);
  });
  after(async () => {
    await dep?.stop();
  });

  it('GET /health → 200 {"status":"ok"} without auth', withLogs(async () => {
    const r = await api(srv.url, '/health');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json?.status, 'ok', r.text);
  }));

  it('GET /version → version + logs3_payload_max_bytes (the /logs3 limit on a data plane, null on a control plane) without auth', withLogs(async () => {
    const r = await api(srv.url, '/version');
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json && typeof r.json === 'object', r.text);
    assert.ok('version' in r.json, `no "version" key: ${r.text}`);
    assert.equal(typeof r.json.version, 'string', r.text);
    assert.ok('logs3_payload_max_bytes' in r.json, `no logs3_payload_max_bytes key: ${r.text}`);
    const expected = r.json.role === 'control' ? null : 6 * 1024 * 1024;
    assert.equal(r.json.logs3_payload_max_bytes, expected, r.text);
  }));

  it('GET /v1 → 200 "Hello, World!" without auth', withLogs(async () => {
    const r = await api(srv.url, '/v1');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text.trim(), 'Hello, World!');
  }));

  it('auth runs before routing: missing/bad credentials → 401 JSON on known and unknown paths', withLogs(async () => {
    const targets = [
      ['GET', '/v1/project'],
      ['GET', '/v1/nonexistent'],
      ['GET', '/nonexistent/path'],
      ['POST', '/v1/nonexistent'],
      ['GET', `/v1/project/${crypto.randomUUID()}`],
      ['GET', '/v1/organization'],
      ['GET', '/v1/api_key'],
      ['POST', '/api/apikey/login'],
      ['POST', '/api/project/register'],
      ['POST', '/logs3'],
      ['POST', '/btql'],
    ];
    const creds = [
      [undefined, 'no Authorization'],
      ['Bearer sk-definitely-not-a-key', 'unknown bearer key'],
      ['Basic dXNlcjpwYXNz', 'Basic scheme'],
      ['Bearer', 'empty bearer'],
      [`Bearer ${srv.apiKey}x`, 'good key with suffix'],
    ];
    for (const [method, path] of targets) {
      for (const [auth, label] of creds) {
        const headers = auth ? { Authorization: auth } : {};
        const body = method === 'POST' ? '{}' : undefined;
        if (body) headers['Content-Type'] = 'application/json';
        const r = await api(srv.url, path, { method, headers, body });
        expectError(r, 401, `${method} ${path} with ${label}:`);
      }
    }
  }));

  it('plain OPTIONS (not a CORS preflight) still needs auth', withLogs(async () => {
    const r = await api(srv.url, '/v1/project', { method: 'OPTIONS' });
    expectError(r, 401, 'OPTIONS /v1/project without Origin/ACRM:');
  }));

  it('unauthenticated exemptions are not 401: /v1, /version, /health, preflight, /upload/...', withLogs(async () => {
    for (const p of ['/v1', '/version', '/health']) {
      const r = await api(srv.url, p);
      assert.equal(r.status, 200, `${p}: ${r.status} ${r.text}`);
    }
    const pre = await api(srv.url, '/v1/project', {
      method: 'OPTIONS',
      headers: { Origin: 'http://origin.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.notEqual(pre.status, 401, `preflight got 401: ${pre.text}`);
    const up = await api(srv.url, `/upload/${crypto.randomBytes(16).toString('hex')}`, {
      method: 'PUT',
      body: 'hello',
      headers: { 'Content-Type': 'text/plain' },
    });
    assert.notEqual(up.status, 401, `PUT /upload/<token> without auth got 401: ${up.text}`);
  }));

  it('with a good key, unknown paths → 404 JSON', withLogs(async () => {
    expectError(await c.get('/v1/nonexistent'), 404, 'GET /v1/nonexistent:');
    expectError(await c.post('/v1/nonexistent', {}), 404, 'POST /v1/nonexistent:');
    expectError(await c.get('/definitely/not/a/route'), 404, 'GET /definitely/not/a/route:');
    expectError(await c.post('/api/nonexistent/thing', {}), 404, 'POST /api/nonexistent/thing:');
  }));

  it('x-request-id on every response; a sane client id is echoed', withLogs(async () => {
    const responses = [
      await api(srv.url, '/health'),
      await api(srv.url, '/v1/project'), // 401
      await c.get('/v1/nonexistent'), // 404
      await c.get('/v1/project'), // 200
      await c.post('/v1/project', '{bad json'), // 400
    ];
    for (const r of responses) {
      const id = r.headers.get('x-request-id');
      assert.ok(id && id.length > 0, `no x-request-id on ${r.status} ${r.url}`);
    }
    const mine = `tv-test-${crypto.randomBytes(6).toString('hex')}`;
    const r = await c.get('/v1/project', { headers: { 'x-request-id': mine } });
    assert.equal(r.headers.get('x-request-id'), mine);
    const r2 = await api(srv.url, '/v1/project', { headers: { 'x-request-id': mine } }); // 401 path
    assert.equal(r2.status, 401);
    assert.equal(r2.headers.get('x-request-id'), mine, 'x-request-id should be echoed on error responses too');
  }));

  it('gzip: Accept-Encoding gzip + response > 1 KiB → Content-Encoding gzip', withLogs(async () => {
    const tag = uniqueName('gz');
    for (let i = 0; i < 12; i++) {
      ok(await c.post('/v1/project', { name: `${tag}-${i}`, description: 'x'.repeat(200) }), 'create project');
    }
    const headers = { Authorization: `Bearer ${srv.apiKey}`, 'Accept-Encoding': 'gzip' };
    const r = await rawRequest(srv.url, '/v1/project', { headers });
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(r.headers['content-encoding'], 'gzip', `headers: ${JSON.stringify(r.headers)}`);
    const body = JSON.parse(zlib.gunzipSync(r.body).toString('utf8'));
    assert.ok(Array.isArray(body.objects) && body.objects.length >= 12);

    const plain = await rawRequest(srv.url, '/v1/project', { headers: { Authorization: headers.Authorization } });
    assert.equal(plain.status, 200);
    assert.ok(!/gzip/i.test(plain.headers['content-encoding'] ?? ''), 'no gzip without Accept-Encoding');
    assert.ok(Array.isArray(JSON.parse(plain.body.toString('utf8')).objects));

    const ident = await rawRequest(srv.url, '/v1/project', {
      headers: { Authorization: headers.Authorization, 'Accept-Encoding': 'identity' },
    });
    assert.ok(!/gzip/i.test(ident.headers['content-encoding'] ?? ''), 'no gzip with Accept-Encoding: identity');
  }));

  it(`bodies over --max-body-bytes (${MAX_BODY}) → 413 JSON (Content-Length and chunked)`, withLogs(async () => {
    const auth = { Authorization: `Bearer ${srv.apiKey}`, 'Content-Type': 'application/json' };
    const send = async (path, body, how) => {
      const headers = { ...auth };
      if (how === 'length') headers['Content-Length'] = String(Buffer.byteLength(body));
      try {
        return await rawRequest(srv.url, path, { method: 'POST', headers, body: how === 'chunked' ? [body.slice(0, 100), body.slice(100)] : body });
      } catch (e) {
        assert.fail(`POST ${path} with a ${Buffer.byteLength(body)}-byte body (${how}): connection failed without an HTTP response (${e.code ?? e.message}); expected 413`);
      }
    };
    const check = (r, what) => {
      assert.equal(r.status, 413, `${what}: ${r.status} ${r.body.toString().slice(0, 300)}`);
      const j = JSON.parse(r.body.toString());
      assert.equal(typeof j.Code, 'string');
      assert.equal(typeof j.Message, 'string');
    };
    const big = JSON.stringify({ name: uniqueName('big'), description: 'y'.repeat(MAX_BODY * 2) });
    check(await send('/v1/project', big, 'chunked'), 'chunked POST /v1/project');
    check(await send('/v1/project', big, 'length'), 'Content-Length POST /v1/project');
    const reg = JSON.stringify({ project_name: 'z'.repeat(MAX_BODY * 3) });
    check(await send('/api/project/register', reg, 'length'), 'Content-Length POST /api/project/register');
    // Just under the limit still works.
    const small = await c.post('/v1/project', { name: uniqueName('small'), description: 'y'.repeat(MAX_BODY / 2) });
    ok(small, 'body under the limit');
  }));

  it('malformed JSON → 400 JSON', withLogs(async () => {
    const jsonHdr = { headers: { 'Content-Type': 'application/json' } };
    for (const [path, body] of [
      ['/v1/project', '{"name":'],
      ['/v1/project', 'not json at all'],
      ['/v1/project', '[1,2,3]'],
      ['/v1/project', 'null'],
      ['/v1/project', ''],
      ['/v1/experiment', '{"project_id":'],
      ['/v1/dataset', '{{}}'],
      ['/api/project/register', '{"project_name":"x",}'],
      ['/api/experiment/register', '{"project_name":'],
      ['/api/dataset/register', '"just a string"'],
      ['/api/base_experiment/get_id', '{'],
    ]) {
      expectError(await c.post(path, body, jsonHdr), 400, `POST ${path} body ${JSON.stringify(body)}:`);
    }
  }));

  it('wrong types / missing fields → 400 JSON', withLogs(async () => {
    const proj = ok(await c.post('/v1/project', { name: uniqueName('types') }));
    const cases = [
      ['POST', '/v1/project', {}],
      ['POST', '/v1/project', { name: 5 }],
      ['POST', '/v1/project', { name: '' }],
      ['POST', '/v1/project', { name: ['a'] }],
      ['PATCH', `/v1/project/${proj.id}`, { name: 5 }],
      ['PATCH', `/v1/project/${proj.id}`, { description: { not: 'a string' } }],
      ['POST', '/v1/experiment', {}],
      ['POST', '/v1/experiment', { project_id: 12 }],
      ['POST', '/v1/experiment', { project_id: proj.id, name: 7 }],
      ['POST', '/v1/experiment', { project_id: proj.id, metadata: 'not an object' }],
      ['POST', '/v1/dataset', { name: 'no-project-id' }],
      ['POST', '/v1/dataset', { project_id: proj.id, name: false }],
      ['POST', '/v1/api_key', { name: 42 }],
      ['POST', '/api/project/register', { project_name: 5 }],
      ['POST', '/api/experiment/register', {}],
      ['POST', '/api/experiment/register', { project_name: proj.name, experiment_name: 9 }],
      ['POST', '/api/experiment/register', { project_name: proj.name, update: 'yes' }],
      ['POST', '/api/dataset/register', { project_name: proj.name }],
      ['POST', '/api/dataset/register', { project_name: proj.name, dataset_name: 3 }],
      ['POST', '/api/base_experiment/get_id', {}],
      ['POST', '/api/base_experiment/get_id', { id: 123 }],
      ['POST', '/api/project/get', {}],
      ['POST', '/api/self/get_object_info', { object_type: 'dataset', object_ids: 'nope' }],
    ];
    for (const [method, path, body] of cases) {
      const r = await api(srv.url, path, { method, key: srv.apiKey, body });
      expectError(r, 400, `${method} ${path} ${JSON.stringify(body)}:`);
    }
    for (const q of ['limit=abc', 'limit=-1']) {
      expectError(await c.get(`/v1/project?${q}`), 400, `GET /v1/project?${q}:`);
    }
  }));

  it('unknown ids → 404 JSON', withLogs(async () => {
    const u = () => crypto.randomUUID();
    const cases = [
      ['GET', `/v1/project/${u()}`],
      ['GET', `/v1/experiment/${u()}`],
      ['GET', `/v1/dataset/${u()}`],
      ['GET', `/v1/organization/${u()}`],
      ['GET', `/v1/api_key/${u()}`],
      ['PATCH', `/v1/project/${u()}`, { description: 'x' }],
      ['PATCH', `/v1/experiment/${u()}`, { description: 'x' }],
      ['PATCH', `/v1/dataset/${u()}`, { description: 'x' }],
      ['DELETE', `/v1/project/${u()}`],
      ['DELETE', `/v1/experiment/${u()}`],
      ['DELETE', `/v1/dataset/${u()}`],
      ['DELETE', `/v1/api_key/${u()}`],
      ['GET', `/api/project?id=${u()}`],
      ['POST', '/api/project/get', { id: u() }],
      ['POST', '/api/base_experiment/get_id', { id: u() }],
      ['POST', '/v1/experiment', { project_id: u(), name: 'x' }],
      ['POST', '/v1/dataset', { project_id: u(), name: 'x' }],
      ['POST', '/api/experiment/register', { project_id: u(), experiment_name: 'x' }],
      ['POST', '/api/dataset/register', { project_id: u(), dataset_name: 'x' }],
    ];
    for (const [method, path, body] of cases) {
      const r = await api(srv.url, path, { method, key: srv.apiKey, body });
      expectError(r, 404, `${method} ${path}:`);
    }
    // A malformed (non-uuid) id is rejected too (400 or 404), never 2xx/5xx.
    const r = await c.get('/v1/project/not-a-uuid');
    expectError(r, [400, 404], 'GET /v1/project/not-a-uuid:');
  }));

  it('after all the bad input the server still answers /health 200', withLogs(async () => {
    const r = await api(srv.url, '/health');
    expectStatus(r, 200);
    assert.equal(r.json?.status, 'ok');
  }));
});

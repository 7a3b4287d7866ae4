// CORS (--cors-origins) and audit headers (x-bt-enable-audit).
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, client, ok } from '../lib/http.mjs';

const ALLOWED = ['http://allowed-one.example', 'http://allowed-two.example:3000'];
const DENIED = 'http://evil.example';

function headerList(v) {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

const TARGETS = [
  ['serve', () => startServe({ corsOrigins: ALLOWED }), (d) => d.url],
  ['control + data, via data-plane URL', () => startSplit({ corsOrigins: ALLOWED }), (d) => d.dataUrl],
];

for (const [label, start, pickUrl] of TARGETS) describe(`CORS and audit headers (${label})`, { skip: SKIP_NO_BINARY }, () => {
  let dep;
  let srv; // {url, apiKey, userEmail}
  let c;
  before(async () => {
    dep = await start();
    srv = { url: pickUrl(dep), apiKey: dep.apiKey, userEmail: dep.userEmail };
    c = client(srv.url, srv.apiKey);
  });
  after(async () => {
    await dep?.stop();
  });

  for (const origin of ALLOWED) {
    it(`preflight from allowed origin ${origin} → 204 with CORS headers (no auth needed)`, withLogs(async () => {
      for (const path of ['/v1/project', '/api/apikey/login', '/api/experiment/register', '/btql']) {
        const r = await api(srv.url, path, {
          method: 'OPTIONS',
          headers: {
            Origin: origin,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization,content-type',
          },
        });
        assert.equal(r.status, 204, `OPTIONS ${path}: ${r.status} ${r.text}`);
        assert.equal(r.headers.get('access-control-allow-origin'), origin, `ACAO on ${path}`);
        assert.equal(r.headers.get('access-control-allow-credentials'), 'true', `ACAC on ${path}`);
        const methods = headerList(r.headers.get('access-control-allow-methods'));
        assert.ok(methods.includes('post') || methods.includes('*'), `allow-methods on ${path}: ${methods}`);
        const allowHeaders = headerList(r.headers.get('access-control-allow-headers'));
        for (const h of ['authorization', 'content-type']) {
          assert.ok(allowHeaders.includes(h) || allowHeaders.includes('*'), `allow-headers lacks ${h} on ${path}: ${allowHeaders}`);
        }
      }
    }));
  }

  it('preflight from a non-listed origin → 403', withLogs(async () => {
    for (const path of ['/v1/project', '/api/apikey/login']) {
      const r = await api(srv.url, path, {
        method: 'OPTIONS',
        headers: { Origin: DENIED, 'Access-Control-Request-Method': 'GET' },
      });
      assert.equal(r.status, 403, `OPTIONS ${path} from ${DENIED}: ${r.status} ${r.text}`);
      assert.notEqual(r.headers.get('access-control-allow-origin'), DENIED);
      assert.notEqual(r.headers.get('access-control-allow-origin'), '*');
    }
  }));

  it('actual request from an allowed origin carries Access-Control-Allow-Origin', withLogs(async () => {
    const r = await c.get('/v1/project', { headers: { Origin: ALLOWED[0] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('access-control-allow-origin'), ALLOWED[0]);
    // Error responses from an allowed origin should be readable by the browser too.
    const e = await api(srv.url, '/v1/project', { headers: { Origin: ALLOWED[1] } });
    assert.equal(e.status, 401);
    assert.equal(e.headers.get('access-control-allow-origin'), ALLOWED[1], 'ACAO on a 401 for an allowed origin');
  }));

  it('actual request from a non-listed origin gets no Access-Control-Allow-Origin for it', withLogs(async () => {
    const r = await c.get('/v1/project', { headers: { Origin: DENIED } });
    const acao = r.headers.get('access-control-allow-origin');
    assert.ok(acao !== DENIED && acao !== '*', `ACAO for denied origin: ${acao}`);
  }));

  it('audit headers: user id/email, normalized url, resources = base64(gzip(JSON))', withLogs(async () => {
    const name = uniqueName('audit');
    const proj = ok(await c.post('/v1/project', { name }));
    // Without the request header: no audit headers.
    const plain = await c.get(`/v1/project/${proj.id}`);
    assert.equal(plain.status, 200);
    for (const h of ['x-bt-audit-user-id', 'x-bt-audit-user-email', 'x-bt-audit-normalized-url', 'x-bt-audit-resources']) {
      assert.equal(plain.headers.get(h), null, `${h} present without x-bt-enable-audit`);
    }
    const r = await c.get(`/v1/project/${proj.id}`, { headers: { 'x-bt-enable-audit': 'true' } });
    assert.equal(r.status, 200, r.text);
    const problems = [];
    const check = (cond, msg) => {
      if (!cond) problems.push(msg);
    };
    const userId = r.headers.get('x-bt-audit-user-id');
    check(userId, 'x-bt-audit-user-id missing');
    if (proj.user_id) check(userId === proj.user_id, `x-bt-audit-user-id ${userId} != project.user_id ${proj.user_id}`);
    check(r.headers.get('x-bt-audit-user-email') === srv.userEmail, `x-bt-audit-user-email ${r.headers.get('x-bt-audit-user-email')} != ${srv.userEmail}`);
    const norm = r.headers.get('x-bt-audit-normalized-url');
    check(norm === '/v1/project/[id]', `x-bt-audit-normalized-url is ${JSON.stringify(norm)}, want "/v1/project/[id]"`);
    const enc = r.headers.get('x-bt-audit-resources');
    check(enc, 'x-bt-audit-resources missing');
    if (enc) {
      let resources;
      try {
        resources = JSON.parse(zlib.gunzipSync(Buffer.from(enc, 'base64')).toString('utf8'));
      } catch (e) {
        problems.push(`x-bt-audit-resources is not base64(gzip(JSON)): ${e.message}`);
      }
      if (resources !== undefined) {
        check(Array.isArray(resources), `resources not an array: ${JSON.stringify(resources)}`);
        const hit = Array.isArray(resources) && resources.find((x) => x && x.id === proj.id);
        check(hit, `project ${proj.id} not in audit resources ${JSON.stringify(resources)}`);
        if (hit) {
          check(hit.type === 'project', `resource type ${hit.type}`);
          check(hit.name === name, `resource name ${hit.name}`);
        }
        for (const x of Array.isArray(resources) ? resources : []) {
          check(x && 'type' in x && 'id' in x && 'name' in x, `resource entry lacks type/id/name: ${JSON.stringify(x)}`);
        }
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  }));

  it('audit normalized url for list and nested routes', withLogs(async () => {
    const r = await c.get('/v1/project?limit=1', { headers: { 'x-bt-enable-audit': 'true' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-bt-audit-normalized-url'), '/v1/project');
    const proj = ok(await c.post('/v1/project', { name: uniqueName('audit2') }));
    const exp = ok(await c.post('/v1/experiment', { project_id: proj.id, name: 'e' }));
    const r2 = await c.get(`/v1/experiment/${exp.id}`, { headers: { 'x-bt-enable-audit': 'true' } });
    assert.equal(r2.headers.get('x-bt-audit-normalized-url'), '/v1/experiment/[id]');
    const res = JSON.parse(zlib.gunzipSync(Buffer.from(r2.headers.get('x-bt-audit-resources'), 'base64')).toString());
    assert.ok(res.some((x) => x.type === 'experiment' && x.id === exp.id), JSON.stringify(res));
  }));
});

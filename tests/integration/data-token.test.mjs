// Data-plane tokens (docs/webapp.md, "Data-plane tokens"): a signed-in person
// asks POST /api/auth/data_token for a short-lived `tvd-` bearer token and
// uses it on every other route of both planes, never the cookie. On `serve`
// and on `control` + `data` (the data plane resolves the token through the
// control plane's /api/self/me, cached for --auth-cache-ttl seconds).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, randomSuffix, sleep, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, expectError, ok, rawRequest } from '../lib/http.mjs';
import { btqlAst, btql } from '../lib/rows.mjs';

const TOKEN_RE = /^tvd-[0-9A-Za-z]{48}$/;
const REVOCATION_DEADLINE_MS = 10_000;

const originOf = (url) => new URL(url).origin;

function defineDataTokenTests(mode, start) {
  describe(`data-plane tokens (${mode})`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let controlUrl; // where the browser signs in (the app's origin)
    let dataUrl; // where data_token sends the browser for rows

    before(async () => {
      dep = await start();
      controlUrl = dep.url;
      dataUrl = dep.dataUrl;
    });
    after(async () => {
      await dep?.stop();
    });

    async function signIn() {
      const r = await api(controlUrl, '/api/auth/login', {
        method: 'POST',
        body: { email: dep.userEmail, password: dep.userPassword },
      });
      assert.equal(r.status, 200, r.text);
      const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
      assert.match(cookie, /^tv_session=tvs-/);
      return { cookie, csrf: r.json.csrf_token };
    }

    function dataToken(s, headers = {}) {
      return api(controlUrl, '/api/auth/data_token', {
        method: 'POST',
        headers: { ...(s.cookie ? { Cookie: s.cookie } : {}), ...(s.csrf ? { 'X-TV-CSRF': s.csrf } : {}), ...headers },
      });
    }

    async function issue(s) {
      const r = await dataToken(s, { Origin: originOf(controlUrl) });
      assert.equal(r.status, 200, r.text);
      return r.json;
    }

    it('data_token: 401 without the cookie, 403 without X-TV-CSRF or from a foreign Origin', withLogs(async () => {
      const s = await signIn();
      expectError(await dataToken({ csrf: s.csrf }), 401, 'no cookie');
      expectError(await dataToken({ cookie: 'tv_session=tvs-not-a-session', csrf: s.csrf }), 401, 'unknown cookie');
      expectError(await dataToken({ cookie: s.cookie }), 403, 'no CSRF header');
      expectError(await dataToken({ cookie: s.cookie, csrf: '0'.repeat(32) }), 403, 'wrong CSRF token');
      expectError(await dataToken(s, { Origin: 'http://evil.example' }), 403, 'foreign Origin');
    }));

    it('data_token → {token, expires_at, data_plane_url}, not cacheable; the token is no cookie', withLogs(async () => {
      const s = await signIn();
      const before = Date.now();
      const r = await dataToken(s, { Origin: originOf(controlUrl) });
      assert.equal(r.status, 200, r.text);
      assert.match(r.json.token, TOKEN_RE);
      assert.equal(r.json.data_plane_url, dataUrl);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.equal(r.headers.get('set-cookie'), null);
      // About 10 minutes from now (the server's clock; a wide margin).
      const expires = Date.parse(r.json.expires_at);
      assert.ok(expires > before + 9 * 60_000 && expires < Date.now() + 11 * 60_000, r.text);
      const again = await issue(s);
      assert.notEqual(again.token, r.json.token, 'each call gives a fresh token');
    }));

    it('the token works as a bearer token on both planes: projects, rows written and read, API keys', withLogs(async () => {
      const s = await signIn();
      const { token, data_plane_url: rowsUrl } = await issue(s);
      const bearer = { key: token };

      // Control-plane routes on the control plane (and, split, through the data plane).
      const name = uniqueName('tok-proj');
      const project = ok(await api(controlUrl, '/v1/project', { ...bearer, body: { name } }), 'create project');
      for (const base of new Set([controlUrl, rowsUrl])) {
        const list = ok(await api(base, '/v1/project', bearer), `list projects at ${base}`);
        assert.ok(list.objects.some((p) => p.id === project.id), `project ${name} listed at ${base}`);
      }
      const me = ok(await api(rowsUrl, '/api/self/me', bearer), 'self/me');
      assert.equal(me.user_email, dep.userEmail);
      assert.ok(me.organizations.some((o) => o.name === dep.orgName), JSON.stringify(me));

      // Rows, straight to the data plane: one written with the SDK's API key, one with the token.
      const sdkRow = `sdk-${randomSuffix(6)}`;
      const appRow = `app-${randomSuffix(6)}`;
      ok(await api(rowsUrl, '/logs3', {
        key: dep.apiKey,
        body: { rows: [{ id: sdkRow, project_id: project.id, log_id: 'g', input: 'from the SDK' }], api_version: 2 },
      }), 'logs3 with the API key');
      ok(await api(rowsUrl, '/logs3', {
        ...bearer,
        headers: { Origin: originOf(controlUrl) },
        body: { rows: [{ id: appRow, project_id: project.id, log_id: 'g', input: 'from the app' }], api_version: 2 },
      }), 'logs3 with the token');
      const read = await api(rowsUrl, '/btql', {
        ...bearer,
        headers: { Origin: originOf(controlUrl) },
        body: { query: btqlAst('project_logs', project.id), fmt: 'json' },
      });
      assert.equal(read.status, 200, read.text);
      assert.deepEqual(read.json.data.map((row) => row.id).sort(), [appRow, sdkRow].sort());
      assert.equal(read.headers.get('access-control-allow-origin'), originOf(controlUrl), 'CORS for the app');

      // "The caller's own keys": the user's, listed and created with the token.
      const keys = ok(await api(controlUrl, '/v1/api_key', bearer), 'list API keys');
      assert.ok(keys.objects.length >= 1, JSON.stringify(keys));
      const made = ok(await api(controlUrl, '/v1/api_key', { ...bearer, body: { name: uniqueName('from-app') } }), 'create key');
      assert.equal(made.org_id, null, 'an unrestricted key, like the token');
      ok(await api(rowsUrl, '/api/self/me', { key: made.key }), 'the new key works');
    }));

    it('a garbage tvd- token and the cookie alone are refused with 401', withLogs(async () => {
      const s = await signIn();
      const garbage = `tvd-${'x'.repeat(48)}`;
      for (const base of new Set([controlUrl, dataUrl])) {
        const r = expectError(await api(base, '/v1/project', { key: garbage }), 401, `garbage token at ${base}`);
        assert.match(r.Message, /Invalid API key/, JSON.stringify(r));
        expectError(await btql(base, garbage, btqlAst('project_logs', '00000000-0000-4000-8000-000000000000')), 401,
          `garbage token on /btql at ${base}`);
        expectError(await api(base, '/v1/project', { headers: { Cookie: s.cookie } }), 401, `cookie at ${base}`);
      }
    }));

    it('logout revokes the token (a split data plane within its auth-cache TTL)', withLogs(async () => {
      const s = await signIn();
      const { token } = await issue(s);
      const project = ok(await api(controlUrl, '/v1/project', { key: token, body: { name: uniqueName('tok-out') } }));
      const read = () => btql(dataUrl, token, btqlAst('project_logs', project.id));
      assert.equal((await read()).status, 200, 'works before logout (and is cached by a split data plane)');

      const out = await api(controlUrl, '/api/auth/logout', { method: 'POST', headers: { Cookie: s.cookie, 'X-TV-CSRF': s.csrf } });
      assert.equal(out.status, 204, out.text);
      expectError(await api(controlUrl, '/v1/project', { key: token }), 401, 'control plane: at once');
      expectError(await dataToken(s), 401, 'no new token either');

      if (mode === 'serve') {
        expectError(await read(), 401, 'serve: at once');
        return;
      }
      // Split: the data plane's cache may still hold the token; it must let go
      // of it eventually (--auth-cache-ttl 1 here). Until then a request is
      // either served or refused, never an error of another kind.
      const seen = [];
      const deadline = Date.now() + REVOCATION_DEADLINE_MS;
      for (;;) {
        const r = await read();
        seen.push(r.status);
        assert.ok(r.status === 200 || r.status === 401, `unexpected ${r.status} ${r.text}`);
        if (r.status === 401) break;
        assert.ok(Date.now() < deadline, `still accepted after ${REVOCATION_DEADLINE_MS} ms: ${seen.join(',')}`);
        await sleep(100);
      }
    }));

    if (mode === 'split') {
      it('split: while the data plane still holds a revoked token, an object it must look up again is a 401 too', withLogs(async () => {
        // With --auth-cache-ttl 1: project Y's location is cached at 0 s, the
        // principal afresh at ~1.1 s; after logout, reading Y at ~1.2 s asks
        // the control plane about Y with the revoked token.
        const s = await signIn();
        const { token } = await issue(s);
        const x = ok(await api(controlUrl, '/v1/project', { key: token, body: { name: uniqueName('tok-x') } }));
        const y = ok(await api(controlUrl, '/v1/project', { key: token, body: { name: uniqueName('tok-y') } }));
        const read = (p) => btql(dataUrl, token, btqlAst('project_logs', p.id));
        assert.equal((await read(y)).status, 200);
        await sleep(600);
        assert.equal((await read(x)).status, 200);
        await sleep(500);
        assert.equal((await read(x)).status, 200);
        const out = await api(controlUrl, '/api/auth/logout', { method: 'POST', headers: { Cookie: s.cookie, 'X-TV-CSRF': s.csrf } });
        assert.equal(out.status, 204, out.text);
        expectError(await read(y), 401, 'project Y looked up with the revoked token');
      }));

      it("CORS: the data plane answers a preflight from the control plane's origin for Authorization, Content-Type", withLogs(async () => {
        const preflight = (origin) => rawRequest(dataUrl, '/btql', {
          method: 'OPTIONS',
          headers: {
            Origin: origin,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization, content-type',
          },
        });
        const r = await preflight(originOf(controlUrl));
        assert.equal(r.status, 204, r.body.toString());
        assert.equal(r.headers['access-control-allow-origin'], originOf(controlUrl));
        const allowed = (r.headers['access-control-allow-headers'] ?? '').toLowerCase().split(/\s*,\s*/);
        assert.ok(allowed.includes('authorization') && allowed.includes('content-type'), allowed.join(','));
        assert.match(r.headers['access-control-allow-methods'] ?? '', /\bPOST\b/);
        const foreign = await preflight('http://evil.example');
        assert.equal(foreign.status, 403, foreign.body.toString());
        assert.equal(foreign.headers['access-control-allow-origin'], undefined);
      }));
    }
  });
}

defineDataTokenTests('serve', () => startServe());
// The data plane's default CORS origin is its --control-plane-url's: the
// origin the browser loads the app from when both are the same address.
defineDataTokenTests('split', () => startSplit({ extraArgs: ['--auth-cache-ttl', '1'] }));

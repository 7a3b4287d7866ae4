// Human sign-in on the control plane (docs/webapp.md, "Passwords" and
// "Sessions"): /api/auth/login, session, logout and password on `serve`,
// with the first user's password from TRACEVAULT_INIT_USER_PASSWORD.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, randomSuffix, startServe, withLogs } from '../lib/server.mjs';
import { api } from '../lib/http.mjs';

const COOKIE_RE = /^tv_session=(tvs-[0-9A-Za-z]{48}); HttpOnly; SameSite=Lax; Path=\/; Max-Age=(\d+)$/;

function cookieOf(res) {
  const set = res.headers.get('set-cookie');
  assert.ok(set, `no Set-Cookie in ${res.status} ${res.text}`);
  const m = COOKIE_RE.exec(set);
  assert.ok(m, `unexpected Set-Cookie: ${set}`);
  return { cookie: `tv_session=${m[1]}`, maxAge: Number(m[2]) };
}

describe('human sign-in (serve)', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  const email = `person-${randomSuffix(6)}@example.test`;
  let password = `first-${randomSuffix(10)}`;

  before(async () => {
    dep = await startServe({ userEmail: email, userPassword: password });
  });
  after(async () => {
    await dep?.stop();
  });

  const login = (body) => api(dep.url, '/api/auth/login', { method: 'POST', body });
  const session = (cookie) => api(dep.url, '/api/auth/session', { headers: cookie ? { Cookie: cookie } : {} });
  const post = (path, cookie, { csrf, body, headers = {} } = {}) =>
    api(dep.url, path, {
      method: 'POST',
      body: body ?? {},
      headers: { Cookie: cookie, ...(csrf ? { 'X-TV-CSRF': csrf } : {}), ...headers },
    });

  async function signIn(pw = password) {
    const r = await login({ email, password: pw });
    assert.equal(r.status, 200, r.text);
    return { ...cookieOf(r), body: r.json };
  }

  it('login sets an HttpOnly, SameSite=Lax, host-only cookie and answers the user and orgs', withLogs(async () => {
    const r = await login({ email, password });
    assert.equal(r.status, 200, r.text);
    const { maxAge } = cookieOf(r);
    assert.equal(maxAge, 7 * 24 * 3600);
    assert.ok(!/Domain=|Secure/i.test(r.headers.get('set-cookie')), 'no Domain, no Secure on http');
    assert.equal(r.json.user.email, email);
    assert.ok(r.json.orgs.some((o) => o.name === dep.orgName && o.role === 'owner'), r.text);
    assert.match(r.json.csrf_token, /^[0-9a-f]{32}$/);
    assert.ok(!Number.isNaN(Date.parse(r.json.expires_at)), r.text);
  }));

  it('GET /api/auth/session answers with the cookie, 401 without or with a bad one', withLogs(async () => {
    const s = await signIn();
    const r = await session(s.cookie);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.user.email, email);
    assert.equal(r.json.csrf_token, s.body.csrf_token);
    assert.ok(r.json.orgs.some((o) => o.name === dep.orgName), r.text);
    assert.equal((await session()).status, 401);
    assert.equal((await session('tv_session=tvs-nope')).status, 401);
    assert.equal((await session(`other=1; ${s.cookie}; more=2`)).status, 200, 'found among other cookies');
  }));

  it('a wrong password and an unknown email get the same 401', withLogs(async () => {
    const wrong = await login({ email, password: `${password}x` });
    const unknown = await login({ email: `nobody-${randomSuffix(6)}@example.test`, password });
    assert.equal(wrong.status, 401, wrong.text);
    assert.equal(unknown.status, 401, unknown.text);
    assert.equal(wrong.text, unknown.text);
    assert.equal(wrong.headers.get('set-cookie'), null);
  }));

  it('a bad JSON body or missing fields → 400', withLogs(async () => {
    const bad = await api(dep.url, '/api/auth/login', {
      method: 'POST',
      body: '{"email": ',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal((await login({ email })).status, 400);
  }));

  it('the 6th failed attempt on one account → 429 with Retry-After, even with the right password', withLogs(async () => {
    const victim = `victim-${randomSuffix(6)}@example.test`;
    for (let i = 0; i < 5; i++) {
      const r = await login({ email: victim, password: 'wrong' });
      assert.equal(r.status, 401, `attempt ${i + 1}: ${r.text}`);
    }
    const r = await login({ email: victim, password: 'wrong' });
    assert.equal(r.status, 429, r.text);
    const retry = Number(r.headers.get('retry-after'));
    assert.ok(retry > 0 && retry <= 15 * 60, `Retry-After ${r.headers.get('retry-after')}`);
    // Other accounts are not locked out by it.
    await signIn();
  }));

  it('logout needs X-TV-CSRF (403 without, or with a foreign Origin); then the cookie is dead', withLogs(async () => {
    const s = await signIn();
    const csrf = s.body.csrf_token;
    const none = await post('/api/auth/logout', s.cookie);
    assert.equal(none.status, 403, none.text);
    const wrong = await post('/api/auth/logout', s.cookie, { csrf: '0'.repeat(32) });
    assert.equal(wrong.status, 403, wrong.text);
    const foreign = await post('/api/auth/logout', s.cookie, { csrf, headers: { Origin: 'http://evil.example' } });
    assert.equal(foreign.status, 403, foreign.text);
    assert.equal((await session(s.cookie)).status, 200, 'refused logouts left the session alive');
    const r = await post('/api/auth/logout', s.cookie, { csrf, headers: { Origin: dep.url.replace(/\/+$/, '') } });
    assert.equal(r.status, 204, r.text);
    assert.match(r.headers.get('set-cookie') ?? '', /^tv_session=; .*Max-Age=0/);
    assert.equal((await session(s.cookie)).status, 401);
    assert.equal((await post('/api/auth/logout', s.cookie, { csrf })).status, 401);
  }));

  it('password change: wrong current → 401; right → 204, old refused, new accepted, other sessions revoked', withLogs(async () => {
    const mine = await signIn();
    const other = await signIn();
    const csrf = mine.body.csrf_token;
    const next = `second-${randomSuffix(10)}`;
    const noCsrf = await post('/api/auth/password', mine.cookie, { body: { current_password: password, new_password: next } });
    assert.equal(noCsrf.status, 403, noCsrf.text);
    const wrong = await post('/api/auth/password', mine.cookie, {
      csrf,
      body: { current_password: `${password}x`, new_password: next },
    });
    assert.equal(wrong.status, 401, wrong.text);
    const bad = await post('/api/auth/password', mine.cookie, { csrf, body: '{"current_password"' });
    assert.equal(bad.status, 400, bad.text);
    const r = await post('/api/auth/password', mine.cookie, {
      csrf,
      body: { current_password: password, new_password: next },
    });
    assert.equal(r.status, 204, r.text);
    assert.equal((await session(mine.cookie)).status, 200, 'the changing session stays');
    assert.equal((await session(other.cookie)).status, 401, 'every other session is revoked');
    assert.equal((await login({ email, password })).status, 401, 'old password refused');
    password = next;
    await signIn();
  }));

  it('the SDK bearer-token routes answer as before, and the auth routes ignore a bearer token', withLogs(async () => {
    const r = await api(dep.url, '/api/apikey/login', { method: 'POST', key: dep.apiKey });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.org_info.some((o) => o.name === dep.orgName), r.text);
    assert.equal((await api(dep.url, '/api/apikey/login', { method: 'POST' })).status, 401);
    assert.equal((await api(dep.url, '/api/auth/session', { key: dep.apiKey })).status, 401, 'a key is not a session');
  }));
});

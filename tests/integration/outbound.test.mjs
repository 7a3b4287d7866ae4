// The data plane's outbound rate limit (docs/outbound.md) on a split
// deployment: control-plane routes proxied through the data plane count
// against the caller's token; past the limit the answer is 429 with
// Retry-After; another token is unaffected; 0 disables the limit; the counts
// show in GET /v1/admin/outbound and /metrics.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { BIN, SKIP_NO_BINARY, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api } from '../lib/http.mjs';

const BURST = 12;
const LIMIT = 5;

async function burst(url, key, n = BURST) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await api(url, '/v1/project', { key, validate: false }));
  return out;
}

function assertLimited(r) {
  assert.equal(r.status, 429, r.text);
  assert.equal(r.json?.Code, 'TooManyRequestsError', r.text);
  assert.match(r.json?.Message ?? '', /outbound rate limit/i);
  const after = Number(r.headers.get('retry-after'));
  assert.ok(Number.isInteger(after) && after >= 1 && after <= 60, `Retry-After ${r.headers.get('retry-after')}`);
}

describe('outbound rate limit: split deployment, 5 per minute', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  let secondKey;
  before(async () => {
    dep = await startSplit({ env: { OUTBOUND_RATE_LIMIT_MAX_REQUESTS: String(LIMIT) } });
    // Made on the control plane directly, so it costs the first key no outbound call.
    const created = await api(dep.controlUrl, '/v1/api_key', { key: dep.apiKey, body: { name: uniqueName('second') }, validate: false });
    assert.equal(created.status, 200, created.text);
    secondKey = created.json.key;
  });
  after(() => dep?.stop());

  it('a burst with one token: some pass, the rest are 429 with Retry-After', withLogs(async () => {
    const results = await burst(dep.dataUrl, dep.apiKey);
    const passed = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    assert.equal(passed.length + limited.length, BURST, results.map((r) => `${r.status} ${r.text}`).join('\n'));
    assert.ok(passed.length >= 1, 'the first calls pass');
    assert.ok(passed.length <= LIMIT, `${passed.length} passed with a limit of ${LIMIT}`);
    assert.ok(limited.length >= BURST - LIMIT);
    limited.forEach(assertLimited);
    // Once limited, the window has not reset within this burst.
    const firstLimited = results.findIndex((r) => r.status === 429);
    assert.ok(results.slice(firstLimited).every((r) => r.status === 429));
  }));

  it('another token has its own budget', withLogs(async () => {
    const r = await api(dep.dataUrl, '/v1/project', { key: secondKey, validate: false });
    assert.equal(r.status, 200, r.text);
  }));

  it('GET /v1/admin/outbound counts requests and refusals for the control plane host', withLogs(async () => {
    const r = await api(dep.dataUrl, '/v1/admin/outbound', { key: secondKey, validate: false });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.rate_limit, { max_requests: LIMIT, window_minutes: 1 });
    const host = new URL(dep.controlUrl).host;
    const h = r.json.hosts[host];
    assert.ok(h, `no stats for ${host}: ${r.text}`);
    assert.ok(h.requests >= 2, r.text);
    assert.ok(h.limited >= BURST - LIMIT, r.text);
    assert.equal(h.latency_ms.count, h.requests);
    assert.ok(h.latency_ms.p50 > 0 && h.latency_ms.p99 >= h.latency_ms.p50, r.text);

    const m = await api(dep.dataUrl, '/metrics', { key: secondKey, validate: false });
    assert.equal(m.status, 200);
    const limitedTotal = Number(/^tracevault_outbound_limited_total (\S+)$/m.exec(m.text)?.[1]);
    assert.ok(limitedTotal >= BURST - LIMIT, m.text);
    assert.ok(/^tracevault_outbound_requests_total \d+/m.test(m.text));
  }));

  it("GET /v1/admin/outbound shows an organization only its own calls; a member gets 403", withLogs(async () => {
    const host = new URL(dep.controlUrl).host;
    const a = await api(dep.dataUrl, '/v1/admin/outbound', { key: secondKey, validate: false });
    assert.equal(a.status, 200, a.text);
    assert.ok(a.json.hosts[host]?.requests >= 2, a.text);
    // Another organization's owner: none of org A's calls, and its own org_id.
    const b = await dep.admin(['create-org', '--org-name', uniqueName('outbound-b'), '--user-email', `${uniqueName('b')}@example.test`]);
    const rb = await api(dep.dataUrl, '/v1/admin/outbound', { key: b.api_key, validate: false });
    assert.equal(rb.status, 200, rb.text);
    assert.equal(rb.json.org_id, b.org_id);
    assert.equal(rb.json.hosts[host]?.limited ?? 0, 0, `org B sees org A's refusals: ${rb.text}`);
    assert.ok((rb.json.hosts[host]?.requests ?? 0) < a.json.hosts[host].requests, `org B sees org A's calls: ${rb.text}`);
    // B's own forwarded call counts for B.
    assert.equal((await api(dep.dataUrl, '/v1/project', { key: b.api_key, validate: false })).status, 200);
    const rb2 = await api(dep.dataUrl, '/v1/admin/outbound', { key: b.api_key, validate: false });
    assert.equal(rb2.json.hosts[host]?.requests, (rb.json.hosts[host]?.requests ?? 0) + 1, rb2.text);
    // A member of org A (not an owner) is refused.
    const email = `${uniqueName('member')}@example.test`;
    await dep.admin(['create-user', '--email', email, '--org-name', dep.orgName, '--role', 'member']);
    const mk = await dep.admin(['create-api-key', '--user-email', email, '--name', 'm']);
    const rm = await api(dep.dataUrl, '/v1/admin/outbound', { key: mk.key ?? mk.api_key, validate: false });
    assert.equal(rm.status, 403, rm.text);
    assert.match(rm.json.Message, /requires the owner role/);
  }));

  it('GET /v1/admin/outbound without a token is 401', withLogs(async () => {
    const r = await api(dep.dataUrl, '/v1/admin/outbound', { validate: false });
    assert.equal(r.status, 401);
  }));
});

describe('outbound rate limit: 0 disables it', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  before(async () => {
    dep = await startSplit({ env: { OUTBOUND_RATE_LIMIT_MAX_REQUESTS: '0' } });
  });
  after(() => dep?.stop());

  it('the same burst all succeeds', withLogs(async () => {
    const results = await burst(dep.dataUrl, dep.apiKey);
    assert.deepEqual(results.map((r) => r.status), Array(BURST).fill(200), results.map((r) => r.text).join('\n'));
    const r = await api(dep.dataUrl, '/v1/admin/outbound', { key: dep.apiKey, validate: false });
    assert.equal(r.json.rate_limit.max_requests, 0);
    assert.equal(r.json.hosts[new URL(dep.controlUrl).host].limited, 0);
  }));
});

describe('outbound rate limit flags', { skip: SKIP_NO_BINARY }, () => {
  it('serve and data take --outbound-rate-limit-max-requests and --outbound-rate-limit-window-minutes', async () => {
    for (const cmd of ['serve', 'data']) {
      const { stdout } = await promisify(execFile)(BIN, [cmd, '--help']);
      assert.match(stdout, /--outbound-rate-limit-max-requests/);
      assert.match(stdout, /OUTBOUND_RATE_LIMIT_MAX_REQUESTS/);
      assert.match(stdout, /--outbound-rate-limit-window-minutes/);
      assert.match(stdout, /OUTBOUND_RATE_LIMIT_WINDOW_MINUTES/);
    }
  });
});

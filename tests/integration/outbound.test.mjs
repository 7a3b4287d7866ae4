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

// Request classes (docs/configuration.md#request-classes): slow BTQL queries of
// organization A fill the heavy pool while organization B's project lookup and
// /logs3 ingest still complete — before any of A's queries does; the heavy
// queue and the per-key / per-organization limits answer 429 with Retry-After;
// GET /ready shows the saturation (a full heavy pool is "degraded", still 200;
// only light or ingest saturation is 503) and then recovers; /health stays 200.
// Assertions are on ordering and counts, never on durations.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, randomSuffix, startServe, uniqueName, withLogs } from '../lib/server.mjs';
import { api, ok } from '../lib/http.mjs';
import { btql, makeObjects } from '../lib/rows.mjs';
import { readiness, seedHeavyCorpus, slowQuery, waitForReadiness } from '../lib/heavy.mjs';

const ROWS = Number(process.env.CLASSES_TEST_ROWS ?? 40000);

// Org A with a corpus that makes slowQuery slow; org B (created with the admin
// CLI) with its own project and a one-row experiment.
async function setUp(dep) {
  const A = { key: dep.apiKey, ...(await makeObjects(dep.url, dep.apiKey, 'classes-a')) };
  await seedHeavyCorpus(dep.url, A.key, A.experiment.id, ROWS);
  const out = await dep.admin(['create-org', '--org-name', uniqueName('classes-b-org'), '--user-email', `b-${randomSuffix(3)}@example.test`]);
  const B = { key: out.api_key, ...(await makeObjects(dep.url, out.api_key, 'classes-b')) };
  ok(await api(dep.url, `/v1/experiment/${B.experiment.id}/insert`, { key: B.key, body: { events: [{ id: 'b1', input: 'b' }] } }));
  return { A, B };
}

function assertTooMany(r, pattern) {
  assert.equal(r.status, 429, r.text);
  assert.equal(r.json?.Code, 'TooManyRequestsError', r.text);
  assert.match(r.json.Message, pattern);
  assert.ok(Number(r.headers.get('retry-after')) >= 1, 'a 429 carries Retry-After');
}

describe('request classes: pools', { skip: SKIP_NO_BINARY }, () => {
  let dep, A, B;

  before(async () => {
    // Two heavy threads and two queue places; no per-tenant limit, so only the pool bounds A.
    dep = await startServe({ extraArgs: ['--heavy-threads', '2', '--heavy-queue', '2', '--heavy-per-key', '0', '--heavy-per-org', '0', '--no-access-log'] });
    ({ A, B } = await setUp(dep));
  });
  after(async () => dep?.stop());

  it("A's heavy queries do not hold B's lookup and ingest; the full heavy queue is 429; /ready shows it", withLogs(async () => {
    const url = dep.url;
    assert.equal((await readiness(url)).http, 200);
    let aDone = 0;
    const aQueries = Array.from({ length: 8 }, () =>
      btql(url, A.key, slowQuery(A.experiment.id)).then((r) => {
        if (r.status === 200) aDone++;
        return r;
      }));

    // Two running and two queued: the heavy class is saturated. The node stays
    // ready (200, "degraded"): only a full light or ingest pool takes it out.
    const busy = await waitForReadiness(url, (b) => b.classes.heavy.saturated && b.classes.heavy.running === 2, 'heavy saturated, both threads running');
    assert.equal(busy.http, 200);
    assert.deepEqual(busy.saturated, ['heavy']);
    assert.equal(busy.status, 'degraded');
    assert.equal(busy.classes.heavy.running, 2);
    assert.equal(busy.classes.heavy.queued, 2);
    assert.equal(busy.classes.light.saturated, false);
    assert.equal((await api(url, '/health')).status, 200, '/health is liveness: load does not change it');

    // B's light lookup and ingest run on their own threads meanwhile.
    const list = await api(url, '/v1/project', { key: B.key });
    assert.equal(list.status, 200, list.text);
    assert.ok(list.json.objects.some((p) => p.id === B.project.id));
    const logs = await api(url, '/logs3', { key: B.key, body: { rows: [{ id: 'b-log', experiment_id: B.experiment.id, input: 'during' }], api_version: 2 } });
    assert.equal(logs.status, 200, logs.text);
    assert.equal(aDone, 0, "B's requests completed before any of A's queries");

    const results = await Promise.all(aQueries);
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429, 429, 429], results.map((r) => r.text.slice(0, 200)).join('\n'));
    for (const r of results.filter((x) => x.status === 429)) assertTooMany(r, /busy with heavy requests/);
    for (const r of results.filter((x) => x.status === 200)) assert.equal(r.json.data.length, 1);

    const recovered = await waitForReadiness(url, (b) => b.http === 200 && b.classes.heavy.running === 0, 'recovery');
    assert.deepEqual(recovered.saturated, []);
    assert.equal(recovered.status, 'ready');
    assert.ok(recovered.classes.heavy.rejected >= 4);
    const row = ok(await btql(url, B.key, `select: id, input | from: experiment('${B.experiment.id}') | filter: id = 'b-log'`));
    assert.equal(row.data[0]?.input, 'during', "B's ingest during the load is stored");
  }));
});

describe('request classes: per-key and per-organization heavy limits', { skip: SKIP_NO_BINARY }, () => {
  let dep, A, B, key2;

  before(async () => {
    dep = await startServe({ extraArgs: ['--heavy-per-key', '2', '--heavy-per-org', '3', '--no-access-log'] });
    ({ A, B } = await setUp(dep));
    const orgs = ok(await api(dep.url, '/v1/organization', { key: A.key }));
    const k = ok(await api(dep.url, '/v1/api_key', { key: A.key, body: { name: uniqueName('classes-a-key2'), org_name: orgs.objects[0].name } }));
    key2 = k.key;
    assert.ok(key2, 'POST /v1/api_key returns the new key');
  });
  after(async () => dep?.stop());

  it('a third heavy query of one key, and a fourth of one org, are 429; another org is not limited', withLogs(async () => {
    const url = dep.url;
    let aDone = 0;
    const track = (p) => p.then((r) => {
      if (r.status === 200) aDone++;
      return r;
    });
    const slow = slowQuery(A.experiment.id);
    const first = [track(btql(url, A.key, slow)), track(btql(url, A.key, slow))];
    await waitForReadiness(url, (b) => b.classes.heavy.running === 2, 'two heavy queries running');

    assertTooMany(await btql(url, A.key, slow), /API key already has 2 heavy requests/);
    const third = track(btql(url, key2, slow));  // another key of org A: the org's third
    await waitForReadiness(url, (b) => b.classes.heavy.running === 3, 'three heavy queries running');
    assertTooMany(await btql(url, key2, slow), /organization already has 3 heavy requests/);

    const b = await btql(url, B.key, `select: id | from: experiment('${B.experiment.id}')`);
    assert.equal(b.status, 200, b.text);
    assert.deepEqual(b.json.data.map((r) => r.id), ['b1']);
    assert.equal(aDone, 0, "B's query completed while A's were all still running");

    const results = await Promise.all([...first, third]);
    for (const r of results) assert.equal(r.status, 200, r.text.slice(0, 300));
    // The slots are given back: the same key runs heavy queries again.
    assert.equal((await btql(url, A.key, `select: id | from: experiment('${A.experiment.id}') | limit: 1`)).status, 200);
  }));
});

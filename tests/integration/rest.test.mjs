// REST object API: /v1/project, /v1/experiment, /v1/dataset, /v1/organization,
// /v1/api_key. Every JSON body is validated against the OpenAPI component
// schemas (lib/schema.mjs).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, sleep, startServe, uniqueName, withLogs } from '../lib/server.mjs';
import { api, assertUuid, client, expectError, ok } from '../lib/http.mjs';
import { SPEC_PATH, SPEC_SKIP, assertListSchema, assertPathResponse, assertSchema } from '../lib/schema.mjs';

const TICK = 15; // ms between creations so `created` differs (ordering only)

function foundExisting(res) {
  return (res.headers.get('x-bt-found-existing') ?? '').toLowerCase();
}

describe('OpenAPI spec', () => {
  it('is available for schema validation', { skip: SPEC_SKIP }, () => {
    assert.ok(SPEC_PATH);
  });
});

describe('REST objects (serve)', { skip: SKIP_NO_BINARY }, () => {
  let srv;
  let c;
  let org;
  let parent; // project that holds experiments/datasets under test
  before(async () => {
    srv = await startServe();
    c = client(srv.url, srv.apiKey);
    const l = await api(srv.url, '/api/apikey/login', { method: 'POST', key: srv.apiKey });
    org = l.json.org_info[0];
    parent = ok(await c.post('/v1/project', { name: uniqueName('rest-parent') }));
  });
  after(async () => {
    await srv?.stop();
  });

  const kinds = [
    {
      type: 'project',
      schema: 'Project',
      nameParam: 'project_name',
      body: (name, extra = {}) => ({ name, description: 'a project', ...extra }),
      scopeQuery: () => ({}),
      hasMetadata: false,
    },
    {
      type: 'experiment',
      schema: 'Experiment',
      nameParam: 'experiment_name',
      body: (name, extra = {}) => ({ project_id: parent.id, name, description: 'an experiment', metadata: { a: { x: 1 }, b: 1 }, ...extra }),
      scopeQuery: () => ({ project_id: parent.id }),
      hasMetadata: true,
    },
    {
      type: 'dataset',
      schema: 'Dataset',
      nameParam: 'dataset_name',
      body: (name, extra = {}) => ({ project_id: parent.id, name, description: 'a dataset', metadata: { a: { x: 1 }, b: 1 }, ...extra }),
      scopeQuery: () => ({ project_id: parent.id }),
      hasMetadata: true,
    },
  ];

  for (const k of kinds) {
    const base = `/v1/${k.type}`;

    it(`${k.type}: POST creates, second POST with the same name returns it with x-bt-found-existing: true`, withLogs(async () => {
      const name = uniqueName(`${k.type}-idem`);
      const r1 = await c.post(base, k.body(name));
      const o1 = ok(r1, `POST ${base}`);
      assertSchema(k.schema, o1);
      assertPathResponse(base, 'post', o1);
      assertUuid(o1.id);
      assert.equal(o1.name, name);
      assert.notEqual(foundExisting(r1), 'true', 'first create must not be flagged found-existing');
      if (k.type !== 'project') assert.equal(o1.project_id, parent.id);
      else assert.equal(o1.org_id, org.id);
      assert.ok(o1.created, 'created');
      assert.equal(o1.deleted_at ?? null, null);
      const r2 = await c.post(base, k.body(name, { description: 'different' }));
      const o2 = ok(r2, `POST ${base} again`);
      assertSchema(k.schema, o2);
      assert.equal(o2.id, o1.id, 'same name → same object');
      assert.equal(foundExisting(r2), 'true', 'x-bt-found-existing: true on the second POST');
      assert.equal(o2.description, o1.description, 'existing object is returned unmodified');
    }));

    it(`${k.type}: GET by id, unknown id → 404`, withLogs(async () => {
      const o = ok(await c.post(base, k.body(uniqueName(`${k.type}-get`))));
      const g = ok(await c.get(`${base}/${o.id}`));
      assertSchema(k.schema, g);
      assertPathResponse(`${base}/{${k.type}_id}`, 'get', g);
      assert.equal(g.id, o.id);
      assert.equal(g.name, o.name);
      expectError(await c.get(`${base}/${crypto.randomUUID()}`), 404);
    }));

    it(`${k.type}: list newest first, limit, starting_after, ending_before, ids, name filter`, withLogs(async () => {
      const prefix = uniqueName(`${k.type}-list`);
      const made = [];
      for (let i = 0; i < 5; i++) {
        made.push(ok(await c.post(base, k.body(`${prefix}-${i}`))));
        await sleep(TICK);
      }
      const ids = made.map((o) => o.id);
      const newestFirst = [...ids].reverse();
      const q = (extra) => ({ ...k.scopeQuery(), ids, ...extra });

      const all = ok(await c.get(base, { query: q() }));
      assertListSchema(k.schema, all);
      assertPathResponse(base, 'get', all);
      assert.deepEqual(all.objects.map((o) => o.id), newestFirst, 'ids filter, newest first');

      const page1 = ok(await c.get(base, { query: q({ limit: 2 }) }));
      assertListSchema(k.schema, page1);
      assert.deepEqual(page1.objects.map((o) => o.id), newestFirst.slice(0, 2), 'limit=2');
      const page2 = ok(await c.get(base, { query: q({ limit: 2, starting_after: newestFirst[1] }) }));
      assert.deepEqual(page2.objects.map((o) => o.id), newestFirst.slice(2, 4), 'starting_after');
      const page3 = ok(await c.get(base, { query: q({ limit: 2, starting_after: newestFirst[3] }) }));
      assert.deepEqual(page3.objects.map((o) => o.id), newestFirst.slice(4), 'last page');
      const back = ok(await c.get(base, { query: q({ limit: 2, ending_before: newestFirst[3] }) }));
      assert.deepEqual(back.objects.map((o) => o.id), newestFirst.slice(1, 3), 'ending_before = the page just before the cursor');
      const zero = ok(await c.get(base, { query: q({ limit: 0 }) }));
      assert.ok(Array.isArray(zero.objects));

      const two = ok(await c.get(base, { query: { ...k.scopeQuery(), ids: [ids[1], ids[3]] } }));
      assert.deepEqual(two.objects.map((o) => o.id).sort(), [ids[1], ids[3]].sort(), 'ids subset');

      const byName = ok(await c.get(base, { query: { ...k.scopeQuery(), [k.nameParam]: `${prefix}-2` } }));
      assertListSchema(k.schema, byName);
      assert.deepEqual(byName.objects.map((o) => o.id), [ids[2]], `${k.nameParam} filter`);

      const byOrg = ok(await c.get(base, { query: { ...k.scopeQuery(), org_name: org.name, ids } }));
      assert.equal(byOrg.objects.length, 5, 'org_name filter with own org');

      // Unfiltered list (no ids) contains them, still newest first.
      const plain = ok(await c.get(base, { query: k.scopeQuery() }));
      assertListSchema(k.schema, plain);
      const positions = ids.map((id) => plain.objects.findIndex((o) => o.id === id));
      assert.ok(positions.every((p) => p >= 0), 'all created objects listed');
      assert.deepEqual([...positions].sort((a, b) => b - a), positions, 'newest first in the unfiltered list');
      const times = plain.objects.map((o) => Date.parse(o.created));
      for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] >= times[i], 'list sorted by created desc');
    }));

    if (k.type !== 'project') {
      it(`${k.type}: list by project_name`, withLogs(async () => {
        const p = ok(await c.post('/v1/project', { name: uniqueName(`${k.type}-pn`) }));
        const o = ok(await c.post(base, { ...k.body(uniqueName('child')), project_id: p.id }));
        const l = ok(await c.get(base, { query: { project_name: p.name } }));
        assertListSchema(k.schema, l);
        assert.deepEqual(l.objects.map((x) => x.id), [o.id]);
        const l2 = ok(await c.get(base, { query: { project_id: p.id } }));
        assert.deepEqual(l2.objects.map((x) => x.id), [o.id]);
      }));
    }

    it(`${k.type}: PATCH deep-merges and returns the object`, withLogs(async () => {
      const o = ok(await c.post(base, k.body(uniqueName(`${k.type}-patch`))));
      const patch = k.hasMetadata
        ? { description: 'patched', metadata: { a: { y: 2 }, c: 3 } }
        : { description: 'patched' };
      const p = ok(await c.patch(`${base}/${o.id}`, patch));
      assertSchema(k.schema, p);
      assertPathResponse(`${base}/{${k.type}_id}`, 'patch', p);
      assert.equal(p.id, o.id);
      assert.equal(p.name, o.name, 'name untouched');
      assert.equal(p.description, 'patched');
      if (k.hasMetadata) assert.deepEqual(p.metadata, { a: { x: 1, y: 2 }, b: 1, c: 3 }, 'metadata deep-merged');
      const g = ok(await c.get(`${base}/${o.id}`));
      assert.equal(g.description, 'patched', 'GET after PATCH');
      if (k.hasMetadata) assert.deepEqual(g.metadata, p.metadata, 'GET after PATCH');
      const renamed = ok(await c.patch(`${base}/${o.id}`, { name: `${o.name}-renamed` }));
      assert.equal(renamed.name, `${o.name}-renamed`);
      assert.equal(renamed.description, 'patched');
    }));

    it(`${k.type}: DELETE is soft (deleted_at set), then GET → 404 and it leaves lists`, withLogs(async () => {
      const o = ok(await c.post(base, k.body(uniqueName(`${k.type}-del`))));
      const d = ok(await c.del(`${base}/${o.id}`));
      assertSchema(k.schema, d);
      assertPathResponse(`${base}/{${k.type}_id}`, 'delete', d);
      assert.equal(d.id, o.id);
      assert.ok(d.deleted_at, `deleted_at should be set: ${JSON.stringify(d)}`);
      assert.ok(!Number.isNaN(Date.parse(d.deleted_at)), 'deleted_at is a date');
      expectError(await c.get(`${base}/${o.id}`), 404, 'GET after DELETE');
      const l = ok(await c.get(base, { query: { ...k.scopeQuery(), ids: [o.id] } }));
      assert.deepEqual(l.objects, [], 'deleted object not listed');
      expectError(await c.del(`${base}/${o.id}`), 404, 'second DELETE');
      expectError(await c.patch(`${base}/${o.id}`, { description: 'x' }), 404, 'PATCH after DELETE');
    }));
  }

  it('experiment: public defaults to false; base_exp_id and repo_info round-trip', withLogs(async () => {
    const e1 = ok(await c.post('/v1/experiment', { project_id: parent.id, name: uniqueName('rt1') }));
    assert.equal(e1.public, false);
    const e2 = ok(await c.post('/v1/experiment', {
      project_id: parent.id,
      name: uniqueName('rt2'),
      base_exp_id: e1.id,
      repo_info: { commit: 'c'.repeat(40), branch: 'b' },
      tags: ['x'],
    }));
    assertSchema('Experiment', e2);
    assert.equal(e2.base_exp_id, e1.id);
    assert.equal(e2.repo_info.commit, 'c'.repeat(40));
    assert.deepEqual(e2.tags, ['x']);
  }));

  it('names with spaces, slashes, unicode and URL metacharacters round-trip through create and name filters', withLogs(async () => {
    for (const raw of ['with space', 'slash/inside', 'ünïcödé ✓', 'q?a=b&c=d#frag', "quote'\"s", '100%']) {
      const name = `${raw} ${uniqueName('n')}`;
      const p = ok(await c.post('/v1/project', { name }), `create ${JSON.stringify(name)}`);
      assert.equal(p.name, name);
      const l = ok(await c.get('/v1/project', { query: { project_name: name } }));
      assert.deepEqual(l.objects.map((o) => o.id), [p.id], `project_name filter for ${JSON.stringify(name)}`);
      const e = ok(await c.post('/v1/experiment', { project_id: p.id, name }));
      const le = ok(await c.get('/v1/experiment', { query: { project_name: name, experiment_name: name } }));
      assert.deepEqual(le.objects.map((o) => o.id), [e.id]);
      const reg = ok(await c.post('/api/project/register', { project_name: name }));
      assert.equal(reg.project.id, p.id);
    }
  }));

  it('project: deleting a project hides it from lists and by-name lookups', withLogs(async () => {
    const p = ok(await c.post('/v1/project', { name: uniqueName('gone') }));
    ok(await c.del(`/v1/project/${p.id}`));
    const l = ok(await c.get('/v1/project', { query: { project_name: p.name } }));
    assert.deepEqual(l.objects, []);
  }));

  it('organization: list, get, patch', withLogs(async () => {
    const l = ok(await c.get('/v1/organization'));
    assertListSchema('Organization', l);
    assertPathResponse('/v1/organization', 'get', l);
    assert.ok(l.objects.some((o) => o.id === org.id && o.name === org.name), JSON.stringify(l));
    const byName = ok(await c.get('/v1/organization', { query: { org_name: org.name } }));
    assert.deepEqual(byName.objects.map((o) => o.id), [org.id]);
    const g = ok(await c.get(`/v1/organization/${org.id}`));
    assertSchema('Organization', g);
    assert.equal(g.name, org.name);
    const newName = uniqueName('renamed-org');
    const p = ok(await c.patch(`/v1/organization/${org.id}`, { name: newName }));
    assertSchema('Organization', p);
    assert.equal(p.id, org.id);
    assert.equal(p.name, newName);
    assert.equal(ok(await c.get(`/v1/organization/${org.id}`)).name, newName);
    const back = ok(await c.patch(`/v1/organization/${org.id}`, { name: org.name }));
    assert.equal(back.name, org.name);
  }));

  it('api_key: POST returns key once; the key works; list/get hide it; DELETE revokes', withLogs(async () => {
    const name = uniqueName('key');
    const r = ok(await c.post('/v1/api_key', { name }));
    assertSchema('ApiKey', r);
    assertUuid(r.id);
    assert.equal(r.name, name);
    assert.equal(typeof r.key, 'string');
    assert.ok(r.key.length >= 16);
    assert.notEqual(r.preview_name, r.key, 'preview_name must not be the full key');
    const other = await api(srv.url, '/v1/project', { key: r.key });
    assert.equal(other.status, 200, `new key should work: ${other.text}`);

    const l = await c.get('/v1/api_key');
    const lj = ok(l);
    assertListSchema('ApiKey', lj);
    assertPathResponse('/v1/api_key', 'get', lj);
    assert.ok(lj.objects.some((o) => o.id === r.id), 'new key listed');
    assert.ok(!l.text.includes(r.key), 'list must not reveal raw keys');
    assert.ok(!l.text.includes(srv.apiKey), 'list must not reveal raw keys');
    const g = await c.get(`/v1/api_key/${r.id}`);
    assertSchema('ApiKey', ok(g));
    assert.equal(g.json.name, name);
    assert.ok(!g.text.includes(r.key), 'GET must not reveal the raw key');

    const withOrg = ok(await c.post('/v1/api_key', { name: uniqueName('key-org'), org_name: org.name }));
    assert.equal(typeof withOrg.key, 'string');
    const scoped = await api(srv.url, '/api/apikey/login', { method: 'POST', key: withOrg.key });
    assert.equal(scoped.status, 200, scoped.text);
    assert.ok(scoped.json.org_info.some((o) => o.id === org.id));

    const d = ok(await c.del(`/v1/api_key/${r.id}`));
    assertSchema('ApiKey', d);
    assert.equal(d.id, r.id);
    expectError(await api(srv.url, '/v1/project', { key: r.key }), 401, 'deleted key');
    expectError(await c.get(`/v1/api_key/${r.id}`), 404);
    const l2 = ok(await c.get('/v1/api_key'));
    assert.ok(!l2.objects.some((o) => o.id === r.id), 'deleted key not listed');
    // The admin key itself still works.
    ok(await c.get('/v1/project'));
  }));
});

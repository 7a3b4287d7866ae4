// SDK control-plane routes (/api/*) called directly, on `serve` and on
// `control`+`data` (both through the control-plane URL and through the data
// plane's proxy).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, sleep, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, assertUuid, client, expectError, expectStatus, ok } from '../lib/http.mjs';
import { assertSchema } from '../lib/schema.mjs';

const TICK = 15; // ms between creations so `created` timestamps differ (ordering only)

function defineControlPlaneTests(label, getCtx) {
  describe(`control-plane API: ${label}`, () => {
    let ctx; // {url, key, orgName, expectedApiUrl}
    let c;
    let orgId;
    before(() => {
      ctx = getCtx();
      c = client(ctx.url, ctx.key);
    });

    const register = (body) => c.post('/api/experiment/register', { org_id: orgId, ...body });

    it('POST /api/apikey/login (no body) → org_info with id, name, api_url, proxy_url, git_metadata', withLogs(async () => {
      const r = await api(ctx.url, '/api/apikey/login', { method: 'POST', key: ctx.key });
      assert.equal(r.status, 200, r.text);
      assert.ok(Array.isArray(r.json?.org_info) && r.json.org_info.length >= 1, r.text);
      const org = r.json.org_info.find((o) => o.name === ctx.orgName);
      assert.ok(org, `org ${ctx.orgName} not in ${r.text}`);
      assertUuid(org.id, 'org id');
      for (const k of ['id', 'name', 'api_url', 'proxy_url', 'git_metadata']) assert.ok(k in org, `org_info lacks ${k}: ${r.text}`);
      assert.equal(String(org.api_url).replace(/\/+$/, ''), ctx.expectedApiUrl.replace(/\/+$/, ''));
      assert.ok(org.proxy_url === null || typeof org.proxy_url === 'string');
      orgId = org.id;
      // Also with an explicit empty JSON body and with content-length 0 but no content-type.
      const r2 = await api(ctx.url, '/api/apikey/login', { method: 'POST', key: ctx.key, body: '{}', headers: { 'Content-Type': 'application/json' } });
      assert.equal(r2.status, 200, r2.text);
      const r3 = await api(ctx.url, '/api/apikey/login', { method: 'POST', key: ctx.key, body: '' });
      assert.equal(r3.status, 200, r3.text);
    }));

    it('login with a bad key → 401 JSON', withLogs(async () => {
      expectError(await api(ctx.url, '/api/apikey/login', { method: 'POST', key: 'sk-nope' }), 401);
    }));

    it('project register / GET /api/project?id= / /api/project/get', withLogs(async () => {
      const name = uniqueName('cp-proj');
      const r1 = ok(await c.post('/api/project/register', { project_name: name, org_id: orgId }), 'register');
      assert.ok(r1.project, JSON.stringify(r1));
      assertUuid(r1.project.id);
      assert.equal(r1.project.name, name);
      assert.equal(r1.project.org_id, orgId);
      assertSchema('Project', r1.project);
      const r2 = ok(await c.post('/api/project/register', { project_name: name, org_id: orgId }), 'register again');
      assert.equal(r2.project.id, r1.project.id, 'register is get-or-create');
      const r3 = ok(await c.post('/api/project/register', { project_name: name }), 'register without org_id (publish path)');
      assert.equal(r3.project.id, r1.project.id);

      const g = ok(await c.get(`/api/project?id=${r1.project.id}`), 'GET /api/project?id=');
      assert.equal(g.id, r1.project.id);
      assert.equal(g.name, name);

      const pg = ok(await c.post('/api/project/get', { id: r1.project.id }), '/api/project/get');
      assert.ok(Array.isArray(pg) && pg.length === 1, JSON.stringify(pg));
      assert.equal(pg[0].id, r1.project.id);
      assert.equal(pg[0].name, name);
      assertSchema('Project', pg[0]);
    }));

    it('experiment register: new, duplicate name → suffixed new experiment, update:true reuses', withLogs(async () => {
      const pname = uniqueName('cp-exp');
      const a = ok(await register({ project_name: pname, experiment_name: 'dup', ancestor_commits: [] }), 'first');
      assert.ok(a.project && a.experiment, JSON.stringify(a));
      assertUuid(a.project.id);
      assert.equal(a.project.name, pname, 'register creates the project by name');
      assertUuid(a.experiment.id);
      assert.equal(a.experiment.name, 'dup');
      assert.ok(a.experiment.created, 'experiment.created');
      assert.ok('base_exp_id' in a.experiment, 'experiment.base_exp_id key should be present (null when none)');
      assert.equal(a.experiment.base_exp_id ?? null, null, 'first experiment in a project has no base');
      await sleep(TICK);
      const b = ok(await register({ project_name: pname, experiment_name: 'dup' }), 'duplicate');
      assert.notEqual(b.experiment.id, a.experiment.id, 'duplicate name without update → new experiment');
      assert.notEqual(b.experiment.name, 'dup', 'duplicate name must be suffixed');
      assert.ok(b.experiment.name.startsWith('dup'), `suffixed name should start with the requested one: ${b.experiment.name}`);
      assert.equal(b.project.id, a.project.id);
      await sleep(TICK);
      const u = ok(await register({ project_name: pname, experiment_name: 'dup', update: true }), 'update:true');
      assert.equal(u.experiment.id, a.experiment.id, 'update:true reuses the experiment with that name');
      assert.equal(u.experiment.name, 'dup');
      const byId = ok(await register({ project_id: a.project.id, experiment_name: 'by-project-id' }), 'by project_id');
      assert.equal(byId.project.id, a.project.id);
      assert.equal(byId.project.name, pname);
      const noName = ok(await register({ project_id: a.project.id }), 'no experiment_name');
      assert.ok(typeof noName.experiment.name === 'string' && noName.experiment.name.length > 0, 'a name is generated');

      const rest = ok(await c.get(`/v1/experiment/${b.experiment.id}`));
      assert.equal(rest.name, b.experiment.name);
      assert.equal(rest.project_id, a.project.id);
    }));

    it('experiment register stores description, metadata, tags, public, repo_info', withLogs(async () => {
      const pname = uniqueName('cp-fields');
      const repo = { commit: 'a'.repeat(40), branch: 'main', dirty: false, author_name: 'T', commit_message: 'm' };
      const r = ok(await register({
        project_name: pname,
        experiment_name: 'fields',
        description: 'desc',
        metadata: { k: { nested: 1 } },
        tags: ['t1', 't2'],
        public: false,
        repo_info: repo,
        ancestor_commits: [],
      }));
      const e = ok(await c.get(`/v1/experiment/${r.experiment.id}`));
      assert.equal(e.description, 'desc');
      assert.deepEqual(e.metadata, { k: { nested: 1 } });
      assert.deepEqual(e.tags, ['t1', 't2']);
      assert.equal(e.public, false);
      assert.equal(e.repo_info?.commit, repo.commit);
      assert.equal(e.repo_info?.branch, 'main');
      assertSchema('Experiment', e);
    }));

    it('base experiment: base_exp_id > base_experiment name > newest earlier; unknown name → 400 "base experiment"', withLogs(async () => {
      const pname = uniqueName('cp-base');
      const e1 = ok(await register({ project_name: pname, experiment_name: 'e1', ancestor_commits: [] })).experiment;
      assert.equal(e1.base_exp_id ?? null, null);
      await sleep(TICK);
      const e2 = ok(await register({ project_name: pname, experiment_name: 'e2', ancestor_commits: [] })).experiment;
      assert.equal(e2.base_exp_id, e1.id, 'fallback: newest earlier experiment');
      await sleep(TICK);
      const e3 = ok(await register({ project_name: pname, experiment_name: 'e3', base_experiment: 'e1' })).experiment;
      assert.equal(e3.base_exp_id, e1.id, 'named base_experiment wins over newest');
      await sleep(TICK);
      const e4 = ok(await register({ project_name: pname, experiment_name: 'e4', base_exp_id: e2.id, base_experiment: 'e1' })).experiment;
      assert.equal(e4.base_exp_id, e2.id, 'base_exp_id wins over base_experiment');

      const bad = await register({ project_name: pname, experiment_name: 'e5', base_experiment: 'no-such-experiment' });
      assert.equal(bad.status, 400, bad.text);
      assert.ok(bad.text.includes('base experiment'), `error text must contain "base experiment" (the SDK retries on it): ${bad.text}`);

      // /api/base_experiment/get_id
      const g2 = ok(await c.post('/api/base_experiment/get_id', { id: e2.id }));
      assert.equal(g2.base_exp_id, e1.id);
      assert.equal(g2.base_exp_name, 'e1');
      const g4 = ok(await c.post('/api/base_experiment/get_id', { id: e4.id }));
      assert.equal(g4.base_exp_id, e2.id);
      assert.equal(g4.base_exp_name, 'e2');
      const none = await c.post('/api/base_experiment/get_id', { id: e1.id });
      assert.equal(none.status, 400, `no base → 400 (the SDK treats 400 as "no base"): ${none.status} ${none.text}`);

      const rest = ok(await c.get(`/v1/experiment/${e4.id}`));
      assert.equal(rest.base_exp_id, e2.id);
    }));

    it('base experiment via ancestor_commits: newest experiment whose repo_info.commit is listed', withLogs(async () => {
      const pname = uniqueName('cp-anc');
      const A = '1'.repeat(40);
      const B = '2'.repeat(40);
      const C = '3'.repeat(40);
      const mk = async (name, commit, extra = {}) => {
        const r = ok(await register({ project_name: pname, experiment_name: name, repo_info: commit ? { commit } : undefined, ancestor_commits: [], ...extra }));
        await sleep(TICK);
        return r.experiment;
      };
      const qa = await mk('qa', A);
      const qb = await mk('qb', B);
      const qc = await mk('qc', C);
      const qd = await mk('qd', null, { ancestor_commits: ['f'.repeat(40), A] });
      assert.equal(qd.base_exp_id, qa.id, 'only qa matches');
      const qe = await mk('qe', null, { ancestor_commits: [B, A] });
      assert.equal(qe.base_exp_id, qb.id, 'qb is the newest matching');
      const qf = await mk('qf', null, { ancestor_commits: ['e'.repeat(40)] });
      assert.equal(qf.base_exp_id, qe.id, 'no commit matches → newest earlier experiment');
      assert.notEqual(qc.id, qd.base_exp_id);
    }));

    it('/api/experiment/get by project_name / project_id', withLogs(async () => {
      const pname = uniqueName('cp-get');
      const a = ok(await register({ project_name: pname, experiment_name: 'target', ancestor_commits: [] }));
      const byName = ok(await c.post('/api/experiment/get', { project_name: pname, org_name: ctx.orgName, experiment_name: 'target' }));
      assert.ok(Array.isArray(byName) && byName.length >= 1, JSON.stringify(byName));
      assert.equal(byName[0].id, a.experiment.id);
      assert.equal(byName[0].name, 'target');
      assert.equal(byName[0].project_id, a.project.id);
      const byId = ok(await c.post('/api/experiment/get', { project_id: a.project.id, experiment_name: 'target' }));
      assert.equal(byId[0].id, a.experiment.id);
      const missing = await c.post('/api/experiment/get', { project_name: pname, org_name: ctx.orgName, experiment_name: 'nope' });
      if (missing.status === 200) assert.deepEqual(missing.json, [], 'unknown experiment → []');
      else expectError(missing, 404);
    }));

    it('dataset register (get-or-create) and /api/self/get_object_info', withLogs(async () => {
      const pname = uniqueName('cp-ds');
      const r = ok(await c.post('/api/dataset/register', {
        org_id: orgId,
        project_name: pname,
        dataset_name: 'ds1',
        description: 'dataset one',
        metadata: { source: 'test' },
      }));
      assert.ok(r.project && r.dataset, JSON.stringify(r));
      assertUuid(r.dataset.id);
      assert.equal(r.dataset.name, 'ds1');
      assert.equal(r.project.name, pname);
      const again = ok(await c.post('/api/dataset/register', { org_id: orgId, project_name: pname, dataset_name: 'ds1' }));
      assert.equal(again.dataset.id, r.dataset.id, 'same name → same dataset');
      const byPid = ok(await c.post('/api/dataset/register', { org_id: orgId, project_id: r.project.id, dataset_name: 'ds1' }));
      assert.equal(byPid.dataset.id, r.dataset.id);

      const rest = ok(await c.get(`/v1/dataset/${r.dataset.id}`));
      assert.equal(rest.description, 'dataset one');
      assert.deepEqual(rest.metadata, { source: 'test' });
      assert.equal(rest.project_id, r.project.id);

      const info = ok(await c.post('/api/self/get_object_info', { object_type: 'dataset', object_ids: [r.dataset.id] }));
      assert.ok(Array.isArray(info) && info.length === 1, JSON.stringify(info));
      assert.equal(info[0].object_id, r.dataset.id);
      assert.equal(info[0].object_name, 'ds1');
      assert.equal(info[0].parent_cols?.project?.id, r.project.id);
      assert.equal(info[0].parent_cols?.project?.name, pname);

      const unknown = await c.post('/api/self/get_object_info', { object_type: 'dataset', object_ids: [crypto.randomUUID()] });
      if (unknown.status === 200) assert.deepEqual(unknown.json, []);
      else expectError(unknown, 404);
    }));
  });
}

describe('control plane on serve', { skip: SKIP_NO_BINARY }, () => {
  let srv;
  before(async () => {
    srv = await startServe();
  });
  after(async () => {
    await srv?.stop();
  });
  defineControlPlaneTests('serve', () => ({ url: srv.url, key: srv.apiKey, orgName: srv.orgName, expectedApiUrl: srv.expectedApiUrl }));
});

describe('control plane on control + data', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  before(async () => {
    dep = await startSplit();
  });
  after(async () => {
    await dep?.stop();
  });
  defineControlPlaneTests('split, via control-plane URL', () => ({
    url: dep.controlUrl,
    key: dep.apiKey,
    orgName: dep.orgName,
    expectedApiUrl: dep.dataUrl,
  }));
  defineControlPlaneTests('split, via data-plane URL (proxied)', () => ({
    url: dep.dataUrl,
    key: dep.apiKey,
    orgName: dep.orgName,
    expectedApiUrl: dep.dataUrl,
  }));

  it('data plane serves /health, /version and proxies /v1 objects to the control plane', withLogs(async () => {
    for (const u of [dep.controlUrl, dep.dataUrl]) {
      expectStatus(await api(u, '/health'), 200);
    }
    const v = await api(dep.dataUrl, '/version');
    assert.equal(v.status, 200, v.text);
    assert.equal(v.json?.logs3_payload_max_bytes, 6 * 1024 * 1024, 'the data plane advertises its /logs3 limit');
    const c = await api(dep.controlUrl, '/version');
    assert.equal(c.json?.logs3_payload_max_bytes, null, 'a control plane takes no rows');
    const name = uniqueName('split-rest');
    const viaData = ok(await api(dep.dataUrl, '/v1/project', { key: dep.apiKey, body: { name } }));
    const viaControl = ok(await api(dep.controlUrl, `/v1/project/${viaData.id}`, { key: dep.apiKey }));
    assert.equal(viaControl.name, name);
    const list = ok(await api(dep.dataUrl, '/v1/project', { key: dep.apiKey, query: { project_name: name } }));
    assert.deepEqual(list.objects.map((o) => o.id), [viaData.id]);
    expectError(await api(dep.dataUrl, '/v1/project', { key: 'sk-bad' }), 401);
    expectError(await api(dep.dataUrl, '/api/apikey/login', { method: 'POST', key: 'sk-bad' }), 401);
  }));
});

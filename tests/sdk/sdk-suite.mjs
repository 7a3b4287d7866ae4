// The official braintrust SDK (3.35.0) against tracevault. Shared by
// sdk-serve.test.mjs and sdk-split.test.mjs.
//
// Only control-plane metadata paths are exercised (login, register, lazily
// resolved ids). Nothing here logs rows, flushes, summarizes or fetches, so
// /logs3 and /btql are never needed; a recording fetch asserts that.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as bt from 'braintrust';
import { SKIP_NO_BINARY, makeTmpDir, sleep, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, assertUuid, ok } from '../lib/http.mjs';

const ENV_KEYS = ['BRAINTRUST_APP_URL', 'BRAINTRUST_API_KEY', 'BRAINTRUST_ORG_NAME', 'BRAINTRUST_API_URL', 'BRAINTRUST_PROXY_URL', 'BRAINTRUST_APP_PUBLIC_URL'];
const TICK = 15;

export function defineSdkSuite(mode) {
  describe(`braintrust SDK 3.35.0 against tracevault ${mode}`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let appUrl;
    let key;
    let orgA; // {id, name}
    let orgB; // {id, name}: second org of the same user
    let stateA;
    const calls = []; // {method, url, path}
    const savedEnv = {};
    const savedCwd = process.cwd();
    let cwdTmp;

    function recFetch(input, init) {
      const u = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
      if (u.hostname !== '127.0.0.1') throw new Error(`SDK tried to contact ${u.href}`);
      calls.push({ method: init?.method ?? 'GET', url: u.href, path: u.pathname });
      return fetch(input, init);
    }
    const login = (opts = {}) => bt.loginToState({ appUrl, apiKey: key, fetch: recFetch, ...opts });
    const rest = (path, opts = {}) => api(dep.dataUrl, path, { key, ...opts });

    before(async () => {
      for (const k of ENV_KEYS) {
        savedEnv[k] = process.env[k];
        delete process.env[k];
      }
      // Keep git metadata collection hermetic: run from a non-repo temp dir.
      cwdTmp = makeTmpDir('tracevault-sdk-cwd-');
      process.chdir(cwdTmp);
      dep = mode === 'serve' ? await startServe() : await startSplit();
      appUrl = dep.appUrl;
      key = dep.apiKey;
      // Second org for the same user, created before the key is first used
      // (the server caches a key's memberships for a while; that staleness is
      // covered by integration/lifecycle.test.mjs, not here).
      const out = await dep.admin(['create-org', '--org-name', uniqueName('sdk-org-b'), '--user-email', dep.userEmail]);
      orgB = { id: out.org_id, name: out.org_name };
      const l = ok(await api(appUrl, '/api/apikey/login', { method: 'POST', key }));
      orgA = l.org_info.find((o) => o.name === dep.orgName);
      assert.ok(orgA, `init org ${dep.orgName} not in login response`);
      stateA = await login({ orgName: orgA.name });
    });
    after(async () => {
      process.chdir(savedCwd);
      for (const k of ENV_KEYS) {
        if (savedEnv[k] === undefined) delete process.env[k];
        else process.env[k] = savedEnv[k];
      }
      if (cwdTmp) fs.rmSync(cwdTmp, { recursive: true, force: true });
      await dep?.stop();
    });

    it('login() works and returns the org', withLogs(async () => {
      const state = await bt.login({ appUrl, apiKey: key, orgName: orgA.name, forceLogin: true, fetch: recFetch });
      assert.equal(state.orgName, orgA.name);
      assert.equal(state.orgId, orgA.id);
      assertUuid(state.orgId, 'orgId');
      assert.equal(String(state.apiUrl).replace(/\/+$/, ''), dep.expectedApiUrl);
      assert.equal(state.loggedIn, true);
      assert.ok(calls.some((c) => c.path === '/api/apikey/login' && c.method === 'POST' && c.url.startsWith(appUrl)));
    }));

    it('login with a wrong key is rejected', withLogs(async () => {
      await assert.rejects(
        bt.loginToState({ appUrl, apiKey: 'sk-wrong-key-123', fetch: recFetch }),
        (e) => {
          assert.equal(e.status, 401, `expected FailedHTTPResponse 401, got ${e}`);
          return true;
        },
      );
      await assert.rejects(bt.login({ appUrl, apiKey: 'sk-wrong-key-456', forceLogin: true, fetch: recFetch }));
    }));

    it('the key of a user in two orgs sees both; orgName / BRAINTRUST_ORG_NAME pick the org', withLogs(async () => {
      const l = ok(await api(appUrl, '/api/apikey/login', { method: 'POST', key }));
      assert.deepEqual(l.org_info.map((o) => o.name).sort(), [orgA.name, orgB.name].sort());
      const sb = await login({ orgName: orgB.name });
      assert.equal(sb.orgName, orgB.name);
      assert.equal(sb.orgId, orgB.id);
      const sa = await login({ orgName: orgA.name });
      assert.equal(sa.orgId, orgA.id);

      process.env.BRAINTRUST_APP_URL = appUrl;
      process.env.BRAINTRUST_API_KEY = key;
      process.env.BRAINTRUST_ORG_NAME = orgB.name;
      try {
        const se = await bt.loginToState({ fetch: recFetch });
        assert.equal(se.orgName, orgB.name);
        assert.equal(se.orgId, orgB.id);
        const g = await bt.login({ forceLogin: true, fetch: recFetch });
        assert.equal(g.orgId, orgB.id);
        // A logger in org B registers its project in org B.
        const logger = bt.initLogger({ projectName: uniqueName('sdk-orgb-proj'), state: se, setCurrent: false });
        const pid = await logger.id;
        const p = ok(await rest(`/v1/project/${pid}`));
        assert.equal(p.org_id, orgB.id);
        // REST org_name filter partitions a multi-org key's projects.
        const inB = ok(await rest('/v1/project', { query: { org_name: orgB.name } })).objects.map((o) => o.id);
        assert.ok(inB.includes(pid), 'org_name=B lists the project');
        const inA = ok(await rest('/v1/project', { query: { org_name: orgA.name } })).objects.map((o) => o.id);
        assert.ok(!inA.includes(pid), 'org_name=A does not list B\'s project');
      } finally {
        delete process.env.BRAINTRUST_APP_URL;
        delete process.env.BRAINTRUST_API_KEY;
        delete process.env.BRAINTRUST_ORG_NAME;
      }
    }));

    it('a bad org name throws', withLogs(async () => {
      await assert.rejects(login({ orgName: uniqueName('no-such-org') }), /not found/i);
    }));

    it('initLogger({projectName}) registers the project', withLogs(async () => {
      const name = uniqueName('sdk-logger');
      const logger = bt.initLogger({ projectName: name, state: stateA, setCurrent: false });
      const id = await logger.id;
      assertUuid(id, 'logger.id');
      const project = await logger.project;
      assert.equal(project.name, name);
      const p = ok(await rest(`/v1/project/${id}`));
      assert.equal(p.name, name);
      assert.equal(p.org_id, orgA.id);
      const byName = ok(await rest('/v1/project', { query: { project_name: name } }));
      assert.deepEqual(byName.objects.map((o) => o.id), [id]);
      // Same name again → same project.
      const again = bt.initLogger({ projectName: name, state: stateA, setCurrent: false });
      assert.equal(await again.id, id);
      // projectId only → GET /api/project?id= fills in the name.
      const byId = bt.initLogger({ projectId: id, state: stateA, setCurrent: false });
      assert.equal((await byId.project).name, name);
      assert.ok(calls.some((c) => c.path === '/api/project' && c.method === 'GET'), 'SDK used GET /api/project?id=');
    }));

    it('init(project, {experiment}) registers an experiment; same name again → a new, different name; update:true reuses', withLogs(async () => {
      const project = uniqueName('sdk-exp-proj');
      const e1 = bt.init(project, { experiment: 'nightly', state: stateA, setCurrent: false });
      const id1 = await e1.id;
      assertUuid(id1, 'experiment.id');
      assert.equal(await e1.name, 'nightly');
      const proj = await e1.project;
      assert.equal(proj.name, project);
      const r = ok(await rest(`/v1/experiment/${id1}`));
      assert.equal(r.name, 'nightly');
      assert.equal(r.project_id, proj.id);
      await sleep(TICK);

      const e2 = bt.init(project, { experiment: 'nightly', state: stateA, setCurrent: false });
      const id2 = await e2.id;
      assert.notEqual(id2, id1);
      const name2 = await e2.name;
      assert.notEqual(name2, 'nightly');
      assert.ok(name2.startsWith('nightly'), name2);
      assert.equal((await e2.project).id, proj.id);
      await sleep(TICK);

      const e3 = bt.init(project, { experiment: 'nightly', update: true, state: stateA, setCurrent: false });
      assert.equal(await e3.id, id1);
      assert.equal(await e3.name, 'nightly');

      // open:true → /api/experiment/get
      const ro = bt.init(project, { experiment: 'nightly', open: true, state: stateA });
      assert.equal(await ro.id, id1);
      assert.equal(await ro.name, 'nightly');

      // projectId instead of a name
      const e4 = bt.init({ projectId: proj.id, experiment: 'by-id', state: stateA, setCurrent: false });
      assertUuid(await e4.id);
      assert.equal((await e4.project).id, proj.id);
    }));

    it('base experiment: baseExperiment name, baseExperimentId, unknown name falls back', withLogs(async () => {
      const project = uniqueName('sdk-base-proj');
      const mk = async (opts) => {
        const e = bt.init(project, { state: stateA, setCurrent: false, ...opts });
        const id = await e.id;
        await sleep(TICK);
        return { e, id, name: await e.name };
      };
      const one = await mk({ experiment: 'b-one' });
      const two = await mk({ experiment: 'b-two' });
      const three = await mk({ experiment: 'b-three', baseExperiment: 'b-one' });
      assert.equal(ok(await rest(`/v1/experiment/${three.id}`)).base_exp_id, one.id);
      const g3 = ok(await api(appUrl, '/api/base_experiment/get_id', { key, body: { id: three.id } }));
      assert.equal(g3.base_exp_id, one.id);
      assert.equal(g3.base_exp_name, 'b-one');
      assert.equal(await three.e._getBaseExperimentId(), one.id, 'register response carries base_exp_id');

      const four = await mk({ experiment: 'b-four', baseExperimentId: two.id });
      assert.equal(ok(await rest(`/v1/experiment/${four.id}`)).base_exp_id, two.id);
      const g4 = ok(await api(appUrl, '/api/base_experiment/get_id', { key, body: { id: four.id } }));
      assert.equal(g4.base_exp_name, 'b-two');

      // Unknown base name: server says 400 "base experiment", the SDK retries without it.
      const five = await mk({ experiment: 'b-five', baseExperiment: 'does-not-exist' });
      assertUuid(five.id);
      assert.equal(ok(await rest(`/v1/experiment/${five.id}`)).base_exp_id, four.id, 'fallback = newest earlier experiment');

      // The very first experiment has no base → 400 from get_id.
      const none = await api(appUrl, '/api/base_experiment/get_id', { key, body: { id: one.id } });
      assert.equal(none.status, 400, none.text);
    }));

    it('initDataset(project, {dataset}) registers a dataset; initDataset({datasetId}) resolves it', withLogs(async () => {
      const project = uniqueName('sdk-ds-proj');
      const ds = bt.initDataset(project, { dataset: 'golden', description: 'gold', metadata: { v: 1 }, state: stateA });
      const id = await ds.id;
      assertUuid(id, 'dataset.id');
      assert.equal(await ds.name, 'golden');
      const proj = await ds.project;
      assert.equal(proj.name, project);
      const r = ok(await rest(`/v1/dataset/${id}`));
      assert.equal(r.name, 'golden');
      assert.equal(r.project_id, proj.id);
      assert.equal(r.description, 'gold');
      assert.deepEqual(r.metadata, { v: 1 });

      const again = bt.initDataset(project, { dataset: 'golden', state: stateA });
      assert.equal(await again.id, id);

      const byId = bt.initDataset({ datasetId: id, state: stateA });
      assert.equal(await byId.id, id);
      assert.equal(await byId.name, 'golden');
      assert.equal((await byId.project).id, proj.id);
      assert.equal((await byId.project).name, project);
      assert.ok(calls.some((c) => c.path === '/api/self/get_object_info'), 'SDK used /api/self/get_object_info');

      const missing = bt.initDataset({ datasetId: crypto.randomUUID(), state: stateA });
      await assert.rejects(missing.id);
    }));

    if (mode === 'split') {
      it('the data-plane URL works as BRAINTRUST_APP_URL (it proxies the control plane)', withLogs(async () => {
        const s = await bt.loginToState({ appUrl: dep.dataUrl, apiKey: key, orgName: orgA.name, fetch: recFetch });
        assert.equal(s.orgId, orgA.id);
        assert.equal(String(s.apiUrl).replace(/\/+$/, ''), dep.dataUrl);
        const project = uniqueName('sdk-via-data');
        const e = bt.init(project, { experiment: 'x', state: s, setCurrent: false });
        const id = await e.id;
        assertUuid(id);
        const d = bt.initDataset(project, { dataset: 'd', state: s });
        assertUuid(await d.id);
        const viaControl = ok(await api(dep.controlUrl, `/v1/experiment/${id}`, { key }));
        assert.equal(viaControl.name, 'x');
        assert.ok(calls.some((c) => c.url.startsWith(dep.dataUrl) && c.path === '/api/experiment/register'));
      }));
    }

    it('the SDK only talked to 127.0.0.1 and never needed /logs3 or /btql', () => {
      assert.ok(calls.length > 0);
      for (const c of calls) assert.equal(new URL(c.url).hostname, '127.0.0.1');
      const dataPaths = calls.filter((c) => /^\/(logs3|btql)/.test(c.path));
      assert.deepEqual(dataPaths, []);
      const cp = calls.filter((c) => c.path.startsWith('/api/'));
      assert.ok(cp.every((c) => c.url.startsWith(appUrl) || (mode === 'split' && c.url.startsWith(dep.dataUrl))));
    });
  });
}

// Tenancy probe: org B's key must not see or touch anything of org A.
//
// PROBES is the single table of id-taking endpoints; add rows here when new
// endpoints appear. Each row is called with B's key (must be denied and leak
// nothing of A) and with A's key (control: must succeed).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, randomSuffix, sleep, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, client, ok } from '../lib/http.mjs';

/**
 * Probe rows.
 *   name    label
 *   phase   'read' | 'write' | 'delete'  (A's control calls run in this order; deletes last)
 *   method, path(A, who), body?(A, who)   who = 'A' | 'B'
 *   denied  statuses accepted for B (default [404])
 *   deniedEmpty  also accept 200 with an empty array/list body for B (list-like lookups)
 */
export const PROBES = [
  // --- REST by id
  { name: 'GET project', phase: 'read', method: 'GET', path: (A) => `/v1/project/${A.project.id}` },
  { name: 'GET experiment', phase: 'read', method: 'GET', path: (A) => `/v1/experiment/${A.experiment.id}` },
  { name: 'GET dataset', phase: 'read', method: 'GET', path: (A) => `/v1/dataset/${A.dataset.id}` },
  { name: 'GET organization', phase: 'read', method: 'GET', path: (A) => `/v1/organization/${A.org.id}` },
  { name: 'GET api_key', phase: 'read', method: 'GET', path: (A) => `/v1/api_key/${A.apiKey2.id}` },
  { name: 'PATCH project', phase: 'write', method: 'PATCH', path: (A) => `/v1/project/${A.project.id}`, body: (A, who) => ({ description: `patched-by-${who}` }) },
  { name: 'PATCH experiment', phase: 'write', method: 'PATCH', path: (A) => `/v1/experiment/${A.experiment.id}`, body: (A, who) => ({ description: `patched-by-${who}` }) },
  { name: 'PATCH dataset', phase: 'write', method: 'PATCH', path: (A) => `/v1/dataset/${A.dataset.id}`, body: (A, who) => ({ description: `patched-by-${who}` }) },
  { name: 'PATCH organization', phase: 'write', method: 'PATCH', path: (A) => `/v1/organization/${A.org.id}`, body: (A, who) => ({ name: who === 'A' ? A.org.name : `pwned-${randomSuffix(3)}` }) },
  // --- REST creates inside A's project
  { name: 'POST /v1/experiment in A project', phase: 'write', method: 'POST', path: () => '/v1/experiment', body: (A, who) => ({ project_id: A.project.id, name: `${who}-probe-exp` }) },
  { name: 'POST /v1/dataset in A project', phase: 'write', method: 'POST', path: () => '/v1/dataset', body: (A, who) => ({ project_id: A.project.id, name: `${who}-probe-ds` }) },
  // --- REST lists scoped to A
  { name: 'list experiments project_id=A', phase: 'read', method: 'GET', path: (A) => `/v1/experiment?project_id=${A.project.id}` },
  { name: 'list datasets project_id=A', phase: 'read', method: 'GET', path: (A) => `/v1/dataset?project_id=${A.project.id}` },
  { name: 'list projects org_name=A', phase: 'read', method: 'GET', path: (A) => `/v1/project?org_name=${encodeURIComponent(A.org.name)}`, denied: [403, 404] },
  { name: 'list experiments org_name=A', phase: 'read', method: 'GET', path: (A) => `/v1/experiment?org_name=${encodeURIComponent(A.org.name)}`, denied: [403, 404] },
  { name: 'list datasets org_name=A', phase: 'read', method: 'GET', path: (A) => `/v1/dataset?org_name=${encodeURIComponent(A.org.name)}`, denied: [403, 404] },
  { name: 'list organizations org_name=A', phase: 'read', method: 'GET', path: (A) => `/v1/organization?org_name=${encodeURIComponent(A.org.name)}`, denied: [403, 404] },
  { name: 'list api_keys org_name=A', phase: 'read', method: 'GET', path: (A) => `/v1/api_key?org_name=${encodeURIComponent(A.org.name)}`, denied: [403, 404] },
  // --- SDK control-plane routes
  { name: 'GET /api/project?id=', phase: 'read', method: 'GET', path: (A) => `/api/project?id=${A.project.id}` },
  { name: '/api/project/get', phase: 'read', method: 'POST', path: () => '/api/project/get', body: (A) => ({ id: A.project.id }) },
  { name: '/api/base_experiment/get_id', phase: 'read', method: 'POST', path: () => '/api/base_experiment/get_id', body: (A) => ({ id: A.experiment2.id }) },
  { name: '/api/self/get_object_info', phase: 'read', method: 'POST', path: () => '/api/self/get_object_info', body: (A) => ({ object_type: 'dataset', object_ids: [A.dataset.id] }), deniedEmpty: true },
  { name: '/api/experiment/get by project_id', phase: 'read', method: 'POST', path: () => '/api/experiment/get', body: (A) => ({ project_id: A.project.id, experiment_name: A.experiment.name }), deniedEmpty: true },
  { name: '/api/experiment/register with A project_id', phase: 'write', method: 'POST', path: () => '/api/experiment/register', body: (A, who) => ({ project_id: A.project.id, org_id: who === 'A' ? A.org.id : A.orgB.id, experiment_name: `${who}-probe-reg`, ancestor_commits: [] }) },
  { name: '/api/dataset/register with A project_id', phase: 'write', method: 'POST', path: () => '/api/dataset/register', body: (A, who) => ({ project_id: A.project.id, org_id: who === 'A' ? A.org.id : A.orgB.id, dataset_name: `${who}-probe-dsreg` }) },
  // --- deletes (A's control deletes run last, project last of all)
  { name: 'DELETE experiment', phase: 'delete', method: 'DELETE', path: (A) => `/v1/experiment/${A.experiment.id}` },
  { name: 'DELETE dataset', phase: 'delete', method: 'DELETE', path: (A) => `/v1/dataset/${A.dataset.id}` },
  { name: 'DELETE api_key', phase: 'delete', method: 'DELETE', path: (A) => `/v1/api_key/${A.apiKey2.id}` },
  { name: 'DELETE project', phase: 'delete', method: 'DELETE', path: (A) => `/v1/project/${A.project.id}` },
];

const PHASES = ['read', 'write', 'delete'];

function secretsOf(A) {
  // Everything of A's that B must never see (unless B itself put it in the request).
  return [
    A.org.id, A.org.name, A.userEmail,
    A.project.id, A.project.name,
    A.experiment.id, A.experiment.name,
    A.experiment2.id, A.experiment2.name,
    A.dataset.id, A.dataset.name,
    A.apiKey2.id, A.apiKey2.name, A.key, A.apiKey2.key,
  ].filter(Boolean);
}

function isEmptyListBody(json) {
  if (Array.isArray(json)) return json.length === 0;
  if (json && Array.isArray(json.objects)) return json.objects.length === 0;
  return false;
}

function defineTenancyTests(label, startDeployment) {
  describe(`tenancy probe: ${label}`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let url;
    let A; // org A's fixtures
    let B; // {key, org:{id,name}}
    before(async () => {
      dep = await startDeployment();
      url = dep.dataUrl;
      const a = client(url, dep.apiKey);
      const login = await api(url, '/api/apikey/login', { method: 'POST', key: dep.apiKey });
      const org = ok(login, 'login A').org_info[0];
      const project = ok(await a.post('/v1/project', { name: uniqueName('tenant-a-proj'), description: 'a-desc' }));
      const experiment = ok(await a.post('/api/experiment/register', {
        project_id: project.id, org_id: org.id, experiment_name: uniqueName('tenant-a-exp1'), ancestor_commits: [],
      })).experiment;
      await sleep(15);
      const experiment2 = ok(await a.post('/api/experiment/register', {
        project_id: project.id, org_id: org.id, experiment_name: uniqueName('tenant-a-exp2'), base_exp_id: experiment.id,
      })).experiment;
      ok(await a.patch(`/v1/experiment/${experiment.id}`, { description: 'a-exp-desc' }));
      const dataset = ok(await a.post('/v1/dataset', { project_id: project.id, name: uniqueName('tenant-a-ds'), description: 'a-ds-desc' }));
      const apiKey2 = ok(await a.post('/v1/api_key', { name: uniqueName('tenant-a-key2') }));
      A = { key: dep.apiKey, userEmail: dep.userEmail, org, project, experiment, experiment2, dataset, apiKey2 };

      // Org B, created with the admin CLI while the server runs.
      const out = await dep.admin(['create-org', '--org-name', uniqueName('tenant-b-org'), '--user-email', `b-${randomSuffix(3)}@example.test`]);
      B = { key: out.api_key, org: { id: out.org_id, name: out.org_name } };
      A.orgB = B.org;
    });
    after(async () => {
      await dep?.stop();
    });

    it('B key logs in to org B only', withLogs(async () => {
      const l = await api(url, '/api/apikey/login', { method: 'POST', key: B.key });
      assert.equal(l.status, 200, l.text);
      assert.deepEqual(l.json.org_info.map((o) => o.id), [B.org.id]);
      for (const s of secretsOf(A)) assert.ok(!l.text.includes(s), `login(B) leaks ${s}`);
    }));

    it('every probe with B key is denied and leaks nothing of A', withLogs(async () => {
      const failures = [];
      for (const p of PROBES) {
        const path = p.path(A, 'B');
        const body = p.body?.(A, 'B');
        const r = await api(url, path, { method: p.method, key: B.key, body });
        const allowed = p.denied ?? [404];
        const deniedOk = allowed.includes(r.status) || (p.deniedEmpty && r.status === 200 && isEmptyListBody(r.json));
        if (!deniedOk) failures.push(`${p.name}: ${p.method} ${path} ${body ? JSON.stringify(body) : ''} → ${r.status} (want ${allowed.join('|')}${p.deniedEmpty ? ' or 200 []' : ''}) ${r.text.slice(0, 300)}`);
        const request = `${path} ${JSON.stringify(body ?? '')}`;
        const leaks = secretsOf(A).filter((s) => !request.includes(s) && r.text.includes(s));
        if (leaks.length) failures.push(`${p.name}: response leaks A's ${JSON.stringify(leaks)}: ${r.text.slice(0, 300)}`);
        if (r.status >= 400 && !(r.json && typeof r.json.Code === 'string' && typeof r.json.Message === 'string')) {
          failures.push(`${p.name}: error body is not {Code, Message}: ${r.text.slice(0, 200)}`);
        }
      }
      assert.deepEqual(failures, [], `tenancy violations:\n${failures.join('\n')}`);
    }));

    it("B's probes changed nothing of A", withLogs(async () => {
      const a = client(url, A.key);
      const proj = ok(await a.get(`/v1/project/${A.project.id}`));
      assert.equal(proj.description, 'a-desc');
      assert.equal(ok(await a.get(`/v1/experiment/${A.experiment.id}`)).description, 'a-exp-desc');
      assert.equal(ok(await a.get(`/v1/dataset/${A.dataset.id}`)).description, 'a-ds-desc');
      assert.equal(ok(await a.get(`/v1/organization/${A.org.id}`)).name, A.org.name);
      const exps = ok(await a.get('/v1/experiment', { query: { project_id: A.project.id } })).objects.map((e) => e.id).sort();
      assert.deepEqual(exps, [A.experiment.id, A.experiment2.id].sort(), 'no experiment created in A by B');
      const dss = ok(await a.get('/v1/dataset', { query: { project_id: A.project.id } })).objects.map((d) => d.id);
      assert.deepEqual(dss, [A.dataset.id], 'no dataset created in A by B');
      const keyStillWorks = await api(url, '/v1/project', { key: A.apiKey2.key });
      assert.equal(keyStillWorks.status, 200, 'B could not delete A’s key');
    }));

    it("B's own lists contain nothing of A", withLogs(async () => {
      const b = client(url, B.key);
      for (const path of ['/v1/project', '/v1/experiment', '/v1/dataset', '/v1/organization', '/v1/api_key']) {
        const r = await b.get(path);
        assert.equal(r.status, 200, `${path}: ${r.text}`);
        assert.ok(Array.isArray(r.json?.objects), `${path}: ${r.text}`);
        for (const s of secretsOf(A)) assert.ok(!r.text.includes(s), `B's ${path} leaks ${s}`);
      }
      const orgs = ok(await b.get('/v1/organization')).objects.map((o) => o.id);
      assert.deepEqual(orgs, [B.org.id]);
      // Registering A's project *name* under B makes B's own project.
      const reg = ok(await b.post('/api/project/register', { project_name: A.project.name, org_id: B.org.id }));
      assert.notEqual(reg.project.id, A.project.id);
      const mine = ok(await b.post('/v1/project', { name: A.project.name }));
      assert.equal(mine.id, reg.project.id);
      assert.equal(mine.org_id, B.org.id);
      // And the project list of A still has exactly one project with that name.
      const aList = ok(await api(url, '/v1/project', { key: A.key, query: { project_name: A.project.name } }));
      assert.deepEqual(aList.objects.map((p) => p.id), [A.project.id]);
    }));

    it('every probe with A key (control) succeeds', withLogs(async () => {
      const failures = [];
      for (const phase of PHASES) {
        const rows = PROBES.filter((p) => p.phase === phase);
        // Delete the project after everything inside it.
        rows.sort((x, y) => (x.name === 'DELETE project') - (y.name === 'DELETE project'));
        for (const p of rows) {
          const path = p.path(A, 'A');
          const body = p.body?.(A, 'A');
          const r = await api(url, path, { method: p.method, key: A.key, body });
          if (r.status < 200 || r.status >= 300) failures.push(`${p.name}: ${p.method} ${path} → ${r.status} ${r.text.slice(0, 300)}`);
        }
      }
      assert.deepEqual(failures, [], `A's own requests failed:\n${failures.join('\n')}`);
    }));
  });
}

defineTenancyTests('serve', () => startServe());
defineTenancyTests('control + data (via data-plane URL)', () => startSplit());

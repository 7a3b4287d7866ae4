// The owner-only stopgap (docs/security.md, "Owner-only operations"): until
// roles and grants exist, a plain member of an organization may read and
// write rows but may not destroy or re-point what belongs to the organization:
// purge, object deletion, compaction, the admin routes and every write to the
// organization's AI secrets answer 403 and change nothing. An owner still
// succeeds. Both deployments, every call through the data-plane URL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, randomSuffix, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, client, ok } from '../lib/http.mjs';

/** The calls a member must be refused; `path`/`body` take the fixtures. */
const OWNER_ONLY = [
  { name: 'purge rows', method: 'POST', path: (f) => `/v1/experiment/${f.experiment.id}/purge`, body: () => ({ all: true }) },
  { name: 'purge project logs', method: 'POST', path: (f) => `/v1/project_logs/${f.project.id}/purge`, body: () => ({ ids: ['log-1'] }) },
  { name: 'compact everything', method: 'POST', path: () => '/v1/admin/compact', body: () => ({}) },
  { name: 'compact one object', method: 'POST', path: () => '/v1/admin/compact', body: (f) => ({ object_ids: [`experiment:${f.experiment.id}`] }) },
  { name: 'outbound statistics', method: 'GET', path: () => '/v1/admin/outbound' },
  { name: 'delete experiment', method: 'DELETE', path: (f) => `/v1/experiment/${f.experiment.id}` },
  { name: 'delete dataset', method: 'DELETE', path: (f) => `/v1/dataset/${f.dataset.id}` },
  { name: 'delete project', method: 'DELETE', path: (f) => `/v1/project/${f.project.id}` },
  { name: 'create AI secret', method: 'POST', path: () => '/v1/ai_secret', body: () => ({ name: 'MEMBER_SECRET', type: 'openai', secret: 'sk-member-1' }) },
  { name: 'replace AI secret', method: 'PUT', path: () => '/v1/ai_secret', body: (f) => ({ name: f.secret.name, type: 'openai', secret: 'sk-member-2', metadata: { api_base: 'https://evil.example/v1' } }) },
  { name: 'patch AI secret', method: 'PATCH', path: (f) => `/v1/ai_secret/${f.secret.id}`, body: () => ({ metadata: { api_base: 'https://evil.example/v1' } }) },
  { name: 'delete AI secret by id', method: 'DELETE', path: (f) => `/v1/ai_secret/${f.secret.id}` },
  { name: 'delete AI secret by name', method: 'DELETE', path: () => '/v1/ai_secret', body: (f) => ({ name: f.secret.name }) },
];

/** What the member's refused calls must leave untouched (read with the owner's key). */
async function state(url, key, f) {
  const o = client(url, key);
  return {
    project: ok(await o.get(`/v1/project/${f.project.id}`)).name,
    experiment: ok(await o.get(`/v1/experiment/${f.experiment.id}`)).name,
    dataset: ok(await o.get(`/v1/dataset/${f.dataset.id}`)).name,
    rows: ok(await o.get(`/v1/experiment/${f.experiment.id}/fetch`)).events.map((r) => [r.id, r._xact_id]).sort(),
    logs: ok(await o.get(`/v1/project_logs/${f.project.id}/fetch`)).events.map((r) => r.id).sort(),
    secrets: ok(await o.get('/v1/ai_secret')).objects.map((s) => JSON.stringify([s.id, s.name, s.metadata, s.preview_secret, s.updated_at])).sort(),
  };
}

function defineOwnerOnlyTests(label, startDeployment) {
  describe(`owner-only operations: ${label}`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let url;
    let memberKey;
    const f = {};
    before(async () => {
      dep = await startDeployment();
      url = dep.dataUrl;
      const o = client(url, dep.apiKey);
      f.project = ok(await o.post('/v1/project', { name: uniqueName('owner-only') }));
      f.experiment = ok(await o.post('/v1/experiment', { project_id: f.project.id, name: 'exp' }));
      f.dataset = ok(await o.post('/v1/dataset', { project_id: f.project.id, name: 'ds' }));
      ok(await o.post(`/v1/experiment/${f.experiment.id}/insert`, { events: [{ id: 'row-1', input: 'keep me' }] }));
      ok(await o.post(`/v1/project_logs/${f.project.id}/insert`, { events: [{ id: 'log-1', input: 'keep me' }] }));
      f.secret = ok(await o.post('/v1/ai_secret', { name: 'OPENAI_API_KEY', type: 'openai', secret: `sk-owner-${randomSuffix(12)}` }));
      const email = `member-${randomSuffix(6)}@example.test`;
      await dep.admin(['create-user', '--email', email, '--org-name', dep.orgName, '--role', 'member']);
      const k = await dep.admin(['create-api-key', '--user-email', email, '--name', 'member-key']);
      memberKey = k.key ?? k.api_key;
      assert.ok(memberKey, 'create-api-key printed no key');
    });
    after(async () => {
      await dep?.stop();
    });

    it('a member reads and writes rows as before', withLogs(async () => {
      const m = client(url, memberKey);
      ok(await m.get(`/v1/experiment/${f.experiment.id}/fetch`), 'member fetch');
      ok(await m.post(`/v1/dataset/${f.dataset.id}/insert`, { events: [{ id: 'member-row', input: 'hi' }] }), 'member insert');
      ok(await m.get('/v1/ai_secret'), 'member lists secrets (values stay write-only)');
    }));

    it('every owner-only call with a member key is 403 and changes nothing', withLogs(async () => {
      const before = await state(url, dep.apiKey, f);
      const failures = [];
      for (const p of OWNER_ONLY) {
        const r = await api(url, p.path(f), { method: p.method, key: memberKey, body: p.body?.(f), validate: false });
        if (r.status !== 403) failures.push(`${p.name}: ${p.method} ${p.path(f)} → ${r.status} ${r.text.slice(0, 300)}`);
        else if (!/requires the owner role/.test(r.json?.Message ?? '')) failures.push(`${p.name}: unclear 403 ${r.text}`);
        else if (typeof r.json?.Code !== 'string') failures.push(`${p.name}: error body is not {Code, Message}: ${r.text}`);
      }
      assert.deepEqual(failures, [], failures.join('\n'));
      assert.deepEqual(await state(url, dep.apiKey, f), before, 'a refused call changed something');
    }));

    it('an empty object_ids list is a 400, not a way around the owner check', withLogs(async () => {
      for (const key of [memberKey, dep.apiKey]) {
        for (const wait of [true, false]) {
          const r = await api(url, '/v1/admin/compact', { key, body: { object_ids: [], wait }, validate: false });
          assert.equal(r.status, 400, `wait ${wait}: ${r.status} ${r.text}`);
          assert.match(r.json?.Message ?? '', /names no object/);
        }
      }
    }));

    it('the owner still succeeds at every one of them', withLogs(async () => {
      const failures = [];
      for (const p of OWNER_ONLY) {
        const r = await api(url, p.path(f), { method: p.method, key: dep.apiKey, body: p.body?.(f), validate: false });
        // Deleting the secret by id first leaves nothing for the by-name delete.
        const fine = (r.status >= 200 && r.status < 300) || (p.name === 'delete AI secret by name' && r.status === 404);
        if (!fine) failures.push(`${p.name}: ${p.method} ${p.path(f)} → ${r.status} ${r.text.slice(0, 300)}`);
      }
      assert.deepEqual(failures, [], failures.join('\n'));
      const gone = await api(url, `/v1/project/${f.project.id}`, { key: dep.apiKey, validate: false });
      assert.equal(gone.status, 404, 'the owner deleted the project');
    }));
  });
}

defineOwnerOnlyTests('serve', () => startServe());
defineOwnerOnlyTests('control + data (via data-plane URL)', () => startSplit());

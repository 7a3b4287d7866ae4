// Provider secrets (docs/security.md): /v1/ai_secret (org, control plane) and
// /v1/env_var (project, data plane), embedded and split. Values are write-only:
// every response is checked for them, and at the end every byte of both
// planes' directories and logs is scanned for the plaintexts and their base64.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, randomSuffix, runAdmin, startServe, startSplit, withLogs } from '../lib/server.mjs';
import { api } from '../lib/http.mjs';
import { filesUnder } from '../lib/files.mjs';

const MASK = '********';
const preview = (v) => (v.length >= 12 ? v.slice(0, 2) + MASK + v.slice(-2) : MASK);


function planeDirs(dep) {
  return dep.mode === 'serve' ? [dep.dataDir] : [dep.controlDataDir, dep.dataPlaneDataDir];
}

async function restart(dep, extra = {}) {
  await dep.stop({ keepTmp: true });
  const common = { ...dep.opts, ...extra, tmpDir: dep.tmpDir, apiKey: dep.apiKey, orgName: dep.orgName };
  if (dep.mode === 'serve') return startServe({ ...common, dataDir: dep.dataDir });
  return startSplit({ ...common, planeToken: dep.planeToken });
}

for (const mode of ['serve', 'split']) {
  describe(`provider secrets (${mode})`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let project;
    const plaintexts = [];
    const responses = []; // every body the API returned, except the plane-token reveal
    const state = {};

    const value = (tag) => {
      const v = `sk-${tag}-${randomSuffix(10)}-PLAINTEXT`;
      plaintexts.push(v);
      return v;
    };
    const call = async (p, o = {}) => {
      const r = await api(dep.dataUrl, p, { key: dep.apiKey, ...o });
      responses.push(r.text);
      return r;
    };
    const reveal = (base, { token = dep.planeToken, key = dep.apiKey, orgId = state.orgId } = {}) =>
      api(base, '/api/secret/reveal', {
        method: 'POST',
        key,
        headers: token ? { 'x-tracevault-plane-token': token } : {},
        body: { org_id: orgId },
      });
    const assertNoPlaintextIn = (text, where) => {
      for (const v of plaintexts) {
        assert.ok(!text.includes(v), `${where} contains a plaintext secret`);
        assert.ok(!text.includes(Buffer.from(v).toString('base64')), `${where} contains a secret's base64`);
      }
    };
    const scanDisk = () => {
      const needles = plaintexts.flatMap((v) => [Buffer.from(v), Buffer.from(Buffer.from(v).toString('base64'))]);
      const files = filesUnder(dep.tmpDir);
      assert.ok(files.some((f) => f.endsWith('meta.db')), 'the scan sees the databases');
      assert.ok(files.some((f) => f.endsWith('.log')), 'the scan sees the logs');
      for (const f of files) {
        const bytes = fs.readFileSync(f);
        for (const n of needles) assert.equal(bytes.indexOf(n), -1, `${f} holds a secret value`);
      }
    };

    before(async () => {
      dep = mode === 'serve' ? await startServe() : await startSplit();
      const p = await call('/v1/project', { method: 'POST', body: { name: `secrets-${randomSuffix(4)}` } });
      assert.equal(p.status, 200, p.text);
      project = p.json;
      state.orgId = project.org_id;
    });
    after(async () => {
      if (dep) await dep.stop();
    });

    it('ai_secret: create is idempotent by name, reads show only a preview', withLogs(async () => {
      state.v1 = value('org1');
      const r = await call('/v1/ai_secret', {
        method: 'POST',
        body: { name: 'OPENAI_API_KEY', type: 'openai', secret: state.v1, metadata: { api_base: 'https://llm.example.test/v1', models: ['gpt-x'] } },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.preview_secret, preview(state.v1));
      assert.equal(r.json.type, 'openai');
      assert.deepEqual(r.json.metadata.models, ['gpt-x']);
      assert.equal(r.json.org_id, state.orgId);
      assert.ok(!('secret' in r.json));
      state.orgSecret = r.json;

      const again = await call('/v1/ai_secret', { method: 'POST', body: { name: 'OPENAI_API_KEY', secret: value('ignored') } });
      assert.equal(again.status, 200);
      assert.equal(again.headers.get('x-bt-found-existing'), 'true');
      assert.equal(again.json.id, r.json.id);
      assert.equal(again.json.preview_secret, preview(state.v1));
    }));

    it('ai_secret: PUT without secret keeps the value, with one replaces it', withLogs(async () => {
      const keep = await call('/v1/ai_secret', { method: 'PUT', body: { name: 'OPENAI_API_KEY', type: 'openai', metadata: { models: ['gpt-y'] } } });
      assert.equal(keep.status, 200, keep.text);
      assert.equal(keep.json.id, state.orgSecret.id);
      assert.equal(keep.json.preview_secret, preview(state.v1));
      assert.equal(keep.json.secret_updated_at, state.orgSecret.secret_updated_at);
      assert.deepEqual(keep.json.metadata, { models: ['gpt-y'] });
      state.v2 = value('org2');
      const put = await call('/v1/ai_secret', { method: 'PUT', body: { name: 'OPENAI_API_KEY', type: 'openai', secret: state.v2 } });
      assert.equal(put.json.preview_secret, preview(state.v2));
      const created = await call('/v1/ai_secret', { method: 'PUT', body: { name: 'MISTRAL', type: 'mistral', secret: value('mistral') } });
      assert.equal(created.status, 200, created.text);
      assert.equal(created.json.type, 'mistral');
    }));

    it('ai_secret: list filters, get, patch, delete by id and by name', withLogs(async () => {
      const byName = await call('/v1/ai_secret', { query: { ai_secret_name: 'OPENAI_API_KEY' } });
      assert.deepEqual(byName.json.objects.map((o) => o.id), [state.orgSecret.id]);
      const byType = await call('/v1/ai_secret', { query: { ai_secret_type: 'mistral' } });
      assert.deepEqual(byType.json.objects.map((o) => o.name), ['MISTRAL']);
      const limited = await call('/v1/ai_secret', { query: { limit: 1 } });
      assert.equal(limited.json.objects.length, 1);
      const byIds = await call('/v1/ai_secret', { query: { ids: state.orgSecret.id } });
      assert.equal(byIds.json.objects.length, 1);
      const one = await call(`/v1/ai_secret/${state.orgSecret.id}`);
      assert.equal(one.status, 200);
      assert.equal(one.json.preview_secret, preview(state.v2));

      const renamed = await call(`/v1/ai_secret/${state.orgSecret.id}`, { method: 'PATCH', body: { name: 'OPENAI_RENAMED' } });
      assert.equal(renamed.json.name, 'OPENAI_RENAMED');
      assert.equal(renamed.json.preview_secret, preview(state.v2));
      const back = await call(`/v1/ai_secret/${state.orgSecret.id}`, { method: 'PATCH', body: { name: 'OPENAI_API_KEY' } });
      assert.equal(back.json.name, 'OPENAI_API_KEY');

      const gone = await call('/v1/ai_secret', { method: 'POST', body: { name: 'GONE', type: 'anthropic', secret: value('gone') } });
      const del = await call(`/v1/ai_secret/${gone.json.id}`, { method: 'DELETE' });
      assert.equal(del.status, 200);
      assert.equal((await call(`/v1/ai_secret/${gone.json.id}`)).status, 404);
      const byBody = await call('/v1/ai_secret', { method: 'DELETE', body: { name: 'MISTRAL' } });
      assert.equal(byBody.status, 200, byBody.text);
      assert.equal(byBody.json.name, 'MISTRAL');
      assert.equal((await call('/v1/ai_secret', { method: 'DELETE', body: { name: 'MISTRAL' } })).status, 404);
    }));

    it('env_var: project secrets, idempotent create, PUT, list, patch, delete', withLogs(async () => {
      state.p1 = value('proj1');
      const base = { object_type: 'project', object_id: project.id };
      const r = await call('/v1/env_var', { method: 'POST', body: { ...base, name: 'OPENAI_API_KEY', value: state.p1, secret_type: 'openai' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.preview_secret, preview(state.p1));
      assert.equal(r.json.secret_category, 'ai_provider');
      assert.equal(r.json.object_id, project.id);
      assert.ok(!('value' in r.json));
      state.envVar = r.json;
      const again = await call('/v1/env_var', { method: 'POST', body: { ...base, name: 'OPENAI_API_KEY', value: value('ignored') } });
      assert.equal(again.headers.get('x-bt-found-existing'), 'true');
      assert.equal(again.json.preview_secret, preview(state.p1));
      const keep = await call('/v1/env_var', { method: 'PUT', body: { ...base, name: 'OPENAI_API_KEY', secret_type: 'openai', metadata: { api_base: 'https://proxy.example.test/v1' } } });
      assert.equal(keep.json.id, state.envVar.id);
      assert.equal(keep.json.preview_secret, preview(state.p1));
      state.p2 = value('proj2');
      const put = await call('/v1/env_var', { method: 'PUT', body: { ...base, name: 'OPENAI_API_KEY', secret_type: 'openai', value: state.p2 } });
      assert.equal(put.json.preview_secret, preview(state.p2));

      const other = await call('/v1/env_var', { method: 'POST', body: { ...base, name: 'PLAIN_VAR', value: value('plainvar') } });
      assert.equal(other.json.secret_category, 'env_var');
      const list = await call('/v1/env_var', { query: { object_type: 'project', object_id: project.id } });
      assert.deepEqual(list.json.objects.map((o) => o.name).sort(), ['OPENAI_API_KEY', 'PLAIN_VAR']);
      const named = await call('/v1/env_var', { query: { object_type: 'project', object_id: project.id, env_var_name: 'PLAIN_VAR' } });
      assert.equal(named.json.objects.length, 1);
      const patched = await call(`/v1/env_var/${other.json.id}`, { method: 'PATCH', body: { name: 'PLAIN_VAR2', metadata: { note: 'x' } } });
      assert.equal(patched.json.name, 'PLAIN_VAR2');
      assert.deepEqual(patched.json.metadata, { note: 'x' });
      assert.equal((await call(`/v1/env_var/${other.json.id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await call(`/v1/env_var/${other.json.id}`)).status, 404);
      assert.equal((await call(`/v1/env_var/${state.envVar.id}`)).json.preview_secret, preview(state.p2));
    }));

    it('bad input is a clear 4xx JSON error and changes nothing', withLogs(async () => {
      const before = (await call('/v1/ai_secret')).json.objects;
      const beforeEnv = (await call('/v1/env_var', { query: { object_type: 'project', object_id: project.id } })).json.objects;
      const leak = value('leak');
      const bad = [
        ['/v1/ai_secret', 'POST', {}],
        ['/v1/ai_secret', 'POST', { name: '' }],
        ['/v1/ai_secret', 'POST', { name: 'X', secret: 5 }],
        ['/v1/ai_secret', 'POST', { name: 'X', type: 7, secret: leak }],
        ['/v1/ai_secret', 'POST', { name: 'X', secret: leak, metadata: { api_base: 'ftp://nope' } }],
        ['/v1/ai_secret', 'PUT', { name: 'X', secret: leak, metadata: { models: 'gpt' } }],
        ['/v1/ai_secret', 'POST', { name: 'X', secret: leak, metadata: [] }],
        ['/v1/ai_secret/not-a-uuid', 'GET'],
        [`/v1/ai_secret/${state.orgSecret.id}`, 'PATCH', { secret: 12 }],
        ['/v1/env_var', 'POST', { object_type: 'organization', object_id: state.orgId, name: 'X', value: leak }],
        ['/v1/env_var', 'POST', { object_type: 'project', name: 'X', value: leak }],
        ['/v1/env_var', 'POST', { object_type: 'project', object_id: 'nope', name: 'X', value: leak }],
        ['/v1/env_var', 'POST', { object_type: 'project', object_id: project.id, name: 'X', value: 3 }],
        ['/v1/env_var', 'POST', { object_type: 'project', object_id: project.id, name: 'X', value: leak, secret_category: 'nope' }],
        ['/v1/env_var', 'POST', { object_type: 'project', object_id: project.id, value: leak }],
        ['/v1/env_var/not-a-uuid', 'GET'],
        ['/v1/env_var', 'GET', undefined, { limit: 'x' }],
      ];
      for (const [p, method, body, query] of bad) {
        const r = await call(p, { method, body, query });
        assert.equal(r.status, 400, `${method} ${p} ${JSON.stringify(body)} → ${r.status} ${r.text}`);
        assert.equal(typeof r.json?.Message, 'string', r.text);
        assert.ok(r.json.Message.length > 10, r.text);
      }
      const clash = await call('/v1/ai_secret', { method: 'POST', body: { name: 'CLASH', secret: value('clash') } });
      const conflict = await call(`/v1/ai_secret/${clash.json.id}`, { method: 'PATCH', body: { name: 'OPENAI_API_KEY', secret: leak } });
      assert.equal(conflict.status, 409, conflict.text);
      assert.equal((await call(`/v1/ai_secret/${clash.json.id}`, { method: 'DELETE' })).status, 200);
      assert.deepEqual((await call('/v1/ai_secret')).json.objects, before);
      assert.deepEqual((await call('/v1/env_var', { query: { object_type: 'project', object_id: project.id } })).json.objects, beforeEnv);
    }));

    it("another organization's key gets 404 for every secret", withLogs(async () => {
      const b = await dep.admin(['create-org', '--org-name', `org-b-${randomSuffix(4)}`]);
      const asB = (p, o = {}) => call(p, { ...o, key: b.api_key });
      for (const [p, method, body] of [
        [`/v1/ai_secret/${state.orgSecret.id}`, 'GET'],
        [`/v1/ai_secret/${state.orgSecret.id}`, 'PATCH', { secret: 'x' }],
        [`/v1/ai_secret/${state.orgSecret.id}`, 'DELETE'],
        ['/v1/ai_secret', 'DELETE', { name: 'OPENAI_API_KEY', org_name: dep.orgName }],
        [`/v1/env_var/${state.envVar.id}`, 'GET'],
        [`/v1/env_var/${state.envVar.id}`, 'PATCH', { name: 'x', value: 'x' }],
        [`/v1/env_var/${state.envVar.id}`, 'DELETE'],
        [`/v1/env_var?object_type=project&object_id=${project.id}`, 'GET'],
        ['/v1/env_var', 'POST', { object_type: 'project', object_id: project.id, name: 'B', value: 'x' }],
      ]) {
        const r = await asB(p, { method, body });
        assert.equal(r.status, 404, `B: ${method} ${p} → ${r.status} ${r.text}`);
      }
      assert.deepEqual((await asB('/v1/ai_secret')).json.objects, []);
      assert.deepEqual((await asB('/v1/env_var')).json.objects, []);
      if (dep.mode === 'split') {
        const r = await reveal(dep.controlUrl, { key: b.api_key });
        assert.equal(r.status, 404, r.text);
      }
      assert.equal((await call(`/v1/ai_secret/${state.orgSecret.id}`)).json.preview_secret, preview(state.v2));
    }));

    it('the reveal route needs the shared plane token', withLogs(async () => {
      if (dep.mode === 'serve') {
        const r = await reveal(dep.url, { token: 'x'.repeat(20) });
        assert.equal(r.status, 403, r.text);
        assertNoPlaintextIn(r.text, 'reveal without a plane token');
        return;
      }
      for (const [base, token] of [[dep.dataUrl, dep.planeToken], [dep.controlUrl, null], [dep.controlUrl, 'wrong-token-wrong-token']]) {
        const r = await reveal(base, { token });
        assert.equal(r.status, 403, `${base} ${token} → ${r.status} ${r.text}`);
        assertNoPlaintextIn(r.text, 'a refused reveal');
      }
      const noKey = await reveal(dep.controlUrl, { key: null });
      assert.equal(noKey.status, 401);
      const r = await reveal(dep.controlUrl);
      assert.equal(r.status, 200, r.text);
      const byName = Object.fromEntries(r.json.secrets.map((s) => [s.name, s]));
      assert.equal(byName.OPENAI_API_KEY.secret, state.v2);
      assert.equal(byName.OPENAI_API_KEY.type, 'openai');
    }));

    it('no response, database, WAL, object or log holds a plaintext', withLogs(async () => {
      for (const [i, text] of responses.entries()) assertNoPlaintextIn(text, `response #${i}`);
      scanDisk();
    }));

    it('the generated master key file is private', withLogs(async () => {
      for (const dir of planeDirs(dep)) {
        const st = fs.statSync(path.join(dir, 'keys', 'master.key'));
        assert.equal(st.mode & 0o777, 0o600, dir);
        assert.equal(fs.statSync(path.join(dir, 'keys')).mode & 0o777, 0o700, dir);
        const key = Buffer.from(fs.readFileSync(path.join(dir, 'keys', 'master.key'), 'utf8').trim(), 'base64');
        assert.equal(key.length, 32);
      }
    }));

    it('restart keeps secrets readable; rotation re-wraps them; a wrong key refuses to start', withLogs(async () => {
      const running = await runAdmin(planeDirs(dep)[0], ['rotate-master-key']);
      assert.notEqual(running.code, 0);
      assert.match(running.stderr, /stop it first/);

      scanDisk();
      dep = await restart(dep);
      assert.equal((await call(`/v1/env_var/${state.envVar.id}`)).json.preview_secret, preview(state.p2));
      await dep.stop({ keepTmp: true });
      scanDisk();

      const oldKeys = planeDirs(dep).map((d) => fs.readFileSync(path.join(d, 'keys', 'master.key'), 'utf8'));
      for (const dir of planeDirs(dep)) {
        const before = await runAdmin(dir, ['verify-secrets']);
        assert.equal(before.code, 0, before.stderr);
        const rot = await runAdmin(dir, ['rotate-master-key']);
        assert.equal(rot.code, 0, rot.stderr);
        assert.notEqual(rot.json.new_key_id, rot.json.old_key_id);
        assert.ok(Object.values(rot.json.rewrapped).reduce((a, b) => a + b, 0) > 0, rot.stdout);
        assert.ok(!fs.existsSync(path.join(dir, 'keys', 'keyring')));
        const after = await runAdmin(dir, ['verify-secrets']);
        assert.equal(after.code, 0, after.stderr);
        assert.equal(after.json.key_id, rot.json.new_key_id);
        assert.equal(fs.statSync(path.join(dir, 'keys', 'master.key')).mode & 0o777, 0o600);
      }
      planeDirs(dep).forEach((d, i) => assert.notEqual(fs.readFileSync(path.join(d, 'keys', 'master.key'), 'utf8'), oldKeys[i]));

      const wrong = crypto.randomBytes(32).toString('base64');
      const wrongVerify = await runAdmin(planeDirs(dep)[0], ['verify-secrets'], { env: { TRACEVAULT_MASTER_KEY: wrong } });
      assert.notEqual(wrongVerify.code, 0);
      await assert.rejects(
        mode === 'serve'
          ? startServe({ ...dep.opts, tmpDir: dep.tmpDir, dataDir: dep.dataDir, apiKey: dep.apiKey, env: { TRACEVAULT_MASTER_KEY: wrong } })
          : startSplit({ ...dep.opts, tmpDir: dep.tmpDir, apiKey: dep.apiKey, env: { TRACEVAULT_MASTER_KEY: wrong } }),
        /sealed under master key id/,
      );

      dep = await restart(dep);
      const list = await call('/v1/ai_secret', { query: { ai_secret_name: 'OPENAI_API_KEY' } });
      assert.equal(list.json.objects[0].preview_secret, preview(state.v2));
      if (dep.mode === 'split') {
        const r = await reveal(dep.controlUrl);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.secrets.find((s) => s.name === 'OPENAI_API_KEY').secret, state.v2);
      }
      for (const [i, text] of responses.entries()) assertNoPlaintextIn(text, `response #${i}`);
      scanDisk();
    }));
  });
}

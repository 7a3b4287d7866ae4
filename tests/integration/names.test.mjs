// Object names (docs/api.md, "Names and slugs"): at most 1024 bytes and no
// control characters, for organizations, projects, experiments, datasets,
// prompts and functions, API keys and AI secrets; slugs are letters, digits,
// '-', '_' and '.' up to 256 bytes. One rule in both planes; a bad name is a
// 400 naming the field and creates or changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, client, expectError, ok } from '../lib/http.mjs';

const LONG = 'n'.repeat(1025);
const BAD_NAMES = [LONG, 'nul\u0000byte', 'new\nline', 'bell\u0007', 'c1\u0085control'];

function defineNameTests(label, startDeployment) {
  describe(`object names: ${label}`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let c;
    let project;
    let org;
    before(async () => {
      dep = await startDeployment();
      c = client(dep.dataUrl, dep.apiKey);
      org = ok(await api(dep.dataUrl, '/api/apikey/login', { method: 'POST', key: dep.apiKey })).org_info[0];
      project = ok(await c.post('/v1/project', { name: uniqueName('names') }));
    });
    after(async () => {
      await dep?.stop();
    });

    const creates = () => [
      ['POST /v1/project', (n) => c.post('/v1/project', { name: n }), /'name'/],
      ['/api/project/register', (n) => c.post('/api/project/register', { project_name: n, org_id: org.id }), /name/],
      ['POST /v1/experiment', (n) => c.post('/v1/experiment', { project_id: project.id, name: n }), /'name'/],
      ['/api/experiment/register', (n) => c.post('/api/experiment/register', { project_id: project.id, org_id: org.id, experiment_name: n, ancestor_commits: [] }), /name/],
      ['POST /v1/dataset', (n) => c.post('/v1/dataset', { project_id: project.id, name: n }), /'name'/],
      ['/api/dataset/register', (n) => c.post('/api/dataset/register', { project_id: project.id, org_id: org.id, dataset_name: n }), /name/],
      ['POST /v1/prompt', (n) => c.post('/v1/prompt', { project_id: project.id, name: n, slug: uniqueName('slug') }), /'name'/],
      ['POST /v1/function', (n) => c.post('/v1/function', { project_id: project.id, name: n, slug: uniqueName('fn'), function_data: { type: 'prompt' } }), /'name'/],
      ['POST /v1/api_key', (n) => c.post('/v1/api_key', { name: n }), /'name'/],
      ['POST /v1/ai_secret', (n) => c.post('/v1/ai_secret', { name: n, type: 'openai', secret: 'sk-x' }), /'name'/],
      ['PATCH /v1/project', (n) => c.patch(`/v1/project/${project.id}`, { name: n }), /'name'/],
      ['PATCH /v1/organization', (n) => c.patch(`/v1/organization/${org.id}`, { name: n }), /'name'/],
    ];

    it('every bad name is a 400 naming the field', withLogs(async () => {
      const failures = [];
      for (const [what, call, field] of creates()) {
        for (const bad of BAD_NAMES) {
          const r = await call(bad);
          const shown = JSON.stringify(bad.slice(0, 20));
          if (r.status !== 400) failures.push(`${what} ${shown} → ${r.status} ${r.text.slice(0, 200)}`);
          else if (!field.test(r.json?.Message ?? '')) failures.push(`${what} ${shown}: message does not name the field: ${r.text}`);
        }
      }
      assert.deepEqual(failures, [], failures.join('\n'));
    }));

    it('nothing was created or renamed', withLogs(async () => {
      const texts = [];
      for (const p of ['/v1/project', '/v1/experiment', '/v1/dataset', '/v1/api_key', '/v1/ai_secret', '/v1/organization']) texts.push(ok(await c.get(p)));
      texts.push(ok(await c.get('/v1/prompt', { query: { project_id: project.id } })));
      texts.push(ok(await c.get('/v1/function', { query: { project_id: project.id } })));
      const all = JSON.stringify(texts);
      for (const bad of BAD_NAMES) assert.ok(!all.includes(JSON.stringify(bad).slice(1, -1).slice(0, 30)), `found ${JSON.stringify(bad.slice(0, 20))}`);
      assert.equal(ok(await c.get(`/v1/project/${project.id}`)).name, project.name);
      assert.equal(ok(await c.get(`/v1/organization/${org.id}`)).name, org.name);
    }));

    it('a name of exactly 1024 bytes with non-ASCII letters is fine', withLogs(async () => {
      const name = 'é'.repeat(511) + 'xy'; // 1022 + 2 bytes
      assert.equal(Buffer.byteLength(name), 1024);
      assert.equal(ok(await c.post('/v1/project', { name })).name, name);
      expectError(await c.post('/v1/project', { name: `${name}z` }), 400, '1025 bytes');
    }));

    it('slugs: letters, digits, - _ . up to 256 bytes', withLogs(async () => {
      for (const slug of ['has space', 's/lash', 'x'.repeat(257), 'nul\u0000']) {
        const r = expectError(await c.post('/v1/prompt', { project_id: project.id, name: 'p', slug }), 400, `slug ${slug.slice(0, 20)}`);
        assert.match(r.Message, /'slug'/);
      }
      ok(await c.post('/v1/prompt', { project_id: project.id, name: 'p', slug: 'ok-slug_1.0' }));
    }));

    it('the admin CLI refuses a bad organization name', withLogs(async () => {
      const r = await dep.adminRaw(['create-org', '--org-name', 'tab\there']);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr + r.stdout, /control characters/);
    }));
  });
}

defineNameTests('serve', () => startServe());
defineNameTests('control + data (via data-plane URL)', () => startSplit());

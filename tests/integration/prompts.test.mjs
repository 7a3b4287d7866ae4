// Prompts and functions on the data plane (docs/prompts.md): /v1/prompt,
// /v1/function, /insert-functions, environments and the BTQL sources, against
// `tracevault serve` and restarted; every answer checked against the OpenAPI
// Prompt / Function / Environment schemas.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, randomSuffix, restartServe, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, client, expectError, ok } from '../lib/http.mjs';
import { assertListSchema, assertSchema } from '../lib/schema.mjs';
import { assertXact, btql, prettyXact } from '../lib/rows.mjs';

const CHAT = (text) => ({
  prompt: { type: 'chat', messages: [{ role: 'system', content: text }] },
  options: { model: 'gpt-4o-mini', params: { temperature: 0.2 } },
});

function promptOk(res, what) {
  const row = ok(res, what);
  assertSchema('Prompt', row);
  assertSchema('Function', row);
  assert.equal(row.log_id, 'p');
  assertXact(row._xact_id);
  return row;
}

function listOk(res, schema, what) {
  const body = ok(res, what);
  assertListSchema(schema, body);
  return body.objects;
}

// A snapshot of everything the org can see, to prove a rejected write changed nothing.
async function snapshot(c, projectId) {
  const fns = ok(await c.get('/v1/function', { query: { project_id: projectId } }));
  return JSON.stringify(fns.objects.map((f) => [f.id, f._xact_id]).sort());
}

function suite(mode) {
  describe(`prompts and functions (${mode})`, { skip: SKIP_NO_BINARY, concurrency: false }, () => {
    let dep;
    let c;
    let project;
    let project2;
    let B;
    const saved = {};

    before(async () => {
      dep = mode === 'split' ? await startSplit() : await startServe();
      c = client(dep.dataUrl, dep.apiKey);
      const app = client(dep.appUrl, dep.apiKey);
      project = ok(await app.post('/v1/project', { name: uniqueName('prompts') }));
      project2 = ok(await app.post('/v1/project', { name: uniqueName('prompts-two') }));
      const out = await dep.admin(['create-org', '--org-name', uniqueName('prompts-b'), '--user-email', `b-${randomSuffix(3)}@example.test`]);
      B = { key: out.api_key, c: client(dep.dataUrl, out.api_key) };
      B.project = ok(await client(dep.appUrl, out.api_key).post('/v1/project', { name: project.name }));
    });
    after(async () => {
      await dep?.stop();
    });

    it('POST /v1/prompt creates, and is idempotent by project + slug', withLogs(async () => {
      const body = { project_id: project.id, name: 'Greeter', slug: 'greeter', description: 'says hi', prompt_data: CHAT('Hi {{name}}'), tags: ['t1'] };
      const res = await c.post('/v1/prompt', body);
      const p = promptOk(res, 'create');
      assert.equal(res.headers.get('x-bt-found-existing'), null);
      assert.equal(p.project_id, project.id);
      const login = ok(await api(dep.appUrl, '/api/apikey/login', { method: 'POST', key: dep.apiKey }));
      assert.equal(p.org_id, login.org_info[0].id);
      assert.deepEqual(p.function_data, { type: 'prompt' });
      assert.deepEqual(p.prompt_data, body.prompt_data);
      assert.deepEqual(p.tags, ['t1']);
      const again = await c.post('/v1/prompt', { ...body, description: 'changed', prompt_data: CHAT('other') });
      const p2 = promptOk(again, 'create again');
      assert.equal(again.headers.get('x-bt-found-existing'), 'true');
      assert.deepEqual(p2, p, 'the existing prompt comes back unmodified');
      saved.greeter = p;
    }));

    it('GET by id, list by project_name + slug (exactly one), prompt_name, ids', withLogs(async () => {
      const p = saved.greeter;
      assert.deepEqual(promptOk(await c.get(`/v1/prompt/${p.id}`)), p);
      const bySlug = listOk(await c.get('/v1/prompt', { query: { project_name: project.name, slug: 'greeter' } }), 'Prompt');
      assert.deepEqual(bySlug, [p]);
      const byId = listOk(await c.get('/v1/prompt', { query: { project_id: project.id, slug: 'greeter' } }), 'Prompt');
      assert.deepEqual(byId, [p]);
      assert.deepEqual(listOk(await c.get('/v1/prompt', { query: { prompt_name: 'Greeter', project_id: project.id } }), 'Prompt'), [p]);
      assert.deepEqual(listOk(await c.get('/v1/prompt', { query: { ids: p.id } }), 'Prompt'), [p]);
      assert.deepEqual(listOk(await c.get('/v1/prompt', { query: { project_id: project2.id } }), 'Prompt'), []);
    }));

    it('PATCH deep-merges into a new version; old versions stay readable (decimal and pretty)', withLogs(async () => {
      const v1 = saved.greeter;
      const patched = promptOk(await c.patch(`/v1/prompt/${v1.id}`, {
        description: 'says hello', prompt_data: { options: { params: { max_tokens: 50 } } }, tags: null,
      }), 'patch');
      assert.equal(patched.id, v1.id);
      assert.ok(BigInt(patched._xact_id) > BigInt(v1._xact_id), 'a new version');
      assert.equal(patched.description, 'says hello');
      assert.deepEqual(patched.prompt_data.options.params, { temperature: 0.2, max_tokens: 50 }, 'objects merge');
      assert.deepEqual(patched.prompt_data.prompt, v1.prompt_data.prompt);
      assert.deepEqual(patched.tags, ['t1'], 'null does not unset');
      assert.equal(patched.created, v1.created);
      for (const version of [v1._xact_id, prettyXact(v1._xact_id)]) {
        assert.deepEqual(promptOk(await c.get(`/v1/prompt/${v1.id}`, { query: { version } })), v1, `version ${version}`);
        const listed = listOk(await c.get('/v1/prompt', { query: { project_name: project.name, slug: 'greeter', version } }), 'Prompt');
        assert.deepEqual(listed, [v1], `list at version ${version}`);
      }
      assert.deepEqual(promptOk(await c.get(`/v1/prompt/${v1.id}`)), patched, 'current is the patch');
      expectError(await c.get(`/v1/prompt/${v1.id}`, { query: { version: '1000000000000000000' } }), 404, 'before creation');
      saved.greeter2 = patched;
    }));

    it('PUT replaces every field (new version) or creates', withLogs(async () => {
      const cur = saved.greeter2;
      const res = await c.put('/v1/prompt', { project_id: project.id, name: 'Greeter', slug: 'greeter', prompt_data: CHAT('Hello {{name}}!') });
      const put = promptOk(res, 'put');
      assert.equal(put.id, cur.id);
      assert.equal(put.description, null, 'replaced, not merged');
      assert.deepEqual(put.tags, null);
      assert.ok(BigInt(put._xact_id) > BigInt(cur._xact_id));
      const fresh = promptOk(await c.put('/v1/prompt', { project_id: project.id, name: 'Fresh', slug: 'fresh', prompt_data: CHAT('x') }), 'put new');
      assert.notEqual(fresh.id, cur.id);
      saved.greeter3 = put;
      saved.fresh = fresh;
    }));

    it('functions: /v1/function sees prompts and code; /v1/prompt only prompts; function_type filter', withLogs(async () => {
      const code = ok(await c.post('/v1/function', {
        project_id: project.id, name: 'Scorer', slug: 'scorer', function_type: 'scorer',
        function_data: { type: 'code', data: { type: 'inline', runtime_context: { runtime: 'node', version: '20' }, code: 'return 1' } },
        function_schema: { parameters: { type: 'object' }, returns: { type: 'number' } },
        origin: { object_type: 'project', object_id: project.id },
      }));
      assertSchema('Function', code);
      saved.code = code;
      const fns = listOk(await c.get('/v1/function', { query: { project_id: project.id } }), 'Function');
      assert.deepEqual(fns.map((f) => f.slug).sort(), ['fresh', 'greeter', 'scorer']);
      const prompts = listOk(await c.get('/v1/prompt', { query: { project_id: project.id } }), 'Prompt');
      assert.deepEqual(prompts.map((f) => f.slug).sort(), ['fresh', 'greeter']);
      expectError(await c.get(`/v1/prompt/${code.id}`), 404, 'a code function is not a prompt');
      assert.deepEqual(promptOk(await c.get(`/v1/function/${saved.greeter3.id}`)), saved.greeter3);
      const scorers = listOk(await c.get('/v1/function', { query: { project_id: project.id, function_type: 'scorer' } }), 'Function');
      assert.deepEqual(scorers.map((f) => f.id), [code.id]);
      const byName = listOk(await c.get('/v1/function', { query: { function_name: 'Scorer' } }), 'Function');
      assert.deepEqual(byName.map((f) => f.id), [code.id]);
    }));

    it('list pagination: newest created first, limit, starting_after, ending_before', withLogs(async () => {
      const all = listOk(await c.get('/v1/function', { query: { project_id: project.id } }), 'Function');
      assert.deepEqual(all.map((f) => f.slug), ['scorer', 'fresh', 'greeter']);
      const first = listOk(await c.get('/v1/function', { query: { project_id: project.id, limit: 1 } }), 'Function');
      assert.deepEqual(first.map((f) => f.slug), ['scorer']);
      const next = listOk(await c.get('/v1/function', { query: { project_id: project.id, starting_after: first[0].id, limit: 5 } }), 'Function');
      assert.deepEqual(next.map((f) => f.slug), ['fresh', 'greeter']);
      const before = listOk(await c.get('/v1/function', { query: { project_id: project.id, ending_before: all[2].id, limit: 1 } }), 'Function');
      assert.deepEqual(before.map((f) => f.slug), ['fresh']);
    }));

    it('POST /insert-functions (publish): create, replace, ignore, error — all or nothing', withLogs(async () => {
      const item = (slug, text, if_exists) => ({ project_id: project2.id, name: slug, slug, description: 'd', function_data: { type: 'prompt' }, prompt_data: CHAT(text), if_exists });
      const r1 = ok(await c.post('/insert-functions', { functions: [item('pub-a', 'A1', 'replace'), item('pub-b', 'B1', 'replace')] }));
      assert.equal(r1.functions.length, 2);
      const a1 = promptOk(await c.get(`/v1/prompt/${r1.functions[0].id}`));
      assert.equal(a1.prompt_data.prompt.messages[0].content, 'A1');
      const r2 = ok(await c.post('/insert-functions', { functions: [item('pub-a', 'A2', 'replace'), item('pub-b', 'B2', 'ignore')] }));
      assert.equal(r2.functions[0].id, a1.id);
      assert.equal((await c.get(`/v1/prompt/${a1.id}`)).json.prompt_data.prompt.messages[0].content, 'A2');
      assert.equal(r2.functions[1].found_existing, true);
      assert.equal((await c.get(`/v1/prompt/${r1.functions[1].id}`)).json.prompt_data.prompt.messages[0].content, 'B1');
      const before = await snapshot(c, project2.id);
      expectError(await c.post('/insert-functions', { functions: [item('pub-c', 'C', 'replace'), item('pub-a', 'A3', 'error')] }), 409, 'error on existing');
      expectError(await c.post('/insert-functions', { functions: [item('pub-d', 'D', 'replace'), { ...item('pub-e', 'E'), slug: 5 }] }), 400, 'bad item');
      expectError(await c.post('/insert-functions', { functions: [item('pub-f', 'F', 'replace'), { ...item('pub-g', 'G'), project_id: B.project.id }] }), 404, "another org's project");
      assert.equal(await snapshot(c, project2.id), before, 'nothing was written');
      saved.published = a1;
    }));

    it('slugs are unique per project; a PATCH onto a taken slug is 409 and changes nothing', withLogs(async () => {
      const other = promptOk(await c.post('/v1/prompt', { project_id: project2.id, name: 'Greeter', slug: 'greeter', prompt_data: CHAT('p2') }));
      assert.notEqual(other.id, saved.greeter.id, 'same slug in another project is another prompt');
      const before = await snapshot(c, project.id);
      expectError(await c.patch(`/v1/prompt/${saved.fresh.id}`, { slug: 'greeter' }), 409, 'taken slug');
      assert.equal(await snapshot(c, project.id), before);
      const renamed = promptOk(await c.patch(`/v1/prompt/${saved.fresh.id}`, { slug: 'fresh-2', name: 'Fresh 2' }));
      assert.equal(renamed.slug, 'fresh-2');
      saved.fresh = renamed;
    }));

    it('bad input: clear 4xx JSON, nothing written', withLogs(async () => {
      const before = await snapshot(c, project.id);
      const bad = [
        ['/v1/prompt', { project_id: project.id, name: 'x' }, 400, 'no slug'],
        ['/v1/prompt', { project_id: project.id, slug: 'x' }, 400, 'no name'],
        ['/v1/prompt', { name: 'x', slug: 'x' }, 400, 'no project'],
        ['/v1/prompt', { project_id: 'nope', name: 'x', slug: 'x' }, 400, 'bad project id'],
        ['/v1/prompt', { project_id: project.id, name: 'x', slug: 'has space' }, 400, 'bad slug'],
        ['/v1/prompt', { project_id: project.id, name: 'x', slug: 'x', prompt_data: 'text' }, 400, 'prompt_data not an object'],
        ['/v1/prompt', { project_id: project.id, name: 'x', slug: 'x', tags: [1] }, 400, 'tags not strings'],
        ['/v1/prompt', { project_id: project.id, name: 'x', slug: 'x', function_type: 'weird' }, 400, 'bad function_type'],
        ['/v1/function', { project_id: project.id, name: 'x', slug: 'x' }, 400, 'function without function_data'],
        ['/v1/function', { project_id: project.id, name: 'x', slug: 'x', function_data: { data: 1 } }, 400, 'function_data without type'],
        ['/v1/prompt', { project_id: '00000000-0000-4000-8000-000000000000', name: 'x', slug: 'x' }, 404, 'unknown project'],
        ['/insert-functions', { functions: 'x' }, 400, 'functions not an array'],
      ];
      for (const [path, body, status, what] of bad) expectError(await c.post(path, body), status, what);
      expectError(await c.post('/v1/prompt', '{not json', { headers: { 'Content-Type': 'application/json' } }), 400, 'malformed JSON');
      expectError(await c.patch(`/v1/prompt/${saved.greeter.id}`, { name: 5 }), 400, 'patch name not a string');
      expectError(await c.patch(`/v1/prompt/${saved.greeter.id}`, { prompt_data: [] }), 400, 'patch prompt_data not an object');
      expectError(await c.get('/v1/prompt', { query: { slug: 'greeter', version: 'banana' } }), 400, 'bad version');
      expectError(await c.get('/v1/prompt', { query: { slug: 'greeter', version: '1', environment: 'x' } }), 400, 'version with environment');
      expectError(await c.get('/v1/prompt', { query: { limit: -1 } }), 400, 'negative limit');
      expectError(await c.get('/v1/prompt', { query: { ids: 'nope' } }), 400, 'bad ids');
      expectError(await c.get('/v1/prompt', { query: { project_name: 'no-such-project' } }), 404, 'unknown project name');
      expectError(await c.get('/v1/prompt/not-a-uuid'), 404, 'malformed id');
      expectError(await c.get('/v1/prompt', { query: { starting_after: saved.code.id, project_id: project2.id } }), 400, 'cursor outside list');
      assert.equal(await snapshot(c, project.id), before, 'nothing changed');
    }));

    it('environments: create, assign a version, load by environment, reassign, unassign', withLogs(async () => {
      const res = await c.post('/environment', { name: 'Production', slug: 'production' });
      const env = ok(res);
      assertSchema('Environment', env);
      const again = await c.post('/environment', { name: 'Production', slug: 'production' });
      assert.equal(again.headers.get('x-bt-found-existing'), 'true');
      assert.equal(again.json.id, env.id);
      const staging = ok(await c.post('/environment', { name: 'Staging', slug: 'staging', description: 'pre' }));
      const listed = listOk(await c.get('/environment'), 'Environment');
      assert.deepEqual(listed.map((e) => e.slug).sort(), ['production', 'staging']);
      assertSchema('Environment', ok(await c.get(`/environment/${staging.id}`)));
      const p = saved.greeter;  // v1
      const assignment = ok(await c.put(`/environment-object/prompt/${p.id}/production`, { object_version: prettyXact(p._xact_id) }));
      assert.equal(assignment.object_version, p._xact_id);
      assert.equal(assignment.environment_slug, 'production');
      const byEnv = listOk(await c.get('/v1/prompt', { query: { project_name: project.name, slug: 'greeter', environment: 'production' } }), 'Prompt');
      assert.deepEqual(byEnv, [p], 'the assigned (old) version');
      assert.deepEqual(promptOk(await c.get(`/v1/prompt/${p.id}`, { query: { environment: 'production' } })), p);
      expectError(await c.get('/v1/prompt', { query: { project_name: project.name, slug: 'greeter', environment: 'staging' } }), 404, 'no version in staging');
      expectError(await c.get('/v1/prompt', { query: { project_id: project.id, environment: 'production' } }), 400, 'environment needs one match');
      expectError(await c.get('/v1/prompt', { query: { project_name: project.name, slug: 'greeter', environment: 'nope' } }), 404, 'unknown environment');
      ok(await c.put(`/environment-object/function/${p.id}/staging`, { object_version: saved.greeter3._xact_id }));
      assert.deepEqual(promptOk(await c.get(`/v1/prompt/${p.id}`, { query: { environment: 'staging' } })), saved.greeter3);
      const all = ok(await c.get(`/environment-object/prompt/${p.id}`));
      assert.deepEqual(all.objects.map((a) => [a.environment_slug, a.object_version]), [['production', p._xact_id], ['staging', saved.greeter3._xact_id]]);
      expectError(await c.put(`/environment-object/prompt/${p.id}/production`, { object_version: saved.code._xact_id }), 400, 'a version of another function');
      expectError(await c.put(`/environment-object/prompt/${p.id}/production`, { object_version: 'zzz' }), 400, 'bad version');
      expectError(await c.put(`/environment-object/prompt/${p.id}/nope`, { object_version: p._xact_id }), 404, 'unknown environment');
      expectError(await c.put(`/environment-object/dataset/${p.id}/production`, { object_version: p._xact_id }), 400, 'unsupported object type');
      assert.equal(ok(await c.get(`/environment-object/prompt/${p.id}/production`)).object_version, p._xact_id, 'unchanged by the rejected writes');
      ok(await c.del(`/environment-object/prompt/${p.id}/staging`));
      expectError(await c.get(`/environment-object/prompt/${p.id}/staging`), 404, 'unassigned');
      const renamed = ok(await c.patch(`/environment/${staging.id}`, { name: 'Stage' }));
      assert.equal(renamed.name, 'Stage');
      assertSchema('Environment', ok(await c.del(`/environment/${staging.id}`)));
      expectError(await c.get(`/environment/${staging.id}`), 404, 'deleted environment');
      saved.env = env;
    }));

    it("another org's ids are 404 everywhere; B sees none of A's prompts", withLogs(async () => {
      const p = saved.greeter;
      for (const [method, path, body] of [
        ['GET', `/v1/prompt/${p.id}`],
        ['GET', `/v1/function/${p.id}`],
        ['PATCH', `/v1/prompt/${p.id}`, { description: 'pwned' }],
        ['DELETE', `/v1/prompt/${p.id}`],
        ['GET', `/v1/prompt?project_id=${project.id}`],
        ['POST', '/v1/prompt', { project_id: project.id, name: 'x', slug: 'b-probe' }],
        ['PUT', '/v1/function', { project_id: project.id, name: 'x', slug: 'b-probe', function_data: { type: 'prompt' } }],
        ['GET', `/environment/${saved.env.id}`],
        ['PATCH', `/environment/${saved.env.id}`, { name: 'pwned' }],
        ['GET', `/environment-object/prompt/${p.id}`],
        ['PUT', `/environment-object/prompt/${p.id}/production`, { object_version: p._xact_id }],
      ]) {
        const res = await api(dep.dataUrl, path, { method, key: B.key, body });
        expectError(res, 404, `B ${method} ${path}`);
        assert.ok(!res.text.includes('Greeter'), `B ${method} ${path} leaks a name`);
      }
      // B's own project has A's project name: name lookups stay in B's org.
      assert.deepEqual(listOk(await B.c.get('/v1/prompt', { query: { project_name: project.name } }), 'Prompt'), []);
      assert.deepEqual(listOk(await B.c.get('/v1/function'), 'Function'), []);
      assert.deepEqual(listOk(await B.c.get('/environment'), 'Environment'), []);
      assert.deepEqual(promptOk(await c.get(`/v1/prompt/${p.id}`)), saved.greeter3, "A's prompt untouched");
    }));

    it('BTQL: current versions, the audit log of every version, project sources', withLogs(async () => {
      const p = saved.greeter;
      const cur = ok(await btql(dep.dataUrl, dep.apiKey, `select: * | from: prompt('${p.id}')`));
      assert.deepEqual(cur.data.map((r) => r._xact_id), [saved.greeter3._xact_id]);
      const audit = ok(await btql(dep.dataUrl, dep.apiKey, `select: id, _xact_id, description | from: prompt('${p.id}')`, { audit_log: true }));
      assert.deepEqual(audit.data.map((r) => r._xact_id), [saved.greeter3._xact_id, saved.greeter2._xact_id, p._xact_id]);
      const proj = ok(await btql(dep.dataUrl, dep.apiKey, `select: slug | from: project_prompts('${project.id}') | sort: slug`));
      assert.deepEqual(proj.data.map((r) => r.slug), ['fresh-2', 'greeter']);
      const fns = ok(await btql(dep.dataUrl, dep.apiKey, `select: slug | from: project_functions('${project.id}') | filter: function_type = 'scorer'`));
      assert.deepEqual(fns.data.map((r) => r.slug), ['scorer']);
      const counted = ok(await btql(dep.dataUrl, dep.apiKey, `dimensions: slug | measures: count(1) as n | from: project_prompts('${project.id}')`, { audit_log: true }));
      assert.deepEqual(Object.fromEntries(counted.data.map((r) => [r.slug, r.n])), { greeter: 3, fresh: 1, 'fresh-2': 1 });
      expectError(await btql(dep.dataUrl, B.key, `select: * | from: prompt('${p.id}')`), 404, "B reads A's prompt");
      expectError(await btql(dep.dataUrl, B.key, `select: * | from: project_prompts('${project.id}')`), 404, "B reads A's project");
    }));

    it('DELETE returns the deleted prompt; its slug is free again; versions stay in the audit log', withLogs(async () => {
      const p = saved.published;
      const gone = promptOk(await c.del(`/v1/prompt/${p.id}`));
      assert.equal(gone.id, p.id);
      expectError(await c.get(`/v1/prompt/${p.id}`), 404, 'deleted');
      expectError(await c.del(`/v1/prompt/${p.id}`), 404, 'deleted twice');
      const listed = listOk(await c.get('/v1/prompt', { query: { project_id: project2.id, slug: 'pub-a' } }), 'Prompt');
      assert.deepEqual(listed, []);
      const asOf = listOk(await c.get('/v1/prompt', { query: { project_id: project2.id, slug: 'pub-a', version: gone._xact_id } }), 'Prompt');
      assert.deepEqual(asOf.map((x) => x.id), [p.id], 'readable as of a version before the delete');
      const reborn = promptOk(await c.post('/v1/prompt', { project_id: project2.id, name: 'pub-a', slug: 'pub-a' }));
      assert.notEqual(reborn.id, p.id);
      const audit = ok(await btql(dep.dataUrl, dep.apiKey, `select: _xact_id, _object_delete | from: prompt('${p.id}')`, { audit_log: true }));
      assert.equal(audit.data[0]._object_delete, true, 'the tombstone is the newest version');
    }));

    if (mode === 'serve') {
      it('playground: prompt_session rows through /logs3 read back with playground_logs()', withLogs(async () => {
        const session = crypto.randomUUID();
        const rows = [{ id: 'pg-1', prompt_session_id: session, log_id: 'x', input: { q: 'hi' }, output: 'hello', created: new Date().toISOString() }];
        ok(await c.post('/logs3', { rows, api_version: 2 }));
        const r = ok(await btql(dep.dataUrl, dep.apiKey, `select: id, output | from: playground_logs('${session}')`));
        assert.deepEqual(r.data, [{ id: 'pg-1', output: 'hello' }]);
        expectError(await btql(dep.dataUrl, B.key, `select: * | from: playground_logs('${session}')`), 404, "B reads A's session");
      }));

      it('a restart keeps prompts, versions and environments', withLogs(async () => {
        dep = await restartServe(dep);
        c = client(dep.dataUrl, dep.apiKey);
        const p = saved.greeter;
        assert.deepEqual(promptOk(await c.get(`/v1/prompt/${p.id}`)), saved.greeter3);
        assert.deepEqual(promptOk(await c.get(`/v1/prompt/${p.id}`, { query: { version: p._xact_id } })), p);
        assert.deepEqual(promptOk(await c.get(`/v1/prompt/${p.id}`, { query: { environment: 'production' } })), p);
        const next = promptOk(await c.patch(`/v1/prompt/${p.id}`, { description: 'after restart' }));
        assert.ok(BigInt(next._xact_id) > BigInt(saved.greeter3._xact_id), 'versions keep increasing');
      }));
    }
  });
}

suite('serve');
suite('split');

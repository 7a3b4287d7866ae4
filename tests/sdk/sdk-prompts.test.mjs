// The official braintrust SDK's prompt flows against tracevault (serve and
// split): loadPrompt({projectName, slug}) — current, pinned by version
// (decimal and pretty), by environment, by id — with prompt.build() output
// checked, on prompts created through REST and through
// projects.create().prompts.create() + project.publish() (POST /insert-functions).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as bt from 'braintrust';
import { sdkSandbox } from '../lib/sdk-sandbox.mjs';
import { SKIP_NO_BINARY, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { client, ok, recordingFetch } from '../lib/http.mjs';
import { prettyXact } from '../lib/rows.mjs';

const chat = (system, user, temperature) => ({
  prompt: { type: 'chat', messages: [{ role: 'system', content: system }, { role: 'user', content: user }] },
  options: { model: 'gpt-4o-mini', params: { temperature } },
});

function suite(mode) {
  describe(`braintrust SDK prompts (${mode})`, { skip: SKIP_NO_BINARY, concurrency: false }, () => {
    let dep;
    let c;
    let project;
    const calls = [];
    const recFetch = recordingFetch(calls);
    const sandbox = sdkSandbox(`sdk-prompts-${mode}`);
    const saved = {};
    const load = (opts) =>
      bt.loadPrompt({ appUrl: dep.appUrl, apiKey: dep.apiKey, orgName: dep.orgName, fetch: recFetch, forceLogin: true, ...opts });

    before(async () => {
      sandbox.enter();
      dep = mode === 'split' ? await startSplit() : await startServe();
      c = client(dep.dataUrl, dep.apiKey);
      project = ok(await client(dep.appUrl, dep.apiKey).post('/v1/project', { name: uniqueName('sdk-prompts') }));
    });
    after(async () => {
      sandbox.leave();
      await dep?.stop();
    });

    it('loadPrompt({projectName, slug}) of a REST-created prompt; build() renders it', withLogs(async () => {
      const v1 = ok(await c.post('/v1/prompt', {
        project_id: project.id, name: 'Greeter', slug: 'greeter', prompt_data: chat('You greet people.', 'Say hi to {{name}}', 0.1),
      }));
      const v2 = ok(await c.patch(`/v1/prompt/${v1.id}`, { prompt_data: chat('You greet people warmly.', 'Say hello to {{name}}!', 0.7) }));
      saved.v1 = v1;
      saved.v2 = v2;
      const prompt = await load({ projectName: project.name, slug: 'greeter' });
      assert.equal(prompt.id, v1.id);
      assert.equal(prompt.version, v2._xact_id);
      const built = prompt.build({ name: 'Ada' });
      assert.equal(built.model, 'gpt-4o-mini');
      assert.equal(built.temperature, 0.7);
      assert.deepEqual(built.messages, [
        { role: 'system', content: 'You greet people warmly.' },
        { role: 'user', content: 'Say hello to Ada!' },
      ]);
      const sent = calls.filter((x) => x.path === '/v1/prompt');
      assert.ok(sent.length > 0 && sent.every((x) => x.status === 200 && x.url.startsWith(dep.dataUrl)), 'loadPrompt asks the data plane');
    }));

    it('loadPrompt pinned to a version (decimal and pretty), by projectId and by id', withLogs(async () => {
      for (const version of [saved.v1._xact_id, prettyXact(saved.v1._xact_id)]) {
        const prompt = await load({ projectName: project.name, slug: 'greeter', version });
        assert.equal(prompt.version, saved.v1._xact_id, `version ${version}`);
        assert.deepEqual(prompt.build({ name: 'Bo' }).messages.at(-1), { role: 'user', content: 'Say hi to Bo' });
        assert.equal(prompt.build({ name: 'Bo' }).temperature, 0.1);
      }
      const byProjectId = await load({ projectId: project.id, slug: 'greeter' });
      assert.equal(byProjectId.version, saved.v2._xact_id);
      const byId = await load({ id: saved.v1.id, version: saved.v1._xact_id });
      assert.equal(byId.version, saved.v1._xact_id);
      await assert.rejects(load({ projectName: project.name, slug: 'no-such-prompt' }), /not found/i);
    }));

    it('loadPrompt({environment}) serves the version assigned to that environment', withLogs(async () => {
      ok(await c.post('/environment', { name: 'Production', slug: 'production' }));
      ok(await c.put(`/environment-object/prompt/${saved.v1.id}/production`, { object_version: saved.v1._xact_id }));
      const prod = await load({ projectName: project.name, slug: 'greeter', environment: 'production' });
      assert.equal(prod.version, saved.v1._xact_id);
      assert.deepEqual(prod.build({ name: 'Cy' }).messages.at(-1), { role: 'user', content: 'Say hi to Cy' });
      ok(await c.put(`/environment-object/prompt/${saved.v1.id}/production`, { object_version: saved.v2._xact_id }));
      const moved = await load({ projectName: project.name, slug: 'greeter', environment: 'production' });
      assert.equal(moved.version, saved.v2._xact_id, 'reassigning the environment moves what it serves');
      await assert.rejects(load({ projectName: project.name, slug: 'greeter', environment: 'staging' }));
    }));

    it('projects.create().prompts.create() + publish() → loadPrompt; a second publish replaces', withLogs(async () => {
      await bt.login({ appUrl: dep.appUrl, apiKey: dep.apiKey, orgName: dep.orgName, fetch: recFetch, forceLogin: true });
      const name = uniqueName('sdk-published');
      const p1 = bt.projects.create({ name });
      p1.prompts.create({
        name: 'Summarizer', slug: 'summarizer', description: 'summarizes',
        model: 'gpt-4o-mini', params: { temperature: 0.3 },
        messages: [{ role: 'system', content: 'Summarize: {{text}}' }],
      });
      await p1.publish();
      const published = calls.filter((x) => x.path === '/insert-functions');
      assert.ok(published.length === 1 && published[0].status === 200 && published[0].url.startsWith(dep.dataUrl));
      const first = await load({ projectName: name, slug: 'summarizer' });
      assert.equal(first.name, 'Summarizer');
      assert.deepEqual(first.build({ text: 'long text' }).messages, [{ role: 'system', content: 'Summarize: long text' }]);
      assert.equal(first.build({ text: 'x' }).temperature, 0.3);

      const p2 = bt.projects.create({ name });
      p2.prompts.create({
        name: 'Summarizer', slug: 'summarizer', model: 'gpt-4o-mini',
        messages: [{ role: 'system', content: 'Briefly summarize: {{text}}' }], ifExists: 'replace',
      });
      await p2.publish();
      const second = await load({ projectName: name, slug: 'summarizer' });
      assert.equal(second.id, first.id, 'the same prompt, a new version');
      assert.ok(BigInt(second.version) > BigInt(first.version));
      assert.deepEqual(second.build({ text: 't' }).messages, [{ role: 'system', content: 'Briefly summarize: t' }]);
      const old = await load({ projectName: name, slug: 'summarizer', version: first.version });
      assert.deepEqual(old.build({ text: 't' }).messages, [{ role: 'system', content: 'Summarize: t' }]);
    }));
  });
}

suite('serve');
suite('split');

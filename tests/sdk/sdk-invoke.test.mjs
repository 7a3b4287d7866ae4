// The official SDK's invoke() against /function/invoke: a stored prompt run
// on the data plane through the AI proxy (answered by the local fake model
// server), plain and streamed, and logged under the SDK's own span when the
// caller passes one (the exported span string is decoded by the server).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as bt from 'braintrust';
import { FAKE_OPENAI_KEY, startFakeModels } from '../lib/fake-models.mjs';
import { sdkSandbox } from '../lib/sdk-sandbox.mjs';
import { client, ok } from '../lib/http.mjs';
import { SKIP_NO_BINARY, sleep, startServe, uniqueName, withLogs } from '../lib/server.mjs';

describe('braintrust SDK invoke()', { skip: SKIP_NO_BINARY, concurrency: false }, () => {
  let fake;
  let dep;
  let c;
  let project;
  const sandbox = sdkSandbox('sdk-invoke');
  const login = () => ({ appUrl: dep.appUrl, apiKey: dep.apiKey, orgName: dep.orgName });

  before(async () => {
    sandbox.enter();
    fake = await startFakeModels();
    dep = await startServe({ extraArgs: ['--proxy-allowed-hosts', `http://127.0.0.1:${new URL(fake.url).port}`] });
    c = client(dep.url, dep.apiKey);
    const secret = await c.post('/v1/ai_secret', {
      name: 'OPENAI_API_KEY', type: 'openai', secret: FAKE_OPENAI_KEY, metadata: { api_base: fake.openaiBase },
    });
    assert.ok(secret.status === 200, secret.text);
    project = ok(await c.post('/v1/project', { name: uniqueName('sdk-invoke') }));
    ok(await c.post('/v1/prompt', {
      project_id: project.id,
      name: 'Echoer',
      slug: 'echoer',
      prompt_data: {
        prompt: { type: 'chat', messages: [{ role: 'user', content: 'repeat {{word}} for {{input.who}}' }] },
        options: { model: 'gpt-4o-mini' },
      },
    }));
  });
  after(async () => {
    sandbox.leave();
    await dep?.stop();
    await fake?.close();
  });

  it('returns the model answer, plain and streamed', withLogs(async () => {
    const out = await bt.invoke({ ...login(), projectName: project.name, slug: 'echoer', input: { word: 'apple', who: 'Ada' } });
    assert.equal(out, 'echo: repeat apple for Ada');
    const stream = await bt.invoke({
      ...login(), projectName: project.name, slug: 'echoer', input: { word: 'pear', who: 'Bo' }, stream: true,
    });
    assert.equal(await stream.finalValue(), 'echo: repeat pear for Bo');
  }));

  it('logs the llm span under the span the SDK passes as parent', withLogs(async () => {
    const logger = bt.initLogger({ ...login(), projectName: project.name });
    let rootSpanId;
    let spanId;
    await logger.traced(async (span) => {
      rootSpanId = span.rootSpanId;
      spanId = span.spanId;
      const out = await bt.invoke({ ...login(), projectName: project.name, slug: 'echoer', input: { word: 'fig', who: 'Cy' }, parent: span });
      span.log({ input: 'outer', output: out });
    }, { name: 'outer' });
    await logger.flush();
    let llm;
    for (let i = 0; i < 50 && !llm; i++) {
      const r = await c.post('/btql', {
        query: `select: * | from: project_logs('${project.id}') | filter: span_attributes.type = 'llm' | limit: 100`,
      });
      llm = r.json?.data?.find((x) => x.root_span_id === rootSpanId);
      if (!llm) await sleep(100);
    }
    assert.ok(llm, 'the llm span is in the outer trace');
    assert.deepEqual(llm.span_parents, [spanId]);
    assert.equal(llm.span_attributes.name, 'Echoer');
    assert.equal(llm.metrics.completion_tokens, 5);
  }));
});

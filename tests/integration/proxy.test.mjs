// The AI proxy (docs/ai-proxy.md) against the local fake model server:
// the official npm `openai` client pointed at /v1/proxy, OpenAI-compatible and
// Anthropic providers (translated), streaming, llm spans with tokens, the
// encrypted response cache, the allow-list, provider failures and hangs, the
// outbound limit, and /function/invoke on stored prompts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, startFakeModels } from '../lib/fake-models.mjs';
import { api } from '../lib/http.mjs';
import { filesContaining } from '../lib/files.mjs';
import { SKIP_NO_BINARY, randomSuffix, sleep, startServe } from '../lib/server.mjs';



// Parses a text/event-stream body into [{event, data}].
function sseEvents(text) {
  const events = [];
  for (const block of text.split('\n\n')) {
    if (!block.trim()) continue;
    const e = { event: '', data: [] };
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) e.event = line.slice(7);
      else if (line.startsWith('data: ')) e.data.push(line.slice(6));
      else if (line === 'data:') e.data.push('');
    }
    events.push({ event: e.event, data: e.data.join('\n') });
  }
  return events;
}

async function setupSecrets(dep, fake) {
  const call = (p, body) => api(dep.url, p, { key: dep.apiKey, body, validate: false });
  const secrets = [
    { name: 'OPENAI_API_KEY', type: 'openai', secret: FAKE_OPENAI_KEY, metadata: { api_base: fake.openaiBase } },
    { name: 'ANTHROPIC_API_KEY', type: 'anthropic', secret: FAKE_ANTHROPIC_KEY, metadata: { api_base: `${fake.anthropicBase}/v1` } },
    {
      name: 'house-models',
      type: 'vllm',
      secret: FAKE_OPENAI_KEY,
      metadata: {
        api_base: fake.openaiBase,
        models: ['fake-model', 'fake-error-500', 'fake-error-400', 'fake-hang', 'fake-hang-stream', 'fake-drop'],
      },
    },
    { name: 'blocked', type: 'vllm', secret: 'sk-blocked-secret', metadata: { api_base: 'http://10.255.255.1:9/v1', models: ['blocked-model'] } },
    // The fake server's host and port, but https: the allow-list entry names http.
    { name: 'wrong-scheme', type: 'vllm', secret: 'sk-wrong-scheme', metadata: { api_base: fake.openaiBase.replace(/^http:/, 'https:'), models: ['wrong-scheme-model'] } },
    // The fake server's host over http, but on another port.
    { name: 'wrong-port', type: 'vllm', secret: 'sk-wrong-port', metadata: { api_base: 'http://127.0.0.1:9/v1', models: ['wrong-port-model'] } },
  ];
  for (const s of secrets) {
    const r = await call('/v1/ai_secret', s);
    assert.equal(r.status, 200, r.text);
  }
}

describe('AI proxy', { skip: SKIP_NO_BINARY }, () => {
  let fake;
  let dep;
  let project;
  let client;
  const post = (p, body, headers = {}) => api(dep.url, p, { key: dep.apiKey, body, headers, validate: false });

  before(async () => {
    fake = await startFakeModels();
    const port = new URL(fake.url).port;
    dep = await startServe({
      extraArgs: [
        '--proxy-allowed-hosts', `http://127.0.0.1:${port}`,
        '--proxy-timeout-ms', '3000',
        '--proxy-idle-timeout-ms', '1500',
      ],
    });
    await setupSecrets(dep, fake);
    const p = await api(dep.url, '/v1/project', { key: dep.apiKey, body: { name: `proxy-${randomSuffix()}` } });
    assert.equal(p.status, 200, p.text);
    project = p.json;
    client = new OpenAI({ baseURL: `${dep.url}/v1/proxy`, apiKey: dep.apiKey, maxRetries: 0 });
  });

  after(async () => {
    await dep?.stop();
    await fake?.close();
  });

  async function projectSpans() {
    const r = await post('/btql', {
      query: `select: * | from: project_logs('${project.id}') | filter: span_attributes.type = 'llm' | limit: 1000`,
    });
    assert.equal(r.status, 200, r.text);
    return r.json.data;
  }

  it('answers the npm openai client: chat, completions, embeddings', async () => {
    fake.reset();
    const chat = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello there' }],
    });
    assert.equal(chat.choices[0].message.content, 'echo: hello there');
    assert.equal(chat.usage.prompt_tokens, 2);
    const upstream = fake.requests.find((r) => r.path === '/v1/chat/completions');
    assert.equal(upstream.headers.authorization, `Bearer ${FAKE_OPENAI_KEY}`, 'the stored secret, not the caller key');

    const completion = await client.completions.create({ model: 'fake-model', prompt: 'one two three' });
    assert.equal(completion.choices[0].text, 'echo: one two three');

    const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    assert.equal(emb.data.length, 2);
    assert.equal(emb.data[0].embedding.length, 8);
  });

  it('streams chat through the openai client without buffering the answer', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'stream me please' }],
      stream: true,
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      assert.ok(chunk.choices.length > 0, 'no usage-only chunk the caller did not ask for');
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.equal(text, 'echo: stream me please');
    assert.ok(chunks >= 4, `one chunk per word, got ${chunks}`);

    const withUsage = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'count me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage;
    for await (const chunk of withUsage) if (chunk.usage) usage = chunk.usage;
    assert.equal(usage.completion_tokens, 3);
  });

  it('translates Anthropic both ways, plain and streamed', async () => {
    fake.reset();
    const plain = await client.chat.completions.create({
      model: 'claude-3-5-haiku-latest',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi claude' },
      ],
      max_tokens: 50,
    });
    assert.equal(plain.choices[0].message.content, 'echo: hi claude');
    assert.equal(plain.choices[0].finish_reason, 'stop');
    assert.equal(plain.usage.prompt_tokens, 4);
    const upstream = fake.requests.find((r) => r.path === '/v1/messages');
    assert.equal(upstream.body.system, 'be brief');
    assert.equal(upstream.headers['x-api-key'], FAKE_ANTHROPIC_KEY);

    const stream = await client.chat.completions.create({
      model: 'claude-3-5-haiku-latest',
      messages: [{ role: 'user', content: 'stream claude' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'echo: stream claude');
  });

  it('logs a call with a parent as one llm span with tokens', async () => {
    const headers = { 'x-bt-parent': `project_id:${project.id}` };
    const r = await post('/v1/proxy/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'log me now' }] }, headers);
    assert.equal(r.status, 200, r.text);
    const s = await fetch(`${dep.url}/v1/proxy/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${dep.apiKey}`, 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'log my stream' }], stream: true }),
    });
    assert.equal(s.status, 200);
    await s.text();
    let spans = [];
    for (let i = 0; i < 50 && spans.length < 2; i++) {
      spans = await projectSpans();
      if (spans.length < 2) await sleep(100);
    }
    const plain = spans.find((x) => x.input?.[0]?.content === 'log me now');
    assert.ok(plain, JSON.stringify(spans));
    assert.equal(plain.span_attributes.name, 'Chat Completion');
    assert.equal(plain.metadata.model, 'gpt-4o-mini');
    assert.equal(plain.metrics.prompt_tokens, 3);
    assert.equal(plain.metrics.completion_tokens, 4);
    assert.equal(plain.metrics.tokens, 7);
    assert.equal(plain.output[0].message.content, 'echo: log me now');
    const streamed = spans.find((x) => x.input?.[0]?.content === 'log my stream');
    assert.ok(streamed);
    assert.equal(streamed.metrics.completion_tokens, 4);
    assert.equal(streamed.output[0].message.content, 'echo: log my stream');
    assert.ok(streamed.metrics.time_to_first_token >= 0);
    assert.equal(streamed.error, undefined);
  });

  it('caches deterministic answers, encrypted at rest', async () => {
    const marker = `cache-${randomSuffix(12)}`;
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: marker }], temperature: 0 };
    fake.reset();
    const first = await post('/v1/proxy/chat/completions', body);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-bt-cached'), 'MISS');
    const second = await post('/v1/proxy/chat/completions', body);
    assert.equal(second.headers.get('x-bt-cached'), 'HIT');
    assert.equal(second.json.choices[0].message.content, `echo: ${marker}`);
    assert.equal(fake.requests.length, 1, 'the second answer came from the cache');
    const never = await post('/v1/proxy/chat/completions', body, { 'x-bt-use-cache': 'never' });
    assert.equal(never.headers.get('x-bt-cached'), null);
    assert.equal(fake.requests.length, 2);
    // A streamed answer is cached as the stream and replayed.
    const sbody = { ...body, stream: true };
    const s1 = await post('/v1/proxy/chat/completions', sbody);
    const s2 = await post('/v1/proxy/chat/completions', sbody);
    assert.equal(s2.headers.get('x-bt-cached'), 'HIT');
    assert.equal(s2.text, s1.text);
    assert.equal(fake.requests.length, 3);
    assert.deepEqual(filesContaining(dep.dataDir, `echo: ${marker}`), [], 'no cached answer in plaintext on disk');
    const bad = await post('/v1/proxy/chat/completions', body, { 'x-bt-use-cache': 'sometimes' });
    assert.equal(bad.status, 400);
  });

  it('refuses bad input with clear 4xx errors before calling any provider', async () => {
    fake.reset();
    const cases = [
      [{ messages: [{ role: 'user', content: 'x' }] }, 400, /model/],
      [{ model: 'my-unknown-model', messages: [{ role: 'user', content: 'x' }] }, 400, /Unknown model/],
      [{ model: 'gpt-4o-mini', messages: 'hello' }, 400, /messages/],
      [{ model: 'gpt-4o-mini', messages: [{ content: 'no role' }] }, 400, /role/],
      [{ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream: 'yes' }, 400, /stream/],
      [{ model: 'blocked-model', messages: [{ role: 'user', content: 'x' }] }, 403, /allow-list/],
      [{ model: 'wrong-scheme-model', messages: [{ role: 'user', content: 'x' }] }, 403, /allow-list/],
      [{ model: 'wrong-port-model', messages: [{ role: 'user', content: 'x' }] }, 403, /allow-list/],
      [{ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'x' }], n: 3 }, 400, /n/],
    ];
    for (const [body, status, re] of cases) {
      const r = await post('/v1/proxy/chat/completions', body);
      assert.equal(r.status, status, `${JSON.stringify(body)} → ${r.text}`);
      assert.match(r.json.Message, re);
    }
    const notJson = await post('/v1/proxy/chat/completions', '{not json');
    assert.equal(notJson.status, 400);
    const claudeEmb = await post('/v1/proxy/embeddings', { model: 'claude-3-5-haiku-latest', input: 'x' });
    assert.equal(claudeEmb.status, 400);
    const badParent = await post('/v1/proxy/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
      { 'x-bt-parent': 'dataset_id:abc' });
    assert.equal(badParent.status, 400);
    const foreignParent = await post('/v1/proxy/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
      { 'x-bt-parent': 'project_id:00000000-0000-4000-8000-000000000000' });
    assert.equal(foreignParent.status, 404);
    const unauth = await api(dep.url, '/v1/proxy/chat/completions', { key: 'sk-wrong', body: { model: 'gpt-4o-mini', messages: [] }, validate: false });
    assert.equal(unauth.status, 401);
    assert.equal(fake.requests.length, 0, 'nothing reached the provider');
  });

  it('passes provider errors through and fails cleanly on hangs', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'fake-error-400', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === 400,
    );
    const e500 = await post('/v1/proxy/chat/completions', { model: 'fake-error-500', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(e500.status, 500);
    assert.ok(e500.json.error.message);
    const hang = await post('/v1/proxy/chat/completions', { model: 'fake-hang', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(hang.status, 504, hang.text);
    const drop = await post('/v1/proxy/chat/completions', { model: 'fake-drop', messages: [{ role: 'user', content: 'x' }] });
    assert.ok(drop.status === 503 || drop.status === 502, drop.text);

    // Hung mid-stream: the client sees the deltas so far, then an error.
    const headers = { 'x-bt-parent': `project_id:${project.id}` };
    const hungClient = new OpenAI({ baseURL: `${dep.url}/v1/proxy`, apiKey: dep.apiKey, maxRetries: 0, defaultHeaders: headers });
    const stream = await hungClient.chat.completions.create({
      model: 'fake-hang-stream',
      messages: [{ role: 'user', content: 'hang here please' }],
      stream: true,
    });
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    });
    assert.ok(text.length > 0, 'the deltas before the hang arrived');
    // Logged once, with the error and the partial output.
    let span;
    for (let i = 0; i < 50 && !span; i++) {
      span = (await projectSpans()).find((x) => x.input?.[0]?.content === 'hang here please');
      if (!span) await sleep(100);
    }
    assert.ok(span?.error, JSON.stringify(span));
    assert.equal((await projectSpans()).filter((x) => x.input?.[0]?.content === 'hang here please').length, 1);
  });

  it('invokes stored prompts, plain and streamed, logging the call', async () => {
    const slug = `greeter-${randomSuffix()}`;
    const created = await api(dep.url, '/v1/prompt', {
      key: dep.apiKey,
      body: {
        project_id: project.id,
        name: 'Greeter',
        slug,
        prompt_data: {
          prompt: { type: 'chat', messages: [{ role: 'system', content: 'Greet {{name}}' }, { role: 'user', content: 'hi {{name}} from {{input.city}}' }] },
          options: { model: 'gpt-4o-mini', params: { temperature: 0.5 } },
        },
      },
    });
    assert.equal(created.status, 200, created.text);
    fake.reset();
    const r = await post('/function/invoke', { project_name: project.name, slug, input: { name: 'Ada', city: 'Paris' }, parent: `project_id:${project.id}` });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json, 'echo: hi Ada from Paris');
    const sent = fake.requests[0].body;
    assert.equal(sent.messages[0].content, 'Greet Ada');
    assert.equal(sent.temperature, 0.5);

    const byId = await post(`/v1/function/${created.json.id}/invoke`, { input: { name: 'Bo', city: 'Rome' }, stream: true });
    assert.equal(byId.status, 200);
    const events = sseEvents(byId.text);
    assert.equal(events[0].event, 'start');
    assert.equal(events.at(-1).event, 'done');
    const text = events.filter((e) => e.event === 'text_delta').map((e) => JSON.parse(e.data)).join('');
    assert.equal(text, 'echo: hi Bo from Rome');

    let span;
    for (let i = 0; i < 50 && !span; i++) {
      span = (await projectSpans()).find((x) => x.span_attributes?.name === 'Greeter');
      if (!span) await sleep(100);
    }
    assert.ok(span);
    assert.equal(span.metadata.prompt.id, created.json.id);
    assert.equal(span.metadata.prompt.version, created.json._xact_id);

    const missing = await post('/function/invoke', { project_name: project.name, slug: 'nope', input: {} });
    assert.equal(missing.status, 404);
    const noName = await post('/function/invoke', { input: {} });
    assert.equal(noName.status, 400);
    const badSlug = await post('/function/invoke', { project_name: project.name, slug: 42, input: {} });
    assert.equal(badSlug.status, 400);
    assert.match(badSlug.json.Message, /slug/);
  });

  it('keeps provider keys out of the logs and the data directory', async () => {
    assert.deepEqual(filesContaining(dep.tmpDir, FAKE_OPENAI_KEY), []);
    assert.deepEqual(filesContaining(dep.tmpDir, FAKE_ANTHROPIC_KEY), []);
  });
});

describe('AI proxy outbound limit', { skip: SKIP_NO_BINARY }, () => {
  for (const [limit, expectLimited] of [[3, true], [0, false]]) {
    it(`OUTBOUND_RATE_LIMIT_MAX_REQUESTS=${limit}`, async () => {
      const fake = await startFakeModels();
      const dep = await startServe({
        extraArgs: ['--proxy-allowed-hosts', `http://127.0.0.1:${new URL(fake.url).port}`],
        env: { OUTBOUND_RATE_LIMIT_MAX_REQUESTS: String(limit) },
      });
      try {
        await setupSecrets(dep, fake);
        const results = [];
        for (let i = 0; i < 8; i++) {
          results.push(await api(dep.url, '/v1/proxy/chat/completions', {
            key: dep.apiKey,
            body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `burst ${i}` }] },
            validate: false,
          }));
        }
        const limited = results.filter((r) => r.status === 429);
        const ok = results.filter((r) => r.status === 200);
        if (expectLimited) {
          assert.ok(ok.length <= limit, `at most ${limit} calls pass, got ${ok.length}`);
          assert.ok(limited.length >= 8 - limit);
          for (const r of limited) assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
          assert.equal(fake.requests.length, ok.length, 'limited calls never reached the provider');
        } else {
          assert.equal(ok.length, 8, results.map((r) => r.status).join(','));
        }
      } finally {
        await dep.stop();
        await fake.close();
      }
    });
  }
});

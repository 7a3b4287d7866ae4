// The fake model server (tests/lib/fake-models.mjs) checked with the official
// OpenAI and Anthropic clients, so the fake is known to speak the providers'
// protocols rather than only our reading of them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, startFakeModels } from '../lib/fake-models.mjs';

describe('fake models: the official OpenAI client', () => {
  let fake;
  let openai;
  before(async () => {
    fake = await startFakeModels();
    openai = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fake.openaiBase, maxRetries: 0 });
  });
  after(() => fake?.close());

  it('chat completion, plain: echo of the last user message and whitespace-token usage', async () => {
    const r = await openai.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello there world' }],
    });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0].message.content, 'echo: hello there world');
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.deepEqual(r.usage, { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    const seen = fake.requests.at(-1);
    assert.equal(seen.path, '/v1/chat/completions');
    assert.equal(seen.headers.authorization, `Bearer ${FAKE_OPENAI_KEY}`);
    assert.equal(seen.body.model, 'fake-model');
  });

  it('chat completion, streamed with include_usage: chunks join to the reply; a final usage chunk', async () => {
    const stream = await openai.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'one two' }] }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      assert.equal(chunk.object, 'chat.completion.chunk');
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'echo: one two');
    assert.ok(chunks >= 4, `only ${chunks} chunks`);
    assert.deepEqual(usage, { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
  });

  it('chat completion, streamed through the helper: final message', async () => {
    const runner = openai.chat.completions.stream({ model: 'fake-model', messages: [{ role: 'user', content: 'a b c' }] });
    const done = await runner.finalChatCompletion();
    assert.equal(done.choices[0].message.content, 'echo: a b c');
  });

  it('completions, plain and streamed', async () => {
    const r = await openai.completions.create({ model: 'fake-model', prompt: 'say this' });
    assert.equal(r.choices[0].text, 'echo: say this');
    assert.deepEqual(r.usage, { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
    const stream = await openai.completions.create({ model: 'fake-model', prompt: 'x y', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    assert.equal(text, 'echo: x y');
  });

  it('embeddings: deterministic vectors, through base64 (the client default) and float', async () => {
    const a = await openai.embeddings.create({ model: 'fake-model', input: ['alpha', 'beta gamma'] });
    const b = await openai.embeddings.create({ model: 'fake-model', input: ['alpha', 'beta gamma'], encoding_format: 'float' });
    assert.equal(fake.requests.at(-2).body.encoding_format, 'base64');
    assert.equal(a.data.length, 2);
    assert.equal(a.data[0].embedding.length, 8);
    assert.deepEqual(a.data.map((d) => d.embedding), b.data.map((d) => d.embedding));
    assert.notDeepEqual(a.data[0].embedding, a.data[1].embedding);
    assert.deepEqual(a.usage, { prompt_tokens: 3, total_tokens: 3 });
    const c = await openai.embeddings.create({ model: 'fake-model', input: 'alpha', dimensions: 40, encoding_format: 'float' });
    assert.equal(c.data[0].embedding.length, 40);
    assert.deepEqual(c.data[0].embedding.slice(0, 8), b.data[0].embedding);
  });

  it('models list', async () => {
    const ids = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    assert.ok(ids.includes('fake-model'), ids.join());
  });

  it('errors map to the typed errors with their status', async () => {
    const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL: fake.openaiBase, maxRetries: 0 });
    const msg = { messages: [{ role: 'user', content: 'x' }] };
    await assert.rejects(bad.chat.completions.create({ model: 'fake-model', ...msg }), (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, e.constructor.name);
      assert.equal(e.status, 401);
      assert.equal(e.code, 'invalid_api_key');
      return true;
    });
    await assert.rejects(openai.chat.completions.create({ model: 'fake-error-429', ...msg }), (e) => {
      assert.ok(e instanceof OpenAI.RateLimitError, e.constructor.name);
      assert.equal(e.headers.get('retry-after'), '1');
      return true;
    });
    await assert.rejects(openai.chat.completions.create({ model: 'fake-error-500', ...msg }), (e) => {
      assert.ok(e instanceof OpenAI.InternalServerError, e.constructor.name);
      assert.equal(e.status, 500);
      return true;
    });
    await assert.rejects(openai.chat.completions.create({ model: 'fake-drop', ...msg }), OpenAI.APIConnectionError);
  });

  it('fake-flaky-<n> fails n times with 503, then answers (the client retries it)', async () => {
    const retrying = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fake.openaiBase, maxRetries: 2 });
    const before = fake.requests.length;
    const r = await retrying.chat.completions.create({ model: 'fake-flaky-1', messages: [{ role: 'user', content: 'again' }] });
    assert.equal(r.choices[0].message.content, 'echo: again');
    assert.equal(fake.requests.length - before, 2);
  });

  it('fake-hang-stream sends two deltas then nothing; fake-hang sends nothing', async () => {
    const ac = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'fake-hang-stream', messages: [{ role: 'user', content: 'p q r' }], stream: true },
      { signal: ac.signal },
    );
    const it = stream[Symbol.asyncIterator]();
    let text = '';
    while (text !== 'echo: p') {
      const { value, done } = await it.next();
      assert.ok(!done, `the stream ended after ${JSON.stringify(text)}`);
      text += value.choices[0]?.delta?.content ?? '';
    }
    const stalled = Symbol('stalled');
    const next = it.next().catch(() => stalled);
    const first = await Promise.race([next, new Promise((r) => setTimeout(() => r(stalled), 300))]);
    assert.equal(first, stalled, 'a third delta arrived');
    ac.abort();
    await next;
    await assert.rejects(
      openai.chat.completions.create({ model: 'fake-hang', messages: [{ role: 'user', content: 'x' }] }, { timeout: 300 }),
      OpenAI.APIConnectionTimeoutError,
    );
  });
});

describe('fake models: the official Anthropic client', () => {
  let fake;
  let anthropic;
  before(async () => {
    fake = await startFakeModels();
    anthropic = new Anthropic({ apiKey: FAKE_ANTHROPIC_KEY, baseURL: fake.anthropicBase, maxRetries: 0 });
  });
  after(() => fake?.close());

  const params = (model, text) => ({ model, max_tokens: 64, system: 'sys prompt', messages: [{ role: 'user', content: text }] });

  it('messages, plain', async () => {
    const r = await anthropic.messages.create(params('fake-model', 'hi you'));
    assert.equal(r.type, 'message');
    assert.deepEqual(r.content, [{ type: 'text', text: 'echo: hi you' }]);
    assert.equal(r.stop_reason, 'end_turn');
    assert.deepEqual(r.usage, { input_tokens: 4, output_tokens: 3 });
    const seen = fake.requests.at(-1);
    assert.equal(seen.path, '/v1/messages');
    assert.equal(seen.headers.authorization, `Bearer ${FAKE_ANTHROPIC_KEY}`); // the 1.x client's way
    assert.ok(seen.headers['anthropic-version']);
  });

  it('messages, create({stream: true}): the real event sequence', async () => {
    const stream = await anthropic.messages.create({ ...params('fake-model', 'a b'), stream: true });
    const types = [];
    let text = '';
    let outputTokens = null;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
      if (ev.type === 'message_delta') outputTokens = ev.usage.output_tokens;
    }
    assert.equal(text, 'echo: a b');
    assert.equal(outputTokens, 3);
    assert.deepEqual(
      types.filter((t, i) => t !== types[i - 1]),
      ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
    ); // the client drops `ping` events; the raw-fetch test below sees them
  });

  it('messages.stream(): text events and the final message with usage', async () => {
    const stream = anthropic.messages.stream(params('fake-model', 'x y z'));
    let text = '';
    stream.on('text', (t) => { text += t; });
    const final = await stream.finalMessage();
    assert.equal(text, 'echo: x y z');
    assert.deepEqual(final.content, [{ type: 'text', text: 'echo: x y z' }]);
    assert.equal(final.usage.input_tokens, 5);
    assert.equal(final.usage.output_tokens, 4);
  });

  it('errors map to the typed errors with their status', async () => {
    const bad = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: fake.anthropicBase, maxRetries: 0 });
    await assert.rejects(bad.messages.create(params('fake-model', 'x')), (e) => {
      assert.ok(e instanceof Anthropic.AuthenticationError, e.constructor.name);
      assert.equal(e.status, 401);
      assert.equal(e.error?.error?.type, 'authentication_error');
      return true;
    });
    await assert.rejects(anthropic.messages.create(params('fake-error-429', 'x')), (e) => {
      assert.ok(e instanceof Anthropic.RateLimitError, e.constructor.name);
      assert.equal(e.headers.get('retry-after'), '1');
      return true;
    });
    await assert.rejects(anthropic.messages.create(params('fake-error-529', 'x')), (e) => {
      assert.ok(e instanceof Anthropic.InternalServerError, e.constructor.name);
      assert.equal(e.status, 529);
      assert.equal(e.error?.error?.type, 'overloaded_error');
      return true;
    });
    await assert.rejects(anthropic.messages.create(params('fake-error-400', 'x')), Anthropic.BadRequestError);
  });

  it('the x-api-key header is accepted too, and anthropic-version is required', async () => {
    const send = (headers) => fetch(`${fake.anthropicBase}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(params('fake-model', 'raw call')),
    });
    const ok = await send({ 'x-api-key': FAKE_ANTHROPIC_KEY, 'anthropic-version': '2023-06-01' });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).content[0].text, 'echo: raw call');
    const streamed = await fetch(`${fake.anthropicBase}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': FAKE_ANTHROPIC_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ ...params('fake-model', 'one'), stream: true }),
    });
    assert.equal(streamed.headers.get('content-type'), 'text/event-stream');
    const names = [...(await streamed.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    assert.deepEqual(names, [
      'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta',
      'content_block_stop', 'message_delta', 'message_stop',
    ]);
    const noVersion = await send({ 'x-api-key': FAKE_ANTHROPIC_KEY });
    assert.equal(noVersion.status, 400);
    assert.equal((await noVersion.json()).error.type, 'invalid_request_error');
  });

  it('fake-slow-<ms> still answers', async () => {
    const r = await anthropic.messages.create(params('fake-slow-50', 'late'));
    assert.equal(r.content[0].text, 'echo: late');
  });
});

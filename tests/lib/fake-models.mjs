// A local fake of two model providers' HTTP APIs, for tests (127.0.0.1 only).
//
//   const fake = await startFakeModels();
//   fake.url            http://127.0.0.1:<port>
//   fake.openaiBase     fake.url + '/v1'   (OpenAI clients: baseURL)
//   fake.anthropicBase  fake.url           (Anthropic clients: baseURL; they add /v1/messages)
//   fake.requests       every request received: {method, path, headers (lower-case), body (parsed JSON, or the raw text)}
//   fake.reset()        forgets recorded requests and the fake-flaky-<n> counters
//   await fake.close()  stops the server and cuts every open connection (hanging ones too)
//
// OpenAI (auth: `Authorization: Bearer <key>`, the key must start with `sk-fake-`):
//   POST /v1/chat/completions   plain JSON, or SSE with `stream: true` (`data: {chat.completion.chunk}` lines,
//                               then `data: [DONE]`); `stream_options.include_usage` adds a final usage chunk
//   POST /v1/completions        plain JSON, or SSE with `stream: true`
//   POST /v1/embeddings         deterministic vectors (`dimensions`, default 8); `encoding_format: "base64"`
//                               returns little-endian float32 bytes in base64, like the real API
//   GET  /v1/models             the models below plus `fake-model`
//   Errors: {error: {message, type, param, code}}.
// Anthropic (auth: `x-api-key: <key>`, or `Authorization: Bearer <key>` as the 1.x SDK sends it, the key
// starting with `sk-ant-fake-`; and an `anthropic-version` header):
//   POST /v1/messages           plain JSON, or SSE with `stream: true`: message_start, content_block_start,
//                               ping, content_block_delta (text_delta)…, content_block_stop,
//                               message_delta (stop_reason, usage), message_stop
//   Errors: {type: "error", error: {type, message}}.
//
// Answers are deterministic: the reply is `echo: <text of the last user message>` (for completions, of the
// prompt). Tokens are whitespace-separated words: input tokens = words of every message (and `system`),
// output tokens = words of the reply. Streams send one word per delta (the reply is their concatenation).
//
// Behaviour by model name (any other model answers normally):
//   fake-error-<status>   answers <status> in the provider's error shape (e.g. fake-error-500,
//                         fake-error-400, fake-error-529); 429 also carries `retry-after: 1`
//   fake-flaky-<n>        the first <n> requests naming this exact model answer 503, later ones answer
//                         normally (per server; reset() restarts the count)
//   fake-slow-<ms>        waits <ms> before sending the response headers, then answers normally
//   fake-drip-<ms>        streams with <ms> between deltas (alive but slow)
//   fake-hang-stream      sends the headers and the first two deltas (or the first half of a plain
//                         JSON body), then never sends anything more
//   fake-hang             never sends anything (not even headers)
//   fake-drop             closes the connection without any response (a transport error)
import crypto from 'node:crypto';
import http from 'node:http';

export const FAKE_OPENAI_KEY = 'sk-fake-openai-test';
export const FAKE_ANTHROPIC_KEY = 'sk-ant-fake-test';
export const OPENAI_KEY_PREFIX = 'sk-fake-';
export const ANTHROPIC_KEY_PREFIX = 'sk-ant-fake-';
export const FAKE_MODELS = ['fake-model', 'fake-error-500', 'fake-error-429', 'fake-hang', 'fake-hang-stream'];
const CREATED = 1700000000;

export function words(text) {
  return String(text ?? '').split(/\s+/).filter(Boolean);
}
export const countTokens = (text) => words(text).length;

/** Text of an OpenAI or Anthropic message content: a string or an array of parts. */
function contentText(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (typeof p === 'string' ? p : p?.type === 'text' ? p.text ?? '' : '')).join(' ');
}

function lastUserText(messages) {
  const users = (Array.isArray(messages) ? messages : []).filter((m) => m?.role === 'user');
  return users.length ? contentText(users[users.length - 1].content) : '';
}

function messagesTokens(messages, system) {
  let n = countTokens(contentText(system));
  for (const m of Array.isArray(messages) ? messages : []) n += countTokens(contentText(m?.content));
  return n;
}

/** The reply split into deltas whose concatenation is the reply: "echo: a b" → ["echo:", " a", " b"]. */
function deltas(reply) {
  return reply.match(/\s*\S+/g) ?? [''];
}

function embeddingVector(input, dims) {
  const out = [];
  for (let block = 0; out.length < dims; block++) {
    const h = crypto.createHash('sha256').update(`${block}:${input}`).digest();
    for (const byte of h) {
      if (out.length === dims) break;
      out.push((byte - 128) / 128); // exact in float32, so base64 and float answers agree
    }
  }
  return out;
}

function float32Base64(vec) {
  const buf = Buffer.alloc(vec.length * 4);
  vec.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

// ---------------------------------------------------------------------------
// Error shapes.

const OPENAI_ERROR_TYPES = {
  400: ['invalid_request_error', null], 401: ['invalid_request_error', 'invalid_api_key'],
  403: ['permission_error', null], 404: ['invalid_request_error', 'model_not_found'],
  429: ['rate_limit_exceeded', 'rate_limit_exceeded'],
};
const ANTHROPIC_ERROR_TYPES = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error',
  404: 'not_found_error', 413: 'request_too_large', 429: 'rate_limit_error', 529: 'overloaded_error',
};

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorHeaders(status) {
  return status === 429 ? { 'retry-after': '1' } : {};
}

function openaiError(res, status, message) {
  const [type, code] = OPENAI_ERROR_TYPES[status] ?? ['server_error', null];
  sendJson(res, status, { error: { message, type, param: null, code } }, errorHeaders(status));
}

function anthropicError(res, status, message) {
  const type = ANTHROPIC_ERROR_TYPES[status] ?? 'api_error';
  sendJson(res, status, { type: 'error', error: { type, message } }, { 'request-id': 'req_fake', ...errorHeaders(status) });
}

// ---------------------------------------------------------------------------
// Server-sent events.

function startSse(res) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

/** Writes `events` ({event?, data}) in order; `plan` says whether to hang after two and how long to wait. */
async function writeSse(res, events, plan, state) {
  let sent = 0;
  for (const e of events) {
    if (plan.hangStream && e.delta && sent === 2) return hangForever(res, state);
    if (plan.dripMs && e.delta) await state.sleep(plan.dripMs);
    if (res.destroyed) return;
    const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    res.write(e.event ? `event: ${e.event}\ndata: ${data}\n\n` : `data: ${data}\n\n`);
    if (e.delta) sent++;
  }
  res.end();
}

function hangForever(res, state) {
  state.hanging.add(res);
  res.on('close', () => state.hanging.delete(res));
}

// ---------------------------------------------------------------------------
// OpenAI.

function chatCompletion(body) {
  const reply = `echo: ${lastUserText(body.messages)}`;
  const usage = usageOf(messagesTokens(body.messages), countTokens(reply));
  return { reply, usage, id: `chatcmpl-fake${crypto.randomBytes(6).toString('hex')}` };
}

function usageOf(prompt, completion) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function chatPlain(body) {
  const { reply, usage, id } = chatCompletion(body);
  return {
    id, object: 'chat.completion', created: CREATED, model: body.model, system_fingerprint: 'fp_fake',
    choices: [{ index: 0, message: { role: 'assistant', content: reply, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage,
  };
}

function chatEvents(body) {
  const { reply, usage, id } = chatCompletion(body);
  const withUsage = Boolean(body.stream_options?.include_usage);
  const chunk = (choices, extra = {}) => ({
    id, object: 'chat.completion.chunk', created: CREATED, model: body.model, system_fingerprint: 'fp_fake',
    choices, ...(withUsage ? { usage: null } : {}), ...extra,
  });
  const choice = (delta, finish = null) => ({ index: 0, delta, logprobs: null, finish_reason: finish });
  const events = [{ data: chunk([choice({ role: 'assistant', content: '', refusal: null })]) }];
  for (const piece of deltas(reply)) events.push({ delta: true, data: chunk([choice({ content: piece })]) });
  events.push({ data: chunk([choice({}, 'stop')]) });
  if (withUsage) events.push({ data: chunk([], { usage }) });
  events.push({ data: '[DONE]' });
  return events;
}

function promptText(prompt) {
  return Array.isArray(prompt) ? prompt.map(String).join(' ') : String(prompt ?? '');
}

function completionParts(body) {
  const prompt = promptText(body.prompt);
  const reply = `echo: ${prompt}`;
  return { reply, usage: usageOf(countTokens(prompt), countTokens(reply)), id: `cmpl-fake${crypto.randomBytes(6).toString('hex')}` };
}

function completionPlain(body) {
  const { reply, usage, id } = completionParts(body);
  return {
    id, object: 'text_completion', created: CREATED, model: body.model,
    choices: [{ text: reply, index: 0, logprobs: null, finish_reason: 'stop' }], usage,
  };
}

function completionEvents(body) {
  const { reply, usage, id } = completionParts(body);
  const chunk = (text, finish, extra = {}) => ({
    id, object: 'text_completion', created: CREATED, model: body.model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }], ...extra,
  });
  const events = deltas(reply).map((piece) => ({ delta: true, data: chunk(piece, null) }));
  events.push({ data: chunk('', 'stop') });
  if (body.stream_options?.include_usage) events.push({ data: { ...chunk('', null), choices: [], usage } });
  events.push({ data: '[DONE]' });
  return events;
}

function embeddings(body) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const dims = Number.isInteger(body.dimensions) && body.dimensions > 0 ? body.dimensions : 8;
  const base64 = body.encoding_format === 'base64';
  let tokens = 0;
  const data = inputs.map((input, index) => {
    const text = Array.isArray(input) ? input.join(' ') : String(input);
    tokens += countTokens(text);
    const vec = embeddingVector(text, dims);
    return { object: 'embedding', index, embedding: base64 ? float32Base64(vec) : vec };
  });
  return { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

function modelList() {
  return { object: 'list', data: FAKE_MODELS.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'tracevault-fake' })) };
}

// ---------------------------------------------------------------------------
// Anthropic.

function anthropicParts(body) {
  const reply = `echo: ${lastUserText(body.messages)}`;
  const usage = { input_tokens: messagesTokens(body.messages, body.system), output_tokens: countTokens(reply) };
  return { reply, usage, id: `msg_fake${crypto.randomBytes(6).toString('hex')}` };
}

function messagePlain(body) {
  const { reply, usage, id } = anthropicParts(body);
  return {
    id, type: 'message', role: 'assistant', model: body.model, content: [{ type: 'text', text: reply }],
    stop_reason: 'end_turn', stop_sequence: null, usage,
  };
}

function messageEvents(body) {
  const { reply, usage, id } = anthropicParts(body);
  const ev = (event, data) => ({ event, data: { type: event, ...data } });
  const events = [
    ev('message_start', {
      message: {
        id, type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null,
        stop_sequence: null, usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
      },
    }),
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ev('ping', {}),
  ];
  for (const piece of deltas(reply)) {
    events.push({ ...ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } }), delta: true });
  }
  events.push(ev('content_block_stop', { index: 0 }));
  events.push(ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }));
  events.push(ev('message_stop', {}));
  return events;
}

// ---------------------------------------------------------------------------
// Routing.

const ROUTES = {
  'POST /v1/chat/completions': { api: 'openai', plain: chatPlain, events: chatEvents },
  'POST /v1/completions': { api: 'openai', plain: completionPlain, events: completionEvents },
  'POST /v1/embeddings': { api: 'openai', plain: embeddings },
  'GET /v1/models': { api: 'openai', plain: modelList },
  'POST /v1/messages': { api: 'anthropic', plain: messagePlain, events: messageEvents },
};

/** What the model name asks for: {errorStatus?, slowMs?, dripMs?, hang?, hangStream?, drop?}. */
function behaviourOf(model, state) {
  const m = /^fake-(error|flaky|slow|drip)-(\d+)$/.exec(model ?? '');
  if (m) {
    const n = Number(m[2]);
    if (m[1] === 'error') return { errorStatus: n };
    if (m[1] === 'slow') return { slowMs: n };
    if (m[1] === 'drip') return { dripMs: n };
    const seen = (state.flaky.get(model) ?? 0) + 1;
    state.flaky.set(model, seen);
    return seen <= n ? { errorStatus: 503 } : {};
  }
  return { hang: model === 'fake-hang', hangStream: model === 'fake-hang-stream', drop: model === 'fake-drop' };
}

function bearer(req) {
  const auth = req.headers.authorization ?? '';
  return auth.startsWith('Bearer ') ? auth.slice(7) : '';
}

function authError(route, req) {
  if (route.api === 'openai') {
    const key = bearer(req);
    if (!key) return [401, "You didn't provide an API key. Provide it in an Authorization header (Bearer auth)."];
    if (!key.startsWith(OPENAI_KEY_PREFIX)) return [401, 'Incorrect API key provided.'];
    return null;
  }
  const key = req.headers['x-api-key'] ?? bearer(req);
  if (!key.startsWith(ANTHROPIC_KEY_PREFIX)) return [401, 'invalid x-api-key'];
  if (!req.headers['anthropic-version']) return [400, 'anthropic-version: header is required'];
  return null;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req, res, state) {
  const raw = await readBody(req);
  const path = new URL(req.url, 'http://fake').pathname;
  let body = raw;
  try {
    body = raw.length ? JSON.parse(raw) : {};
  } catch {
    /* recorded as text */
  }
  state.requests.push({ method: req.method, path, headers: { ...req.headers }, body });
  const route = ROUTES[`${req.method} ${path}`];
  const fail = (status, msg) =>
    (route?.api === 'anthropic' || path === '/v1/messages' ? anthropicError : openaiError)(res, status, msg);
  if (!route) return fail(404, `no route ${req.method} ${path}`);
  const denied = authError(route, req);
  if (denied) return fail(...denied);
  if (typeof body !== 'object' || body === null) return fail(400, 'the body is not JSON');
  if (req.method === 'POST' && typeof body.model !== 'string') return fail(400, 'model: a string is required');
  return answer(route, body, behaviourOf(body.model, state), res, state, fail);
}

async function answer(route, body, plan, res, state, fail) {
  if (plan.drop) return res.socket?.destroy();
  if (plan.hang) return hangForever(res, state);
  if (plan.slowMs) await state.sleep(plan.slowMs);
  if (res.destroyed) return;
  if (plan.errorStatus) return fail(plan.errorStatus, `fake error ${plan.errorStatus} for model ${body.model}`);
  if (body.stream === true && route.events) {
    startSse(res);
    return writeSse(res, route.events(body), plan, state);
  }
  if (plan.hangStream) {
    const text = JSON.stringify(route.plain(body));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.write(text.slice(0, text.length >> 1));
    return hangForever(res, state);
  }
  return sendJson(res, 200, route.plain(body));
}

/** Starts the fake on 127.0.0.1, port 0. See the top of this file for what it answers. */
export async function startFakeModels() {
  const timers = new Set();
  const state = {
    requests: [],
    flaky: new Map(),
    hanging: new Set(),
    sleep: (ms) => new Promise((resolve) => {
      const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
      timers.add(t);
    }),
  };
  const server = http.createServer((req, res) => {
    handle(req, res, state).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err?.message ?? err), type: 'server_error', param: null, code: null } });
      else res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    openaiBase: `${url}/v1`,
    anthropicBase: url,
    requests: state.requests,
    reset() {
      state.requests.length = 0;
      state.flaky.clear();
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const res of state.hanging) res.destroy();
      const closed = new Promise((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
